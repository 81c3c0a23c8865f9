// Test helper:
//   `imap_tool append URL FILE [FLAGS]` stores FILE in the URL's folder through
//   ilc::imap::append (the call `digest --drafts` makes) and prints the new UID. The password
//   comes from ILC_IMAP_PASSWORD and the CA from ILC_IMAP_CA, as for the CLI.
//   `imap_tool changes DB` prints what the IMAP syncs recorded about stored messages
//   (ilc::imap::server_changes: current server flags that differ from the stored rows, UIDs
//   removed on the server) as one JSON object, so the tests check the library's reading of it.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "interlocutor/imap/imap.h"
#include "interlocutor/json_writer.h"

namespace {

int print_changes(const std::string& db) {
    auto st = ilc::store::Store::open(db, ilc::store::OpenMode::read_only);
    if (!st) {
        std::cerr << "imap_tool: " << st.error().to_string() << "\n";
        return 1;
    }
    auto ch = ilc::imap::server_changes(*st.value());
    if (!ch) {
        std::cerr << "imap_tool: " << ch.error().to_string() << "\n";
        return 1;
    }
    ilc::JsonWriter w(true);
    w.begin_object().key("flags").begin_object();
    for (const auto& [id, f] : ch->flags) {
        w.key(id).begin_object().kv("seen", f.seen).kv("replied", f.replied).kv("flagged", f.flagged);
        w.kv("draft", f.draft).kv("trashed", f.trashed).kv("passed", f.passed).end_object();
    }
    w.end_object().key("removed").begin_array();
    for (const auto& r : ch->removed)
        w.begin_object().kv("path", r.path).kv("uid", r.uid).kv("message_id", r.message_id).end_object();
    w.end_array().end_object();
    std::cout << w.str() << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "changes") return print_changes(argv[2]);
    if (argc < 4 || std::string(argv[1]) != "append") {
        std::cerr << "usage: imap_tool append URL FILE [FLAGS] | imap_tool changes DB\n";
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
