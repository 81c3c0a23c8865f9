#pragma once
// Small ASCII helpers shared by the header decoders. Mail header syntax is ASCII
// (RFC 5322 section 2.2), so case folding here is deliberately ASCII-only and locale-free.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::parsers::text {

inline constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
inline constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)  // equal bytes first: names are mostly written alike
        if (a[i] != b[i] && to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline std::string_view trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) ++b;
    while (e > b && is_space(s[e - 1])) --e;
    return s.substr(b, e - b);
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = to_lower(c);
    return out;
}

// The first byte at or after `i` that is not ftext (RFC 5322 section 2.2 field-name bytes:
// 33..126 but ':'), or s.size(). Eight bytes at a time: header field names are 2 to 30 bytes,
// and the byte loop was a tenth of the header splits of list mail. Each test below flags every
// byte it looks for; a borrow or carry can flag a wrong byte only above one it flags rightly
// (they run upward, from such a byte), so the lowest flag is exact.
inline size_t ftext_end(std::string_view s, size_t i) {
    // (GCC/clang builtins, not <bit>: mime_adapter.cpp, which includes this, is C++17.)
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the lowest address is the lowest byte");
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    while (i + 8 <= s.size()) {
        uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        const uint64_t below = (x - 0x21 * kOnes) & ~x & kHighs;  // bytes under 33
        const uint64_t above = ((x + kOnes) | x) & kHighs;          // bytes over 126
        const uint64_t c = x ^ (0x3A * kOnes);
        const uint64_t colon = (c - kOnes) & ~c & kHighs;           // ':'
        if (const uint64_t m = below | above | colon) return i + size_t(__builtin_ctzll(m) >> 3);
        i += 8;
    }
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 33 || c > 126 || c == ':') break;
        ++i;
    }
    return i;
}

// The first byte at or after `i` that is not ' ' or '\t', or s.size(); runs of eight spaces
// (folded DKIM and Received lines are indented by eight) a word at a time.
inline size_t blanks_end(std::string_view s, size_t i) {
    while (i + 8 <= s.size()) {
        uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        if (x != 0x2020202020202020ULL) break;
        i += 8;
    }
    while (i < s.size() && is_wsp(s[i])) ++i;
    return i;
}

// The first byte at or after `i` that is one of Cs, or s.size(). Sixteen bytes at a time (SSE2,
// x86-64's baseline), the rest through a table: the token scans of address lists and msg-id
// lists ("while the byte is none of these ...") were a comparison per listed byte per byte, and
// References and address lists are most of a header's value bytes.
template <char... Cs>
inline size_t find_first_of(std::string_view s, size_t i) {
    static constexpr struct Table {
        bool hit[256] = {};
        constexpr Table() { ((hit[static_cast<unsigned char>(Cs)] = true), ...); }
    } kTable{};
#if defined(__SSE2__)
    while (i + 16 <= s.size()) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i m = (_mm_cmpeq_epi8(v, _mm_set1_epi8(Cs)) | ...);
        if (const int bits = _mm_movemask_epi8(m)) return i + size_t(__builtin_ctz(unsigned(bits)));
        i += 16;
    }
#endif
    while (i < s.size() && !kTable.hit[static_cast<unsigned char>(s[i])]) ++i;
    return i;
}

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace ilc::parsers::text
