#pragma once
// The config file's small text rules, shared by every part that reads a section of it (the
// detectors' thresholds, the digest's account names and reps, the team's [team]): one file, one
// way to trim a value and to split a list (docs/CONFIG.md).
#include <string>
#include <string_view>
#include <vector>

namespace ilc::config {

// Spaces, tabs and line ends off both sides.
inline std::string_view trim(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

// ASCII lower case: keys, addresses and domains are compared this way.
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// A list value: "a b", "a, b", "a; b" or "[a, b]", items optionally quoted; items lower-cased.
inline std::vector<std::string> split_list(std::string_view v) {
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        if (!cur.empty()) out.push_back(lower(cur));
        cur.clear();
    };
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == ',' || c == ';' || c == '[' || c == ']' || c == '"' || c == '\'')
            flush();
        else
            cur += c;
    }
    flush();
    return out;
}

}  // namespace ilc::config
