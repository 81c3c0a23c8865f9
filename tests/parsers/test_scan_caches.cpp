// The eighth pass's shortcuts against what they replaced, on random input: the sixteen-byte
// token scans (text::find_first_of), quoted-printable by runs, the UTF-8 check's ASCII skip,
// the per-thread caches of parsed Content-Types and decoded names (invisible: the same answers
// in any order), and the MIME pass reading the header split's findings (parse_message's body
// equals extract_body's, which finds everything itself).
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../../parsers/src/mime_decode.h"
#include "../../parsers/src/text_util.h"
#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/message_parser.h"

using namespace ilc::parsers;

namespace {

// decode_quoted_printable as it was: a byte loop with memchr runs.
std::string ref_qp(std::string_view in, bool* broken) {
    auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    bool bad = false;
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c != '=') {
            out += c;
            continue;
        }
        size_t j = i + 1;
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j < in.size() && (in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n'))) {
            i = in[j] == '\r' ? j + 1 : j;
            continue;
        }
        if (j == in.size()) {
            i = j;
            continue;
        }
        const int h = i + 1 < in.size() ? hex(in[i + 1]) : -1;
        const int l = i + 2 < in.size() ? hex(in[i + 2]) : -1;
        if (h >= 0 && l >= 0) {
            out += static_cast<char>(h * 16 + l);
            i += 2;
            continue;
        }
        bad = true;
        out += '=';
    }
    *broken = bad;
    return out;
}

// is_valid_utf8 as it was: one sequence at a time (RFC 3629, no overlongs or surrogates).
bool ref_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        const size_t left = s.size() - i;
        auto cont = [&](size_t k) { return k < left && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
        size_t len = 0;
        if (b0 < 0x80) len = 1;
        else if (b0 >= 0xC2 && b0 <= 0xDF) len = cont(1) ? 2 : 0;
        else if (b0 >= 0xE0 && b0 <= 0xEF) {
            const auto b1 = left >= 2 ? static_cast<unsigned char>(s[i + 1]) : 0;
            if (left >= 2 && !(b0 == 0xE0 && b1 < 0xA0) && !(b0 == 0xED && b1 > 0x9F)) len = (cont(1) && cont(2)) ? 3 : 0;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            const auto b1 = left >= 2 ? static_cast<unsigned char>(s[i + 1]) : 0;
            if (left >= 2 && !(b0 == 0xF0 && b1 < 0x90) && !(b0 == 0xF4 && b1 > 0x8F))
                len = (cont(1) && cont(2) && cont(3)) ? 4 : 0;
        }
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string random_bytes(std::mt19937& rng, size_t n, std::string_view common) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        const unsigned r = rng() % 10;
        s += r < 7 ? char('a' + rng() % 26) : r < 9 ? common[rng() % common.size()] : char(rng() % 256);
    }
    return s;
}


// What parse_message kept of the body is what extract_body finds on its own (its warnings end
// parse_message's: the header's come first).
void require_same_body(const std::string& raw) {
    const BodyText want = extract_body(raw);
    const ilc::Message m = parse_message(raw, {});
    REQUIRE(m.body_text == want.text);
    REQUIRE(m.body_from_html == want.from_html);
    REQUIRE(m.is_report == want.is_report);
    REQUIRE(m.attachment_count == want.attachment_count);
    REQUIRE(m.warnings.size() >= want.warnings.size());
    for (size_t w = 0; w < want.warnings.size(); ++w)
        REQUIRE(m.warnings[m.warnings.size() - want.warnings.size() + w].code == want.warnings[w].code);
}

}  // namespace

TEST_CASE("find_first_of stops where the byte loop stops", "[parsers][fastpath]") {
    std::mt19937 rng(8);
    for (int it = 0; it < 100000; ++it) {
        const std::string s = random_bytes(rng, rng() % 70, "<> \t\r\n\"\\=");
        const size_t from = rng() % (s.size() + 1);
        size_t want = from;
        while (want < s.size() && s[want] != '<' && s[want] != '>' && s[want] != '\t') ++want;
        REQUIRE(text::find_first_of<'<', '>', '\t'>(s, from) == want);
        want = from;
        while (want < s.size() && s[want] != '=') ++want;
        REQUIRE(text::find_first_of<'='>(s, from) == want);
    }
    CHECK(text::find_first_of<'\0'>(std::string_view("abc\0def", 7), 0) == 3);
    CHECK(text::find_first_of<'x'>(std::string_view(), 0) == 0);
}

