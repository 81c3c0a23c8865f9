#pragma once
// What the service answers from: one immutable, in-memory snapshot of the store (threads, the
// analyze() result, the findings already serialized) with the indexes the endpoints and the
// compose check need, and a cache that swaps in a new snapshot when the store changes. Readers
// hold a shared_ptr to the snapshot they started with, so a reload never disturbs a request in
// flight.
//
// The messages themselves are not kept: once the analysis and the indexes are built, a snapshot
// holds per message only its Message-ID, date and thread (MessageIndex). The rare requests that
// need whole messages (a thread's page, /v1/message, a digest, the analysis in another language)
// read them back from the store (load_message, load_messages). On 1,000,000 messages that is the
// difference between ~4.5 GB and a few hundred MB resident (bench/SERVICE.md).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"
#include "interlocutor/result.h"
#include "interlocutor/thread.h"

namespace ilc::service {

// Per-thread facts precomputed for the compose check.
struct ThreadInfo {
    std::string account;          // the external account most addressed in the thread ("" if none)
    bool group = false;           // some outbound message had >= all_in_copy_min_recipients of one account
    int64_t last_date = 0;        // UTC seconds of the latest message
    int64_t last_recap = 0;       // UTC seconds of the latest recap message, 0 = none
    int trailing_unanswered = 0;  // outbound messages after the last non-automated inbound one
    // The rep of the thread: the internal person (Identity::person_key) who last wrote in it,
    // else the owner: in a single-rep store every thread is the owner's to answer.
    std::string rep;
    std::string subject;          // the subject of the thread's first message
    int64_t first_date = 0;       // UTC seconds of the thread's first message
};

// The snapshot's messages as the endpoints need them after the analysis: the Message-ID, the
// date and the thread of each, in the snapshot's message order (the indices Thread::members
// holds). The ids live in one buffer with a sorted index: a hash map of a million std::string
// keys costs ~100 MB, this ~45 MB.
class MessageIndex {
public:
    void reserve(size_t messages, size_t id_bytes);
    void add(std::string_view message_id, int64_t date);  // in message order
    void set_thread(size_t message, size_t thread);
    void finish();  // builds the lookup by id: call once every message is added
    size_t size() const { return date_.size(); }
    std::string_view id(size_t message) const {
        return std::string_view(ids_).substr(start_[message], start_[message + 1] - start_[message]);
    }
    int64_t date(size_t message) const { return date_[message]; }
    long thread(size_t message) const { return thread_[message] == kNone ? -1 : static_cast<long>(thread_[message]); }
    long find(std::string_view message_id) const;  // the message's index, -1 when unknown or ""

private:
    static constexpr uint32_t kNone = 0xffffffffu;
    std::string ids_;
    std::vector<size_t> start_{0};  // id i is ids_[start_[i], start_[i + 1])
    std::vector<int64_t> date_;
    std::vector<uint32_t> thread_;
    std::vector<uint32_t> by_id_;   // message indices sorted by id
};

// One finding of GET /v1/findings, serialized once per snapshot and language with the fields the
// service adds (last_activity, rep, rep_name, subject): a request only picks and joins them.
struct IndexedFinding {
    std::string kind, account, rep, json;
    int64_t last_activity = 0;
};
struct FindingsIndex {
    std::vector<IndexedFinding> all;  // in the analyze contract's order
    // Positions in all, ascending: the findings of one account / of one kind.
    std::unordered_map<std::string, std::vector<uint32_t>> by_account, by_kind;
};

// Weekly message counts of an account's timeline (GET /v1/accounts/{account}).
struct WeekCount {
    int64_t monday = 0;  // days since 1970-01-01 of the week's Monday (UTC)
    int in = 0, out = 0;
};

// The analysis again in another language than the snapshot's (the suggestion texts are written
// by core/detect in one language per run), computed on first use and kept with the snapshot.
struct LanguageCache {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<detect::AnalysisResult>> results;  // by "fr" / "en"
    std::map<std::string, std::shared_ptr<const FindingsIndex>> findings;    // the findings of each
};

struct Snapshot {
    std::string db_path;                // the store: whole messages are read back from it on demand
    MessageIndex messages;              // id, date and thread of every message (no texts)
    int64_t max_rowid = 0;              // the newest store row in the snapshot (rows are append-only)
    std::vector<Thread> threads;
    detect::AnalysisSettings settings;  // as used (owners and internal domains filled in)
    detect::Identity identity;
    detect::AnalysisResult result;
    int64_t now = 0;                    // the analysis instant (UTC seconds)
    int64_t loaded_at = 0;
    // The findings of the analyze contract (detect::to_json) in result's language, each with the
    // service's fields, in the contract's order.
    std::shared_ptr<const FindingsIndex> findings;

