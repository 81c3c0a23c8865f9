// libFuzzer harness: the mbox reader over an in-memory buffer (small blocks, so block
// boundaries are exercised too) and parse_message of each message it yields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../../parsers/src/gzip_stream.h"
#include "../../parsers/src/mbox_reader.h"
#include "interlocutor/parsers/message_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    ilc::parsers::ParserOptions opts;
    opts.max_mime_depth = 16;
    ilc::parsers::MboxReader reader(ilc::parsers::memory_input(in), "fuzz.mbox", "fuzz", opts, 1 + size % 61);
    while (auto m = reader.next()) ilc::parsers::parse_message(*m, opts);
    return 0;
}
