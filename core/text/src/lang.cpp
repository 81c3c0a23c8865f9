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
        auto mark = [this](std::string_view w) {
            lengths_by_first_[static_cast<unsigned char>(w[0])] |= 1u << w.size();
            lengths_by_first_[static_cast<unsigned char>(w[0] - 32)] |= 1u << w.size();  // upper case
        };
        for (std::string_view w : kFrench) mark(w);
        for (std::string_view w : kEnglish) mark(w);
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
        // Most words have no stop word of their length and initial: one bit test (no stop word
        // has length 0, and only letters have bits).
        if (len == 0 || len > kMaxLen || !((lengths_by_first_[w[0]] >> len) & 1u)) return 0;
        const unsigned char c = w[0] | 0x20;
        const std::vector<Entry>& slot = table_[len][c - 'a'];
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
    // Bit n of [b] is set when a stop word of n letters starts with the letter b (either case).
    std::array<std::uint32_t, 256> lengths_by_first_{};
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

// The stop words of head (a text's first 4 KiB, or a part of them that starts at the head's start
// or right after an ASCII separator, and ends at the head's end or at one) added to f and e.
// detect_lang(text) is verdict() of the counts of its head: counted in two parts cut that way,
// the sums are the same (no piece below spans an ASCII separator).
void count_stop_words(std::string_view head, int& f, int& e) {
    // detect_lang(head, fold_words(head)) without folding the whole head (it was most of the
    // language guess, and an automated mail's new text is folded for nothing else). The head is
    // cut at its ASCII separators (ASCII bytes other than letters and digits: each is one code
    // point that folds to nothing, and no multi-byte character spans one). A piece of ASCII
    // letters and digits is one word, its fold the lower-case bytes; a piece with a byte >= 0x80
    // is folded alone, which gives the words fold_words(head) has there (the fold is code point by
    // code point, words end at separators, and a piece starts and ends at one or at the head's ends).
    const StopWords& stop = stop_words();
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
    // A piece [a, b) of the head: one word when it is ASCII, else folded alone (above).
    auto piece_words = [&](std::size_t a, std::size_t b, bool high) __attribute__((always_inline)) {
        if (!high) {
            tally(stop.lang_of_ascii_word(s + a, b - a, n - a), f, e);
        } else {
            fold_words_into(piece, head.substr(a, b - a));
            for (std::size_t k = 0; k < piece.words.size(); ++k) count(piece.norm(k));
        }
    };
#if defined(__SSE2__)
    // The same pieces from two bit masks per 64 bytes (bit k: byte base + k is no ASCII separator;
    // is >= 0x80), made with four 16-byte compares, and walked from piece to piece with bit scans:
    // the former loop (a 16-byte load and compare at each piece's start, then a byte loop over
    // the separators) cost about 30 instructions per word, a fifth of a list message's analysis.
    // The last partial 64 bytes are classified byte by byte (nothing is read past the head).
    {
        std::size_t start = 0;  // the open piece's first byte
        bool open = false, high_seen = false;
        for (std::size_t base = 0; base < n; base += 64) {
            std::uint64_t word = 0, high = 0;
            if (base + 64 <= n) {
                for (unsigned q = 0; q < 4; ++q) {
                    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + base + 16 * q));
                    auto in_range = [&x](char lo, char hi) {
                        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
                    };
                    const __m128i alnum = _mm_or_si128(_mm_or_si128(in_range('A', 'Z'), in_range('a', 'z')), in_range('0', '9'));
                    const auto h = static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(x)));
                    const auto a = static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(alnum)));
                    word |= (a | h) << (16 * q);
                    high |= h << (16 * q);
                }
            } else {
                for (std::size_t k = 0; base + k < n; ++k) {
                    const unsigned char c = kClass[s[base + k]];
                    if (c) word |= std::uint64_t{1} << k;
                    if (c == 2) high |= std::uint64_t{1} << k;
                }
            }
            constexpr std::uint64_t kAll = ~std::uint64_t{0};
            unsigned pos = 0;  // the next bit to look at (always < 64 below)
            if (open) {
                // The piece open since an earlier block ends at this block's first separator, or
                // goes on past these 64 bytes.
                if (word == kAll) {
                    if (high) high_seen = true;
                    continue;
                }
                const auto stop_bit = static_cast<unsigned>(__builtin_ctzll(~word));
                if (high & ((std::uint64_t{1} << stop_bit) - 1)) high_seen = true;
                piece_words(start, base + stop_bit, high_seen);
                open = false;
                pos = stop_bit;
            }
            // The pieces that start in this block: each ends at the next separator (the last may
            // go on past the block: left open).
            for (;;) {
                const std::uint64_t starts = word & (kAll << pos);
                if (!starts) break;
                const auto first = static_cast<unsigned>(__builtin_ctzll(starts));
                const std::uint64_t seps = ~word & (kAll << first);
                if (!seps) {
                    start = base + first;
                    open = true;
                    high_seen = (high >> first) != 0;
                    break;
                }
                const auto stop_bit = static_cast<unsigned>(__builtin_ctzll(seps));
                piece_words(base + first, base + stop_bit, (high & (kAll << first) & ((std::uint64_t{1} << stop_bit) - 1)) != 0);
                pos = stop_bit;  // a separator: the next piece starts after it
            }
        }
        if (open) piece_words(start, n, high_seen);
        return;
    }
