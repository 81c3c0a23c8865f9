// RFC 2047 encoded-words and charset conversion (to_utf8, header_text_to_utf8). Cases come from
// GMime's broken_rfc2047 idea and from real subjects in /work/shared/corpora/torture (file cited).
#include <catch2/catch.hpp>

#include <string>

#include "interlocutor/parsers/headers.h"

using namespace ilc::parsers;

namespace {
struct Case {
    const char* input;
    const char* expected;
};
}  // namespace

TEST_CASE("decode_rfc2047: real subjects from the torture corpus", "[parsers.headers.rfc2047]") {
    const Case cases[] = {
        // hyperkitty/hyperkitty/tests/testdata/non-ascii-headers.txt
        {"[Fedora-fr-list] =?iso-8859-1?q?Compte-rendu_de_la_r=E9union_du_?=",
         "[Fedora-fr-list] Compte-rendu de la r\xC3\xA9union du "},
        // thunderbird-mailnews/mail/components/extensions/test/xpcshell/messages/sample01.eml
        {"=?UTF-8?B?zrHOu8+GzqzOss63z4TOvw==?=", "\xCE\xB1\xCE\xBB\xCF\x86\xCE\xAC\xCE\xB2\xCE\xB7\xCF\x84\xCE\xBF"},
        // mimekit/UnitTests/TestData/messages/japanese.txt (folded, "Ja" + "panese" split across words)
        {"=?ISO-2022-JP?B?GyRCRnxLXDhsJWEhPCVrJUYlOSVIGyhCICh0ZXN0aW5nIEph?= =?ISO-2022-JP?B?cGFuZXNlIGVtYWlscyk=?=",
         "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88"
         " (testing Japanese emails)"},
        // ruby-mail/spec/fixtures/emails/plain_emails/raw_email_string_in_date_field.eml
        {"=?EUC-KR?Q?NOTE:_=C7=D1=B1=B9=B8=BB=B7=CE_=C7=CF=B4=C2_=B0=CD?=",
         "NOTE: \xED\x95\x9C\xEA\xB5\xAD\xEB\xA7\x90\xEB\xA1\x9C \xED\x95\x98\xEB\x8A\x94 \xEA\xB2\x83"},
        // A GB2312 subject of the php-mime-mail-parser corpus.
        {"=?GB2312?B?tPq/qrj3tdjU9ta1y7C3osax?=",
         "\xE4\xBB\xA3\xE5\xBC\x80\xE5\x90\x84\xE5\x9C\xB0\xE5\xA2\x9E\xE5\x80\xBC\xE7\xA8\x8E\xE5\x8F\x91\xE7\xA5\xA8"},
        {"=?koi8-r?B?4czGwdfJ1Ao=?=", "\xD0\x90\xD0\xBB\xD1\x84\xD0\xB0\xD0\xB2\xD0\xB8\xD1\x82\n"},
        {"=?windows-1250?Q?Automatyczna_odpowied=9F:_Piotrze?=", "Automatyczna odpowied\xC5\xBA: Piotrze"},
        // ruby-mail/spec/fixtures/emails/error_emails/bad_encoded_subject.eml: unknown charset, guessed.
        {"=?NONE?B?VEVTVA=?=", "TEST"},
        // ruby-mail/spec/fixtures/emails/plain_emails/raw_email_with_partially_quoted_subject.eml
        {"Re: Test: =?UTF-8?B?Iua8ouWtlyI=?= mid =?UTF-8?B?Iua8ouWtlyI=?= tail",
         "Re: Test: \"\xE6\xBC\xA2\xE5\xAD\x97\" mid \"\xE6\xBC\xA2\xE5\xAD\x97\" tail"},
        // mime4j/.../mimetools-testmsgs/infinite_decoded_1.txt: empty charset, 8-bit text guessed.
        {"[cacomp-l] =?\?Q?Re=3A_=5Bcacomp-l=5D_E_n=3A_Bras=EDlia_cobre?=", "[cacomp-l] Re: [cacomp-l] E n: Bras\xC3\xADlia cobre"},
        // enron: ANSI_X3.4-1968 is ASCII.
        {"=?ANSI_X3.4-1968?Q?Enron_Business_EXTREME_ENRON_?=", "Enron Business EXTREME ENRON "},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        CHECK(decode_rfc2047(c.input) == c.expected);
    }
}