TEST_CASE("decode_quoted_printable gives the byte loop's bytes and verdict", "[parsers][fastpath]") {
    std::mt19937 rng(9);
    for (int it = 0; it < 50000; ++it) {
        const std::string in = random_bytes(rng, rng() % 120, "====  \t\r\n0A9fFg");
        bool broken = false, ref_broken = false;
        REQUIRE(decode_quoted_printable(in, &broken) == ref_qp(in, &ref_broken));
        REQUIRE(broken == ref_broken);
    }
    bool broken = true;
    CHECK(decode_quoted_printable("caf=C3=A9 =\r\nau lait=20=  \nfin=", &broken) == "café au lait fin");
    CHECK_FALSE(broken);
    CHECK(decode_quoted_printable("a=zz=4", &broken) == "a=zz=4");
    CHECK(broken);
}

TEST_CASE("is_valid_utf8 agrees with a sequence-by-sequence check", "[parsers][fastpath]") {
    std::mt19937 rng(10);
    static const std::string kPieces[] = {"é", "€", "😀", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                          "\xC0\xAF", "abcdefghijklmnopq", "\x80", "\xF0\x9F\x98"};
    for (int it = 0; it < 50000; ++it) {
        std::string s;
        const size_t pieces = rng() % 12;
        for (size_t k = 0; k < pieces; ++k) {
            s.append(rng() % 40, 'x');
            if (rng() % 3 == 0) s += kPieces[rng() % std::size(kPieces)];
            else if (rng() % 2) s += "é";
        }
        REQUIRE(is_valid_utf8(s) == ref_utf8(s));
    }
}

TEST_CASE("parse_content_type answers the same from its cache", "[parsers][fastpath]") {
    std::vector<std::string> values;
    for (int k = 0; k < 20; ++k)
        values.push_back("multipart/mixed; boundary=\"b" + std::to_string(k) + "\"; charset=iso-8859-" + std::to_string(k % 3 + 1));
    values.push_back("text/plain; charset=\"UTF-8\"");
    values.push_back("text/plain; name*=utf-8''caf%C3%A9.txt");
    values.push_back("");
    std::vector<ContentType> first;
    for (const std::string& v : values) first.push_back(parse_content_type(v));
    std::mt19937 rng(11);
    for (int it = 0; it < 2000; ++it) {
        const size_t k = rng() % values.size();
        const ContentType ct = parse_content_type(values[k]);
        REQUIRE(ct.type == first[k].type);
        REQUIRE(ct.subtype == first[k].subtype);
        REQUIRE(ct.params.size() == first[k].params.size());
        for (size_t p = 0; p < ct.params.size(); ++p) {
            REQUIRE(ct.params[p].name == first[k].params[p].name);
            REQUIRE(ct.params[p].value == first[k].params[p].value);
        }
    }
    CHECK(first[20].param("charset") == "UTF-8");
    CHECK(first[21].param("name") == "café.txt");
}

TEST_CASE("parse_address_list decodes names the same from its cache", "[parsers][fastpath]") {
    // More encoded names than the cache holds, in random order, each checked against its first
    // decoding; and a known one.
    std::vector<std::string> lists;
    for (int k = 0; k < 1500; ++k)
        lists.push_back("=?UTF-8?Q?Ren=C3=A9e_" + std::to_string(k) + "?= <r" + std::to_string(k) + "@example.org>, \"=?iso-8859-1?Q?J=F6rg?=\" <j@x.de>");
    std::vector<std::vector<ilc::Mailbox>> first;
    for (const std::string& l : lists) first.push_back(parse_address_list(l));
    std::mt19937 rng(12);
    for (int it = 0; it < 5000; ++it) {
        const size_t k = rng() % lists.size();
        const auto got = parse_address_list(lists[k]);
        REQUIRE(got.size() == first[k].size());
        for (size_t m = 0; m < got.size(); ++m) {
            REQUIRE(got[m].name == first[k][m].name);
            REQUIRE(got[m].address == first[k][m].address);
        }
    }
    REQUIRE(first[7].size() == 2);
    CHECK(first[7][0].name == "Renée 7");
    CHECK(first[7][0].address == "r7@example.org");
    CHECK(first[7][1].name == "Jörg");
}