#else
    // Without SSE2: piece by piece, byte by byte.
    std::size_t i = 0;
    while (i < n) {
        if (kClass[s[i]] == 0) { ++i; continue; }
        std::size_t j = i;
        unsigned char seen = 0;
        while (j < n && kClass[s[j]] != 0) seen |= kClass[s[j++]];
        piece_words(i, j, (seen & 2) != 0);
        i = j;
    }
#endif
}

bool is_ascii_separator(char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x80 && !((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'));
}

}  // namespace

std::string detect_lang(std::string_view text) {
    int f = 0, e = 0;
    count_stop_words(text.substr(0, std::min<std::size_t>(text.size(), kHead)), f, e);
    return verdict(f, e);
}

std::string detect_lang_either(std::string_view text, std::string_view other) {
    const std::string_view a = text.substr(0, std::min<std::size_t>(text.size(), kHead));
    const std::string_view b = other.substr(0, std::min<std::size_t>(other.size(), kHead));
    // p: the length of the heads' common beginning, eight bytes at a time.
    const std::size_t m = std::min(a.size(), b.size());
    std::size_t p = 0;
    while (p + 8 <= m) {
        std::uint64_t x, y;
        std::memcpy(&x, a.data() + p, 8);
        std::memcpy(&y, b.data() + p, 8);
        if (x != y) break;
        p += 8;
    }
    while (p < m && a[p] == b[p]) ++p;
    // q: just past the last ASCII separator of the common part (or 0). Both heads' pieces before
    // q are the same, and end before it: their stop words are counted once.
    std::size_t q = p;
    while (q > 0 && !is_ascii_separator(a[q - 1])) --q;
    int f0 = 0, e0 = 0;
    count_stop_words(a.substr(0, q), f0, e0);
    int f = f0, e = e0;
    count_stop_words(a.substr(q), f, e);
    std::string lang = verdict(f, e);
    if (!lang.empty() || a == b) return lang;  // (the same head gives the same "")
    f = f0;
    e = e0;
    count_stop_words(b.substr(q), f, e);
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
        // lang_of_ascii_word answers as lang_of on a folded word (lower-case ASCII letters and
        // digits, which | 0x20 leaves as they are, or bytes >= 0x80, which no stop word has), and
        // loads its first 8 bytes at once when they lie inside the folded text.
        tally(stop.lang_of_ascii_word(reinterpret_cast<const unsigned char*>(folded.text.data()) + w.fbegin, w.flen,
                                      folded.text.size() - w.fbegin),
              f, e);
    }
    return verdict(f, e);
}

}  // namespace ilc::text
