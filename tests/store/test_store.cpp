// Tests of the embedded store (core/store) on real SQLite files in a temporary directory.
#include <sqlite3.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "interlocutor/store/store.h"
#include "../../core/store/src/schema.h"  // version 1's schema, to build a version-1 file

namespace fs = std::filesystem;
using namespace ilc;
using namespace ilc::store;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ilc-store-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string db(const std::string& name = "test.db") const { return (path / name).string(); }
};

std::unique_ptr<Store> open_rw(const std::string& path) {
    auto s = Store::open(path, OpenMode::read_write);
    if (!s.ok()) FAIL("open read_write failed: " << s.error().to_string());
    return std::move(s.value());
}

std::unique_ptr<Store> open_ro(const std::string& path) {
    auto s = Store::open(path, OpenMode::read_only);
    if (!s.ok()) FAIL("open read_only failed: " << s.error().to_string());
    return std::move(s.value());
}

// Every field set, with UTF-8, bytes that are not UTF-8 (NUL-free), and the separators the
// store's compact list encoding must escape (newline, tab, backslash).
Message full_message() {
    Message m;
    m.message_id = "CAF=odd+id.\xc3\xa9t\xc3\xa9@mail.example.fr";
    m.synthetic_id = true;
    m.in_reply_to = {"parent@x", "other@y"};
    m.references = {"root@x", "a\nb@x", "tab\there@x", "back\\slash@x", "\\e", "", "\xff\xfe@raw"};
    m.thread_index = "AdQ5Zm9vYmFy==";
    m.thread_topic = "Devis n\xc2\xb0 42 \xe2\x80\x94 r\xc3\xa9vision";
    m.from = {"Jos\xc3\xa9 Garc\xc3\xad" "a", "jose@acme.es"};
    m.sender = {"Assistant", "assistant@acme.es"};
    m.reply_to = {{"", "replies@acme.es"}};
    m.to = {{"Marie \"Mimi\" Dupont", "marie@client.fr"}, {"", "bob@client.fr"}, {"Tab\tName", "t@client.fr"}};
    m.cc = {{"\xe6\x9d\x8e\xe5\x9b\x9b", "li@client.cn"}};
    m.bcc = {{"Boss", "boss@acme.es"}};
    m.subject = "RE: Proposition \xc3\xa0 valider \xf0\x9f\x9a\x80 \x01\x7f latin1 caf\xe9";
    m.date = 1700000000;
    m.tz_offset_min = -330;
    m.date_source = DateSource::received;
    m.auto_submitted = "auto-replied";
    m.precedence = "bulk";
    m.list_id = "<sales.acme.es>";
    m.list_unsubscribe = "<mailto:unsub@acme.es>";
    m.x_autoreply = "yes";
    m.x_autorespond = "1";
    m.return_path = "bounce@acme.es";
    m.content_type = "multipart/alternative; boundary=\"x\"";
    m.content_language = "fr-FR";
    m.x_mailer = "Microsoft Outlook 16.0";
    m.is_report = true;
    m.body_from_html = true;
    m.attachment_count = 3;
    m.new_text = "Bonjour,\r\nPourriez-vous me confirmer ?\n\ttabbed \\ line\n";
    m.quoted = "> Le 1 janv. 2024, Bob a \xc3\xa9" "crit :\n> bla\n";
    m.signature = "-- \nJos\xc3\xa9 Garc\xc3\xad" "a\nDirecteur g\xc3\xa9n\xc3\xa9ral\n";
    m.signature_name = "Jos\xc3\xa9 Garc\xc3\xad" "a";
    m.signature_title = "Directeur g\xc3\xa9n\xc3\xa9ral";
    m.automated = true;
    m.automated_reason = "ooo";
    m.ooo_until = 1700600000;
    m.expects_reply = true;
    m.cues = {{"request", "pourriez-vous"}, {"question", "?"}, {"odd", "a\tb\nc\\"}, {"", ""}};
    m.lang = "fr";
    m.source = {"/mail/Sent \xc3\xa9l\xc3\xa9ments.mbox", 123456789012LL, 4567, "Envoy\xc3\xa9s"};
    m.flags.seen = true;
    m.flags.replied = true;
    m.flags.draft = true;
    m.flags.passed = true;
    m.warnings = {{"bad_date", "Date: 31 Feb\tyes", 77}, {"unknown_charset", "x-unknown\nline", -1}};
    m.body_text = "ignored by the store";
    return m;
}

void check_mailbox(const Mailbox& a, const Mailbox& b) {
    CHECK(a.name == b.name);
    CHECK(a.address == b.address);
}

void check_mailboxes(const std::vector<Mailbox>& a, const std::vector<Mailbox>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) check_mailbox(a[i], b[i]);
}

// Compares every stored field (body_text is not stored; rowid and folders are the store's).
void check_same(const Message& got, const Message& want, bool with_text = true) {
    CHECK(got.message_id == want.message_id);
    CHECK(got.synthetic_id == want.synthetic_id);
    CHECK(got.in_reply_to == want.in_reply_to);
    CHECK(got.references == want.references);
    CHECK(got.thread_index == want.thread_index);
    CHECK(got.thread_topic == want.thread_topic);
    check_mailbox(got.from, want.from);
    check_mailbox(got.sender, want.sender);
    check_mailboxes(got.reply_to, want.reply_to);
    check_mailboxes(got.to, want.to);
    check_mailboxes(got.cc, want.cc);
    check_mailboxes(got.bcc, want.bcc);
    CHECK(got.subject == want.subject);
    CHECK(got.date == want.date);
    CHECK(got.tz_offset_min == want.tz_offset_min);
    CHECK(got.date_source == want.date_source);
    CHECK(got.auto_submitted == want.auto_submitted);
    CHECK(got.precedence == want.precedence);
    CHECK(got.list_id == want.list_id);
    CHECK(got.list_unsubscribe == want.list_unsubscribe);
    CHECK(got.x_autoreply == want.x_autoreply);
    CHECK(got.x_autorespond == want.x_autorespond);
    CHECK(got.return_path == want.return_path);
    CHECK(got.content_type == want.content_type);
    CHECK(got.content_language == want.content_language);
    CHECK(got.x_mailer == want.x_mailer);
    CHECK(got.is_report == want.is_report);
    CHECK(got.body_from_html == want.body_from_html);
    CHECK(got.attachment_count == want.attachment_count);
    if (with_text) {
        CHECK(got.new_text == want.new_text);
        CHECK(got.quoted == want.quoted);
        CHECK(got.signature == want.signature);
    } else {
        CHECK(got.new_text.empty());
        CHECK(got.quoted.empty());
        CHECK(got.signature.empty());
    }
    CHECK(got.body_text.empty());
    CHECK(got.signature_name == want.signature_name);
    CHECK(got.signature_title == want.signature_title);
    CHECK(got.automated == want.automated);
    CHECK(got.automated_reason == want.automated_reason);
    CHECK(got.ooo_until == want.ooo_until);
    CHECK(got.expects_reply == want.expects_reply);
    REQUIRE(got.cues.size() == want.cues.size());
    for (size_t i = 0; i < got.cues.size(); ++i) {
        CHECK(got.cues[i].family == want.cues[i].family);
        CHECK(got.cues[i].text == want.cues[i].text);
    }
    CHECK(got.lang == want.lang);
    CHECK(got.source.path == want.source.path);
    CHECK(got.source.offset == want.source.offset);
    CHECK(got.source.length == want.source.length);
    CHECK(got.source.folder == want.source.folder);
    CHECK(got.flags.seen == want.flags.seen);
    CHECK(got.flags.replied == want.flags.replied);
    CHECK(got.flags.flagged == want.flags.flagged);
    CHECK(got.flags.draft == want.flags.draft);
    CHECK(got.flags.trashed == want.flags.trashed);
    CHECK(got.flags.passed == want.flags.passed);
    REQUIRE(got.warnings.size() == want.warnings.size());
    for (size_t i = 0; i < got.warnings.size(); ++i) {
        CHECK(got.warnings[i].code == want.warnings[i].code);
        CHECK(got.warnings[i].detail == want.warnings[i].detail);
        CHECK(got.warnings[i].offset == want.warnings[i].offset);
    }
    CHECK(got.rowid > 0);
}

