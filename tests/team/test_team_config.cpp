// The [team] section of the config file (split_team_config, then analyze and publish reading it)
// and the scheduled publish of `interlocutor serve --publish-team`, on real mail of corpora/dev
// and the PostgreSQL cluster that with_pg.sh started.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "interlocutor/team/team_config.h"
#include "interlocutor/team/team_store.h"
#include "team_test_helpers.h"

using namespace ilc;

namespace {

const std::string kMe = "--me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr";

std::string analysis_flags() {
    return " --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " +
           test::quote(test::corpora() + "/dev/holidays.txt") + " --manager marc.moreau@ardentis.fr";
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// Every value of a rep's rows in every team table, as one text.
std::string dump_rep(team::SqlConnection& c, const std::string& rep) {
    std::string all;
    for (const char* t : {"team_reps", "team_accounts", "team_threads", "team_participants", "team_contacts", "team_findings"}) {
        auto r = c.query(std::string("SELECT * FROM ") + t + " WHERE rep = $1", {rep});
        REQUIRE(r.ok());
        for (const auto& row : r.value())
            for (const auto& v : row)
                if (v) all += *v + "\n";
    }
    return all;
}

using test::count_of;
using test::read_file;

}  // namespace

TEST_CASE("split_team_config takes the sharing keys out and keeps line numbers", "[team.config]") {
    const std::string text =
        "managers = [m@ardentis.fr]\n"
        "[team]\n"
        "url = postgresql://ilc@/ilc_team?host=/tmp\n"
        "rep = Isabelle\n"
        "private_accounts = Secret.fr, other.fr\n"
        "exclusive_contacts = [CEO@acme.com]\n"
        "publish_every = 15m   # the service's schedule\n"
        "tz = Europe/Paris\n"
        "[thresholds]\n"
        "over_chasing_count = 4\n";
    auto s = team::split_team_config(text);
    REQUIRE(s.ok());
    CHECK(s->team.present);
    CHECK(s->team.url == "postgresql://ilc@/ilc_team?host=/tmp");
    CHECK(s->team.rep == "Isabelle");
    CHECK(s->team.private_accounts == std::vector<std::string>{"secret.fr", "other.fr"});
    CHECK(s->team.exclusive_contacts == std::vector<std::string>{"ceo@acme.com"});
    CHECK(s->team.publish_every_seconds == 900);
    // Same line count; the detectors' keys (tz in [team] too) stay where they were.
    CHECK(count_of(s->rest, "\n") == count_of(text, "\n"));
    CHECK(s->rest.find("url") == std::string::npos);
    CHECK(s->rest.find("secret.fr") == std::string::npos);
    CHECK(s->rest.find("tz = Europe/Paris") != std::string::npos);
    CHECK(s->rest.find("over_chasing_count = 4") != std::string::npos);

    auto bad = team::split_team_config("[team]\nrep = x\npublish_every = soon\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("config line 3") != std::string::npos);
    CHECK_FALSE(team::split_team_config("[team]\nexclusive_contacts = acme.com\n").ok());
    CHECK_FALSE(team::split_team_config("[team]\nprivate_accounts = a@acme.com\n").ok());
    CHECK_FALSE(team::split_team_config("[team]\nurl =\n").ok());
    CHECK(team::parse_duration_seconds("30s") == 30);
    CHECK(team::parse_duration_seconds("1h") == 3600);
    CHECK(team::parse_duration_seconds("45") == 45);
    CHECK_FALSE(team::parse_duration_seconds("0s"));
    CHECK_FALSE(team::parse_duration_seconds("-5m"));
    CHECK_FALSE(team::parse_duration_seconds("8d"));
    CHECK_FALSE(team::parse_duration_seconds("99999999999"));
    // Values whose product with the unit overflows 32 (and 64) bits are refused, not wrapped
    // around to a small positive interval.
    CHECK_FALSE(team::parse_duration_seconds("999999999h"));
    CHECK_FALSE(team::parse_duration_seconds("1193047h"));       // 2^32 s + 1904 s: wraps to 1904 s in 32 bits
    CHECK_FALSE(team::parse_duration_seconds("5124095576030432h"));  // wraps to 3584 s in 64 bits
    CHECK_FALSE(team::parse_duration_seconds("99999999999999999999999999s"));
    CHECK(team::parse_duration_seconds("168h") == 7 * 24 * 3600);
    CHECK(team::parse_duration_seconds("0000030s") == 30);
}

TEST_CASE("one config with [team] serves analyze and publish; its private account never reaches PostgreSQL",
          "[team.config]") {
    const std::string pg = test::team_urls().back();
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    const std::string db = dir + "/rep.db";
    REQUIRE(test::run(B + " ingest " + test::quote(test::corpora() + "/dev/eml") + " --db " + test::quote(db) + " " + kMe +
                      " > /dev/null").status == 0);

    // A first publish without any privacy, to pick an account and a contact that do get shared.
    REQUIRE(test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(db) + " --rep cfgrep" +
                      analysis_flags() + " > /dev/null").status == 0);
    auto conn = team::open_connection(pg);
    REQUIRE(conn.ok());
    auto rows = conn.value()->query(
        "SELECT account, contact FROM team_contacts WHERE rep = 'cfgrep' AND contact IS NOT NULL ORDER BY strength DESC, account, contact");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() >= 2);
    const std::string exclusive_contact = *rows->at(0)[1];
    std::string private_account;
    for (const auto& r : rows.value())
        if (*r[0] != *rows->at(0)[0]) private_account = *r[0];
    REQUIRE_FALSE(private_account.empty());
    const std::string before = dump_rep(*conn.value(), "cfgrep");
    REQUIRE(before.find(private_account) != std::string::npos);
    REQUIRE(before.find(exclusive_contact) != std::string::npos);

