#include <catch2/catch.hpp>

#include "interlocutor/detect/analyze.h"

using ilc::detect::role_from_title;

TEST_CASE("roles from French and English titles", "[detect.roles]") {
    struct Case { const char* title; const char* role; };
    const Case cases[] = {
        {"CEO", "decision_maker"}, {"PDG", "decision_maker"}, {"DG", "decision_maker"},
        {"Directeur général", "decision_maker"}, {"Directrice Générale", "decision_maker"},
        {"Président-directeur général", "decision_maker"}, {"VP Supply Chain", "decision_maker"},
        {"Vice President, Operations", "decision_maker"}, {"Founder & CEO", "decision_maker"},
        {"Chief Executive Officer", "decision_maker"}, {"Managing Director", "decision_maker"}, {"Gérante", "decision_maker"},
        {"Service juridique", "signatory"}, {"Legal Director", "signatory"}, {"General Counsel", "signatory"},
        {"Responsable achats", "signatory"}, {"Directrice des achats", "signatory"}, {"Acheteuse", "signatory"},
        {"Procurement Officer", "signatory"}, {"Senior Procurement Lead", "signatory"},
        {"DSI", "prescriber"}, {"CTO", "prescriber"}, {"Chief Technology Officer", "prescriber"},
        {"Directeur des Systèmes d'Information", "prescriber"}, {"IT Manager", "prescriber"},
        {"Responsable IT", "prescriber"}, {"Enterprise Architect", "prescriber"}, {"Ingénieure réseau", "prescriber"},
        {"Executive Assistant", "end_user"}, {"Assistante de direction", "end_user"}, {"Utilisateur référent", "end_user"},
        {"Scheduling Operator", "end_user"}, {"Operations Assistant", "end_user"}, {"Opératrice", "end_user"},
        {"Directeur commercial", "influencer"}, {"Directrice commerciale", "influencer"}, {"Sales Director", "influencer"},
        {"Chef de projet", "influencer"}, {"Project Lead, Operations", "influencer"}, {"Senior Project Lead", "influencer"},
        {"Quality Manager", "unknown"}, {"Responsable qualité", "unknown"}, {"Chargé de communication", "unknown"},
        {"HR Business Partner", "unknown"}, {"Communications Lead", "unknown"}, {"", "unknown"},
        {"I will send it tomorrow", "unknown"}, {"Product Owner", "unknown"},
        {"Secrétaire générale", "decision_maker"}, {"Directeur Général Adjoint", "decision_maker"},
        {"Head of IT", "prescriber"}, {"Directeur technique", "prescriber"}, {"Key User", "end_user"},
    };
    for (const auto& c : cases) {
        INFO(c.title);
        CHECK(role_from_title(c.title) == c.role);
    }
}
