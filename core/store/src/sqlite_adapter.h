#pragma once
// The one place that talks to SQLite's C API: a prepared-statement wrapper and the conversion
// of SQLite result codes into ilc::Error with a hint a person can act on.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "interlocutor/result.h"

namespace ilc::store::detail {

// Turns an SQLite failure into an Error; `what` says what we were doing ("inserting a message").
Error sqlite_error(sqlite3* db, int rc, const std::string& what);

// Process-wide settings, applied once before the first connection (see the .cpp).
void configure_library();

// Runs SQL text without results (schema, pragmas, BEGIN/COMMIT).
Status exec(sqlite3* db, const char* sql, const std::string& what);

// A prepared statement, reset after every use so that it can be reused for the next row.
class Stmt {
public:
    Stmt() = default;
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

    Status prepare(sqlite3* db, const char* sql);
    bool prepared() const { return stmt_ != nullptr; }

    // Parameters are 1-based, as in SQLite. Text is bound with its explicit length, so bytes
    // that are not valid UTF-8 (or even NULs) survive unchanged.
    void bind(int i, std::string_view s) { sqlite3_bind_text(stmt_, i, s.data(), int(s.size()), SQLITE_TRANSIENT); }
    void bind(int i, const std::string& s) { bind(i, std::string_view(s)); }
    void bind(int i, const char* s) { bind(i, std::string_view(s)); }
    void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, bool v) { sqlite3_bind_int(stmt_, i, v ? 1 : 0); }
    void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
    // An empty string is bound as NULL (absent), which keeps rows small.
    void bind_or_null(int i, const std::string& s) {
        if (s.empty()) bind_null(i); else bind(i, s);
    }
    // Without SQLite's private copy of the text (SQLITE_STATIC): only for strings that outlive
    // the statement's next run() or reset(), which clear the bindings. The writer binds the
    // fields of the Message it is storing this way (the copies were ~12 % of a row's insert).
    void bind_static(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.data(), int(s.size()), SQLITE_STATIC); }
    void bind_static_or_null(int i, const std::string& s) {
        if (s.empty()) bind_null(i); else bind_static(i, s);
    }
    // A string constant of the program (a literal: it lives as long as the process).
    void bind_literal(int i, const char* s) { sqlite3_bind_text(stmt_, i, s, -1, SQLITE_STATIC); }

    // step(): true when a row is available, false when done; an Error on failure.
    Result<bool> step(std::string_view what);
    // Runs a statement that returns no rows, then resets it.
    Status run(std::string_view what);
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    int64_t col_int(int i) const { return sqlite3_column_int64(stmt_, i); }
    bool col_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
    std::string col_text(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        if (!p) return {};
        return std::string(p, size_t(sqlite3_column_bytes(stmt_, i)));
    }
    void col_text_into(int i, std::string& out) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        if (p) out.assign(p, size_t(sqlite3_column_bytes(stmt_, i))); else out.clear();
    }
    std::string_view col_view(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        return p ? std::string_view(p, size_t(sqlite3_column_bytes(stmt_, i))) : std::string_view();
    }

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ilc::store::detail
