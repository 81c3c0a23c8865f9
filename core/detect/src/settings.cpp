#include "interlocutor/detect/settings.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "interlocutor/detect/business_days.h"

#include "interlocutor/config_text.h"

namespace ilc::detect {
namespace {

using config::lower;
using config::split_list;
using config::trim;

Error line_error(int line, const std::string& what) {
    return Error{ErrorCode::parse, "config line " + std::to_string(line) + ": " + what,
                 "see docs/CONFIG.md for the file format"};
}

struct IntKey { const char* name; int Thresholds::*field; };
struct RealKey { const char* name; double Thresholds::*field; };

constexpr IntKey kIntKeys[] = {
    {"awaiting_reply_business_days", &Thresholds::awaiting_reply_business_days},
    {"over_chasing_count", &Thresholds::over_chasing_count},
    {"awaiting_my_reply_business_days", &Thresholds::awaiting_my_reply_business_days},
    {"awaiting_max_age_days", &Thresholds::awaiting_max_age_days},
    {"broadcast_min_recipients", &Thresholds::broadcast_min_recipients},
    {"one_way_sender_min_threads", &Thresholds::one_way_sender_min_threads},
    {"stalled_max_quiet_days", &Thresholds::stalled_max_quiet_days},
    {"all_in_copy_min_recipients", &Thresholds::all_in_copy_min_recipients},
    {"all_in_copy_min_group_messages", &Thresholds::all_in_copy_min_group_messages},
    {"stalled_min_messages", &Thresholds::stalled_min_messages},
    {"stalled_min_inbound", &Thresholds::stalled_min_inbound},
    {"stalled_quiet_business_days", &Thresholds::stalled_quiet_business_days},
    {"stalled_min_outbound_after", &Thresholds::stalled_min_outbound_after},
    {"reschedule_min_messages", &Thresholds::reschedule_min_messages},
    {"reschedule_window_days", &Thresholds::reschedule_window_days},
    {"reason_last_inbound", &Thresholds::reason_last_inbound},
    {"champion_window_days", &Thresholds::champion_window_days},
    {"consensus_min_people", &Thresholds::consensus_min_people},
    {"manager_window_days", &Thresholds::manager_window_days},
    {"many_internal_min_people", &Thresholds::many_internal_min_people},
    {"many_internal_window_days", &Thresholds::many_internal_window_days},
};
constexpr RealKey kRealKeys[] = {
    {"all_in_copy_min_share", &Thresholds::all_in_copy_min_share},
    {"all_in_copy_max_recap_share", &Thresholds::all_in_copy_max_recap_share},
};

}  // namespace

Result<ConfigFile> parse_config(std::string_view text) {
    ConfigFile cfg;
    std::string section;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']') return line_error(line_no, "section header without closing ']'");
            section = lower(trim(line.substr(1, line.size() - 2)));
            if (section != "thresholds" && section != "accounts" && section != "team" && section != "owner" &&
                section != "general")
                return line_error(line_no, "unknown section [" + section + "]");
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return line_error(line_no, "expected 'key = value'");
        std::string key = lower(trim(line.substr(0, eq)));
        std::string_view value = trim(line.substr(eq + 1));
        // A '#' after a value starts a comment.
        if (auto hash = value.find(" #"); hash != std::string_view::npos) value = trim(value.substr(0, hash));
        if (key.empty()) return line_error(line_no, "empty key");

        if (section == "thresholds") {
            bool known = false;
            for (const auto& k : kIntKeys) {
                if (key != k.name) continue;
                known = true;
                std::string v(value);
                char* end = nullptr;
                long n = std::strtol(v.c_str(), &end, 10);
                if (v.empty() || *end != '\0' || n < 0 || n > 100000)
                    return line_error(line_no, "'" + key + "' needs a whole number from 0 to 100000, got '" + v + "'");
                cfg.thresholds.*(k.field) = static_cast<int>(n);
            }
            for (const auto& k : kRealKeys) {
                if (key != k.name) continue;
                known = true;
                std::string v(value);
                bool percent = !v.empty() && v.back() == '%';
                if (percent) v.pop_back();
                char* end = nullptr;
                double d = std::strtod(v.c_str(), &end);
                if (v.empty() || *end != '\0') return line_error(line_no, "'" + key + "' needs a number, got '" + v + "'");
                if (percent) d /= 100.0;
                if (d < 0 || d > 1) return line_error(line_no, "'" + key + "' must be between 0 and 1 (or 0% and 100%)");
                cfg.thresholds.*(k.field) = d;
            }
            if (!known) return line_error(line_no, "unknown threshold '" + key + "'");
            continue;
        }
        if (section == "accounts") {
            if (key != "merge") return line_error(line_no, "unknown key '" + key + "' in [accounts] (expected merge)");
            auto items = split_list(value);
            if (items.size() < 2) return line_error(line_no, "merge needs at least two organizations");
            cfg.account_merges.push_back(items);
            continue;
        }
        // Global keys (also accepted in [team], [owner], [general]).
        if (key == "managers" || key == "manager") {
            for (auto& a : split_list(value)) cfg.managers.push_back(a);
        } else if (key == "me" || key == "owner" || key == "owners") {
            for (auto& a : split_list(value)) cfg.owners.push_back(a);
        } else if (key == "internal_domains" || key == "internal_domain") {
            for (auto& a : split_list(value)) cfg.internal_domains.push_back(a);
        } else if (key == "tz") {
            cfg.tz = std::string(value);
        } else if (key == "lang") {
            std::string l = lower(value);
            if (l != "fr" && l != "en" && !l.empty()) return line_error(line_no, "lang must be fr or en");
            cfg.lang = l;
        } else {
            return line_error(line_no, "unknown key '" + key + "'");
        }
    }
    return cfg;
}

