#include "interlocutor/text/normalize.h"

#include <array>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace ilc::text {

namespace {

void append_utf8(char32_t c, std::string& out) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// Folds a non-ASCII code point through ICU: the canonical decomposition's base letter when it is
// ASCII (é -> e), a few ligatures spelled out, otherwise the lower-case letter itself.
bool fold_with_icu(char32_t c, std::string& out) {
    switch (c) {
        case 0x0153: case 0x0152: out += "oe"; return true;   // œ Œ
        case 0x00E6: case 0x00C6: out += "ae"; return true;   // æ Æ
        case 0x00DF: out += "ss"; return true;                 // ß
        case 0x0131: out += "i"; return true;                  // dotless i
        default: break;
    }
    // A combining accent (text in NFD form) belongs to the word it decorates and folds to nothing.
    if (u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK) return true;
    if (!u_isalnum(static_cast<UChar32>(c))) return false;
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    if (U_SUCCESS(status) && nfd) {
        icu::UnicodeString decomposition;
        if (nfd->getDecomposition(static_cast<UChar32>(c), decomposition) && decomposition.length() > 0) {
            UChar32 base = decomposition.char32At(0);
            if (base < 0x80 && u_isalnum(base)) {
                out += static_cast<char>(u_tolower(base));
                return true;
            }
        }
    }
    append_utf8(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))), out);
    return true;
}

// Latin code points below U+0800 are folded through a table built once, so the hot path
// (French and English mail) never calls into ICU.
struct FoldTable {
    std::array<std::string, 0x800> folded;
    std::array<bool, 0x800> word{};
    FoldTable() {
        for (char32_t c = 0; c < 0x800; ++c) {
            std::string s;
            if (c < 0x80) {
                bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                if (alnum) s += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
                word[c] = alnum;
            } else {
                word[c] = fold_with_icu(c, s);
            }
            folded[c] = std::move(s);
        }
    }
};

const FoldTable& fold_table() {
    static const FoldTable table;
    return table;
}

}  // namespace

char32_t next_code_point(std::string_view text, std::size_t& i) {
    auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) { ++i; return b0; }
    int len = (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > text.size()) { ++i; return 0xFFFD; }
    char32_t c = b0 & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
        auto b = static_cast<unsigned char>(text[i + k]);
        if ((b & 0xC0) != 0x80) { ++i; return 0xFFFD; }
        c = (c << 6) | (b & 0x3F);
    }
    i += len;
    return c;
}

bool fold_code_point(char32_t c, std::string& out) {
    const FoldTable& t = fold_table();
    if (c < 0x800) {
        out += t.folded[c];
        return t.word[c];
    }
    return fold_with_icu(c, out);
}

namespace {

// Appends the folded form of the code point at text[i] to out (when it is a word character) and
// advances i; returns whether it is a word character. Separators fold to nothing, so appending
// straight into the current word is the same as folding into a temporary first. ASCII, the bulk
// of mail text, is handled inline without the table or a call.
inline bool fold_next(std::string_view text, std::size_t& i, std::string& out) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
        ++i;
        if (b >= 'a' && b <= 'z') { out += static_cast<char>(b); return true; }
        if (b >= 'A' && b <= 'Z') { out += static_cast<char>(b + 32); return true; }
        if (b >= '0' && b <= '9') { out += static_cast<char>(b); return true; }
        return false;
    }
    char32_t c = next_code_point(text, i);
    if (c < 0x800) {
        const FoldTable& t = fold_table();
        if (!t.word[c]) return false;
        out += t.folded[c];
        return true;
    }
    return fold_with_icu(c, out);
}

inline bool ascii_alnum(unsigned char b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
}

// fold_next over a whole run of ASCII letters and digits at once (one append, then lower-case in
// place), which is what most words are; any other code point goes through fold_next. Returns
// whether text[i] started a word character.
inline bool fold_step(std::string_view text, std::size_t& i, std::string& out) {
    std::size_t j = i;
    while (j < text.size() && ascii_alnum(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) return fold_next(text, i, out);
    std::size_t old = out.size();
    out.append(text.data() + i, j - i);
    for (std::size_t k = old; k < out.size(); ++k)
        if (out[k] >= 'A' && out[k] <= 'Z') out[k] = static_cast<char>(out[k] + 32);
    i = j;
    return true;
}

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    tokens.reserve(text.size() / 6 + 1);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        // Look for the start of the next word without building anything for separators.
        std::string norm;
        if (!fold_step(text, i, norm)) continue;
        std::size_t end = i;
        while (i < text.size()) {
            if (!fold_step(text, i, norm)) break;
            end = i;
        }
        tokens.push_back(Token{std::move(norm), start, end});
    }
    return tokens;
}

std::string fold(std::string_view text) {
    // The same as joining tokenize(text)'s words with single spaces, written in one pass: a
    // space goes before every word but the first non-empty output.
    std::string out;
    out.reserve(text.size() + 1);
    std::size_t i = 0;
    bool in_word = false;
    while (i < text.size()) {
        auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80 && !ascii_alnum(b)) {
            // An ASCII separator: ends the word, writes nothing.
            ++i;
            in_word = false;
            continue;
        }
        std::size_t before = out.size();
        if (!in_word && !out.empty()) {
            // Tentatively write the separating space; removed again when no word follows.
            out += ' ';
            if (fold_step(text, i, out)) { in_word = true; continue; }
            out.resize(before);
            continue;
        }
        in_word = fold_step(text, i, out);
    }
    return out;
}

}  // namespace ilc::text
