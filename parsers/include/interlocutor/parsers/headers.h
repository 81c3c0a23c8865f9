#pragma once
// RFC 5322 header-level decoding, ours (no Poco MessageHeader: it throws on real mail).
//   split_header_block  - header fields of a raw message (unfolded), and where the body starts
//   decode_rfc2047      - encoded-words to UTF-8 (RFC 2047, with RFC 2231 language tags tolerated)
//   decode_rfc2231_params - Content-Type/Disposition parameters incl. continuations and charsets
//   to_utf8             - any charset to UTF-8 (ICU), invalid sequences replaced, unknown charsets guessed
//   parse_address_list  - RFC 5322 address lists incl. groups and obsolete forms
//   parse_date          - RFC 5322 dates incl. obsolete forms and zone names
//   parse_msg_ids       - Message-ID / In-Reply-To / References ids, bare
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/message.h"
#include "interlocutor/parsers/options.h"

namespace ilc::parsers {

struct HeaderField {
    std::string name;        // as written (compare case-insensitively)
    std::string value;       // raw bytes after the colon, unfolded (CRLF/LF + WSP -> the WSP), trimmed
    int64_t offset = 0;      // byte offset of the field start within the message
};

struct HeaderBlock {
    std::vector<HeaderField> fields;
    size_t body_offset = 0;  // first byte of the body within the message (after the blank line)
    std::vector<Warning> warnings;

    // First field with that name (case-insensitive), or nullptr.
    const HeaderField* find(std::string_view name) const;
    std::vector<const HeaderField*> find_all(std::string_view name) const;
};

HeaderBlock split_header_block(std::string_view raw, const ParserOptions& opts = {});
// The same split storing only the fields whose name `keep` accepts (the others are read and
// counted, not copied): limits, warnings and body offset are those of the full split, and
// find/find_all give the full split's answers for the names kept. parse_message reads about 20
// of the 50 fields of list mail (Received chains, DKIM and ARC signatures are most of its bytes).
HeaderBlock split_header_block(std::string_view raw, const ParserOptions& opts, bool (*keep)(std::string_view name));

// Charset conversion. `ok` is set false when the charset is unknown (then a guess is made:
// UTF-8 if valid, else windows-1252) or the bytes were invalid in it (replaced by U+FFFD).
std::string to_utf8(std::string_view bytes, std::string_view charset, bool* ok = nullptr);
// True when s is valid UTF-8.
bool is_valid_utf8(std::string_view s);
// Raw 8-bit header text: UTF-8 if valid, else windows-1252 (or `fallback_charset` when given).
std::string header_text_to_utf8(std::string_view raw, std::string_view fallback_charset = {});

// RFC 2047: decodes encoded-words in unstructured text (Subject) or phrases (display names).
// Whitespace between adjacent encoded-words is dropped; split multibyte chars across words are joined.
std::string decode_rfc2047(std::string_view text);

struct MimeParam { std::string name; std::string value; };  // name lower-cased, value UTF-8
struct ContentType {
    std::string type = "text", subtype = "plain";             // lower-cased
    std::vector<MimeParam> params;
    std::string param(std::string_view name) const;           // "" when absent
};
ContentType parse_content_type(std::string_view value);
// Parameters of a Content-Type or Content-Disposition value (RFC 2045 + RFC 2231).
std::vector<MimeParam> decode_rfc2231_params(std::string_view params);

// RFC 5322 section 3.4 address lists, groups flattened, obsolete forms (route addrs, missing
// commas, comments) tolerated. Addresses are lower-cased; names decoded to UTF-8.
std::vector<Mailbox> parse_address_list(std::string_view value);

struct ParsedDate {
    int64_t utc = 0;        // seconds since the epoch
    int tz_offset_min = 0;  // zone of the writer
};
// RFC 5322 section 3.3 and 4.3 (obsolete) dates; also common broken forms seen in real mail.
std::optional<ParsedDate> parse_date(std::string_view value);
// The date of a Received header (after the last ';').
std::optional<ParsedDate> parse_received_date(std::string_view value);
// The date on an mbox "From " separator line ("From sender Mon Jul 20 14:24:21 2026").
std::optional<ParsedDate> parse_mbox_from_date(std::string_view from_line);

// msg-id lists (RFC 5322 section 3.6.4), bare: "<a@b> <c@d>" -> {"a@b", "c@d"}. Tolerates
// missing brackets, comments, phrases in In-Reply-To ("<id> (Joe's message of ...)").
std::vector<std::string> parse_msg_ids(std::string_view value);

}  // namespace ilc::parsers
