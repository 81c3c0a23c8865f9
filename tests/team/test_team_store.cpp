// The team database on both back ends: migrations, one-transaction publishes that replace the
// rep's rows, the team-view queries, a publish killed midway, tokens stored hashed.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "interlocutor/team/team_store.h"
#include "team_test_helpers.h"

using namespace ilc;
using namespace ilc::team;

namespace {

TeamSnapshot sample(const std::string& rep, const std::string& account, int risk, int threads) {
    TeamSnapshot s;
    s.rep = rep;
    s.published_at = 1700000000;
    s.message_count = threads * 3;
    s.accounts.push_back({account, 4, 2, threads, 1700000000});
    for (int i = 0; i < threads; ++i) {
        ThreadMeta t;
        t.thread_id = rep + "-t" + std::to_string(i) + "@x";
        t.account = account;
        t.subject = "Subject " + std::to_string(i);
        t.first_date = 1690000000 + i;
        t.last_date = 1690000100 + i;
        t.message_count = 3;
        t.participants = {"a@" + account, "me@ardentis.fr"};
        s.threads.push_back(t);
    }
    s.contacts.push_back({account, std::string("a@") + account, std::string("prescriber"), rep + "@ardentis.fr", 4, false});
    s.contacts.push_back({account, std::nullopt, std::nullopt, rep + "@ardentis.fr", 5, true});
    s.findings.push_back({"stalled_deal", account, "", risk, "not_urgent", "2026-10-01T10:00:00+02:00", true, "{\"risk\":1}"});
    s.findings.push_back({"awaiting_reply", account, rep + "-t0@x", 0, "", "", false, "{}"});
    return s;
}

long long count(TeamStore& db, const std::string& sql) {
    auto r = db.connection().query(sql);
    REQUIRE(r.ok());
    return std::stoll(*r->at(0).at(0));
}

}  // namespace

TEST_CASE("$N placeholders bind by their number, in any order, outside quoted text", "[team.store]") {
    // The SQLite back end rewrites $N for SQLite (a bare ? when they come in order): every shape
    // must give PostgreSQL's answer.
    for (const auto& url : test::team_urls()) {
        INFO(url);
        auto db = TeamStore::open(url);
        REQUIRE(db.ok());
        auto& c = db.value()->connection();
        auto row = [&](const std::string& sql, const std::vector<SqlValue>& params) {
            auto r = c.query(sql, params);
            REQUIRE(r.ok());
            REQUIRE(r->size() == 1);
            std::vector<std::string> out;
            for (const auto& v : r->front()) out.push_back(v ? *v : "NULL");
            return out;
        };
        using V = std::vector<std::string>;
        CHECK(row("SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT)", {"a", "b", "c"}) == V{"a", "b", "c"});
        CHECK(row("SELECT CAST($2 AS TEXT), CAST($1 AS TEXT), CAST($2 AS TEXT)", {"a", "b"}) == V{"b", "a", "b"});
        CHECK(row("SELECT '$1 and ''$2''', CAST($1 AS TEXT)", {"x"}) == V{"$1 and '$2'", "x"});
        CHECK(row("SELECT CAST($1 AS TEXT), CAST($2 AS TEXT)", {std::nullopt, "y"}) == V{"NULL", "y"});
        // Two-digit numbers, out of order ($12 first): PostgreSQL wants every parameter used.
        std::vector<SqlValue> many;
        std::string sql = "SELECT CAST($12 AS TEXT)";
        V want{"v12"};
        for (int i = 1; i <= 12; ++i) many.push_back("v" + std::to_string(i));
        for (int i = 1; i <= 11; ++i) sql += ", CAST($" + std::to_string(i) + " AS TEXT)", want.push_back("v" + std::to_string(i));
        CHECK(row(sql, many) == want);
    }
}

TEST_CASE("migrations bring an empty database to the latest version, once", "[team.store]") {
    for (const auto& url : test::team_urls()) {
        INFO(url);
        auto db = TeamStore::open(url);
        REQUIRE(db.ok());
        CHECK(db.value()->schema_version().value() == latest_schema_version());
        // A second open finds the schema current and applies nothing twice.
        auto again = TeamStore::open(url);
        REQUIRE(again.ok());
        CHECK(count(*again.value(), "SELECT COUNT(*) FROM team_schema") == latest_schema_version());
        // A database written by a newer build is refused with a clear error.
        REQUIRE(db.value()->connection().exec("INSERT INTO team_schema (version) VALUES (99)").ok());
        auto newer = TeamStore::open(url);
        REQUIRE_FALSE(newer.ok());
        CHECK(newer.error().code == ErrorCode::schema);
        CHECK(newer.error().message.find("99") != std::string::npos);
    }
}