Message synthetic(int i, int recipients = 3) {
    Message m;
    m.message_id = std::string("msg") + std::to_string(i) + "@synthetic.example";
    if (i > 0) m.in_reply_to = {std::string("msg") + std::to_string(i - 1) + "@synthetic.example"};
    for (int r = std::max(0, i - 3); r < i; ++r) m.references.push_back(std::string("msg") + std::to_string(r) + "@synthetic.example");
    m.from = {std::string("Sender ") + std::to_string(i % 97), std::string("s") + std::to_string(i % 97) + "@acme.com"};
    for (int r = 0; r < recipients; ++r)
        m.to.push_back({"", std::string("r") + std::to_string((i + r) % 500) + "@client" + std::to_string(i % 24) + ".fr"});
    m.subject = std::string("Subject number ") + std::to_string(i / 5);
    m.date = 1600000000 + int64_t(i) * 60;
    m.date_source = DateSource::header;
    m.new_text = "Bonjour, pourriez-vous confirmer la proposition " + std::to_string(i) + " ?\n";
    m.quoted = "> previous message text\n> on two lines\n";
    m.signature = "-- \nSender\nSales\n";
    m.expects_reply = i % 2 == 0;
    if (i % 3 == 0) m.cues = {{"request", "pourriez-vous"}};
    m.lang = "fr";
    m.source = {"/mail/synthetic.mbox", int64_t(i) * 2000, 1999, i % 2 ? "INBOX" : "Sent"};
    return m;
}

