// text_dump: parses every message of the given sources (mbox, Maildir, .eml tree) and prints
// everything text::understand() decided for it, one record per message, so that a performance
// change in core/text can be proved not to change any decision: dump before, dump after, cmp.
// It also reports on stderr how long understand() alone took, which is the figure such a change
// is meant to lower (parsing is excluded from it).
//
//   text_dump SOURCE... > dump.txt
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/parsers/source.h"
#include "interlocutor/text/understand.h"

namespace {

// Length-prefixed so that any byte (newlines, NUL) in a field keeps the dump unambiguous.
void field(std::string& out, const char* name, const std::string& value) {
    out += name;
    out += '=';
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += '\n';
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: text_dump SOURCE... > dump.txt\n";
        return 2;
    }
    std::ios::sync_with_stdio(false);
    std::chrono::nanoseconds understand_time{0};
    std::size_t count = 0;
    for (int a = 1; a < argc; ++a) {
        auto src = ilc::parsers::open_source(argv[a]);
        if (!src) {
            std::cerr << "text_dump: cannot open " << argv[a] << "\n";
            return 1;
        }
        std::unique_ptr<ilc::parsers::Source> source = std::move(src.value());
        while (auto raw = source->next()) {
            ilc::Message m = ilc::parsers::parse_message(*raw);
            auto t0 = std::chrono::steady_clock::now();
            ilc::text::understand(m);
            understand_time += std::chrono::steady_clock::now() - t0;
            std::string out;
            out += "@ " + std::string(argv[a]) + " " + std::to_string(raw->pos.offset) + " " + raw->pos.path + "\n";
            field(out, "message_id", m.message_id);
            field(out, "new_text", m.new_text);
            field(out, "quoted", m.quoted);
            field(out, "signature", m.signature);
            field(out, "signature_name", m.signature_name);
            field(out, "signature_title", m.signature_title);
            field(out, "automated", m.automated ? "1" : "0");
            field(out, "automated_reason", m.automated_reason);
            field(out, "ooo_until", m.ooo_until ? std::to_string(*m.ooo_until) : "-");
            field(out, "expects_reply", m.expects_reply ? "1" : "0");
            field(out, "lang", m.lang);
            for (const auto& c : m.cues) field(out, "cue", c.family + "|" + c.text);
            std::cout << out;
            ++count;
        }
        if (auto err = source->error()) std::cerr << "text_dump: " << argv[a] << ": source error\n";
    }
    std::cerr << "text_dump: " << count << " messages, understand() "
              << std::chrono::duration_cast<std::chrono::milliseconds>(understand_time).count() << " ms\n";
    return 0;
}
