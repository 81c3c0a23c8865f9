#pragma once
#include <string>
#include <string_view>

#include "interlocutor/text/normalize.h"

namespace ilc::text {

// "fr" or "en" from stop-word counts over the first 4 KiB, or "" when neither has at least two
// stop words or the counts tie.
std::string detect_lang(std::string_view text);

// detect_lang(text), or detect_lang(other) when that is "" (understand() asks for a message's new
// text, then its body), with the stop words of the two heads' common beginning counted once.
std::string detect_lang_either(std::string_view text, std::string_view other);

// The same from folded = fold_words(t), where t is text or a prefix of text at least 4 KiB long
// (a text folded once for other matchers as well): no second fold of the head.
std::string detect_lang(std::string_view text, const FoldedText& folded);

}  // namespace ilc::text
