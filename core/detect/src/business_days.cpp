#include "interlocutor/civil_date.h"
#include "interlocutor/detect/business_days.h"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace ilc::detect {

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
int64_t days_from_civil(int y, unsigned m, unsigned d) { return ilc::days_from_civil(y, m, d); }

// One algorithm for every stage: interlocutor/civil_date.h holds it; this keeps the int year
// signature the detectors and their tests use.
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
    int64_t year = 0;
    ilc::civil_from_days(z, year, m, d);
    y = static_cast<int>(year);
}

std::string iso_date(int64_t day) {
    int y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    return buf;
}

int64_t parse_iso_date(const std::string& s) {
    int y = 0;
    unsigned m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    return days_from_civil(y, m, d);
}

namespace {
// Monday..Friday: 1970-01-01 was a Thursday, so (day + 3) mod 7 gives 0 = Monday.
int weekday_monday0(int64_t day) {
    int64_t w = (day + 3) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}
// Weekdays in the day range [0, n) counted from day 0 = Thursday 1970-01-01, for any n.
int64_t weekdays_before(int64_t n) {
    // Number of Mon-Fri days among days [origin, origin + n) where origin is a Monday.
    auto count_from_monday = [](int64_t k) {
        int64_t full = k >= 0 ? k / 7 : -((-k + 6) / 7);
        int64_t rem = k - full * 7;
        return full * 5 + (rem > 5 ? 5 : rem);
    };
    // Shift the origin to Monday 1969-12-29 (day -3).
    return count_from_monday(n + 3) - count_from_monday(3);
}
}  // namespace

struct BusinessCalendar::Impl {
    std::unique_ptr<icu::TimeZone> zone;
    // Offsets change twice a year at most: cache them per UTC hour.
    mutable std::unordered_map<int64_t, int> cache;
    mutable std::mutex mu;
};

BusinessCalendar::BusinessCalendar(const std::string& tz, std::set<int64_t> holidays)
    : impl_(std::make_unique<Impl>()), holidays_(std::move(holidays)) {
    if (tz.empty()) {
        impl_->zone.reset(icu::TimeZone::createDefault());
    } else {
        impl_->zone.reset(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)));
        // ICU answers an unknown id with the "Etc/Unknown" zone (offset 0).
        if (*impl_->zone == icu::TimeZone::getUnknown()) valid_ = false;
    }
}

BusinessCalendar::~BusinessCalendar() = default;
BusinessCalendar::BusinessCalendar(BusinessCalendar&&) noexcept = default;
BusinessCalendar& BusinessCalendar::operator=(BusinessCalendar&&) noexcept = default;

int BusinessCalendar::offset_seconds(int64_t utc) const {
    int64_t hour = utc >= 0 ? utc / 3600 : -((-utc + 3599) / 3600);
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->cache.find(hour);
    if (it != impl_->cache.end()) return it->second;
    // Offsets change on hour boundaries in every zone in use, so the start of the hour decides.
    UErrorCode status = U_ZERO_ERROR;
    int32_t raw = 0, dst = 0;
    impl_->zone->getOffset(static_cast<UDate>(hour * 3600) * 1000.0, false, raw, dst, status);
    int off = U_SUCCESS(status) ? (raw + dst) / 1000 : 0;
    if (impl_->cache.size() > 200000) impl_->cache.clear();
    impl_->cache.emplace(hour, off);
    return off;
}

int64_t BusinessCalendar::local_day(int64_t utc) const {
    int64_t local = utc + offset_seconds(utc);
    return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

bool BusinessCalendar::is_business_day(int64_t day) const {
    return weekday_monday0(day) < 5 && !holidays_.count(day);
}

int BusinessCalendar::business_days(int64_t from_utc, int64_t to_utc) const {
    int64_t a = local_day(from_utc), b = local_day(to_utc);
    if (b <= a) return 0;
    // Weekdays in (a, b], then minus the holidays that fall on weekdays in that range.
    int64_t n = weekdays_before(b + 1) - weekdays_before(a + 1);
    for (auto it = holidays_.upper_bound(a); it != holidays_.end() && *it <= b; ++it)
        if (weekday_monday0(*it) < 5) --n;
    return static_cast<int>(n);
}

int64_t BusinessCalendar::add_business_days(int64_t from_utc, int n) const {
    int64_t day = local_day(from_utc);
    // Bounded: a year of holidays cannot stop the walk.
    for (int guard = 0; n > 0 && guard < 100000; ++guard) {
        ++day;
        if (is_business_day(day)) --n;
    }
    return day;
}

std::string BusinessCalendar::iso_local(int64_t utc) const {
    int off = offset_seconds(utc);
    int64_t local = utc + off;
    int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t sec = local - day * 86400;
    int y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    int aoff = off < 0 ? -off : off;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", y, m, d, static_cast<int>(sec / 3600),
                  static_cast<int>(sec / 60 % 60), static_cast<int>(sec % 60), off < 0 ? '-' : '+', aoff / 3600,
                  aoff / 60 % 60);
    return buf;
}

}  // namespace ilc::detect
