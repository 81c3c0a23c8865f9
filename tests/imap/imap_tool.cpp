// Test helper: `imap_tool append URL FILE [FLAGS]` stores FILE in the URL's folder through
// ilc::imap::append (the call `digest --drafts` will make) and prints the new UID. The
// password comes from ILC_IMAP_PASSWORD and the CA from ILC_IMAP_CA, as for the CLI.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "interlocutor/imap/imap.h"

int main(int argc, char** argv) {
    if (argc < 4 || std::string(argv[1]) != "append") {
        std::cerr << "usage: imap_tool append URL FILE [FLAGS]\n";
        return 2;
    }
    std::ifstream in(argv[3], std::ios::binary);
    if (!in) {
        std::cerr << "imap_tool: cannot read " << argv[3] << "\n";
        return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ilc::imap::ConnectOptions opts;
    if (const char* ca = std::getenv("ILC_IMAP_CA")) opts.ca_file = ca;
    auto r = ilc::imap::append(argv[2], ss.str(), argc > 4 ? argv[4] : "", opts);
    if (!r) {
        std::cerr << "imap_tool: " << r.error().to_string() << "\n";
        return 1;
    }
    std::cout << r.value() << "\n";
    return 0;
}