TEST_CASE("a publish replaces the rep's rows and leaves other reps alone", "[team.store]") {
    for (const auto& url : test::team_urls()) {
        INFO(url);
        auto db = TeamStore::open(url);
        REQUIRE(db.ok());
        TeamStore& s = *db.value();
        REQUIRE(s.publish(sample("alice", "acme.com", 70, 5)).ok());
        REQUIRE(s.publish(sample("bob", "acme.com", 40, 2)).ok());
        REQUIRE(s.publish(sample("bob", "globex.fr", 90, 3)).ok());  // bob's second publish
        REQUIRE(s.publish(sample("bob", "globex.fr", 90, 3)).ok());  // and the same again
        CHECK(count(s, "SELECT COUNT(*) FROM team_threads WHERE rep = 'bob'") == 3);
        CHECK(count(s, "SELECT COUNT(*) FROM team_threads WHERE rep = 'alice'") == 5);
        CHECK(count(s, "SELECT COUNT(*) FROM team_participants") == 16);

        auto stalled = s.stalled_deals();
        REQUIRE(stalled.ok());
        REQUIRE(stalled->size() == 2);
        CHECK(stalled->at(0).account == "globex.fr");  // highest risk first
        CHECK(stalled->at(0).risk == 90);
        CHECK(stalled->at(0).escalate);
        CHECK(stalled->at(1).rep == "alice");
        CHECK(s.stalled_deals("alice").value().size() == 1);
        CHECK(s.stalled_deals("", "globex.fr").value().at(0).rep == "bob");
        CHECK(s.stalled_deals("nobody").value().empty());

        // bob no longer talks to acme.com, so no account is shared; then he does again.
        CHECK(s.shared_accounts().value().empty());
        REQUIRE(s.publish(sample("bob", "acme.com", 40, 2)).ok());
        auto shared = s.shared_accounts();
        REQUIRE(shared->size() == 1);
        CHECK(shared->at(0).account == "acme.com");
        CHECK(shared->at(0).reps == std::vector<std::string>{"alice", "bob"});
        CHECK(shared->at(0).threads == 7);

        auto who = s.who_knows("acme.com");
        REQUIRE(who.ok());
        REQUIRE(who->size() == 4);
        CHECK(who->at(0).strength == 5);
        CHECK_FALSE(who->at(0).contact.has_value());  // the exclusive contact: "someone"
        CHECK(who->at(2).contact.value() == "a@acme.com");

        auto reps = s.reps();
        REQUIRE(reps->size() == 2);
        CHECK(reps->at(1).rep == "bob");
        CHECK(reps->at(1).threads == 2);
        CHECK(reps->at(1).awaiting_reply == 1);
        CHECK(s.findings_of("alice").value().size() == 2);

        // A rep with no name is refused, not stored under "".
        auto bad = sample("", "acme.com", 1, 1);
        CHECK_FALSE(s.publish(bad).ok());
    }
}

TEST_CASE("a publish killed midway leaves the previous publish in place, and the next one completes",
          "[team.store]") {
    for (const auto& url : test::team_urls()) {
        INFO(url);
        {
            auto db = TeamStore::open(url);
            REQUIRE(db.ok());
            REQUIRE(db.value()->publish(sample("alice", "acme.com", 70, 50)).ok());
        }
        // The child writes 250 rows of a bigger publish inside its transaction and dies
        // without commit or rollback (std::_Exit), as a killed process would.
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            setenv("ILC_TESTING_FAULTS", "1", 1);
            setenv("ILC_TEAM_CRASH_AFTER_ROWS", "250", 1);
            auto db = TeamStore::open(url);
            if (!db) std::_Exit(3);
            (void)db.value()->publish(sample("alice", "initech.com", 10, 400));
            std::_Exit(4);  // not reached when the fault fires
        }
        int st = 0;
        waitpid(pid, &st, 0);
        REQUIRE(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 70);

        auto db = TeamStore::open(url);
        REQUIRE(db.ok());
        TeamStore& s = *db.value();
        CHECK(count(s, "SELECT COUNT(*) FROM team_threads WHERE rep = 'alice'") == 50);
        CHECK(count(s, "SELECT COUNT(*) FROM team_threads WHERE account = 'initech.com'") == 0);
        CHECK(s.stalled_deals().value().at(0).account == "acme.com");
        // Resuming is publishing again: it completes and replaces the rows.
        REQUIRE(s.publish(sample("alice", "initech.com", 10, 400)).ok());
        CHECK(count(s, "SELECT COUNT(*) FROM team_threads WHERE rep = 'alice'") == 400);
        CHECK(s.stalled_deals().value().at(0).account == "initech.com");
    }
}

