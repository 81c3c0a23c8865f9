// `interlocutor ingest` end to end on the shared corpora (issue 2, "What must be shown").
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli_helpers.h"

using namespace ilc::test;
namespace fs = std::filesystem;

namespace {

std::string dev_owner_args() {
    return " --me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr";
}

std::string ingest(const std::string& db, const std::string& sources, const std::string& extra = "") {
    auto r = run(bin() + " ingest --quiet --format json --db " + quote(db) + " " + sources + extra);
    INFO(r.out);
    REQUIRE(r.status == 0);
    return r.out;
}

std::map<std::string, long long> python_counts(const std::string& code) {
    auto r = run("python3 -c " + quote(code));
    REQUIRE(r.status == 0);
    std::map<std::string, long long> out;
    size_t p = 0;
    while (p < r.out.size()) {
        size_t nl = r.out.find('\n', p);
        if (nl == std::string::npos) nl = r.out.size();
        std::string line = r.out.substr(p, nl - p);
        auto tab = line.rfind('\t');
        if (tab != std::string::npos) out[line.substr(0, tab)] = std::stoll(line.substr(tab + 1));
        p = nl + 1;
    }
    return out;
}

// Per-source "read"/"stored"/... of an ingest JSON summary, keyed by path.
struct SourceCounts {
    long long read = -1, stored = -1, duplicates = -1, skipped = -1;
};
std::map<std::string, SourceCounts> per_source(const std::string& json) {
    std::map<std::string, SourceCounts> out;
    size_t p = json.find("\"sources\"");
    while ((p = json.find("\"path\": \"", p)) != std::string::npos) {
        p += 9;
        size_t e = json.find('"', p);
        std::string path = json.substr(p, e - p);
        size_t obj_end = json.find('}', e);
        std::string obj = json.substr(e, obj_end - e);
        out[path] = {json_int(obj, "read"), json_int(obj, "stored"), json_int(obj, "duplicates"),
                     json_int(obj, "skipped")};
        p = obj_end;
    }
    return out;
}

}  // namespace

TEST_CASE("dev corpus: mbox, maildir and eml give the same messages", "[cli.ingest]") {
    const std::string dev = corpora() + "/dev";
    const std::string tmp = temp_dir();
    std::map<std::string, std::set<std::string>> ids;
    const std::map<std::string, std::string> formats = {
        {"mbox", quote(dev + "/mbox/INBOX.mbox") + " " + quote(dev + "/mbox/Sent.mbox") + " " +
                     quote(dev + "/mbox/Archives.mbox")},
        {"maildir", quote(dev + "/maildir")},
        {"eml", quote(dev + "/eml")},
    };
    for (const auto& [name, src] : formats) {
        const std::string db = tmp + "/" + name + ".db";
        auto sum = ingest(db, src, dev_owner_args());
        // Each source is labelled with what it is: the .eml folder is a plain directory (read by
        // content), not one .eml file.
        const std::string kind = name == "eml" ? "directory" : name;
        INFO(sum);
        CHECK(sum.find("\"kind\": \"" + kind + "\"") != std::string::npos);
        // 570 messages, two of which are the same Message-ID in two folders.
        CHECK(json_int(sum, "read") == 570);
        CHECK(json_int(sum, "stored") == 568);
        CHECK(json_int(sum, "duplicates") == 2);
        CHECK(json_int(sum, "skipped") == 0);
        auto t = run(bin() + " threads --format json --db " + quote(db));
        REQUIRE(t.status == 0);
        ids[name] = thread_message_ids(t.out);
        CHECK(ids[name].size() == 568);
    }
    CHECK(ids["mbox"] == ids["maildir"]);
    CHECK(ids["mbox"] == ids["eml"]);
}

TEST_CASE("enron mbox: every message stored or reported, counts equal Python's mailbox", "[cli.ingest]") {
    const std::string dir = corpora() + "/enron-mbox";
    auto expected = python_counts(
        "import mailbox,os,sys\n"
        "d=" "'" + dir + "'\n"
        "for f in sorted(os.listdir(d)):\n"
        "  p=os.path.join(d,f)\n"
        "  if f.startswith('enron.'): print(p+'\\t'+str(len(mailbox.mbox(p,create=False))))\n");
    REQUIRE(expected.size() > 100);
    const std::string db = temp_dir() + "/enron.db";
    std::string srcs;
    for (const auto& [p, n] : expected) srcs += " " + quote(p);
    auto sum = ingest(db, srcs);
    auto got = per_source(sum);
    long long total = 0;
    for (const auto& [p, n] : expected) {
        INFO(p);
        REQUIRE(got.count(p) == 1);
        CHECK(got[p].read == n);
        CHECK(got[p].read == got[p].stored + got[p].duplicates + got[p].skipped);
        total += n;
    }
    CHECK(json_int(sum, "read") == total);
}

