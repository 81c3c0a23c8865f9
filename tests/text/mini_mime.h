#pragma once
// Test-only reader for the fixture files: enough RFC 5322/2045/2047 to get the headers that
// classify_automated() reads and the first text/plain part, decoded to UTF-8. The product uses
// ilc_parsers; this exists so core/text tests do not depend on another library's progress and
// stay about text understanding. Handles: folded headers, RFC 2047 Q/B words (UTF-8, ISO-8859-1,
// windows-1252 as Latin-1), multipart nesting, quoted-printable and base64.
#include <string>
#include <string_view>

#include "interlocutor/message.h"

namespace ilc::test {

// Fills from, subject, date (0), auto_submitted, precedence, list_id, list_unsubscribe,
// x_autoreply, x_autorespond, content_type, is_report and body_text.
Message read_eml(std::string_view raw);
Message read_eml_file(const std::string& path);

}  // namespace ilc::test
