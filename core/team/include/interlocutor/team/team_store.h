#pragma once
// The team database: the schema (versioned migrations, docs/TEAM.md), one transaction per
// publish that replaces the rep's rows, the queries of the team view, and the users (tokens
// stored as salted PBKDF2 hashes). Runs on either back end of SqlConnection.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interlocutor/result.h"
#include "interlocutor/team/snapshot.h"
#include "interlocutor/team/sql_connection.h"

namespace ilc::team {

enum class Role { rep, manager };
std::string to_string(Role r);
std::optional<Role> role_from_string(const std::string& s);

struct User {
    std::string name;
    Role role = Role::rep;
};

struct StalledRow {
    std::string rep, account, reason, since;
    int risk = 0;
    bool escalate = false;
};

struct SharedAccount {
    std::string account;
    std::vector<std::string> reps;  // every rep with threads on the account, sorted
    int threads = 0;
};

struct WhoKnows {
    std::string rep, colleague;
    std::optional<std::string> contact, role;  // nullopt: an exclusive contact ("someone")
    int strength = 0;
};

struct RepSummary {
    std::string rep;
    int64_t published_at = 0;
    int messages = 0, threads = 0, stalled = 0, awaiting_reply = 0, awaiting_my_reply = 0, all_in_copy = 0;
};

// The latest schema version migrate() brings a database to.
int latest_schema_version();

class TeamStore {
public:
    // Connects and migrates the schema to the latest version (concurrent openers are serialized).
    static Result<std::unique_ptr<TeamStore>> open(const std::string& url);
    explicit TeamStore(std::unique_ptr<SqlConnection> conn) : conn_(std::move(conn)) {}

    Status migrate();
    Result<int> schema_version();

    // Replaces every row of snapshot.rep in one transaction: readers see the previous publish
    // or this one, never a mix; an interrupted publish leaves the previous one in place.
    // ILC_TEAM_CRASH_AFTER_ROWS=N with ILC_TESTING_FAULTS=1 (fault injection for tests; ignored
    // without the second variable) ends the process abruptly after N rows written inside the
    // transaction.
    Status publish(const TeamSnapshot& snapshot);

    // Stalled deals of the team, highest risk first; empty filters mean all.
    Result<std::vector<StalledRow>> stalled_deals(const std::string& rep = "", const std::string& account = "");
    // Accounts where at least min_reps reps talk to the client.
    Result<std::vector<SharedAccount>> shared_accounts(int min_reps = 2);
    // Who knows whom at an account, strongest first.
    Result<std::vector<WhoKnows>> who_knows(const std::string& account);
    Result<std::vector<RepSummary>> reps();
    // A rep's own findings (kind, account, thread, detail JSON).
    Result<std::vector<FindingRow>> findings_of(const std::string& rep);

    // Creates (or replaces the token of) a user; returns the token, which is not stored.
    Result<std::string> add_user(const std::string& name, Role role);
    // The user a token belongs to, nullopt when it matches none.
    Result<std::optional<User>> authenticate(const std::string& token);

    SqlConnection& connection() { return *conn_; }

private:
    std::unique_ptr<SqlConnection> conn_;
};

}  // namespace ilc::team
