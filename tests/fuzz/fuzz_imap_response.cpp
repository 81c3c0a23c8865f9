// libFuzzer harness for the IMAP response parser (core/imap): any bytes a server may send must
// give a Response or an Error, never a crash, a hang or a read past the input. The input is
// split into responses at the literal-aware boundaries the socket reader would use, and every
// FETCH's BODYSTRUCTURE goes through parse_bodystructure too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "interlocutor/imap/imap.h"
#include "interlocutor/imap/response.h"

using namespace ilc::imap;

namespace {

void check_part(const BodyPart& p, int depth) {
    if (depth > 1000) std::abort();  // deeper than the parser's limit allows
    for (const auto& c : p.children) check_part(c, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    // As the reader does: a line, then the literal it announces, then the rest of the line.
    size_t pos = 0;
    while (pos < in.size()) {
        std::string resp;
        for (;;) {
            size_t eol = in.find('\n', pos);
            std::string_view line = in.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
            pos = eol == std::string_view::npos ? in.size() : eol + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            resp.append(line);
            resp += "\r\n";
            auto lit = trailing_literal_size(line);
            if (!lit || pos >= in.size()) break;
            size_t n = static_cast<size_t>(std::min<uint64_t>(*lit, in.size() - pos));
            resp.append(in.substr(pos, n));
            pos += n;
        }
        auto r = parse_response(resp);
        if (!r) {
            if (r.error().message.empty()) std::abort();
            continue;
        }
        if (const Value* bs = fetch_item(r.value(), "BODYSTRUCTURE")) {
            auto b = parse_bodystructure(*bs);
            if (b) check_part(b.value(), 0);
        }
    }
    // Mailbox names are server bytes too; decoding must always terminate with some text.
    std::string name(in.substr(0, 256));
    (void)decode_mailbox_name(name);
    (void)encode_mailbox_name(decode_mailbox_name(name));
    return 0;
}
