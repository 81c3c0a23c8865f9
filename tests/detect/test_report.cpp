#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <sstream>

#include "detect_test_util.h"
#include "interlocutor/detect/report.h"

using namespace ilc::detect;
using namespace ilc::detect::test;

TEST_CASE("JSON contract: findings with kind, stakeholders, bare ids", "[detect.report]") {
    Box b;
    size_t q = b.add("q1@x", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Could you send \"it\"?");
    size_t a = b.add("a1@x", "a@acme.com", {"rep@vendor.fr"}, at("2026-10-02 10:00", 2), "Hi");
    b.last().signature_title = "CTO";
    b.thread({a, q});
    auto r = b.run();
    std::string j = to_json(r);
    CHECK(j.rfind("{\"lang\":\"en\",\"findings\":[{\"kind\":\"awaiting_reply\",\"thread_id\":\"a1@x\",\"message_id\":\"q1@x\"", 0) == 0);
    CHECK(j.find("\"first_unanswered\":\"q1@x\"") != std::string::npos);
    CHECK(j.find("\"unanswered_count\":1") != std::string::npos);
    CHECK(j.find("\"over_chasing\":false") != std::string::npos);
    CHECK(j.find("\"stakeholders\":[{\"account\":\"acme.com\",\"address\":\"a@acme.com\"") != std::string::npos);
    CHECK(j.find("\"role\":\"prescriber\"") != std::string::npos);
    CHECK(j.find("\"primary\":true") != std::string::npos);
    CHECK(j.find('<') == std::string::npos);
    CHECK(j.back() == '\n');

    std::string csv = to_csv(r);
    CHECK(csv.rfind("kind,account,thread_id,message_id,address,detail,suggestion\r\n", 0) == 0);
    CHECK(csv.find("awaiting_reply,acme.com,a1@x,q1@x,") != std::string::npos);
    std::string text = to_text(r);
    CHECK(text.rfind("acme.com\n", 0) == 0);
    CHECK(text.find("awaiting reply") != std::string::npos);
}

TEST_CASE("suggestions follow the mailbox language", "[detect.report]") {
    Box b;
    b.settings.lang = "";
    size_t q = b.add("q", "rep@vendor.fr", {"a@acme.com"}, at("2026-11-02 10:00"), "Pourriez-vous me confirmer ?");
    b.last().lang = "fr";
    b.thread({q});
    auto r = b.run();
    CHECK(r.lang == "fr");
    REQUIRE(r.awaiting_reply.size() == 1);
    CHECK(r.awaiting_reply[0].suggestion.find("Relancez") != std::string::npos);
    b.settings.lang = "en";
    CHECK(b.run().awaiting_reply[0].suggestion.find("Follow up") != std::string::npos);
}

TEST_CASE("empty result writes valid, empty arrays", "[detect.report]") {
    AnalysisResult r;
    r.lang = "en";
    CHECK(to_json(r) == "{\"lang\":\"en\",\"findings\":[],\"stakeholders\":[],\"accounts\":[]}\n");
    CHECK(to_text(r) == "No findings.\n");
}

TEST_CASE("suggestions name people as they would be addressed", "[detect.report]") {
    Box b;
    size_t q = b.add("q", "rep@vendor.fr", {"jclarke@acme.com"}, at("2026-11-02 10:00"), "Could you?");
    b.last().to[0].name = "\"Clarke, Jens\"";
    b.thread({q});
    auto r = b.run();
    REQUIRE(r.awaiting_reply.size() == 1);
    CHECK(r.awaiting_reply[0].suggestion.find("Jens Clarke") != std::string::npos);
}

TEST_CASE("JSON output parses and keeps every kind's key fields", "[detect.report]") {
    Box b;
    std::vector<size_t> t;
    for (int k = 0; k < 3; ++k)
        t.push_back(b.add("g" + std::to_string(k), "rep@vendor.fr", {"a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com"},
                          at("2026-10-0" + std::to_string(k + 1) + " 10:00", 2), "Status \"now\"?\n\tok"));
    b.thread(t);
    auto r = b.run();
    Poco::JSON::Parser p;
    auto obj = p.parse(to_json(r, true)).extract<Poco::JSON::Object::Ptr>();
    auto findings = obj->getArray("findings");
    REQUIRE(findings);
    bool aic = false, ar = false;
    for (size_t i = 0; i < findings->size(); ++i) {
        auto f = findings->getObject(static_cast<unsigned>(i));
        std::string kind = f->getValue<std::string>("kind");
        if (kind == "all_in_copy") {
            aic = true;
            CHECK(f->getValue<std::string>("account") == "acme.com");
            CHECK(f->getArray("group_messages")->size() == 3);
        }
        if (kind == "awaiting_reply") {
            ar = true;
            CHECK(f->getValue<int>("unanswered_count") == 3);
            CHECK(f->getValue<bool>("over_chasing"));
            CHECK(f->getValue<std::string>("first_unanswered") == "g0");
        }
    }
    CHECK(aic);
    CHECK(ar);
    CHECK(obj->getArray("stakeholders")->size() == 4);
}

TEST_CASE("write_json streams the same text as to_json, in several pieces", "[detect.report]") {
    AnalysisResult r;
    r.lang = "fr";
    // Enough findings, stakeholders and accounts for several 1 MiB pieces, with text to escape.
    for (int i = 0; i < 6000; ++i) {
        const std::string n = std::to_string(i);
        AwaitingReply a;
        a.thread_id = "t" + n;
        a.message_id = "m" + n;
        a.account = "acme" + n + ".com";
        a.recipients = {"a" + n + "@acme.com", "b@acme.com"};
        a.suggestion = std::string(120, 'x') + " \"relance\"\n\xc3\xa9t\xc3\xa9 " + n;
        r.awaiting_reply.push_back(a);
        Stakeholder s;
        s.account = a.account;
        s.address = a.recipients.front();
        s.name = "Zo\xc3\xa9 " + n;
        s.role = "prescriber";
        s.strength = {{"rep@vendor.fr", 3}};
        r.stakeholders.push_back(s);
        r.accounts.push_back({a.account, 2, 1, {"single_threaded"}});
    }
    for (bool pretty : {false, true}) {
        const std::string whole = to_json(r, pretty);
        REQUIRE(whole.size() > (size_t{3} << 20));
        std::ostringstream streamed;
        write_json(streamed, r, pretty);
        CHECK(streamed.str() == whole);
    }
}
