#include "mime_decode.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "text_util.h"

namespace ilc::parsers {
namespace {

int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // '-' and '_': the URL-safe alphabet some senders use
    if (c == '/' || c == '_') return 63;
    return -1;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string decode_base64(std::string_view in, bool* broken) {
    // b64_value of every byte, looked up instead of computed (-1: not in the alphabet).
    static const auto table = [] {
        std::array<int8_t, 256> t{};
        for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(b64_value(static_cast<unsigned char>(c)));
        return t;
    }();
    // Written through a pointer into a buffer of the largest possible size (every 4 input bytes
    // give at most 3), cut to size at the end: no size check per byte.
    std::string out(in.size() / 4 * 3 + 3, '\0');
    char* w = out.data();
    uint32_t acc = 0;
    int bits = 0;
    bool bad = false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const auto* const end = p + in.size();
    while (p < end) {
        // A whole quantum at a quantum boundary (every 4 bytes of a base64 line): 3 bytes at
        // once, what the byte loop below gives for it (the bits before a boundary never reach
        // a later byte). Anything else (line breaks, '=', junk) goes through the byte loop.
        if (bits == 0 && end - p >= 4) {
            const int a = table[p[0]], b = table[p[1]], c = table[p[2]], d = table[p[3]];
            if ((a | b | c | d) >= 0) {
                acc = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
                *w++ = static_cast<char>(acc >> 16);
                *w++ = static_cast<char>((acc >> 8) & 0xff);
                *w++ = static_cast<char>(acc & 0xff);
                p += 4;
                continue;
            }
        }
        const unsigned char c = *p++;
        if (c == '=') {
            acc = 0;  // padding ends a quantum; a later quantum (concatenated encodings) restarts
            bits = 0;
            continue;
        }
        int v = table[c];
        if (v < 0) {
            if (c != '\r' && c != '\n' && c != ' ' && c != '\t') bad = true;
            continue;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *w++ = static_cast<char>((acc >> bits) & 0xff);
        }
    }
    out.resize(static_cast<size_t>(w - out.data()));
    if (broken) *broken = bad;
    return out;
}

std::string decode_quoted_printable(std::string_view in, bool* broken) {
    // hex() of every byte, looked up (-1: not a hex digit).
    static const auto hex_table = [] {
        std::array<int8_t, 256> t{};
        for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(hex(static_cast<char>(c)));
        return t;
    }();
    auto hex_at = [&](size_t k) { return k < in.size() ? int(hex_table[static_cast<unsigned char>(in[k])]) : -1; };
    // Written through a pointer into room for every byte (the output is never longer than the
    // input: an escape gives one byte for three), cut to size at the end; the runs between '='
    // signs (most of a line) copied at once, found 16 bytes at a time (text::find_first_of:
    // HTML parts have an escape every few words, and memchr's call was most of a short run).
    std::string out(in.size(), '\0');
    char* w = out.data();
    bool bad = false;
    size_t i = 0;
    const size_t n = in.size();
    while (i < n) {
        const size_t eq = text::find_first_of<'='>(in, i);
        std::memcpy(w, in.data() + i, eq - i);
        w += eq - i;
        i = eq;
        if (i >= n) break;
        // Soft line break, possibly with trailing white space before it (RFC 2045 rule 3).
        size_t j = i + 1;
        while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j < n && (in[j] == '\n' || (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n'))) {
            i = in[j] == '\r' ? j + 2 : j + 1;
            continue;
        }
        if (j == n) break;  // "=" at the very end: a soft break
        const int h = hex_at(i + 1), l = hex_at(i + 2);
        if (h >= 0 && l >= 0) {
            *w++ = static_cast<char>(h * 16 + l);
            i += 3;
            continue;
        }
        bad = true;
        *w++ = '=';  // not an escape: kept as written, like most readers
        ++i;
    }
    out.resize(static_cast<size_t>(w - out.data()));
    if (broken) *broken = bad;
    return out;
}

}  // namespace ilc::parsers
