#include "mime_decode.h"

#include <array>
#include <cstdint>
#include <cstring>

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
    std::string out;
    out.reserve(in.size());
    bool bad = false;
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c != '=') {
            // The run up to the next '=' is copied as it is, in one append.
            const void* eq = std::memchr(in.data() + i, '=', in.size() - i);
            const size_t end = eq ? static_cast<size_t>(static_cast<const char*>(eq) - in.data()) : in.size();
            out.append(in.data() + i, end - i);
            i = end - 1;
            continue;
        }
        // Soft line break, possibly with trailing white space before it (RFC 2045 rule 3).
        size_t j = i + 1;
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j < in.size() && (in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n'))) {
            i = in[j] == '\r' ? j + 1 : j;
            continue;
        }
        if (j == in.size()) { i = j; continue; }  // "=" at the very end: a soft break
        {
            int h = i + 1 < in.size() ? hex(in[i + 1]) : -1;
            int l = i + 2 < in.size() ? hex(in[i + 2]) : -1;
            if (h >= 0 && l >= 0) {
                out += static_cast<char>(h * 16 + l);
                i += 2;
                continue;
            }
        }
        bad = true;
        out += '=';  // not an escape: kept as written, like most readers
    }
    if (broken) *broken = bad;
    return out;
}

}  // namespace ilc::parsers
