#include "interlocutor/text/lang.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "interlocutor/text/normalize.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::text {

namespace {

// Stop words unique to each language after folding (no "a", "on", "me", "est" ambiguity kept
// where it is cheap to avoid).
constexpr std::string_view kFrench[] = {
    "le", "la", "les", "des", "du", "un", "une", "et", "est", "je", "vous", "nous", "pour", "avec",
    "sur", "dans", "pas", "que", "qui", "ce", "cette", "au", "aux", "mais", "ou", "votre", "vos",
    "notre", "nos", "merci", "bonjour", "cordialement", "tres", "bien", "sont", "etre", "avons",
    "avez", "ai", "mon", "ma", "mes", "il", "elle", "c", "j", "d", "l", "qu", "n", "s", "y"};
constexpr std::string_view kEnglish[] = {
    "the", "and", "is", "are", "you", "we", "for", "with", "this", "that", "of", "to", "in", "it",
    "be", "have", "has", "will", "would", "can", "could", "please", "thanks", "thank", "hi",
    "hello", "regards", "our", "your", "my", "i", "not", "from", "at", "as", "if", "do", "was",
    "what", "when", "on", "an"};

// The stop words by (length, first letter): a word is compared only with the two or three of
// the same length and initial, instead of hashing every word twice (detect_lang was a tenth of
// the ingest's CPU on Enron with two std::unordered_set<std::string> look-ups per word).
class StopWords {
public:
    StopWords() {
        for (std::string_view w : kFrench) slot(w).push_back({w, 1});
        for (std::string_view w : kEnglish) slot(w).push_back({w, 2});
    }
    // 1: French, 2: English, 0: neither. Folded words are lower-case ASCII letters and digits
    // or other UTF-8 (never a stop word).
    int lang_of(std::string_view w) const {
        if (w.empty() || w.size() > kMaxLen) return 0;
        const unsigned char c = static_cast<unsigned char>(w[0]);
        if (c < 'a' || c > 'z') return 0;
        const std::vector<Entry>& slot = table_[w.size()][c - 'a'];
        if (slot.empty()) return 0;
        // The word as two integers (zero-padded): compared without a memcmp call per entry.
        const Packed p = pack(w);
        for (const Entry& e : slot)
            if (e.packed.lo == p.lo && e.packed.hi == p.hi) return e.lang;
        return 0;
    }

    // lang_of(lower-case of w[0..len)) for ASCII letters and digits (OR 0x20 lower-cases both: a
    // digit already has that bit): no copy of the word, and none at all when no stop word has its
    // length and initial. avail: how many bytes from w may be read (at least len); with 8 of them
    // the word's first 8 bytes are loaded at once and masked to its length (same value as byte
    // by byte: byte k at bits 8k, zero past the word).
    int lang_of_ascii_word(const unsigned char* w, std::size_t len, std::size_t avail) const {
        if (len == 0 || len > kMaxLen) return 0;
        const unsigned char c = w[0] | 0x20;
        if (c < 'a' || c > 'z') return 0;
        const std::vector<Entry>& slot = table_[len][c - 'a'];
        if (slot.empty()) return 0;
        Packed p;
        if (std::endian::native == std::endian::little && avail >= 8) {
            std::uint64_t x;
            std::memcpy(&x, w, 8);
            const std::uint64_t mask = len >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * len)) - 1;
            p.lo = (x | 0x2020202020202020ull) & mask;
        } else {
            for (std::size_t k = 0; k < len && k < 8; ++k) p.lo |= std::uint64_t{static_cast<unsigned char>(w[k] | 0x20)} << (8 * k);
        }
        for (std::size_t k = 8; k < len; ++k) p.hi |= std::uint64_t{static_cast<unsigned char>(w[k] | 0x20)} << (8 * (k - 8));
        for (const Entry& e : slot)
            if (e.packed.lo == p.lo && e.packed.hi == p.hi) return e.lang;
        return 0;
    }

private:
    struct Packed {
        std::uint64_t lo = 0, hi = 0;
    };
    static Packed pack(std::string_view w) {  // w.size() <= kMaxLen < 16; byte k at bits 8k (mod 64)
        Packed p;
        for (std::size_t k = 0; k < w.size() && k < 8; ++k)
            p.lo |= std::uint64_t{static_cast<unsigned char>(w[k])} << (8 * k);
        for (std::size_t k = 8; k < w.size(); ++k)
            p.hi |= std::uint64_t{static_cast<unsigned char>(w[k])} << (8 * (k - 8));
        return p;
    }
    struct Entry {
        Entry(std::string_view w, int l) : packed(pack(w)), lang(l) {}
        Packed packed;
        int lang;
    };
    static constexpr std::size_t kMaxLen = 12;  // "cordialement"
    std::vector<Entry>& slot(std::string_view w) { return table_[w.size()][static_cast<unsigned char>(w[0]) - 'a']; }
    std::vector<Entry> table_[kMaxLen + 1][26];
};

}  // namespace

