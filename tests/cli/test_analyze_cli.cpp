// `interlocutor analyze`, `threads` and `inspect` end to end: the JSON contract of SPEC
// "Command line and JSON", scored on the labeled dev corpus with ../shared/eval/score.py.
#include <catch2/catch.hpp>

#include "cli_helpers.h"

using namespace ilc::test;

namespace {

struct DevRun {
    std::string analyze, threads, score;
};

const DevRun& dev_run() {
    static DevRun r = [] {
        DevRun d;
        const std::string dev = corpora() + "/dev";
        const std::string db = temp_dir() + "/dev.db";
        auto ing = run(bin() + " ingest --quiet --db " + quote(db) + " " + quote(dev + "/mbox/INBOX.mbox") + " " +
                       quote(dev + "/mbox/Sent.mbox") + " " + quote(dev + "/mbox/Archives.mbox") +
                       " --me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr"
                       " --internal-domain ardentis.fr >/dev/null");
        REQUIRE(ing.status == 0);
        auto a = run(bin() + " analyze --db " + quote(db) +
                     " --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " + quote(dev + "/holidays.txt") +
                     " --manager marc.moreau@ardentis.fr --format json");
        REQUIRE(a.status == 0);
        d.analyze = a.out;
        auto t = run(bin() + " threads --db " + quote(db) + " --format json");
        REQUIRE(t.status == 0);
        d.threads = t.out;
        const std::string tmp = temp_dir();
        {
            FILE* f = std::fopen((tmp + "/a.json").c_str(), "w");
            std::fwrite(d.analyze.data(), 1, d.analyze.size(), f);
            std::fclose(f);
            f = std::fopen((tmp + "/t.json").c_str(), "w");
            std::fwrite(d.threads.data(), 1, d.threads.size(), f);
            std::fclose(f);
        }
        const std::string score = std::string(ILC_SHARED) + "/eval/score.py";
        auto s = run("python3 " + quote(score) + " --labels " + quote(dev + "/labels.json") + " --analyze " +
                     quote(tmp + "/a.json") + " --threads " + quote(tmp + "/t.json"));
        d.score = s.out;
        return d;
    }();
    return r;
}

}  // namespace

TEST_CASE("analyze --format json follows the contract", "[cli.analyze]") {
    const auto& d = dev_run();
    CHECK(d.analyze.rfind("{", 0) == 0);
    CHECK(d.analyze.find("\"findings\":[") != std::string::npos);
    CHECK(d.analyze.find("\"stakeholders\":[") != std::string::npos);
    for (const char* kind : {"awaiting_reply", "awaiting_my_reply", "all_in_copy", "insists_on_cc", "stalled_deal",
                             "many_internal_contacts"}) {
        INFO(kind);
        CHECK(d.analyze.find(std::string("\"kind\":\"") + kind + "\"") != std::string::npos);
    }
    // Message ids are bare: no angle brackets anywhere in ids.
    CHECK(d.analyze.find("\"message_id\":\"<") == std::string::npos);
}

TEST_CASE("dev-set scores", "[cli.analyze][issues.4][issues.12]") {
    const auto& d = dev_run();
    INFO(d.score);
    // The summary line: "SUMMARY min_F1=0.xxx (...) | F1 ar=.. | ... | threads pairF1=0.xxx ..."
    auto p = d.score.find("SUMMARY min_F1=");
    REQUIRE(p != std::string::npos);
    const double min_f1 = std::atof(d.score.c_str() + p + 15);
    auto t = d.score.find("pairF1=", p);
    REQUIRE(t != std::string::npos);
    const double thread_f1 = std::atof(d.score.c_str() + t + 7);
    WARN(d.score.substr(p));
    CHECK(thread_f1 >= 0.98);
    CHECK(min_f1 >= ILC_DEV_MIN_F1);
}

TEST_CASE("threads --format text shows trees", "[cli.threads]") {
    const std::string db = temp_dir() + "/t.db";
    REQUIRE(run(bin() + " ingest --quiet --db " + quote(db) + " " + quote(corpora() + "/dev/mbox/INBOX.mbox") +
                " >/dev/null").status == 0);
    auto t = run(bin() + " threads --db " + quote(db) + " --format text");
    REQUIRE(t.status == 0);
    CHECK(t.out.size() > 1000);
}

TEST_CASE("inspect shows how a message was understood", "[cli.inspect]") {
    // A reply from the dev corpus: new text, quoted part, signature and cues are all present.
    auto r = run(bin() + " inspect --format json --me isabelle.charpentier@ardentis.fr " +
                 quote(corpora() + "/dev/eml/Sent/1.eml"));
    REQUIRE(r.status == 0);
    for (const char* key : {"\"message_id\"", "\"from\"", "\"to\"", "\"cc\"", "\"date\"", "\"subject\"",
                            "\"direction\": \"outbound\"", "\"automated\"", "\"new_text\"", "\"quoted\"",
                            "\"signature\"", "\"expects_reply\"", "\"cues\"", "\"warnings\""}) {
        INFO(key);
        CHECK(r.out.find(key) != std::string::npos);
    }
    auto missing = run(bin() + " inspect --db " + quote(temp_dir() + "/none.db") + " --message-id x@y 2>&1");
    CHECK(missing.status == 1);
}
