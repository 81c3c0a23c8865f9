#include "common.h"

#include <iostream>

#include "interlocutor/threading/threader.h"

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
    auto r = store::Store::open(db_path(args), store::OpenMode::read_only);
    if (!r) {
        Error e = r.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    return r;
}

Result<Corpus> load_corpus(store::Store& store, bool with_text) {
    Corpus c;
    auto msgs = store.load_messages(store::LoadOptions{with_text});
    if (!msgs) return msgs.error();
    c.messages = std::move(msgs.value());
    auto owners = store.owner_addresses();
    if (!owners) return owners.error();
    c.owners = owners.value();
    auto internal = store.internal_domains();
    if (!internal) return internal.error();
    c.internal_domains = internal.value();

    std::vector<threading::ThreadInput> inputs;
    inputs.reserve(c.messages.size());
    for (const auto& m : c.messages) inputs.push_back(threading::thread_input_from(m));
    threading::ThreadingOptions topts;
    topts.owner_addresses = c.owners;
    c.threads = threading::thread_messages(inputs, topts);
    return c;
}

}  // namespace ilc::cli
