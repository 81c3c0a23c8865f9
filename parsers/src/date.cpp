// Dates of mail: RFC 5322 section 3.3, the obsolete forms of section 4.3, and the broken forms
// real mail carries (asctime, ISO 8601, missing seconds or zone, zone names, comments).
// Calendar arithmetic is ours (Howard Hinnant's days_from_civil), so no timegm and no TZ env.
#include "interlocutor/civil_date.h"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

using ilc::days_from_civil;  // interlocutor/civil_date.h

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Month from a name: English (RFC 5322), and French names seen in hand-written or localized
// headers ("janv.", "févr.", "août", "déc."), matched on their first letters.
int month_from_name(std::string_view w) {
    const std::string l = text::lower(w.substr(0, 4));
    static constexpr std::string_view kEn[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
    if (w.size() >= 3)  // the first three letters, compared in place (a memcmp call each was most of a date)
        for (int m = 0; m < 12; ++m)
            if (l[0] == kEn[m][0] && l[1] == kEn[m][1] && l[2] == kEn[m][2]) return m + 1;
    // French: janv, févr/fevr, mars, avr, mai, juin, juil, août/aout, sept, oct, nov, déc/dec.
    if (l.rfind("fev", 0) == 0 || l.rfind("f\xc3\xa9v", 0) == 0 || l.rfind("f\xe9v", 0) == 0) return 2;
    if (l.rfind("avr", 0) == 0) return 4;
    if (l == "mai") return 5;
    if (l.rfind("juin", 0) == 0) return 6;
    if (l.rfind("juil", 0) == 0) return 7;
    if (l.rfind("aou", 0) == 0 || l.rfind("ao\xc3\xbb", 0) == 0 || l.rfind("ao\xfb", 0) == 0) return 8;
    if (l.rfind("d\xc3\xa9" "c", 0) == 0 || l.rfind("d\xe9" "c", 0) == 0) return 12;
    return 0;
}

bool is_weekday(std::string_view w) {
    if (w.size() < 3) return false;
    const std::string l = text::lower(w.substr(0, 3));
    for (std::string_view d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "lun", "mer", "jeu", "ven", "sam", "dim"})
        if (l == d) return true;
    return false;
}

// RFC 5322 section 4.3 obs-zone: "UT" / "GMT" / US zones / military letters. The military
// letters were defined with the wrong sign in RFC 822, so RFC 5322 says to read them as -0000.
std::optional<int> zone_from_name(std::string_view w) {
    const std::string l = text::lower(w);
    struct Z { std::string_view n; int min; };
    static constexpr Z kZones[] = {
        {"ut", 0},          {"utc", 0},         {"gmt", 0},          {"z", 0},           {"est", -300},
        {"edt", -240},      {"cst", -360},      {"cdt", -300},       {"mst", -420},      {"mdt", -360},
        {"pst", -480},      {"pdt", -420},      {"wet", 0},          {"west", 60},       {"bst", 60},
        {"cet", 60},        {"cest", 120},      {"met", 60},         {"mest", 120},      {"eet", 120},
        {"eest", 180},      {"msk", 180},       {"ist", 330},        {"jst", 540},       {"kst", 540},
        {"hkt", 480},       {"sgt", 480},       {"aest", 600},       {"aedt", 660},      {"nzst", 720},
        {"nzdt", 780},      {"akst", -540},     {"akdt", -480},      {"hst", -600},      {"ast", -240},
        {"adt", -180},      {"nst", -210},      {"ndt", -150},
    };
    for (const Z& z : kZones)
        if (l == z.n) return z.min;
    if (l.size() == 1 && text::is_alpha(l[0]) && l[0] != 'j') return 0;
    return std::nullopt;
}

struct Fields {
    int year = -1, month = 0, day = 0;
    int hour = -1, minute = 0, second = 0;
    std::optional<int> zone;
    bool pm = false, am = false;
};

