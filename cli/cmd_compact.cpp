// interlocutor compact: gives the store's free pages back to the file system (notmuch compact's
// role; SQLite VACUUM). The upgrade to schema version 2 rebuilds the messages table and leaves the
// old one's pages free in the file (docs/STORE.md "Versions"); later ingests reuse them, or this
// returns them at once.
#include <cstdio>
#include <iostream>
#include <string>

#include "common.h"

namespace ilc::cli {

namespace {
std::string megabytes(int64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
    return buf;
}
}  // namespace

int cmd_compact(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("compact", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor compact [--db FILE]",
                                 "Gives the store's free pages back to the file system (SQLite VACUUM), e.g. after\n"
                                 "the upgrade to schema version 2 left the file about twice its size. Nothing\n"
                                 "stored changes. Takes the writer lock (not while an ingest or serve --source runs)\n"
                                 "and needs about the store's size free on disk.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("compact", "unexpected argument '" + args.positionals()[0] + "'");
    const std::string path = db_path(args);
    // A read_write open also upgrades an older store first (then there is something to give back).
    auto st = store::Store::open(path, store::OpenMode::read_write);
    if (!st) return runtime_error(st.error());
    if (!st.value()->open_note().empty()) std::cerr << "interlocutor: " << st.value()->open_note() << "\n";
    auto sizes = st.value()->compact();
    if (!sizes) return runtime_error(sizes.error());
    std::cout << "compacted " << path << ": " << megabytes(sizes->before) << " -> " << megabytes(sizes->after) << "\n";
    return kExitOk;
}

}  // namespace ilc::cli