Result<ConfigFile> load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io, "cannot read config file " + path, "check the --config path"};
    std::ostringstream ss;
    ss << in.rdbuf();
    auto r = parse_config(ss.str());
    if (!r.ok()) {
        Error e = r.error();
        e.message = path + ": " + e.message;
        return e;
    }
    return r;
}

void apply_config(const ConfigFile& cfg, AnalysisSettings& s) {
    s.thresholds = cfg.thresholds;
    s.managers.insert(s.managers.end(), cfg.managers.begin(), cfg.managers.end());
    s.owners.insert(s.owners.end(), cfg.owners.begin(), cfg.owners.end());
    s.internal_domains.insert(s.internal_domains.end(), cfg.internal_domains.begin(), cfg.internal_domains.end());
    s.account_merges.insert(s.account_merges.end(), cfg.account_merges.begin(), cfg.account_merges.end());
    if (!cfg.tz.empty() && s.tz.empty()) s.tz = cfg.tz;
    if (!cfg.lang.empty() && s.lang.empty()) s.lang = cfg.lang;
}

Result<std::set<std::string>> load_holidays(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Error{ErrorCode::io, "cannot read holidays file " + path, "one ISO date (YYYY-MM-DD) a line"};
    std::set<std::string> out;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        std::string_view t = trim(line);
        if (t.empty() || t.front() == '#') continue;
        std::string d(t.substr(0, 10));
        if (parse_iso_date(d) < 0 || (t.size() > 10 && t[10] != ' ' && t[10] != '\t' && t[10] != '#'))
            return Error{ErrorCode::parse, path + " line " + std::to_string(n) + ": not an ISO date: '" + std::string(t) + "'",
                         "one ISO date (YYYY-MM-DD) a line"};
        out.insert(d);
    }
    return out;
}

Result<int64_t> parse_iso8601(std::string_view sv) {
    std::string s(trim(sv));
    int y, mo, d, h = 0, mi = 0, se = 0;
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return Error{ErrorCode::usage, "not an ISO 8601 date: '" + s + "'", "e.g. 2026-11-12T10:00:00+01:00"};
    int64_t day = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    std::string rest = s.substr(static_cast<size_t>(consumed));
    int off = 0;
    if (!rest.empty()) {
        if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ')
            return Error{ErrorCode::usage, "not an ISO 8601 instant: '" + s + "'", "e.g. 2026-11-12T10:00:00+01:00"};
        int n2 = 0;
        if (std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &h, &mi, &n2) != 2)
            return Error{ErrorCode::usage, "not an ISO 8601 time: '" + s + "'", "e.g. 2026-11-12T10:00:00+01:00"};
        std::string z = rest.substr(1 + static_cast<size_t>(n2));
        if (!z.empty() && z[0] == ':') {
            int n3 = 0;
            if (std::sscanf(z.c_str() + 1, "%2d%n", &se, &n3) != 1)
                return Error{ErrorCode::usage, "bad seconds in '" + s + "'", ""};
            z = z.substr(1 + static_cast<size_t>(n3));
            if (!z.empty() && z[0] == '.') {  // fractional seconds are dropped
                size_t k = 1;
                while (k < z.size() && z[k] >= '0' && z[k] <= '9') ++k;
                z = z.substr(k);
            }
        }
        if (z == "Z" || z == "z" || z.empty()) {
            off = 0;
        } else if (z[0] == '+' || z[0] == '-') {
            int oh = 0, om = 0;
            if (std::sscanf(z.c_str() + 1, "%2d:%2d", &oh, &om) < 1 && std::sscanf(z.c_str() + 1, "%2d%2d", &oh, &om) < 1)
                return Error{ErrorCode::usage, "bad zone offset in '" + s + "'", ""};
            if (z.size() == 5 && z.find(':') == std::string::npos) {
                oh = std::atoi(z.substr(1, 2).c_str());
                om = std::atoi(z.substr(3, 2).c_str());
            }
            off = (oh * 3600 + om * 60) * (z[0] == '-' ? -1 : 1);
        } else {
            return Error{ErrorCode::usage, "bad zone in '" + s + "'", "use Z or +HH:MM"};
        }
    }
    return day * 86400 + h * 3600 + mi * 60 + se - off;
}

}  // namespace ilc::detect
