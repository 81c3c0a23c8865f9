// interlocutor analyze: the findings and the stakeholder map (SPEC "Findings", JSON contract).
#include <iostream>

#include "common.h"
#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/report.h"

namespace ilc::cli {

int cmd_analyze(int argc, char** argv) {
    std::vector<OptionSpec> specs = {db_option()};
    for (auto& o : analysis_option_specs()) specs.push_back(o);
    specs.push_back({"format", true, false, "json, text or csv (default: text)", "FORMAT"});
    specs.push_back({"help", false, false, "show this help", ""});
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
    auto options = read_analysis_options(args);
    if (!options) return option_error("analyze", options.error());
    detect::AnalysisSettings& settings = options->settings;

    auto st = open_store_for_reading(args);
    if (!st) return runtime_error(st.error());
    auto corpus = load_corpus(*st.value(), /*with_text=*/true, /*with_threading_headers=*/false);
    if (!corpus) return runtime_error(corpus.error());
    if (auto owners = resolve_owners(args, corpus.value(), "analyze", settings); !owners)
        return option_error("analyze", owners.error());

    auto result = detect::analyze(corpus->messages, corpus->threads, settings);
    if (format == "json") std::cout << detect::to_json(result) << "\n";
    else if (format == "csv") std::cout << detect::to_csv(result);
    else std::cout << detect::to_text(result);
    exit_without_teardown(kExitOk);
}

}  // namespace ilc::cli