    std::unordered_map<std::string, size_t> thread_by_id;        // thread id -> index in threads
    std::vector<ThreadInfo> thread_info;                          // parallel to threads
    std::unordered_map<std::string, std::vector<size_t>> all_in_copy_by_account;   // -> result.all_in_copy
    std::unordered_map<std::string, size_t> all_in_copy_by_thread;
    std::unordered_map<std::string, std::vector<size_t>> insists_by_thread;        // -> result.insists_on_cc
    std::unordered_map<std::string, std::vector<size_t>> stakeholders_by_account;  // -> result.stakeholders
    std::unordered_map<std::string, int64_t> last_activity_by_account;
    std::unordered_map<std::string, const detect::StalledDeal*> stalled_by_account;
    // Non-automated dated messages per week: inbound from the account, outbound to it (each once).
    std::unordered_map<std::string, std::vector<WeekCount>> timeline_by_account;  // sorted by monday
    // The rep of each account: the internal person who last wrote to it, else the owner.
    std::unordered_map<std::string, std::string> rep_by_account;
    // Display names of the reps (person key -> the name of their latest message, "" if none).
    std::map<std::string, std::string> rep_names;
    std::shared_ptr<LanguageCache> languages = std::make_shared<LanguageCache>();

    // The thread of a stored message id (bare), -1 when the snapshot has no such message.
    long thread_of(std::string_view message_id) const;
    // The analysis with its suggestions written in lang ("fr"/"en"; "" = the snapshot's own).
    // Findings are the same, in the same order, in every language: only the texts differ, so an
    // index into result's vectors is valid in the other language's result too. Another language
    // is analyzed on first use from the messages read back from the store (seconds on a large
    // store); throws std::runtime_error when the store cannot give them back.
    const detect::AnalysisResult& result_in(const std::string& lang) const;
    std::shared_ptr<const FindingsIndex> findings_in(const std::string& lang) const;
    // The rep of a thread id or an account ("" when neither is known).
    std::string rep_of_thread(const std::string& thread_id) const;
    std::string rep_of_account(const std::string& account) const;

    // The snapshot's messages read back from the store, in the snapshot's order (Thread::members
    // index into them), as they were loaded for the analysis (texts without the quoted part).
    // Messages stored after the snapshot are left out; an error when the store lost some.
    Result<std::vector<Message>> load_messages() const;
    // One stored message by its bare Message-ID, with its texts (std::nullopt when not stored).
    Result<std::optional<Message>> load_message(const std::string& message_id) const;
};

// While one lives, the allocator hands memory freed back to the system at once, and when it goes
// the calling thread's freed memory is collected: put one around the release of a snapshot's
// load or of messages read back from the store. Without it mimalloc (linked by the executable)
// keeps the freed gigabytes committed, since it decommits late and only on the next allocation
// of the thread that freed. Nothing happens with another allocator.
class ReleaseFreedMemory {
public:
    ReleaseFreedMemory();
    ~ReleaseFreedMemory();
    ReleaseFreedMemory(const ReleaseFreedMemory&) = delete;
    ReleaseFreedMemory& operator=(const ReleaseFreedMemory&) = delete;
};

// How to analyze: like `interlocutor analyze`. Empty owners / internal domains = the store's.
struct SnapshotOptions {
    std::string db_path;
    detect::AnalysisSettings settings;
};

// Opens the store read-only, loads every message, threads and analyzes them, builds indexes,
// then lets the messages go (see Snapshot).
Result<std::shared_ptr<const Snapshot>> load_snapshot(const SnapshotOptions& opts);

// Holds the current snapshot; a background thread looks at the store's files at most once a
// second and reloads when they changed (an ingest running in another process included: SQLite
// WAL keeps reads consistent while it writes).
class SnapshotCache {
public:
    static Result<std::unique_ptr<SnapshotCache>> open(const SnapshotOptions& opts);
    ~SnapshotCache();
    SnapshotCache(const SnapshotCache&) = delete;
    SnapshotCache& operator=(const SnapshotCache&) = delete;

    std::shared_ptr<const Snapshot> get() const;
    int reloads() const { return reloads_.load(); }
    // The last reload error ("" when the last attempt worked); the previous snapshot stays served.
    std::string last_error() const;

private:
    explicit SnapshotCache(SnapshotOptions opts);
    void watch();
    std::string stamp() const;

    SnapshotOptions opts_;
    mutable std::mutex mu_;
    std::shared_ptr<const Snapshot> current_;
    std::string stamp_, last_error_;
    std::atomic<int> reloads_{0};
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread watcher_;
};

}  // namespace ilc::service
