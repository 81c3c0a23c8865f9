// The manager's digest of the team (SPEC "Weekly summary mail", last sentence): stalled deals by
// risk, awaiting replies both ways per rep, all-in-copy threads, accounts with too many internal
// contacts. The rep is the mailbox owner: one mailbox is one rep.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "digest_private.h"
#include "interlocutor/digest/digest.h"

namespace ilc::digest {
namespace {

std::string reason_label(const std::string& r, bool fr) {
    static const std::map<std::string, std::pair<std::string, std::string>> labels = {
        {"budget", {"budget", "budget"}},
        {"technical", {"blocage technique", "technical blocker"}},
        {"champion_hesitant", {"champion hésitant", "hesitant champion"}},
        {"consensus_impossible", {"consensus impossible", "no consensus"}},
        {"not_urgent", {"pas prioritaire", "not urgent"}},
        {"unknown", {"raison inconnue", "unknown reason"}},
    };
    auto it = labels.find(r);
    if (it == labels.end()) return r;
    return fr ? it->second.first : it->second.second;
}

// One bar of the HTML chart: a table row with a coloured div whose width is the share.
std::string bar(const std::string& label, int value, int max, const std::string& colour) {
    int pct = max > 0 ? std::max(2, value * 100 / max) : 0;
    return "<tr><td style=\"padding:2px 8px;white-space:nowrap\">" + detail::html_escape(label) +
           "</td><td style=\"width:300px\"><div style=\"background:" + colour + ";height:14px;width:" +
           std::to_string(pct) + "%\"></div></td><td style=\"padding:2px 8px\">" + std::to_string(value) +
           "</td></tr>\n";
}

}  // namespace

Result<TeamDigest> build_team(const std::vector<Message>& msgs, const detect::AnalysisResult& analysis,
                              const detect::AnalysisSettings& settings, const IsoWeek& week, const std::string& lang) {
    if (settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown", "ingest a sent folder, or pass --me ADDRESS"};
    if (settings.managers.empty())
        return Error{ErrorCode::usage, "the team digest goes to a manager and none is known",
                     "pass --manager ADDRESS or set managers in the config file"};
    TeamDigest d;
    d.lang = !lang.empty() ? lang : (!analysis.lang.empty() ? analysis.lang : "fr");
    d.week = week;
    d.owner = detail::owner_mailbox(msgs, settings);
    for (const auto& m : settings.managers) {
        Mailbox b{"", m};
        for (const auto& msg : msgs) {
            auto take = [&](const Mailbox& x) { if (x.address == m && b.name.empty()) b.name = x.name; };
            take(msg.from);
            for (const auto& x : msg.to) take(x);
            for (const auto& x : msg.cc) take(x);
            if (!b.name.empty()) break;
        }
        d.managers.push_back(b);
    }
    d.stalled = analysis.stalled_deal;
    std::stable_sort(d.stalled.begin(), d.stalled.end(),
                     [](const detect::StalledDeal& a, const detect::StalledDeal& b) { return a.risk > b.risk; });
    d.awaiting_reply = (int)analysis.awaiting_reply.size();
    d.awaiting_my_reply = (int)analysis.awaiting_my_reply.size();
    std::map<std::string, std::pair<int, int>> per;
    for (const auto& a : analysis.awaiting_reply) per[a.account].first++;
    for (const auto& a : analysis.awaiting_my_reply) per[a.account].second++;
    d.awaiting_by_account.assign(per.begin(), per.end());
    std::stable_sort(d.awaiting_by_account.begin(), d.awaiting_by_account.end(), [](const auto& a, const auto& b) {
        return a.second.first + a.second.second > b.second.first + b.second.second;
    });
    d.all_in_copy = analysis.all_in_copy;
    std::unordered_map<std::string, const Message*> by_id;
    for (const auto& m : msgs) by_id.emplace(m.message_id, &m);
    for (const auto& a : d.all_in_copy) {
        std::string subject;
        for (const auto& mid : a.group_messages)
            if (auto it = by_id.find(mid); it != by_id.end() && subject.empty()) subject = detail::strip_subject(it->second->subject);
        d.all_in_copy_subjects.push_back(subject);
    }
    d.many_internal = analysis.many_internal_contacts;
    return d;
}

OutgoingMail team_mail(const TeamDigest& d, const detect::AnalysisSettings& settings) {
    const bool fr = d.lang != "en";
    const auto cal = detail::calendar_of(settings);
    const int64_t now = detail::now_of(settings);
    const std::string wk = std::to_string(d.week.week);
    const std::string rep = d.owner.name.empty() ? d.owner.address : d.owner.name;
    OutgoingMail mail;
    mail.from = d.owner;
    mail.to = d.managers;
    mail.lang = fr ? "fr" : "en";
    mail.subject = fr ? "Synthèse équipe — semaine " + wk : "Team digest — week " + wk;
    mail.date = now;
    mail.date_offset = cal.offset_seconds(now);
    mail.message_id = new_message_id("team." + d.week.to_string(), detail::domain_part(d.owner.address));

    std::string text, html;
    html = "<!DOCTYPE html>\n<html lang=\"" + mail.lang + "\"><head><meta charset=\"utf-8\"><title>" +
           detail::html_escape(mail.subject) + "</title>\n<style>table.bars{border-collapse:collapse;font-size:13px}"
           "h3{margin-bottom:4px}</style></head>\n<body style=\"font-family:sans-serif\">\n";
    auto heading = [&](const std::string& t) {
        text += t + "\n";
        html += "<h3>" + detail::html_escape(t) + "</h3>\n";
    };
    auto none = [&](const std::string& t) {
        text += t + "\n\n";
        html += "<p><em>" + detail::html_escape(t) + "</em></p>\n";
    };
    auto item_list = [&](const std::vector<std::string>& items) {
        html += "<ul>\n";
        for (const auto& i : items) {
            text += "- " + i + "\n";
            html += "<li>" + detail::html_escape(i) + "</li>\n";
        }
        html += "</ul>\n";
        text += "\n";
    };
    std::string intro = fr ? "Synthèse de la semaine " + wk + " (" + d.week.to_string() + ") pour " + rep + "."
                           : "Digest of week " + wk + " (" + d.week.to_string() + ") for " + rep + ".";
    text += intro + "\n\n";
    html += "<p>" + detail::html_escape(intro) + "</p>\n";

    heading(fr ? "Affaires au point mort, par risque" : "Stalled deals by risk");
    if (d.stalled.empty()) {
        none(fr ? "Aucune affaire au point mort." : "No stalled deal.");
    } else {
        std::vector<std::string> items;
        html += "<table class=\"bars\">\n";
        for (const auto& s : d.stalled) {
            html += bar(s.account, s.risk, 100, s.risk >= 70 ? "#c0392b" : s.risk >= 40 ? "#e67e22" : "#f1c40f");
            items.push_back(s.account + " — " + (fr ? "risque " : "risk ") + std::to_string(s.risk) + " — " +
                            reason_label(s.reason, fr) + " — " + std::to_string(s.quiet_business_days) +
                            (fr ? " jours ouvrés sans nouvelles" : " quiet business days") +
                            (s.escalate ? (fr ? " — à escalader" : " — escalate") : "") +
                            (s.suggestion.empty() ? "" : " — " + s.suggestion));
        }
        html += "</table>\n";
        item_list(items);
    }

    heading(fr ? "Réponses en attente, dans les deux sens" : "Awaiting replies, both ways");
    {
        std::string line = rep + (fr ? " : " : ": ") + std::to_string(d.awaiting_reply) +
                           (fr ? " en attente d'une réponse du client, " : " awaiting the customer, ") +
                           std::to_string(d.awaiting_my_reply) + (fr ? " en attente de sa réponse" : " awaiting the rep");
        std::vector<std::string> items{line};
        int max = 1;
        for (const auto& [acc, c] : d.awaiting_by_account) max = std::max({max, c.first, c.second});
        html += "<table class=\"bars\">\n";
        for (const auto& [acc, c] : d.awaiting_by_account) {
            items.push_back(acc + " — " + std::to_string(c.first) + (fr ? " / " : " / ") + std::to_string(c.second));
            html += bar(acc + (fr ? " (client)" : " (customer)"), c.first, max, "#2980b9");
            html += bar(acc + (fr ? " (commercial)" : " (rep)"), c.second, max, "#8e44ad");
        }
        html += "</table>\n";
        item_list(items);
    }

    heading(fr ? "Fils « tout le monde en copie »" : "All-in-copy threads");
    if (d.all_in_copy.empty()) {
        none(fr ? "Aucun." : "None.");
    } else {
        std::vector<std::string> items;
        for (size_t i = 0; i < d.all_in_copy.size(); ++i) {
            const auto& a = d.all_in_copy[i];
            const std::string& subject = d.all_in_copy_subjects[i];
            items.push_back(a.account + " — " + (subject.empty() ? "" : (fr ? "« " + subject + " » — " : "“" + subject + "” — ")) +
                            std::to_string(a.recipients.size()) +
                            (fr ? " destinataires, " : " recipients, ") + std::to_string(a.group_messages.size()) +
                            (fr ? " envois groupés" : " group mails") +
                            (a.suggestion.empty() ? "" : " — " + a.suggestion));
        }
        item_list(items);
    }

    heading(fr ? "Comptes avec trop d'interlocuteurs internes" : "Accounts with too many internal contacts");
    if (d.many_internal.empty()) {
        none(fr ? "Aucun." : "None.");
    } else {
        std::vector<std::string> items;
        for (const auto& a : d.many_internal) {
            std::string people;
            for (const auto& p : a.internal_people) people += (people.empty() ? "" : ", ") + p;
            items.push_back(a.account + " — " + std::to_string(a.internal_people.size()) + " : " + people);
        }
        item_list(items);
    }
    html += "</body></html>\n";
    mail.text = text;
    mail.html = html;
    return mail;
}

}  // namespace ilc::digest
