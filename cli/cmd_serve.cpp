// interlocutor serve: the local HTTP service (SPEC "Local service"); the work is in service/.
#include <iostream>

#include "common.h"

#if ILC_HAVE_SERVICE
#include <csignal>
#include <pthread.h>

#include "interlocutor/detect/settings.h"
#include "interlocutor/service/service.h"
#endif

namespace ilc::cli {

#if !ILC_HAVE_SERVICE
int cmd_serve(int, char**) {
    std::cerr << "interlocutor serve: this build has no service (Poco); rebuild with service/\n";
    return kExitUsage;
}
#else
int cmd_serve(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"port", true, false, "TCP port on 127.0.0.1 (default: 8765; 0 = any free port)", "N"},
        {"token-file", true, false, "the access token file, created with mode 0600 (default: <db dir>/token)", "FILE"},
        {"open", false, false, "print a dashboard URL that logs the browser in (holds the token: do not share)", ""},
        {"now", true, false, "the instant to analyze at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone for business days (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (escalation rules)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers and account merges (see docs/CONFIG.md)", "FILE"},
        {"lang", true, false, "language of the suggestions: fr or en (default: the mailbox's)", "LANG"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("serve", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor serve [--db FILE] [--port N] [--token-file F] [--open] [analyze options]",
                                 "Serves the JSON API (docs/API.md) and the manager dashboard on 127.0.0.1 until\n"
                                 "interrupted (Ctrl-C / SIGTERM). Every request but /v1/health needs the token:\n"
                                 "'Authorization: Bearer <token>'. The store is reloaded when an ingest changes it.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("serve", "unexpected argument '" + args.positionals()[0] + "'");
    int port = 8765;
    if (auto p = args.get("port")) {
        try {
            size_t used = 0;
            port = std::stoi(*p, &used);
            if (used != p->size() || port < 0 || port > 65535) throw std::out_of_range("port");
        } catch (const std::exception&) {
            return usage_error("serve", "--port must be a number from 0 to 65535");
        }
    }
    const std::string lang = args.get_or("lang", "");
    if (!lang.empty() && lang != "fr" && lang != "en") return usage_error("serve", "--lang must be fr or en");

    service::ServiceOptions opts;
    opts.port = port;
    opts.token_file = args.get_or("token-file", "");
    opts.snapshot.db_path = db_path(args);
    auto& settings = opts.snapshot.settings;
    if (auto cfg = args.get("config")) {
        auto c = detect::load_config(*cfg);
        if (!c) return runtime_error(c.error());
        detect::apply_config(c.value(), settings);
    }
    if (auto now = args.get("now")) {
        auto t = detect::parse_iso8601(*now);
        if (!t) return usage_error("serve", "--now: " + t.error().message);
        settings.now = t.value();
    }
    if (auto tz = args.get("tz")) settings.tz = *tz;
    if (auto h = args.get("holidays")) {
        auto hol = detect::load_holidays(*h);
        if (!hol) return runtime_error(hol.error());
        settings.holidays.insert(hol->begin(), hol->end());
    }
    for (const auto& m : args.all("manager")) settings.managers.push_back(m);
    if (args.has("me")) settings.owners = args.all("me");
    if (args.has("internal-domain")) settings.internal_domains = args.all("internal-domain");
    if (!lang.empty()) settings.lang = lang;

    // Block the stop signals before any thread starts, so only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto svc = service::Service::start(opts);
    if (!svc) return runtime_error(svc.error());
    auto& s = *svc.value();
    std::cout << "interlocutor serve: listening on " << s.url() << "\n"
              << "  token file: " << s.token_file() << "\n"
              << "  request log: " << s.log_file() << "\n";
    if (args.has("open")) std::cout << "  dashboard: " << s.url() << "?token=" << s.token() << "\n";
    std::cout << "Press Ctrl-C to stop.\n" << std::flush;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cout << "interlocutor serve: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")\n" << std::flush;
    s.stop();
    return 0;
}
#endif

}  // namespace ilc::cli
