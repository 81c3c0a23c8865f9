#pragma once
// Publishing a rep's store to the team database, once or on a schedule. `interlocutor publish`
// and `interlocutor serve --publish-team` both call these, so the analysis, the sharing policy
// and the retry rules are the same wherever the publish starts.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "interlocutor/detect/settings.h"
#include "interlocutor/result.h"
#include "interlocutor/team/snapshot.h"
#include "interlocutor/team/team_store.h"

namespace ilc::team {

// What to publish: the rep's store and the analysis settings, as the CLI resolved them.
struct PublishRequest {
    std::string db_path;                     // the rep's SQLite store
    std::string rep;                         // "" = the owner's first address
    detect::AnalysisSettings settings;       // now == 0: the current time at each publish
    // Owners and internal domains: these when given, else settings', else the store's.
    std::vector<std::string> owners, internal_domains;
    SharingPolicy policy;
};

struct PublishSummary {
    std::string rep;
    size_t accounts = 0, threads = 0, contacts = 0, findings = 0;
    int messages = 0;
    // "published for REP: 12 accounts, 40 threads, 30 relationships, 9 findings to URL"
    std::string describe(const std::string& url) const;
};

// Reads the store as it is now, analyzes it and publishes the snapshot in one transaction
// (TeamStore::publish). The store is opened read-only, so an ingest may run meanwhile.
Result<PublishSummary> publish_store(TeamStore& db, const PublishRequest& request);

// Publishes at start and then every interval in a background thread until stop(). A failed
// round (server down, store locked) is logged, the connection is reopened at the next round and
// the previous publish stays in the team database meanwhile. Nothing here blocks the caller:
// stop() wakes the thread and waits for the round in flight, if any, to finish.
class ScheduledPublisher {
public:
    // Log lines: error = false for a publish done, true for a failed round.
    using Log = std::function<void(bool error, const std::string& line)>;
    ScheduledPublisher(std::string url, PublishRequest request, int every_seconds, Log log);
    ~ScheduledPublisher();  // stop()
    ScheduledPublisher(const ScheduledPublisher&) = delete;
    ScheduledPublisher& operator=(const ScheduledPublisher&) = delete;

    void start();
    void stop();
    int rounds_done() const;    // rounds that published
    int rounds_failed() const;  // rounds that failed

private:
    void loop();

    std::string url_;
    PublishRequest request_;
    int every_seconds_;
    Log log_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    int done_ = 0, failed_ = 0;
    std::thread thread_;
};

}  // namespace ilc::team
