#pragma once
// Text normalization shared by every matcher in core/text: case folding, accent stripping and
// word tokenization, so that "Pourriez-vous", "pourriez vous" and "POURRIEZ‑VOUS" are the same
// two words "pourriez" "vous". Linear in the input, no regex.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ilc::text {

// One word of the input: its folded form and where it sits in the original bytes.
struct Token {
    std::string norm;   // lower-case, accents stripped (é->e, œ->oe, ß->ss), ASCII for Latin text
    std::size_t begin;  // byte offset of the first byte in the original text
    std::size_t end;    // byte offset one past the last byte
};

// Splits UTF-8 text into words. A word is a maximal run of letters and digits; everything else
// (spaces, line breaks, apostrophes ' ’ ʼ, hyphens - ‐ – —, punctuation, invalid bytes) separates
// words. Hence apostrophe and hyphen variants and hard line wraps never break a match.
std::vector<Token> tokenize(std::string_view text);

// The folded words joined by single spaces ("J’attends  votre\nretour" -> "j attends votre retour").
std::string fold(std::string_view text);

// Folds one code point; appends its folded form (possibly empty for separators) to out and
// returns true when it is a word character.
bool fold_code_point(char32_t c, std::string& out);

// Decodes one UTF-8 code point at text[i], advancing i; invalid bytes give U+FFFD and advance 1.
char32_t next_code_point(std::string_view text, std::size_t& i);

}  // namespace ilc::text
