#pragma once
// Content-Transfer-Encoding decoders (RFC 2045 section 6), tolerant of broken input: they never
// fail, they keep what they can. Shared by the mimetic adapter and its fallback path.
#include <string>
#include <string_view>

namespace ilc::parsers {

// RFC 2045 section 6.8: characters outside the alphabet are ignored, missing padding accepted.
std::string decode_base64(std::string_view in, bool* broken = nullptr);
// RFC 2045 section 6.7: "=XX" (either case), soft line breaks "=\r\n"/"=\n"; a bad "=" is kept.
std::string decode_quoted_printable(std::string_view in, bool* broken = nullptr);

}  // namespace ilc::parsers
