#include "interlocutor/team/team_store.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include "interlocutor/team/token.h"
#include "schema.h"

namespace ilc::team {

std::string to_string(Role r) { return r == Role::manager ? "manager" : "rep"; }

std::optional<Role> role_from_string(const std::string& s) {
    if (s == "rep") return Role::rep;
    if (s == "manager") return Role::manager;
    return std::nullopt;
}

int latest_schema_version() { return detail::migrations().back().version; }

namespace {

long long to_ll(const SqlValue& v) {
    if (!v) return 0;
    try {
        return std::stoll(*v);
    } catch (const std::exception&) {
        return 0;
    }
}
std::string str(const SqlValue& v) { return v ? *v : std::string(); }

// One transaction on either engine. SQLite's BEGIN IMMEDIATE takes the write lock up front, so
// two writers queue on the busy timeout instead of failing at their first write.
class Transaction {
public:
    explicit Transaction(SqlConnection& c) : c_(c) {}
    ~Transaction() {
        if (open_) (void)c_.exec_script("ROLLBACK");
    }
    Status begin() {
        auto s = c_.exec_script(c_.backend() == Backend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
        if (s) open_ = true;
        return s;
    }
    Status commit() {
        auto s = c_.exec_script("COMMIT");
        open_ = false;
        return s;
    }

private:
    SqlConnection& c_;
    bool open_ = false;
};

// Inserts rows in multi-row INSERTs (100 rows a statement: few round trips to the server, and
// under SQLite's historical limit of 999 parameters).
class BulkInsert {
public:
    BulkInsert(SqlConnection& c, std::string table, std::vector<std::string> columns, long long& counter,
               long long crash_after)
        : c_(c), table_(std::move(table)), columns_(std::move(columns)), counter_(counter), crash_after_(crash_after) {}

    Status add(std::vector<SqlValue> row) {
        for (auto& v : row) params_.push_back(std::move(v));
        ++rows_;
        ++counter_;
        if (crash_after_ > 0 && counter_ >= crash_after_) {
            // Fault injection: flush what we have, then die without commit or rollback, like a
            // killed process or a pulled cable. The server must discard the open transaction.
            (void)flush();
            std::_Exit(70);
        }
        if (rows_ >= 100) return flush();
        return ok_status();
    }

