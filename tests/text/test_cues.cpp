// Cue families, FR and EN, with the variants people actually type (case, accents, apostrophe and
// hyphen variants, hard line wraps, inflections) and negatives that must not match.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "interlocutor/text/understand.h"

using namespace ilc::text;

namespace {

bool has(std::string_view text, const char* family) { return !find_cues(text, family).empty(); }

void positives(const char* family, std::initializer_list<const char*> texts) {
    for (const char* t : texts) {
        INFO(family << " should match: " << t);
        CHECK(has(t, family));
    }
}

void negatives(const char* family, std::initializer_list<const char*> texts) {
    for (const char* t : texts) {
        INFO(family << " should not match: " << t);
        CHECK_FALSE(has(t, family));
    }
}

}  // namespace

TEST_CASE("every documented family exists and has FR and EN patterns", "[text.cues]") {
    std::set<std::string> names;
    for (const auto& f : cue_families()) {
        names.insert(f.name);
        CHECK(f.patterns.size() >= 10);
    }
    for (const char* n : {"request", "keep_in_copy", "reschedule", "waiting_management", "consensus", "not_urgent",
                          "budget", "technical", "recap", "decision", "topic_technical", "topic_budget",
                          "topic_planning", "topic_scope", "thanks_closing"})
        CHECK(names.count(n) == 1);
    CHECK(find_cues("pouvez-vous", "no_such_family").empty());
}

TEST_CASE("normalization: case, accents, apostrophes, hyphens, wraps", "[text.cues][text.normalize]") {
    CHECK(fold("J’attends  VOTRE\nretour") == "j attends votre retour");
    CHECK(fold("Pourriez‑vous") == "pourriez vous");          // U+2011 non-breaking hyphen
    CHECK(fold("ÉTÉ, œuvre, Straße") == "ete oeuvre strasse");
    CHECK(fold("e\xCC\x81te\xCC\x81") == "ete");                // NFD accents
    CHECK(fold("bad \xFF\xFE bytes") == "bad bytes");
    auto cues = find_cues("Bonjour,\nJ'attends votre\nretour avant vendredi.");
    REQUIRE_FALSE(cues.empty());
    CHECK(cues[0].family == "request");
    CHECK(cues[0].text == "J'attends votre\nretour");         // the original text, wrap included
}

TEST_CASE("request cues FR/EN", "[text.cues][text.request]") {
    positives("request", {"Pourriez-vous me renvoyer le devis", "Pourriez vous regarder", "POURRAIS-TU regarder",
                          "pouvez-vous me confirmer la date", "Peux-tu m’envoyer le fichier",
                          "Merci de me transmettre la liste", "J’attends votre retour",
                          "Dans l'attente de votre retour, bien à vous", "Qu’en pensez-vous",
                          "Tenez-moi au courant", "Could you send the file", "can you check",
                          "Would you be able to join", "let me know by Friday", "Please confirm the date",
                          "Looking forward to your feedback", "Any update on this", "please send me the deck",
                          "Pourriez-\nvous nous envoyer"});
    negatives("request", {"Le projet avance bien.", "We signed the contract last week.", "Nous avons reçu le devis.",
                          "Cordialement", "The report is attached."});
}

TEST_CASE("expects_reply: question marks and requests, not thanks or closings", "[text.cues][text.request]") {
    CHECK(expects_reply("Où en est le projet ?"));
    CHECK(expects_reply("Could you send the quote by Friday"));
    CHECK(expects_reply("Merci de me confirmer la date."));
    CHECK_FALSE(expects_reply("Merci beaucoup, bonne journée !"));
    CHECK_FALSE(expects_reply("Thanks a lot. Best regards"));
    CHECK_FALSE(expects_reply("Here is the link: https://example.com/page?id=3&x=4"));
    CHECK_FALSE(expects_reply("Let me know if you have any questions.\nBest,"));
    CHECK_FALSE(expects_reply("N'hésitez pas à revenir vers moi si besoin."));
    CHECK_FALSE(expects_reply("Please find attached the minutes."));
    CHECK_FALSE(expects_reply("Thank you for your feedback."));
    CHECK(has_question_mark("Ça vous va ?"));
    CHECK_FALSE(has_question_mark("mailto:a@b.fr?subject=x"));
}

TEST_CASE("keep_in_copy cues", "[text.cues]") {
    positives("keep_in_copy", {"Merci de me mettre en copie de vos échanges", "Laissez-moi en copie svp",
                               "gardez moi en copie", "Merci de me garder bien en copie", "Keep me in copy please",
                               "please cc me on the next emails", "Loop me in when you talk to IT",
                               "copy me on the reply", "keep me in the loop"});
    negatives("keep_in_copy", {"Je mets Paul en copie.", "I copied the file to the server.", "Voici la copie du contrat."});
}

