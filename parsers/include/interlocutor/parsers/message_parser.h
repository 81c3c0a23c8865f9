#pragma once
// One raw message (RFC 5322 bytes) -> a normalized ilc::Message (parsed part only).
// Never throws; malformed input yields warnings on the message.
#include <string_view>

#include "interlocutor/message.h"
#include "interlocutor/parsers/options.h"

namespace ilc::parsers {

Message parse_message(std::string_view raw, const SourcePos& pos, const ParserOptions& opts = {});

struct RawMessage;  // source.h
// The same, with what the container knows: the mbox "From " line and then the file's mtime as
// date fallbacks (after Date and Received), the flags, and the container's warnings (first).
Message parse_message(const RawMessage& raw, const ParserOptions& opts = {});

// Body extraction through mimetic (the one adapter that includes mimetic): the text the
// detectors read (text/plain preferred, else text/html converted), UTF-8.
struct BodyText {
    std::string text;
    bool from_html = false;
    bool is_report = false;       // multipart/report at the top
    int attachment_count = 0;
    std::vector<Warning> warnings;
    // Every field (the fast path's tests); written out because the mimetic adapter is C++17.
    bool operator==(const BodyText& o) const {
        return text == o.text && from_html == o.from_html && is_report == o.is_report &&
               attachment_count == o.attachment_count && warnings == o.warnings;
    }
    bool operator!=(const BodyText& o) const { return !(*this == o); }
};
BodyText extract_body(std::string_view raw, const ParserOptions& opts = {});
// The same through mimetic's tree only, never the fast path that reproduces it on views (for the
// tests that check both give the same result).
BodyText extract_body_mimetic(std::string_view raw, const ParserOptions& opts = {});

// text/html -> readable text: entities decoded, block elements as line breaks, no script/style,
// blockquotes prefixed with "> " so quoted history stays recognizable.
std::string html_to_text(std::string_view html);

}  // namespace ilc::parsers