TEST_CASE("dev maildir: counts equal an independent count", "[cli.ingest]") {
    // Python's mailbox.Maildir refuses Maildir++ folders without new/ (this one has none in
    // .Sent), so count the message files of every cur/ and new/ directly.
    const std::string dir = corpora() + "/dev/maildir";
    auto expected = python_counts(
        "import os\n"
        "n=sum(len(fs) for d,_,fs in os.walk('" + dir + "') if os.path.basename(d) in ('cur','new'))\n"
        "print('all\\t'+str(n))\n");
    REQUIRE(expected["all"] == 570);
    const std::string db = temp_dir() + "/md.db";
    auto sum = ingest(db, quote(dir));
    CHECK(json_int(sum, "read") == expected["all"]);
}

TEST_CASE("enron maildir trees, lists and torture: nothing lost silently", "[cli.ingest]") {
    const std::vector<std::string> dirs = {"enron-maildir", "lists", "torture"};
    for (const auto& d : dirs) {
        INFO(d);
        const std::string db = temp_dir() + "/x.db";
        auto r = run(bin() + " ingest --quiet --format json --db " + quote(db) + " " + quote(corpora() + "/" + d));
        INFO(r.out.substr(0, 2000));
        REQUIRE(r.status == 0);
        const long long read = json_int(r.out, "read");
        CHECK(read > 0);
        CHECK(read == json_int(r.out, "stored") + json_int(r.out, "duplicates") + json_int(r.out, "skipped"));
    }
}

TEST_CASE("re-ingest is idempotent and skips unchanged sources", "[cli.ingest]") {
    const std::string db = temp_dir() + "/idem.db";
    const std::string src = quote(corpora() + "/dev/mbox/Sent.mbox") + " " + quote(corpora() + "/dev/maildir");
    auto first = ingest(db, src);
    // Sent.mbox's messages are also in the maildir, which has two more duplicates of its own.
    CHECK(json_int(first, "stored") == 568);
    CHECK(json_int(first, "duplicates") == 247 + 2);
    auto second = ingest(db, src);
    CHECK(json_int(second, "read") == 0);
    CHECK(second.find("\"unchanged\": true") != std::string::npos);
    auto forced = ingest(db, src, " --force");
    CHECK(json_int(forced, "stored") == 0);
    CHECK(json_int(forced, "duplicates") == 570 + 247);
    CHECK(json_int(forced, "total_messages") == 568);
}

TEST_CASE("an interrupted ingest resumes where it stopped", "[cli.ingest]") {
    const std::string db = temp_dir() + "/resume.db";
    const std::string src = quote(corpora() + "/dev/mbox/Sent.mbox");
    // The fault variable alone (without ILC_TESTING_FAULTS=1) is ignored: a normal run.
    const std::string db_plain = temp_dir() + "/plain.db";
    auto plain = run("ILC_TEST_ABORT_AFTER_BATCHES=2 " + bin() + " ingest --quiet --batch 50 --format json --db " +
                     quote(db_plain) + " " + src);
    CHECK(plain.status == 0);
    // Fault injection: the process dies right after its second committed batch of 50.
    auto killed = run("ILC_TESTING_FAULTS=1 ILC_TEST_ABORT_AFTER_BATCHES=2 " + bin() +
                      " ingest --quiet --batch 50 --format json --db " + quote(db) + " " + src);
    CHECK(killed.status == 75);
    auto rest = ingest(db, src, " --batch 50");
    CHECK(json_int(rest, "read") == 247 - 100);
    CHECK(json_int(rest, "stored") == 247 - 100);
    CHECK(json_int(rest, "resumed_from") > 0);
    CHECK(json_int(rest, "total_messages") == 247);
}

// The Maildir files are read on the parse workers while the reader only lists them: the batches
// and the resume point must still fall on the same messages.
TEST_CASE("an interrupted Maildir ingest resumes where it stopped", "[cli.ingest]") {
    const std::string db = temp_dir() + "/resume-md.db";
    const std::string src = quote(corpora() + "/dev/maildir");
    auto killed = run("ILC_TESTING_FAULTS=1 ILC_TEST_ABORT_AFTER_BATCHES=2 " + bin() +
                      " ingest --quiet --batch 50 --format json --db " + quote(db) + " " + src);
    CHECK(killed.status == 75);
    auto rest = ingest(db, src, " --batch 50");
    // 570 files: the first 100 were committed by the killed run (none of the 2 duplicates among them).
    CHECK(json_int(rest, "resumed_from") == 100);
    CHECK(json_int(rest, "read") == 570 - 100);
    CHECK(json_int(rest, "stored") == 568 - 100);
    CHECK(json_int(rest, "total_messages") == 568);
    // The same messages as one uninterrupted run.
    const std::string whole = temp_dir() + "/whole-md.db";
    CHECK(json_int(ingest(whole, src), "total_messages") == 568);
    auto ids = [](const std::string& path) {
        return run(bin() + " threads --format json --db " + quote(path)).out;
    };
    CHECK(ids(db) == ids(whole));
    // The fingerprint the resumed run stored (computed from the files it listed, as they were
    // read) is the one an unchanged Maildir gives: the next run reads nothing.
    auto again = ingest(db, src);
    CHECK(json_int(again, "read") == 0);
    CHECK(again.find("\"unchanged\": true") != std::string::npos);
}

