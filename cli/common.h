#pragma once
// What several verbs share: opening the store with a clear error, loading and threading messages.
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "interlocutor/message.h"
#include "interlocutor/store/store.h"
#include "interlocutor/thread.h"

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
Result<Corpus> load_corpus(store::Store& store, bool with_text);

}  // namespace ilc::cli
