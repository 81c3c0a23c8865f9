#pragma once
#include <string>
#include <string_view>

#include "interlocutor/text/normalize.h"

namespace ilc::text {

// "fr" or "en" from stop-word counts over the first 4 KiB, or "" when neither has at least two
// stop words or the counts tie.
std::string detect_lang(std::string_view text);

// The same from folded = fold_words(t), where t is text or a prefix of text at least 4 KiB long
// (a text folded once for other matchers as well): no second fold of the head.
std::string detect_lang(std::string_view text, const FoldedText& folded);

}  // namespace ilc::text
