// The binary's side of network_module.h: finds and loads interlocutor-network.so on first use, and
// the forwarding functions that stand for the module's verbs and IMAP calls in this binary.
#include "network_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "common.h"

namespace ilc::cli {

namespace {

constexpr const char* kModuleFile = "interlocutor-network.so";

std::string exe_dir() {
    std::vector<char> buf(4096);
    ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) return "";
    std::string path(buf.data(), size_t(n));
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

// Next to the binary (the build tree), then in the installed private lib dir (ILC_MODULE_RELDIR,
// e.g. ../lib/interlocutor/modules from /usr/bin). Loaded once, never unloaded.
const NetworkModule& module() {
    static const NetworkModule* table = [] () -> const NetworkModule* {
        const std::string dir = exe_dir();
        std::string tried, why;
        for (const std::string& candidate : {dir + "/" + kModuleFile, dir + "/" ILC_MODULE_RELDIR "/" + kModuleFile}) {
            tried += (tried.empty() ? "" : ", ") + candidate;
            if (access(candidate.c_str(), F_OK) != 0) continue;
            void* h = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!h) {
                const char* e = dlerror();
                why = e ? e : "dlopen failed";
                break;
            }
            auto entry = reinterpret_cast<decltype(&ilc_network_module)>(dlsym(h, ILC_NETWORK_MODULE_ENTRY));
            const NetworkModule* t = entry ? entry() : nullptr;
            if (t && t->table_size == sizeof(NetworkModule) && std::string(t->version) == ILC_VERSION) return t;
            why = candidate + " is not the network module of interlocutor " ILC_VERSION;
            break;
        }
        if (why.empty()) why = std::string(kModuleFile) + " not found (looked for " + tried + ")";
        runtime_error(Error{ErrorCode::internal, "cannot load the network module: " + why,
                            "reinstall the interlocutor package, or rebuild (it is built next to the binary)"});
        return nullptr;
    }();
    if (!table) std::exit(kExitError);
    return *table;
}

}  // namespace

int cmd_serve(int argc, char** argv) { return module().serve(argc, argv); }
int cmd_team(int argc, char** argv) { return module().team(argc, argv); }
int cmd_publish(int argc, char** argv) { return module().publish(argc, argv); }

}  // namespace ilc::cli

#if ILC_HAVE_IMAP
namespace ilc::imap {
Result<SyncSummary> sync(store::Store& store, const std::string& url, const SyncOptions& options) {
    return cli::module().imap_sync(store, url, options);
}
std::string summary_text(const SyncSummary& s) { return cli::module().imap_summary_text(s); }
std::string summary_json(const SyncSummary& s) { return cli::module().imap_summary_json(s); }
Result<int64_t> append(const std::string& url_with_folder, const std::string& raw_message, const std::string& flags,
                       const ConnectOptions& options) {
    return cli::module().imap_append(url_with_folder, raw_message, flags, options);
}
}  // namespace ilc::imap
#endif
