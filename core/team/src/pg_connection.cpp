// The PostgreSQL back end through libpq (the C client library of the Debian package): text
// parameters with PQexecParams, which never interpolates values into SQL text.
#include <libpq-fe.h>

#include "backends.h"
#include "interlocutor/team/sql_connection.h"

namespace ilc::team::detail {
namespace {

std::string trim_nl(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

class PgConnection final : public SqlConnection {
public:
    explicit PgConnection(PGconn* c) : conn_(c) {}
    ~PgConnection() override { PQfinish(conn_); }
    Backend backend() const override { return Backend::postgresql; }
    bool connection_lost() const override { return PQstatus(conn_) == CONNECTION_BAD; }

    Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        std::vector<const char*> values(params.size());
        for (size_t i = 0; i < params.size(); ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
        PGresult* res = PQexecParams(conn_, sql.c_str(), int(params.size()), nullptr,
                                     values.empty() ? nullptr : values.data(), nullptr, nullptr, 0);
        auto st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            Error e = error_of(res);
            PQclear(res);
            return e;
        }
        SqlRows rows;
        int n = PQntuples(res), cols = PQnfields(res);
        rows.reserve(size_t(n));
        for (int r = 0; r < n; ++r) {
            SqlRow row;
            row.reserve(size_t(cols));
            for (int c = 0; c < cols; ++c) {
                if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
                else row.emplace_back(std::string(PQgetvalue(res, r, c), size_t(PQgetlength(res, r, c))));
            }
            rows.push_back(std::move(row));
        }
        PQclear(res);
        return rows;
    }

    Status exec_script(const std::string& sql) override {
        PGresult* res = PQexec(conn_, sql.c_str());
        auto st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            Error e = error_of(res);
            PQclear(res);
            return e;
        }
        PQclear(res);
        return ok_status();
    }

private:
    Error error_of(PGresult* res) {
        if (PQstatus(conn_) == CONNECTION_BAD)
            return Error{ErrorCode::network, "lost the connection to the team database: " + trim_nl(PQerrorMessage(conn_)),
                         "is the PostgreSQL server still running?"};
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        std::string s = state ? state : "";
        Error e{ErrorCode::db, "team database (PostgreSQL): " + trim_nl(PQresultErrorMessage(res)), ""};
        if (s == "40001" || s == "40P01") {
            e.code = ErrorCode::db_locked;
            e.hint = "a concurrent publish conflicted; run it again";
        }
        return e;
    }
    PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_postgresql(const std::string& url) {
    PGconn* c = PQconnectdb(url.c_str());
    if (!c) return Error{ErrorCode::internal, "libpq could not allocate a connection", ""};
    if (PQstatus(c) != CONNECTION_OK) {
        std::string m = trim_nl(PQerrorMessage(c));
        PQfinish(c);
        return Error{ErrorCode::network, "cannot connect to the team database " + redact_url(url) + ": " + m,
                     "check the URL (postgresql://user@host:port/dbname) and that the server accepts connections"};
    }
    // Quiet the NOTICEs of "CREATE ... IF NOT EXISTS" on a migrated database.
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    auto conn = std::unique_ptr<SqlConnection>(new PgConnection(c));
    if (auto s = conn->exec_script("SET client_encoding = 'UTF8'"); !s) return s.error();
    return conn;
}

}  // namespace ilc::team::detail
