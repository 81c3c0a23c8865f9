#pragma once
// A conversation as the threader returns it and the detectors read it.
#include <cstddef>
#include <string>
#include <vector>

namespace ilc {

struct Thread {
    std::string id;                 // stable: the Message-ID of the thread's root (or of its earliest message)
    std::vector<size_t> members;    // indices into the message vector given to the threader, sorted by date
    std::vector<int> parent;        // parallel to members: index into members of the parent, -1 for a root
};

}  // namespace ilc