    Status flush() {
        if (rows_ == 0) return ok_status();
        std::string sql = "INSERT INTO " + table_ + " (";
        for (size_t i = 0; i < columns_.size(); ++i) sql += (i ? ", " : "") + columns_[i];
        sql += ") VALUES ";
        size_t p = 1;
        for (size_t r = 0; r < rows_; ++r) {
            sql += r ? ", (" : "(";
            for (size_t i = 0; i < columns_.size(); ++i) sql += (i ? ", $" : "$") + std::to_string(p++);
            sql += ")";
        }
        auto s = c_.exec(sql, params_);
        params_.clear();
        rows_ = 0;
        return s;
    }

private:
    SqlConnection& c_;
    std::string table_;
    std::vector<std::string> columns_;
    std::vector<SqlValue> params_;
    size_t rows_ = 0;
    long long& counter_;
    long long crash_after_;
};

bool valid_user_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@')) return false;
    return true;
}

}  // namespace

Result<std::unique_ptr<TeamStore>> TeamStore::open(const std::string& url) {
    auto c = open_connection(url);
    if (!c) return c.error();
    auto store = std::make_unique<TeamStore>(std::move(c.value()));
    if (auto s = store->migrate(); !s) return s.error();
    return store;
}

Result<int> TeamStore::schema_version() {
    auto r = conn_->query("SELECT COALESCE(MAX(version), 0) FROM team_schema");
    if (!r) return r.error();
    return int(to_ll(r->at(0).at(0)));
}

Status TeamStore::migrate() {
    Transaction tx(*conn_);
    if (auto s = tx.begin(); !s) return s;
    // Fifty reps starting at once must not race to create the tables: PostgreSQL serializes
    // the migrations on an advisory lock held until commit; SQLite on BEGIN IMMEDIATE.
    if (conn_->backend() == Backend::postgresql)
        if (auto s = conn_->exec("SELECT pg_advisory_xact_lock(7240001)"); !s) return s;
    if (auto s = conn_->exec_script("CREATE TABLE IF NOT EXISTS team_schema (version INTEGER NOT NULL)"); !s) return s;
    auto v = schema_version();
    if (!v) return v.error();
    if (v.value() > latest_schema_version())
        return Error{ErrorCode::schema,
                     "the team database has schema version " + std::to_string(v.value()) + ", newer than this build's " +
                         std::to_string(latest_schema_version()),
                     "upgrade interlocutor on this machine"};
    for (const auto& m : detail::migrations()) {
        if (m.version <= v.value()) continue;
        if (auto s = conn_->exec_script(m.sql); !s)
            return Error{s.error().code, "migrating the team database to version " + std::to_string(m.version) + ": " +
                                             s.error().message, s.error().hint};
        if (auto s = conn_->exec("INSERT INTO team_schema (version) VALUES ($1)", {std::to_string(m.version)}); !s) return s;
    }
    return tx.commit();
}

Status TeamStore::publish(const TeamSnapshot& snap) {
    if (snap.rep.empty()) return Error{ErrorCode::usage, "a publish needs the rep's name", "pass --rep NAME"};
    long long crash_after = 0;
    // Fault injection for the tests only: a stray variable in a user's environment must not kill
    // a real publish, so it takes ILC_TESTING_FAULTS=1 as well.
    if (const char* t = std::getenv("ILC_TESTING_FAULTS"); t && std::string(t) == "1")
        if (const char* e = std::getenv("ILC_TEAM_CRASH_AFTER_ROWS")) crash_after = std::atoll(e);
    long long written = 0;

    Transaction tx(*conn_);
    if (auto s = tx.begin(); !s) return s;
    // Two publishes of the same rep queue on the rep's lock rather than interleave deletes.
    // At most kPublishSlots publishes write at once (the rest wait on an advisory lock, idle):
    // fifty reps writing together on a small server would starve the manager's reads of CPU.
    // The slot is chosen by rep, so two publishes of the same rep also queue rather than
    // interleave their deletes.
    if (conn_->backend() == Backend::postgresql) {
        int slots = 2;
        if (const char* e = std::getenv("ILC_TEAM_PUBLISH_SLOTS"); e && std::atoi(e) > 0) slots = std::atoi(e);
        // hashtext() may return INT_MIN, whose abs() is "integer out of range": mask the sign bit.
        if (auto s = conn_->exec("SELECT pg_advisory_xact_lock(7240002, (hashtext($1) & 2147483647) % $2)",
                                 {snap.rep, std::to_string(slots)});
            !s)
            return s;
    }
    for (const char* table : {"team_reps", "team_accounts", "team_threads", "team_participants", "team_contacts",
                              "team_findings"})
        if (auto s = conn_->exec(std::string("DELETE FROM ") + table + " WHERE rep = $1", {snap.rep}); !s) return s;

    auto num = [](long long v) -> SqlValue { return std::to_string(v); };
    if (auto s = conn_->exec("INSERT INTO team_reps (rep, published_at, message_count) VALUES ($1, $2, $3)",
                             {snap.rep, num(snap.published_at), num(snap.message_count)});
        !s)
        return s;

    BulkInsert accounts(*conn_, "team_accounts", {"rep", "account", "people", "engaged", "threads", "last_activity"},
                        written, crash_after);
    for (const auto& a : snap.accounts)
        if (auto s = accounts.add({snap.rep, a.account, num(a.people), num(a.engaged), num(a.threads), num(a.last_activity)}); !s)
            return s;
    if (auto s = accounts.flush(); !s) return s;

    BulkInsert threads(*conn_, "team_threads",
                       {"rep", "thread_id", "account", "subject", "first_date", "last_date", "message_count"}, written,
                       crash_after);
    BulkInsert parts(*conn_, "team_participants", {"rep", "thread_id", "address"}, written, crash_after);
    for (const auto& t : snap.threads) {
        if (auto s = threads.add({snap.rep, t.thread_id, t.account, t.subject, num(t.first_date), num(t.last_date),
                                  num(t.message_count)});
            !s)
            return s;
        for (const auto& p : t.participants)
            if (auto s = parts.add({snap.rep, t.thread_id, p}); !s) return s;
    }
    if (auto s = threads.flush(); !s) return s;
    if (auto s = parts.flush(); !s) return s;

    BulkInsert contacts(*conn_, "team_contacts",
                        {"rep", "account", "contact", "role", "colleague", "strength", "exclusive"}, written, crash_after);
    for (const auto& c : snap.contacts)
        if (auto s = contacts.add({snap.rep, c.account, c.contact, c.role, c.colleague, num(c.strength),
                                   num(c.exclusive ? 1 : 0)});
            !s)
            return s;
    if (auto s = contacts.flush(); !s) return s;

    BulkInsert findings(*conn_, "team_findings",
                        {"rep", "kind", "account", "thread_id", "risk", "reason", "escalate", "since", "detail"}, written,
                        crash_after);
    for (const auto& f : snap.findings)
        if (auto s = findings.add({snap.rep, f.kind, f.account, f.thread_id, num(f.risk), f.reason,
                                   num(f.escalate ? 1 : 0), f.since, f.detail_json});
            !s)
            return s;
    if (auto s = findings.flush(); !s) return s;
    return tx.commit();
}

Result<std::vector<StalledRow>> TeamStore::stalled_deals(const std::string& rep, const std::string& account) {
    auto r = conn_->query(
        "SELECT rep, account, reason, since, risk, escalate FROM team_findings WHERE kind = 'stalled_deal' "
        "AND (CAST($1 AS TEXT) = '' OR rep = $1) AND (CAST($2 AS TEXT) = '' OR account = $2) "
        "ORDER BY risk DESC, account, rep",
        {rep, account});
    if (!r) return r.error();
    std::vector<StalledRow> out;
    for (const auto& row : r.value())
        out.push_back({str(row[0]), str(row[1]), str(row[2]), str(row[3]), int(to_ll(row[4])), to_ll(row[5]) != 0});
    return out;
}

Result<std::vector<SharedAccount>> TeamStore::shared_accounts(int min_reps) {
    // team_accounts holds each rep's thread count per account: a few rows per rep, where
    // grouping team_threads would read every thread of the team on each request.
    auto r = conn_->query("SELECT account, rep, threads FROM team_accounts WHERE threads > 0 ORDER BY account, rep");
    if (!r) return r.error();
    std::vector<SharedAccount> out;
    for (const auto& row : r.value()) {
        if (out.empty() || out.back().account != str(row[0])) out.push_back({str(row[0]), {}, 0});
        out.back().reps.push_back(str(row[1]));
        out.back().threads += int(to_ll(row[2]));
    }
    std::erase_if(out, [&](const SharedAccount& a) { return int(a.reps.size()) < min_reps; });
    return out;
}

Result<std::vector<WhoKnows>> TeamStore::who_knows(const std::string& account) {
    auto r = conn_->query(
        "SELECT rep, colleague, contact, role, strength FROM team_contacts WHERE account = $1 "
        "ORDER BY strength DESC, colleague, COALESCE(contact, ''), rep",
        {account});
    if (!r) return r.error();
    std::vector<WhoKnows> out;
    for (const auto& row : r.value()) out.push_back({str(row[0]), str(row[1]), row[2], row[3], int(to_ll(row[4]))});
    return out;
}

Result<std::vector<RepSummary>> TeamStore::reps() {
    // Three grouped reads rather than per-rep subqueries over the threads: the per-account
    // thread counts are already summed at publish time.
    auto r = conn_->query("SELECT rep, published_at, message_count FROM team_reps ORDER BY rep");
    if (!r) return r.error();
    std::vector<RepSummary> out;
    std::map<std::string, size_t> index;
    for (const auto& row : r.value()) {
        index[str(row[0])] = out.size();
        out.push_back({str(row[0]), to_ll(row[1]), int(to_ll(row[2])), 0, 0, 0, 0, 0});
    }
    auto t = conn_->query("SELECT rep, SUM(threads) FROM team_accounts GROUP BY rep");
    if (!t) return t.error();
    for (const auto& row : t.value())
        if (auto it = index.find(str(row[0])); it != index.end()) out[it->second].threads = int(to_ll(row[1]));
    auto f = conn_->query("SELECT rep, kind, COUNT(*) FROM team_findings GROUP BY rep, kind");
    if (!f) return f.error();
    for (const auto& row : f.value()) {
        auto it = index.find(str(row[0]));
        if (it == index.end()) continue;
        auto& x = out[it->second];
        const std::string kind = str(row[1]);
        const int n = int(to_ll(row[2]));
        if (kind == "stalled_deal") x.stalled = n;
        else if (kind == "awaiting_reply") x.awaiting_reply = n;
        else if (kind == "awaiting_my_reply") x.awaiting_my_reply = n;
        else if (kind == "all_in_copy") x.all_in_copy = n;
    }
    return out;
}

Result<std::vector<FindingRow>> TeamStore::findings_of(const std::string& rep) {
    auto r = conn_->query(
        "SELECT kind, account, thread_id, risk, reason, escalate, since, detail FROM team_findings WHERE rep = $1 "
        "ORDER BY kind, risk DESC, account, thread_id",
        {rep});
    if (!r) return r.error();
    std::vector<FindingRow> out;
    for (const auto& row : r.value()) {
        FindingRow f;
        f.kind = str(row[0]);
        f.account = str(row[1]);
        f.thread_id = str(row[2]);
        f.risk = int(to_ll(row[3]));
        f.reason = str(row[4]);
        f.escalate = to_ll(row[5]) != 0;
        f.since = str(row[6]);
        f.detail_json = str(row[7]);
        out.push_back(std::move(f));
    }
    return out;
}

Result<std::string> TeamStore::add_user(const std::string& name, Role role) {
    if (!valid_user_name(name))
        return Error{ErrorCode::usage, "invalid user name '" + name + "'",
                     "use 1-64 letters, digits, '.', '_', '-' or '@'"};
    std::string secret, salt;
    try {
        secret = random_hex(32);
        salt = random_hex(16);
    } catch (const std::exception& e) {
        return Error{ErrorCode::internal, e.what(), ""};
    }
    const std::string hash = pbkdf2_hex(secret, salt, kPbkdf2Iterations);
    Transaction tx(*conn_);
    if (auto s = tx.begin(); !s) return s.error();
    if (auto s = conn_->exec("DELETE FROM team_users WHERE name = $1", {name}); !s) return s.error();
    if (auto s = conn_->exec(
            "INSERT INTO team_users (name, role, salt, token_hash, iterations, created) VALUES ($1, $2, $3, $4, $5, $6)",
            {name, to_string(role), salt, hash, std::to_string(kPbkdf2Iterations), std::to_string(std::time(nullptr))});
        !s)
        return s.error();
    if (auto s = tx.commit(); !s) return s.error();
    return name + "." + secret;
}

Result<std::optional<User>> TeamStore::authenticate(const std::string& token) {
    auto dot = token.rfind('.');
    if (dot == std::string::npos || token.size() - dot - 1 != 64) return std::optional<User>{};
    const std::string name = token.substr(0, dot), secret = token.substr(dot + 1);
    if (!valid_user_name(name)) return std::optional<User>{};
    auto r = conn_->query("SELECT role, salt, token_hash, iterations FROM team_users WHERE name = $1", {name});
    if (!r) return r.error();
    if (r->empty()) return std::optional<User>{};
    const auto& row = r->front();
    int iterations = int(to_ll(row[3]));
    if (iterations <= 0) return std::optional<User>{};
    if (!constant_time_equal(pbkdf2_hex(secret, str(row[1]), iterations), str(row[2]))) return std::optional<User>{};
    auto role = role_from_string(str(row[0]));
    if (!role) return std::optional<User>{};
    return std::optional<User>{User{name, *role}};
}

}  // namespace ilc::team
