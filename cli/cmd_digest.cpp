// interlocutor digest: the weekly summary mail of an account, or the manager's digest of the team
// (SPEC "Weekly summary mail"), written as an .eml file the user can open and send.
#include <algorithm>
#include <ctime>
#include <fstream>
#include <iostream>

#include "common.h"

#if ILC_HAVE_DIGEST
#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/mail_corpus.h"
#include "interlocutor/detect/business_days.h"
#include "interlocutor/digest/digest.h"
#endif
#if ILC_HAVE_IMAP
#include <cstdlib>

#include "interlocutor/imap/imap.h"
#endif

namespace ilc::cli {

#if ILC_HAVE_DIGEST
int cmd_digest(int argc, char** argv) {
    std::vector<OptionSpec> specs = {
        db_option(),
        {"account", true, false, "the account: its organization's domain, e.g. acme.com", "ORG"},
        {"account-name", true, false, "the account's name in the subject (default: the config's, else from the domain)", "NAME"},
        {"team", false, false, "write the manager's digest of the team instead of an account's", ""},
        {"week", true, false, "the ISO week, e.g. 2026-W47 (default: the week of --now)", "YYYY-Www"},
    };
    for (auto& o : analysis_option_specs({{"now", "the instant to write at, ISO 8601 (default: the current time)"},
                                          {"tz", "the owner's time zone (default: the system's)"},
                                          {"manager", "an address of the rep's manager (recipients of --team)"},
                                          {"config", "thresholds, managers, account merges and names, reps (see docs/CONFIG.md)"},
                                          {"lang", "fr or en (default: the mailbox's)"}}))
        specs.push_back(o);
    specs.push_back({"out", true, false, "the .eml file to write", "FILE"});
#if ILC_HAVE_IMAP
    specs.push_back({"drafts", true, false,
                     "also store it in this IMAP folder, flagged \\Draft (imaps://user@host/Drafts; password: "
                     "ILC_IMAP_PASSWORD, ~/.netrc or a prompt)", "URL"});
    specs.push_back({"imap-ca", true, false, "CA certificates (PEM) to trust for --drafts (default: ILC_IMAP_CA, else the system's)", "FILE"});
#endif
    specs.push_back({"help", false, false, "show this help", ""});
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
    auto drafts = args.get("drafts");
    if (!out && !drafts) return usage_error("digest", "--out FILE (or --drafts URL) is required");
    if (drafts && drafts->rfind("imap://", 0) != 0 && drafts->rfind("imaps://", 0) != 0)
        return usage_error("digest", "--drafts must be an imap:// or imaps:// URL with the folder, e.g. imaps://me@host/Drafts");
    auto options = read_analysis_options(args);
    if (!options) return option_error("digest", options.error());
    detect::AnalysisSettings& settings = options->settings;
    const std::string& lang = options->lang;
    if (!args.has("now")) settings.now = (int64_t)std::time(nullptr);

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
    // What load_corpus() gave, without the whole Messages of the store (3 GB at 1M): as
    // `analyze` reads it, the messages come in batches, each made a detect::Mail (analyze()
    // finds the same on them) plus its threading headers; build_weekly and build_team then read
    // header-only Messages made of the Mails (digest::header_message), and the new text and
    // cues of the few messages a weekly digest quotes, read back one by one.
    store::Store& store = *st.value();
    Corpus corpus;  // the owner settings only: resolve_owners() reads nothing else
    auto owners = store.owner_addresses();
    if (!owners) return runtime_error(owners.error());
    corpus.owners = owners.value();
    auto internal = store.internal_domains();
    if (!internal) return runtime_error(internal.error());
    corpus.internal_domains = internal.value();
    if (auto resolved = resolve_owners(args, corpus, "digest", settings); !resolved)
        return option_error("digest", resolved.error());
    std::vector<digest::Rep> reps;
    for (const auto& [name, addresses] : options->reps) reps.push_back({name, addresses});
    if (team) {
        // The store holds the team's mail: each rep's mail is theirs to answer, so every rep's
        // address counts as an owner (after the rep of this mailbox, who stays the sender).
        for (const auto& r : reps)
            for (const auto& a : r.addresses)
                if (std::find(settings.owners.begin(), settings.owners.end(), a) == settings.owners.end())
                    settings.owners.push_back(a);
    }
    detect::MailMaker make_mail(&settings);  // the final owners: the analysis's settings
    detect::MailCorpus corpus_mails(std::move(make_mail));
    auto scanned = store.scan_messages(store::LoadOptions::for_analysis(), [&](std::vector<Message>& batch, size_t total) { corpus_mails.add(batch, total); });
    if (!scanned.ok()) return runtime_error(scanned.error());
    // Threaded with the store's owners, as load_corpus() does (cmd_analyze.cpp).
    threading::ThreadingOptions topts;
    topts.owner_addresses = corpus.owners;
    const std::vector<Thread> threads = corpus_mails.thread(topts);
    std::vector<detect::Mail>& mails = corpus_mails.mails;
    const auto analysis = detect::analyze(mails, threads, settings);
    std::vector<Message> msgs;
    msgs.reserve(mails.size());
    for (auto& m : mails) msgs.push_back(digest::header_message(std::move(m)));  // copies of the Mail's strings
    corpus_mails.release();  // the Mails and the text their strings are in
    std::string eml;
    if (team) {
        digest::TeamOptions topts;
        topts.week = week;
        topts.lang = lang;
        topts.account_names = options->account_names;
        topts.reps = reps;
        auto d = digest::build_team(msgs, analysis, settings, topts);
        if (!d) return runtime_error(d.error());
        eml = digest::render_mail(digest::team_mail(d.value(), settings));
    } else {
        digest::DigestOptions opts;
        opts.account = *args.get("account");
        opts.account_name = args.get_or("account-name", "");
        opts.week = week;
        opts.lang = lang;
        opts.account_names = options->account_names;
        for (size_t i : digest::weekly_text_messages(msgs, threads, settings, opts)) {
            auto full = store.find_message(msgs[i].message_id);
            if (!full) return runtime_error(full.error());
            if (!full.value()) continue;  // not stored: as if it had no text
            msgs[i].new_text = std::move(full.value()->new_text);
            msgs[i].cues = std::move(full.value()->cues);
        }
        auto d = digest::build_weekly(msgs, threads, analysis, settings, opts);
        if (!d) return runtime_error(d.error());
        eml = digest::render_mail(digest::weekly_mail(d.value(), settings));
    }
    if (out) {
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        if (!f) return runtime_error({ErrorCode::io, "cannot write " + *out, "check the folder exists and is writable"});
        f << eml;
        f.close();
        if (!f) return runtime_error({ErrorCode::io, "writing " + *out + " failed", "is the disk full?"});
        std::cerr << "wrote " << *out << " (" << eml.size() << " bytes)\n";
    }
#if ILC_HAVE_IMAP
    if (drafts) {
        // The recap waits in the rep's Drafts folder, ready to review and send from any client.
        std::string url = *drafts;
        const auto scheme_end = url.find("://") + 3;
        if (url.find('/', scheme_end) == std::string::npos || url.back() == '/')
            url += (url.back() == '/' ? "" : "/") + std::string("Drafts");
        imap::ConnectOptions co;
        const char* ca_env = std::getenv("ILC_IMAP_CA");
        co.ca_file = args.get_or("imap-ca", ca_env ? ca_env : "");
        auto uid = imap::append(url, eml, "\\Draft \\Seen", co);
        if (!uid) return runtime_error(uid.error());
        std::cerr << "stored in " << url << (uid.value() > 0 ? " (UID " + std::to_string(uid.value()) + ")" : "") << "\n";
    }
#endif
    return 0;
}
#else
int cmd_digest(int, char**) {
    std::cerr << "interlocutor digest: not available in this build (ilc_digest was not built)\n";
    return kExitUsage;
}
#endif

}  // namespace ilc::cli
