// The [team] section of the config file; see team_config.h.
#include "interlocutor/team/team_config.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

#include "interlocutor/config_text.h"

namespace ilc::team {
namespace {

const std::set<std::string> kTeamKeys = {"url", "rep", "private_accounts", "exclusive_contacts", "publish_every"};

using config::lower;
using config::split_list;
using config::trim;

Error line_error(int line_no, const std::string& what) {
    return Error{ErrorCode::parse, "config line " + std::to_string(line_no) + ": " + what,
                 "see docs/CONFIG.md, section \"[team]\""};
}

// One key = value line of [team] into out; an error message when the line is wrong.
std::optional<std::string> apply_key(const std::string& key, std::string_view value, TeamConfig& out) {
    if (key == "url") {
        if (value.empty()) return "url needs a team database (postgresql://user@host/db or an SQLite file)";
        out.url = std::string(value);
    } else if (key == "rep") {
        if (value.empty()) return "rep needs a name";
        out.rep = std::string(value);
    } else if (key == "private_accounts") {
        for (auto& a : split_list(value)) {
            if (a.find('.') == std::string::npos || a.find('@') != std::string::npos)
                return "'" + a + "' is not an organization (private_accounts takes domains like acme.com)";
            out.private_accounts.push_back(std::move(a));
        }
    } else if (key == "exclusive_contacts") {
        for (auto& a : split_list(value)) {
            if (a.find('@') == std::string::npos || a.front() == '@' || a.back() == '@')
                return "'" + a + "' is not an address (exclusive_contacts)";
            out.exclusive_contacts.push_back(std::move(a));
        }
    } else if (key == "publish_every") {
        auto s = parse_duration_seconds(value);
        if (!s) return "publish_every takes a duration like 30s, 15m or 1h (at least 1s), got '" + std::string(value) + "'";
        out.publish_every_seconds = *s;
    }
    return std::nullopt;
}

}  // namespace

std::optional<int> parse_duration_seconds(std::string_view text) {
    text = trim(text);
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0) return std::nullopt;
    const std::string_view unit = text.substr(digits);
    const int64_t mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (mult == 0) return std::nullopt;
    // The bound is checked in 64 bits on every digit, before and after the unit, so no count of
    // digits (999999999h, twenty nines) can overflow on the way to "over a week".
    constexpr int64_t kMax = 7 * 24 * 3600;
    int64_t n = 0;
    for (size_t i = 0; i < digits; ++i) {
        n = n * 10 + (text[i] - '0');
        if (n > kMax) return std::nullopt;
    }
    const int64_t seconds = n * mult;
    if (n < 1 || seconds > kMax) return std::nullopt;
    return int(seconds);
}

Result<SplitTeamConfig> split_team_config(std::string_view text) {
    SplitTeamConfig out;
    std::string section;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t nl = text.find('\n', pos);
        const std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        const bool last = nl == std::string_view::npos;
        pos = last ? text.size() + 1 : nl + 1;
        ++line_no;
        const std::string_view line = trim(raw);
        bool ours = false;
        if (!line.empty() && line.front() == '[' && line.back() == ']') {
            section = lower(trim(line.substr(1, line.size() - 2)));
            if (section == "team") out.team.present = true;
        } else if (section == "team" && !line.empty() && line.front() != '#' && line.front() != ';') {
            // The detectors also read their global keys (managers, me, tz...) in [team]: only
            // the sharing keys are ours, the rest of the section goes on to them, header included,
            // and they name any unknown key with its line.
            const auto eq = line.find('=');
            const std::string key = eq == std::string_view::npos ? "" : lower(trim(line.substr(0, eq)));
            if (kTeamKeys.count(key)) {
                ours = true;
                std::string_view value = trim(line.substr(eq + 1));
                if (auto hash = value.find(" #"); hash != std::string_view::npos) value = trim(value.substr(0, hash));
                if (auto err = apply_key(key, value, out.team)) return line_error(line_no, *err);
            }
        }
        if (!ours) out.rest.append(raw);
        if (!last) out.rest += '\n';
    }
    return out;
}

}  // namespace ilc::team
