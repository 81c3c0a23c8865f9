// The word-at-a-time scans and decoders of the parsers against the byte loops they replaced
// (the simple code is kept here as the reference), on random input: field-name and blank scans
// (text_util.h), base64 bodies (whole quanta at once), Maildir flags (one backward scan).
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>

#include "../../parsers/src/maildir_source.h"
#include "../../parsers/src/mime_decode.h"
#include "../../parsers/src/text_util.h"

using namespace ilc::parsers;

namespace {

size_t ref_ftext_end(std::string_view s, size_t i) {
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 33 || c > 126 || c == ':') break;
        ++i;
    }
    return i;
}

size_t ref_blanks_end(std::string_view s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return i;
}

// decode_base64 as it was: one byte at a time.
std::string ref_base64(std::string_view in, bool* broken) {
    auto value = [](unsigned char c) {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    bool bad = false;
    for (unsigned char c : in) {
        if (c == '=') {
            acc = 0;
            bits = 0;
            continue;
        }
        const int v = value(c);
        if (v < 0) {
            if (c != '\r' && c != '\n' && c != ' ' && c != '\t') bad = true;
            continue;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    *broken = bad;
    return out;
}

// maildir_flags' marker search as it was: the last of three rfind.
size_t ref_marker(std::string_view name) {
    size_t p = std::string_view::npos;
    for (const char* marker : {":2,", ";2,", "!2,"}) {
        const size_t q = name.rfind(marker);
        if (q != std::string_view::npos && (p == std::string_view::npos || q > p)) p = q;
    }
    return p;
}

}  // namespace

TEST_CASE("ftext_end and blanks_end stop where the byte loops stop", "[parsers][fastpath]") {
    std::mt19937 rng(20261125);
    for (int it = 0; it < 200000; ++it) {
        const size_t n = rng() % 40;
        std::string s(n, 'a');
        for (char& c : s) {
            const unsigned r = rng() % 10;
            c = r < 6 ? char(33 + rng() % 94) : r < 8 ? ":\t \r\n\x7f"[rng() % 6] : char(rng() % 256);
        }
        std::string b(n, ' ');
        for (char& c : b) {
            const unsigned r = rng() % 24;
            c = r == 0 ? '\t' : r == 1 ? char(rng() % 256) : ' ';
        }
        const size_t from = n ? rng() % (n + 1) : 0;
        REQUIRE(text::ftext_end(s, from) == ref_ftext_end(s, from));
        REQUIRE(text::blanks_end(b, from) == ref_blanks_end(b, from));
    }
}

TEST_CASE("decode_base64 gives the byte loop's bytes and verdict", "[parsers][fastpath]") {
    std::mt19937 rng(7);
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
    for (int it = 0; it < 20000; ++it) {
        const size_t n = rng() % 200;
        std::string in;
        for (size_t i = 0; i < n; ++i) {
            const unsigned r = rng() % 100;
            if (r < 85) in += kAlphabet[rng() % kAlphabet.size()];
            else if (r < 90) in += '\n';
            else if (r < 93) in += "\r\n";
            else if (r < 96) in += '=';
            else if (r < 98) in += ' ';
            else in += char(rng() % 256);
        }
        bool broken = false, ref_broken = false;
        const std::string got = decode_base64(in, &broken);
        const std::string want = ref_base64(in, &ref_broken);
        REQUIRE(got == want);
        REQUIRE(broken == ref_broken);
    }
    bool broken = true;
    CHECK(decode_base64("SGVsbG8sIHdvcmxkIQ==\r\nSGk=", &broken) == "Hello, world!Hi");
    CHECK_FALSE(broken);
}

TEST_CASE("maildir_flags reads the last info marker, as the three searches did", "[parsers][fastpath]") {
    std::mt19937 rng(3);
    static constexpr std::string_view kBytes = ":;!2,SRFDTPa.x";
    for (int it = 0; it < 100000; ++it) {
        std::string name;
        const size_t n = rng() % 12;
        for (size_t i = 0; i < n; ++i) name += kBytes[rng() % kBytes.size()];
        const size_t p = ref_marker(name);
        ilc::Flags want;
        if (p != std::string_view::npos)
            for (char c : std::string_view(name).substr(p + 3)) {
                want.seen |= c == 'S';
                want.replied |= c == 'R';
                want.flagged |= c == 'F';
                want.draft |= c == 'D';
                want.trashed |= c == 'T';
                want.passed |= c == 'P';
            }
        const ilc::Flags got = maildir_flags(name);
        REQUIRE(got.seen == want.seen);
        REQUIRE(got.replied == want.replied);
        REQUIRE(got.flagged == want.flagged);
        REQUIRE(got.draft == want.draft);
        REQUIRE(got.trashed == want.trashed);
        REQUIRE(got.passed == want.passed);
    }
}
