#pragma once
// Text normalization shared by every matcher in core/text: case folding, accent stripping and
// word tokenization, so that "Pourriez-vous", "pourriez vous" and "POURRIEZ‑VOUS" are the same
// two words "pourriez" "vous". Linear in the input, no regex.
#include <cstddef>
#include <cstdint>
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

// fold(text) appended to out, as if out's bytes from `base` on were the fold of an earlier piece
// of the same text followed by a line break: a space goes before each word when out is longer
// than base. fold(a + "\n" + b) == fold(a) then fold_append(that, b, 0); fold(t) is
// fold_append(empty, t, 0). Lets a caller fold a text in pieces, or behind a prefix (" "), without
// copying it first.
void fold_append(std::string& out, std::string_view text, std::size_t base);

// A text folded once, with its words located both in the folded text and in the original:
// text == fold(source), and words[i] is tokenize(source)[i] (norm(i) == tokenize(source)[i].norm,
// the same begin and end). One message's new text is folded once this way for the cue matcher,
// the language guess and the bulk-mail footer scan (understand.cpp).
struct FoldedText {
    struct Word {
        std::uint32_t fbegin;  // the folded word is text.substr(fbegin, flen)
        std::uint32_t flen;
        std::uint32_t begin;   // byte offsets in the source, as Token::begin / Token::end
        std::uint32_t end;
    };
    std::string text;
    std::vector<Word> words;
    std::string_view norm(std::size_t i) const { return std::string_view(text).substr(words[i].fbegin, words[i].flen); }
};

// Sources up to 4 GiB (offsets are 32-bit; every caller caps far below).
FoldedText fold_words(std::string_view text);

// out = fold_words(text), reusing out's buffers (for callers that fold many short pieces).
void fold_words_into(FoldedText& out, std::string_view text);

// fold_words(text), computed on the first get() only. understand() hands its new text this way to
// the matchers that may read it: an automated mail (a list message, a notification) is never
// searched for cues, so its new text, often long, is then folded only where a header verdict
// did not already decide (and its language guessed from the first 4 KiB alone).
class LazyFoldedText {
public:
    explicit LazyFoldedText(std::string_view text) : text_(text) {}
    const FoldedText& get() {
        if (!ready_) {
            folded_ = fold_words(text_);
            ready_ = true;
        }
        return folded_;
    }
    bool ready() const { return ready_; }
    std::string_view source() const { return text_; }

private:
    std::string_view text_;
    FoldedText folded_;
    bool ready_ = false;
};

// Folds one code point; appends its folded form (possibly empty for separators) to out and
// returns true when it is a word character.
bool fold_code_point(char32_t c, std::string& out);

// Decodes one UTF-8 code point at text[i], advancing i; invalid bytes give U+FFFD and advance 1.
char32_t next_code_point(std::string_view text, std::size_t& i);

}  // namespace ilc::text