// A deliberately naive mbox splitter, enough to turn real mail into stored rows without
// depending on the parsers: "From " lines separate messages, the headers end at the first
// empty line, the rest is the body.
std::vector<Message> naive_mbox(const std::string& path, const std::string& folder) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<size_t> starts;
    for (size_t p = 0; p < data.size();) {
        if (data.compare(p, 5, "From ") == 0) starts.push_back(p);
        size_t nl = data.find('\n', p);
        if (nl == std::string::npos) break;
        p = nl + 1;
    }
    std::vector<Message> out;
    for (size_t k = 0; k < starts.size(); ++k) {
        size_t begin = starts[k], end = k + 1 < starts.size() ? starts[k + 1] : data.size();
        std::string raw = data.substr(begin, end - begin);
        size_t hdr_end = raw.find("\n\n");
        std::string headers = raw.substr(0, hdr_end == std::string::npos ? raw.size() : hdr_end);
        Message m;
        std::istringstream hs(headers);
        std::string line;
        auto value_of = [](const std::string& l) {
            size_t colon = l.find(':');
            std::string v = l.substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
            if (!v.empty() && v.back() == '\r') v.pop_back();
            return v;
        };
        while (std::getline(hs, line)) {
            std::string lower = line.substr(0, std::min<size_t>(line.size(), 12));
            for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
            if (lower.rfind("message-id:", 0) == 0) {
                std::string v = value_of(line);
                if (v.size() > 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
                m.message_id = v;
            } else if (lower.rfind("subject:", 0) == 0) {
                m.subject = value_of(line);
            } else if (lower.rfind("from:", 0) == 0) {
                m.from.address = value_of(line);
            } else if (lower.rfind("to:", 0) == 0) {
                std::stringstream ts(value_of(line));
                std::string a;
                while (std::getline(ts, a, ',')) {
                    while (!a.empty() && a.front() == ' ') a.erase(0, 1);
                    if (!a.empty()) m.to.push_back({"", a});
                }
            } else if (lower.rfind("x-mailer:", 0) == 0) {
                m.x_mailer = value_of(line);
            }
        }
        if (m.message_id.empty()) continue;
        if (hdr_end != std::string::npos) m.new_text = raw.substr(hdr_end + 2);
        m.source = {path, int64_t(begin), int64_t(end - begin), folder};
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace

TEST_CASE("every field of a fully populated message round-trips", "[store.roundtrip]") {
    TempDir dir;
    auto store = open_rw(dir.db());
    Message full = full_message();
    Message empty;  // defaults everywhere: empty lists, no From, no optional values
    empty.message_id = "bare@x";
    Message one_empty_ref;  // a list holding one empty id is not an empty list
    one_empty_ref.message_id = "one-empty@x";
    one_empty_ref.references = {""};
    one_empty_ref.in_reply_to = {"\\"};
    one_empty_ref.cues = {{"", ""}};
    one_empty_ref.warnings = {{"", "", 0}};

    for (const Message* m : {&full, &empty, &one_empty_ref}) {
        auto r = store->insert_message(*m);
        REQUIRE(r.ok());
        CHECK(*r == InsertOutcome::inserted);
    }

    auto all = store->load_messages();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 3);
    check_same((*all)[0], full);
    check_same((*all)[1], empty);
    check_same((*all)[2], one_empty_ref);
    CHECK((*all)[0].folders == std::vector<std::string>{full.source.folder});
    CHECK((*all)[1].folders.empty());
    CHECK((*all)[0].rowid < (*all)[1].rowid);

    auto light = store->load_messages(LoadOptions{false});
    REQUIRE(light.ok());
    REQUIRE(light->size() == 3);
    check_same((*light)[0], full, false);

    // Without the quoted history (what analyze, digest and the service load): everything else
    // is there, the quoted part is not.
    REQUIRE(!full.quoted.empty());
    LoadOptions no_quotes;
    no_quotes.with_quoted = false;
    auto unquoted = store->load_messages(no_quotes);
    REQUIRE(unquoted.ok());
    REQUIRE(unquoted->size() == 3);
    CHECK((*unquoted)[0].quoted.empty());
    CHECK((*unquoted)[0].new_text == full.new_text);
    CHECK((*unquoted)[0].signature == full.signature);
    Message expected = full;
    expected.quoted.clear();
    check_same((*unquoted)[0], expected);

    auto found = store->find_message(full.message_id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    check_same(**found, full);
    CHECK((**found).rowid == (*all)[0].rowid);
    CHECK((**found).folders == (*all)[0].folders);

    auto rowid = store->message_rowid(full.message_id);
    REQUIRE(rowid.ok());
    CHECK(*rowid == (*all)[0].rowid);

    auto missing = store->find_message("nope@x");
    REQUIRE(missing.ok());
    CHECK(!missing->has_value());

    Message no_id;
    auto bad = store->insert_message(no_id);
    REQUIRE(!bad.ok());
    CHECK(bad.error().code == ErrorCode::usage);
}

TEST_CASE("a duplicate Message-ID keeps the first copy and remembers both folders", "[store.duplicate]") {
    TempDir dir;
    auto store = open_rw(dir.db());
    Message first = synthetic(1);
    first.source.folder = "INBOX";
    Message again = first;
    again.subject = "a later copy with another subject";
    again.source = {"/mail/sent.mbox", 42, 10, "Sent"};

    REQUIRE(*store->insert_message(first) == InsertOutcome::inserted);
    REQUIRE(*store->insert_message(again) == InsertOutcome::duplicate);
    // Re-ingesting the same copies changes nothing.
    REQUIRE(*store->insert_message(first) == InsertOutcome::duplicate);
    REQUIRE(*store->insert_message(again) == InsertOutcome::duplicate);

    auto counts = store->counts();
    REQUIRE(counts.ok());
    CHECK(counts->messages == 1);
    CHECK(store->count_mailboxes().value() == 1 + int64_t(first.to.size()));

    auto all = store->load_messages();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 1);
    check_same((*all)[0], first);
    CHECK((*all)[0].folders == std::vector<std::string>{"INBOX", "Sent"});
    auto found = store->find_message(first.message_id);
    REQUIRE(found.ok());
    CHECK((**found).folders == std::vector<std::string>{"INBOX", "Sent"});
}

TEST_CASE("real Enron mbox folders: every distinct Message-ID stored once, with its folders", "[store.corpus]") {
    const std::string base = std::string(ILC_CORPORA) + "/enron-mbox/enron.allen-p.";
    std::vector<std::pair<std::string, std::string>> folders = {
        {"_sent_mail", "_sent_mail"}, {"sent", "sent"}, {"sent_items", "sent_items"}, {"inbox", "inbox"},
        // The same file again under another folder name, as when a mailbox export holds a
        // copy of the sent folder: every message is a duplicate that gains a folder.
        {"_sent_mail", "archive"}};
    TempDir dir;
    auto store = open_rw(dir.db());
    std::map<std::string, Message> first_copy;
    std::map<std::string, std::vector<std::string>> seen_in;
    size_t total = 0, dup = 0;
    REQUIRE(store->begin_batch().ok());
    for (const auto& [suffix, folder] : folders) {
        auto msgs = naive_mbox(base + suffix, folder);
        REQUIRE(!msgs.empty());
        for (auto& m : msgs) {
            ++total;
            auto r = store->insert_message(m);
            REQUIRE(r.ok());
            bool is_new = first_copy.emplace(m.message_id, m).second;
            CHECK((*r == InsertOutcome::inserted) == is_new);
            if (!is_new) ++dup;
            auto& f = seen_in[m.message_id];
            if (std::find(f.begin(), f.end(), folder) == f.end()) f.push_back(folder);
        }
    }
    REQUIRE(store->commit_batch().ok());
    store.reset();

    auto ro = open_ro(dir.db());
    auto all = ro->load_messages();
    REQUIRE(all.ok());
    REQUIRE(all->size() == first_copy.size());
    size_t multi = 0;
    for (const Message& m : *all) {
        check_same(m, first_copy.at(m.message_id));
        CHECK(m.folders == seen_in.at(m.message_id));
        if (m.folders.size() > 1) ++multi;
    }
    CHECK(dup > 0);
    CHECK(multi > 0);
    WARN("Enron allen-p: " << total << " messages read, " << all->size() << " distinct, " << dup
                           << " duplicates, " << multi << " seen in several folders");
}

TEST_CASE("data persists across reopen; meta lists; read-only stores refuse writes", "[store.persist]") {
    TempDir dir;
    {
        auto store = open_rw(dir.db());
        REQUIRE(store->insert_message(full_message()).ok());
        REQUIRE(store->set_owner_addresses({"rep@acme.com", "rep.alias@acme.com"}).ok());
        REQUIRE(store->set_internal_domains({"acme.com"}).ok());
        REQUIRE(store->set_meta("last_ingest", "2024-01-02").ok());
        CHECK(!store->set_meta("schema_version", "7").ok());
    }
    auto store = open_ro(dir.db());
    auto msgs = store->load_messages();
    REQUIRE(msgs.ok());
    REQUIRE(msgs->size() == 1);
    check_same((*msgs)[0], full_message());
    CHECK(*store->owner_addresses() == std::vector<std::string>{"rep@acme.com", "rep.alias@acme.com"});
    CHECK(*store->internal_domains() == std::vector<std::string>{"acme.com"});
    CHECK(**store->get_meta("last_ingest") == "2024-01-02");
    CHECK(**store->get_meta("schema_version") == std::to_string(schema_version()));
    auto created = store->get_meta("created_at");
    REQUIRE(created.ok());
    REQUIRE(created->has_value());
    CHECK((*created)->size() == 20);  // 2024-01-02T03:04:05Z
    CHECK(!store->get_meta("nothing")->has_value());

    auto w = store->insert_message(synthetic(5));
    REQUIRE(!w.ok());
    CHECK(w.error().code == ErrorCode::usage);
    CHECK(!store->begin_batch().ok());
    CHECK(!store->set_owner_addresses({"x@y"}).ok());
    CHECK(!store->record_issue({"p", 1, "", "c", "d"}).ok());
}

TEST_CASE("source progress is stored for resume and committed with its messages", "[store.resume]") {
    TempDir dir;
    SourceProgress p;
    p.path = "/mail/big.mbox";
    p.kind = "mbox";
    p.size = 5'000'000'000LL;
    p.mtime = 1700000000;
    p.done_offset = 123456;
    p.message_count = 10;
    {
        auto store = open_rw(dir.db());
        CHECK(!store->source_progress(p.path)->has_value());
        WriteBatch batch(*store);
        REQUIRE(batch.status().ok());
        for (int i = 0; i < 10; ++i) REQUIRE(store->insert_message(synthetic(i)).ok());
        REQUIRE(store->set_source_progress(p).ok());
        REQUIRE(batch.commit().ok());

        // An interrupted batch (the ingest is killed before it commits) loses its messages and
        // its progress together, so the resumed run starts exactly where the last commit was.
        WriteBatch lost(*store);
        REQUIRE(lost.status().ok());
        for (int i = 10; i < 20; ++i) REQUIRE(store->insert_message(synthetic(i)).ok());
        SourceProgress later = p;
        later.done_offset = 999999;
        later.message_count = 20;
        REQUIRE(store->set_source_progress(later).ok());
        // `lost` goes out of scope uncommitted.
    }
    {
        auto store = open_rw(dir.db());
        auto got = store->source_progress(p.path);
        REQUIRE(got.ok());
        REQUIRE(got->has_value());
        const SourceProgress& g = **got;
        CHECK(g.kind == "mbox");
        CHECK(g.size == p.size);
        CHECK(g.mtime == p.mtime);
        CHECK(g.done_offset == 123456);
        CHECK(g.message_count == 10);
        CHECK(!g.completed);
        CHECK(g.updated_at > 0);
        CHECK(store->counts()->messages == 10);

        SourceProgress imap;
        imap.path = "imaps://rep@mail.acme.com/INBOX";
        imap.kind = "imap";
        imap.uidvalidity = 1234567890;
        imap.last_uid = 4242;
        imap.completed = true;
        imap.last_file = "unused";
        REQUIRE(store->set_source_progress(imap).ok());
        SourceProgress done = g;
        done.completed = true;
        done.done_offset = p.size;
        REQUIRE(store->set_source_progress(done).ok());
    }
    auto store = open_ro(dir.db());
    auto all = store->list_sources();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].path == p.path);
    CHECK((*all)[0].completed);
    CHECK((*all)[0].done_offset == p.size);
    CHECK((*all)[1].uidvalidity == 1234567890);
    CHECK((*all)[1].last_uid == 4242);
    CHECK((*all)[1].last_file == "unused");
    CHECK(store->counts()->sources == 2);
}

