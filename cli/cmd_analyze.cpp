// interlocutor analyze: the findings and the stakeholder map (SPEC "Findings", JSON contract).
#include <iostream>

#include "common.h"
#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/mail_corpus.h"
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
    // What load_corpus(with_threading_headers = false) gives, on slim records: the messages come
    // from the store in batches, each turned into a detect::Mail (its texts, cues and automated
    // headers reduced to what the detectors test) and its threading headers, so that no more than
    // a batch of whole Messages is ever in memory (at 1M messages they were 2.5 GB, most of the
    // peak). The threader then reads the Mails in place.
    store::Store& store = *st.value();
    Corpus corpus;  // the owner settings only: resolve_owners() reads nothing else
    auto owners = store.owner_addresses();
    if (!owners) return runtime_error(owners.error());
    corpus.owners = owners.value();
    auto internal = store.internal_domains();
    if (!internal) return runtime_error(internal.error());
    corpus.internal_domains = internal.value();
    // The owners before the load, so that the first step skips what these settings leave unread
    // (detect::MailMaker); an unknown owner is reported after the load, as it always was.
    const Status resolved = resolve_owners(args, corpus, "analyze", settings);
    detect::MailMaker make_mail(resolved.ok() ? &settings : nullptr);
    detect::MailCorpus mails(std::move(make_mail));
    auto scanned = store.scan_messages(store::LoadOptions::for_analysis(), [&](std::vector<Message>& batch, size_t total) { mails.add(batch, total); });
    if (!scanned.ok()) return runtime_error(scanned.error());
    // Threaded with the store's owners, as load_corpus() does; the headers go at once.
    threading::ThreadingOptions topts;
    topts.owner_addresses = corpus.owners;
    const std::vector<Thread> threads = mails.thread(topts);
    if (!resolved.ok()) return option_error("analyze", resolved.error());

    auto result = detect::analyze(mails.mails, threads, settings);
    // Written as it is made, never whole in memory (70 MB on a 1M-message store).
    if (format == "json") {
        detect::write_json(std::cout, result);
        std::cout << "\n";
    } else if (format == "csv") {
        std::cout << detect::to_csv(result);
    } else {
        std::cout << detect::to_text(result);
    }
    exit_without_teardown(kExitOk);
}

}  // namespace ilc::cli