    // The config: the detectors' keys and [team] in one file, [team] in the middle.
    const std::string cfg = dir + "/ilc.conf";
    const std::string cfg_text = "managers = [marc.moreau@ardentis.fr]\n"
                                 "[team]\n"
                                 "url = " + pg + "\n"
                                 "rep = cfgrep\n"
                                 "private_accounts = " + private_account + "\n"
                                 "exclusive_contacts = " + exclusive_contact + "\n"
                                 "publish_every = 15m\n"
                                 "[thresholds]\n"
                                 "over_chasing_count = 3\n";
    write_file(cfg, cfg_text);

    // analyze reads the same file, with the same findings as without it (the thresholds are the
    // defaults and the manager is the one analysis_flags() gives).
    auto plain = test::run(B + " analyze --db " + test::quote(db) + analysis_flags() + " --format json");
    auto with_cfg = test::run(B + " analyze --db " + test::quote(db) + analysis_flags() + " --config " + test::quote(cfg) +
                              " --format json");
    REQUIRE(plain.status == 0);
    REQUIRE(with_cfg.status == 0);
    CHECK(with_cfg.out == plain.out);
    // A mistake after [team] is reported at its own line: the [team] lines were blanked, not removed.
    write_file(dir + "/bad.conf", cfg_text + "over_chasing_count = three\n");
    auto bad = test::run(B + " analyze --db " + test::quote(db) + " --config " + test::quote(dir + "/bad.conf") +
                         " --format json 2>&1");
    CHECK(bad.status != 0);
    CHECK(bad.out.find("line 10") != std::string::npos);
    write_file(dir + "/bad_team.conf", "[team]\nrep = x\nexclusive_contacts = not-an-address\n");
    auto bad_team = test::run(B + " analyze --db " + test::quote(db) + " --config " + test::quote(dir + "/bad_team.conf") +
                              " --format json 2>&1");
    CHECK(bad_team.status != 0);
    CHECK(bad_team.out.find("line 3") != std::string::npos);

    // publish takes the url, the rep and the sharing policy from [team].
    auto p = test::run(B + " publish --db " + test::quote(db) + " --config " + test::quote(cfg) + analysis_flags());
    REQUIRE(p.status == 0);
    CHECK(p.out.find("published for cfgrep") != std::string::npos);
    const std::string after = dump_rep(*conn.value(), "cfgrep");
    CHECK(after.find(private_account) == std::string::npos);
    CHECK(after.find(exclusive_contact) == std::string::npos);
    CHECK(after.find("@") != std::string::npos);  // the rest of the rep's data is still shared
    auto someone = conn.value()->query("SELECT count(*) FROM team_contacts WHERE rep = 'cfgrep' AND contact IS NULL");
    REQUIRE(someone.ok());
    CHECK(std::stoi(*someone->at(0)[0]) > 0);

    // Options win over [team]: another rep name, and the config's private account still holds.
    auto p2 = test::run(B + " publish --db " + test::quote(db) + " --config " + test::quote(cfg) + " --rep other" +
                        analysis_flags());
    REQUIRE(p2.status == 0);
    CHECK(dump_rep(*conn.value(), "other").find(private_account) == std::string::npos);
    CHECK_FALSE(dump_rep(*conn.value(), "other").empty());
}