TEST_CASE("ingest issues are recorded once per position and listed", "[store.issues]") {
    TempDir dir;
    auto store = open_rw(dir.db());
    IngestIssue a{"/mail/a.mbox", 1024, "", "truncated", "the file ends inside a message"};
    IngestIssue b{"/mail/a.mbox", 2048, "x@y", "no_date", "no Date header; used the From line"};
    REQUIRE(store->record_issue(a).ok());
    REQUIRE(store->record_issue(b).ok());
    REQUIRE(store->record_issue(a).ok());  // re-ingest of the same source
    auto issues = store->list_issues();
    REQUIRE(issues.ok());
    REQUIRE(issues->size() == 2);
    CHECK((*issues)[0].offset == 1024);
    CHECK((*issues)[0].message_id.empty());
    CHECK((*issues)[1].message_id == "x@y");
    CHECK((*issues)[1].code == "no_date");
    CHECK((*issues)[1].detail == b.detail);
    CHECK(store->counts()->issues == 2);
}

TEST_CASE("a reader sees only committed snapshots while a writer inserts", "[store.concurrency]") {
    TempDir dir;
    const std::string path = dir.db();
    constexpr int kBatches = 40, kPerBatch = 250, kRecipients = 3;
    auto writer = open_rw(path);
    auto reader = open_ro(path);

    std::atomic<bool> done{false};
    std::string writer_error;
    std::thread t([&] {
        for (int b = 0; b < kBatches && writer_error.empty(); ++b) {
            WriteBatch batch(*writer);
            if (!batch.status().ok()) { writer_error = batch.status().error().to_string(); break; }
            for (int i = 0; i < kPerBatch; ++i) {
                auto r = writer->insert_message(synthetic(b * kPerBatch + i, kRecipients));
                if (!r.ok()) { writer_error = r.error().to_string(); break; }
            }
            auto st = batch.commit();
            if (!st.ok()) writer_error = st.error().to_string();
        }
        done = true;
    });

    int loads = 0;
    size_t last = 0;
    bool consistent = true;
    std::string failure;
    while (!done || loads == 0) {
        auto all = reader->load_messages(LoadOptions{false});
        if (!all.ok()) { failure = all.error().to_string(); break; }
        ++loads;
        // A snapshot holds whole batches, in order, each message with all its recipients.
        if (all->size() % kPerBatch != 0 || all->size() < last) consistent = false;
        last = all->size();
        for (size_t i = 0; i < all->size(); ++i) {
            const Message& m = (*all)[i];
            if (m.message_id != synthetic(int(i)).message_id || m.to.size() != size_t(kRecipients) ||
                m.from.address.empty())
                consistent = false;
        }
        auto c = reader->counts();
        if (!c.ok()) { failure = c.error().to_string(); break; }
        if (c->messages % kPerBatch != 0) consistent = false;
        // One statement, one snapshot: whole batches of messages with all their mailboxes.
        auto n = reader->count_mailboxes();
        if (!n.ok()) { failure = n.error().to_string(); break; }
        if (*n % (kPerBatch * (kRecipients + 1)) != 0) consistent = false;
    }
    t.join();
    REQUIRE(writer_error.empty());
    REQUIRE(failure.empty());
    CHECK(consistent);
    CHECK(loads > 1);
    auto final_load = reader->load_messages(LoadOptions{false});
    REQUIRE(final_load.ok());
    CHECK(final_load->size() == size_t(kBatches * kPerBatch));
    WARN("reader loaded " << loads << " consistent snapshots while the writer ran");
}

TEST_CASE("a second writer is refused with a clear message; readers keep working", "[store.lock]") {
    TempDir dir;
    auto writer = open_rw(dir.db());
    REQUIRE(writer->insert_message(synthetic(1)).ok());

    auto second = Store::open(dir.db(), OpenMode::read_write);
    REQUIRE(!second.ok());
    CHECK(second.error().code == ErrorCode::db_locked);
    CHECK_THAT(second.error().to_string(),
               Catch::Contains("database locked — is another interlocutor ingest or serve running?"));

    // Another process: the lock is per open file, so a forked child is refused the same way.
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto s = Store::open(dir.db(), OpenMode::read_write);
        ::_exit(!s.ok() && s.error().code == ErrorCode::db_locked ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    auto reader = open_ro(dir.db());
    CHECK(reader->counts()->messages == 1);

    writer.reset();
    auto now_ok = Store::open(dir.db(), OpenMode::read_write);
    CHECK(now_ok.ok());
}

TEST_CASE("schema versions: newer refused, foreign files refused, missing file reported", "[store.schema]") {
    TempDir dir;
    CHECK(schema_version() >= 1);

    SECTION("a database written by a newer interlocutor") {
        {
            auto s = open_rw(dir.db());
        }
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
        std::string sql = "UPDATE meta SET value='" + std::to_string(schema_version() + 1) + "' WHERE key='schema_version'";
        REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
            auto s = Store::open(dir.db(), mode);
            REQUIRE(!s.ok());
            CHECK(s.error().code == ErrorCode::schema);
            CHECK_THAT(s.error().message, Catch::Contains("newer interlocutor"));
            CHECK_THAT(s.error().hint, Catch::Contains("upgrade interlocutor"));
        }
    }
    SECTION("an SQLite file that is not ours") {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        auto s = Store::open(dir.db(), OpenMode::read_write);
        REQUIRE(!s.ok());
        CHECK(s.error().code == ErrorCode::schema);
        CHECK_THAT(s.error().message, Catch::Contains("not an interlocutor store"));
    }
    SECTION("a file that is not a database at all") {
        std::ofstream(dir.db()) << "From someone Mon Jan 1 00:00:00 2024\nSubject: not a db\n\n"
                                << std::string(5000, 'x');
        auto s = Store::open(dir.db(), OpenMode::read_write);
        REQUIRE(!s.ok());
        CHECK(s.error().code == ErrorCode::db);
        CHECK_THAT(s.error().hint, Catch::Contains("not an interlocutor database"));
    }
    SECTION("a missing file opened read-only, a missing directory opened read-write") {
        auto s = Store::open(dir.db("missing.db"), OpenMode::read_only);
        REQUIRE(!s.ok());
        CHECK(s.error().code == ErrorCode::not_found);
        CHECK_THAT(s.error().hint, Catch::Contains("ingest"));
        std::ofstream(dir.db("empty.db")).flush();  // an empty file is a database without a schema
        auto e = Store::open(dir.db("empty.db"), OpenMode::read_only);
        REQUIRE(!e.ok());
        CHECK(e.error().code == ErrorCode::not_found);
        CHECK(Store::open(dir.db("empty.db"), OpenMode::read_write).ok());
        auto w = Store::open((dir.path / "no" / "such" / "dir.db").string(), OpenMode::read_write);
        REQUIRE(!w.ok());
        CHECK(w.error().code == ErrorCode::io);
    }
}

