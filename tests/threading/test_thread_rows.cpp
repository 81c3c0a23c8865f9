// Store::load_thread_rows() (the projection `threads` loads on large stores) against the full
// Message loader: on real mail ingested into a temporary store, every threading field must be the
// one thread_input_from() takes of the loaded Message, and the threads must be the same.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "interlocutor/ingest/ingest.h"
#include "interlocutor/store/store.h"
#include "interlocutor/threading/threader.h"

namespace fs = std::filesystem;
using namespace ilc;

namespace {

// A temporary directory removed at scope exit, even when a REQUIRE fails.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ilc-thread-rows-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// min_refs and min_cc: how many messages at least carry References and Cc in that corpus.
void check_same_as_messages(const std::vector<std::string>& sources, const std::vector<std::string>& me,
                            size_t min_refs, size_t min_cc) {
    TempDir dir;
    auto st = store::Store::open((dir.path / "db").string(), store::OpenMode::read_write);
    REQUIRE(st);
    ingest::IngestOptions io;
    io.me = me;
    io.workers = 1;
    auto summary = ingest::ingest_sources(*st.value(), sources, io);
    REQUIRE(summary);
    REQUIRE(summary->stored > 100);

    auto rows = st.value()->load_thread_rows();
    REQUIRE(rows);
    store::LoadOptions lo;
    lo.with_text = false;
    auto msgs = st.value()->load_messages(lo);
    REQUIRE(msgs);
    REQUIRE(rows->size() == msgs->size());

    // Small batches cut the recipient merge at many places: the rows must not change.
    std::vector<store::ThreadRow> scanned;
    size_t batches = 0;
    auto scan = st.value()->scan_thread_rows(7, [&](std::vector<store::ThreadRow>& batch, size_t total) {
        CHECK(total == rows->size());
        CHECK(batch.size() <= 7);
        ++batches;
        for (auto& r : batch) scanned.push_back(std::move(r));
    });
    REQUIRE(scan.ok());
    CHECK(batches == (rows->size() + 6) / 7);
    REQUIRE(scanned.size() == rows->size());
    for (size_t i = 0; i < scanned.size(); ++i) {
        INFO("scanned message " << i);
        CHECK(scanned[i].message_id == (*rows)[i].message_id);
        CHECK(scanned[i].participants == (*rows)[i].participants);
        CHECK(scanned[i].from_display == (*rows)[i].from_display);
        CHECK(scanned[i].references == (*rows)[i].references);
    }

    std::vector<threading::ThreadInput> from_rows, from_msgs;
    size_t with_refs = 0, with_cc = 0;
    for (size_t i = 0; i < rows->size(); ++i) {
        const store::ThreadRow& r = (*rows)[i];
        const Message& m = (*msgs)[i];
        threading::ThreadInput want = threading::thread_input_from(m);
        INFO("message " << i << " " << m.message_id);
        CHECK(r.message_id == want.message_id);
        CHECK(r.synthetic_id == want.synthetic_id);
        CHECK(r.in_reply_to == want.in_reply_to);
        CHECK(r.references == want.references);
        CHECK(r.subject == want.subject);
        CHECK(r.date == want.date);
        CHECK(r.participants == want.participants);
        CHECK(r.thread_index == want.thread_index);
        CHECK(r.thread_topic == want.thread_topic);
        CHECK(r.list_id == want.list_id);
        const std::string display = !m.from.name.empty() ? m.from.name : m.from.address;
        CHECK(r.from_display == display);
        // take_thread_input() (analyze, serve) gives the same input, leaving the headers it
        // takes empty in the message.
        Message taken_from = m;
        const threading::ThreadInput taken = threading::take_thread_input(taken_from);
        CHECK(taken.message_id == want.message_id);
        CHECK(taken.in_reply_to == want.in_reply_to);
        CHECK(taken.references == want.references);
        CHECK(taken.participants == want.participants);
        CHECK(taken.thread_index == want.thread_index);
        CHECK(taken.thread_topic == want.thread_topic);
        CHECK(taken.list_id == want.list_id);
        CHECK((taken_from.in_reply_to.empty() && taken_from.references.empty() && taken_from.thread_index.empty() &&
               taken_from.thread_topic.empty()));
        with_refs += !r.references.empty();
        with_cc += !m.cc.empty();
        threading::ThreadInput got;
        got.message_id = r.message_id;
        got.synthetic_id = r.synthetic_id;
        got.in_reply_to = r.in_reply_to;
        got.references = r.references;
        got.subject = r.subject;
        got.date = r.date;
        got.participants = r.participants;
        got.thread_index = r.thread_index;
        got.thread_topic = r.thread_topic;
        got.list_id = r.list_id;
        from_rows.push_back(std::move(got));
        from_msgs.push_back(std::move(want));
    }
    // The corpora exercise the lists being compared: a test on mail without them would prove nothing.
    CHECK(with_refs >= min_refs);
    CHECK(with_cc >= min_cc);

    threading::ThreadingOptions topts;
    topts.owner_addresses = me;
    auto a = threading::thread_messages(from_rows, topts);
    auto b = threading::thread_messages(from_msgs, topts);
    REQUIRE(a.size() == b.size());
    for (size_t k = 0; k < a.size(); ++k) {
        CHECK(a[k].id == b[k].id);
        CHECK(a[k].members == b[k].members);
        CHECK(a[k].parent == b[k].parent);
    }
    // The Messages threaded in place (analyze, serve) give the same threads, with the owners
    // and without (the subject fallback's participant rule reads From, To and Cc in place).
    for (bool with_owners : {true, false}) {
        threading::ThreadingOptions o;
        if (with_owners) o.owner_addresses = me;
        auto want = threading::thread_messages(from_msgs, o);
        auto got = threading::thread_messages_in_place(*msgs, o);
        REQUIRE(got.size() == want.size());
        for (size_t k = 0; k < got.size(); ++k) {
            CHECK(got[k].id == want[k].id);
            CHECK(got[k].members == want[k].members);
            CHECK(got[k].parent == want[k].parent);
        }
    }
    // The analysis load (LoadOptions::detector_columns_only): each cue family once, in the order
    // first seen, texts empty; the families a detector tests are those of the full load.
    store::LoadOptions light_opts;
    light_opts.with_quoted = false;
    light_opts.detector_columns_only = true;
    auto light = st.value()->load_messages(light_opts);
    REQUIRE(light);
    REQUIRE(light->size() == msgs->size());
    for (size_t i = 0; i < light->size(); ++i) {
        std::vector<std::string> want;
        for (const auto& c : (*msgs)[i].cues)
            if (std::find(want.begin(), want.end(), c.family) == want.end()) want.push_back(c.family);
        std::vector<std::string> got;
        for (const auto& c : (*light)[i].cues) {
            got.push_back(c.family);
            CHECK(c.text.empty());
        }
        INFO("message " << i);
        CHECK(got == want);
    }
    Message dropped = msgs->front();
    threading::drop_threading_headers(dropped);
    CHECK((dropped.in_reply_to.empty() && dropped.references.empty() && dropped.thread_index.empty() &&
           dropped.thread_topic.empty()));
    CHECK(dropped.message_id == msgs->front().message_id);
}

}  // namespace

