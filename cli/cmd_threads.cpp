// interlocutor threads: the conversations (SPEC "Threading"), as JSON or as indented trees.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common.h"
#include "interlocutor/json_writer.h"
#include "interlocutor/threading/threader.h"

namespace ilc::cli {

namespace {

// A JSON string exactly as JsonWriter writes it. Ids are plain ASCII nearly always: such a
// string is appended whole instead of byte by byte; anything else (quotes, backslashes, control
// bytes, UTF-8) goes through JsonWriter::append_escaped itself.
void json_string(std::string& out, std::string_view s) {
    out += '"';
    bool plain = true;
    for (unsigned char c : s)
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    if (plain) out.append(s);
    else JsonWriter::append_escaped(out, s);
    out += '"';
}

}  // namespace

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
    const auto& threads = corpus->threads;
    // Newest activity first: what a person wants to see at the top. The threads stay in place and
    // an index is sorted (last date descending, then original position: the order stable_sort
    // gave), which moves 4-byte indices instead of whole Thread records.
    std::vector<int64_t> last_date(threads.size());
    for (size_t k = 0; k < threads.size(); ++k)
        last_date[k] = threads[k].members.empty() ? 0 : msgs[threads[k].members.back()].date;
    std::vector<uint32_t> order(threads.size());
    std::iota(order.begin(), order.end(), uint32_t{0});
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        if (last_date[a] != last_date[b]) return last_date[a] > last_date[b];
        return a < b;
    });

    if (format == "json") {
        // Streamed a block of threads at a time, in the exact bytes one JsonWriter over the whole
        // list would give ({"threads":[...]} without spaces): a 1M-message store does not hold its
        // whole output (~120 MB) in memory before printing it. A helper thread renders every
        // second block while this one renders and prints the block before it.
        // Written straight into the block's buffer in JsonWriter's compact form (same keys, same
        // order, same number formatting); strings go through json_string() below.
        auto render = [&](size_t from, size_t to, std::string& out) {
            out.clear();
            for (size_t k = from; k < to; ++k) {
                const Thread& t = threads[order[k]];
                if (k) out += ',';
                out += "{\"id\":";
                json_string(out, t.id);
                out += ",\"message_ids\":[";
                for (size_t j = 0; j < t.members.size(); ++j) {
                    if (j) out += ',';
                    json_string(out, msgs[t.members[j]].message_id);
                }
                out += "],\"parents\":[";
                for (size_t j = 0; j < t.parent.size(); ++j) {
                    if (j) out += ',';
                    const int p = t.parent[j];
                    if (p < 0) out += "null";
                    else json_string(out, msgs[t.members[static_cast<size_t>(p)]].message_id);
                }
                out += ']';
                if (!t.members.empty()) {
                    out += ",\"subject\":";
                    json_string(out, msgs[t.members.front()].subject);
                    out += ",\"first_date\":";
                    out += std::to_string(msgs[t.members.front()].date);
                    out += ",\"last_date\":";
                    out += std::to_string(msgs[t.members.back()].date);
                }
                out += ",\"size\":";
                out += std::to_string(t.members.size());
                out += '}';
            }
        };
        constexpr size_t kBlock = 8192;
        const size_t n = threads.size();
        std::cout << "{\"threads\":[";
        std::string first, second;
        for (size_t start = 0; start < n; start += 2 * kBlock) {
            const size_t mid = std::min(start + kBlock, n), end = std::min(start + 2 * kBlock, n);
            std::thread helper;
            if (mid < end) helper = std::thread([&] { render(mid, end, second); });
            render(start, mid, first);
            std::cout << first;
            if (helper.joinable()) {
                helper.join();
                std::cout << second;
            }
        }
        std::cout << "]}\n";
        exit_without_teardown(kExitOk);
    }
    for (uint32_t k : order) std::cout << threading::render_thread_text(threads[k], msgs, corpus->senders) << "\n";
    exit_without_teardown(kExitOk);
}

}  // namespace ilc::cli