TEST_CASE("default_db_path follows XDG_DATA_HOME and creates private directories", "[store.path]") {
    TempDir dir;
    const char* old_xdg = std::getenv("XDG_DATA_HOME");
    const char* old_home = std::getenv("HOME");
    std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";

    std::string xdg = (dir.path / "xdg").string();
    ::setenv("XDG_DATA_HOME", xdg.c_str(), 1);
    CHECK(default_db_path() == xdg + "/interlocutor/interlocutor.db");
    struct stat sb {};
    REQUIRE(::stat((xdg + "/interlocutor").c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0700);

    // A relative XDG_DATA_HOME is ignored, as the XDG spec says.
    ::setenv("XDG_DATA_HOME", "relative/dir", 1);
    ::setenv("HOME", dir.path.c_str(), 1);
    CHECK(default_db_path() == dir.path.string() + "/.local/share/interlocutor/interlocutor.db");
    CHECK(fs::is_directory(dir.path / ".local/share/interlocutor"));

    if (old_xdg) ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1); else ::unsetenv("XDG_DATA_HOME");
    if (old_home) ::setenv("HOME", saved_home.c_str(), 1); else ::unsetenv("HOME");
}

TEST_CASE("100k synthetic messages: batch insert and full load timings", "[store.perf]") {
    TempDir dir;
    constexpr int kCount = 100'000;
    std::vector<Message> msgs;
    msgs.reserve(kCount);
    for (int i = 0; i < kCount; ++i) msgs.push_back(synthetic(i, 1 + i % 5));

    auto store = open_rw(dir.db());
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    std::clock_t c0 = std::clock();  // CPU time too: the machine is shared, wall time is noisy
    REQUIRE(store->begin_batch().ok());
    for (int i = 0; i < kCount; ++i) {
        auto r = store->insert_message(msgs[size_t(i)]);
        REQUIRE(r.ok());
        if (i > 0 && i % 20'000 == 0) {  // large transactions, as ingest does
            REQUIRE(store->commit_batch().ok());
            REQUIRE(store->begin_batch().ok());
        }
    }
    REQUIRE(store->commit_batch().ok());
    double insert_s = std::chrono::duration<double>(clock::now() - t0).count();
    double insert_cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    store.reset();

    auto ro = open_ro(dir.db());
    t0 = clock::now();
    auto all = ro->load_messages();
    double load_s = std::chrono::duration<double>(clock::now() - t0).count();
    REQUIRE(all.ok());
    t0 = clock::now();
    auto light = ro->load_messages(LoadOptions{false});
    double light_s = std::chrono::duration<double>(clock::now() - t0).count();
    REQUIRE(light.ok());

    REQUIRE(all->size() == size_t(kCount));
    REQUIRE(light->size() == size_t(kCount));
    for (int i : {0, 1, 4999, 77777, kCount - 1}) {
        check_same((*all)[size_t(i)], msgs[size_t(i)]);
        check_same((*light)[size_t(i)], msgs[size_t(i)], false);
    }
    WARN("store perf (" << kCount << " messages): insert " << insert_s << " s = " << int(kCount / insert_s)
                        << " msg/s (CPU " << insert_cpu << " s = " << int(kCount / insert_cpu)
                        << " msg/s); load with text " << load_s << " s; load without text " << light_s
                        << " s; file " << fs::file_size(dir.db()) / 1024 / 1024 << " MiB");
}

TEST_CASE("full loads span many pipelined batches: same rows as one-by-one reads", "[store.pipeline]") {
    // load_messages and scan_thread_rows step SQLite on a reader thread and decode batches on the
    // caller's (docs/PERFORMANCE.md): the batch edges must not lose or misplace a recipient or a
    // folder. 6,000 messages (several batches of every scan), a few with no recipients, extra
    // folders from duplicates, and a large text that ends a messages batch early by its bytes.
    TempDir dir;
    constexpr int kCount = 6000;
    std::vector<Message> msgs;
    {
        auto store = open_rw(dir.db());
        REQUIRE(store->begin_batch().ok());
        for (int i = 0; i < kCount; ++i) {
            Message m = synthetic(i, i % 7);
            if (i % 250 == 0) m.from = {};
            if (i == 1234) m.new_text.assign(5u << 20, 'x');
            REQUIRE(store->insert_message(m).ok());
            msgs.push_back(m);
        }
        for (int i = 0; i < kCount; i += 97) {  // the same message seen again in another folder
            Message again = msgs[size_t(i)];
            again.source.folder = "Archive";
            REQUIRE(store->insert_message(again).ok());
        }
        REQUIRE(store->commit_batch().ok());
    }
    for (OpenMode mode : {OpenMode::read_only, OpenMode::read_write}) {  // mapped and not mapped
        std::unique_ptr<Store> s = mode == OpenMode::read_only ? open_ro(dir.db()) : open_rw(dir.db());
        auto all = s->load_messages();
        REQUIRE(all.ok());
        REQUIRE(all->size() == size_t(kCount));
        for (size_t i = 0; i < all->size(); ++i) {
            const Message& got = (*all)[i];
            INFO("message " << i);
            check_same(got, msgs[i]);
            auto one = s->find_message(got.message_id);
            REQUIRE(one.ok());
            REQUIRE(one->has_value());
            REQUIRE((**one).folders == got.folders);
            REQUIRE((**one).rowid == got.rowid);
            REQUIRE(got.folders.size() == (i % 97 == 0 ? 2u : 1u));
        }
        LoadOptions lo;
        lo.detector_columns_only = true;
        lo.with_quoted = false;
        auto light = s->load_messages(lo);
        REQUIRE(light.ok());
        REQUIRE(light->size() == size_t(kCount));
        for (size_t i = 0; i < light->size(); ++i) {
            REQUIRE((*light)[i].to.size() == msgs[i].to.size());
            REQUIRE((*light)[i].from.address == msgs[i].from.address);
            REQUIRE((*light)[i].folders.empty());
        }

        auto rows = s->load_thread_rows();
        REQUIRE(rows.ok());
        REQUIRE(rows->size() == size_t(kCount));
        for (size_t batch : {size_t(1), size_t(7), size_t(4096), size_t(100000)}) {
            size_t k = 0;
            auto st = s->scan_thread_rows(batch, [&](std::vector<ThreadRow>& b, size_t total) {
                REQUIRE(total == size_t(kCount));
                REQUIRE(b.size() <= batch);
                for (const ThreadRow& r : b) {
                    const ThreadRow& want = (*rows)[k];
                    const Message& m = msgs[k++];
                    REQUIRE(r.message_id == m.message_id);
                    REQUIRE(r.references == m.references);
                    REQUIRE(r.in_reply_to == m.in_reply_to);
                    REQUIRE(r.participants == want.participants);
                    REQUIRE(r.from_display == want.from_display);
                    REQUIRE(r.participants.size() == (m.from.address.empty() ? 0u : 1u) + m.to.size());
                }
            });
            REQUIRE(st.ok());
            CHECK(k == size_t(kCount));
        }
    }
}

