#pragma once
// The small SQL interface the team database runs on, with two back ends: SQLite (a file, for a
// single machine and for tests) and PostgreSQL through libpq (the shared team server). Statements
// use PostgreSQL's $1..$n placeholders on both; values travel as text (NULL = std::nullopt), which
// both engines convert to the column's type, so the same SQL and the same tests run on both.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::team {

enum class Backend { sqlite, postgresql };

using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;
using SqlRows = std::vector<SqlRow>;

class SqlConnection {
public:
    virtual ~SqlConnection() = default;
    virtual Backend backend() const = 0;
    // One statement with $1..$n parameters; the rows it returns, every value as text.
    virtual Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
    // Statements separated by ';', without parameters (schema scripts).
    virtual Status exec_script(const std::string& sql) = 0;
    // True once the server side is gone (PostgreSQL restarted, network cut): every later
    // statement would fail the same way, so the owner should open a new connection.
    virtual bool connection_lost() const { return false; }

    Status exec(const std::string& sql, const std::vector<SqlValue>& params = {}) {
        auto r = query(sql, params);
        if (!r) return r.error();
        return ok_status();
    }
};

// Opens "postgresql://..." / "postgres://..." (libpq connection URI) or, for anything else, an
// SQLite file path ("sqlite:PATH" also accepted). Errors say how to reach the server.
Result<std::unique_ptr<SqlConnection>> open_connection(const std::string& url);

// The URL without its password (for messages and logs).
std::string redact_url(const std::string& url);

}  // namespace ilc::team