namespace {

constexpr std::size_t kHead = 4096;

const StopWords& stop_words() {
    static const StopWords stop;
    return stop;
}

std::string verdict(int f, int e) {
    if (f < 2 && e < 2) return "";
    if (f == e) return "";
    return f > e ? "fr" : "en";
}

// A stop word's language (StopWords::lang_of: 1 French, 2 English, 0 neither) counted in f or e.
void tally(int lang, int& f, int& e) {
    if (lang == 1) ++f;
    else if (lang == 2) ++e;
}

}  // namespace

std::string detect_lang(std::string_view text) {
    std::string_view head = text.substr(0, std::min<std::size_t>(text.size(), kHead));
    // detect_lang(head, fold_words(head)) without folding the whole head (it was most of the
    // language guess, and an automated mail's new text is folded for nothing else). The head is
    // cut at its ASCII separators (ASCII bytes other than letters and digits: each is one code
    // point that folds to nothing, and no multi-byte character spans one). A piece of ASCII
    // letters and digits is one word, its fold the lower-case bytes; a piece with a byte >= 0x80
    // is folded alone, which gives the words fold_words(head) has there (the fold is code point by
    // code point, words end at separators, and a piece starts and ends at one or at the head's ends).
    const StopWords& stop = stop_words();
    int f = 0, e = 0;
    auto count = [&](std::string_view w) { tally(stop.lang_of(w), f, e); };
    // 0: ASCII separator, 1: ASCII letter or digit, 2: byte >= 0x80.
    static constexpr std::array<unsigned char, 256> kClass = [] {
        std::array<unsigned char, 256> t{};
        for (int b = 0; b < 256; ++b)
            t[b] = b >= 0x80 ? 2 : ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) ? 1 : 0;
        return t;
    }();
    thread_local FoldedText piece;
    const auto* s = reinterpret_cast<const unsigned char*>(head.data());
    const std::size_t n = head.size();
    std::size_t i = 0;
    while (i < n) {
        if (kClass[s[i]] == 0) { ++i; continue; }
        std::size_t j = i;
        unsigned char seen = 0;
        std::size_t next = 0;  // where the next piece may start: j, or past the separators after j
#if defined(__SSE2__)
        // The piece's end sixteen bytes at a time while 16 remain (the byte loop below was half of
        // the language guess on list mail): the first ASCII separator ends it, and a byte >= 0x80
        // before that sends it to the fold. Same end and same `seen & 2` as the byte loop.
        bool ended = false;
        while (j + 16 <= n) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j));
            auto in_range = [&x](char lo, char hi) {
                return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                                     _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
            };
            const __m128i alnum = _mm_or_si128(_mm_or_si128(in_range('A', 'Z'), in_range('a', 'z')), in_range('0', '9'));
            const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(x));  // bytes >= 0x80
            const unsigned sep = ~(static_cast<unsigned>(_mm_movemask_epi8(alnum)) | high) & 0xFFFFu;
            if (sep) {
                const unsigned k = static_cast<unsigned>(__builtin_ctz(sep));
                if (high & ((1u << k) - 1)) seen |= 2;
                // The separators from k on in this block are skipped too (the loop above skips
                // them one by one): the next piece starts at the first other byte, if any here.
                const unsigned after = ~sep & 0xFFFFu & ~((2u << k) - 1);
                next = j + (after ? static_cast<std::size_t>(__builtin_ctz(after)) : 16);
                j += k;
                ended = true;
                break;
            }
            if (high) seen |= 2;
            j += 16;
        }
        if (!ended)
#endif
        {
            while (j < n && kClass[s[j]] != 0) seen |= kClass[s[j++]];
            next = j;
        }
        if (!(seen & 2)) {
            tally(stop.lang_of_ascii_word(s + i, j - i, n - i), f, e);
        } else {
            fold_words_into(piece, head.substr(i, j - i));
            for (std::size_t k = 0; k < piece.words.size(); ++k) count(piece.norm(k));
        }
        i = next;
    }
    return verdict(f, e);
}

std::string detect_lang(std::string_view text, const FoldedText& folded) {
    // fold(head) is the head's words joined by single spaces (test_text_fastpaths checks it): the
    // stop words are counted word by word, with no string built per word; an empty word (a lone
    // combining mark) is no stop word either way.
    const StopWords& stop = stop_words();
    int f = 0, e = 0;
    auto count = [&](std::string_view w) { tally(stop.lang_of(w), f, e); };
    for (std::size_t k = 0; k < folded.words.size(); ++k) {
        const FoldedText::Word& w = folded.words[k];
        if (w.end > kHead) {
            // The word the 4 KiB cut falls in: fold(head) ends with the fold of its bytes before
            // the cut (a cut character folds to a separator).
            if (w.begin < kHead && w.begin < text.size()) {
                const std::string part = fold(text.substr(w.begin, kHead - w.begin));
                std::size_t p = 0;
                while (p <= part.size()) {
                    std::size_t q = part.find(' ', p);
                    if (q == std::string::npos) q = part.size();
                    count(std::string_view(part).substr(p, q - p));
                    p = q + 1;
                }
            }
            break;
        }
        count(folded.norm(k));
    }
    return verdict(f, e);
}

}  // namespace ilc::text
