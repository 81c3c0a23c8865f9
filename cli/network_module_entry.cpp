// The network module's side of network_module.h: the table of its entry points. Compiled into
// interlocutor-network.so only.
#include "network_module.h"

namespace ilc::cli {
int cmd_serve(int argc, char** argv);
int cmd_team(int argc, char** argv);
int cmd_publish(int argc, char** argv);
}  // namespace ilc::cli

extern "C" __attribute__((visibility("default"))) const ilc::cli::NetworkModule* ilc_network_module() {
    static const ilc::cli::NetworkModule table = {
        ILC_VERSION,
        sizeof(ilc::cli::NetworkModule),
        ilc::cli::cmd_serve,
        ilc::cli::cmd_team,
        ilc::cli::cmd_publish,
#if ILC_HAVE_IMAP
        ilc::imap::sync,
        ilc::imap::summary_text,
        ilc::imap::summary_json,
        ilc::imap::append,
#endif
    };
    return &table;
}
