// The precision rules added after the Enron review (docs/ENRON_REVIEW.md), one hand-built
// mailbox per rule with the case it must drop and the case it must keep. Their counterparts on
// real mail are in test_enron_real.cpp.
#include <catch2/catch.hpp>

#include "detect_test_util.h"

using namespace ilc::detect;
using namespace ilc::detect::test;

TEST_CASE("a sent mail stored twice under two ids is one mail", "[detect.precision][issues.4]") {
    Box b;
    size_t a = b.add("copy-a", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Could you send the specs?");
    size_t c = b.add("copy-b", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Could you  send\nthe specs?");
    size_t r1 = b.add("reply", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-21 10:00", 2), "Here they are.");
    b.thread({a});
    b.thread({c, r1});
    auto r = b.run();
    // The copy in the answered thread stands for the mail: nothing awaits.
    CHECK(r.awaiting_reply.empty());
    SECTION("chasers are not doubled by copies") {
        Box d;
        size_t m1 = d.add("m1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Any news?");
        size_t m1b = d.add("m1b", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Any news?");
        size_t m2 = d.add("m2", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Any update?");
        d.thread({m1, m1b, m2});
        auto rr = d.run();
        REQUIRE(rr.awaiting_reply.size() == 1);
        CHECK(rr.awaiting_reply[0].unanswered_count == 2);
    }
    SECTION("a second mail with the same words but another date is a real chaser") {
        Box d;
        size_t m1 = d.add("m1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Any news?");
        size_t m2 = d.add("m2", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-27 10:00"), "Any news?");
        d.thread({m1, m2});
        auto rr = d.run();
        REQUIRE(rr.awaiting_reply.size() == 1);
        CHECK(rr.awaiting_reply[0].unanswered_count == 2);
    }
}

TEST_CASE("questions older than the horizon are stale", "[detect.precision][issues.4]") {
    Box b;
    size_t old = b.add("old", "rep@vendor.fr", {"a@acme.com"}, at("2026-06-01 10:00", 2), "Could you call me?");
    size_t in = b.add("in", "b@beta.com", {"rep@vendor.fr"}, at("2026-07-01 10:00", 2), "Can you send a quote?");
    b.thread({old});
    b.thread({in});
    b.settings.thresholds.awaiting_max_age_days = 90;  // the setting docs/CONFIG.md recommends for archives
    auto r = b.run();
    CHECK(r.awaiting_reply.empty());
    CHECK(r.awaiting_my_reply.empty());
    b.settings.thresholds.awaiting_max_age_days = 0;  // off
    r = b.run();
    CHECK(r.awaiting_reply.size() == 1);
    CHECK(r.awaiting_my_reply.size() == 1);
}

TEST_CASE("bulk mail without list headers yields nothing", "[detect.precision][issues.3]") {
    Box b;
    std::vector<std::string> many;
    for (int k = 0; k < 25; ++k) many.push_back("p" + std::to_string(k) + "@acme.com");
    many.push_back("rep@vendor.fr");
    size_t bc = b.add("bc", "boss@acme.com", many, at("2026-11-02 10:00"), "Can everyone send me their hours?");
    size_t nl = b.add("nl", "newsletter@acme.com", {"rep@vendor.fr"}, at("2026-11-02 11:00"), "Are you ready for 2027?");
    size_t un = b.add("un", "x@acme.com", {"Undisclosed-Recipients:;"}, at("2026-11-02 12:00"), "Want a demo?");
    size_t ok = b.add("ok", "y@acme.com", {"rep@vendor.fr"}, at("2026-11-02 12:00"), "Can you send the quote?");
    b.thread({bc});
    b.thread({nl});
    b.thread({un});
    b.thread({ok});
    auto r = b.run();
    REQUIRE(r.awaiting_my_reply.size() == 1);
    CHECK(r.awaiting_my_reply[0].message_id == "ok");
}

TEST_CASE("a sender who only broadcasts and was never written to is automated", "[detect.precision][issues.4]") {
    Box b;
    for (int k = 0; k < 4; ++k) {
        size_t i = b.add("promo" + std::to_string(k), "john@seminars.com", {"rep@vendor.fr"},
                         at("2026-10-2" + std::to_string(k) + " 10:00", 2), "Will you join our seminar?");
        b.thread({i});
    }
    // Off by default: the same shape is a prospect the rep keeps ignoring.
    auto r = b.run();
    CHECK(r.awaiting_my_reply.size() == 4);
    b.settings.thresholds.one_way_sender_min_threads = 4;
    r = b.run();
    CHECK(r.awaiting_my_reply.empty());
    // The same sender, once answered by the rep, is a correspondent again.
    size_t ans = b.add("ans", "rep@vendor.fr", {"john@seminars.com"}, at("2026-09-01 10:00", 2), "Thanks.");
    b.thread({ans});
    r = b.run();
    CHECK(r.awaiting_my_reply.size() == 4);
}

TEST_CASE("reappeared: a plain reply-all is not insisting", "[detect.precision][issues.4]") {
    // Friends on a group mail: the rep answers one friend (another organization), a second friend
    // then answers everyone. Nobody was dropped from the rep's exchange with their organization.
    Box b;
    size_t m1 = b.add("m1", "rep@vendor.fr", {"ann@gmail.com", "bob@yahoo.com"}, at("2026-10-01 10:00", 2), "Party?");
    size_t m2 = b.add("m2", "ann@gmail.com", {"rep@vendor.fr"}, at("2026-10-02 10:00", 2), "Yes!");
    size_t m3 = b.add("m3", "rep@vendor.fr", {"ann@gmail.com"}, at("2026-10-03 10:00", 2), "Great.");
    size_t m4 = b.add("m4", "bob@yahoo.com", {"rep@vendor.fr", "ann@gmail.com"}, at("2026-10-04 10:00", 2), "Me too.");
    b.thread({m1, m2, m3, m4});
    auto r = b.run();
    CHECK(r.insists_on_cc.empty());
    SECTION("dropped while the rep goes on with their company, then writing back: insisting") {
        Box d;
        size_t n1 = d.add("n1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-01 10:00", 2), "Hello", {"b@acme.com"});
        size_t n2 = d.add("n2", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-05 10:00", 2), "Next step");
        size_t n3 = d.add("n3", "b@acme.com", {"rep@vendor.fr"}, at("2026-10-06 10:00", 2), "I am still here.", {"a@acme.com"});
        d.thread({n1, n2, n3});
        auto rr = d.run();
        REQUIRE(rr.insists_on_cc.size() == 1);
        CHECK(rr.insists_on_cc[0].cause == "reappeared");
    }
}
