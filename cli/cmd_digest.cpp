// interlocutor digest: placeholder until its issue lands (the verb is listed so --help stays stable).
#include <iostream>

#include "common.h"

namespace ilc::cli {

int cmd_digest(int, char**) {
    std::cerr << "interlocutor digest: not available in this build yet\n";
    return kExitUsage;
}

}  // namespace ilc::cli
