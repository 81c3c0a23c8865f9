#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "detect_test_util.h"
#include "interlocutor/detect/mail_corpus.h"
#include "interlocutor/detect/report.h"
#include "interlocutor/threading/threader.h"

using namespace ilc::detect;
using namespace ilc::detect::test;

namespace {

template <typename V>
const typename V::value_type* find_msg(const V& v, const std::string& message_id) {
    for (const auto& f : v)
        if (f.message_id == message_id) return &f;
    return nullptr;
}

}  // namespace

// ------------------------------------------------------------------ awaiting_reply

TEST_CASE("awaiting_reply: an unanswered question, counted in business days", "[detect.awaiting_reply]") {
    Box b;
    size_t q = b.add("q1", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you send the specs?");
    b.thread({q});
    auto r = b.run();
    REQUIRE(r.awaiting_reply.size() == 1);
    const auto& f = r.awaiting_reply[0];
    CHECK(f.message_id == "q1");
    CHECK(f.first_unanswered == "q1");
    CHECK(f.unanswered_count == 1);
    CHECK_FALSE(f.over_chasing);
    CHECK(f.waiting_business_days == 7);  // 3,4,5,6,9,10,12 Nov (11 Nov is a holiday)
    CHECK(f.account == "acme.com");
    CHECK(f.thread_id == "q1");
    CHECK(f.next_follow_up >= "2026-11-13");
    CHECK_FALSE(f.suggestion.empty());
}

TEST_CASE("awaiting_reply: chasers after the last answer, over-chasing from the third", "[detect.awaiting_reply]") {
    Box b;
    size_t a = b.add("m1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-01 10:00"), "Any news?");
    size_t r1 = b.add("m2", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-02 10:00"), "Soon.");
    size_t c1 = b.add("m3", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-12 10:00", 2), "Could you confirm the date?");
    size_t in = b.add("m4", "colleague@vendor.fr", {"rep@vendor.fr"}, at("2026-10-13 10:00", 2), "FYI?");
    size_t c2 = b.add("m5", "r.ep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "Any update?");
    size_t c3 = b.add("m6", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Can you let me know?");
    b.thread({a, r1, c1, in, c2, c3});
    auto r = b.run();
    REQUIRE(r.awaiting_reply.size() == 1);
    CHECK(r.awaiting_reply[0].message_id == "m6");
    CHECK(r.awaiting_reply[0].first_unanswered == "m3");
    CHECK(r.awaiting_reply[0].unanswered_count == 3);
    CHECK(r.awaiting_reply[0].over_chasing);
    CHECK(r.awaiting_reply[0].suggestion.find("Change the approach") != std::string::npos);
}

TEST_CASE("awaiting_reply hard negatives", "[detect.awaiting_reply]") {
    SECTION("answered by a colleague of the recipient (same organization)") {
        Box b;
        size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you?");
        size_t ans = b.add("ans", "b@eu.acme.com", {"rep@vendor.fr"}, at("2026-11-03 10:00"), "Here it is.");
        b.thread({q, ans});
        CHECK(b.run().awaiting_reply.empty());
    }
    SECTION("the latest outbound message only thanks; the question was before") {
        Box b;
        size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you?");
        size_t t = b.add("t", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-03 10:00"), "Thanks, have a nice day.");
        b.last().quoted = "> Could you?";
        b.thread({q, t});
        CHECK(b.run().awaiting_reply.empty());
    }
    SECTION("asked only 2 business days ago because of the holiday") {
        Box b;
        size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-09 10:00"), "Could you?");
        b.thread({q});
        CHECK(b.run().awaiting_reply.empty());
    }
    SECTION("only internal recipients") {
        Box b;
        size_t q = b.add("q", "rep@vendor.fr", {"colleague@vendor.fr"}, at("2026-11-02 10:00"), "Could you?");
        b.thread({q});
        CHECK(b.run().awaiting_reply.empty());
    }
    SECTION("a reply dated before the question is no answer, wherever it sits in the tree") {
        Box b;
        size_t old = b.add("old", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-30 10:00"), "Hello.");
        size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you?");
        b.thread({q, old});
        auto r = b.run();
        REQUIRE(r.awaiting_reply.size() == 1);
        CHECK(r.awaiting_reply[0].unanswered_count == 1);
    }
}

TEST_CASE("awaiting_reply: an out-of-office after a chaser is no answer", "[detect.awaiting_reply]") {
    Box b;
    size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you?");
    size_t ooo1 = b.add("ooo1", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-02 10:01"), "I am away until Monday.");
    b.last().automated = true;
    b.last().automated_reason = "ooo";
    // Not classified at ingest, but its subject says what it is.
    size_t ooo2 = b.add("ooo2", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-03 10:01"), "Back on Monday?");
    b.last().subject = "Réponse automatique : Project";
    b.thread({q, ooo1, ooo2});
    auto r = b.run();
    REQUIRE(r.awaiting_reply.size() == 1);
    CHECK(r.awaiting_reply[0].message_id == "q");
    CHECK(r.awaiting_my_reply.empty());
}

// ------------------------------------------------------------------ awaiting_my_reply

TEST_CASE("awaiting_my_reply: a question to the owner, unanswered", "[detect.awaiting_my_reply]") {
    Box b;
    size_t o = b.add("o", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Here is the offer.");
    size_t q = b.add("q", "a@acme.com", {"r.ep@vendor.fr"}, at("2026-11-05 10:00"), "Pouvez-vous me confirmer le prix ?");
    b.thread({o, q});
    auto r = b.run();
    REQUIRE(r.awaiting_my_reply.size() == 1);
    CHECK(r.awaiting_my_reply[0].message_id == "q");
    CHECK(r.awaiting_my_reply[0].waiting_business_days == 4);  // 6, 9, 10, 12 Nov
    CHECK(r.awaiting_my_reply[0].account == "acme.com");
}

TEST_CASE("awaiting_my_reply hard negatives", "[detect.awaiting_my_reply]") {
    SECTION("owner only in Cc") {
        Box b;
        size_t q = b.add("q", "a@acme.com", {"x@acme.com"}, at("2026-11-02 10:00"), "Could you check?", {"rep@vendor.fr"});
        b.thread({q});
        CHECK(b.run().awaiting_my_reply.empty());
    }
    SECTION("a thanks whose question mark is only in the quoted history") {
        Box b;
        size_t q = b.add("q", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-02 10:00"), "Thanks a lot!");
        b.last().quoted = "> Could you confirm?";
        b.thread({q});
        CHECK(b.run().awaiting_my_reply.empty());
    }
    SECTION("internal sender") {
        Box b;
        size_t q = b.add("q", "colleague@vendor.fr", {"rep@vendor.fr"}, at("2026-11-02 10:00"), "Could you?");
        b.thread({q});
        CHECK(b.run().awaiting_my_reply.empty());
    }
    SECTION("the rep answered later") {
        Box b;
        size_t q = b.add("q", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-02 10:00"), "Could you?");
        size_t a = b.add("a", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 12:00"), "Sure.");
        b.thread({q, a});
        CHECK(b.run().awaiting_my_reply.empty());
    }
    SECTION("received the day before the holiday: 1 business day") {
        Box b;
        size_t q = b.add("q", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-10 10:00"), "Could you?");
        b.thread({q});
        CHECK(b.run().awaiting_my_reply.empty());
    }
    SECTION("a newsletter with a question") {
        Box b;
        size_t q = b.add("q", "news@acme.com", {"rep@vendor.fr"}, at("2026-11-02 10:00"), "Did you see our offers?");
        b.last().list_unsubscribe = "<mailto:unsub@acme.com>";
        b.thread({q});
        CHECK(b.run().awaiting_my_reply.empty());
    }
}

// ------------------------------------------------------------------ all_in_copy

namespace {
const std::vector<std::string> kGroup = {"a@acme.com", "b@acme.com", "c@acme.com", "it@acme.com"};
}

TEST_CASE("all_in_copy: most outbound mails to >= 4 people of one organization", "[detect.all_in_copy]") {
    Box b;
    std::vector<size_t> t;
    for (int k = 0; k < 3; ++k)
        t.push_back(b.add("g" + std::to_string(k), "rep@vendor.fr", kGroup, at("2026-10-0" + std::to_string(k + 1) + " 10:00", 2),
                          "Status?"));
    size_t tech = b.add("tech", "it@acme.com", {"rep@vendor.fr"}, at("2026-10-05 10:00", 2), "The API integration?");
    cue(b.last(), "topic_technical", "API");
    b.last().signature_title = "DSI";
    t.push_back(tech);
    b.thread(t);
    auto r = b.run();
    REQUIRE(r.all_in_copy.size() == 1);
    const auto& f = r.all_in_copy[0];
    CHECK(f.account == "acme.com");
    CHECK(f.group_messages == std::vector<std::string>{"g0", "g1", "g2"});
    CHECK(f.recipients.size() == 4);
    CHECK(f.group_reply_rate == Approx(1.0 / 3));
    auto it = std::find_if(f.topics.begin(), f.topics.end(), [](const TopicContact& c) { return c.topic == "technical"; });
    REQUIRE(it != f.topics.end());
    CHECK(it->address == "it@acme.com");
    CHECK(f.suggestion.find("it@acme.com") != std::string::npos);
    CHECK(f.suggestion.find("weekly recap") != std::string::npos);
}

TEST_CASE("all_in_copy hard negatives", "[detect.all_in_copy]") {
    SECTION("weekly recaps to the group") {
        Box b;
        std::vector<size_t> t;
        for (int k = 0; k < 3; ++k) {
            t.push_back(b.add("g" + std::to_string(k), "rep@vendor.fr", kGroup, at("2026-10-0" + std::to_string(k + 1) + " 10:00", 2), "Hello"));
            if (k > 0) cue(b.last(), "recap", "weekly recap");
        }
        b.thread(t);
        CHECK(b.run().all_in_copy.empty());
    }
    SECTION("3 group mails out of 6 outbound messages") {
        Box b;
        std::vector<size_t> t;
        for (int k = 0; k < 6; ++k)
            t.push_back(b.add("g" + std::to_string(k), "rep@vendor.fr",
                              k % 2 ? std::vector<std::string>{"a@acme.com"} : kGroup,
                              at("2026-10-0" + std::to_string(k + 1) + " 10:00", 2), "Hello"));
        b.thread(t);
        CHECK(b.run().all_in_copy.empty());
    }
    SECTION("3 people of the organization and a free-mail consultant") {
        Box b;
        std::vector<size_t> t;
        for (int k = 0; k < 4; ++k)
            t.push_back(b.add("g" + std::to_string(k), "rep@vendor.fr", {"a@acme.com", "b@acme.com", "c@acme.com", "consultant@gmail.com"},
                              at("2026-10-0" + std::to_string(k + 1) + " 10:00", 2), "Hello"));
        b.thread(t);
        CHECK(b.run().all_in_copy.empty());
    }
}

// ------------------------------------------------------------------ insists_on_cc

TEST_CASE("insists_on_cc: a keep-me-in-copy cue, or writing after being dropped", "[detect.insists_on_cc]") {
    Box b;
    size_t m1 = b.add("m1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-01 10:00", 2), "Hello", {"b@acme.com"});
    size_t m2 = b.add("m2", "c@acme.com", {"rep@vendor.fr"}, at("2026-10-02 10:00", 2), "Merci de me garder en copie.");
    cue(b.last(), "keep_in_copy", "garder en copie");
    size_t m3 = b.add("m3", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-05 10:00", 2), "Next step");
    size_t m4 = b.add("m4", "b@acme.com", {"rep@vendor.fr", "a@acme.com"}, at("2026-10-06 10:00", 2), "I am still here.");
    b.thread({m1, m2, m3, m4});
    auto r = b.run();
    REQUIRE(r.insists_on_cc.size() == 2);
    auto c = std::find_if(r.insists_on_cc.begin(), r.insists_on_cc.end(), [](auto& f) { return f.address == "c@acme.com"; });
    auto bb = std::find_if(r.insists_on_cc.begin(), r.insists_on_cc.end(), [](auto& f) { return f.address == "b@acme.com"; });
    REQUIRE(c != r.insists_on_cc.end());
    REQUIRE(bb != r.insists_on_cc.end());
    CHECK(c->cause == "cue");
    CHECK(bb->cause == "reappeared");
    CHECK(bb->message_id == "m4");
    CHECK(bb->thread_id == "m1");
}

TEST_CASE("insists_on_cc hard negatives", "[detect.insists_on_cc]") {
    SECTION("a new participant introduced by the client was never dropped") {
        Box b;
        size_t m1 = b.add("m1", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-01 10:00", 2), "Hello");
        size_t m2 = b.add("m2", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-02 10:00", 2), "Je mets en copie Denis.", {"d@acme.com"});
        size_t m3 = b.add("m3", "d@acme.com", {"rep@vendor.fr"}, at("2026-10-03 10:00", 2), "Hello.");
        b.thread({m1, m2, m3});
        CHECK(b.run().insists_on_cc.empty());
    }
    SECTION("a keep-me-in-copy written by an internal colleague") {
        Box b;
        size_t m1 = b.add("m1", "colleague@vendor.fr", {"rep@vendor.fr"}, at("2026-10-01 10:00", 2), "Keep me in copy");
        cue(b.last(), "keep_in_copy");
        b.thread({m1});
        CHECK(b.run().insists_on_cc.empty());
    }
    SECTION("a forward to a colleague inside the thread drops nobody") {
        Box b;
        size_t m1 = b.add("m1", "rep@vendor.fr", {"a@acme.com", "b@acme.com"}, at("2026-10-01 10:00", 2), "Hello");
        size_t m2 = b.add("m2", "rep@vendor.fr", {"colleague@vendor.fr"}, at("2026-10-02 10:00", 2), "FYI");
        size_t m3 = b.add("m3", "b@acme.com", {"rep@vendor.fr"}, at("2026-10-03 10:00", 2), "Fine.");
        b.thread({m1, m2, m3});
        CHECK(b.run().insists_on_cc.empty());
    }
    SECTION("dropped from copy but never wrote again") {
        Box b;
        size_t m1 = b.add("m1", "rep@vendor.fr", {"a@acme.com", "b@acme.com"}, at("2026-10-01 10:00", 2), "Hello");
        size_t m2 = b.add("m2", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-02 10:00", 2), "Hello again");
        size_t m3 = b.add("m3", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-03 10:00", 2), "Fine.");
        b.thread({m1, m2, m3});
        CHECK(b.run().insists_on_cc.empty());
    }
}

// ------------------------------------------------------------------ stalled_deal

namespace {

// An account that was active (6 messages, 3 inbound, before its last inbound L on 15 Oct) and
// then went quiet while the rep chased once.
Box stalled_box(const std::string& reason_family, bool chased = true) {
    Box b;
    std::vector<size_t> t;
    for (int k = 0; k < 6; ++k) {
        bool out = k % 2 == 0;
        t.push_back(b.add("s" + std::to_string(k), out ? "rep@vendor.fr" : "a@acme.com",
                          {out ? "a@acme.com" : "rep@vendor.fr"}, at("2026-09-0" + std::to_string(k + 1) + " 10:00", 2),
                          "Step " + std::to_string(k)));
    }
    t.push_back(b.add("L", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-15 10:00", 2), "We will see."));
    if (!reason_family.empty()) cue(b.last(), reason_family);
    if (chased) t.push_back(b.add("chase", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-29 10:00"), "Any news?"));
    // An automated portal notice from the account's domain after L changes nothing.
    t.push_back(b.add("portal", "noreply@portal.acme.com", {"rep@vendor.fr"}, at("2026-11-05 10:00"), "Your supplier file?"));
    b.thread(t);
    return b;
}

const StalledDeal* stalled(const AnalysisResult& r, const std::string& acct) {
    for (const auto& f : r.stalled_deal)
        if (f.account == acct) return &f;
    return nullptr;
}

}  // namespace

TEST_CASE("stalled_deal: went quiet after activity, chased, with the reason and escalation", "[detect.stalled_deal]") {
    SECTION("not urgent: organisational, escalate") {
        auto r = stalled_box("not_urgent").run();
        const auto* f = stalled(r, "acme.com");
        REQUIRE(f);
        CHECK(f->reason == "not_urgent");
        CHECK(f->escalate);
        CHECK(f->since == "2026-10-15T10:00:00+02:00");
        CHECK(f->path == "quiet");
        CHECK(f->risk > 0);
        CHECK(f->risk <= 100);
        CHECK(std::find(f->evidence.begin(), f->evidence.end(), "L") != f->evidence.end());
        CHECK(f->suggestion.find("brief your manager") != std::string::npos);
    }
    SECTION("budget: never escalate") {
        auto r = stalled_box("budget").run();
        REQUIRE(stalled(r, "acme.com"));
        CHECK(stalled(r, "acme.com")->reason == "budget");
        CHECK_FALSE(stalled(r, "acme.com")->escalate);
    }
    SECTION("technical: never escalate") {
        auto r = stalled_box("technical").run();
        REQUIRE(stalled(r, "acme.com"));
        CHECK(stalled(r, "acme.com")->reason == "technical");
        CHECK_FALSE(stalled(r, "acme.com")->escalate);
    }
    SECTION("waiting for management with one engaged person: champion hesitant") {
        auto r = stalled_box("waiting_management").run();
        REQUIRE(stalled(r, "acme.com"));
        CHECK(stalled(r, "acme.com")->reason == "champion_hesitant");
        CHECK(stalled(r, "acme.com")->escalate);
    }
    SECTION("no cue: unknown, no escalation") {
        auto r = stalled_box("").run();
        REQUIRE(stalled(r, "acme.com"));
        CHECK(stalled(r, "acme.com")->reason == "unknown");
        CHECK_FALSE(stalled(r, "acme.com")->escalate);
    }
    SECTION("a manager who already wrote to the account: no escalation") {
        Box b = stalled_box("not_urgent");
        size_t m = b.add("mgr", "boss@vendor.fr", {"ceo@acme.com"}, at("2026-10-20 10:00", 2), "Shall we meet?");
        b.thread({m});
        auto r = b.run();
        REQUIRE(stalled(r, "acme.com"));
        CHECK(stalled(r, "acme.com")->reason == "not_urgent");
        CHECK_FALSE(stalled(r, "acme.com")->escalate);
    }
}

TEST_CASE("stalled_deal: consensus needs three engaged people", "[detect.stalled_deal]") {
    Box b = stalled_box("consensus");
    size_t x = b.add("x", "b@acme.com", {"rep@vendor.fr"}, at("2026-10-01 10:00", 2), "My view.");
    size_t y = b.add("y", "c@acme.com", {"rep@vendor.fr"}, at("2026-10-02 10:00", 2), "Another view.");
    b.thread({x});
    b.thread({y});
    auto r = b.run();
    REQUIRE(stalled(r, "acme.com"));
    CHECK(stalled(r, "acme.com")->reason == "consensus_impossible");
    CHECK(stalled(r, "acme.com")->escalate);
}

TEST_CASE("stalled_deal hard negatives", "[detect.stalled_deal]") {
    SECTION("a quiet account nobody chases") {
        CHECK_FALSE(stalled(stalled_box("not_urgent", false).run(), "acme.com"));
    }
    SECTION("never answered: no inbound at all") {
        Box b;
        std::vector<size_t> t;
        for (int k = 0; k < 8; ++k)
            t.push_back(b.add("o" + std::to_string(k), "rep@vendor.fr", {"a@cold.com"}, at("2026-09-0" + std::to_string(k + 1) + " 10:00", 2), "Hello?"));
        b.thread(t);
        CHECK_FALSE(stalled(b.run(), "cold.com"));
    }
    SECTION("fewer than 6 messages before the last inbound") {
        Box b;
        std::vector<size_t> t;
        t.push_back(b.add("1", "rep@vendor.fr", {"a@acme.com"}, at("2026-09-01 10:00", 2), "Hello"));
        t.push_back(b.add("2", "a@acme.com", {"rep@vendor.fr"}, at("2026-09-02 10:00", 2), "Hi"));
        t.push_back(b.add("3", "rep@vendor.fr", {"a@acme.com"}, at("2026-09-03 10:00", 2), "Offer"));
        t.push_back(b.add("4", "a@acme.com", {"rep@vendor.fr"}, at("2026-09-04 10:00", 2), "Thanks"));
        t.push_back(b.add("L", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-01 10:00", 2), "Later"));
        t.push_back(b.add("6", "rep@vendor.fr", {"a@acme.com"}, at("2026-10-20 10:00", 2), "News?"));
        b.thread(t);
        CHECK_FALSE(stalled(b.run(), "acme.com"));
    }
}

TEST_CASE("stalled_deal: meetings pushed back twice in 30 days", "[detect.stalled_deal]") {
    Box b;
    size_t m1 = b.add("r1", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-20 10:00", 2), "We need to postpone the meeting.");
    cue(b.last(), "reschedule", "postpone");
    size_t m2 = b.add("r2", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-10 10:00"), "Could we push back again? Not a priority now.");
    cue(b.last(), "reschedule", "push back");
    cue(b.last(), "not_urgent", "not a priority");
    b.thread({m1, m2});
    auto r = b.run();
    const auto* f = stalled(r, "acme.com");
    REQUIRE(f);
    CHECK(f->path == "reschedule");
    CHECK(f->reason == "not_urgent");
    CHECK(f->since == "2026-11-10T10:00:00+01:00");
}

// ------------------------------------------------------------------ many_internal_contacts

TEST_CASE("many_internal_contacts: four internal people in 30 days, the owner once", "[detect.many_internal]") {
    Box b;
    std::vector<size_t> t;
    t.push_back(b.add("1", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Hello"));
    t.push_back(b.add("2", "r.ep@vendor.fr", {"a@acme.com"}, at("2026-11-03 10:00"), "Hello"));
    t.push_back(b.add("3", "x@vendor.fr", {"a@acme.com"}, at("2026-11-04 10:00"), "Hello"));
    t.push_back(b.add("4", "y@vendor.fr", {"a@acme.com"}, at("2026-11-05 10:00"), "Hello"));
    // Too old to count.
    t.push_back(b.add("5", "z@vendor.fr", {"a@acme.com"}, at("2026-09-01 10:00", 2), "Hello"));
    b.thread(t);
    CHECK(b.run().many_internal_contacts.empty());
    b.add("6", "z@vendor.fr", {"rep@vendor.fr"}, at("2026-11-06 10:00"), "Hello", {"b@acme.com"});
    b.thread({b.msgs.size() - 1});
    auto r = b.run();
    REQUIRE(r.many_internal_contacts.size() == 1);
    CHECK(r.many_internal_contacts[0].account == "acme.com");
    CHECK(r.many_internal_contacts[0].internal_people.size() == 4);
}

// ------------------------------------------------------------------ stakeholders

TEST_CASE("stakeholders: roles from signatures, the primary contact, warnings", "[detect.stakeholders]") {
    Box b;
    std::vector<size_t> t;
    t.push_back(b.add("1", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Hello?", {"ceo@acme.com"}));
    t.push_back(b.add("2", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-03 10:00"), "Hi"));
    b.last().signature_title = "Directrice des achats";
    t.push_back(b.add("3", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-04 10:00"), "Price?"));
    t.push_back(b.add("4", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-05 10:00"), "Here"));
    t.push_back(b.add("5", "ceo@acme.com", {"rep@vendor.fr"}, at("2026-11-06 10:00"), "Noted"));
    b.last().signature_title = "PDG";
    b.thread(t);
    auto r = b.run();
    std::map<std::string, Stakeholder> by;
    for (const auto& s : r.stakeholders) by[s.address] = s;
    REQUIRE(by.count("a@acme.com"));
    REQUIRE(by.count("ceo@acme.com"));
    CHECK(by["a@acme.com"].role == "signatory");
    CHECK(by["ceo@acme.com"].role == "decision_maker");
    CHECK(by["a@acme.com"].primary);
    CHECK_FALSE(by["ceo@acme.com"].primary);
    REQUIRE_FALSE(by["a@acme.com"].strength.empty());
    CHECK(by["a@acme.com"].strength[0].internal == "rep@vendor.fr");
    CHECK(by["a@acme.com"].strength[0].strength >= 3);
    REQUIRE(r.accounts.size() == 1);
    CHECK(r.accounts[0].warnings.empty());
}

TEST_CASE("stakeholders: single-threaded account without a decision maker", "[detect.stakeholders]") {
    Box b;
    size_t m = b.add("1", "a@acme.com", {"rep@vendor.fr"}, at("2026-11-02 10:00"), "Hi");
    b.last().signature_title = "Chef de projet";
    b.thread({m});
    auto r = b.run();
    REQUIRE(r.accounts.size() == 1);
    CHECK(r.accounts[0].warnings == std::vector<std::string>{"single_threaded", "no_decision_maker"});
}

TEST_CASE("analysis survives empty and broken input", "[detect.robustness]") {
    Box b;
    CHECK(b.run().stakeholders.empty());
    b.add("", "", {}, 0, "");
    b.add("x", "rep@vendor.fr", {"", "a@acme.com"}, -5, "?");
    ilc::Thread t;
    t.id = "x";
    t.members = {0, 1, 99};  // an index out of range is ignored
    b.threads.push_back(t);
    auto r = b.run();
    CHECK(r.lang == "en");
}

TEST_CASE("stakeholders: a title found under the sender's name when ingest found none", "[detect.stakeholders]") {
    Box b;
    size_t m1 = b.add("1", "zvidal@clinic.fr", {"rep@vendor.fr"}, at("2026-11-02 10:00"),
                      "Chère Isabelle,\n\nCombien de temps ?\n\nBien cordialement,\n\nZoé Vidal\nResponsable achats\n"
                      "Polyclinique du Lac\nLigne directe : +33 6 33 72 73 98\n\nPensez à l'environnement.");
    // No display name and no signature name: the lines after the closing give them.
    size_t m2 = b.add("2", "shoffmann@uni.ac.uk", {"rep@vendor.fr"}, at("2026-11-02 11:00"),
                      "Thanks.\n\nKind regards,\nSinead Hoffmann | General Counsel | Westbrook University\nDirect: +1 70");
    b.last().from.name = "Sinead Hoffmann";
    // A sentence that starts with the sender's name is no signature.
    size_t m3 = b.add("3", "ann@corp.com", {"rep@vendor.fr"}, at("2026-11-02 12:00"), "Ann\n+33 1 23 45 67 89");
    b.last().from.name = "Ann";
    b.thread({m1});
    b.thread({m2});
    b.thread({m3});
    auto r = b.run();
    std::map<std::string, Stakeholder> by;
    for (const auto& s : r.stakeholders) by[s.address] = s;
    CHECK(by["zvidal@clinic.fr"].role == "signatory");
    CHECK(by["zvidal@clinic.fr"].title == "Responsable achats");
    CHECK(by["shoffmann@uni.ac.uk"].role == "signatory");
    CHECK(by["ann@corp.com"].role == "unknown");

    // The same on slim records (analyze and serve): the title is found once, while loading.
    MailMaker make(&b.settings);
    std::vector<Mail> mails;
    for (ilc::Message m : b.msgs) mails.push_back(make(std::move(m)));
    CHECK(mails[m1].text_title == "Responsable achats");
    CHECK(mails[m2].text_title == "General Counsel");
    CHECK(mails[m3].text_title.empty());
    CHECK(to_json(analyze(mails, b.threads, b.settings)) == to_json(r));
}

TEST_CASE("next_follow_up: later as chasers pile up, never before the contact's usual delay", "[detect.awaiting_reply]") {
    auto follow_up = [](int chasers, bool slow_contact) {
        Box b;
        std::vector<size_t> t;
        if (slow_contact) {
            // The contact usually answers after 8 business days.
            t.push_back(b.add("h1", "rep@vendor.fr", {"a@acme.com"}, at("2026-06-01 10:00", 2), "Could you?"));
            t.push_back(b.add("h2", "a@acme.com", {"rep@vendor.fr"}, at("2026-06-11 10:00", 2), "Here."));
        }
        for (int k = 0; k < chasers; ++k)
            t.push_back(b.add("c" + std::to_string(k), "rep@vendor.fr", {"a@acme.com"},
                              at("2026-11-0" + std::to_string(2 + k) + " 10:00"), "Any news?"));
        b.thread(t);
        auto r = b.run();
        REQUIRE(r.awaiting_reply.size() == 1);
        return r.awaiting_reply[0].next_follow_up;
    };
    std::string one = follow_up(1, false), two = follow_up(2, false), three = follow_up(3, false);
    CHECK(one < two);
    CHECK(two < three);
    // Sent 2 Nov; an 8-business-day habit means not before 13 Nov (11 Nov is a holiday).
    CHECK(follow_up(1, true) >= "2026-11-13");
    CHECK(follow_up(1, false) >= "2026-11-13");  // never in the past: at least the next business day
}

// ------------------------------------------------------------------ slim records (MailCorpus)

TEST_CASE("MailCorpus: the Mails view one shared text and thread as their Messages do", "[detect.mail]") {
    std::vector<ilc::Message> msgs(3);
    msgs[0].message_id = "a@x.com";
    msgs[0].subject = "Budget";
    msgs[0].from = {"Ann", "ann@acme.com"};
    msgs[0].to = {{"Rep", "rep@vendor.fr"}};
    msgs[0].date = 1000;
    msgs[1].message_id = "b@x.com";
    msgs[1].subject = "Re: Budget";
    msgs[1].from = {"Rep", "rep@vendor.fr"};
    msgs[1].to = {{"Ann", "ann@acme.com"}};
    msgs[1].in_reply_to = {"a@x.com"};
    msgs[1].references = {"a@x.com"};
    msgs[1].date = 2000;
    msgs[2].message_id = "c@x.com";
    msgs[2].subject = "Re: Budget";
    msgs[2].from = {"Ann", "ann@acme.com"};
    msgs[2].to = {{"Rep", "rep@vendor.fr"}};
    msgs[2].cc = {{"Bob", "bob@acme.com"}};
    msgs[2].in_reply_to = {"b@x.com"};
    msgs[2].references = {"gone@x.com", "a@x.com", "b@x.com"};  // one of them never stored
    msgs[2].list_id = "<deals.acme.com>";
    msgs[2].date = 3000;
    const std::vector<ilc::Thread> expected = ilc::threading::thread_messages_in_place(msgs);

    MailCorpus corpus;
    std::vector<ilc::Message> batch = msgs;  // add() moves from the batch
    corpus.add(batch, batch.size());
    const std::vector<ilc::Thread> threads = corpus.thread({});
    REQUIRE(threads.size() == expected.size());
    for (size_t t = 0; t < threads.size(); ++t) {
        CHECK(threads[t].id == expected[t].id);
        CHECK(threads[t].members == expected[t].members);
    }
    const auto& m = corpus.mails;
    REQUIRE(m.size() == 3);
    CHECK(m[0].message_id == "a@x.com");
    CHECK(m[2].cc.size() == 1);
    CHECK(m[2].cc[0].name == "Bob");
    CHECK(m[2].cc[0].address == "bob@acme.com");
    // Repeated strings are stored once: the views are the same bytes.
    CHECK(m[0].from.address.data() == m[2].from.address.data());
    CHECK(m[1].subject.data() == m[2].subject.data());
    CHECK(m[0].to[0].address.data() == m[1].from.address.data());
    corpus.release();
    CHECK(corpus.mails.empty());
}

TEST_CASE("MailText: strings and recipient lists in one pointer each, mailboxes stored once", "[detect.mail]") {
    MailText text;
    // "" is no string; other strings read back as they were added, interned ones once.
    CHECK(text.add("").empty());
    CHECK(text.intern("").view().empty());
    const MailString a = text.add("Budget 2026");
    CHECK(a == "Budget 2026");
    CHECK(a.size() == 11);
    CHECK(std::string(a) == "Budget 2026");
    const MailString b = text.intern("ann@acme.com");
    CHECK(text.intern("ann@acme.com").data() == b.data());
    CHECK(text.add("ann@acme.com").data() != b.data());  // add() copies
    CHECK(text.add("ann@acme.com") == b);                 // the same text
    CHECK(b < std::string_view("bob@acme.com"));

    std::vector<ilc::Mailbox> list;
    for (int i = 0; i < 40; ++i) list.push_back({i % 2 ? "Ann" : "", "p" + std::to_string(i % 5) + "@acme.com"});
    list.push_back({"", ""});  // a mailbox with neither is kept, as in the Message
    const MailAddressList l = text.add_list(list);
    REQUIRE(l.size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        CHECK(l[i].address == list[i].address);
        CHECK(l[i].name == list[i].name);
    }
    size_t n = 0;
    for (const auto& mb : l) CHECK(mb.address == list[n++].address);
    CHECK(n == list.size());
    CHECK(&l[0] == &l[10]);    // the same (address, name): one MailAddress
    CHECK(&l[0] != &l[5]);     // same address, another name
    CHECK(text.add_list({}).empty());
    CHECK(MailAddressList().begin() == MailAddressList().end());

    // Sealed: what was handed out stays, and adding still works (without the sharing).
    const MailAddressList before = text.add_list({{"Bob", "bob@acme.com"}});
    text.seal();
    const MailAddressList after = text.add_list({{"Bob", "bob@acme.com"}, {"Ann", "ann@acme.com"}});
    CHECK(before[0].name == "Bob");
    CHECK(after.size() == 2);
    CHECK(after[0].address == "bob@acme.com");
    CHECK(after[1].name == "Ann");
    CHECK(l.back().address.empty());
    CHECK(text.intern("ann@acme.com") == "ann@acme.com");
}
