#include "interlocutor/service/compose.h"

#include <algorithm>
#include <map>
#include <set>

#include "interlocutor/text/cues.h"

namespace ilc::service {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string topic_word(const std::string& topic, bool fr) {
    if (topic == "technical") return fr ? "la technique" : "technical questions";
    if (topic == "budget") return fr ? "le budget et le contrat" : "budget and contract";
    if (topic == "planning") return fr ? "le planning" : "planning";
    if (topic == "scope") return fr ? "le périmètre" : "scope";
    return topic;
}

// A stakeholder role stands in for a topic when nobody talked about it yet (SPEC "all-in-copy":
// technical with IT, budget and contract with purchasing, planning with the project lead).
std::string topic_of_role(const std::string& role) {
    if (role == "prescriber") return "technical";
    if (role == "signatory") return "budget";
    if (role == "influencer") return "planning";
    if (role == "decision_maker") return "scope";
    return "";
}

std::string who(const std::string& name, const std::string& address) {
    return name.empty() ? address : name + " (" + address + ")";
}

}  // namespace

namespace {

std::string bare(std::string id) {
    if (id.size() > 1 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    return id;
}

}  // namespace

long find_thread(const Snapshot& snap, const std::vector<std::string>& start, const std::vector<SentRecord>& sent) {
    std::vector<std::string> ids;
    for (const auto& i : start) ids.push_back(bare(i));
    std::set<std::string> seen;
    // Breadth first, bounded: a sent record answers another sent record, which answers a stored
    // message. The bound keeps a client that reports a reference loop from spinning.
    for (size_t k = 0; k < ids.size() && k < 256; ++k) {
        const std::string mid = ids[k];
        if (mid.empty() || !seen.insert(mid).second) continue;
        if (const long ti = snap.thread_of(mid); ti >= 0) return ti;
        for (const auto& r : sent) {
            if (r.message_id != mid) continue;
            if (!r.in_reply_to.empty()) ids.push_back(r.in_reply_to);
            for (auto ref = r.references.rbegin(); ref != r.references.rend(); ++ref) ids.push_back(*ref);
        }
    }
    return -1;
}

std::vector<Suggestion> compose_check(const Snapshot& snap, const Draft& d, const std::vector<SentRecord>& sent) {
    std::vector<Suggestion> out;
    const auto& id = snap.identity;
    const std::string lang = !d.lang.empty() ? d.lang : (snap.result.lang.empty() ? "en" : snap.result.lang);
    const bool fr = lang == "fr";

    // The thread the draft answers, from In-Reply-To then References (last first).
    const ThreadInfo* info = nullptr;
    std::string thread_id, thread_account;  // "" when the draft answers no known thread
    long thread_index = -1;
    {
        std::vector<std::string> ids;
        if (!d.in_reply_to.empty()) ids.push_back(d.in_reply_to);
        for (auto it = d.references.rbegin(); it != d.references.rend(); ++it) ids.push_back(*it);
        thread_index = find_thread(snap, ids, sent);
        if (thread_index >= 0) {
            info = &snap.thread_info[static_cast<size_t>(thread_index)];
            thread_id = snap.threads.id(static_cast<size_t>(thread_index));
            thread_account = snap.strings.str(info->account);
        }
    }
    // Outbound mail sent since the snapshot on this thread: more unanswered messages. A reported
    // message that an ingest already stored is counted by the snapshot and skipped here.
    int pending_chasers = 0;
    if (thread_index >= 0)
        for (const auto& r : sent) {
            if (snap.thread_of(r.message_id) >= 0) continue;
            if (!r.from.empty() && !id.is_owner(lower(r.from))) continue;
            std::vector<std::string> rid;
            if (!r.in_reply_to.empty()) rid.push_back(r.in_reply_to);
            for (auto ref = r.references.rbegin(); ref != r.references.rend(); ++ref) rid.push_back(*ref);
            if (find_thread(snap, rid, sent) == thread_index) ++pending_chasers;
        }

    std::vector<std::string> visible, all;  // To+Cc, To+Cc+Bcc; lower-cased, de-duplicated
    {
        std::set<std::string> seen;
        for (const auto* list : {&d.to, &d.cc, &d.bcc})
            for (const auto& a : *list) {
                auto l = lower(a);
                if (l.empty() || !seen.insert(l).second) continue;
                all.push_back(l);
                if (list != &d.bcc) visible.push_back(l);
            }
    }
    std::map<std::string, std::vector<std::string>> by_account;
    std::vector<std::string> internal_colleagues;
    const std::string from = lower(d.from);
    for (const auto& a : visible) {
        auto acc = id.account_of(a);
        if (!acc.empty()) by_account[acc].push_back(a);
        else if (a != from && !id.is_owner(a)) internal_colleagues.push_back(a);
    }
    const std::string text = d.subject + "\n" + d.body;
    const bool recap = !text::find_cues(text, "recap").empty();

    // all_in_copy: >= 4 recipients of one organization, not a recap.
    const int min_group = snap.settings.thresholds.all_in_copy_min_recipients;
    for (const auto& [acc, people] : by_account) {
        if (static_cast<int>(people.size()) < min_group || recap) continue;
        Suggestion s{"all_in_copy", "warning", "", {}};
        std::vector<detect::TopicContact> topics;
        const detect::AllInCopy* f = nullptr;
        if (info) {
            auto it = snap.all_in_copy_by_thread.find(thread_id);
            if (it != snap.all_in_copy_by_thread.end() && snap.result.all_in_copy[it->second].account == acc)
                f = &snap.result.all_in_copy[it->second];
        }
        if (!f) {
            auto it = snap.all_in_copy_by_account.find(acc);
            if (it != snap.all_in_copy_by_account.end() && !it->second.empty()) f = &snap.result.all_in_copy[it->second.front()];
        }
        if (f)
            for (const auto& t : f->topics)
                if (!t.address.empty()) topics.push_back(t);
        // Topics nobody talked about yet: the stakeholder whose role covers them.
        auto sit = snap.stakeholders_by_account.find(acc);
        if (sit != snap.stakeholders_by_account.end()) {
            for (size_t si : sit->second) {
                const auto& sh = snap.result.stakeholders[si];
                auto topic = topic_of_role(sh.role);
                if (topic.empty()) continue;
                bool have = std::any_of(topics.begin(), topics.end(), [&](const auto& t) { return t.topic == topic; });
                if (!have) topics.push_back({topic, sh.address, sh.name});
            }
        }
        std::string list;
        for (const auto& t : topics) {
            if (!list.empty()) list += "; ";
            list += topic_word(t.topic, fr) + (fr ? " avec " : " with ") + who(t.name, t.address);
            s.alternatives.push_back({(fr ? "Échange direct — " : "Direct exchange — ") + topic_word(t.topic, fr) + ": " +
                                          who(t.name, t.address),
                                      t.topic, {t.address}});
        }
        s.alternatives.push_back({fr ? "Garder le groupe pour le récapitulatif hebdomadaire" : "Keep the group for the weekly recap",
                                  "recap", people});
        const std::string n = std::to_string(people.size());
        if (fr)
            s.message = n + " personnes de " + acc + " en copie : chacun attend que l'autre réponde. Réservez le groupe au "
                        "récapitulatif hebdomadaire et traitez les sujets en direct" + (list.empty() ? "." : " : " + list + ".");
        else
            s.message = n + " people of " + acc + " in copy: everyone waits for someone else to answer. Keep the group for "
                        "a weekly recap and take each topic directly" + (list.empty() ? "." : ": " + list + ".");
        out.push_back(std::move(s));
    }

    // insists_on_cc_dropped: someone asked to stay in copy of this thread and is missing.
    if (info) {
        auto it = snap.insists_by_thread.find(thread_id);
        if (it != snap.insists_by_thread.end()) {
            std::set<std::string> missing;
            for (size_t i : it->second) {
                const auto& f = snap.result.insists_on_cc[i];
                if (std::find(all.begin(), all.end(), f.address) == all.end()) missing.insert(f.address);
            }
            for (const auto& a : missing) {
                Suggestion s{"insists_on_cc_dropped", "warning", "", {}};
                s.message = fr ? a + " a demandé à rester en copie de cette conversation et n'est plus destinataire."
                               : a + " asked to stay in copy of this conversation and is no longer a recipient.";
                s.alternatives.push_back({fr ? "Remettre " + a + " en copie" : "Put " + a + " back in copy", "", {a}});
                out.push_back(std::move(s));
            }
        }
    }

    // over_chasing: this would be the third (or later) unanswered outbound message.
    const bool outbound = from.empty() || id.is_owner(from);
    const int unanswered = info ? info->trailing_unanswered + pending_chasers : 0;
    if (info && outbound && unanswered + 1 >= snap.settings.thresholds.over_chasing_count) {
        Suggestion s{"over_chasing", "warning", "", {}};
        const std::string n = std::to_string(unanswered + 1);
        s.message = fr ? "Ce serait la relance n° " + n + " sans réponse dans cette conversation : changez d'approche "
                         "(un appel, un autre interlocuteur, une question fermée)."
                       : "This would be unanswered message #" + n + " in this conversation: change the approach "
                         "(call, another contact, a yes/no question).";
        s.alternatives.push_back({fr ? "Appeler plutôt qu'écrire" : "Call instead of writing", "", {}});
        out.push_back(std::move(s));
    }

    // many_internal_contacts: >= 3 internal colleagues addressed to a client.
    if (!by_account.empty() && internal_colleagues.size() >= 3) {
        Suggestion s{"many_internal_contacts", "info", "", {}};
        const std::string n = std::to_string(internal_colleagues.size());
        s.message = fr ? n + " collègues en copie d'un mail client : le client devrait avoir un interlocuteur privilégié."
                       : n + " colleagues addressed on a client mail: the client should have one privileged contact.";
        s.alternatives.push_back({fr ? "Retirer les collègues, les informer en interne" : "Drop the colleagues, brief them internally",
                                  "", {}});
        out.push_back(std::move(s));
    }

    // sensitive_topic_direct: a one-to-one mail about budget, scope or planning.
    if (all.size() == 1 && by_account.size() == 1) {
        std::set<std::string> fams;
        for (const char* fam : {"topic_budget", "budget", "topic_scope", "topic_planning"})
            if (!text::find_cues(text, fam).empty()) fams.insert(fam);
        if (!fams.empty()) {
            Suggestion s{"sensitive_topic_direct", "info", "", {}};
            s.message = fr ? "Échange en direct sur un sujet sensible (budget, périmètre ou planning) : notez-le dans le "
                             "prochain récapitulatif du groupe, par son sujet seulement."
                           : "A one-to-one mail about budget, scope or planning: mention it in the next group recap "
                             "(by subject only).";
            out.push_back(std::move(s));
        }
    }

    // recap_due: a group thread without a recap for 7 days.
    if (info && info->group && !recap && snap.now - info->last_recap > 7 * 86400) {
        Suggestion s{"recap_due", "info", "", {}};
        s.message = fr ? "Pas de récapitulatif envoyé au groupe depuis plus de 7 jours : c'est le moment d'en faire un."
                       : "No recap sent to the group for more than 7 days: time for one.";
        std::vector<std::string> group;
        if (!thread_account.empty()) {
            auto it = by_account.find(thread_account);
            if (it != by_account.end()) group = it->second;
        }
        s.alternatives.push_back({fr ? "Écrire le récapitulatif hebdomadaire" : "Write the weekly recap", "recap", group});
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ilc::service
