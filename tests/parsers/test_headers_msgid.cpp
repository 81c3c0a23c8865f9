// parse_msg_ids: Message-ID, In-Reply-To and References values to bare ids (RFC 5322 3.6.4).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "interlocutor/parsers/headers.h"

using ilc::parsers::parse_msg_ids;
using Ids = std::vector<std::string>;

TEST_CASE("parse_msg_ids: table", "[parsers.headers.msgid]") {
    struct Case {
        const char* input;
        Ids expected;
    };
    const Case cases[] = {
        {"<a@b>", {"a@b"}},
        {"<a@b> <c@d>", {"a@b", "c@d"}},
        {"<a@b>\t<c@d>", {"a@b", "c@d"}},
        {"<a@b><c@d>", {"a@b", "c@d"}},
        {"<a@b>,<c@d>", {"a@b", "c@d"}},
        {"  <a@b>  ", {"a@b"}},
        {"< a@b >", {"a@b"}},
        {"<a@ b>", {"a@b"}},                      // folded inside the brackets
        {"<a@b> (comment <x@y>)", {"a@b"}},       // comments are not ids
        {"<a@b> <a@b>", {"a@b", "a@b"}},          // duplicates kept in order; the caller dedups
        {"a@b", {"a@b"}},                         // missing brackets
        {"a@b c@d", {"a@b", "c@d"}},
        {"<id-without-at>", {"id-without-at"}},
        // hyperkitty/hyperkitty/tests/testdata/strange-in-reply-to-header.txt
        {"Other person's message of  Saturday, 7 April 2007 00:53:46 +0300 "
         "<200704070053.46646.other.person@example.com>",
         {"200704070053.46646.other.person@example.com"}},
        // hyperkitty/hyperkitty/tests/testdata/wrong-in-reply-to-header.txt (no closing bracket)
        {"<200704070053.46646.other.person@example", {"200704070053.46646.other.person@example"}},
        {"<a@b> \"Joe's message of Monday\"", {"a@b"}},
        {"Your message of Mon, 20 Jul 2026 from joe@x.com <id@x.com>", {"id@x.com"}},
        {"<truncated@x <next@y>", {"truncated@x", "next@y"}},
        {"", {}},
        {"<>", {}},
        {"garbage without ids", {}},
        {"((((((", {}},
        {"\"unterminated", {}},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        CHECK(parse_msg_ids(c.input) == c.expected);
    }
}

TEST_CASE("parse_msg_ids: long References stay linear", "[parsers.headers.msgid]") {
    std::string refs;
    for (int i = 0; i < 50000; ++i) refs += "<id" + std::to_string(i) + "@example.com>\r\n ";
    const auto ids = parse_msg_ids(refs);
    REQUIRE(ids.size() == 50000);
    CHECK(ids.front() == "id0@example.com");
    CHECK(ids.back() == "id49999@example.com");
    std::string lt(300000, '<');
    CHECK(parse_msg_ids(lt).empty());
}
