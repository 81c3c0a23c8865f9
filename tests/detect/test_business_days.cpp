#include <catch2/catch.hpp>

#include "detect_test_util.h"
#include "interlocutor/detect/business_days.h"

using namespace ilc::detect;
using ilc::detect::test::at;

TEST_CASE("civil dates round-trip", "[detect.business_days]") {
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(iso_date(days_from_civil(2026, 11, 12)) == "2026-11-12");
    CHECK(iso_date(days_from_civil(1969, 12, 31)) == "1969-12-31");
    CHECK(parse_iso_date("2024-02-29") == days_from_civil(2024, 2, 29));
    CHECK(parse_iso_date("garbage") == -1);
    CHECK(parse_iso_date("2024-13-01") == -1);
}

TEST_CASE("business days: strictly after the first date, up to the second, minus holidays", "[detect.business_days]") {
    BusinessCalendar cal("Europe/Paris", {days_from_civil(2026, 11, 11)});
    REQUIRE(cal.valid());
    // Monday 9 Nov -> Thursday 12 Nov: Tue 10, (Wed 11 holiday), Thu 12 = 2.
    CHECK(cal.business_days(at("2026-11-09 09:00"), at("2026-11-12 10:00")) == 2);
    // Same day: 0. Reversed: 0.
    CHECK(cal.business_days(at("2026-11-12 08:00"), at("2026-11-12 18:00")) == 0);
    CHECK(cal.business_days(at("2026-11-12 08:00"), at("2026-11-09 18:00")) == 0);
    // Friday -> Monday: 1 (the weekend does not count).
    CHECK(cal.business_days(at("2026-11-06 17:00"), at("2026-11-09 09:00")) == 1);
    // Two full weeks with one holiday.
    CHECK(cal.business_days(at("2026-11-02 12:00"), at("2026-11-16 12:00")) == 9);
}

TEST_CASE("business days use the owner's zone, not UTC or the sender's", "[detect.business_days]") {
    BusinessCalendar cal("Europe/Paris");
    // Monday 20:30 in New York = Tuesday 02:30 in Paris: Tuesday -> Thursday is 2, not 3.
    int64_t ny_monday_evening = days_from_civil(2026, 11, 10) * 86400 + 1 * 3600 + 30 * 60;  // 01:30 UTC Tuesday
    CHECK(cal.local_day(ny_monday_evening) == days_from_civil(2026, 11, 10));
    CHECK(cal.business_days(ny_monday_evening, at("2026-11-12 10:00")) == 2);
    // 23:30 UTC on Sunday is already Monday in Paris in winter.
    int64_t sunday_late_utc = days_from_civil(2026, 11, 8) * 86400 + 23 * 3600 + 30 * 60;
    CHECK(cal.local_day(sunday_late_utc) == days_from_civil(2026, 11, 9));
}

TEST_CASE("business days across the DST changes in Europe/Paris", "[detect.business_days]") {
    BusinessCalendar cal("Europe/Paris");
    // Fall back on Sunday 25 Oct 2026 03:00 CEST -> 02:00 CET.
    CHECK(cal.offset_seconds(at("2026-10-23 12:00", 2)) == 7200);
    CHECK(cal.offset_seconds(at("2026-10-27 12:00", 1)) == 3600);
    // Friday 23 Oct 23:30 CEST (21:30 UTC) -> Monday 26 Oct 00:30 CET (25 Oct 23:30 UTC): one business day.
    CHECK(cal.business_days(at("2026-10-23 23:30", 2), at("2026-10-26 00:30", 1)) == 1);
    CHECK(cal.iso_local(at("2026-10-16 16:50", 2)) == "2026-10-16T16:50:00+02:00");
    CHECK(cal.iso_local(at("2026-11-10 15:39", 1)) == "2026-11-10T15:39:00+01:00");
    // Spring forward on Sunday 29 Mar 2026.
    CHECK(cal.offset_seconds(at("2026-03-30 12:00", 2)) == 7200);
    CHECK(cal.business_days(at("2026-03-27 23:30", 1), at("2026-03-30 00:30", 2)) == 1);
}

TEST_CASE("add_business_days skips weekends and holidays", "[detect.business_days]") {
    BusinessCalendar cal("Europe/Paris", {days_from_civil(2026, 11, 11)});
    CHECK(iso_date(cal.add_business_days(at("2026-11-10 10:00"), 1)) == "2026-11-12");
    CHECK(iso_date(cal.add_business_days(at("2026-11-13 10:00"), 1)) == "2026-11-16");
    CHECK(iso_date(cal.add_business_days(at("2026-11-13 10:00"), 0)) == "2026-11-13");
}

TEST_CASE("unknown zone names are reported", "[detect.business_days]") {
    BusinessCalendar cal("Mars/Olympus_Mons");
    CHECK_FALSE(cal.valid());
    CHECK(cal.offset_seconds(0) == 0);
}

TEST_CASE("business day counting agrees with a day-by-day walk", "[detect.business_days]") {
    std::set<int64_t> hol = {days_from_civil(1969, 12, 25), days_from_civil(2000, 1, 3), days_from_civil(2000, 1, 8)};
    BusinessCalendar cal("UTC", hol);
    for (int64_t a = -40; a < 11000; a += 37) {
        for (int64_t len : {0, 1, 2, 5, 6, 7, 13, 60}) {
            int64_t b = a + len;
            int expect = 0;
            for (int64_t d = a + 1; d <= b; ++d) expect += cal.is_business_day(d);
            INFO(a << " " << b);
            REQUIRE(cal.business_days(a * 86400 + 3600, b * 86400 + 7200) == expect);
        }
    }
    CHECK_FALSE(cal.is_business_day(days_from_civil(2000, 1, 3)));  // a Monday holiday
    CHECK(cal.is_business_day(days_from_civil(2000, 1, 4)));
    CHECK_FALSE(cal.is_business_day(days_from_civil(2000, 1, 8)));  // a Saturday
}