TEST_CASE("reschedule cues", "[text.cues]") {
    positives("reschedule", {"Nous devons reporter la réunion", "Pouvons-nous décaler notre point à jeudi ?",
                             "le rendez-vous est repoussé", "Je vais reprogrammer la démo",
                             "Je dois annuler et reporter", "je ne suis pas disponible ce jour-là",
                             "We need to postpone the demo", "Can we reschedule?", "let's push back the call",
                             "Could we move the meeting to Monday", "I need to cancel our meeting",
                             "Something came up, can we find another date"});
    negatives("reschedule", {"The report is attached.", "Le rapport est en pièce jointe.", "See you Tuesday as planned.",
                             "He reported the bug yesterday."});
}

TEST_CASE("waiting_management cues", "[text.cues]") {
    positives("waiting_management", {"Nous attendons la validation de la direction",
                                     "Je dois attendre l'accord de mon N+1", "Je dois en parler à ma direction",
                                     "I need to run it by my boss", "We are waiting for management approval",
                                     "we need sign-off from our CFO", "c'est entre les mains de ma hiérarchie"});
    negatives("waiting_management", {"The demo went well.", "Nous avons une réunion d'équipe."});
}

TEST_CASE("consensus cues", "[text.cues]") {
    positives("consensus", {"Nous devons nous aligner en interne", "Les équipes ne sont pas d'accord",
                            "chaque service a son avis", "We need to align internally", "there are different views",
                            "no consensus yet among the stakeholders"});
    negatives("consensus", {"Le déploiement est prévu lundi.", "The pilot is going well."});
}

TEST_CASE("not_urgent cues", "[text.cues]") {
    positives("not_urgent", {"Ce n'est pas prioritaire pour nous", "pas urgent", "nous avons d'autres priorités",
                             "on verra l'année prochaine", "It's not a priority right now", "maybe next quarter",
                             "we'll put this on the back-burner", "on the back burner"});
    negatives("not_urgent", {"C'est urgent, merci de traiter aujourd'hui.", "This is our top priority."});
}

TEST_CASE("budget cues", "[text.cues]") {
    positives("budget", {"Le budget est bloqué", "c'est trop cher", "gel des budgets cette année", "too expensive for us",
                         "there is a budget freeze", "we have no budget", "the cost is a concern", "Le coût pose problème"});
    negatives("budget", {"Merci pour la démo d'hier.", "The costume party is Friday.", "See you next week."});
}

TEST_CASE("technical cues", "[text.cues]") {
    positives("technical", {"Nous avons une contrainte technique", "l'intégration avec notre ERP", "revue de sécurité en cours",
                            "it needs a security review", "it does not integrate with SAP", "compatibility with Windows 7",
                            "we need SSO"});
    negatives("technical", {"Rapide point demain ?", "The lunch was great."});
}

TEST_CASE("recap and decision cues", "[text.cues]") {
    positives("recap", {"Récap de la semaine", "Compte-rendu de la réunion", "Point hebdomadaire", "Weekly update",
                        "weekly recap for the team", "Summary of our discussion"});
    negatives("recap", {"Merci pour la démo."});
    positives("decision", {"C'est validé de notre côté", "Nous avons décidé de lancer le pilote", "Accord pour la phase 1",
                           "Bon pour accord", "Approved by finance", "We agreed on the scope", "Go ahead with the order"});
    negatives("decision", {"Ce n'est pas validé", "Rien n'est encore validé", "not approved yet", "Nous réfléchissons."});
}

TEST_CASE("topic cues", "[text.cues]") {
    positives("topic_technical", {"question sur l'API", "the SSO configuration", "installation sur nos serveurs"});
    positives("topic_budget", {"le devis et le contrat", "the quote and the contract", "bon de commande"});
    positives("topic_planning", {"le planning de déploiement", "the go-live date", "the timeline for rollout"});
    positives("topic_scope", {"le périmètre du projet", "nombre d'utilisateurs", "the scope and requirements"});
    negatives("topic_technical", {"It was nice to meet you."});
}

