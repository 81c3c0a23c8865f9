// interlocutor analyze: the findings and the stakeholder map (SPEC "Findings", JSON contract).
#include <iostream>

#include "common.h"
#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/report.h"
#include "interlocutor/detect/settings.h"

namespace ilc::cli {

int cmd_analyze(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"now", true, false, "the instant to analyze at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone for business days (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (escalation rules)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers and account merges (see docs/CONFIG.md)", "FILE"},
        {"lang", true, false, "language of the suggestions: fr or en (default: the mailbox's)", "LANG"},
        {"format", true, false, "json, text or csv (default: text)", "FORMAT"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("analyze", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor analyze [--db FILE] [--now ISO8601] [--tz ZONE] [--holidays FILE]\n"
                                 "                            [--manager ADDR]... [--config FILE] --format json|text|csv",
                                 "Finds all-in-copy threads, unanswered follow-ups (both ways), people who insist on\n"
                                 "being in copy, stalled deals and accounts with too many internal contacts, and maps\n"
                                 "the stakeholders of each account.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("analyze", "unexpected argument '" + args.positionals()[0] + "'");
    const std::string format = args.get_or("format", "text");
    if (format != "text" && format != "json" && format != "csv")
        return usage_error("analyze", "--format must be json, text or csv");
    const std::string lang = args.get_or("lang", "");
    if (!lang.empty() && lang != "fr" && lang != "en") return usage_error("analyze", "--lang must be fr or en");

    detect::AnalysisSettings settings;
    if (auto cfg = args.get("config")) {
        auto c = detect::load_config(*cfg);
        if (!c) return runtime_error(c.error());
        detect::apply_config(c.value(), settings);
    }
    if (auto now = args.get("now")) {
        auto t = detect::parse_iso8601(*now);
        if (!t) return usage_error("analyze", "--now: " + t.error().message);
        settings.now = t.value();
    }
    if (auto tz = args.get("tz")) settings.tz = *tz;
    if (auto h = args.get("holidays")) {
        auto hol = detect::load_holidays(*h);
        if (!hol) return runtime_error(hol.error());
        settings.holidays.insert(hol->begin(), hol->end());
    }
    for (const auto& m : args.all("manager")) settings.managers.push_back(m);
    if (!lang.empty()) settings.lang = lang;

    auto st = open_store_for_reading(args);
    if (!st) return runtime_error(st.error());
    auto corpus = load_corpus(*st.value(), /*with_text=*/true);
    if (!corpus) return runtime_error(corpus.error());
    settings.owners = args.has("me") ? args.all("me") : (settings.owners.empty() ? corpus->owners : settings.owners);
    if (args.has("internal-domain")) settings.internal_domains = args.all("internal-domain");
    else if (settings.internal_domains.empty()) settings.internal_domains = corpus->internal_domains;
    if (settings.owners.empty())
        return runtime_error({ErrorCode::usage, "the mailbox owner is unknown",
                              "ingest a sent folder, or pass --me ADDRESS to ingest or analyze"});

    auto result = detect::analyze(corpus->messages, corpus->threads, settings);
    if (format == "json") std::cout << detect::to_json(result) << "\n";
    else if (format == "csv") std::cout << detect::to_csv(result);
    else std::cout << detect::to_text(result);
    return 0;
}

}  // namespace ilc::cli
