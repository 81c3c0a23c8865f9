#pragma once
// Dates written in mail text, French and English: "le 28 novembre", "vendredi 20/11",
// "by November 28", "28th of November 2026", "2026-11-28", and weekdays alone ("Monday at 2pm",
// "vendredi prochain": the next such day after the message). Each is normalized to a day number.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ilc::digest {

struct DateMention {
    int64_t day = 0;         // days since 1970-01-01 (ilc::days_from_civil)
    size_t offset = 0;       // byte offset of the mention in the text
    size_t length = 0;
};

// Finds the dates in text. Dates without a year take the first year that puts them no more
// than 60 days before `reference_day` (the day the message was written). lang ("fr", "en", "")
// decides how "11/12" reads: day/month unless the text is English.
std::vector<DateMention> find_dates(std::string_view text, int64_t reference_day, std::string_view lang);

// The sentence of text around a byte offset, trimmed, on one line.
std::string sentence_at(std::string_view text, size_t offset);
// Every sentence of a text, trimmed, on one line each (split at . ! ? and line breaks).
std::vector<std::string> sentences(std::string_view text);

}  // namespace ilc::digest
