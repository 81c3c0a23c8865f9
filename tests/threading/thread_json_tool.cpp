// thread_json_tool PATH... [--owner ADDR]... : threads the messages of mbox files (plain or .gz),
// Maildir folders or message files and prints {"threads":[{"id","message_ids":[...]}]}, the
// shape `interlocutor threads --format json` has, for tests/threading/dovecot_threads.py.
#include <cstdio>
#include <string>
#include <vector>

#include "interlocutor/json_writer.h"
#include "interlocutor/threading/threader.h"
#include "mini_mail.h"

int main(int argc, char** argv) {
    std::vector<ilc::threading::ThreadInput> in;
    ilc::threading::ThreadingOptions opt;
    bool text = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--owner" && i + 1 < argc) {
            opt.owner_addresses.push_back(argv[++i]);
        } else if (a == "--text") {
            text = true;
        } else if (a == "--no-subject-fallback") {
            opt.subject_fallback = false;
        } else {
            for (auto& r : ilc::testing::read_messages(a)) in.push_back(ilc::testing::to_thread_input(r));
        }
    }
    if (in.empty()) {
        std::fprintf(stderr, "usage: thread_json_tool [--owner ADDR] [--text] [--no-subject-fallback] PATH...\n");
        return 2;
    }
    auto threads = ilc::threading::thread_messages(in, opt);
    if (text) {
        for (const auto& t : threads) std::fputs((ilc::threading::render_thread_text(t, in) + "\n").c_str(), stdout);
        return 0;
    }
    ilc::JsonWriter w;
    w.begin_object().key("threads").begin_array();
    for (const auto& t : threads) {
        w.begin_object().kv("id", t.id).key("message_ids").begin_array();
        for (size_t m : t.members) w.value(in[m].message_id);
        w.end_array().end_object();
    }
    w.end_array().end_object();
    std::fputs((w.str() + "\n").c_str(), stdout);
    return 0;
}
