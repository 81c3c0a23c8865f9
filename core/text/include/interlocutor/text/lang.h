#pragma once
#include <string>
#include <string_view>

namespace ilc::text {

// "fr" or "en" from stop-word counts over the first 4 KiB, or "" when neither has at least two
// stop words or the counts tie.
std::string detect_lang(std::string_view text);

}  // namespace ilc::text
