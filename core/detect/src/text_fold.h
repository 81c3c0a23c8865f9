#pragma once
// Private helpers: accent- and case-folding for matching French and English words.
#include <string>
#include <string_view>
#include <vector>

namespace ilc::detect {

// Lower-cases ASCII and folds Latin-1 accented letters and common typographic marks to ASCII
// ("Directrice Générale" -> "directrice generale", "d’information" -> "d'information").
std::string fold(std::string_view s);
// Splits folded text into words of letters and digits.
std::vector<std::string> words_of(std::string_view folded);
// True when `phrase` (folded, words separated by single spaces) occurs on word boundaries.
bool has_phrase(const std::vector<std::string>& words, std::string_view phrase);

}  // namespace ilc::detect
