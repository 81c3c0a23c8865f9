// interlocutor serve: placeholder until its issue lands (the verb is listed so --help stays stable).
#include <iostream>

#include "common.h"

namespace ilc::cli {

int cmd_serve(int, char**) {
    std::cerr << "interlocutor serve: not available in this build yet\n";
    return kExitUsage;
}

}  // namespace ilc::cli
