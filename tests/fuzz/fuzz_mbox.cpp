// libFuzzer harness: the mbox reader over an in-memory buffer (small blocks, so block
// boundaries are exercised too) and parse_message of each message it yields. Each message's body
// is also extracted twice, by the zero-copy MIME fast path and by mimetic's tree alone: the fast
// path reproduces mimetic, so any difference is a bug (abort, and libFuzzer keeps the input).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../../parsers/src/gzip_stream.h"
#include "../../parsers/src/mbox_reader.h"
#include "interlocutor/parsers/message_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    ilc::parsers::ParserOptions opts;
    opts.max_mime_depth = 16;
    ilc::parsers::MboxReader reader(ilc::parsers::memory_input(in), "fuzz.mbox", "fuzz", opts, 1 + size % 61);
    while (auto m = reader.next()) {
        ilc::parsers::parse_message(*m, opts);
        if (ilc::parsers::extract_body(m->bytes, opts) != ilc::parsers::extract_body_mimetic(m->bytes, opts)) {
            std::fprintf(stderr, "fuzz_mbox: MIME fast path and mimetic disagree on a message of %zu bytes\n", m->bytes.size());
            std::abort();
        }
    }
    return 0;
}