std::optional<ParsedDate> finish(Fields f, size_t year_digits) {
    if (f.year < 0 || f.month < 1 || f.month > 12 || f.day < 1) return std::nullopt;
    // RFC 5322 section 4.3: a two-digit year is 19xx from 50 and 20xx below; three digits add 1900.
    if (year_digits <= 2) f.year += f.year < 50 ? 2000 : 1900;
    else if (year_digits == 3) f.year += 1900;
    if (f.year < 1000 || f.year > 9999) return std::nullopt;
    if (f.day > days_in_month(f.year, f.month)) return std::nullopt;
    if (f.hour < 0) f.hour = 0;  // no time of day at all: midnight
    if (f.pm && f.hour < 12) f.hour += 12;
    if (f.am && f.hour == 12) f.hour = 0;
    if (f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
    if (f.second == 60) f.second = 59;  // leap second
    ParsedDate d;
    d.tz_offset_min = f.zone.value_or(0);
    d.utc = days_from_civil(f.year, unsigned(f.month), unsigned(f.day)) * 86400 + f.hour * 3600 + f.minute * 60 +
            f.second - int64_t(d.tz_offset_min) * 60;
    return d;
}

int read_number(std::string_view s, size_t& i, size_t& digits, size_t max_digits = 9) {
    int v = 0;
    digits = 0;
    while (i < s.size() && text::is_digit(s[i])) {
        if (digits < max_digits) v = v * 10 + (s[i] - '0');
        ++digits;
        ++i;
    }
    return v;
}

// ISO 8601 "2026-07-20T14:24:21Z", "2026-07-20 14:24:21+02:00", "2026-07-20".
std::optional<ParsedDate> parse_iso8601(std::string_view s) {
    size_t i = 0, n;
    Fields f;
    f.year = read_number(s, i, n);
    if (n != 4 || i >= s.size() || s[i] != '-') return std::nullopt;
    ++i;
    f.month = read_number(s, i, n);
    if (n < 1 || n > 2 || i >= s.size() || s[i] != '-') return std::nullopt;
    ++i;
    f.day = read_number(s, i, n);
    if (n < 1 || n > 2) return std::nullopt;
    if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        ++i;
        f.hour = read_number(s, i, n);
        if (n < 1 || n > 2 || i >= s.size() || s[i] != ':') return std::nullopt;
        ++i;
        f.minute = read_number(s, i, n);
        if (n != 2) return std::nullopt;
        if (i < s.size() && s[i] == ':') {
            ++i;
            f.second = read_number(s, i, n);
            if (n != 2) return std::nullopt;
            if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
                ++i;
                read_number(s, i, n);
            }
        }
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
            f.zone = 0;
        } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            const int sign = s[i] == '-' ? -1 : 1;
            ++i;
            int hh = read_number(s, i, n), mm = 0;
            if (n == 4) {
                mm = hh % 100;
                hh /= 100;
            } else if (n == 2 && i < s.size() && s[i] == ':') {
                ++i;
                mm = read_number(s, i, n);
            }
            if (hh < 24 && mm < 60) f.zone = sign * (hh * 60 + mm);
        }
    }
    return finish(f, 4);
}

}  // namespace

