// The digest's part of the config file (docs/CONFIG.md "Account names and reps"): parsed here,
// the rest handed to the detectors' parser with its line numbers intact.
#include <catch2/catch.hpp>

#include <algorithm>

#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/digest/digest.h"
#include "interlocutor/digest/digest_config.h"

using namespace ilc;

TEST_CASE("account names and reps are read from the config; the rest goes to the detectors", "[digest.config]") {
    const std::string text =
        "managers = [marc.moreau@ardentis.fr]\n"
        "[accounts]\n"
        "merge = acme.com acme-group.com\n"
        "Acme-Group.com = Acme  # the group's name\n"
        "groupe-durand.fr = Groupe Durand SA\n"
        "\n"
        "[reps]\n"
        "Isabelle Charpentier = isabelle.charpentier@ardentis.fr, ICharpentier@ardentis.fr\n"
        "Vincent Poirier = [vincent.poirier@ardentis.fr]\n"
        "[thresholds]\n"
        "over_chasing_count = 4\n";
    auto split = digest::split_config(text);
    REQUIRE(split);
    const auto& d = split->digest;
    CHECK(d.account_names.size() == 2);
    CHECK(d.account_names.at("acme-group.com") == "Acme");
    CHECK(d.account_names.at("groupe-durand.fr") == "Groupe Durand SA");
    REQUIRE(d.reps.size() == 2);
    CHECK(d.reps[0].name == "Isabelle Charpentier");
    CHECK(d.reps[0].addresses == std::vector<std::string>{"isabelle.charpentier@ardentis.fr", "icharpentier@ardentis.fr"});
    CHECK(d.reps[1].addresses == std::vector<std::string>{"vincent.poirier@ardentis.fr"});
    // Same number of lines, and the detectors accept what is left.
    CHECK(std::count(split->rest.begin(), split->rest.end(), '\n') == std::count(text.begin(), text.end(), '\n'));
    auto cfg = detect::parse_config(split->rest);
    INFO((cfg.ok() ? std::string() : cfg.error().to_string()));
    REQUIRE(cfg);
    CHECK(cfg->thresholds.over_chasing_count == 4);
    CHECK(cfg->account_merges.size() == 1);
    CHECK(cfg->managers == std::vector<std::string>{"marc.moreau@ardentis.fr"});

    // A name given for a merged organization names the account; others come from the domain.
    detect::Identity id({"me@ardentis.fr"}, {"ardentis.fr"}, {}, cfg->account_merges);
    CHECK(digest::account_name_for("acme.com", d.account_names, id) == "Acme");
    CHECK(digest::account_name_for("groupe-durand.fr", d.account_names, id) == "Groupe Durand SA");
    CHECK(digest::account_name_for("calloway-mfg.com", d.account_names, id) == "Calloway Mfg");
}

TEST_CASE("mistakes in the digest's config lines name the line", "[digest.config]") {
    auto r = digest::split_config("[reps]\nIsabelle = \n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("line 2") != std::string::npos);
    r = digest::split_config("# team\n[reps]\nIsabelle = isabelle.charpentier\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("line 3") != std::string::npos);
    CHECK(r.error().message.find("not an address") != std::string::npos);
    r = digest::split_config("[reps]\njust a name\n");
    REQUIRE_FALSE(r);
    r = digest::split_config("[accounts]\nacme.com =\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("line 2") != std::string::npos);
    // A key the digest does not own stays for the detectors, which refuse it with its own line.
    auto ok = digest::split_config("\n[accounts]\nmerger = a.com b.com\n");
    REQUIRE(ok);
    auto cfg = detect::parse_config(ok->rest);
    REQUIRE_FALSE(cfg);
    CHECK(cfg.error().message.find("line 3") != std::string::npos);
}
