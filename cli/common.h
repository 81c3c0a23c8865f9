#pragma once
// What several verbs share: opening the store with a clear error, loading and threading messages.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"
#include "interlocutor/store/store.h"
#include "interlocutor/thread.h"
#include "interlocutor/threading/threader.h"

namespace ilc::cli {

// Exit codes: 0 ok, 1 runtime error (I/O, store), 2 usage error.
constexpr int kExitOk = 0, kExitError = 1, kExitUsage = 2;

int usage_error(const std::string& verb, const std::string& message);
int runtime_error(const Error& e);

OptionSpec db_option();
std::string db_path(const Args& args);
Result<std::unique_ptr<store::Store>> open_store_for_reading(const Args& args);

// Every stored message (text optional) and its threads, threaded with the stored owner settings.
struct Corpus {
    std::vector<Message> messages;
    std::vector<Thread> threads;
    std::vector<std::string> owners, internal_domains;
};
// with_threading_headers = false moves In-Reply-To, References and the Thread-Index headers out
// of the messages into the threader instead of copying them: for verbs whose later stages never
// read them (analyze), which saves a copy of the largest header lists; it also loads only the
// columns detectors read (store::LoadOptions::detector_columns_only).
Result<Corpus> load_corpus(store::Store& store, bool with_text, bool with_threading_headers = true);

// Only what threading reads of every message (no Message objects, no text), and the threads:
// what `threads` needs, at a fraction of load_corpus()'s memory on a large store.
struct ThreadCorpus {
    // participants hold a short token per distinct address, not the address (load_thread_corpus):
    // only compared for equality by the threader, printed nowhere.
    std::vector<threading::ThreadInput> inputs;
    std::vector<std::string> senders;  // parallel to inputs: From name, else address, else "(unknown)"
    std::vector<Thread> threads;
};
Result<ThreadCorpus> load_thread_corpus(store::Store& store);

// Ends the process with `code` once stdout and stderr are flushed, without destructors: for a
// verb whose last act is printing, releasing millions of small allocations one by one is about a
// sixth of a large run and returns nothing to anyone (clang's -disable-free does the same).
[[noreturn]] void exit_without_teardown(int code);

// The analysis options that analyze, digest and serve share, in the order their help lists them:
// --now, --tz, --holidays, --manager, --me, --internal-domain, --config, --lang. A verb may give
// its own help text for some of them (help_overrides: option name -> text).
std::vector<OptionSpec> analysis_option_specs(const std::map<std::string, std::string>& help_overrides = {});

// The config file's [team] section (docs/CONFIG.md, docs/TEAM.md): read by publish (its options
// win) and serve (the scheduled publish). Empty when the file has none or the build has no team.
struct TeamSettings {
    std::string url, rep;
    std::vector<std::string> private_accounts, exclusive_contacts;
    int publish_every_seconds = 0;  // 0 = not set
};

// What read_analysis_options() understood. The config file's digest part (account names, reps:
// docs/CONFIG.md) comes along so that one file serves every verb.
struct AnalysisOptions {
    detect::AnalysisSettings settings;  // owners and internal domains: see resolve_owners()
    std::string lang;                   // --lang as given ("" = the mailbox's)
    std::map<std::string, std::string> account_names;                       // organization -> name
    std::vector<std::pair<std::string, std::vector<std::string>>> reps;     // rep name -> addresses
    TeamSettings team;                                                       // the [team] section
};
// Reads the config file, then the options that override it. A bad --now or --lang is a usage
// error (ErrorCode::usage, message naming the option); an unreadable config or holidays file is
// a runtime error. Pass the error to option_error().
Result<AnalysisOptions> read_analysis_options(const Args& args);
// Exit code and message for an error of read_analysis_options() or resolve_owners().
int option_error(const std::string& verb, const Error& e);
// Owners and internal domains: --me and --internal-domain win, then the config file, then the
// store's. An error (usage) when the owner is still unknown; the hint names the verb.
Status resolve_owners(const Args& args, const Corpus& corpus, const std::string& verb, detect::AnalysisSettings& settings);

}  // namespace ilc::cli