TEST_CASE("load_thread_rows equals the Message loader on the dev mailbox", "[threading.rows]") {
    const std::string dev = std::string(ILC_CORPORA) + "/dev/mbox/";
    check_same_as_messages({dev + "INBOX.mbox", dev + "Sent.mbox", dev + "Archives.mbox"}, {}, 100, 100);
}

TEST_CASE("load_thread_rows equals the Message loader on Enron mail", "[threading.rows]") {
    const std::string e = std::string(ILC_CORPORA) + "/enron-mbox/";
    check_same_as_messages({e + "enron.lokay-m.inbox", e + "enron.lokay-m.sent", e + "enron.lokay-m._sent_mail"},
                           {"michelle.lokay@enron.com"}, 0, 20);
}

TEST_CASE("load_thread_rows equals the Message loader on a real mailing list", "[threading.rows]") {
    // A Maildir of list mail: References, In-Reply-To and List-Id on nearly every message.
    check_same_as_messages({std::string(ILC_CORPORA) + "/lists/open-iscsi"}, {}, 100, 0);
}

TEST_CASE("load_thread_rows on an empty store is empty, not an error", "[threading.rows]") {
    TempDir dir;
    auto st = store::Store::open((dir.path / "db").string(), store::OpenMode::read_write);
    REQUIRE(st);
    auto rows = st.value()->load_thread_rows();
    REQUIRE(rows);
    CHECK(rows->empty());
}
