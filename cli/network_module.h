#pragma once
// The network module (interlocutor-network.so): the verbs and the client code that need Poco's
// Net/Util/JSON/NetSSL, OpenSSL and (through dlopen) libpq: serve, team, publish and the IMAP
// client behind `ingest imaps://...` and `digest --drafts`. The binary loads it with dlopen only
// when one of them runs, so the ~15 shared libraries they pull are not loaded, nor their symbols
// relocated, by the start of every other verb (issue 13: that was ~8 ms of an 80 ms Maildir
// ingest). The module is built from the same tree as the binary and uses the binary's own code
// (store, ingest, analysis: the binary exports its symbols); see cli/CMakeLists.txt.
//
// The binary side (network_module.cpp) defines functions with the names the verbs already call
// (cmd_serve, imap::sync, ...) that forward to this table, so main.cpp and the verb files do not
// change; the module is linked with -Bsymbolic-functions so its own calls stay inside it.
#include <cstdint>
#include <string>

#include "interlocutor/result.h"
#if ILC_HAVE_IMAP
#include "interlocutor/imap/imap.h"
#endif

namespace ilc::cli {

struct NetworkModule {
    // The module must come from the same build as the binary: the table's layout and the C++
    // types it passes are compared through these two.
    const char* version;
    size_t table_size;
    int (*serve)(int, char**);
    int (*team)(int, char**);
    int (*publish)(int, char**);
#if ILC_HAVE_IMAP
    Result<imap::SyncSummary> (*imap_sync)(store::Store&, const std::string&, const imap::SyncOptions&);
    std::string (*imap_summary_text)(const imap::SyncSummary&);
    std::string (*imap_summary_json)(const imap::SyncSummary&);
    Result<int64_t> (*imap_append)(const std::string&, const std::string&, const std::string&,
                                   const imap::ConnectOptions&);
#endif
};

}  // namespace ilc::cli

// The one symbol the binary looks up in the module.
extern "C" const ilc::cli::NetworkModule* ilc_network_module();
#define ILC_NETWORK_MODULE_ENTRY "ilc_network_module"