TEST_CASE("list columns decode the same with and without escapes, hand-edited rows included", "[store.codec]") {
    // decode_list / decode_cues take a fast path when a value holds no backslash; rows written by
    // hand (a raw tab inside an item, a trailing newline, empty items) decode as the escape-aware
    // loop decodes them. Each value is stored twice: as is, and with a harmless "\\\\" item
    // appended that sends it down the escape-aware loop.
    TempDir dir;
    { auto store = open_rw(dir.db()); }
    const std::vector<std::string> raw = {"a@x", "a@x\nb@x", "a@x\n", "\n", "a@x\tjunk\nb@x", "\ta@x", "a@x\n\nb@x",
                                          "x\t\t\n\ty"};
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO messages(message_id, refs, cues) VALUES(?, ?, ?)", -1, &st,
                                   nullptr) == SQLITE_OK);
        for (size_t i = 0; i < raw.size(); ++i)
            for (int escaped = 0; escaped < 2; ++escaped) {
                std::string id = "m" + std::to_string(i) + (escaped ? "e" : "") + "@x";
                std::string v = escaped ? raw[i] + "\n\\\\" : raw[i];
                sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 3, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
                REQUIRE(sqlite3_step(st) == SQLITE_DONE);
                sqlite3_reset(st);
            }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    auto ro = open_ro(dir.db());
    auto all = ro->load_messages();
    REQUIRE(all.ok());
    REQUIRE(all->size() == raw.size() * 2);
    for (size_t i = 0; i < raw.size(); ++i) {
        INFO("value " << i);
        const Message& plain = (*all)[2 * i];
        const Message& escaped = (*all)[2 * i + 1];
        std::vector<std::string> refs = escaped.references;
        REQUIRE(!refs.empty());
        CHECK(refs.back() == "\\");
        refs.pop_back();
        CHECK(plain.references == refs);
        std::vector<Message::Cue> cues = escaped.cues;
        REQUIRE(!cues.empty());
        cues.pop_back();
        REQUIRE(plain.cues.size() == cues.size());
        for (size_t k = 0; k < cues.size(); ++k) {
            CHECK(plain.cues[k].family == cues[k].family);
            CHECK(plain.cues[k].text == cues[k].text);
        }
    }
    // The escape-aware loop's reading of a raw tab: the item ends there (a list has one field).
    CHECK((*all)[8].references == std::vector<std::string>{"a@x", "b@x"});
    CHECK((*all)[4].references == std::vector<std::string>{"a@x", ""});
    REQUIRE((*all)[14].cues.size() == 2);
    CHECK((*all)[14].cues[0].family == "x");
    CHECK((*all)[14].cues[0].text == "");
    CHECK((*all)[14].cues[1].family == "");
    CHECK((*all)[14].cues[1].text == "y");
}

TEST_CASE("list, cue and warning columns are stored with the byte-by-byte escaping", "[store.codec]") {
    // The encoder appends the runs between escaped characters whole (and a field with nothing to
    // escape in one go): the stored bytes must be those of escaping one byte at a time.
    auto escape = [](const std::string& s) {
        std::string out;
        for (char c : s) {
            if (c == '\\') out += "\\\\";
            else if (c == '\n') out += "\\n";
            else if (c == '\t') out += "\\t";
            else out += c;
        }
        return out;
    };
    const std::vector<std::string> items = {"plain@x", "\\lead", "trail\\", "mid\\dle", "\n\t\\", "a\n\nb\t\tc\\\\d",
                                            "", "caf\xc3\xa9 \xff", std::string(300, 'x') + "\t" + std::string(70, 'y')};
    Message m;
    m.message_id = "escapes@x";
    m.references = items;
    for (size_t i = 0; i + 1 < items.size(); ++i) m.cues.push_back({items[i], items[i + 1]});
    m.warnings.push_back({"code\\1", "detail\twith\ntabs", 42});
    m.warnings.push_back({"plain", "", -1});
    TempDir dir;
    {
        auto store = open_rw(dir.db());
        REQUIRE(*store->insert_message(m) == InsertOutcome::inserted);
    }
    std::string refs, cues, warnings;
    for (size_t i = 0; i < items.size(); ++i) refs += (i ? "\n" : "") + escape(items[i]);
    for (size_t i = 0; i < m.cues.size(); ++i)
        cues += (i ? "\n" : "") + escape(m.cues[i].family) + "\t" + escape(m.cues[i].text);
    warnings = escape("code\\1") + "\t42\t" + escape("detail\twith\ntabs") + "\n" + "plain\t-1\t";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT refs, cues, warnings FROM messages", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    auto col = [&](int i) {
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)), size_t(sqlite3_column_bytes(st, i)));
    };
    CHECK(col(0) == refs);
    CHECK(col(1) == cues);
    CHECK(col(2) == warnings);
    sqlite3_finalize(st);
    sqlite3_close(db);
    auto ro = open_ro(dir.db());
    auto all = ro->load_messages();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 1);
    CHECK((*all)[0].references == items);
}

namespace {

// Mailboxes the version-2 column must give back exactly: empty names and addresses, duplicates,
// the separators of the encoding, "\e", bytes that are not UTF-8, a From with only a name, a
// Sender with only an address, and more To entries than fit a statement of version 1's rows.
Message odd_mailboxes(const std::string& id) {
    Message m;
    m.message_id = id;
    m.from = {"Only a name, no address", ""};
    m.sender = {"", "sender-only-address@x"};
    m.reply_to = {{"", ""}, {"\\e", "\\e"}, {"", ""}};
    for (int i = 0; i < 11; ++i) m.to.push_back({i % 2 ? "" : "To " + std::to_string(i), "to" + std::to_string(i % 4) + "@x"});
    m.to.push_back({"Tab\tName\nNewline\\Back", "a\tb\nc\\d@x"});
    m.to.push_back({"\xff\xfe latin1 caf\xe9", "\xc3\xa9t\xc3\xa9@x"});
    m.cc = {{"Dup", "dup@x"}, {"Dup", "dup@x"}, {"", "dup@x"}, {"f\tnot a role", "t"}};
    m.bcc = {{"", "\n"}, {"\t", ""}};
    return m;
}

}  // namespace