TEST_CASE("tokens are stored as salted PBKDF2 hashes and authenticate their user only", "[team.store]") {
    for (const auto& url : test::team_urls()) {
        INFO(url);
        auto db = TeamStore::open(url);
        REQUIRE(db.ok());
        TeamStore& s = *db.value();
        auto alice = s.add_user("alice", Role::rep);
        auto boss = s.add_user("boss@ardentis.fr", Role::manager);
        REQUIRE(alice.ok());
        REQUIRE(boss.ok());
        CHECK(alice.value() != boss.value());
        auto a = s.authenticate(alice.value());
        REQUIRE(a.ok());
        REQUIRE(a.value().has_value());
        CHECK(a.value()->name == "alice");
        CHECK(a.value()->role == Role::rep);
        CHECK(s.authenticate(boss.value()).value()->role == Role::manager);

        // Nothing stored holds the secret part of a token.
        const std::string secret = alice.value().substr(alice.value().rfind('.') + 1);
        auto rows = s.connection().query("SELECT name, role, salt, token_hash FROM team_users");
        REQUIRE(rows.ok());
        for (const auto& row : rows.value())
            for (const auto& v : row) CHECK(v->find(secret) == std::string::npos);

        // Wrong secret, another user's secret, malformed tokens.
        std::string wrong = alice.value();
        wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
        CHECK_FALSE(s.authenticate(wrong).value().has_value());
        CHECK_FALSE(s.authenticate("boss@ardentis.fr." + secret).value().has_value());
        for (const char* junk : {"", ".", "alice", "alice.", "alice.zz", "' OR 1=1 --.0000"})
            CHECK_FALSE(s.authenticate(junk).value().has_value());

        // A new token replaces the old one.
        auto again = s.add_user("alice", Role::rep);
        REQUIRE(again.ok());
        CHECK_FALSE(s.authenticate(alice.value()).value().has_value());
        CHECK(s.authenticate(again.value()).value().has_value());
        CHECK_FALSE(s.add_user("bad name", Role::rep).ok());
        CHECK_FALSE(s.add_user("", Role::rep).ok());
    }
}

TEST_CASE("bad team URLs and unreachable servers give clear errors", "[team.store]") {
    auto a = TeamStore::open("mysql://x@y/z");
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::usage);
    auto b = TeamStore::open("postgresql://ilc:secret@/nope?host=/nonexistent-dir&connect_timeout=2");
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == ErrorCode::network);
    CHECK(b.error().message.find("secret") == std::string::npos);  // the password is redacted
    auto c = TeamStore::open("/nonexistent-dir/team.db");
    REQUIRE_FALSE(c.ok());
    CHECK(redact_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db");
}

namespace {
int mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return int(st.st_mode & 0777);
}
}  // namespace

TEST_CASE("the SQLite team database and its -wal/-shm files are readable by their owner only", "[team.store]") {
    // Under the usual umask 022 a plain open would make the files 0644; the team file holds token
    // hashes and who knows whom.
    const mode_t old_umask = ::umask(022);
    const std::string path = test::temp_dir() + "/team.db";
    {
        auto db = TeamStore::open(path);
        REQUIRE(db.ok());
        REQUIRE(db.value()->publish(sample("alice", "acme.com", 70, 3)).ok());
        REQUIRE(db.value()->add_user("alice", Role::rep).ok());
        CHECK(mode_of(path) == 0600);
        CHECK(mode_of(path + "-wal") == 0600);
        CHECK(mode_of(path + "-shm") == 0600);
    }
    // A file an older build left world-readable is narrowed when it is opened again.
    {
        auto db = TeamStore::open(path);
        REQUIRE(db.ok());
        REQUIRE(db.value()->publish(sample("bob", "acme.com", 40, 2)).ok());
        REQUIRE(::chmod(path.c_str(), 0644) == 0);
        REQUIRE(::chmod((path + "-wal").c_str(), 0644) == 0);
        auto again = TeamStore::open(path);
        REQUIRE(again.ok());
        CHECK(mode_of(path) == 0600);
        CHECK(mode_of(path + "-wal") == 0600);
    }
    ::umask(old_umask);
}
