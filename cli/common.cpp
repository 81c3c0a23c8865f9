#include "common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_map>

#include "interlocutor/threading/threader.h"
#if ILC_HAVE_DIGEST
#include "interlocutor/digest/digest_config.h"
#endif
#if ILC_HAVE_TEAM
#include "interlocutor/team/team_config.h"
#endif

namespace ilc::cli {

int usage_error(const std::string& verb, const std::string& message) {
    std::cerr << "interlocutor " << verb << ": " << message << "\n"
              << "Try 'interlocutor " << verb << " --help'.\n";
    return kExitUsage;
}

int runtime_error(const Error& e) {
    std::cerr << "interlocutor: error: " << e.message << "\n";
    if (!e.hint.empty()) std::cerr << "  hint: " << e.hint << "\n";
    return kExitError;
}

OptionSpec db_option() {
    return {"db", true, false, "the store (default: " + store::default_db_path() + ")", "FILE"};
}

std::string db_path(const Args& args) { return args.get_or("db", store::default_db_path()); }

Result<std::unique_ptr<store::Store>> open_store_for_reading(const Args& args) {
    // A store of an older schema version (after a package upgrade) is upgraded once, here.
    auto r = store::Store::open_for_reading(db_path(args), 600, [](const std::string& what) {
        std::fprintf(stderr, "interlocutor: %s\n", what.c_str());
    });
    if (!r) {
        Error e = r.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    return r;
}

Result<Corpus> load_corpus(store::Store& store, bool with_text, bool with_threading_headers) {
    Corpus c;
    // No verb reads the quoted history (detectors and digest read new text and signatures): it
    // is the largest text column, so it stays on disk (docs/PERFORMANCE.md).
    store::LoadOptions lo;
    lo.with_text = with_text;
    lo.with_quoted = false;
    // Verbs that keep no threading headers are the analysis-only ones: they skip what no
    // detector reads too.
    lo.detector_columns_only = !with_threading_headers;
    auto msgs = store.load_messages(lo);
    if (!msgs) return msgs.error();
    c.messages = std::move(msgs.value());
    auto owners = store.owner_addresses();
    if (!owners) return owners.error();
    c.owners = owners.value();
    auto internal = store.internal_domains();
    if (!internal) return internal.error();
    c.internal_domains = internal.value();

    // Threaded on the messages in place: no ThreadInput copy of every message (~0.7 GB more at
    // the peak of `analyze` on 1M messages). Verbs without threading headers drop them then.
    threading::ThreadingOptions topts;
    topts.owner_addresses = c.owners;
    c.threads = threading::thread_messages_in_place(c.messages, topts);
    if (!with_threading_headers)
        for (auto& m : c.messages) threading::drop_threading_headers(m);
    return c;
}

Result<ThreadCorpus> load_thread_corpus(store::Store& store) {
    ThreadCorpus c;
    auto owners = store.owner_addresses();
    if (!owners) return owners.error();
    // The threader only compares participants with each other and with the owners' addresses
    // (lower-cased): each distinct address stands as a short token (its number, held in place by
    // the string: no heap block per participant, ~0.2 GB on 1M messages). Equal tokens are equal
    // addresses, so the threads are the same; participants are printed nowhere by this verb.
    std::unordered_map<std::string, std::string> token_of;
    auto tokenize = [&](std::string& a) {
        auto it = token_of.find(a);
        if (it == token_of.end()) it = token_of.emplace(a, std::to_string(token_of.size())).first;
        std::string token = it->second;
        a.swap(token);  // not `a = ...`, which would keep a's heap block
    };
    // Batches of rows are moved into ThreadInputs as they come: the two record types never both
    // exist for the whole store.
    auto st = store.scan_thread_rows(8192, [&](std::vector<store::ThreadRow>& batch, size_t total) {
        if (c.inputs.empty()) {
            c.inputs.reserve(total);
            c.senders.reserve(total);
        }
        for (auto& r : batch) {
            threading::ThreadInput& in = c.inputs.emplace_back();
            in.message_id = std::move(r.message_id);
            in.synthetic_id = r.synthetic_id;
            in.in_reply_to = std::move(r.in_reply_to);
            in.references = std::move(r.references);
            in.subject = std::move(r.subject);
            in.date = r.date;
            in.participants = std::move(r.participants);
            for (auto& a : in.participants) tokenize(a);
            in.thread_index = std::move(r.thread_index);
            in.thread_topic = std::move(r.thread_topic);
            in.list_id = std::move(r.list_id);
            // The same choice as render_thread_text() makes for a Message.
            c.senders.push_back(r.from_display.empty() ? std::string("(unknown)") : std::move(r.from_display));
        }
    });
    if (!st.ok()) return st.error();
    threading::ThreadingOptions topts;
    // The owners as tokens too, lower-cased as the threader does it; an owner address that no
    // message has matches no participant either way.
    for (std::string o : owners.value()) {
        std::transform(o.begin(), o.end(), o.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (auto it = token_of.find(o); it != token_of.end()) topts.owner_addresses.push_back(it->second);
    }
    c.threads = threading::thread_messages(c.inputs, topts);
    return c;
}

void exit_without_teardown(int code) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(std::cout.good() ? code : kExitError);
}

std::vector<OptionSpec> analysis_option_specs(const std::map<std::string, std::string>& help_overrides) {
    std::vector<OptionSpec> specs = {
        {"now", true, false, "the instant to analyze at, ISO 8601 (default: the current time)", "ISO8601"},
        {"tz", true, false, "the owner's time zone for business days (default: the system's)", "ZONE"},
        {"holidays", true, false, "a file with one ISO date a line, not counted as business days", "FILE"},
        {"manager", true, true, "an address of the rep's manager (escalation rules)", "ADDR"},
        {"me", true, true, "an owner address (default: the store's owner)", "ADDR"},
        {"internal-domain", true, true, "an internal domain (default: the store's)", "DOMAIN"},
        {"config", true, false, "thresholds, managers and account merges (see docs/CONFIG.md)", "FILE"},
        {"lang", true, false, "language of the suggestions: fr or en (default: the mailbox's)", "LANG"},
    };
    for (auto& s : specs)
        if (auto it = help_overrides.find(s.name); it != help_overrides.end()) s.help = it->second;
    return specs;
}

namespace {

// The config file. The detectors' parser refuses sections and keys it does not know, so the
// parts other libraries own are taken out first, each with its lines blanked so that line numbers
// in error messages stay right: [team] (core/team), then the digest's account names and reps.
Status load_config_into(const std::string& path, AnalysisOptions& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io, "cannot read config file " + path, "check the --config path"};
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto with_path = [&](Error e) {
        e.message = path + ": " + e.message;
        return e;
    };
#if ILC_HAVE_TEAM
    auto team_split = team::split_team_config(text);
    if (!team_split) return with_path(team_split.error());
    const auto& t = team_split->team;
    out.team.url = t.url;
    out.team.rep = t.rep;
    out.team.private_accounts = t.private_accounts;
    out.team.exclusive_contacts = t.exclusive_contacts;
    out.team.publish_every_seconds = t.publish_every_seconds.value_or(0);
    text = std::move(team_split->rest);
#endif
#if ILC_HAVE_DIGEST
    auto split = digest::split_config(text);
    if (!split) return with_path(split.error());
    out.account_names = split->digest.account_names;
    for (const auto& r : split->digest.reps) out.reps.emplace_back(r.name, r.addresses);
    text = std::move(split->rest);
#endif
    auto c = detect::parse_config(text);
    if (!c) return with_path(c.error());
    detect::apply_config(c.value(), out.settings);
    return ok_status();
}

}  // namespace

Result<AnalysisOptions> read_analysis_options(const Args& args) {
    AnalysisOptions out;
    out.lang = args.get_or("lang", "");
    if (!out.lang.empty() && out.lang != "fr" && out.lang != "en")
        return Error{ErrorCode::usage, "--lang must be fr or en", ""};
    auto& settings = out.settings;
    if (auto cfg = args.get("config")) {
        if (auto st = load_config_into(*cfg, out); !st) return st.error();
    }
    if (auto now = args.get("now")) {
        auto t = detect::parse_iso8601(*now);
        if (!t) return Error{ErrorCode::usage, "--now: " + t.error().message, ""};
        settings.now = t.value();
    }
    if (auto tz = args.get("tz")) settings.tz = *tz;
    if (auto h = args.get("holidays")) {
        auto hol = detect::load_holidays(*h);
        if (!hol) return hol.error();
        settings.holidays.insert(hol->begin(), hol->end());
    }
    for (const auto& m : args.all("manager")) settings.managers.push_back(m);
    if (!out.lang.empty()) settings.lang = out.lang;
    return out;
}

int option_error(const std::string& verb, const Error& e) {
    return e.code == ErrorCode::usage && e.hint.empty() ? usage_error(verb, e.message) : runtime_error(e);
}

Status resolve_owners(const Args& args, const Corpus& corpus, const std::string& verb, detect::AnalysisSettings& settings) {
    settings.owners = args.has("me") ? args.all("me") : (settings.owners.empty() ? corpus.owners : settings.owners);
    if (args.has("internal-domain")) settings.internal_domains = args.all("internal-domain");
    else if (settings.internal_domains.empty()) settings.internal_domains = corpus.internal_domains;
    if (settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown",
                     "ingest a sent folder, or pass --me ADDRESS to ingest or " + verb};
    return ok_status();
}

}  // namespace ilc::cli
