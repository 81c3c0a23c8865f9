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
#include "interlocutor/civil_date.h"
#include "interlocutor/digest/mime_writer.h"
#include "interlocutor/message.h"

namespace ilc::digest::detail {

// ASCII-only lower case: domains, config keys, and text matched against ASCII patterns (accented
// letters stay as written).
inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

// The weekday of a day number (days since 1970-01-01, ilc::days_from_civil): Monday = 0.
// 1970-01-01 was a Thursday.
inline int weekday_of(int64_t day) { return (int)(((day + 3) % 7 + 7) % 7); }

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

// The HTML parts' frame: a readable column of plain text, inline styles only (mail clients drop
// <style> blocks and remote resources), headings no larger than the text a person would bold.
inline constexpr const char* kMailBodyOpen =
    "<body style=\"margin:0;padding:16px;background:#ffffff\">\n"
    "<div style=\"max-width:680px;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;"
    "color:#222222\">\n";
inline constexpr const char* kMailHeadingOpen =
    "<h3 style=\"font-size:15px;margin:18px 0 6px;color:#1f3a5f;border-bottom:1px solid #dde3ea;padding-bottom:3px\">";

// "9 – 15 novembre 2026" / "November 9 – 15, 2026", across months and years as needed.
inline std::string day_range(int64_t first, int64_t last, bool fr) {
    static const char* fr_months[] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                                      "août", "septembre", "octobre", "novembre", "décembre"};
    static const char* en_months[] = {"January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"};
    int64_t y1, y2;
    unsigned m1, d1, m2, d2;
    civil_from_days(first, y1, m1, d1);
    civil_from_days(last, y2, m2, d2);
    auto month = [&](unsigned m) { return std::string(fr ? fr_months[m - 1] : en_months[m - 1]); };
    const std::string a = std::to_string(d1), b = std::to_string(d2), ya = std::to_string(y1), yb = std::to_string(y2);
    if (fr) {
        if (y1 != y2) return a + " " + month(m1) + " " + ya + " – " + b + " " + month(m2) + " " + yb;
        if (m1 != m2) return a + " " + month(m1) + " – " + b + " " + month(m2) + " " + yb;
        return a + " – " + b + " " + month(m2) + " " + yb;
    }
    if (y1 != y2) return month(m1) + " " + a + ", " + ya + " – " + month(m2) + " " + b + ", " + yb;
    if (m1 != m2) return month(m1) + " " + a + " – " + month(m2) + " " + b + ", " + yb;
    return month(m1) + " " + a + " – " + b + ", " + yb;
}

// "Re: TR: Fwd: Budget 2027" -> "Budget 2027". Unlike threading::normalize_subject (a lower-case
// matching key without list tags), this keeps the subject as the person wrote it, for display.
inline std::string strip_subject(std::string_view s) {
    static const char* prefixes[] = {"re:", "re :", "fwd:", "fw:", "tr:", "tr :", "aw:", "wg:", "réf:", "réf :",
                                     "ref:", "[ext]", "[external]"};
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
                if (ascii_lower(out.substr(0, pv.size())) == pv) {
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

// A mail from the owner at settings' now, in the owner's zone, with a fresh Message-ID at the
// owner's domain: what the weekly and the team digests start from.
inline OutgoingMail new_mail(const Mailbox& owner, const detect::AnalysisSettings& settings, const std::string& lang,
                             const std::string& id_tag) {
    const auto cal = calendar_of(settings);
    OutgoingMail mail;
    mail.from = owner;
    mail.lang = lang;
    mail.date = now_of(settings);
    mail.date_offset = cal.offset_seconds(mail.date);
    mail.message_id = new_message_id(id_tag, domain_part(owner.address));
    return mail;
}

}  // namespace ilc::digest::detail