TEST_CASE("understand(): cues and expects_reply come from the new text only", "[text.understand]") {
    ilc::Message m;
    m.from.address = "jean.dupont@client.fr";
    m.subject = "RE: Proposition";
    m.body_text =
        "Merci pour l'envoi.\n\nCordialement,\nJean Dupont\nDirecteur des achats\n\n"
        "-----Message d'origine-----\nDe : Isabelle <i@vendor.fr>\nEnvoyé : lundi 3 novembre 2025 10:12\n"
        "À : Jean Dupont <jean.dupont@client.fr>\nObjet : Proposition\n\n"
        "Pouvez-vous me confirmer le budget ?\n";
    understand(m);
    CHECK(m.new_text == "Merci pour l'envoi.\n\nCordialement,");
    CHECK(m.signature == "Jean Dupont\nDirecteur des achats");
    CHECK(m.quoted.rfind("-----Message d'origine-----", 0) == 0);
    CHECK(m.signature_name == "Jean Dupont");
    CHECK(m.signature_title == "Directeur des achats");
    CHECK_FALSE(m.expects_reply);
    CHECK_FALSE(m.automated);
    CHECK(m.lang == "fr");
    for (const auto& c : m.cues) CHECK(c.family != "budget");
}

TEST_CASE("bad and huge input: no crash, bounded time", "[text.understand][robust]") {
    std::string huge;
    for (int i = 0; i < 40000; ++i) huge += (i % 3 ? "> On Mon, X wrote:\n" : "Pourriez-vous \xFF\xC3 merci de me\n");
    huge += std::string(200000, 'a');  // one absurdly long line
    huge.push_back('\0');
    ilc::Message m;
    m.body_text = huge;
    auto t0 = std::chrono::steady_clock::now();
    understand(m);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    CHECK(ms < 3000);
    // Every byte lands in exactly one part (lines are re-joined with '\n').
    CHECK(m.new_text.size() + m.quoted.size() + m.signature.size() + 2 >= huge.size() - 100000);
    for (const char* s : {"", "\n", "--", "-- \n", ">", "On", "Le 3 nov.\n", "\xC3", "De :\nÀ :\nObjet :"}) {
        ilc::Message e;
        e.body_text = s;
        understand(e);
        CHECK(e.signature_name.size() < 100);
    }
}

TEST_CASE("polite closings, conditional offers and disclaimers expect no reply", "[text.cues][issues.3]") {
    // Wordings from real mail (the Enron review) and their French counterparts.
    for (const char* t : {"Thanks!", "Merci d'avance.", "Let me know if you have any questions.",
                          "Please call me if you have any questions.", "If you need anything, let me know.",
                          "If I can help in any way let me know.", "Please let me know if my information is incorrect.",
                          "Please see the attached comments draft.", "Please note the new address.",
                          "N'hésitez pas à me contacter si besoin.", "Si besoin, merci de me rappeler.",
                          "Pour toute question, merci de me contacter.",
                          "If you received this in error, please contact the sender and delete the material.",
                          "Si vous avez reçu ce message par erreur, merci de le détruire et d'en avertir l'expéditeur."}) {
        INFO(t);
        CHECK_FALSE(expects_reply(t));
    }
    for (const char* t : {"Let me know if you can make it on Tuesday.", "Please send me the signed copy.",
                          "Merci de me renvoyer le contrat signé.", "Hopefully, you can help me with the swaps.",
                          "Thanks. Could you call me tomorrow?", "Merci d'avance de me confirmer la date."}) {
        INFO(t);
        CHECK(expects_reply(t));
    }
}

TEST_CASE("keep_in_copy: only the writer's explicit ask", "[text.cues][issues.3]") {
    positives("keep_in_copy", {"Merci de me garder en copie", "please keep me in the loop", "Loop me in",
                               "cc me on the next ones", "J'aimerais rester en copie de vos échanges",
                               "Gardez-moi dans la boucle", "I'd like to be copied on the contract emails"});
    negatives("keep_in_copy", {"I'll keep you in the loop.", "Please include me in the meeting.",
                               "Paul va être en copie.", "Keep Sarah in the loop.", "Je vous tiendrai dans la boucle.",
                               "Merci de me retirer de la copie.", "You will be cc'd on the confirmation."});
}

TEST_CASE("nothing under a rule line asks: adverts, disclaimers", "[text.cues][issues.3]") {
    CHECK_FALSE(expects_reply("See you there.\n\n__________________________________________________\n"
                              "Do You Yahoo!?\nSend FREE video emails in Yahoo! Mail!"));
    CHECK_FALSE(expects_reply("Noted.\n******************************************************************\n"
                              "This email is confidential. If you are not the addressee please notify us."));
    CHECK(expects_reply("What nite are we going to see this show?\n"
                        "__________________________________________________\nDo You Yahoo!?"));
}
