// interlocutor digest: the weekly summary mail of an account, or the manager's digest of the team
// (SPEC "Weekly summary mail"), written as an .eml file the user can open and send.
#include <ctime>
#include <fstream>
#include <iostream>

#include "common.h"

#if ILC_HAVE_DIGEST
#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/business_days.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/digest/digest.h"
#endif

namespace ilc::cli {

#if ILC_HAVE_DIGEST
int cmd_digest(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"account", true, false, "the account: its organization's domain, e.g. acme.com", "ORG"},
        {"account-name", true, false, "the account's name in the subject (default: from the domain)", "NAME"},
        {"team", false, false, "write the manager's digest of the team instead of an account's", ""},
        {"week", true, false, "the ISO week, e.g. 2026-W47 (default: the week of --now)", "YYYY-Www"},
        {"lang", true, false, "fr or en (default: the mailbox's)", "LANG"},
        {"now", true, false, "the instant to write at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (recipients of --team)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers and account merges (see docs/CONFIG.md)", "FILE"},
        {"out", true, false, "the .eml file to write", "FILE"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("digest", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor digest [--db FILE] --account ORG [--week YYYY-Www] [--lang fr|en] --out FILE\n"
                                 "       interlocutor digest [--db FILE] --team [--week YYYY-Www] --manager ADDR --out FILE",
                                 "Writes the weekly summary mail of an account (decisions, next deadlines, open\n"
                                 "questions, topics handled directly by subject only, the week in numbers), or the\n"
                                 "manager's digest of the team, as an RFC 5322 .eml file.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("digest", "unexpected argument '" + args.positionals()[0] + "'");
    const bool team = args.has("team");
    if (team == args.has("account")) return usage_error("digest", "give either --account ORG or --team");
    auto out = args.get("out");
    if (!out) return usage_error("digest", "--out FILE is required");
    const std::string lang = args.get_or("lang", "");
    if (!lang.empty() && lang != "fr" && lang != "en") return usage_error("digest", "--lang must be fr or en");

    detect::AnalysisSettings settings;
    if (auto cfg = args.get("config")) {
        auto c = detect::load_config(*cfg);
        if (!c) return runtime_error(c.error());
        detect::apply_config(c.value(), settings);
    }
    if (auto now = args.get("now")) {
        auto t = detect::parse_iso8601(*now);
        if (!t) return usage_error("digest", "--now: " + t.error().message);
        settings.now = t.value();
    } else {
        settings.now = (int64_t)std::time(nullptr);
    }
    if (auto tz = args.get("tz")) settings.tz = *tz;
    if (auto h = args.get("holidays")) {
        auto hol = detect::load_holidays(*h);
        if (!hol) return runtime_error(hol.error());
        settings.holidays.insert(hol->begin(), hol->end());
    }
    for (const auto& m : args.all("manager")) settings.managers.push_back(m);
    if (!lang.empty()) settings.lang = lang;

    digest::IsoWeek week;
    if (auto w = args.get("week")) {
        auto pw = digest::parse_iso_week(*w);
        if (!pw) return usage_error("digest", "--week: " + pw.error().to_string());
        week = pw.value();
    } else {
        week = digest::iso_week_of_day(detect::BusinessCalendar(settings.tz).local_day(settings.now));
    }

    auto st = open_store_for_reading(args);
    if (!st) return runtime_error(st.error());
    auto corpus = load_corpus(*st.value(), /*with_text=*/true);
    if (!corpus) return runtime_error(corpus.error());
    settings.owners = args.has("me") ? args.all("me") : (settings.owners.empty() ? corpus->owners : settings.owners);
    if (args.has("internal-domain")) settings.internal_domains = args.all("internal-domain");
    else if (settings.internal_domains.empty()) settings.internal_domains = corpus->internal_domains;
    if (settings.owners.empty())
        return runtime_error({ErrorCode::usage, "the mailbox owner is unknown",
                              "ingest a sent folder, or pass --me ADDRESS to ingest or digest"});

    auto analysis = detect::analyze(corpus->messages, corpus->threads, settings);
    std::string eml;
    if (team) {
        auto d = digest::build_team(corpus->messages, analysis, settings, week, lang);
        if (!d) return runtime_error(d.error());
        eml = digest::render_mail(digest::team_mail(d.value(), settings));
    } else {
        digest::DigestOptions opts;
        opts.account = *args.get("account");
        opts.account_name = args.get_or("account-name", "");
        opts.week = week;
        opts.lang = lang;
        auto d = digest::build_weekly(corpus->messages, corpus->threads, analysis, settings, opts);
        if (!d) return runtime_error(d.error());
        eml = digest::render_mail(digest::weekly_mail(d.value(), settings));
    }
    std::ofstream f(*out, std::ios::binary | std::ios::trunc);
    if (!f) return runtime_error({ErrorCode::io, "cannot write " + *out, "check the folder exists and is writable"});
    f << eml;
    f.close();
    if (!f) return runtime_error({ErrorCode::io, "writing " + *out + " failed", "is the disk full?"});
    std::cerr << "wrote " << *out << " (" << eml.size() << " bytes)\n";
    return 0;
}
#else
int cmd_digest(int, char**) {
    std::cerr << "interlocutor digest: not available in this build (ilc_digest was not built)\n";
    return kExitUsage;
}
#endif

}  // namespace ilc::cli
