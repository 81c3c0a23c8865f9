// parse_address_list: RFC 5322 section 3.4 and 4.4, plus what real mail carries (Enron's
// Exchange X.500 addresses, missing commas, bare names). Expected lists are written as
// "name|address" pairs joined with ";;" so a table row reads like the header it tests.
#include <catch2/catch.hpp>

#include <string>

#include "interlocutor/parsers/headers.h"

using ilc::parsers::parse_address_list;

namespace {
std::string render(std::string_view value) {
    std::string out;
    for (const ilc::Mailbox& m : parse_address_list(value)) {
        if (!out.empty()) out += ";;";
        out += m.name + "|" + m.address;
    }
    return out;
}

struct Case {
    const char* input;
    const char* expected;
};
}  // namespace

TEST_CASE("parse_address_list: RFC 5322 forms", "[parsers.headers.address]") {
    const Case cases[] = {
        {"a@example.com", "|a@example.com"},
        {"John.Doe@Example.COM", "|john.doe@example.com"},
        {"John Doe <John.Doe@Example.com>", "John Doe|john.doe@example.com"},
        {"\"Doe, John\" <jdoe@example.com>", "Doe, John|jdoe@example.com"},
        {"\"John \\\"JD\\\" Doe\" <jdoe@example.com>", "John \"JD\" Doe|jdoe@example.com"},
        {"a@x.com, b@y.com", "|a@x.com;;|b@y.com"},
        {"A <a@x.com>, \"B\" <b@y.com>,  c@z.com", "A|a@x.com;;B|b@y.com;;|c@z.com"},
        // Groups are flattened; their names are not mailboxes.
        {"undisclosed-recipients:;", ""},
        {"Team: a@x.com, B <b@y.com>;", "|a@x.com;;B|b@y.com"},
        {"Team: a@x.com;, c@z.com", "|a@x.com;;|c@z.com"},
        // Comments: ignored, or the name when there is no display name (RFC 822 style).
        {"a@x.com (John Doe)", "John Doe|a@x.com"},
        {"John (the man) <a@x.com>", "John|a@x.com"},
        {"<a@x.com> (Note)", "Note|a@x.com"},
        // RFC 5322 4.4 obsolete route.
        {"<@route1,@route2:a@x.com>", "|a@x.com"},
        {"Joe <@relay.example:joe@example.com>", "Joe|joe@example.com"},
        // Obsolete CFWS inside the addr-spec (folded).
        {"john.doe @ example.com", "|john.doe@example.com"},
        {"<john.doe@ example.com>", "|john.doe@example.com"},
        // RFC 2047 names, also inside quotes (as real clients write them).
        {"=?utf-8?q?J=C3=B6rg?= <j@x.de>", "J\xC3\xB6rg|j@x.de"},
        {"\"=?iso-8859-1?q?J=F6rg?=\" <j@x.de>", "J\xC3\xB6rg|j@x.de"},
        {"=?utf-8?q?M=C3=BCller=2C?= =?utf-8?q?_Hans?= <h@x.de>", "M\xC3\xBCller, Hans|h@x.de"},
        // Raw 8-bit names.
        {"J\xF6rg <j@x.de>", "J\xC3\xB6rg|j@x.de"},
        {"J\xC3\xB6rg <j@x.de>", "J\xC3\xB6rg|j@x.de"},
        // IDN domain kept as UTF-8, lower-cased.
        {"<info@B\xC3\x9C" "CHER.de>", "|info@b\xC3\xBC" "cher.de"},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        CHECK(render(c.input) == c.expected);
    }
}

TEST_CASE("parse_address_list: broken real-world forms", "[parsers.headers.address]") {
    const Case cases[] = {
        // Missing commas between addresses.
        {"<a@x.com> <b@y.com>", "|a@x.com;;|b@y.com"},
        {"A <a@x.com> B <b@y.com>", "A|a@x.com;;B|b@y.com"},
        {"<a@x.com> b@y.com", "|a@x.com;;|b@y.com"},
        {"a@x.com b@y.com", "|a@x.com;;|b@y.com"},
        // "Name a@b" without brackets.
        {"John Doe john@x.com", "John Doe|john@x.com"},
        // Semicolons as separators (Outlook copy-paste).
        {"a@x.com; b@y.com;c@z.com", "|a@x.com;;|b@y.com;;|c@z.com"},
        // enron-mbox/enron.allen-p.* To: Exchange X.500 addresses with "Last, First".
        {"Chilkina, Elena </O=ENRON/OU=NA/CN=RECIPIENTS/CN=Echilkin>, Love, Phillip M. "
         "</O=ENRON/OU=NA/CN=RECIPIENTS/CN=Plove>",
         "Chilkina, Elena|/o=enron/ou=na/cn=recipients/cn=echilkin;;"
         "Love, Phillip M.|/o=enron/ou=na/cn=recipients/cn=plove"},
        // enron-mbox X-To: Lotus Notes style address with a space inside the brackets.
        {"Joey Taylor <Joey Taylor/Enron@EnronXGate>", "Joey Taylor|joey taylor/enron@enronxgate"},
        // enron-mbox X-To: an address in single quotes.
        {"'dutch_quigley@yahoo.com'", "|dutch_quigley@yahoo.com"},
        {"'John Doe' <jd@x.com>", "John Doe|jd@x.com"},
        // enron-mbox To: names only (no address at all): the lower-cased text stands in.
        {"Quigley, Dutch", "Quigley|quigley;;Dutch|dutch"},
        {"John Doe", "John Doe|john doe"},
        {"<mailto:a@x.com>", "|a@x.com"},
        {"<<a@x.com>>", "|a@x.com"},
        // Unterminated pieces do not swallow the list.
        {"<a@x.com, b@y.com", "|a@x.com;;|b@y.com"},
        {"\"unterminated <a@x.com>", "unterminated <a@x.com>|unterminated <a@x.com>"},
        {"John (unterminated <a@x.com>", "John|john"},
        {"", ""},
        {",,,;;;", ""},
        {"<>", ""},
        {":", ""},
        {"@", "|@"},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        CHECK(render(c.input) == c.expected);
    }
}

TEST_CASE("parse_address_list: CRLF-folded and LF-folded values agree", "[parsers.headers.address]") {
    // split_header_block unfolds by removing the line break only; both variants must parse alike.
    for (const char* eol : {"\r\n", "\n"}) {
        const std::string raw = std::string("To: A <a@x.com>,") + eol + " B <b@y.com>" + eol + eol;
        const auto hb = ilc::parsers::split_header_block(raw);
        REQUIRE(hb.fields.size() == 1);
        CHECK(render(hb.fields[0].value) == "A|a@x.com;;B|b@y.com");
    }
}

TEST_CASE("parse_address_list: linear on long lists", "[parsers.headers.address]") {
    std::string s;
    for (int i = 0; i < 20000; ++i) s += "User " + std::to_string(i) + " <u" + std::to_string(i) + "@x.com>, ";
    CHECK(parse_address_list(s).size() == 20000);
    s.assign(200000, '<');
    CHECK(parse_address_list(s).empty());
    s.assign(200000, '"');
    (void)parse_address_list(s);
    s.clear();
    for (int i = 0; i < 50000; ++i) s += "w ";
    s += "a@x.com";
    for (int i = 0; i < 50000; ++i) s += " :";
    CHECK(parse_address_list(s).size() == 1);
}
