// Date mentions in French and English mail text, normalized to day numbers.
#include "interlocutor/digest/date_mentions.h"

#include <algorithm>
#include <regex>

#include "digest_private.h"

namespace ilc::digest {
namespace {

struct Month { const char* name; int month; };
// Full names and the usual abbreviations; matched on an ASCII-lower-cased copy of the text,
// so accented letters stay as written (the months' accents are on lower-case letters).
const Month kMonths[] = {
    {"janvier", 1}, {"février", 2}, {"fevrier", 2}, {"mars", 3}, {"avril", 4}, {"mai", 5}, {"juin", 6},
    {"juillet", 7}, {"août", 8}, {"aout", 8}, {"septembre", 9}, {"octobre", 10}, {"novembre", 11},
    {"décembre", 12}, {"decembre", 12},
    {"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6}, {"july", 7},
    {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11}, {"december", 12},
    {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7}, {"aug", 8}, {"sept", 9},
    {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
};

int month_of(const std::string& name) {
    for (const auto& m : kMonths)
        if (name == m.name) return m.month;
    return 0;
}

const std::string& fr_months() {
    static const std::string s =
        "janvier|f(?:é|e)vrier|mars|avril|mai|juin|juillet|ao(?:û|u)t|septembre|octobre|novembre|d(?:é|e)cembre";
    return s;
}
const std::string& en_months() {
    static const std::string s =
        "january|february|march|april|may|june|july|august|september|october|november|december|"
        "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";
    return s;
}

// Returns -1 when the civil date does not exist.
int64_t checked_day(int y, int m, int d) {
    if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200) return -1;
    int64_t day = days_from_civil(y, (unsigned)m, (unsigned)d);
    int64_t yy;
    unsigned mm, dd;
    civil_from_days(day, yy, mm, dd);
    if (yy != y || (int)mm != m || (int)dd != d) return -1;
    return day;
}

int64_t with_year(int y, int m, int d, int64_t reference_day) {
    if (y > 0) return checked_day(y < 100 ? 2000 + y : y, m, d);
    int64_t ry;
    unsigned rm, rd;
    civil_from_days(reference_day, ry, rm, rd);
    int64_t day = checked_day(int(ry), m, d);
    if (day >= 0 && day < reference_day - 60) day = checked_day(int(ry) + 1, m, d);
    if (day < 0 && m == 2 && d == 29) day = checked_day(int(ry) + 1, m, d);
    return day;
}

int to_int(const std::ssub_match& s) { return s.matched ? std::stoi(s.str()) : 0; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Sentence spans: ends at '.', '!' or '?' followed by white space or the end, or at a line break.
std::vector<std::pair<size_t, size_t>> sentence_spans(std::string_view t) {
    std::vector<std::pair<size_t, size_t>> spans;
    size_t start = 0;
    for (size_t i = 0; i <= t.size(); ++i) {
        bool end = i == t.size() || t[i] == '\n';
        bool punct = i < t.size() && (t[i] == '.' || t[i] == '!' || t[i] == '?') &&
                     (i + 1 == t.size() || is_space(t[i + 1]));
        if (end || punct) {
            size_t stop = punct ? i + 1 : i;
            spans.emplace_back(start, stop);
            start = stop;
        }
    }
    return spans;
}

std::string clean(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : s) {
        if (is_space(c)) { space = !out.empty(); continue; }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace

std::vector<DateMention> find_dates(std::string_view text, int64_t reference_day, std::string_view lang) {
    const std::string low = detail::ascii_lower(text);
    std::vector<DateMention> found;
    auto scan = [&](const std::regex& re, auto&& decode) {
        for (std::sregex_iterator it(low.begin(), low.end(), re), end; it != end; ++it) {
            int64_t day = decode(*it);
            if (day < 0) continue;
            found.push_back({day, (size_t)it->position(0), (size_t)it->length(0)});
        }
    };
    static const std::regex iso(R"(\b(\d{4})-(\d{2})-(\d{2})\b)");
    scan(iso, [&](const std::smatch& m) { return checked_day(to_int(m[1]), to_int(m[2]), to_int(m[3])); });

    static const std::regex fr("\\b(\\d{1,2})(?:er)?\\s+(" + fr_months() + ")(?:\\s+(\\d{4}))?(?![a-z])");
    scan(fr, [&](const std::smatch& m) {
        std::string name = m[2].str();
        if (name == "février") name = "fevrier";
        if (name == "août" || name == "aoút") name = "aout";
        if (name.rfind("d", 0) == 0) name = "decembre";
        if (name.rfind("f", 0) == 0) name = "fevrier";
        if (name.rfind("ao", 0) == 0) name = "aout";
        return with_year(to_int(m[3]), month_of(name), to_int(m[1]), reference_day);
    });
    static const std::regex en_md("\\b(" + en_months() + ")\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4})\\b)?");
    scan(en_md, [&](const std::smatch& m) {
        return with_year(to_int(m[3]), month_of(m[1].str()), to_int(m[2]), reference_day);
    });
    static const std::regex en_dm("\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(" + en_months() +
                                  ")\\b\\.?(?:,?\\s+(\\d{4})\\b)?");
    scan(en_dm, [&](const std::smatch& m) {
        return with_year(to_int(m[3]), month_of(m[2].str()), to_int(m[1]), reference_day);
    });
    // "20/11", "20/11/2026", "11/20" in English text when the first number cannot be a month.
    static const std::regex num(R"((^|[^\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/]))");
    for (std::sregex_iterator it(low.begin(), low.end(), num), end; it != end; ++it) {
        const auto& m = *it;
        int a = to_int(m[2]), b = to_int(m[3]), y = to_int(m[4]);
        int d = a, mo = b;
        if (lang == "en" && a <= 12 && b > 12) d = b, mo = a;
        int64_t day = with_year(y, mo, d, reference_day);
        if (day < 0) continue;
        // The pattern takes the character before the date (no look-behind in ECMAScript regex).
        size_t lead = (size_t)m.length(1);
        found.push_back({day, (size_t)m.position(0) + lead, (size_t)m.length(0) - lead});
    }
    // A weekday alone ("Monday at 2pm", "vendredi prochain", "by Thursday") is the next such
    // day after the message was written. Not when a date follows ("vendredi 20/11" is read above)
    // nor in opening hours ("du lundi au vendredi", "Monday to Friday").
    static const std::string days = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
                                    "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
    static const std::regex weekday_re("\\b(" + days + ")\\b(?!\\s+\\d)(?!\\s+(?:au|to|through|-|–)\\s)");
    static const std::vector<std::string> names = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
                                                   "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    static const std::regex range_re("\\b(?:" + days + ")\\s+(?:au|to|through|-|–)\\s+(?:" + days + ")\\b");
    std::vector<std::pair<size_t, size_t>> ranges;
    for (std::sregex_iterator it(low.begin(), low.end(), range_re), end; it != end; ++it)
        ranges.emplace_back((size_t)it->position(0), (size_t)(it->position(0) + it->length(0)));
    for (std::sregex_iterator it(low.begin(), low.end(), weekday_re), end; it != end; ++it) {
        const auto& m = *it;
        size_t pos = (size_t)m.position(0);
        bool in_range = false;
        for (auto [a, b] : ranges) in_range = in_range || (pos >= a && pos < b);
        if (in_range) continue;
        auto ends_with = [&](const std::string& w) { return pos >= w.size() && low.compare(pos - w.size(), w.size(), w) == 0; };
        if (ends_with("du ") || ends_with("from ")) continue;
        int target = 0;
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == m[1].str()) target = int(i % 7);
        int ref_wd = detail::weekday_of(reference_day);
        int ahead = (target - ref_wd + 7) % 7;
        found.push_back({reference_day + (ahead == 0 ? 7 : ahead), pos, (size_t)m.length(0)});
    }
    std::sort(found.begin(), found.end(), [](const DateMention& a, const DateMention& b) {
        return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
    });
    std::vector<DateMention> out;
    for (const auto& f : found)
        if (out.empty() || f.offset >= out.back().offset + out.back().length) out.push_back(f);
    return out;
}

std::vector<std::string> sentences(std::string_view text) {
    std::vector<std::string> out;
    for (auto [a, b] : sentence_spans(text)) {
        auto s = clean(text.substr(a, b - a));
        if (!s.empty()) out.push_back(s);
    }
    return out;
}

std::string sentence_at(std::string_view text, size_t offset) {
    for (auto [a, b] : sentence_spans(text))
        if (offset >= a && offset < b) return clean(text.substr(a, b - a));
    return "";
}

}  // namespace ilc::digest