TEST_CASE("mailboxes round-trip exactly through the one mailboxes column", "[store.mailboxes]") {
    TempDir dir;
    std::vector<Message> msgs = {odd_mailboxes("odd@x"), Message{}, Message{}, Message{}};
    msgs[1].message_id = "none@x";                     // no mailbox at all: the column is NULL
    msgs[2].message_id = "empty-from@x";               // an empty From is absent, To kept
    msgs[2].to = {{"", ""}};
    msgs[3] = synthetic(3, 2);
    {
        auto store = open_rw(dir.db());
        for (const Message& m : msgs) REQUIRE(*store->insert_message(m) == InsertOutcome::inserted);
        CHECK(store->count_mailboxes().value() == 2 + 3 + 13 + 4 + 2 + 1 + 3);
    }
    // The stored bytes: one record per mailbox, "<role>\t<address>[\t<name>]", escaped as the lists.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT mailboxes FROM messages ORDER BY id", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string odd(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), size_t(sqlite3_column_bytes(st, 0)));
    const std::string head = "f\t\tOnly a name, no address\ns\tsender-only-address@x\nr\t\nr\t\\\\e\t\\\\e\nr\t\nt\tto0@x\tTo 0\n";
    CHECK(odd.substr(0, head.size()) == head);
    CHECK(odd.find("t\ta\\tb\\nc\\\\d@x\tTab\\tName\\nNewline\\\\Back\n") != std::string::npos);
    const std::string tail = "\nb\t\\n\nb\t\t\\t";
    CHECK(odd.substr(odd.size() - tail.size()) == tail);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_type(st, 0) == SQLITE_NULL);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "t\t");
    sqlite3_finalize(st);
    sqlite3_close(db);

    for (OpenMode mode : {OpenMode::read_only, OpenMode::read_write}) {
        std::unique_ptr<Store> s = mode == OpenMode::read_only ? open_ro(dir.db()) : open_rw(dir.db());
        auto all = s->load_messages();
        REQUIRE(all.ok());
        REQUIRE(all->size() == msgs.size());
        for (size_t i = 0; i < msgs.size(); ++i) {
            INFO("message " << i);
            check_same((*all)[i], msgs[i]);
            auto one = s->find_message(msgs[i].message_id);
            REQUIRE(one.ok());
            REQUIRE(one->has_value());
            check_same(**one, msgs[i]);
        }
        LoadOptions lo;
        lo.detector_columns_only = true;
        auto light = s->load_messages(lo);
        REQUIRE(light.ok());
        check_mailboxes((*light)[0].to, msgs[0].to);
        check_mailboxes((*light)[0].bcc, msgs[0].bcc);
        // Threading: From, To, Cc addresses, each once, non-empty; the From's name for display.
        auto rows = s->load_thread_rows();
        REQUIRE(rows.ok());
        REQUIRE(rows->size() == msgs.size());
        CHECK((*rows)[0].participants ==
              std::vector<std::string>{"to0@x", "to1@x", "to2@x", "to3@x", "a\tb\nc\\d@x", "\xc3\xa9t\xc3\xa9@x",
                                       "dup@x", "t"});
        CHECK((*rows)[0].from_display == "Only a name, no address");
        CHECK((*rows)[1].participants.empty());
        CHECK((*rows)[1].from_display.empty());
        CHECK((*rows)[2].participants.empty());
        CHECK((*rows)[3].participants == std::vector<std::string>{msgs[3].from.address, msgs[3].to[0].address,
                                                                  msgs[3].to[1].address});
        CHECK((*rows)[3].from_display == msgs[3].from.name);
    }
}

namespace {
// One value of a query on the file, through its own read-only connection.
std::string sql_value(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}
}  // namespace

