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
#include <span>
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

// "YYYY-MM-DDTHH:MM:SSZ" of a Unix time, "" for none (t <= 0): the dates in every answer.
std::string iso_utc(int64_t t);

// Strings many records share (accounts, reps, subjects), each held once: a record keeps a 32-bit
// id. Id 0 is always "". Filled while a snapshot is built (add), then frozen (finish): the lookup
// by text is a binary search over the ids sorted by text, not a hash map of string keys.
class StringPool {
public:
    StringPool() { add(""); }
    uint32_t add(std::string_view s);  // the id of s, adding it if new (only before finish)
    void finish();                      // drops the building map, builds the sorted lookup
    std::string_view operator[](uint32_t id) const {
        return std::string_view(chars_).substr(start_[id], start_[id + 1] - start_[id]);
    }
    std::string str(uint32_t id) const { return std::string((*this)[id]); }
    long find(std::string_view s) const;  // the id of s, -1 when not held (after finish)
    size_t size() const { return start_.size() - 1; }
    size_t bytes() const;                 // what the pool holds (capacities), for the memory report

private:
    std::string chars_;
    std::vector<uint32_t> start_{0};  // string i is chars_[start_[i], start_[i + 1])
    std::vector<uint32_t> sorted_;    // ids sorted by text
    std::unordered_map<std::string, uint32_t> building_;
};

// Per-thread facts precomputed for the compose check and the thread list. Strings are ids in
// Snapshot::strings: 48 bytes a thread instead of three std::string (~250 bytes on 1M messages).
struct ThreadInfo {
    int64_t last_date = 0;        // UTC seconds of the latest message
    int64_t last_recap = 0;       // UTC seconds of the latest recap message, 0 = none
    int64_t first_date = 0;       // UTC seconds of the thread's first message
    uint32_t account = 0;         // the external account most addressed in the thread (0 = "" if none)
    // The rep of the thread: the internal person (Identity::person_key) who last wrote in it,
    // else the owner: in a single-rep store every thread is the owner's to answer.
    uint32_t rep = 0;
    uint32_t subject = 0;         // the subject of the thread's first message
    int trailing_unanswered = 0;  // outbound messages after the last non-automated inbound one
    bool group = false;           // some outbound message had >= all_in_copy_min_recipients of one account
};

// The threads as the threader returned them (Thread), in flat arrays: the ids in one buffer, the
// members and parents of every thread in one array each, and a sorted index by id. On 1M messages
// a std::vector<Thread> (three heap blocks a thread) and a hash map by id cost ~110 MB; this ~30 MB.
class ThreadTable {
public:
    void reserve(size_t threads, size_t members, size_t id_bytes);
    void add(const Thread& t);  // in the threader's order
    void finish();              // builds the lookup by id: call once every thread is added
    size_t size() const { return member_start_.size() - 1; }
    std::string_view id(size_t t) const {
        return std::string_view(ids_).substr(id_start_[t], id_start_[t + 1] - id_start_[t]);
    }
    // Indices into the snapshot's messages, sorted by date (Thread::members).
    std::span<const uint32_t> members(size_t t) const {
        return {members_.data() + member_start_[t], member_start_[t + 1] - member_start_[t]};
    }
    // Parallel to members: index into members of the parent, -1 for a root (Thread::parent).
    std::span<const int32_t> parents(size_t t) const {
        return {parents_.data() + member_start_[t], member_start_[t + 1] - member_start_[t]};
    }
    long find(std::string_view thread_id) const;  // the thread's index, -1 when unknown
    // The threads as detect::analyze and the digest take them, built on demand (rare requests).
    std::vector<Thread> to_threads() const;
    size_t bytes() const;

private:
    std::string ids_;
    std::vector<uint32_t> id_start_{0}, member_start_{0};
    std::vector<uint32_t> members_;
    std::vector<int32_t> parents_;
    std::vector<uint32_t> by_id_;  // thread indices sorted by id
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
    size_t bytes() const {
        return ids_.capacity() + start_.capacity() * sizeof(uint32_t) + date_.capacity() * 8 + (thread_.capacity() + by_id_.capacity()) * 4;
    }
    std::string_view id(size_t message) const {
        return std::string_view(ids_).substr(start_[message], start_[message + 1] - start_[message]);
    }
    int64_t date(size_t message) const { return date_[message]; }
    long thread(size_t message) const { return thread_[message] == kNone ? -1 : static_cast<long>(thread_[message]); }
    long find(std::string_view message_id) const;  // the message's index, -1 when unknown or ""

private:
    static constexpr uint32_t kNone = 0xffffffffu;
    std::string ids_;
    std::vector<uint32_t> start_{0};  // id i is ids_[start_[i], start_[i + 1]) (4 GB of ids at most)
    std::vector<int64_t> date_;
    std::vector<uint32_t> thread_;
    std::vector<uint32_t> by_id_;   // message indices sorted by id
};

