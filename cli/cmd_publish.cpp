// interlocutor publish: pushes the rep's findings and the metadata of a team view to the team
// database (SPEC "Team scale", docs/TEAM.md). The analysis runs here; core/team decides what
// may leave the machine (never bodies or new text) and writes it in one transaction.
#include <iostream>

#include "common.h"

#if ILC_HAVE_TEAM
#include <pthread.h>

#include <csignal>
#include <optional>

#include "interlocutor/team/publish.h"
#include "interlocutor/team/team_config.h"
#include "interlocutor/team/team_store.h"
#endif

namespace ilc::cli {

#if !ILC_HAVE_TEAM
int cmd_publish(int, char**) {
    std::cerr << "interlocutor publish: this build has no team support (libpq); rebuild with core/team\n";
    return kExitUsage;
}
#else
int cmd_publish(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        {"team", true, false, "the team database: postgresql://user@host/db or an SQLite file (default: url in the config's [team])", "URL"},
        db_option(),
        {"rep", true, false, "the name the rep publishes under (default: [team] rep, then the owner's first address)", "NAME"},
        {"private-account", true, true, "an account (organization) that never leaves this machine", "ORG"},
        {"exclusive-contact", true, true, "a contact shown to the team only as 'a colleague knows someone'", "ADDR"},
        {"now", true, false, "the instant to analyze at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone for business days (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (escalation rules)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers, account merges and [team] sharing (see docs/CONFIG.md)", "FILE"},
        {"every", true, false, "publish again every DURATION (30s, 15m, 1h) until interrupted", "DURATION"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("publish", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor publish --team URL [--db FILE] [--rep NAME] [--private-account ORG]...\n"
                                 "                            [--exclusive-contact ADDR]... [analyze options]",
                                 "Publishes this rep's findings, accounts, thread subjects and dates, participants and\n"
                                 "relationship strengths to the team database, replacing the rep's previous publish in\n"
                                 "one transaction. Mail bodies and text never leave this machine.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("publish", "unexpected argument '" + args.positionals()[0] + "'");

    // The config file's [team] section fills what the options leave out (docs/CONFIG.md); the
    // private accounts and exclusive contacts of both add up, so an option never shares more.
    auto analysis = read_analysis_options(args);
    if (!analysis) return option_error("publish", analysis.error());
    const TeamSettings& cfg = analysis->team;
    const std::string url = args.get_or("team", cfg.url);
    if (url.empty())
        return usage_error("publish", "--team URL is required (postgresql://user@host/dbname), or url in the config's [team]");

    team::PublishRequest request;
    request.db_path = db_path(args);
    request.rep = args.get_or("rep", cfg.rep);
    request.settings = analysis->settings;
    request.owners = args.all("me");
    request.internal_domains = args.all("internal-domain");
    request.policy.private_accounts = cfg.private_accounts;
    request.policy.exclusive_contacts = cfg.exclusive_contacts;
    for (const auto& a : args.all("private-account")) request.policy.private_accounts.push_back(a);
    for (const auto& a : args.all("exclusive-contact")) request.policy.exclusive_contacts.push_back(a);

    std::optional<int> every;
    if (auto e = args.get("every")) {
        every = team::parse_duration_seconds(*e);
        if (!every) return usage_error("publish", "--every takes a duration like 30s, 15m or 1h (at least 1s)");
    }

    // Reach the team database first: a wrong URL should not wait for a whole analysis.
    auto db = team::TeamStore::open(url);
    if (!db) return runtime_error(db.error());

    if (!every) {
        auto r = team::publish_store(*db.value(), request);
        if (!r) return runtime_error(r.error());
        std::cout << r->describe(url) << "\n";
        return 0;
    }
    db.value().reset();
    // Scheduled publishing: again every interval until SIGINT/SIGTERM, in the same background
    // publisher that serve --publish-team runs. A failed round (server down, store locked) is
    // reported and retried at the next interval; the previous publish stays meanwhile.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    team::ScheduledPublisher publisher(url, request, *every, [](bool error, const std::string& line) {
        (error ? std::cerr : std::cout) << (error ? "interlocutor: error: " : "") << line << "\n" << std::flush;
    });
    publisher.start();
    int sig = 0;
    sigwait(&stop_signals, &sig);
    publisher.stop();
    return 0;
}
#endif

}  // namespace ilc::cli
