#include "interlocutor/text/normalize.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

std::vector<Token> tokenize(std::string_view text) {
    // fold_words() finds the same words (test_text_fastpaths checks it against a code point by
    // code point tokenizer); each Token owns a copy of its folded word.
    const FoldedText f = fold_words(text);
    std::vector<Token> tokens;
    tokens.reserve(f.words.size());
    for (std::size_t k = 0; k < f.words.size(); ++k)
        tokens.push_back(Token{std::string(f.norm(k)), f.words[k].begin, f.words[k].end});
    return tokens;
}

namespace {

// The fold() loop, table-driven and writing through a raw pointer (fold was a fifth of the ingest's
// instructions on Enron, called on the same bodies by several matchers). kAsciiFold[b] is the
// lower-case form of an ASCII letter or digit, 0 for any other ASCII byte (a separator) and 0xFF
// for a byte >= 0x80 (a multi-byte code point or an invalid byte: decoded, then folded through
// the table below U+0800 or ICU above, as fold_code_point does).
constexpr std::array<unsigned char, 256> make_ascii_fold() {
    std::array<unsigned char, 256> t{};
    for (int b = 0; b < 256; ++b) {
        if (b >= 0x80) t[b] = 0xFF;
        else if (b >= 'A' && b <= 'Z') t[b] = static_cast<unsigned char>(b + 32);
        else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) t[b] = static_cast<unsigned char>(b);
    }
    return t;
}
constexpr std::array<unsigned char, 256> kAsciiFold = make_ascii_fold();

// Appends fold(text) to out (a space before each word when out is longer than base) and, when
// words is set, records every word as tokenize() would (empty words, i.e. lone combining marks,
// included). Same decisions as fold_code_point() code point by code point.
void fold_impl(std::string& out, std::string_view text, std::size_t base, std::vector<FoldedText::Word>* words) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t len = out.size();
    // Room: the ASCII paths below write without checking. Invariant at the top of the loop:
    // cap - len >= (n - i) + 1 outside a word, >= n - i inside one (an ASCII byte writes at most
    // itself, plus one space when it opens a word, and that space follows a separator byte that
    // wrote nothing, or the start). A multi-byte code point may fold longer than it is written
    // (U+023A -> U+2C65): that path restores the invariant with ensure().
    out.resize(len + n + 8);
    char* o = out.data();
    std::size_t cap = out.size();
    bool in_word = false;
    std::size_t wbegin = 0, fbegin = 0;
    std::string wide;  // the fold of one code point above U+07FF (ICU), rare
    const FoldTable* table = nullptr;
    std::size_t i = 0;
    while (i < n) {
        unsigned char v = kAsciiFold[s[i]];
        if (v == 0) {  // an ASCII separator: ends the word
            if (in_word) {
                if (words)
                    words->push_back({static_cast<std::uint32_t>(fbegin), static_cast<std::uint32_t>(len - fbegin),
                                      static_cast<std::uint32_t>(wbegin), static_cast<std::uint32_t>(i)});
                in_word = false;
            }
            ++i;
            while (i < n && kAsciiFold[s[i]] == 0) ++i;
            continue;
        }
        if (v != 0xFF) {  // a run of ASCII letters and digits, lower-cased as it is copied
            if (!in_word) {
                if (len > base) o[len++] = ' ';
                fbegin = len;
                wbegin = i;
                in_word = true;
            }
#if defined(__SSE2__)
            // Sixteen bytes at a time while 16 remain (the run's first byte included): one store
            // writes them lower-cased (| 0x20 on 'A'-'Z' only), and the run's length is the count
            // of leading letters and digits. Bytes past the run are written too but lie beyond len:
            // later writes or the final resize drop them. Room: inside a word cap - len >= n - i
            // >= 16. Bytes >= 0x80 are negative as signed chars, so they fall in no range and end
            // the run as the scalar loop's 0xFF does. Most words end in the first block.
            bool run_ended = false;
            while (i + 16 <= n) {
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
                auto in_range = [&x](char lo, char hi) {
                    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                                         _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
                };
                const __m128i upper = in_range('A', 'Z');
                const __m128i alnum = _mm_or_si128(_mm_or_si128(upper, in_range('a', 'z')), in_range('0', '9'));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(o + len),
                                 _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
                const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(alnum));
                if (mask != 0xFFFFu) {
                    const auto run = static_cast<std::size_t>(__builtin_ctz(~mask));
                    i += run;
                    len += run;
                    run_ended = true;
                    break;
                }
                i += 16;
                len += 16;
            }
            // Ended on a byte that is no ASCII letter or digit: the loop above handles it.
            if (run_ended || i == n) continue;
            v = kAsciiFold[s[i]];
            if (static_cast<unsigned char>(v - 1) >= 0xFE) continue;
#endif
            do {
                o[len++] = static_cast<char>(v);
                if (++i == n) break;
                v = kAsciiFold[s[i]];
            } while (static_cast<unsigned char>(v - 1) < 0xFE);
            continue;
        }
        const std::size_t at = i;
        // A two-byte character (accented Latin letters, most of the non-ASCII text) decoded here
        // as next_code_point() decodes it (lead byte 0xC0-0xDF, then a continuation byte), without
        // the call; anything else through next_code_point().
        char32_t c;
        if ((s[i] & 0xE0) == 0xC0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            c = static_cast<char32_t>((s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F));
            i += 2;
        } else {
            c = next_code_point(text, i);
        }
        std::string_view piece;
        bool word;
        if (c < 0x800) {
            if (!table) table = &fold_table();  // once per call (a guarded static), when first needed
            word = table->word[c];
            piece = table->folded[c];
        } else {
            wide.clear();
            word = fold_with_icu(c, wide);
            piece = wide;
        }
        if (!word) {
            if (in_word) {
                if (words)
                    words->push_back({static_cast<std::uint32_t>(fbegin), static_cast<std::uint32_t>(len - fbegin),
                                      static_cast<std::uint32_t>(wbegin), static_cast<std::uint32_t>(at)});
                in_word = false;
            }
            continue;
        }
        // The piece, its space, and the invariant for the rest of the input.
        if (const std::size_t need = piece.size() + 2 + (n - i); cap - len < need) {
            out.resize(len + need + 64);
            o = out.data();
            cap = out.size();
        }
        if (!in_word) {
            if (len > base) o[len++] = ' ';
            fbegin = len;
            wbegin = at;
            in_word = true;
        }
        // Pieces are a few bytes (room checked above): copied without a memcpy call.
        for (const char ch : piece) o[len++] = ch;
    }
    if (in_word && words)
        words->push_back({static_cast<std::uint32_t>(fbegin), static_cast<std::uint32_t>(len - fbegin),
                          static_cast<std::uint32_t>(wbegin), static_cast<std::uint32_t>(n)});
    out.resize(len);
}

}  // namespace

std::string fold(std::string_view text) {
    std::string out;
    fold_impl(out, text, 0, nullptr);
    return out;
}

void fold_append(std::string& out, std::string_view text, std::size_t base) { fold_impl(out, text, base, nullptr); }

FoldedText fold_words(std::string_view text) {
    FoldedText f;
    f.words.reserve(text.size() / 5 + 1);
    fold_impl(f.text, text, 0, &f.words);
    return f;
}

void fold_words_into(FoldedText& out, std::string_view text) {
    out.text.clear();
    out.words.clear();
    fold_impl(out.text, text, 0, &out.words);
}

}  // namespace ilc::text