// The finding kinds of the analyze contract, in its order (the `kind` field).
inline constexpr const char* kFindingKinds[] = {"awaiting_reply", "awaiting_my_reply", "all_in_copy",
                                                "insists_on_cc", "stalled_deal", "many_internal_contacts"};
inline constexpr size_t kKindCount = sizeof kFindingKinds / sizeof kFindingKinds[0];
long finding_kind(std::string_view kind);  // the index in kFindingKinds, -1 when unknown

// One finding of GET /v1/findings, serialized once per snapshot and language with the fields the
// service adds (last_activity, rep, rep_name, subject): a request only picks, pages and joins
// them. The JSON texts live in one buffer of the index (~85 MB on 1M messages, instead of
// 135,000 strings and their keys).
struct IndexedFinding {
    uint64_t json_start = 0;       // FindingsIndex::json()
    uint32_t json_size = 0;
    uint32_t account = 0, rep = 0;  // in FindingsIndex::names (0 = none)
    uint8_t kind = 0;               // index in kFindingKinds
    int32_t rank = INT32_MIN;       // what ?sort= orders by: risk or waiting_business_days (INT32_MIN = none)
    int64_t last_activity = 0;
};
class FindingsIndex {
public:
    std::vector<IndexedFinding> all;  // in the analyze contract's order
    StringPool names;                 // the accounts and reps of the findings
    // Positions in all, ascending: the findings of one account (by names id) / of one kind.
    std::unordered_map<uint32_t, std::vector<uint32_t>> by_account;
    std::vector<uint32_t> by_kind[kKindCount];
    // Every position in the order of ?sort=risk / ?sort=waiting_business_days: the findings with
    // that field (stalled deals / the awaiting ones) highest first, ties and the others in the
    // contract's order. Made once (finish): a request does not sort 70,000 awaiting findings.
    std::vector<uint32_t> by_risk, by_waiting;
    static bool has_rank(const IndexedFinding& f, bool risk);  // whether f has that sort's field
    std::string_view json(const IndexedFinding& f) const { return std::string_view(json_).substr(f.json_start, f.json_size); }
    void add(IndexedFinding f, std::string_view json);
    void finish();
    size_t bytes() const;

private:
    std::string json_;
};

// What GET /v1/message says of a thread awaiting a reply, either way: the thread's first
// awaiting_reply finding, else its first awaiting_my_reply one, in a few bytes. The analysis
// result's two awaiting lists (130,000 findings, ~75 MB on 1M messages) are not kept: their JSON
// is in the findings index, and the digest analyzes again (Snapshot::load_digest_input).
struct AwaitingFact {
    uint32_t thread = 0;
    bool theirs = true;           // awaiting_reply (their reply); false = awaiting_my_reply (ours)
    bool over_chasing = false;
    int32_t business_days = 0;    // waiting_business_days
    int32_t unanswered = 0;       // unanswered_count (theirs)
    int64_t since = 0;            // the date of the first unanswered message (theirs) or of the client's (ours); 0 = not in the snapshot
    uint32_t next_follow_up = 0;  // in Snapshot::strings (theirs)
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
    std::map<std::string, std::unique_ptr<detect::AnalysisResult>> results;  // by "fr" / "en": stalled_deal only
    std::map<std::string, std::shared_ptr<const FindingsIndex>> findings;    // the findings of each
};

