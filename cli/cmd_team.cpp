// interlocutor team: the team service (`team serve`) and its users (`team user add`), over the
// team database that `interlocutor publish` fills (docs/TEAM.md).
#include <iostream>

#include "common.h"

#if ILC_HAVE_TEAM
#include <csignal>
#include <pthread.h>

#include "interlocutor/team/team_server.h"
#include "interlocutor/team/team_store.h"
#endif

namespace ilc::cli {

#if !ILC_HAVE_TEAM
int cmd_team(int, char**) {
    std::cerr << "interlocutor team: this build has no team support (libpq); rebuild with core/team\n";
    return kExitUsage;
}
#else
namespace {

const char* kTeamUsage =
    "interlocutor team serve --team URL [--port N]\n"
    "       interlocutor team user add NAME --role rep|manager --team URL";

int team_serve(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        {"team", true, false, "the team database: postgresql://user@host/db (or an SQLite file)", "URL"},
        {"port", true, false, "TCP port on 127.0.0.1 (default: 8766; 0 = any free port)", "N"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 3)) return usage_error("team serve", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor team serve --team URL [--port N]",
                                 "Serves the team view (JSON API under /v1/team, a page at /) on 127.0.0.1 until\n"
                                 "interrupted. Requests need 'Authorization: Bearer <token>' of a team user.",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("team serve", "unexpected argument '" + args.positionals()[0] + "'");
    auto url = args.get("team");
    if (!url) return usage_error("team serve", "--team URL is required");
    team::TeamServerOptions opts;
    opts.url = *url;
    if (auto p = args.get("port")) {
        try {
            size_t used = 0;
            opts.port = std::stoi(*p, &used);
            if (used != p->size() || opts.port < 0 || opts.port > 65535) throw std::out_of_range("port");
        } catch (const std::exception&) {
            return usage_error("team serve", "--port must be a number from 0 to 65535");
        }
    }
    // Block the stop signals before any thread starts, so only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    auto srv = team::TeamServer::start(opts);
    if (!srv) return runtime_error(srv.error());
    std::cout << "interlocutor team serve: listening on http://127.0.0.1:" << srv.value()->port() << "/\n"
              << "Press Ctrl-C to stop.\n"
              << std::flush;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    srv.value()->stop();
    return 0;
}

int team_user(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        {"team", true, false, "the team database: postgresql://user@host/db (or an SQLite file)", "URL"},
        {"role", true, false, "rep (own data + team view) or manager (team view)", "ROLE"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 3)) return usage_error("team user", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor team user add NAME --role rep|manager --team URL",
                                 "Creates a team user (or gives an existing one a new token) and prints the token once;\n"
                                 "the database keeps only a salted PBKDF2 hash of it. A rep's NAME is the --rep they publish under.",
                                 specs);
        return 0;
    }
    const auto& pos = args.positionals();
    if (pos.size() != 2 || pos[0] != "add") return usage_error("team user", "expected 'add NAME'");
    auto role = team::role_from_string(args.get_or("role", ""));
    if (!role) return usage_error("team user", "--role must be rep or manager");
    auto url = args.get("team");
    if (!url) return usage_error("team user", "--team URL is required");
    auto db = team::TeamStore::open(*url);
    if (!db) return runtime_error(db.error());
    auto token = db.value()->add_user(pos[1], *role);
    if (!token) return runtime_error(token.error());
    std::cout << token.value() << "\n";
    std::cerr << "user " << pos[1] << " (" << team::to_string(*role)
              << "): the token above is shown once; only its hash is stored\n";
    return 0;
}

}  // namespace

int cmd_team(int argc, char** argv) {
    if (argc < 3 || std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h") {
        std::cout << "usage: " << kTeamUsage << "\n";
        return argc < 3 ? kExitUsage : 0;
    }
    const std::string sub = argv[2];
    if (sub == "serve") return team_serve(argc, argv);
    if (sub == "user") return team_user(argc, argv);
    return usage_error("team", "unknown subcommand '" + sub + "' (expected serve or user)");
}
#endif

}  // namespace ilc::cli
