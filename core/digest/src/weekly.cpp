// The weekly summary mail of one account (SPEC "Weekly summary mail").
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <unordered_map>

#include "digest_private.h"
#include "interlocutor/digest/date_mentions.h"
#include "interlocutor/digest/digest.h"

namespace ilc::digest {
namespace {

std::vector<const Mailbox*> participants(const Message& m) {
    std::vector<const Mailbox*> out{&m.from};
    for (const auto& b : m.to) out.push_back(&b);
    for (const auto& b : m.cc) out.push_back(&b);
    return out;
}

// Directory-style names ("Harris, Niall", as Outlook and Exchange write them) read as "Niall
// Harris" in a sentence: lists of people are comma-separated, and "Harris, Niall, Sarah Brooks"
// would be ambiguous. Only a single comma between two plain name parts is turned around.
std::string spoken_name(const std::string& name) {
    auto comma = name.find(',');
    if (comma == std::string::npos || name.find(',', comma + 1) != std::string::npos) return name;
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        return std::string(v);
    };
    std::string last = trim(std::string_view(name).substr(0, comma));
    std::string first = trim(std::string_view(name).substr(comma + 1));
    if (last.empty() || first.empty() || name.find('@') != std::string::npos) return name;
    return first + " " + last;
}

std::string display(const Mailbox& b) { return b.name.empty() ? b.address : spoken_name(b.name); }

}  // namespace

int64_t IsoWeek::first_day() const {
    int64_t jan4 = days_from_civil(year, 1, 4);
    return jan4 - detail::weekday_of(jan4) + int64_t(week - 1) * 7;
}

std::string IsoWeek::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-W%02d", year, week);
    return buf;
}

IsoWeek iso_week_of_day(int64_t day) {
    int64_t thursday = day - detail::weekday_of(day) + 3;
    int64_t y;
    unsigned m, d;
    civil_from_days(thursday, y, m, d);
    return {int(y), int((thursday - days_from_civil(y, 1, 1)) / 7 + 1)};
}

Result<IsoWeek> parse_iso_week(std::string_view s) {
    static const std::regex re(R"(^(\d{4})-?[Ww](\d{1,2})$)");
    std::string str(s);
    std::smatch m;
    if (!std::regex_match(str, m, re))
        return Error{ErrorCode::usage, "'" + str + "' is not an ISO week", "write it as YYYY-Www, e.g. 2026-W47"};
    IsoWeek w{std::stoi(m[1]), std::stoi(m[2])};
    if (w.week < 1 || w.week > 53) return Error{ErrorCode::usage, "week " + m[2].str() + " does not exist", "weeks run from 1 to 52 or 53"};
    IsoWeek back = iso_week_of_day(w.first_day());
    if (back.year != w.year || back.week != w.week)
        return Error{ErrorCode::usage, m[1].str() + " has no week " + m[2].str(), "this year has 52 ISO weeks"};
    return w;
}

std::string account_display_name(std::string_view account) {
    std::string a(account);
    if (auto at = a.find('@'); at != std::string::npos) a = a.substr(0, at);  // a free-mail "account"
    else if (auto dot = a.find('.'); dot != std::string::npos) a = a.substr(0, dot);
    std::string out;
    bool start = true;
    for (char c : a) {
        if (c == '-' || c == '_' || c == '.') {
            out += ' ';
            start = true;
            continue;
        }
        out += start ? (char)std::toupper((unsigned char)c) : c;
        start = false;
    }
    return out;
}

std::string account_name_for(const std::string& account, const std::map<std::string, std::string>& names,
                             const detect::Identity& id) {
    if (auto it = names.find(account); it != names.end()) return it->second;
    // A name given for an organization merged into the account (or a subdomain) names it too.
    for (const auto& [org, name] : names)
        if (id.organization("x@" + org) == account) return name;
    return account_display_name(account);
}