TEST_CASE("a version-1 file is migrated to the mailboxes column, read-only opens ask for it", "[store.migrate]") {
    // A version-1 file as version 1 wrote it (its schema is kMigrations[0], unchanged): messages
    // rows and their recipients rows, inserted out of order, an orphan row, NULL names, bytes
    // that are not UTF-8. Migrated, it must load what a version-2 store given the same messages
    // loads, and hold the same mailboxes column byte for byte.
    TempDir dir;
    const std::string v1 = dir.db("v1.db"), v2 = dir.db("v2.db");
    std::vector<Message> msgs = {odd_mailboxes("odd@x"), synthetic(1, 3), Message{}, synthetic(2, 0)};
    msgs[2].message_id = "no-mailbox@x";
    msgs[3].source.folder = "Sent";
    for (Message& m : msgs) m.date_source = DateSource::header;  // the one date_source the rows below write
    {
        auto store = open_rw(v2);
        for (const Message& m : msgs) REQUIRE(*store->insert_message(m) == InsertOutcome::inserted);
    }
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(v1.c_str(), &db) == SQLITE_OK);
        // Version 1's schema, verbatim: the first migration, which never changes.
        REQUIRE(sqlite3_exec(db, ilc::store::detail::migrations()[0].sql, nullptr, nullptr, nullptr) == SQLITE_OK);
        const char* schema = "INSERT INTO meta VALUES('schema_version', '1'), ('created_at', '2026-01-01T00:00:00Z')";
        REQUIRE(sqlite3_exec(db, schema, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_stmt *msg = nullptr, *rcpt = nullptr, *fold = nullptr;
        REQUIRE(sqlite3_prepare_v2(db,
                                   "INSERT INTO messages(id, message_id, in_reply_to, refs, subject, date, date_source, "
                                   "new_text, quoted, signature, expects_reply, cues, lang, source_path, source_offset, "
                                   "source_length, source_folder) VALUES(?,?,?,?,?,?,'header',?,?,?,?,?,?,?,?,?,?)",
                                   -1, &msg, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO recipients VALUES(?,?,?,?,?)", -1, &rcpt, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO message_folders VALUES(?,?,?,0)", -1, &fold, nullptr) == SQLITE_OK);
        auto text = [](sqlite3_stmt* s, int i, const std::string& v) {
            if (v.empty()) sqlite3_bind_null(s, i); else sqlite3_bind_text(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
        };
        auto list = [](const std::vector<std::string>& v) {  // the ids hold nothing to escape
            std::string out;
            for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
            return out;
        };
        auto add_row = [&](int64_t id, const char* role, int pos, const Mailbox& mb) {
            sqlite3_bind_int64(rcpt, 1, id);
            sqlite3_bind_text(rcpt, 2, role, -1, SQLITE_STATIC);
            sqlite3_bind_int(rcpt, 3, pos);
            sqlite3_bind_text(rcpt, 4, mb.address.data(), int(mb.address.size()), SQLITE_TRANSIENT);
            text(rcpt, 5, mb.name);  // version 1 stored an empty name as NULL
            REQUIRE(sqlite3_step(rcpt) == SQLITE_DONE);
            sqlite3_reset(rcpt);
        };
        // Recipients rows in reverse message order and reverse role order: the primary key, not
        // the insertion order, is what version 1 loaded.
        for (size_t k = msgs.size(); k-- > 0;) {
            const Message& m = msgs[k];
            const int64_t id = int64_t(k) + 1;
            sqlite3_bind_int64(msg, 1, id);
            text(msg, 2, m.message_id);
            text(msg, 3, list(m.in_reply_to));
            text(msg, 4, list(m.references));
            text(msg, 5, m.subject);
            sqlite3_bind_int64(msg, 6, m.date);
            text(msg, 7, m.new_text);
            text(msg, 8, m.quoted);
            text(msg, 9, m.signature);
            sqlite3_bind_int(msg, 10, m.expects_reply ? 1 : 0);
            REQUIRE(m.cues.size() <= 1);
            text(msg, 11, m.cues.empty() ? "" : m.cues[0].family + "\t" + m.cues[0].text);
            text(msg, 12, m.lang);
            text(msg, 13, m.source.path);
            sqlite3_bind_int64(msg, 14, m.source.offset);
            sqlite3_bind_int64(msg, 15, m.source.length);
            text(msg, 16, m.source.folder);
            REQUIRE(sqlite3_step(msg) == SQLITE_DONE);
            sqlite3_reset(msg);
            const std::pair<const char*, const std::vector<Mailbox>*> lists[] = {
                {"bcc", &m.bcc}, {"cc", &m.cc}, {"to", &m.to}, {"reply_to", &m.reply_to}};
            for (const auto& [role, l] : lists)
                for (size_t i = l->size(); i-- > 0;) add_row(id, role, int(i), (*l)[i]);
            if (!m.sender.address.empty() || !m.sender.name.empty()) add_row(id, "sender", 0, m.sender);
            if (!m.from.address.empty() || !m.from.name.empty()) add_row(id, "from", 0, m.from);
            sqlite3_bind_int64(fold, 1, id);
            sqlite3_bind_text(fold, 2, m.source.path.c_str(), int(m.source.path.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(fold, 3, m.source.folder.c_str(), int(m.source.folder.size()), SQLITE_TRANSIENT);
            REQUIRE(sqlite3_step(fold) == SQLITE_DONE);
            sqlite3_reset(fold);
        }
        add_row(99, "to", 0, Mailbox{"Orphan", "orphan@x"});  // no message 99: never loaded, dropped
        sqlite3_finalize(msg);
        sqlite3_finalize(rcpt);
        sqlite3_finalize(fold);
        sqlite3_close(db);
    }

    // A read-only open (analyze, threads, serve) does not write: it asks for one ingest run.
    auto ro = Store::open(v1, OpenMode::read_only);
    REQUIRE(!ro.ok());
    CHECK(ro.error().code == ErrorCode::schema);
    CHECK_THAT(ro.error().message, Catch::Contains("schema version 1"));
    CHECK_THAT(ro.error().hint, Catch::Contains("ingest"));

    // The readers' open upgrades a copy itself (after a package upgrade no ingest is needed
    // first), but not while an ingest holds the writer lock: it waits, then reports it.
    {
        const std::string v1b = dir.db("v1b.db");
        std::filesystem::copy_file(v1, v1b);
        const int lock = ::open((v1b + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(lock >= 0);
        REQUIRE(::flock(lock, LOCK_EX | LOCK_NB) == 0);  // as a running ingest holds it
        std::vector<std::string> notes;
        auto note = [&](const std::string& n) { notes.push_back(n); };
        auto held = Store::open_for_reading(v1b, 1, note);
        REQUIRE(!held.ok());
        CHECK(held.error().code == ErrorCode::schema);
        CHECK_THAT(held.error().hint, Catch::Contains("holds the store"));
        ::close(lock);  // the ingest ended without upgrading it
        auto up = Store::open_for_reading(v1b, 1, note);
        REQUIRE(up.ok());
        CHECK(up.value()->mode() == OpenMode::read_only);
        CHECK(up.value()->get_meta("schema_version").value() == std::optional<std::string>(std::to_string(schema_version())));
        CHECK(up.value()->count_mailboxes().value() == open_ro(v2)->count_mailboxes().value());
        REQUIRE(notes.size() == 2);
        CHECK_THAT(notes[1], Catch::Contains("from schema version 1 to"));
        // Current already: opened as is, no note.
        notes.clear();
        REQUIRE(Store::open_for_reading(v1b, 1, note).ok());
        CHECK(notes.empty());
    }

    {
        auto migrated = open_rw(v1);  // migrates, in one transaction
        CHECK(migrated->get_meta("schema_version").value() == std::optional<std::string>(std::to_string(schema_version())));
        CHECK(migrated->count_mailboxes().value() == open_ro(v2)->count_mailboxes().value());
        // The old tables' pages are free in the file: compact gives them back (the loads below
        // then read the compacted file). Only a writer may compact.
        auto page_counts = [&] {
            auto free_pages = std::stoll(sql_value(v1, "PRAGMA freelist_count"));
            auto pages = std::stoll(sql_value(v1, "PRAGMA page_count"));
            return std::pair(free_pages, pages);
        };
        const auto [free_before, pages_before] = page_counts();
        CHECK(free_before > 0);
        auto sizes = migrated->compact();
        REQUIRE(sizes.ok());
        CHECK(sizes->after < sizes->before);
        const auto [free_after, pages_after] = page_counts();
        CHECK(free_after == 0);
        CHECK(pages_after == pages_before - free_before);
        auto ro_store = open_ro(v2);
        CHECK(!ro_store->compact().ok());
    }
    auto a = open_ro(v1), b = open_ro(v2);
    auto got = a->load_messages(), want = b->load_messages();
    REQUIRE(got.ok());
    REQUIRE(want.ok());
    REQUIRE(got->size() == msgs.size());
    REQUIRE(want->size() == msgs.size());
    for (size_t i = 0; i < msgs.size(); ++i) {
        INFO("message " << i);
        check_same((*got)[i], (*want)[i]);
        check_same((*got)[i], msgs[i]);
        CHECK((*got)[i].rowid == (*want)[i].rowid);
        CHECK((*got)[i].folders == (*want)[i].folders);
    }
    auto got_rows = a->load_thread_rows(), want_rows = b->load_thread_rows();
    REQUIRE(got_rows.ok());
    REQUIRE(want_rows.ok());
    REQUIRE(got_rows->size() == want_rows->size());
    for (size_t i = 0; i < got_rows->size(); ++i) {
        CHECK((*got_rows)[i].participants == (*want_rows)[i].participants);
        CHECK((*got_rows)[i].from_display == (*want_rows)[i].from_display);
    }
    // The same column bytes and the same schema as a file created by version 2; no recipients left.
    auto column = [](const std::string& path, const char* sql) {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
        std::vector<std::string> out;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            out.push_back(p ? std::string(p, size_t(sqlite3_column_bytes(st, 0))) : std::string("<NULL>"));
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    };
    CHECK(column(v1, "SELECT mailboxes FROM messages ORDER BY id") == column(v2, "SELECT mailboxes FROM messages ORDER BY id"));
    const char* schema_sql = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY name";
    CHECK(column(v1, schema_sql) == column(v2, schema_sql));
    CHECK(column(v1, "SELECT count(*) FROM sqlite_master WHERE name = 'recipients'") == std::vector<std::string>{"0"});
    CHECK(column(v1, "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}
