#include <catch2/catch.hpp>

#include "interlocutor/detect/identity.h"

using namespace ilc::detect;

TEST_CASE("organization is the registrable domain per the public suffix list", "[detect.identity]") {
    CHECK(organization_of("x@mail.acme.co.uk") == "acme.co.uk");
    CHECK(organization_of("X@Mail.ACME.co.uk") == "acme.co.uk");
    CHECK(organization_of("a@staff.westbrook.ac.uk") == "westbrook.ac.uk");
    CHECK(organization_of("b@exchange.nordlicht-energie.de") == "nordlicht-energie.de");
    CHECK(organization_of("c@atlasfreight.com.au") == "atlasfreight.com.au");
    CHECK(organization_of("<d@portail-achats.vauclair.ch>") == "vauclair.ch");
}

TEST_CASE("free-mail addresses are their own organization", "[detect.identity]") {
    CHECK(organization_of("Jean.Dupont@gmail.com") == "jean.dupont@gmail.com");
    CHECK(organization_of("gitesduvercors@wanadoo.fr") == "gitesduvercors@wanadoo.fr");
    CHECK(organization_of("a@hotmail.co.uk") == "a@hotmail.co.uk");
    CHECK(organization_of("a@yahoo.fr") == "a@yahoo.fr");
    CHECK(organization_of("a@gmx.de") == "a@gmx.de");
    CHECK(organization_of("a@orange.fr") == "a@orange.fr");
    CHECK(is_freemail_domain("protonmail.com"));
    CHECK_FALSE(is_freemail_domain("orange-business.com"));
    CHECK_FALSE(is_freemail_domain("acme.co.uk"));
}

TEST_CASE("bad addresses do not crash", "[detect.identity]") {
    CHECK(organization_of("") == "");
    CHECK(organization_of("no-at-sign") == "no-at-sign");
    CHECK(organization_of("x@") == "x@");
    CHECK(organization_of("x@co.uk") == "co.uk");
    CHECK(domain_of("a@B.com") == "b.com");
}

TEST_CASE("identity: owner, internal, accounts, direction", "[detect.identity]") {
    Identity id({"Rep@Vendor.fr", "r2@vendor.fr"}, {}, {"boss@vendor.fr"}, {{"acme.com", "acme-group.com"}});
    CHECK(id.is_owner("rep@vendor.fr"));
    CHECK_FALSE(id.is_owner("colleague@vendor.fr"));
    CHECK(id.is_internal("colleague@vendor.fr"));   // default: the owner's organizations
    CHECK(id.is_internal("x@mail.vendor.fr"));
    CHECK_FALSE(id.is_internal("x@acme.com"));
    CHECK(id.account_of("x@acme-group.com") == "acme.com");  // merged accounts
    CHECK(id.account_of("colleague@vendor.fr").empty());
    CHECK(id.is_manager("BOSS@vendor.fr"));
    CHECK(id.person_key("r2@vendor.fr") == "rep@vendor.fr");
    ilc::Message m;
    m.from.address = "r2@vendor.fr";
    CHECK(id.direction(m) == Direction::outbound);
    m.from.address = "colleague@vendor.fr";
    CHECK(id.direction(m) == Direction::inbound);
}

TEST_CASE("a free-mail owner's colleagues are not internal", "[detect.identity]") {
    Identity id({"me@gmail.com"}, {}, {});
    CHECK(id.is_internal("me@gmail.com"));
    CHECK_FALSE(id.is_internal("other@gmail.com"));
    CHECK(id.account_of("other@gmail.com") == "other@gmail.com");
    Identity explicit_domain({"me@gmail.com"}, {"vendor.fr"}, {});
    CHECK(explicit_domain.is_internal("a@vendor.fr"));
    CHECK(explicit_domain.is_internal("a@eu.vendor.fr"));
}

TEST_CASE("identity from analysis settings", "[detect.identity]") {
    AnalysisSettings s;
    s.owners = {"rep@vendor.fr"};
    s.account_merges = {{"acme.com", "acme.de"}};
    Identity id = Identity::from_settings(s);
    CHECK(id.is_internal("x@vendor.fr"));
    CHECK(id.account_of("y@acme.de") == "acme.com");
}