ThreadKind thread_kind(const std::vector<Message>& msgs, const Thread& t, const detect::Identity& id,
                       const std::string& account) {
    std::set<std::string> people;
    bool other = false;
    for (size_t i : t.members) {
        for (const Mailbox* b : participants(msgs[i])) {
            if (b->address.empty() || id.is_internal(b->address)) continue;
            if (id.account_of(b->address) != account) other = true;
            people.insert(id.person_key(b->address));
        }
    }
    if (people.empty()) return ThreadKind::none;
    if (other) return ThreadKind::other_account;
    return people.size() == 1 ? ThreadKind::one_to_one : ThreadKind::group;
}

Result<WeeklyDigest> build_weekly(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                                  const detect::AnalysisResult& analysis, const detect::AnalysisSettings& settings,
                                  const DigestOptions& opts) {
    if (settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown", "ingest a sent folder, or pass --me ADDRESS"};
    const auto id = detect::Identity::from_settings(settings);
    const auto cal = detail::calendar_of(settings);
    const int64_t now = detail::now_of(settings);
    const int64_t today = cal.local_day(now);
    // "CHU.GH-SudLoire.fr" and "gh-sudloire.fr" name the same account (its organization after merges).
    std::string account = detail::ascii_lower(opts.account);
    if (account.find('@') == std::string::npos && !account.empty()) account = id.organization("x@" + account);

    WeeklyDigest d;
    d.account = account;
    d.account_name = opts.account_name.empty() ? account_name_for(account, opts.account_names, id) : opts.account_name;
    d.week = opts.week;
    d.lang = !opts.lang.empty() ? opts.lang : (!analysis.lang.empty() ? analysis.lang : "fr");
    d.owner = detail::owner_mailbox(msgs, settings);
    const int64_t first = opts.week.first_day(), last = first + 6;

    // Recipients: the account's people active in the last N days, the most active first;
    // internal colleagues involved with the account in the same window go in Cc.
    std::map<std::string, std::pair<int, Mailbox>> to, cc, week_people;
    bool account_seen = false;
    const int64_t window_start = now - int64_t(opts.active_window_days) * 86400;
    for (const auto& m : msgs) {
        bool of_account = false;
        for (const Mailbox* b : participants(m))
            if (!b->address.empty() && !id.is_internal(b->address) && id.account_of(b->address) == account)
                of_account = true;
        if (!of_account) continue;
        account_seen = true;
        if (m.automated) continue;
        bool recent = m.date >= window_start && m.date <= now;
        int64_t day = cal.local_day(m.date);
        bool in_week = day >= first && day <= last;
        for (const Mailbox* b : participants(m)) {
            if (b->address.empty() || id.is_owner(b->address)) continue;
            bool internal = id.is_internal(b->address);
            if (!internal && id.account_of(b->address) != account) continue;
            auto add = [&](auto& map) {
                auto& e = map[b->address];
                e.first++;
                e.second.address = b->address;
                if (e.second.name.empty()) e.second.name = b->name;
            };
            if (recent) internal ? add(cc) : add(to);
            if (in_week && !internal) add(week_people);
        }
    }
    if (!account_seen)
        return Error{ErrorCode::not_found, "no message involves the account '" + account + "'",
                     "accounts are named after the organization's domain, e.g. acme.com (see `interlocutor analyze`)"};
    auto ranked = [](const std::map<std::string, std::pair<int, Mailbox>>& map) {
        std::vector<std::pair<int, Mailbox>> v;
        for (const auto& [k, e] : map) v.push_back(e);
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<Mailbox> out;
        for (auto& e : v) out.push_back(e.second);
        return out;
    };
    d.to = ranked(to.empty() ? week_people : to);
    d.cc = ranked(cc);
    if (d.to.empty())
        return Error{ErrorCode::not_found, "nobody at " + account + " was active in the last " +
                                               std::to_string(opts.active_window_days) + " days nor in " +
                                               opts.week.to_string(),
                     "choose another week or check --now"};

    std::unordered_map<std::string, size_t> by_id;
    for (size_t i = 0; i < msgs.size(); ++i) by_id.emplace(msgs[i].message_id, i);

    std::set<std::string> seen_decisions, seen_deadlines, people;
    for (const auto& t : threads) {
        ThreadKind kind = thread_kind(msgs, t, id, account);
        if (kind != ThreadKind::one_to_one && kind != ThreadKind::group) continue;
        int week_msgs = 0;
        const Mailbox* other = nullptr;
        for (size_t i : t.members) {
            const Message& m = msgs[i];
            for (const Mailbox* b : participants(m))
                if (!b->address.empty() && !id.is_internal(b->address) && (!other || other->name.empty()))
                    other = b;
            int64_t day = cal.local_day(m.date);
            bool in_week = day >= first && day <= last;
            if (in_week) {
                ++week_msgs;
                d.numbers.messages++;
                (id.direction(m) == detect::Direction::outbound ? d.numbers.outbound : d.numbers.inbound)++;
                for (const Mailbox* b : participants(m))
                    if (!b->address.empty() && !id.is_owner(b->address)) people.insert(id.person_key(b->address));
            }
            // Privacy rule: the text of one-to-one exchanges is never read into the recap.
            if (kind != ThreadKind::group || m.automated) continue;
            if (in_week) {
                for (const auto& cue : m.cues) {
                    if (cue.family != "decision") continue;
                    size_t at = m.new_text.find(cue.text);
                    std::string sentence = at == std::string::npos ? cue.text : sentence_at(m.new_text, at);
                    if (sentence.empty() || !seen_decisions.insert(sentence).second) continue;
                    d.decisions.push_back({detect::iso_date(day), display(m.from), detail::strip_subject(m.subject),
                                           sentence, m.message_id});
                }
            }
            // Deadlines: dates ahead of now mentioned in the group's new text of the week and
            // the month before it.
            if (day >= first - 30 && day <= std::min(last, today) && m.date <= now) {
                for (const auto& dm : find_dates(m.new_text, day, m.lang)) {
                    if (dm.day <= today) continue;
                    std::string sentence = sentence_at(m.new_text, dm.offset);
                    std::string key = detect::iso_date(dm.day) + "|" + sentence;
                    if (!seen_deadlines.insert(key).second) continue;
                    d.deadlines.push_back({detect::iso_date(dm.day), sentence, detail::strip_subject(m.subject),
                                           m.message_id});
                }
            }
        }
        if (week_msgs > 0) {
            d.numbers.threads++;
            (kind == ThreadKind::group ? d.numbers.group_threads : d.numbers.direct_threads)++;
            if (kind == ThreadKind::one_to_one) {
                const Message& root = msgs[t.members.front()];
                d.direct_topics.push_back({detail::strip_subject(root.subject), other ? display(*other) : "",
                                           week_msgs});
            }
        }
    }
    d.numbers.people = (int)people.size();
    std::stable_sort(d.deadlines.begin(), d.deadlines.end(),
                     [](const Deadline& a, const Deadline& b) { return a.date < b.date; });

    for (const auto& a : analysis.awaiting_reply) {
        if (a.account != account) continue;
        auto it = by_id.find(a.message_id);
        std::string subject = it == by_id.end() ? "" : detail::strip_subject(msgs[it->second].subject);
        // People by the name they sign with, three at most: the group reads this line.
        std::vector<std::string> names;
        for (const auto& r : a.recipients) {
            if (id.is_internal(r) || id.account_of(r) != account) continue;
            auto known = to.find(r);
            names.push_back(known != to.end() ? display(known->second.second) : r);
        }
        std::string who;
        for (size_t i = 0; i < names.size() && i < 3; ++i) who += (i ? ", " : "") + names[i];
        if (names.size() > 3)
            who += (d.lang == "en" ? " and " : " et ") + std::to_string(names.size() - 3) +
                   (d.lang == "en" ? " more" : (names.size() == 4 ? " autre" : " autres"));
        d.open_questions.push_back({"awaiting_reply", subject, who, a.waiting_business_days, a.thread_id});
    }
    for (const auto& a : analysis.awaiting_my_reply) {
        if (a.account != account) continue;
        auto it = by_id.find(a.message_id);
        std::string who = it != by_id.end() ? display(msgs[it->second].from) : a.from;
        d.open_questions.push_back({"awaiting_my_reply", detail::strip_subject(a.subject), who,
                                    a.waiting_business_days, a.thread_id});
    }
    return d;
}

Message header_message(detect::Mail&& a) {
    // The Mail's strings are views into its MailText: copied.
    auto mailbox = [](const detect::MailAddress& x) { return Mailbox{std::string(x.name), std::string(x.address)}; };
    auto mailboxes = [&](const detect::MailAddressList& v) {
        std::vector<Mailbox> out;
        out.reserve(v.size());
        for (const auto& x : v) out.push_back(mailbox(x));
        return out;
    };
    Message m;
    m.message_id = a.message_id;
    m.rowid = a.rowid;
    m.date = a.date;
    m.subject = a.subject;
    m.from = mailbox(a.from);
    m.to = mailboxes(a.to);
    m.cc = mailboxes(a.cc);
    m.bcc = mailboxes(a.bcc);
    m.signature_name = a.signature_name;
    m.signature_title = a.signature_title;
    m.lang = a.lang;
    m.automated = a.automated;
    m.is_report = a.is_report;
    m.expects_reply = a.expects_reply;
    return m;
}

std::vector<size_t> weekly_text_messages(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                                         const detect::AnalysisSettings& settings, const DigestOptions& opts) {
    std::vector<size_t> which;
    if (settings.owners.empty()) return which;  // build_weekly refuses
    const auto id = detect::Identity::from_settings(settings);
    const auto cal = detail::calendar_of(settings);
    // The account as build_weekly names it.
    std::string account = detail::ascii_lower(opts.account);
    if (account.find('@') == std::string::npos && !account.empty()) account = id.organization("x@" + account);
    const int64_t first = opts.week.first_day(), last = first + 6;
    std::vector<size_t> dated;
    for (const auto& t : threads) {
        dated.clear();
        for (size_t i : t.members) {
            const Message& m = msgs[i];
            const int64_t day = cal.local_day(m.date);
            if (!m.automated && day >= first - 31 && day <= last + 1) dated.push_back(i);
        }
        // The kind (every member's people) only for the few threads dated so.
        if (!dated.empty() && thread_kind(msgs, t, id, account) == ThreadKind::group)
            which.insert(which.end(), dated.begin(), dated.end());
    }
    return which;
}

OutgoingMail weekly_mail(const WeeklyDigest& d, const detect::AnalysisSettings& settings) {
    const bool fr = d.lang != "en";
    const std::string wk = std::to_string(d.week.week);
    const std::string range = detail::day_range(d.week.first_day(), d.week.first_day() + 6, fr);
    OutgoingMail mail = detail::new_mail(d.owner, settings, fr ? "fr" : "en", "digest." + d.week.to_string());
    mail.to = d.to;
    mail.cc = d.cc;
    mail.subject = fr ? "Point hebdomadaire — " + d.account_name + " — semaine " + wk
                      : "Weekly update — " + d.account_name + " — week " + wk;

    struct Section { std::string title; std::vector<std::string> items; std::string empty; };
    std::vector<Section> sections;
    Section dec{fr ? "Décisions de la semaine" : "Decisions of the week", {},
                fr ? "Aucune décision relevée cette semaine." : "No decision noted this week."};
    for (const auto& x : d.decisions) dec.items.push_back(x.date + " — " + x.sentence + " (" + x.from + ", " +
                                                       (fr ? "« " + x.subject + " »" : "“" + x.subject + "”") + ")");
    Section dl{fr ? "Prochaines échéances" : "Next deadlines", {},
               fr ? "Aucune échéance à venir." : "No upcoming deadline."};
    for (const auto& x : d.deadlines) dl.items.push_back(x.date + " — " + x.sentence);
    Section oq{fr ? "Questions ouvertes" : "Open questions", {},
               fr ? "Aucune question en attente." : "No open question."};
    for (const auto& x : d.open_questions) {
        std::string days = std::to_string(x.business_days);
        if (x.kind == "awaiting_reply")
            oq.items.push_back(fr ? "« " + x.subject + " » — en attente de votre réponse" +
                                        (x.who.empty() ? "" : " (" + x.who + ")") + " depuis " + days + " jours ouvrés"
                                  : "“" + x.subject + "” — awaiting your reply" + (x.who.empty() ? "" : " (" + x.who + ")") +
                                        " for " + days + " business days");
        else
            oq.items.push_back(fr ? "« " + x.subject + " » — réponse attendue de ma part (" + x.who + ") depuis " + days +
                                        " jours ouvrés"
                                  : "“" + x.subject + "” — I owe " + x.who + " an answer, for " + days + " business days");
    }
    Section dt{fr ? "Sujets traités en direct" : "Topics handled in direct exchanges", {},
               fr ? "Aucun échange direct cette semaine." : "No direct exchange this week."};
    for (const auto& x : d.direct_topics) dt.items.push_back(x.subject + (x.with.empty() ? "" : " — " + x.with));
    const auto& n = d.numbers;
    Section num{fr ? "La semaine en chiffres" : "The week in numbers", {}, ""};
    if (fr) {
        num.items = {std::to_string(n.messages) + " messages (" + std::to_string(n.inbound) + " reçus, " +
                         std::to_string(n.outbound) + " envoyés)",
                     std::to_string(n.threads) + " conversations (" + std::to_string(n.group_threads) + " en groupe, " +
                         std::to_string(n.direct_threads) + " en direct)",
                     std::to_string(n.people) + (n.people > 1 ? " personnes impliquées" : " personne impliquée")};
    } else {
        num.items = {std::to_string(n.messages) + " messages (" + std::to_string(n.inbound) + " received, " +
                         std::to_string(n.outbound) + " sent)",
                     std::to_string(n.threads) + " conversations (" + std::to_string(n.group_threads) + " group, " +
                         std::to_string(n.direct_threads) + " direct)",
                     std::to_string(n.people) + (n.people == 1 ? " person involved" : " people involved")};
    }
    sections = {dec, dl, oq, dt, num};

    std::string intro = fr ? "Bonjour à tous,\n\nVoici le point de la semaine " + wk + " (" + range + ") pour " + d.account_name + "."
                           : "Hello all,\n\nHere is the update for week " + wk + " (" + range + ") for " + d.account_name + ".";
    std::string outro = fr ? "Bonne semaine," : "Best regards,";
    std::string sign = d.owner.name.empty() ? d.owner.address : d.owner.name;

    std::string text = intro + "\n\n";
    std::string html = "<!DOCTYPE html>\n<html lang=\"" + mail.lang + "\"><head><meta charset=\"utf-8\"><title>" +
                       detail::html_escape(mail.subject) + "</title></head>\n" + detail::kMailBodyOpen;
    html += "<p>" + detail::html_escape(intro) + "</p>\n";
    for (auto pos = html.find("\n\n"); pos != std::string::npos; pos = html.find("\n\n")) html.replace(pos, 2, "<br><br>");
    for (const auto& s : sections) {
        text += s.title + "\n";
        html += std::string(detail::kMailHeadingOpen) + detail::html_escape(s.title) + "</h3>\n";
        if (s.items.empty()) {
            text += s.empty + "\n\n";
            html += "<p><em>" + detail::html_escape(s.empty) + "</em></p>\n";
            continue;
        }
        html += "<ul>\n";
        for (const auto& it : s.items) {
            text += "- " + it + "\n";
            html += "<li>" + detail::html_escape(it) + "</li>\n";
        }
        text += "\n";
        html += "</ul>\n";
    }
    text += outro + "\n" + sign + "\n";
    html += "<p>" + detail::html_escape(outro) + "<br>" + detail::html_escape(sign) + "</p>\n</div></body></html>\n";
    mail.text = text;
    mail.html = html;
    return mail;
}

}  // namespace ilc::digest
