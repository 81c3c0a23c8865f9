// interlocutor: one binary, one verb per file (cmd_<verb>.cpp).
#include <cstring>
#include <iostream>
#include <string>

#include "common.h"

namespace ilc::cli {
int cmd_ingest(int argc, char** argv);
int cmd_threads(int argc, char** argv);
int cmd_analyze(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_compact(int argc, char** argv);
int cmd_digest(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_publish(int argc, char** argv);
int cmd_team(int argc, char** argv);
int cmd_native_host(int argc, char** argv);
}  // namespace ilc::cli

namespace {

struct Verb {
    const char* name;
    int (*run)(int, char**);
    const char* summary;
};

const Verb kVerbs[] = {
    {"ingest", ilc::cli::cmd_ingest, "read mailbox exports (mbox, Maildir, .eml) into the store"},
    {"analyze", ilc::cli::cmd_analyze, "findings: all-in-copy, unanswered follow-ups, stalled deals, stakeholders"},
    {"threads", ilc::cli::cmd_threads, "the conversations rebuilt from the stored mail"},
    {"inspect", ilc::cli::cmd_inspect, "how one message was understood (new text, quotes, signature, cues)"},
    {"compact", ilc::cli::cmd_compact, "give the store's free pages back to the disk (after a schema upgrade)"},
    {"digest", ilc::cli::cmd_digest, "the weekly recap mail of an account, or the manager's team digest"},
    {"serve", ilc::cli::cmd_serve, "the local HTTP service: JSON API and the manager dashboard"},
    {"publish", ilc::cli::cmd_publish, "push this rep's findings and metadata to the team database"},
    {"team", ilc::cli::cmd_team, "the team view service and its users (team serve, team user add)"},
    {"native-host", ilc::cli::cmd_native_host, "pairs the Thunderbird extension with the service (native messaging)"},
};

void print_usage(std::ostream& o) {
    o << "usage: interlocutor <command> [options]\n\n"
         "Interlocutor reads a sales rep's mail, rebuilds the conversations and tells where the\n"
         "selling goes wrong: everyone in copy, follow-ups nobody answered, deals that stall.\n\n"
         "commands:\n";
    for (const auto& v : kVerbs) {
        std::string n = v.name;
        o << "  " << n << std::string(n.size() < 12 ? 12 - n.size() : 1, ' ') << v.summary << "\n";
    }
    o << "\n'interlocutor <command> --help' describes a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    if (argc < 2) {
        print_usage(std::cerr);
        return ilc::cli::kExitUsage;
    }
    std::string verb = argv[1];
    if (verb == "--help" || verb == "-h" || verb == "help") {
        print_usage(std::cout);
        return 0;
    }
    if (verb == "--version" || verb == "version") {
        std::cout << "interlocutor " << ILC_VERSION << "\n";
        return 0;
    }
    for (const auto& v : kVerbs)
        if (verb == v.name) return v.run(argc, argv);
    std::cerr << "interlocutor: unknown command '" << verb << "'\n\n";
    print_usage(std::cerr);
    return ilc::cli::kExitUsage;
}
