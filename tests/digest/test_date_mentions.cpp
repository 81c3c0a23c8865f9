// Date mentions FR/EN, ISO weeks and account names.
#include <catch2/catch.hpp>

#include "interlocutor/detect/business_days.h"
#include "interlocutor/digest/date_mentions.h"
#include "interlocutor/digest/digest.h"

using namespace ilc;

namespace {
std::vector<std::string> dates(const std::string& text, const std::string& ref, const std::string& lang = "fr") {
    std::vector<std::string> out;
    for (const auto& m : digest::find_dates(text, detect::parse_iso_date(ref), lang)) out.push_back(detect::iso_date(m.day));
    return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("French and English dates are normalized to ISO dates", "[digest.dates]") {
    const std::string ref = "2026-11-12";
    CHECK(dates("On signe le 28 novembre, c'est décidé.", ref) == V{"2026-11-28"});
    CHECK(dates("Livraison vendredi 20/11 au plus tard", ref) == V{"2026-11-20"});
    CHECK(dates("Please send it by November 28.", ref, "en") == V{"2026-11-28"});
    CHECK(dates("Deadline: Nov. 30th, 2026", ref, "en") == V{"2026-11-30"});
    CHECK(dates("the 3rd of December works", ref, "en") == V{"2026-12-03"});
    CHECK(dates("Kick-off on 2026-12-07 then 14/12/2026", ref) == V{"2026-12-07", "2026-12-14"});
    CHECK(dates("Le 1er décembre et le 15 Février", ref) == V{"2026-12-01", "2027-02-15"});
    CHECK(dates("Rendez-vous le 5 janvier", ref) == V{"2027-01-05"});  // the next January
    CHECK(dates("Our call on 11/20", ref, "en") == V{"2026-11-20"});
    CHECK(dates("Reçu le 2 novembre", ref) == V{"2026-11-02"});      // past dates are still found
}

TEST_CASE("weekdays alone are the next such day after the message", "[digest.dates]") {
    const std::string ref = "2026-11-12";  // a Thursday
    CHECK(dates("Sure, let's do Monday at 9:30.", ref, "en") == V{"2026-11-16"});
    CHECK(dates("Prochain point : vendredi prochain, même heure.", ref) == V{"2026-11-13"});
    CHECK(dates("On se voit jeudi ?", ref) == V{"2026-11-19"});  // today's weekday means next week
    CHECK(dates("Support du lundi au vendredi de 8h à 19h", ref).empty());
    CHECK(dates("open Monday to Friday", ref, "en").empty());
    CHECK(dates("vendredi 20/11", ref) == V{"2026-11-20"});  // the date, not the weekday
}

TEST_CASE("things that are no dates are not dates", "[digest.dates]") {
    const std::string ref = "2026-11-12";
    CHECK(dates("le 31/02 n'existe pas", ref).empty());
    CHECK(dates("version 1/2/3/4 and ratio 45/60", ref).empty());
    CHECK(dates("2026-13-45", ref).empty());
    CHECK(dates("We may 2 people", ref, "en").size() <= 1);  // ambiguous English "may" at worst one date
    CHECK(dates("", ref).empty());
}

TEST_CASE("sentences around a mention", "[digest.dates]") {
    std::string t = "Bonjour.\nNous validons le budget. Signature le 28 novembre au siège !\nMerci";
    auto m = digest::find_dates(t, detect::parse_iso_date("2026-11-12"), "fr");
    REQUIRE(m.size() == 1);
    CHECK(digest::sentence_at(t, m[0].offset) == "Signature le 28 novembre au siège !");
    CHECK(digest::sentences(t) == V{"Bonjour.", "Nous validons le budget.", "Signature le 28 novembre au siège !", "Merci"});
}

TEST_CASE("ISO weeks", "[digest.week]") {
    auto w = digest::parse_iso_week("2026-W47");
    REQUIRE(w);
    CHECK(detect::iso_date(w->first_day()) == "2026-11-16");
    CHECK(w->to_string() == "2026-W47");
    auto now = digest::iso_week_of_day(detect::parse_iso_date("2026-11-12"));
    CHECK(now.year == 2026);
    CHECK(now.week == 46);
    auto jan = digest::iso_week_of_day(detect::parse_iso_date("2027-01-01"));  // a Friday of 2026-W53
    CHECK(jan.year == 2026);
    CHECK(jan.week == 53);
    CHECK(digest::parse_iso_week("2026-W53"));
    CHECK_FALSE(digest::parse_iso_week("2025-W53"));
    CHECK_FALSE(digest::parse_iso_week("2026-W00"));
    CHECK_FALSE(digest::parse_iso_week("2026-47"));
    CHECK_FALSE(digest::parse_iso_week("semaine 47"));
    CHECK(digest::parse_iso_week("2026w05"));
}

TEST_CASE("account display names come from the domain", "[digest.week]") {
    CHECK(digest::account_display_name("acme.com") == "Acme");
    CHECK(digest::account_display_name("groupe-durand.fr") == "Groupe Durand");
    CHECK(digest::account_display_name("jean.dupont@gmail.com") == "Jean Dupont");
}