TEST_CASE("an mbox that grew is read from where the last run stopped", "[cli.ingest]") {
    const std::string tmp = temp_dir();
    const std::string mbox = tmp + "/box.mbox";
    fs::copy_file(corpora() + "/dev/mbox/INBOX.mbox", mbox);
    const std::string db = tmp + "/grow.db";
    auto first = ingest(db, quote(mbox));
    CHECK(json_int(first, "stored") == 224);
    {
        std::ifstream in(corpora() + "/dev/mbox/Sent.mbox", std::ios::binary);
        std::ofstream out(mbox, std::ios::binary | std::ios::app);
        out << "\n" << in.rdbuf();
    }
    auto second = ingest(db, quote(mbox));
    CHECK(json_int(second, "read") == 247);
    const long long stored2 = json_int(second, "stored");
    CHECK(stored2 >= 245);  // minus Message-IDs INBOX and Sent share
    CHECK(json_int(second, "total_messages") == 224 + stored2);
    CHECK(json_int(second, "resumed_from") > 0);
}

TEST_CASE("ingest errors are clear", "[cli.ingest]") {
    auto r = run(bin() + " ingest --quiet --db " + quote(temp_dir() + "/e.db") + " /nonexistent/box.mbox 2>&1");
    CHECK(r.status == 1);
    CHECK(r.out.find("/nonexistent/box.mbox") != std::string::npos);
    auto u = run(bin() + " ingest --bogus 2>&1");
    CHECK(u.status == 2);
    CHECK(u.out.find("--bogus") != std::string::npos);
}

TEST_CASE("the owner is inferred from the sent folders when --me is not given", "[cli.ingest]") {
    const std::string db = temp_dir() + "/owner.db";
    const std::string dir = corpora() + "/enron-mbox/";
    auto sum = ingest(db, quote(dir + "enron.allen-p._sent_mail") + " " + quote(dir + "enron.allen-p.inbox"));
    CHECK(sum.find("\"owner_inferred\": true") != std::string::npos);
    CHECK(sum.find("\"phillip.allen@enron.com\"") != std::string::npos);
    // Given addresses win over inference, and stay for later runs.
    const std::string db2 = temp_dir() + "/owner2.db";
    auto given = ingest(db2, quote(dir + "enron.allen-p.inbox"), " --me Someone@Example.com");
    CHECK(given.find("\"someone@example.com\"") != std::string::npos);
    CHECK(given.find("\"owner_inferred\": false") != std::string::npos);
}

TEST_CASE("an owner alias used for a tenth of the sent mail is inferred too", "[cli.ingest]") {
    // dev/README.txt: Isabelle Charpentier writes from isabelle.charpentier@ and, less often
    // (23 of 275 sent mails), from icharpentier@; both are the owner, as labels.json says.
    const std::string db = temp_dir() + "/alias.db";
    const std::string dev = corpora() + "/dev/mbox/";
    auto sum = ingest(db, quote(dev + "INBOX.mbox") + " " + quote(dev + "Sent.mbox") + " " + quote(dev + "Archives.mbox"));
    CHECK(sum.find("\"owner_inferred\": true") != std::string::npos);
    CHECK(sum.find("\"isabelle.charpentier@ardentis.fr\"") != std::string::npos);
    CHECK(sum.find("\"icharpentier@ardentis.fr\"") != std::string::npos);
}

// A message the parsers or the text layer throw on (none should; the fault hook stands in for
// such a bug) is skipped and reported, and every other message of the source is stored: the
// exception must not leave the parse worker and end the whole ingest.
TEST_CASE("a message that throws while parsed is skipped and reported, the others are stored", "[cli.ingest]") {
    const std::string dir = temp_dir();
    const std::string src = dir + "/three.mbox";
    {
        std::ofstream f(src);
        for (int i = 1; i <= 3; ++i)
            f << "From a@example.com Mon Jan  4 10:00:00 2021\n"
              << "From: A <a@example.com>\nTo: b@example.org\nDate: Mon, 4 Jan 2021 10:0" << i << ":00 +0000\n"
              << "Message-ID: <m" << i << "@example.com>\nSubject: " << (i == 2 ? "boom-marker quote" : "fine") << "\n\n"
              << "Body " << i << "\n\n";
    }
    const std::string db = dir + "/three.db";
    auto r = run("ILC_TESTING_FAULTS=1 ILC_TEST_THROW_ON_SUBJECT=boom-marker " + bin() +
                 " ingest --quiet --format json --db " + quote(db) + " " + quote(src));
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(json_int(r.out, "read") == 3);
    CHECK(json_int(r.out, "stored") == 2);
    CHECK(json_int(r.out, "skipped") == 1);
    CHECK(r.out.find("could not be read (test fault on a message)") != std::string::npos);
    // Without the hook the same mbox stores all three: the hook alone made the difference.
    auto plain = ingest(dir + "/plain.db", quote(src));
    CHECK(json_int(plain, "stored") == 3);
}