TEST_CASE("serve --publish-team publishes at start and on schedule, logs it and stops on SIGTERM", "[team.serve]") {
    const std::string pg = test::team_urls().back();
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    const std::string db = dir + "/rep.db";
    REQUIRE(test::run(B + " ingest " + test::quote(test::corpora() + "/dev/eml/Sent") + " --db " + test::quote(db) + " " +
                      kMe + " > /dev/null").status == 0);
    // The private account comes from [team] in --config; the url and schedule from the options.
    REQUIRE(test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(db) + " --rep probe" +
                      analysis_flags() + " > /dev/null").status == 0);
    auto conn = team::open_connection(pg);
    REQUIRE(conn.ok());
    auto acc = conn.value()->query("SELECT account FROM team_accounts WHERE rep = 'probe' ORDER BY threads DESC, account");
    REQUIRE(acc.ok());
    REQUIRE(acc->size() >= 2);
    const std::string private_account = *acc->at(0)[0];
    write_file(dir + "/ilc.conf", "[team]\nrep = served\nprivate_accounts = " + private_account + "\n");

    CHECK(test::run(B + " serve --db " + test::quote(db) + " --publish-every 0s --publish-team " + test::quote(pg) +
                    " 2>/dev/null").status == 2);
    CHECK(test::run(B + " serve --db " + test::quote(db) + " --publish-every 1m 2>/dev/null").status == 2);

    const std::string log = dir + "/serve.log", out = dir + "/serve.out";
    const std::string cmd = "exec " + B + " serve --db " + test::quote(db) + " --port 0 --token-file " +
                            test::quote(dir + "/token") + " --log-file " + test::quote(log) + " --config " +
                            test::quote(dir + "/ilc.conf") + " --publish-team " + test::quote(pg) +
                            " --publish-every 1s" + analysis_flags() + " > " + test::quote(out) + " 2>&1";
    test::Child serve(cmd);
    // Wait for two publishes in the service log (the first at start, the next a second later).
    test::wait_for([&] { return count_of(read_file(log), "published for served") >= 2; }, 90);
    const std::string log_text = read_file(log);
    INFO(log_text << read_file(out));
    REQUIRE(count_of(log_text, "published for served") >= 2);
    CHECK(log_text.find("team publish: to") != std::string::npos);

    // The service answers meanwhile: publishing runs in its own thread.
    std::smatch m;
    const std::string out_text = read_file(out);
    REQUIRE(std::regex_search(out_text, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)/")));
    Poco::Net::HTTPClientSession s("127.0.0.1", Poco::UInt16(std::stoi(m[1].str())));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/v1/health", Poco::Net::HTTPMessage::HTTP_1_1);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    s.receiveResponse(resp);
    CHECK(resp.getStatus() == 200);

    // The rows are in PostgreSQL, without the private account of [team].
    auto reps = conn.value()->query("SELECT message_count FROM team_reps WHERE rep = 'served'");
    REQUIRE(reps.ok());
    REQUIRE(reps->size() == 1);
    CHECK(std::stoi(*reps->at(0)[0]) > 0);
    const std::string rows = dump_rep(*conn.value(), "served");
    CHECK(rows.find(private_account) == std::string::npos);
    CHECK(rows.find(*acc->at(1)[0]) != std::string::npos);

    CHECK(serve.terminate(30) == 0);
    CHECK(read_file(log).find("interlocutor serve: stopped") != std::string::npos);
}

TEST_CASE("serve --publish-team logs a failed round and retries it", "[team.serve]") {
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    const std::string db = dir + "/rep.db";
    REQUIRE(test::run(B + " ingest " + test::quote(test::corpora() + "/dev/eml/Sent") + " --db " + test::quote(db) + " " +
                      kMe + " > /dev/null").status == 0);
    // A PostgreSQL socket directory where no server listens: every round fails, the service stays up.
    const std::string url = "postgresql://ilc@/ilc_team?host=" + dir + "/nosock";
    const std::string log = dir + "/serve.log";
    const std::string cmd = "exec " + B + " serve --db " + test::quote(db) + " --port 0 --token-file " +
                            test::quote(dir + "/token") + " --log-file " + test::quote(log) + " --publish-team " +
                            test::quote(url) + " --publish-every 1s > /dev/null 2>&1";
    test::Child serve(cmd);
    // One line per failed round, each ending "(retrying in 1 s)" (libpq's message may say "failed" too).
    test::wait_for([&] { return count_of(read_file(log), "(retrying in") >= 2; }, 60);
    const std::string text = read_file(log);
    INFO(text);
    CHECK(count_of(text, "team publish to") >= 2);
    CHECK(count_of(text, "(retrying in 1 s)") >= 2);
    CHECK(serve.terminate(30) == 0);
}
