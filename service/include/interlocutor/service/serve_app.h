#pragma once
// `interlocutor serve` as a Poco::Util::ServerApplication: the service configuration file, the
// application log file, and a clean stop on SIGINT/SIGTERM (waitForTerminationRequest).
#include <functional>
#include <ostream>
#include <string>

#include "interlocutor/service/service.h"

namespace ilc::service {

// What the command line said; the configuration file fills what it left out.
struct ServeAppOptions {
    // An INI or .properties file (Poco::Util): keys serve.port, serve.token_file, serve.log_file,
    // serve.static_dir, serve.sources (spaces or commas), serve.sync_every (minutes). See docs/API.md.
    std::string config_file;
    bool port_given = false;         // opts.port came from --port
    bool print_open_url = false;     // --open: print the URL that logs the browser in
    std::ostream* out = nullptr;     // where the URL and the token file are announced (stdout)
    // Background work the caller adds to the service (serve --publish-team: the scheduled team
    // publish). on_started runs once the service listens and the log file is open, with a
    // function that writes a line to the service log (error = true: an error line); on_stopping
    // runs on SIGINT/SIGTERM before the service stops. Neither may block for long.
    using LogLine = std::function<void(bool error, const std::string& line)>;
    std::function<void(const LogLine& log)> on_started;
    std::function<void()> on_stopping;
};

// Blocks SIGINT/SIGTERM/SIGQUIT in the calling thread; call it before any thread starts so that
// only the application's sigwait receives them.
void block_stop_signals();

// Runs until SIGINT or SIGTERM; returns the process exit code (0 after a clean stop).
int run_serve_app(ServiceOptions opts, const ServeAppOptions& app);

}  // namespace ilc::service
