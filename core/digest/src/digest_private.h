#pragma once
// Helpers the weekly and the team digests share (private to ilc_digest).
#include <ctime>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/detect/business_days.h"
#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"

namespace ilc::digest::detail {

inline int64_t now_of(const detect::AnalysisSettings& s) { return s.now ? s.now : (int64_t)std::time(nullptr); }

inline detect::BusinessCalendar calendar_of(const detect::AnalysisSettings& s) {
    std::set<int64_t> days;
    for (const auto& h : s.holidays) {
        int64_t d = detect::parse_iso_date(h);
        if (d >= 0) days.insert(d);
    }
    return detect::BusinessCalendar(s.tz, std::move(days));
}

// The owner as a mailbox: the first owner address and the name the owner signs mail with.
inline Mailbox owner_mailbox(const std::vector<Message>& msgs, const detect::AnalysisSettings& s) {
    Mailbox me;
    if (!s.owners.empty()) me.address = s.owners.front();
    for (const auto& m : msgs)
        if (!m.from.name.empty() && m.from.address == me.address) {
            me.name = m.from.name;
            break;
        }
    return me;
}

inline std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// "Re: TR: Fwd: Budget 2027" -> "Budget 2027".
inline std::string strip_subject(std::string_view s) {
    static const char* prefixes[] = {"re:", "fwd:", "fw:", "tr:", "aw:", "wg:", "réf:", "ref:"};
    std::string out(s);
    bool again = true;
    while (again) {
        again = false;
        size_t i = out.find_first_not_of(" \t");
        if (i == std::string::npos) return "";
        out.erase(0, i);
        for (const char* p : prefixes) {
            std::string_view pv(p);
            if (out.size() >= pv.size()) {
                std::string head = out.substr(0, pv.size());
                for (auto& c : head)
                    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
                if (head == pv) {
                    out.erase(0, pv.size());
                    again = true;
                    break;
                }
            }
        }
    }
    return out;
}

inline std::string domain_part(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? "" : address.substr(at + 1);
}

}  // namespace ilc::digest::detail
