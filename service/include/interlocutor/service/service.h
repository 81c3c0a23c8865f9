#pragma once
// The local HTTP service (SPEC "Local service"): a Poco HTTPServer bound to 127.0.0.1 only,
// JSON API under /v1, the dashboard under /. API reference: docs/API.md.
#include <memory>
#include <string>

#include "interlocutor/result.h"
#include "interlocutor/service/snapshot.h"

namespace ilc::service {

struct ServiceOptions {
    SnapshotOptions snapshot;
    int port = 0;                 // 0 = any free port (see Service::port())
    std::string token_file;       // "" = <db-dir>/token
    std::string log_file;         // "" = <db-dir>/serve.log
    std::string static_dir;       // "" = the compiled-in dashboard directory
    int max_threads = 8;
};

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
    std::string url() const;  // http://127.0.0.1:<port>/
    SnapshotCache& cache();
    void stop();              // waits for requests in flight (up to a few seconds)

    struct Impl;

private:
    explicit Service(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ilc::service
