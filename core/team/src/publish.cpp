// Publishing a rep's store, once or on a schedule; see publish.h.
#include "interlocutor/team/publish.h"

#include <chrono>
#include <cstdio>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/store/store.h"
#include "interlocutor/team/sql_connection.h"
#include "interlocutor/threading/threader.h"

namespace ilc::team {

std::string PublishSummary::describe(const std::string& url) const {
    return "published for " + rep + ": " + std::to_string(accounts) + " accounts, " + std::to_string(threads) +
           " threads, " + std::to_string(contacts) + " relationships, " + std::to_string(findings) + " findings to " +
           redact_url(url);
}

Result<PublishSummary> publish_store(TeamStore& db, const PublishRequest& request) {
    // A store of an older schema version (after a package upgrade) is upgraded once, here.
    auto st = store::Store::open_for_reading(request.db_path, 600, [](const std::string& what) {
        std::fprintf(stderr, "interlocutor publish: %s\n", what.c_str());
    });
    if (!st) {
        Error e = st.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    auto& store = *st.value();
    // What the detectors and the team snapshot read (the snapshot reads only From, To and Cc; no
    // body text is published): no quoted history, none of the columns no detector reads, as
    // `analyze` and the service load them.
    auto msgs = store.load_messages(store::LoadOptions::for_analysis());
    if (!msgs) return msgs.error();
    auto stored_owners = store.owner_addresses();
    if (!stored_owners) return stored_owners.error();
    auto stored_internal = store.internal_domains();
    if (!stored_internal) return stored_internal.error();

    // Threads are built with the store's owners, as every other verb does, so that a thread id
    // published here is the one `interlocutor threads` shows. Threaded on the messages in place
    // (no ThreadInput copy of each); the threading headers, which nothing after reads, go then.
    threading::ThreadingOptions topts;
    topts.owner_addresses = stored_owners.value();
    const auto threads = threading::thread_messages_in_place(msgs.value(), topts);
    for (auto& m : msgs.value()) threading::drop_threading_headers(m);

    detect::AnalysisSettings s = request.settings;
    if (!request.owners.empty()) s.owners = request.owners;
    else if (s.owners.empty()) s.owners = stored_owners.value();
    if (!request.internal_domains.empty()) s.internal_domains = request.internal_domains;
    else if (s.internal_domains.empty()) s.internal_domains = stored_internal.value();
    if (s.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown",
                     "ingest a sent folder, or pass --me ADDRESS to ingest or publish"};

    const auto result = detect::analyze(msgs.value(), threads, s);
    const std::string rep = request.rep.empty() ? s.owners.front() : request.rep;
    const auto snap = build_snapshot(rep, msgs.value(), threads, result, s, request.policy);
    if (auto r = db.publish(snap); !r) return r.error();
    PublishSummary sum;
    sum.rep = rep;
    sum.accounts = snap.accounts.size();
    sum.threads = snap.threads.size();
    sum.contacts = snap.contacts.size();
    sum.findings = snap.findings.size();
    sum.messages = snap.message_count;
    return sum;
}

ScheduledPublisher::ScheduledPublisher(std::string url, PublishRequest request, int every_seconds, Log log)
    : url_(std::move(url)), request_(std::move(request)), every_seconds_(every_seconds), log_(std::move(log)) {}

ScheduledPublisher::~ScheduledPublisher() { stop(); }

void ScheduledPublisher::start() {
    std::lock_guard lk(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void ScheduledPublisher::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

int ScheduledPublisher::rounds_done() const {
    std::lock_guard lk(mu_);
    return done_;
}

int ScheduledPublisher::rounds_failed() const {
    std::lock_guard lk(mu_);
    return failed_;
}

void ScheduledPublisher::loop() {
    std::unique_ptr<TeamStore> db;
    for (;;) {
        // One round: (re)connect when the previous round lost the connection, then publish.
        std::string line;
        bool error = false;
        if (!db) {
            auto opened = TeamStore::open(url_);
            if (opened) db = std::move(opened.value());
            else error = true, line = opened.error().message;
        }
        if (db) {
            auto r = publish_store(*db, request_);
            if (r) {
                line = r->describe(url_);
            } else {
                error = true;
                line = r.error().message;
                // The connection may be the broken part: open a new one next round.
                db.reset();
            }
        }
        if (error) line = "team publish to " + redact_url(url_) + " failed: " + line + " (retrying in " +
                          std::to_string(every_seconds_) + " s)";
        {
            std::lock_guard lk(mu_);
            ++(error ? failed_ : done_);
        }
        if (log_) log_(error, line);
        std::unique_lock lk(mu_);
        if (cv_.wait_for(lk, std::chrono::seconds(every_seconds_), [this] { return stopping_; })) break;
    }
}

}  // namespace ilc::team