std::optional<ParsedDate> parse_date(std::string_view s) {
    s = text::trim(s);
    if (s.size() > 4096) s = s.substr(0, 4096);  // no date is that long; bound the work
    if (s.size() >= 10 && text::is_digit(s[0]) && text::is_digit(s[3]) && s[4] == '-') return parse_iso8601(s);

    // RFC 5322 section 3.3: [day-of-week ","] day month year time zone, with CFWS anywhere
    // (section 4.3). Tokens are classified rather than expected in order, so that asctime
    // ("Mon Jul 20 14:24:21 2026"), a missing weekday or seconds, or "20-Jul-2026" also parse.
    Fields f;
    size_t year_digits = 0;
    size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '(') {
            // Comments such as "(CEST)" or "(UTC)" repeat the zone: the numeric offset wins.
            int depth = 0;
            for (; i < s.size(); ++i) {
                if (s[i] == '\\') { ++i; continue; }
                if (s[i] == '(') ++depth;
                else if (s[i] == ')' && --depth == 0) { ++i; break; }
            }
            continue;
        }
        if (text::is_digit(c)) {
            size_t n;
            const int v = read_number(s, i, n);
            if (i < s.size() && (s[i] == ':' || (s[i] == '.' && f.hour < 0 && f.year >= 0 && n <= 2 && i + 1 < s.size() &&
                                                  text::is_digit(s[i + 1])))) {
                // time = hour ":" minute [":" second] (some clients write dots).
                const char sep = s[i];
                if (n > 2) return std::nullopt;
                if (f.hour >= 0) {
                    // A second time of day (trailing text after the date): ignored.
                    while (i < s.size() && (text::is_digit(s[i]) || s[i] == sep)) ++i;
                    continue;
                }
                f.hour = v;
                ++i;
                f.minute = read_number(s, i, n);
                if (n < 1 || n > 2) return std::nullopt;
                if (i < s.size() && s[i] == sep) {
                    ++i;
                    f.second = read_number(s, i, n);
                    if (n < 1 || n > 2) return std::nullopt;
                    if (i < s.size() && s[i] == '.') {  // fractional seconds
                        ++i;
                        read_number(s, i, n);
                    }
                }
                continue;
            }
            if (i < s.size() && s[i] == '/' && f.month == 0 && f.day == 0 && f.year < 0) {
                // Numeric dates written by some Outlook and Asian clients: "2017/6/27" (y/m/d),
                // "03/23/2001" (US m/d/y), "23/03/2001" (d/m/y when the first part exceeds 12).
                size_t n2, n3;
                ++i;
                const int b = read_number(s, i, n2);
                if (n2 < 1 || n2 > 4 || i >= s.size() || s[i] != '/') return std::nullopt;
                ++i;
                const int c3 = read_number(s, i, n3);
                if (n3 < 1 || n3 > 4) return std::nullopt;
                if (n >= 3) {
                    f.year = v; year_digits = n; f.month = b; f.day = c3;
                } else {
                    f.year = c3; year_digits = n3;
                    if (v > 12) { f.day = v; f.month = b; } else { f.month = v; f.day = b; }
                }
                continue;
            }
            if (f.day == 0 && n <= 2 && f.year < 0) {
                f.day = v;
            } else if (f.year < 0 && (n == 4 || n == 3 || (f.day != 0 && f.month != 0 && n <= 2))) {
                f.year = v;
                year_digits = n;
            } else if (f.day == 0 && n <= 2) {
                f.day = v;  // "2026 Jul 20"
            } else if (f.year < 0 && n <= 2) {
                f.year = v;
                year_digits = n;
            }
            // Anything else (a stray number) is ignored.
            continue;
        }
        if ((c == '+' || c == '-') && i + 1 < s.size() && text::is_digit(s[i + 1])) {
            // zone = ("+" / "-") 4DIGIT. A '-' before the time is a date separator ("20-Jul-2026").
            if (f.hour >= 0 && !f.zone) {
                const int sign = c == '-' ? -1 : 1;
                ++i;
                size_t n;
                int v = read_number(s, i, n);
                int hh = -1, mm = 0;
                if (n == 4) {
                    hh = v / 100;
                    mm = v % 100;
                } else if (n <= 2) {
                    hh = v;
                    if (i < s.size() && s[i] == ':') {
                        ++i;
                        mm = read_number(s, i, n);
                    }
                }
                if (hh >= 0 && hh < 24 && mm < 60) f.zone = sign * (hh * 60 + mm);
                continue;
            }
            ++i;
            continue;
        }
        if (text::is_alpha(c) || static_cast<unsigned char>(c) >= 0x80) {
            const size_t b = i;
            while (i < s.size() && (text::is_alpha(s[i]) || static_cast<unsigned char>(s[i]) >= 0x80)) ++i;
            const std::string_view w = s.substr(b, i - b);
            if (f.month == 0) {
                if (const int m = month_from_name(w); m != 0) {
                    f.month = m;
                    continue;
                }
            }
            if (is_weekday(w)) continue;
            if (text::iequals(w, "pm")) { f.pm = true; continue; }
            if (text::iequals(w, "am")) { f.am = true; continue; }
            if (f.hour >= 0 && !f.zone) {
                if (auto z = zone_from_name(w)) {
                    f.zone = *z;
                    // "GMT+0200" / "UTC-5": a name followed by an offset.
                    if (*z == 0 && i < s.size() && (s[i] == '+' || s[i] == '-')) f.zone.reset();
                    continue;
                }
            }
            continue;
        }
        ++i;
    }
    return finish(f, year_digits);
}

std::optional<ParsedDate> parse_received_date(std::string_view value) {
    // RFC 5322 section 3.6.7: received = "Received:" *received-token ";" date-time CRLF.
    const size_t semi = value.rfind(';');
    if (semi == std::string_view::npos) return std::nullopt;
    return parse_date(value.substr(semi + 1));
}

std::optional<ParsedDate> parse_mbox_from_date(std::string_view line) {
    // "From sender Mon Jul 20 14:24:21 2026" (asctime, sometimes with a zone). The sender may be
    // missing or odd, so the date starts at the first weekday or month name after "From ".
    if (line.substr(0, 5) == "From ") line.remove_prefix(5);
    else if (line.substr(0, 6) == ">From ") line.remove_prefix(6);
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && text::is_space(line[i])) ++i;
        const size_t b = i;
        while (i < line.size() && !text::is_space(line[i])) ++i;
        std::string_view tok = line.substr(b, i - b);
        if (tok.size() >= 3 && text::is_alpha(tok[0]) && (is_weekday(tok.substr(0, 3)) || month_from_name(tok) != 0)) {
            size_t k = 0;
            while (k < tok.size() && text::is_alpha(tok[k])) ++k;
            if (k == 3 && (tok.size() == 3 || (tok.size() == 4 && tok.back() == ','))) return parse_date(line.substr(b));
        }
    }
    return std::nullopt;
}

}  // namespace ilc::parsers
