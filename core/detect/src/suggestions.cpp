#include "suggestions.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace ilc::detect {
namespace {

bool fr(const std::string& lang) { return lang == "fr"; }

std::string who(const std::string& name, const std::string& fallback) { return name.empty() ? fallback : name; }

std::string reason_words(const std::string& reason, bool french) {
    if (reason == "champion_hesitant") return french ? "votre contact n'ose pas porter le projet en interne" : "your contact does not dare to push the project upward";
    if (reason == "consensus_impossible") return french ? "pas de consensus en interne chez le client" : "no consensus on the client's side";
    if (reason == "not_urgent") return french ? "le projet n'est pas prioritaire" : "the project is not a priority";
    return reason;
}

std::string topic_word(const std::string& topic, bool french) {
    if (topic == "technical") return french ? "la technique" : "technical questions";
    if (topic == "budget") return french ? "le budget et le contrat" : "budget and contract";
    if (topic == "planning") return french ? "le planning" : "planning";
    if (topic == "scope") return french ? "le périmètre" : "scope";
    return topic;
}

}  // namespace

std::string suggest_awaiting_reply(const AwaitingReply& f, const std::string& contact_name, const std::string& lang) {
    std::string c = who(contact_name, f.recipients.empty() ? std::string() : f.recipients.front());
    if (fr(lang)) {
        if (f.over_chasing)
            return std::to_string(f.unanswered_count) +
                   " relances sans réponse : n'en envoyez pas une de plus. Changez d'approche : appelez " + c +
                   ", passez par un autre interlocuteur du compte ou proposez un créneau précis. Au plus tôt le " +
                   f.next_follow_up + ".";
        return "Sans réponse depuis " + std::to_string(f.waiting_business_days) +
               " jours ouvrés. Relancez " + c + " le " + f.next_follow_up +
               " avec une question courte et précise, ou appelez.";
    }
    if (f.over_chasing)
        return std::to_string(f.unanswered_count) +
               " unanswered chasers: do not send another one. Change the approach: call " + c +
               ", go through another person of the account, or offer a precise time slot. Not before " +
               f.next_follow_up + ".";
    return "No answer for " + std::to_string(f.waiting_business_days) + " business days. Follow up with " + c + " on " +
           f.next_follow_up + " with one short, precise question, or call.";
}

std::string suggest_awaiting_my_reply(const AwaitingMyReply& f, const std::string& sender_name, const std::string& lang) {
    std::string c = who(sender_name, f.from);
    if (fr(lang))
        return c + " attend votre réponse depuis " + std::to_string(f.waiting_business_days) +
               " jours ouvrés : répondez aujourd'hui, même brièvement, en donnant une date si la réponse complète prend du temps.";
    return c + " has been waiting for your answer for " + std::to_string(f.waiting_business_days) +
           " business days: reply today, even briefly, with a date if the full answer takes longer.";
}

std::string suggest_all_in_copy(const AllInCopy& f, const std::string& lang) {
    bool french = fr(lang);
    std::string s = french ? "Vous écrivez à " + std::to_string(f.recipients.size()) + " personnes de " + f.account +
                                 " à chaque fois : chacun attend que l'autre réponde. Envoyez un récapitulatif hebdomadaire au groupe et traitez chaque sujet en direct"
                           : "You write to " + std::to_string(f.recipients.size()) + " people at " + f.account +
                                 " every time: everyone waits for everyone else. Send one weekly recap to the group and take each topic one-to-one";
    // One clause per person, with every topic that person should get: "budget and planning with X".
    std::vector<std::pair<std::string, std::vector<std::string>>> per_person;
    for (const auto& t : f.topics) {
        if (t.address.empty()) continue;
        std::string n = who(t.name, t.address);
        auto it = std::find_if(per_person.begin(), per_person.end(), [&](const auto& p) { return p.first == n; });
        if (it == per_person.end()) per_person.push_back({n, {}}), it = per_person.end() - 1;
        it->second.push_back(topic_word(t.topic, french));
    }
    std::string parts;
    for (const auto& [n, topics] : per_person) {
        std::string list;
        for (size_t k = 0; k < topics.size(); ++k) {
            if (k) list += k + 1 == topics.size() ? (french ? " et " : " and ") : ", ";
            list += topics[k];
        }
        if (!parts.empty()) parts += "; ";
        parts += list + (french ? " avec " : " with ") + n;
    }
    if (!parts.empty()) s += (french ? " : " : ": ") + parts;
    s += ".";
    if (f.direct_messages > 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      french ? " (taux de réponse : %d %% en groupe, %d %% en direct)"
                             : " (reply rate: %d%% to the group, %d%% one-to-one)",
                      static_cast<int>(f.group_reply_rate * 100 + 0.5), static_cast<int>(f.direct_reply_rate * 100 + 0.5));
        s += buf;
    }
    return s;
}

