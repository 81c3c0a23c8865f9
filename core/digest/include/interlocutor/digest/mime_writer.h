#pragma once
// Writing mail: RFC 2047 encoded-words, RFC 5322 header folding, quoted-printable bodies and a
// multipart/alternative message. Everything emitted uses CRLF line ends.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/message.h"

namespace ilc::digest {

// A header field "Name: value" folded to lines of at most 78 characters (RFC 5322 2.2.3).
// Non-ASCII text becomes RFC 2047 B encoded-words of at most 75 characters each, split on
// UTF-8 character boundaries (RFC 2047 5: an encoded-word never splits a character).
std::string unstructured_header(std::string_view name, std::string_view value);
// An address list header ("To", "Cc", "From"): display names encoded as needed, folded between
// addresses.
std::string address_header(std::string_view name, const std::vector<Mailbox>& boxes);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text: lines end in CRLF, encoded lines at most 76
// characters with soft breaks, trailing white space encoded.
std::string quoted_printable(std::string_view text);

// RFC 5322 3.3 date-time of a UTC instant shown at the given offset: "Thu, 19 Nov 2026 10:00:00 +0100".
std::string rfc5322_date(int64_t utc_seconds, int offset_seconds);

// A fresh, unique Message-ID (bare, no angle brackets) whose right side is the domain.
std::string new_message_id(std::string_view tag, std::string_view domain);

struct OutgoingMail {
    Mailbox from;
    std::vector<Mailbox> to, cc;
    std::string subject;
    int64_t date = 0;           // UTC seconds
    int date_offset = 0;        // seconds east of UTC, for the Date header
    std::string message_id;     // bare
    std::string lang;           // Content-Language, "" = none
    std::string text, html;     // UTF-8 bodies
};

// The whole message: headers, MIME-Version, multipart/alternative text/plain + text/html, both
// quoted-printable, CRLF line ends.
std::string render_mail(const OutgoingMail& mail);

}  // namespace ilc::digest