// GET /v1/accounts's entries (risk order) serialized once per language, on its first request: the
// list is 3.8 MB of JSON on 1M messages (2,500 accounts), 100-250 ms to write on each request.
struct AccountsJson {
    std::vector<std::string> json, rep;  // each account's object, and its rep (for ?rep=)
};
struct AccountsCache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<const AccountsJson>> by_lang;
};

struct Snapshot {
    std::string db_path;                // the store: whole messages are read back from it on demand
    MessageIndex messages;              // id, date and thread of every message (no texts)
    int64_t max_rowid = 0;              // the newest store row in the snapshot (rows are append-only)
    ThreadTable threads;                // flat; threads.to_threads() for the analysis and the digest
    StringPool strings;                 // the accounts, reps and subjects of thread_info
    detect::AnalysisSettings settings;  // as used (owners and internal domains filled in)
    detect::Identity identity;
    detect::AnalysisResult result;      // without awaiting_reply / awaiting_my_reply (see AwaitingFact)
    int64_t now = 0;                    // the analysis instant (UTC seconds)
    int64_t loaded_at = 0;
    // The findings of the analyze contract (detect::to_json) in result's language, each with the
    // service's fields, in the contract's order.
    std::shared_ptr<const FindingsIndex> findings;

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
    std::shared_ptr<AccountsCache> accounts_json = std::make_shared<AccountsCache>();
    std::vector<AwaitingFact> awaiting;  // sorted by thread, one a thread at most (awaiting_of)
    size_t awaiting_reply_count = 0, awaiting_my_reply_count = 0;  // the findings of result's dropped lists

    // The thread of a stored message id (bare), -1 when the snapshot has no such message.
    long thread_of(std::string_view message_id) const;
    // The analysis with its suggestions written in lang ("fr"/"en"; "" = the snapshot's own).
    // Findings are the same, in the same order, in every language: only the texts differ, so an
    // index into result's vectors is valid in the other language's result too. Another language
    // is analyzed on first use from the messages read back from the store (seconds on a large
    // store); throws std::runtime_error when the store cannot give them back. Of another
    // language's result only stalled_deal is kept (and lang): its findings are in findings_in.
    const detect::AnalysisResult& result_in(const std::string& lang) const;
    std::shared_ptr<const FindingsIndex> findings_in(const std::string& lang) const;
    // What /v1/message says of a thread awaiting a reply (nullptr when none).
    const AwaitingFact* awaiting_of(size_t thread) const;
    // The snapshot's own analysis whole, awaiting lists included (result has them dropped), run
    // again on its messages read back from the store (load_messages). The digest now uses
    // load_digest_input, which gives the same result without the whole Messages.
    detect::AnalysisResult full_result(const std::vector<Message>& msgs) const;
    // What the digest reads, without the whole Messages of the store (~3 GB at 1M): the full
    // result (as full_result gives it) and the Mails it was made on, read batch by batch and
    // checked as load_snapshot reads its own, in the snapshot's order (digest::header_message
    // makes of them the header-only Messages build_weekly and build_team read).
    struct DigestInput {
        detect::AnalysisResult analysis;
        std::vector<detect::Mail> mails;
        std::shared_ptr<detect::MailText> text;  // where the Mails' strings are: keep it while they are read
    };
    Result<DigestInput> load_digest_input() const;
    // Reads new_text and cues of messages[i] for each i in `which` back from the store (the
    // few whose text a weekly digest quotes: digest::weekly_text_messages).
    Status load_digest_texts(std::vector<Message>& messages, const std::vector<size_t>& which) const;
    // The rep of a thread id or an account ("" when neither is known).
    std::string rep_of_thread(std::string_view thread_id) const;
    std::string rep_of_account(const std::string& account) const;
    // What the snapshot's main structures hold (bytes, capacities): "name=MB ..." for the log.
    std::string memory_report() const;

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
