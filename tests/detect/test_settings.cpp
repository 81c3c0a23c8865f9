#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "interlocutor/detect/settings.h"

using namespace ilc::detect;

TEST_CASE("config: thresholds, managers and account merges", "[detect.config]") {
    auto r = parse_config(
        "# team config\n"
        "managers = [marc.moreau@ardentis.fr, Other@ardentis.fr]\n"
        "\n"
        "[thresholds]\n"
        "awaiting_reply_business_days = 5   # slower clients\n"
        "all_in_copy_min_share = 70%\n"
        "all_in_copy_max_recap_share = 0.4\n"
        "[accounts]\n"
        "merge = acme.com acme-group.com\n");
    REQUIRE(r.ok());
    CHECK(r->thresholds.awaiting_reply_business_days == 5);
    CHECK(r->thresholds.all_in_copy_min_share == Approx(0.7));
    CHECK(r->thresholds.all_in_copy_max_recap_share == Approx(0.4));
    CHECK(r->thresholds.stalled_quiet_business_days == 10);  // untouched default
    REQUIRE(r->managers.size() == 2);
    CHECK(r->managers[1] == "other@ardentis.fr");
    REQUIRE(r->account_merges.size() == 1);
    CHECK(r->account_merges[0] == std::vector<std::string>{"acme.com", "acme-group.com"});
    AnalysisSettings s;
    apply_config(*r, s);
    CHECK(s.thresholds.awaiting_reply_business_days == 5);
    CHECK(s.managers.size() == 2);
}

TEST_CASE("config errors name the line", "[detect.config]") {
    auto bad_number = parse_config("[thresholds]\n\nover_chasing_count = three\n");
    REQUIRE_FALSE(bad_number.ok());
    CHECK(bad_number.error().message.find("line 3") != std::string::npos);
    CHECK(bad_number.error().message.find("over_chasing_count") != std::string::npos);

    auto unknown = parse_config("[thresholds]\nawaiting_reply_days = 3\n");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("line 2") != std::string::npos);

    auto section = parse_config("[thresholds\n");
    REQUIRE_FALSE(section.ok());
    CHECK(section.error().message.find("line 1") != std::string::npos);

    auto no_eq = parse_config("managers\n");
    REQUIRE_FALSE(no_eq.ok());
    auto merge_one = parse_config("[accounts]\nmerge = acme.com\n");
    REQUIRE_FALSE(merge_one.ok());
    auto share = parse_config("[thresholds]\nall_in_copy_min_share = 1.5\n");
    REQUIRE_FALSE(share.ok());
    auto sect = parse_config("[weird]\n");
    REQUIRE_FALSE(sect.ok());
}

TEST_CASE("config and holidays files", "[detect.config]") {
    auto missing = load_config("/nonexistent/interlocutor.conf");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ilc::ErrorCode::io);
    auto h = load_holidays(std::string(ILC_CORPORA) + "/dev/holidays.txt");
    REQUIRE(h.ok());
    CHECK(h->count("2026-11-11") == 1);
    CHECK(h->size() >= 10);
    std::string path = "/tmp/ilc_detect_bad_holidays.txt";
    { std::ofstream(path) << "2026-01-01\nnot a date\n"; }
    auto bad = load_holidays(path);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("line 2") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("ISO 8601 instants", "[detect.config]") {
    auto a = parse_iso8601("2026-11-12T10:00:00+01:00");
    REQUIRE(a.ok());
    CHECK(*a == 1794474000);  // 09:00 UTC
    CHECK(*parse_iso8601("2026-11-12T09:00:00Z") == *a);
    CHECK(*parse_iso8601("2026-11-12T04:00:00-05:00") == *a);
    CHECK(*parse_iso8601("2026-11-12T09:00:00.250Z") == *a);
    CHECK_FALSE(parse_iso8601("yesterday").ok());
    CHECK_FALSE(parse_iso8601("2026-11-12X10").ok());
}

TEST_CASE("the example in docs/CONFIG.md parses", "[detect.config]") {
    std::ifstream in(std::string(ILC_TEST_DATA) + "/../../docs/CONFIG.md");
    REQUIRE(in);
    std::string line, block;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.rfind("```", 0) == 0) {
            if (inside) break;
            inside = line == "```ini";
            continue;
        }
        if (inside) block += line + "\n";
    }
    REQUIRE_FALSE(block.empty());
    auto r = parse_config(block);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->managers == std::vector<std::string>{"marc.moreau@ardentis.fr"});
    CHECK(r->tz == "Europe/Paris");
    CHECK(r->thresholds.all_in_copy_min_share == Approx(0.6));
    CHECK(r->account_merges.size() == 1);
}
