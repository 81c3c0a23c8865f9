// parse_content_type and decode_rfc2231_params (RFC 2045 section 5, RFC 2231).
#include <catch2/catch.hpp>

#include <string>

#include "interlocutor/parsers/headers.h"

using namespace ilc::parsers;

TEST_CASE("parse_content_type: type, subtype, params", "[parsers.headers.content_type]") {
    struct Case {
        const char* input;
        const char* type;
        const char* subtype;
        const char* param;
        const char* value;
    };
    const Case cases[] = {
        {"text/plain; charset=us-ascii", "text", "plain", "charset", "us-ascii"},
        {"TEXT/HTML; CHARSET=\"UTF-8\"", "text", "html", "charset", "UTF-8"},
        {"multipart/mixed; boundary=\"----=_Part_0;x\"", "multipart", "mixed", "boundary", "----=_Part_0;x"},
        {"multipart/alternative;\r\n\tboundary=abc", "multipart", "alternative", "boundary", "abc"},
        {"text/plain (comment); charset=iso-8859-1", "text", "plain", "charset", "iso-8859-1"},
        {"text / plain ; charset = utf-8", "text", "plain", "charset", "utf-8"},
        {"application/octet-stream; name=\"a \\\"b\\\".txt\"", "application", "octet-stream", "name", "a \"b\".txt"},
        // Broken types fall back to text/plain; parameters still count.
        {"", "text", "plain", "charset", ""},
        {"text", "text", "plain", "charset", ""},
        {"garbage; charset=koi8-r", "text", "plain", "charset", "koi8-r"},
        {"/; charset=x", "text", "plain", "charset", "x"},
        {"text/; charset=x", "text", "plain", "charset", "x"},
        {"te xt/pl ain", "text", "plain", "charset", ""},
        // Missing values, duplicate ';', unterminated quotes.
        {"text/plain; format; charset=utf-8", "text", "plain", "charset", "utf-8"},
        {"text/plain;; ;charset=utf-8;", "text", "plain", "charset", "utf-8"},
        {"text/plain; charset=\"utf-8", "text", "plain", "charset", "utf-8"},
        {"text/plain; charset=", "text", "plain", "charset", ""},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        const ContentType ct = parse_content_type(c.input);
        CHECK(ct.type == c.type);
        CHECK(ct.subtype == c.subtype);
        CHECK(ct.param(c.param) == c.value);
    }
}

TEST_CASE("decode_rfc2231_params: continuations and charsets", "[parsers.headers.content_type]") {
    struct Case {
        const char* input;
        const char* name;
        const char* value;
    };
    const Case cases[] = {
        // RFC 2231 section 3: continuations.
        {"; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "url",
         "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"},
        // Out of order sections.
        {"; name*1=\"b.txt\"; name*0=\"a\"", "name", "ab.txt"},
        // Section 4: charset'language'percent-encoding.
        {"; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title", "This is ***fun***"},
        {"; filename*=UTF-8''%C3%A9t%C3%A9.pdf", "filename", "\xC3\xA9t\xC3\xA9.pdf"},
        {"; filename*=iso-8859-1'fr'caf%E9.txt", "filename", "caf\xC3\xA9.txt"},
        // Section 4.1: combined.
        {"; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
         "title", "This is even more ***fun*** isn't it!"},
        // A multibyte character split across sections is joined before conversion.
        {"; filename*0*=utf-8''%C3; filename*1*=%A9.txt", "filename", "\xC3\xA9.txt"},
        // The RFC 2231 form wins over the plain one that old readers get.
        {"; filename=\"fallback.pdf\"; filename*=utf-8''r%C3%A9el.pdf", "filename", "r\xC3\xA9" "el.pdf"},
        // RFC 2047 inside a quoted value (Outlook, Thunderbird), and raw 8-bit.
        {"; name=\"=?utf-8?B?w6l0w6kucGRm?=\"", "name", "\xC3\xA9t\xC3\xA9.pdf"},
        {"; name=\"caf\xE9.txt\"", "name", "caf\xC3\xA9.txt"},
        // Unknown charset in RFC 2231: guessed.
        {"; filename*=x-bogus''%E9", "filename", "\xC3\xA9"},
        // Missing charset quotes: bytes kept.
        {"; filename*=plain%20name", "filename", "plain name"},
        // Unquoted value with spaces (broken clients).
        {"; filename=my file.txt; size=3", "filename", "my file.txt"},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        std::string got;
        for (const MimeParam& p : decode_rfc2231_params(c.input))
            if (p.name == c.name) got = p.value;
        CHECK(got == c.value);
    }
}

TEST_CASE("decode_rfc2231_params: many parameters stay linear", "[parsers.headers.content_type]") {
    std::string s;
    for (int i = 0; i < 30000; ++i) s += "; p" + std::to_string(i) + "*" + std::to_string(i % 50) + "=v";
    const auto params = decode_rfc2231_params(s);
    CHECK(params.size() == 30000);
}
