#pragma once
// The local HTTP service (SPEC "Local service"): a Poco HTTPServer bound to 127.0.0.1 only,
// JSON API under /v1, the dashboard under /. API reference: docs/API.md.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interlocutor/result.h"
#include "interlocutor/service/snapshot.h"

namespace ilc::service {

// Progress of the ingest run by POST /v1/ingest, as the runner reports it.
struct IngestProgress {
    std::string source;        // the source being read
    int64_t bytes_done = 0;    // of this source
    int64_t bytes_total = 0;
    int64_t messages = 0;      // read so far, all sources
};

// What an ingest run did, for GET /v1/ingest's summary.
struct IngestOutcome {
    int64_t read = 0, stored = 0, duplicates = 0, repaired = 0, skipped = 0;
    int64_t total_messages = 0;                 // in the store afterwards
    std::vector<std::string> source_errors;     // "path: reason" for a source that could not be read
};

// Runs one ingest of sources into the store at db_path, reporting progress. The service does
// not link the ingest pipeline itself: `interlocutor serve` fills this with
// ilc::ingest::ingest_sources, so another source kind (imap://) can be routed elsewhere later.
using IngestRunner = std::function<Result<IngestOutcome>(const std::string& db_path, const std::vector<std::string>& sources,
                                                         const std::function<void(const IngestProgress&)>& on_progress)>;

struct ServiceOptions {
    SnapshotOptions snapshot;
    int port = 0;                 // 0 = any free port (see Service::port())
    std::string token_file;       // "" = <db-dir>/token
    std::string log_file;         // "" = <db-dir>/serve.log
    std::string static_dir;       // "" = resolve_static_dir("")
    int max_threads = 8;
    // POST /v1/ingest: the configured sources, read together with the store's recorded ones.
    std::vector<std::string> sources;
    IngestRunner ingest_runner;   // empty = POST /v1/ingest answers 501
    int sync_every_minutes = 0;   // > 0: also run an ingest every N minutes
};

// The dashboard directory, first that exists of: explicit (--static-dir), $ILC_STATIC_DIR,
// <directory of the executable>/../share/interlocutor/static (the installed layout), and the
// source tree's service/static compiled in. Returns "" when none holds index.html.
std::string resolve_static_dir(const std::string& explicit_dir);

// Reads the token in path, or creates it (32 random bytes from /dev/urandom, hex) with mode
// 0600. An existing file readable by others is refused: the token is the only key.
Result<std::string> load_or_create_token(const std::string& path);

class Service {
public:
    // Loads the store, binds 127.0.0.1:port and starts serving.
    static Result<std::unique_ptr<Service>> start(const ServiceOptions& opts);
    ~Service();  // stops
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    int port() const;
    const std::string& token() const;
    const std::string& token_file() const;
    const std::string& log_file() const;
    const std::string& static_dir() const;
    std::string url() const;  // http://127.0.0.1:<port>/
    SnapshotCache& cache();
    // Starts an ingest of the configured and recorded sources in the background; false (and
    // why) when one is already running or no runner is set.
    bool start_ingest(std::string* why = nullptr);
    bool ingest_running() const;
    void stop();              // waits for requests in flight (up to a few seconds)

    struct Impl;

private:
    explicit Service(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ilc::service
