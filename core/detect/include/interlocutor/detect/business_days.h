#pragma once
// Business days in the owner's time zone (SPEC "Normalization", Time): the Monday-Friday dates
// strictly after the first instant's date, up to and including the second instant's date,
// minus holidays. Dates come from the real tz database through ICU.
#include <cstdint>
#include <memory>
#include <set>
#include <string>

namespace ilc::detect {

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d);
// "YYYY-MM-DD" of a day number, and the reverse (-1 on bad input).
std::string iso_date(int64_t day);
int64_t parse_iso_date(const std::string& s);

class BusinessCalendar {
public:
    // tz: an IANA zone name ("Europe/Paris"); "" = the system's zone. Unknown names fall back to
    // UTC and valid() reports false. holidays: day numbers (days_from_civil).
    explicit BusinessCalendar(const std::string& tz = "", std::set<int64_t> holidays = {});
    ~BusinessCalendar();
    BusinessCalendar(BusinessCalendar&&) noexcept;
    BusinessCalendar& operator=(BusinessCalendar&&) noexcept;

    bool valid() const { return valid_; }
    // The zone's offset from UTC at an instant, in seconds (DST included).
    int offset_seconds(int64_t utc_seconds) const;
    // The local date (day number) of an instant.
    int64_t local_day(int64_t utc_seconds) const;
    bool is_business_day(int64_t day) const;
    // Business days between two instants (0 when `to` is not after `from`'s date).
    int business_days(int64_t from_utc, int64_t to_utc) const;
    // The day that is n business days after the instant's local date (n >= 0).
    int64_t add_business_days(int64_t from_utc, int n) const;
    // ISO 8601 of the instant in the zone with its offset: "2026-10-16T16:50:00+02:00".
    std::string iso_local(int64_t utc_seconds) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::set<int64_t> holidays_;
    bool valid_ = true;
};

}  // namespace ilc::detect
