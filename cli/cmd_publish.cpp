// interlocutor publish: pushes the rep's findings and the metadata of a team view to the team
// database (SPEC "Team scale", docs/TEAM.md). The analysis runs here; core/team decides what
// may leave the machine (never bodies or new text) and writes it in one transaction.
#include <iostream>

#include "common.h"

#if ILC_HAVE_TEAM
#include <pthread.h>

#include <csignal>
#include <ctime>
#include <optional>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/team/snapshot.h"
#include "interlocutor/team/team_store.h"
#endif

namespace ilc::cli {

#if !ILC_HAVE_TEAM
int cmd_publish(int, char**) {
    std::cerr << "interlocutor publish: this build has no team support (libpq); rebuild with core/team\n";
    return kExitUsage;
}
#else
namespace {
// "30s", "15m", "1h" (a bare number is seconds) -> seconds; nullopt when malformed or < 1 s.
std::optional<int> parse_duration_seconds(const std::string& s) {
    if (s.empty()) return std::nullopt;
    size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(s, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const std::string unit = s.substr(used);
    long long mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (mult == 0 || n < 1 || n > 7 * 24 * 3600) return std::nullopt;
    return int(n * mult);
}
}  // namespace

int cmd_publish(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        {"team", true, false, "the team database: postgresql://user@host/db (or an SQLite file)", "URL"},
        db_option(),
        {"rep", true, false, "the name the rep publishes under (default: the owner's first address)", "NAME"},
        {"private-account", true, true, "an account (organization) that never leaves this machine", "ORG"},
        {"exclusive-contact", true, true, "a contact shown to the team only as 'a colleague knows someone'", "ADDR"},
        {"now", true, false, "the instant to analyze at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone for business days (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (escalation rules)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers and account merges (see docs/CONFIG.md)", "FILE"},
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
    auto url = args.get("team");
    if (!url) return usage_error("publish", "--team URL is required (postgresql://user@host/dbname)");

    detect::AnalysisSettings settings;
    if (auto cfg = args.get("config")) {
        auto c = detect::load_config(*cfg);
        if (!c) return runtime_error(c.error());
        detect::apply_config(c.value(), settings);
    }
    if (auto now = args.get("now")) {
        auto t = detect::parse_iso8601(*now);
        if (!t) return usage_error("publish", "--now: " + t.error().message);
        settings.now = t.value();
    }
    if (auto tz = args.get("tz")) settings.tz = *tz;
    if (auto h = args.get("holidays")) {
        auto hol = detect::load_holidays(*h);
        if (!hol) return runtime_error(hol.error());
        settings.holidays.insert(hol->begin(), hol->end());
    }
    for (const auto& m : args.all("manager")) settings.managers.push_back(m);

    // Reach the team database first: a wrong URL should not wait for a whole analysis.
    auto db = team::TeamStore::open(*url);
    if (!db) return runtime_error(db.error());

    std::optional<int> every;
    if (auto e = args.get("every")) {
        every = parse_duration_seconds(*e);
        if (!every) return usage_error("publish", "--every takes a duration like 30s, 15m or 1h (at least 1s)");
    }

    // One analysis and publish of the store as it is now. settings is copied so that a scheduled
    // run re-reads the store's owners and "now" every time.
    auto publish_once = [&](detect::AnalysisSettings s) -> Status {
        if (!db) return db.error();
        auto st = open_store_for_reading(args);
        if (!st) return st.error();
        auto corpus = load_corpus(*st.value(), /*with_text=*/true);
        if (!corpus) return corpus.error();
        s.owners = args.has("me") ? args.all("me") : (s.owners.empty() ? corpus->owners : s.owners);
        if (args.has("internal-domain")) s.internal_domains = args.all("internal-domain");
        else if (s.internal_domains.empty()) s.internal_domains = corpus->internal_domains;
        if (s.owners.empty())
            return Error{ErrorCode::usage, "the mailbox owner is unknown",
                         "ingest a sent folder, or pass --me ADDRESS to ingest or publish"};
        auto result = detect::analyze(corpus->messages, corpus->threads, s);
        team::SharingPolicy policy;
        policy.private_accounts = args.all("private-account");
        policy.exclusive_contacts = args.all("exclusive-contact");
        const std::string rep = args.get_or("rep", s.owners.front());
        auto snap = team::build_snapshot(rep, corpus->messages, corpus->threads, result, s, policy);
        if (auto r = db.value()->publish(snap); !r) return r;
        std::cout << "published for " << rep << ": " << snap.accounts.size() << " accounts, " << snap.threads.size()
                  << " threads, " << snap.contacts.size() << " relationships, " << snap.findings.size() << " findings to "
                  << team::redact_url(*url) << "\n"
                  << std::flush;
        return ok_status();
    };

    if (!every) {
        if (auto s = publish_once(settings); !s) return runtime_error(s.error());
        return 0;
    }
    // Scheduled publishing: again every interval until SIGINT/SIGTERM. A failed round (server
    // down, store locked) is reported and retried at the next interval; the previous publish
    // stays in the team database meanwhile.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    for (;;) {
        if (auto s = publish_once(settings); !s) {
            runtime_error(s.error());
            // The connection may be the broken part: reconnect for the next round.
            db = team::TeamStore::open(*url);
        }
        timespec wait{*every, 0};
        if (sigtimedwait(&stop_signals, nullptr, &wait) > 0) break;
    }
    return 0;
}
#endif

}  // namespace ilc::cli