TEST_CASE("decode_rfc2047: adjacency, split characters, broken words", "[parsers.headers.rfc2047]") {
    const Case cases[] = {
        {"plain text", "plain text"},
        {"", ""},
        // RFC 2047 section 6.2: whitespace between adjacent encoded-words is dropped.
        {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
        {"=?utf-8?q?a?=\t \t=?utf-8?q?b?=", "ab"},
        {"=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"},
        {"x =?utf-8?q?a?=", "x a"},
        // A UTF-8 character split across words (Q and B, padded and unpadded base64).
        {"=?utf-8?q?=C3?= =?utf-8?q?=A9t=C3=A9?=", "\xC3\xA9t\xC3\xA9"},
        {"=?utf-8?b?ww==?= =?utf-8?b?qQ==?=", "\xC3\xA9"},
        {"=?utf-8?b?w6l?= =?utf-8?b?0w6k=?=", "\xC3\xA9t\xC3\xA9"},
        {"=?UTF-8?b?w6l?= =?utf-8?Q?t=C3=A9?=", "\xC3\xA9t\xC3\xA9"},
        // Different charsets next to each other.
        {"=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "\xC3\xA9\xC3\xA9"},
        // RFC 2231 section 5: a language after '*'.
        {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},
        // Glued to text and spaces inside Q text: decoded as real clients do.
        {"foo=?utf-8?q?bar?=baz", "foobarbaz"},
        {"=?iso-8859-1?q?caf=E9 au lait?=", "caf\xC3\xA9 au lait"},
        {"\"=?utf-8?q?J=C3=B6rg?=\"", "\"J\xC3\xB6rg\""},
        // Malformed words stay as written.
        {"=?utf-8?q?abc", "=?utf-8?q?abc"},
        {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
        {"=?utf-8?q?broken =?utf-8?q?ok?=", "=?utf-8?q?broken ok"},
        {"=?", "=?"},
        {"?=", "?="},
        {"=?utf-8?q?\?=", ""},
        // Invalid bytes in the declared charset become U+FFFD.
        {"=?utf-8?q?a=FFb?=", "a\xEF\xBF\xBD" "b"},
        // A stray '=' in Q text is kept.
        {"=?utf-8?q?a=zb?=", "a=zb"},
        // Raw 8-bit outside words: UTF-8 if valid, else windows-1252.
        {"caf\xE9 =?utf-8?q?ok?=", "caf\xC3\xA9 ok"},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"\x93quoted\x94", "\xE2\x80\x9Cquoted\xE2\x80\x9D"},
        // UTF-7 (Outlook Express wrote "unicode-1-1-utf-7").
        {"=?unicode-1-1-utf-7?q?+AOk-t+AOk-?=", "\xC3\xA9t\xC3\xA9"},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        CHECK(decode_rfc2047(c.input) == c.expected);
    }
}

TEST_CASE("decode_rfc2047: linear on hostile input", "[parsers.headers.rfc2047]") {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "=?utf-8?q?x";
    const std::string out = decode_rfc2047(s);
    CHECK(out == s);
    s.clear();
    for (int i = 0; i < 50000; ++i) s += "=?utf-8?q?x?= ";
    CHECK(decode_rfc2047(s) == std::string(50000, 'x') + " ");
}

TEST_CASE("to_utf8: charset aliases", "[parsers.headers.charset]") {
    struct C {
        const char* bytes;
        const char* charset;
        const char* expected;
        bool ok;
    };
    const C cases[] = {
        {"plain", "us-ascii", "plain", true},
        {"plain", "ansi_x3.4-1968", "plain", true},
        {"\xC3\xA9", "UTF-8", "\xC3\xA9", true},
        {"\xC3\xA9", "utf8", "\xC3\xA9", true},
        {"\xE9", "latin1", "\xC3\xA9", true},
        {"\x80", "iso-8859-1", "\xE2\x82\xAC", true},  // WHATWG: latin1 labels decode as cp1252
        {"\x80", "cp1252", "\xE2\x82\xAC", true},
        {"\x80", "windows-1252", "\xE2\x82\xAC", true},
        {"\xA4", "iso-8859-15", "\xE2\x82\xAC", true},
        {"\xB1", "iso-8859-2", "\xC4\x85", true},
        {"\xC0", "windows-1251", "\xD0\x90", true},
        {"\xC1", "koi8-r", "\xD0\xB0", true},
        {"\xD6\xD0", "gb2312", "\xE4\xB8\xAD", true},
        {"\xD6\xD0", "gbk", "\xE4\xB8\xAD", true},
        {"\xD6\xD0", "GB18030", "\xE4\xB8\xAD", true},
        {"\xA4\xA4", "big5", "\xE4\xB8\xAD", true},
        {"\x82\xA0", "shift_jis", "\xE3\x81\x82", true},
        {"\xA4\xA2", "euc-jp", "\xE3\x81\x82", true},
        {"\x1B$B$\"\x1B(B", "iso-2022-jp", "\xE3\x81\x82", true},
        {"\xC7\xD1", "ks_c_5601-1987", "\xED\x95\x9C", true},
        {"+AOk-", "utf-7", "\xC3\xA9", true},
        {"+AOk-", "unicode-1-1-utf-7", "\xC3\xA9", true},
        {"\"quoted\"", "\"utf-8\"", "\"quoted\"", true},
        // Unknown charsets: UTF-8 if valid, else windows-1252, and ok=false.
        {"\xC3\xA9", "x-unknown", "\xC3\xA9", false},
        {"\xE9", "x-unknown", "\xC3\xA9", false},
        {"\xE9", "no-such-charset", "\xC3\xA9", false},
        {"\xE9", "", "\xC3\xA9", false},
        {"\xE9", "bad name with spaces", "\xC3\xA9", false},
        // Labelled us-ascii but 8-bit.
        {"\xE9", "us-ascii", "\xC3\xA9", false},
        // Invalid bytes become U+FFFD.
        {"a\xFF" "b", "utf-8", "a\xEF\xBF\xBD" "b", false},
        {"\xC3", "utf-8", "\xEF\xBF\xBD", false},
        {"\x82", "shift_jis", "\xEF\xBF\xBD", false},
    };
    for (const C& c : cases) {
        INFO(c.charset << " " << c.bytes);
        bool ok = !c.ok;
        CHECK(to_utf8(c.bytes, c.charset, &ok) == c.expected);
        CHECK(ok == c.ok);
    }
    // NUL bytes are data, not terminators.
    CHECK(to_utf8(std::string("a\0b", 3), "iso-8859-2") == std::string("a\0b", 3));
}

TEST_CASE("is_valid_utf8 and header_text_to_utf8", "[parsers.headers.charset]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("ascii only, longer than eight bytes"));
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
    CHECK_FALSE(is_valid_utf8("abcdefgh\xE9"));
    CHECK(header_text_to_utf8("\xE9t\xE9") == "\xC3\xA9t\xC3\xA9");
    CHECK(header_text_to_utf8("\xC1", "koi8-r") == "\xD0\xB0");
    CHECK(header_text_to_utf8("\xC3\xA9", "koi8-r") == "\xC3\xA9");
}
