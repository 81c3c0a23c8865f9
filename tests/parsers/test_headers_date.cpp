// parse_date / parse_received_date / parse_mbox_from_date: RFC 5322 3.3, obsolete 4.3 and the
// broken forms found in /work/shared/corpora. Expected epochs were computed independently
// (Python calendar.timegm) from the wall-clock time minus the zone offset.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "interlocutor/parsers/headers.h"

using ilc::parsers::parse_date;
using ilc::parsers::parse_mbox_from_date;
using ilc::parsers::parse_received_date;

namespace {
constexpr int64_t k20260720_142421 = 1784557461;  // 2026-07-20 14:24:21 UTC

struct DateCase {
    const char* input;
    int64_t utc;
    int tz;
};
}  // namespace

TEST_CASE("parse_date: valid and obsolete forms", "[parsers.headers.date]") {
    const DateCase cases[] = {
        {"Mon, 20 Jul 2026 14:24:21 +0000", k20260720_142421, 0},
        {"Mon, 20 Jul 2026 16:24:21 +0200", k20260720_142421, 120},
        {"Mon, 20 Jul 2026 10:24:21 -0400", k20260720_142421, -240},
        {"20 Jul 2026 14:24:21 +0000", k20260720_142421, 0},                     // no weekday
        {"Mon, 20 Jul 2026 14:24 +0000", k20260720_142421 - 21, 0},              // no seconds
        {"Mon, 20 Jul 2026 14:24:21 +0000 (UTC)", k20260720_142421, 0},          // trailing comment
        {"Mon, 20 Jul 2026 16:24:21 +0200 (CEST)", k20260720_142421, 120},
        {"Mon (day), 20 (the twentieth) Jul 2026 14:24:21 GMT", k20260720_142421, 0},  // CFWS anywhere
        {"Mon, 20 Jul 2026 14:24:21 UT", k20260720_142421, 0},
        {"Mon, 20 Jul 2026 07:24:21 PDT", k20260720_142421, -420},
        {"Mon, 20 Jul 2026 06:24:21 PST", k20260720_142421, -480},
        {"Mon, 20 Jul 2026 10:24:21 EDT", k20260720_142421, -240},
        {"Mon, 20 Jul 2026 09:24:21 EST", k20260720_142421, -300},
        {"Mon, 20 Jul 2026 09:24:21 CDT", k20260720_142421, -300},
        {"Mon, 20 Jul 2026 08:24:21 MDT", k20260720_142421, -360},
        // RFC 5322 4.3: military zones are read as -0000 (RFC 822 had their signs wrong).
        {"Mon, 20 Jul 2026 14:24:21 A", k20260720_142421, 0},
        {"Mon, 20 Jul 2026 14:24:21 z", k20260720_142421, 0},
        {"Mon Jul 20 14:24:21 2026", k20260720_142421, 0},                       // asctime
        {"20 Jul 2026 14:24", k20260720_142421 - 21, 0},
        {"2026-07-20T14:24:21Z", k20260720_142421, 0},                           // ISO 8601
        {"2026-07-20T16:24:21+02:00", k20260720_142421, 120},
        {"2026-07-20 14:24:21", k20260720_142421, 0},
        {"20-Jul-2026 14:24:21 +0000", k20260720_142421, 0},
        {"lun., 20 juil. 2026 14:24:21 +0000", k20260720_142421, 0},             // French client
        {"Mon, 20 Jul 2026 14:24:21.882 +0000", k20260720_142421, 0},            // fractional seconds
        {"Mon, 20 Jul 2026 14:24:21 +0000 sent 10:00:00", k20260720_142421, 0},  // a second time ignored
        {"Mon, 20 Jul 2026 14:24:21 +0000\r\n", k20260720_142421, 0},
        {"  Mon,\t20 Jul 2026 14:24:21 +0000  ", k20260720_142421, 0},
        {"Tue, 29 Feb 2000 00:00:00 +0000", 951782400, 0},                       // leap day
        {"Thu, 1 Jan 1970 00:00:00 +0000", 0, 0},
        {"Wed, 31 Dec 1969 23:59:59 +0000", -1, 0},
        // Two-digit years (RFC 5322 4.3): 00-49 are 20xx, 50-99 19xx.
        {"Thu, 13 Feb 03 09:01:52 +0000", 1045126912, 0},
        {"Sun, 1 Jan 50 00:00:00 +0000", -631152000, 0},
        // torture/talon-reply-fixtures/tests/fixtures/signature/emails/P/102682_R_S
        {"7 Apr 94 17:35:09 GMT", 765740109, 0},
        // torture/thunderbird-mailnews/mailnews/test/data/mime-torture
        {"Fri May 24 10:35:57 EDT 1991", 675081357 + 4 * 3600, -240},
        // torture/quagga-enron-asf-zones/Datasets/ASF/test/train_3910
        {"2017/6/27 08:55:42", 1498553742, 0},
        // Enron (Outlook US export): "03/23/2001 2:40 PM"
        {"03/23/2001 2:40 PM", 985358400, 0},
        {"Tuesday, May 29, 2001 7:58 AM", 991123080, 0},
        // enron-mbox: the common Enron form
        {"Mon, 14 May 2001 16:39:00 -0700 (PDT)", 989858340 + 7 * 3600, -420},
    };
    for (const DateCase& c : cases) {
        INFO(c.input);
        const auto d = parse_date(c.input);
        REQUIRE(d.has_value());
        CHECK(d->utc == c.utc);
        CHECK(d->tz_offset_min == c.tz);
    }
}

