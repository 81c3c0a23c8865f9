#pragma once
// What the service answers from: one immutable, in-memory snapshot of the store (messages,
// threads, the analyze() result) with the indexes the compose check needs, and a cache that
// swaps in a new snapshot when the store changes. Readers hold a shared_ptr to the snapshot
// they started with, so a reload never disturbs a request in flight.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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
};

// The analysis again in another language than the snapshot's (the suggestion texts are written
// by core/detect in one language per run), computed on first use and kept with the snapshot.
struct LanguageCache {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<detect::AnalysisResult>> results;  // by "fr" / "en"
    std::map<std::string, std::string> json;                                 // detect::to_json of each
};

struct Snapshot {
    std::vector<Message> messages;
    std::vector<Thread> threads;
    detect::AnalysisSettings settings;  // as used (owners and internal domains filled in)
    detect::Identity identity;
    detect::AnalysisResult result;
    int64_t now = 0;                    // the analysis instant (UTC seconds)
    int64_t loaded_at = 0;
    std::string analysis_json;          // detect::to_json(result): the analyze contract, built once

    std::unordered_map<std::string, size_t> thread_by_id;        // thread id -> index in threads
    std::unordered_map<std::string, size_t> thread_of_message;   // message id -> index in threads
    std::vector<ThreadInfo> thread_info;                          // parallel to threads
    std::unordered_map<std::string, std::vector<size_t>> all_in_copy_by_account;   // -> result.all_in_copy
    std::unordered_map<std::string, size_t> all_in_copy_by_thread;
    std::unordered_map<std::string, std::vector<size_t>> insists_by_thread;        // -> result.insists_on_cc
    std::unordered_map<std::string, std::vector<size_t>> stakeholders_by_account;  // -> result.stakeholders
    std::unordered_map<std::string, int64_t> last_activity_by_account;
    std::unordered_map<std::string, const detect::StalledDeal*> stalled_by_account;
    // The rep of each account: the internal person who last wrote to it, else the owner.
    std::unordered_map<std::string, std::string> rep_by_account;
    // Display names of the reps (person key -> the name of their latest message, "" if none).
    std::map<std::string, std::string> rep_names;
    std::shared_ptr<LanguageCache> languages = std::make_shared<LanguageCache>();

    // The analysis with its suggestions written in lang ("fr"/"en"; "" = the snapshot's own).
    // Findings are the same, in the same order, in every language: only the texts differ, so an
    // index into result's vectors is valid in the other language's result too.
    const detect::AnalysisResult& result_in(const std::string& lang) const;
    const std::string& analysis_json_in(const std::string& lang) const;
    // The rep of a thread id or an account ("" when neither is known).
    std::string rep_of_thread(const std::string& thread_id) const;
    std::string rep_of_account(const std::string& account) const;
};

// How to analyze: like `interlocutor analyze`. Empty owners / internal domains = the store's.
struct SnapshotOptions {
    std::string db_path;
    detect::AnalysisSettings settings;
};

// Opens the store read-only, loads every message, threads and analyzes them, builds indexes.
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