std::string suggest_insists_on_cc(const InsistsOnCc& f, const std::string& name, const std::string& lang) {
    std::string c = who(name, f.address);
    if (fr(lang))
        return f.cause == "cue" ? c + " demande à rester en copie : laissez cette adresse dans les destinataires de ce fil."
                                : c + " écrit de nouveau dans le fil après avoir été retiré(e) de la copie : remettez cette adresse en copie ou faites un point direct.";
    return f.cause == "cue" ? c + " asked to stay in copy: keep them among this thread's recipients."
                            : c + " came back to the thread after being dropped from copy: put them back in copy or brief them directly.";
}

std::string suggest_stalled_deal(const StalledDeal& f, const std::string& usual_contact, const std::string& lang) {
    bool french = fr(lang);
    std::string c = who(usual_contact, french ? "votre contact habituel" : "your usual contact");
    if (f.reason == "budget")
        return french ? "Blocage budgétaire : pas d'escalade. Proposez à " + c +
                            " un phasage, un périmètre réduit ou un calendrier de paiement, et demandez quand le budget sera revu."
                      : "Budget blocker: no escalation. Offer " + c +
                            " a phased plan, a smaller scope or a payment schedule, and ask when the budget is reviewed.";
    if (f.reason == "technical")
        return french ? "Blocage technique : pas d'escalade. Proposez un échange entre votre avant-vente et leur équipe technique pour lever la contrainte."
                      : "Technical blocker: no escalation. Set up a call between your pre-sales engineer and their technical team to remove the constraint.";
    if (f.escalate)
        return french ? "Blocage organisationnel (" + reason_words(f.reason, true) + ") : préparez votre manager (historique, enjeux, interlocuteurs), prévenez d'abord " + c +
                            ", puis votre manager appelle son homologue N+1/N+2 chez " + f.account + "."
                      : "Organisational blocker (" + reason_words(f.reason, false) + "): brief your manager (history, stakes, people), tell " + c +
                            " first, then your manager calls their counterpart's N+1/N+2 at " + f.account + ".";
    if (f.reason == "champion_hesitant" || f.reason == "consensus_impossible" || f.reason == "not_urgent")
        return french ? "Votre manager est déjà en contact avec " + f.account + " : coordonnez-vous avec lui avant toute nouvelle relance."
                      : "Your manager is already in touch with " + f.account + ": align with them before any new follow-up.";
    return french ? "Le dossier s'enlise sans cause claire : appelez " + c + " pour comprendre ce qui bloque avant une nouvelle relance écrite."
                  : "The deal is stalling without a clear cause: call " + c + " to learn what is blocking before another written follow-up.";
}

std::string suggest_many_internal(const ManyInternalContacts& f, const std::string& lang) {
    if (fr(lang))
        return std::to_string(f.internal_people.size()) + " personnes de chez vous ont écrit à " + f.account +
               " en 30 jours : désignez un interlocuteur privilégié et faites passer les échanges par lui.";
    return std::to_string(f.internal_people.size()) + " people on your side wrote to " + f.account +
           " in 30 days: name one privileged contact and route the exchanges through them.";
}

}  // namespace ilc::detect