TEST_CASE("parse_msg_ids: the one-scan id and the general case", "[parsers][fastpath]") {
    CHECK(parse_msg_ids("<a@b> <c@d>") == std::vector<std::string>{"a@b", "c@d"});
    CHECK(parse_msg_ids("<a @ b>") == std::vector<std::string>{"a@b"});
    CHECK(parse_msg_ids("<a@b <c@d>") == std::vector<std::string>{"a@b", "c@d"});
    CHECK(parse_msg_ids("<> <x@y>") == std::vector<std::string>{"x@y"});
    CHECK(parse_msg_ids("<a@b") == std::vector<std::string>{"a@b"});
    CHECK(parse_msg_ids("<a@b\tc>") == std::vector<std::string>{"a@bc"});
    CHECK(parse_msg_ids("Joe's message a@b.") == std::vector<std::string>{"a@b"});
}

TEST_CASE("parse_message's body is extract_body's (the MIME pass reads the split's line ends)", "[parsers][fastpath]") {
    // Mutations of one multipart message around its header's end and line breaks: CR and LF
    // inserted, replaced or doubled, a BOM, a NUL; the indexed MIME pass must find what the
    // unindexed one finds.
    const std::string base =
        "From: a@b\nTo: c@d\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"XX\"\n\n"
        "pre\n--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n"
        "--XX\nContent-Type: text/html\n\n<p>h</p>\n--XX--\n";
    std::mt19937 rng(13);
    static constexpr std::string_view kInserts[] = {"\r", "\n", "\r\n", "\n\r", "\r\r\n", "\xEF\xBB\xBF", std::string_view("\0", 1), " "};
    for (int it = 0; it < 5000; ++it) {
        std::string raw = base;
        const int edits = int(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const size_t at = rng() % (rng() % 2 ? 120 : raw.size() + 1);
            const std::string_view ins = kInserts[rng() % std::size(kInserts)];
            if (rng() % 3 == 0 && at < raw.size()) raw.erase(at, 1);
            raw.insert(std::min(at, raw.size()), ins);
        }
        if (rng() % 4 == 0) for (size_t p = 0; (p = raw.find('\n', p)) != std::string::npos; p += 2) raw.insert(p, "\r");
        require_same_body(raw);
    }
}

TEST_CASE("parse_message's body is extract_body's on mutated headers", "[parsers][fastpath]") {
    // The header split's reading of the message's header (its Content-* fields and end, taken
    // by FastMime) against FastMime's own, on headers with what either gives up on: blanks
    // before a colon, "From " and ">From " lines, folded Content-* values, line breaks of every
    // kind, NUL, a BOM, a header without a body.
    static const std::string kLines[] = {
        "From: a@b", "To: c@d,\n e@f", "Subject: s", "Content-Type: text/plain;\n charset=utf-8",
        "Content-Type : text/html", "content-transfer-encoding: quoted-printable", "Content-Transfer-Encoding:\n\tbase64",
        "Content-Disposition: attachment; filename=x", "From a@b Mon Jan  1 00:00:00 2024", ">From x", " folded",
        "X-Long: a\n b\n c", "Content-Type: multipart/mixed; boundary=\"B\"", "Bad line", "Content-Typ: x",
        "Content-Language: fr", ":no name", "X:"};
    static constexpr std::string_view kBreaks[] = {"\n", "\n", "\n", "\r\n", "\r\n", "\r", "\n\r", "\r\r\n"};
    static const std::string kBodies[] = {"caf=C3=A9 =\nok\n", "Y2Fmw6k=\n", "--B\nContent-Type: text/plain\n\npart\n--B--\n", "", "x"};
    std::mt19937 rng(14);
    for (int it = 0; it < 20000; ++it) {
        std::string raw;
        if (rng() % 20 == 0) raw += "\xEF\xBB\xBF";
        const size_t lines = rng() % 8;
        const std::string_view brk = kBreaks[rng() % 3 == 0 ? rng() % std::size(kBreaks) : 0];
        for (size_t k = 0; k < lines; ++k) {
            std::string l = kLines[rng() % std::size(kLines)];
            if (brk != "\n")
                for (size_t p = 0; (p = l.find('\n', p)) != std::string::npos; p += brk.size()) l.replace(p, 1, brk);
            raw += l;
            raw += rng() % 30 == 0 ? kBreaks[rng() % std::size(kBreaks)] : brk;
        }
        if (rng() % 10 != 0) raw += rng() % 5 == 0 ? kBreaks[rng() % std::size(kBreaks)] : brk;  // the empty line
        raw += kBodies[rng() % std::size(kBodies)];
        if (rng() % 15 == 0 && !raw.empty()) raw[rng() % raw.size()] = '\0';
        INFO(raw);
        require_same_body(raw);
    }
}
