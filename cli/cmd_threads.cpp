// interlocutor threads: the conversations (SPEC "Threading"), as JSON or as indented trees.
#include <algorithm>
#include <iostream>

#include "common.h"
#include "interlocutor/json_writer.h"
#include "interlocutor/threading/threader.h"

namespace ilc::cli {

int cmd_threads(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"format", true, false, "json or text (default: text)", "FORMAT"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("threads", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor threads [--db FILE] --format json|text",
                                 "Prints the conversations rebuilt from the stored mail (JWZ/RFC 5256 references,\n"
                                 "subject fallback only for mail without references).",
                                 specs);
        return 0;
    }
    if (!args.positionals().empty()) return usage_error("threads", "unexpected argument '" + args.positionals()[0] + "'");
    const std::string format = args.get_or("format", "text");
    if (format != "text" && format != "json") return usage_error("threads", "--format must be json or text");

    auto st = open_store_for_reading(args);
    if (!st) return runtime_error(st.error());
    auto corpus = load_thread_corpus(*st.value());
    if (!corpus) return runtime_error(corpus.error());
    const auto& msgs = corpus->inputs;
    auto& threads = corpus->threads;
    // Newest activity first: what a person wants to see at the top.
    auto last_date = [&](const Thread& t) -> int64_t { return t.members.empty() ? 0 : msgs[t.members.back()].date; };
    std::stable_sort(threads.begin(), threads.end(),
                     [&](const Thread& a, const Thread& b) { return last_date(a) > last_date(b); });

    if (format == "json") {
        // Streamed one thread at a time, in the exact bytes one JsonWriter over the whole list
        // would give ({"threads":[...]} without spaces): a 1M-message store does not hold its
        // whole output (~120 MB) in memory before printing it.
        std::string buf = "{\"threads\":[";
        bool first = true;
        for (const auto& t : threads) {
            JsonWriter w;
            w.begin_object().kv("id", t.id);
            w.key("message_ids").begin_array();
            for (size_t i : t.members) w.value(msgs[i].message_id);
            w.end_array();
            w.key("parents").begin_array();
            for (int p : t.parent) {
                if (p < 0) w.null();
                else w.value(msgs[t.members[static_cast<size_t>(p)]].message_id);
            }
            w.end_array();
            if (!t.members.empty()) {
                w.kv("subject", msgs[t.members.front()].subject);
                w.kv("first_date", msgs[t.members.front()].date).kv("last_date", msgs[t.members.back()].date);
            }
            w.kv("size", t.members.size());
            w.end_object();
            if (!first) buf += ',';
            first = false;
            buf += w.str();
            if (buf.size() >= (1u << 20)) {
                std::cout << buf;
                buf.clear();
            }
        }
        buf += "]}\n";
        std::cout << buf;
        exit_without_teardown(kExitOk);
    }
    for (const auto& t : threads) std::cout << threading::render_thread_text(t, msgs, corpus->senders) << "\n";
    exit_without_teardown(kExitOk);
}

}  // namespace ilc::cli
