// The manager's digest of the team (SPEC "Weekly summary mail", last sentence): stalled deals by
// risk, awaiting replies both ways per rep, all-in-copy threads, accounts with too many internal
// contacts. The rep is the mailbox owner: one mailbox is one rep.
#include <algorithm>
#include <map>
#include <set>
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

// The bar charts' table, styled inline: mail clients drop <style> blocks.
constexpr const char* kBarsTable = "<table style=\"border-collapse:collapse;font-size:13px\">\n";

// One bar of the HTML chart: a table row with a coloured div whose width is the share.
std::string bar(const std::string& label, int value, int max, const std::string& colour) {
    int pct = max > 0 && value > 0 ? std::max(2, value * 100 / max) : 0;  // no bar for zero
    return "<tr><td style=\"padding:2px 8px;white-space:nowrap\">" + detail::html_escape(label) +
           "</td><td style=\"width:300px\"><div style=\"background:" + colour + ";height:14px;width:" +
           std::to_string(pct) + "%\"></div></td><td style=\"padding:2px 8px\">" + std::to_string(value) +
           "</td></tr>\n";
}

}  // namespace

const std::string& TeamDigest::name_of(const std::string& account) const {
    auto it = account_names.find(account);
    return it == account_names.end() ? account : it->second;
}

