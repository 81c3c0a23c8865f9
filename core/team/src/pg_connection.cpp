// The PostgreSQL back end through libpq (the C client library of the Debian package): text
// parameters with PQexecParams, which never interpolates values into SQL text.
//
// libpq is loaded at run time (dlopen) on the first PostgreSQL connection, not linked: it pulls
// about 18 shared libraries (Kerberos, LDAP, SASL, GnuTLS, ...) whose symbol relocations cost every
// process start several milliseconds, and only `publish`, `team` and `serve` with a postgresql://
// team database use it (docs/PERFORMANCE.md, issue 13). libpq-fe.h still gives the types; the
// functions come from the table below. The package Depends on libpq5 explicitly (packaging/).
#include <dlfcn.h>
#include <libpq-fe.h>

#include <mutex>

#include "backends.h"
#include "interlocutor/team/sql_connection.h"

namespace ilc::team::detail {
namespace {

// The libpq functions this file calls, resolved once by load_libpq(). The macros below let the
// code read as plain libpq calls.
struct LibPq {
#define ILC_PQ_FUNCTIONS(X)                                                                         \
    X(PQconnectdb) X(PQfinish) X(PQstatus) X(PQerrorMessage) X(PQsetNoticeProcessor) X(PQexec)      \
    X(PQexecParams) X(PQresultStatus) X(PQresultErrorMessage) X(PQresultErrorField) X(PQclear)      \
    X(PQntuples) X(PQnfields) X(PQgetisnull) X(PQgetvalue) X(PQgetlength)
#define ILC_PQ_MEMBER(name) decltype(&::name) name = nullptr;
    ILC_PQ_FUNCTIONS(ILC_PQ_MEMBER)
#undef ILC_PQ_MEMBER
};

// Filled once by load_libpq(); a connection exists only after it succeeded, so every call below
// happens after the table was filled.
LibPq g_pq;

// libpq.so.5 is the soname of every libpq since PostgreSQL 8.2 (Debian package libpq5). The handle
// is never closed: connections may live until exit. Thread-safe (the team service opens
// connections from its request threads).
Status load_libpq() {
    static Error failure;
    static std::once_flag once;
    std::call_once(once, [] {
        void* h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char* why = dlerror();
            failure = Error{ErrorCode::unsupported,
                            std::string("a postgresql:// team database needs the PostgreSQL client library: ") +
                                (why ? why : "libpq.so.5 not found"),
                            "install libpq5 (apt install libpq5), or use an SQLite team database file"};
            return;
        }
#define ILC_PQ_RESOLVE(name)                                                                        \
    if (failure.message.empty()) {                                                                  \
        g_pq.name = reinterpret_cast<decltype(&::name)>(dlsym(h, #name));                           \
        if (!g_pq.name)                                                                             \
            failure = Error{ErrorCode::unsupported, "libpq.so.5 has no " #name, "install libpq5"};    \
    }
        ILC_PQ_FUNCTIONS(ILC_PQ_RESOLVE)
#undef ILC_PQ_RESOLVE
    });
    if (!failure.message.empty()) return failure;
    return ok_status();
}

#define PQconnectdb g_pq.PQconnectdb
#define PQfinish g_pq.PQfinish
#define PQstatus g_pq.PQstatus
#define PQerrorMessage g_pq.PQerrorMessage
#define PQsetNoticeProcessor g_pq.PQsetNoticeProcessor
#define PQexec g_pq.PQexec
#define PQexecParams g_pq.PQexecParams
#define PQresultStatus g_pq.PQresultStatus
#define PQresultErrorMessage g_pq.PQresultErrorMessage
#define PQresultErrorField g_pq.PQresultErrorField
#define PQclear g_pq.PQclear
#define PQntuples g_pq.PQntuples
#define PQnfields g_pq.PQnfields
#define PQgetisnull g_pq.PQgetisnull
#define PQgetvalue g_pq.PQgetvalue
#define PQgetlength g_pq.PQgetlength

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
    if (auto loaded = load_libpq(); !loaded) return loaded.error();
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
