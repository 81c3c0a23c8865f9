#pragma once
// Parser limits in one place, loose defaults (MimeKit ParserOptions, Dovecot message_parser_settings).
// Past a limit the part is parsed as a leaf and a warning is attached: never an abort.
#include <cstddef>

namespace ilc::parsers {

struct ParserOptions {
    size_t max_header_bytes = 1 << 20;      // one header block; the rest is treated as body, flagged
    size_t max_header_value = 256 << 10;    // one field's value kept (longer values are truncated, flagged)
    size_t max_fields = 10000;              // header fields kept per message
    size_t max_mime_depth = 64;             // deeper parts become leaves
    size_t max_mime_parts = 5000;
    size_t max_message_bytes = 256u << 20;  // a single message larger than this is skipped and reported
    size_t max_body_text = 4 << 20;         // decoded text kept for understanding
};

}  // namespace ilc::parsers