Result<TeamDigest> build_team(const std::vector<Message>& msgs, const detect::AnalysisResult& analysis,
                              const detect::AnalysisSettings& settings, const TeamOptions& opts) {
    if (settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown", "ingest a sent folder, or pass --me ADDRESS"};
    if (settings.managers.empty())
        return Error{ErrorCode::usage, "the team digest goes to a manager and none is known",
                     "pass --manager ADDRESS or set managers in the config file"};
    const auto id = detect::Identity::from_settings(settings);
    const auto cal = detail::calendar_of(settings);
    TeamDigest d;
    d.lang = !opts.lang.empty() ? opts.lang : (!analysis.lang.empty() ? analysis.lang : "fr");
    d.week = opts.week;
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

    // Every account the digest names gets its display name (the config's, else from the domain).
    auto name = [&](const std::string& account) {
        if (!account.empty() && !d.account_names.count(account))
            d.account_names[account] = account_name_for(account, opts.account_names, id);
    };
    for (const auto& s : d.stalled) name(s.account);
    for (const auto& a : d.awaiting_by_account) name(a.first);
    for (const auto& a : d.all_in_copy) name(a.account);
    for (const auto& a : d.many_internal) name(a.account);

    // Per rep: a finding belongs to the rep who sent (or, for awaiting_my_reply, received) its
    // message; a stalled account to the rep who wrote to it most.
    std::map<std::string, size_t> rep_of;  // address -> index in opts.reps
    for (size_t r = 0; r < opts.reps.size(); ++r) {
        RepSummary summary;
        summary.rep = opts.reps[r];
        d.reps.push_back(std::move(summary));
        for (const auto& a : opts.reps[r].addresses) rep_of.emplace(a, r);
    }
    if (d.reps.empty()) return d;
    auto rep_index = [&](const std::string& address) -> long {
        auto it = rep_of.find(address);
        return it == rep_of.end() ? -1 : (long)it->second;
    };
    for (const auto& a : analysis.awaiting_reply)
        if (auto it = by_id.find(a.message_id); it != by_id.end())
            if (long r = rep_index(it->second->from.address); r >= 0) d.reps[r].awaiting_reply++;
    for (const auto& a : analysis.awaiting_my_reply)
        if (auto it = by_id.find(a.message_id); it != by_id.end()) {
            std::set<long> counted;
            for (const auto& b : it->second->to)
                if (long r = rep_index(b.address); r >= 0 && counted.insert(r).second) d.reps[r].awaiting_my_reply++;
        }
    for (const auto& a : analysis.all_in_copy) {
        std::set<long> counted;
        for (const auto& mid : a.group_messages)
            if (auto it = by_id.find(mid); it != by_id.end())
                if (long r = rep_index(it->second->from.address); r >= 0 && counted.insert(r).second) d.reps[r].all_in_copy++;
    }
    const int64_t first = opts.week.first_day(), last = first + 6;
    std::map<std::string, std::map<long, int>> written;  // account -> rep -> messages sent to it
    std::vector<std::set<std::string>> week_accounts(d.reps.size());
    for (const auto& m : msgs) {
        long r = rep_index(m.from.address);
        if (r < 0 || m.automated) continue;
        std::set<std::string> accounts;
        for (const auto* list : {&m.to, &m.cc})
            for (const auto& b : *list)
                if (auto acc = id.account_of(b.address); !acc.empty()) accounts.insert(acc);
        for (const auto& acc : accounts) written[acc][r]++;
        int64_t day = cal.local_day(m.date);
        if (day >= first && day <= last) {
            d.reps[r].sent_in_week++;
            week_accounts[r].insert(accounts.begin(), accounts.end());
        }
    }
    for (const auto& s : d.stalled) {
        auto it = written.find(s.account);
        if (it == written.end()) continue;
        auto best = std::max_element(it->second.begin(), it->second.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
        d.reps[best->first].stalled.push_back(s.account);
    }
    for (size_t r = 0; r < d.reps.size(); ++r)
        for (const auto& acc : week_accounts[r]) {
            name(acc);
            d.reps[r].accounts.push_back(acc);
        }
    return d;
}

OutgoingMail team_mail(const TeamDigest& d, const detect::AnalysisSettings& settings) {
    const bool fr = d.lang != "en";
    const std::string wk = std::to_string(d.week.week);
    const std::string rep = d.owner.name.empty() ? d.owner.address : d.owner.name;
    OutgoingMail mail = detail::new_mail(d.owner, settings, fr ? "fr" : "en", "team." + d.week.to_string());
    mail.to = d.managers;
    mail.subject = fr ? "Synthèse équipe — semaine " + wk : "Team digest — week " + wk;

    std::string text, html;
    html = "<!DOCTYPE html>\n<html lang=\"" + mail.lang + "\"><head><meta charset=\"utf-8\"><title>" +
           detail::html_escape(mail.subject) + "</title></head>\n" + detail::kMailBodyOpen;
    auto heading = [&](const std::string& t) {
        text += t + "\n";
        html += std::string(detail::kMailHeadingOpen) + detail::html_escape(t) + "</h3>\n";
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
        html += kBarsTable;
        for (const auto& s : d.stalled) {
            html += bar(d.name_of(s.account), s.risk, 100, s.risk >= 70 ? "#c0392b" : s.risk >= 40 ? "#e67e22" : "#f1c40f");
            items.push_back(d.name_of(s.account) + " — " + (fr ? "risque " : "risk ") + std::to_string(s.risk) + " — " +
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
        html += kBarsTable;
        for (const auto& [acc, c] : d.awaiting_by_account) {
            items.push_back(d.name_of(acc) + " — " + std::to_string(c.first) + (fr ? " / " : " / ") + std::to_string(c.second));
            html += bar(d.name_of(acc) + (fr ? " (client)" : " (customer)"), c.first, max, "#2980b9");
            html += bar(d.name_of(acc) + (fr ? " (commercial)" : " (rep)"), c.second, max, "#8e44ad");
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
            items.push_back(d.name_of(a.account) + " — " + (subject.empty() ? "" : (fr ? "« " + subject + " » — " : "“" + subject + "” — ")) +
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
            items.push_back(d.name_of(a.account) + " — " + std::to_string(a.internal_people.size()) + " : " + people);
        }
        item_list(items);
    }
    if (!d.reps.empty()) {
        heading(fr ? "Par commercial" : "Per rep");
        std::vector<std::string> items;
        int max = 1;
        for (const auto& r : d.reps) max = std::max({max, r.awaiting_reply, r.awaiting_my_reply});
        html += kBarsTable;
        for (const auto& r : d.reps) {
            auto names = [&](const std::vector<std::string>& accounts) {
                std::string out;
                for (const auto& a : accounts) out += (out.empty() ? "" : ", ") + d.name_of(a);
                return out;
            };
            std::string line = r.rep.name + " — " + std::to_string(r.awaiting_reply) +
                               (fr ? " en attente du client, " : " awaiting the customer, ") +
                               std::to_string(r.awaiting_my_reply) + (fr ? " en attente de sa réponse, " : " awaiting the rep, ") +
                               std::to_string(r.all_in_copy) + (fr ? " fils tout-en-copie" : " all-in-copy threads");
            if (!r.stalled.empty()) line += (fr ? " — au point mort : " : " — stalled: ") + names(r.stalled);
            line += (fr ? " — " : " — ") + std::to_string(r.sent_in_week) +
                    (fr ? " messages envoyés cette semaine" : " mails sent this week");
            if (!r.accounts.empty()) line += (fr ? " à " : " to ") + names(r.accounts);
            items.push_back(line);
            html += bar(r.rep.name + (fr ? " (client)" : " (customer)"), r.awaiting_reply, max, "#2980b9");
            html += bar(r.rep.name + (fr ? " (commercial)" : " (rep)"), r.awaiting_my_reply, max, "#8e44ad");
        }
        html += "</table>\n";
        item_list(items);
    }
    html += "</div></body></html>\n";
    mail.text = text;
    mail.html = html;
    return mail;
}

}  // namespace ilc::digest