TEST_CASE("parse_date: invalid dates give nullopt", "[parsers.headers.date]") {
    const char* bad[] = {
        "",
        "garbage",
        "Every Thursday",                      // torture corpus: a calendar note, not a date
        "Tuesday, November 21",                // no year
        "Mon, 32 Jul 2026 14:24:21 +0000",     // day out of range
        "Mon, 31 Jun 2026 14:24:21 +0000",     // June has 30 days
        "Mon, 29 Feb 2026 14:24:21 +0000",     // not a leap year
        "Mon, 20 Foo 2026 14:24:21 +0000",     // no month
        "Mon, 20 Jul 2026 25:24:21 +0000",     // hour
        "Wed, 15 Dec 2010    59:10 -0500",     // torture corpus: hour lost
        "2026-13-01T00:00:00Z",
        "2026-02-30",
        "(((((((((((((((((((((",
        "1:2:3:4:5:6",
    };
    for (const char* b : bad) {
        INFO(b);
        CHECK_FALSE(parse_date(b).has_value());
    }
}

TEST_CASE("parse_received_date and parse_mbox_from_date", "[parsers.headers.date]") {
    auto r = parse_received_date(
        "from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.org with ESMTPS id 12345; "
        "Mon, 20 Jul 2026 16:24:21 +0200 (CEST)");
    REQUIRE(r);
    CHECK(r->utc == k20260720_142421);
    CHECK(r->tz_offset_min == 120);
    CHECK_FALSE(parse_received_date("from a by b id c").has_value());

    auto m = parse_mbox_from_date("From sender@example.com Mon Jul 20 14:24:21 2026");
    REQUIRE(m);
    CHECK(m->utc == k20260720_142421);
    // A sender that starts like a month name must not be taken for the date.
    m = parse_mbox_from_date("From jan@example.com Mon Jul 20 14:24:21 2026");
    REQUIRE(m);
    CHECK(m->utc == k20260720_142421);
    m = parse_mbox_from_date("From MAILER-DAEMON Mon Jul 20 14:24:21 2026 +0000");
    REQUIRE(m);
    CHECK(m->utc == k20260720_142421);
    CHECK_FALSE(parse_mbox_from_date("From nobody").has_value());
}

TEST_CASE("parse_date: long and hostile input stays bounded", "[parsers.headers.date]") {
    std::string s(1 << 20, '1');
    CHECK_FALSE(parse_date(s).has_value());
    s.assign(1 << 20, '(');
    CHECK_FALSE(parse_date(s).has_value());
    s = "Mon, 20 Jul 2026 14:24:21 +0000" + std::string(100000, ' ');
    CHECK(parse_date(s).has_value());
}
