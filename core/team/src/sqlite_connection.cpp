// The SQLite back end: one connection to a file, WAL mode so readers never block the writer.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends.h"

namespace ilc::team::detail {
namespace {

class SqliteConnection final : public SqlConnection {
public:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override { sqlite3_close_v2(db_); }
    Backend backend() const override { return Backend::sqlite; }

    Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        // Placeholders are written $1..$n (PostgreSQL style). SQLite reads "$1" as a *named*
        // parameter, numbered in order of first appearance, and looks each name up in a list
        // while parsing and binding: quadratic, and most of the time of a publish whose inserts
        // carry 700 parameters. "?" or "?1" is the same parameter by number, slot 1, with no name
        // lookup: the text is rewritten (see numbered_placeholders) and parameter i binds slot i.
        const std::string text = numbered_placeholders(sql);
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v2(db_, text.c_str(), int(text.size()), &stmt, nullptr);
        if (rc != SQLITE_OK) return fail(rc, "preparing a statement");
        const int slots = sqlite3_bind_parameter_count(stmt);
        for (int idx = 1; idx <= slots && size_t(idx) <= params.size(); ++idx) {
            const auto& v = params[size_t(idx) - 1];
            if (v) sqlite3_bind_text(stmt, idx, v->data(), int(v->size()), SQLITE_TRANSIENT);
            else sqlite3_bind_null(stmt, idx);
        }
        SqlRows rows;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            int n = sqlite3_column_count(stmt);
            SqlRow row;
            row.reserve(n);
            for (int c = 0; c < n; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                    row.emplace_back(std::string(p, size_t(sqlite3_column_bytes(stmt, c))));
                }
            }
            rows.push_back(std::move(row));
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) return fail(rc, "running a statement");
        return rows;
    }

    Status exec_script(const std::string& sql) override {
        char* msg = nullptr;
        int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
        if (rc != SQLITE_OK) {
            std::string m = msg ? msg : sqlite3_errstr(rc);
            sqlite3_free(msg);
            return Error{ErrorCode::db, "team database (SQLite): " + m, ""};
        }
        return ok_status();
    }

private:
    // `sql` with its $N placeholders numbered for SQLite; quoted text ('...', "...") is left
    // alone. When they come in order, $1 $2 $3 ... each once (every statement of ours), each
    // becomes a bare "?": SQLite numbers those in order and keeps no name for them (a "?N" still
    // has one, searched in a list when the statement is compiled). Otherwise each becomes ?N.
    static std::string numbered_placeholders(const std::string& sql) {
        std::string bare, numbered = sql;
        bare.reserve(sql.size());
        size_t expected = 1;
        bool in_order = true;
        char quote = 0;
        for (size_t i = 0; i < sql.size(); ++i) {
            const char c = sql[i];
            if (quote) {
                if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
                numbered[i] = '?';
                size_t j = i + 1, n = 0;
                for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9'; ++j) n = n * 10 + size_t(sql[j] - '0');
                in_order = in_order && n == expected++;
                bare += '?';
                i = j - 1;
                continue;
            }
            bare += c;
        }
        return in_order ? bare : numbered;
    }

    Error fail(int rc, const std::string& what) {
        Error e{rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorCode::db_locked : ErrorCode::db,
                "team database (SQLite) " + what + ": " + sqlite3_errmsg(db_), ""};
        if (e.code == ErrorCode::db_locked) e.hint = "another publish holds the file; retry in a moment";
        return e;
    }
    sqlite3* db_;
};

}  // namespace

namespace {

// The team file holds token hashes and who knows whom: only its owner may read it. It is created
// 0600 here, before SQLite opens it (open(2) with an explicit mode, not umask(), which is
// process-wide and would race with other threads); a file an older version left 0644 is narrowed.
// SQLite creates the -wal and -shm files with the mode of the database file, so they follow; ones
// that already exist are narrowed too.
Status restrict_file_modes(const std::string& path) {
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return ok_status();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error{ErrorCode::io, "cannot open the team database '" + path + "': " + std::strerror(errno),
                     "check that the directory exists and is writable"};
    const int rc = ::fchmod(fd, 0600);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        return Error{ErrorCode::io, "cannot make the team database '" + path + "' private (mode 0600): " + std::strerror(err),
                     "the file holds token hashes; make it owned by the user who runs interlocutor"};
    for (const char* suffix : {"-wal", "-shm"}) {
        const std::string side = path + suffix;
        struct stat st {};
        if (::stat(side.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && ::chmod(side.c_str(), 0600) != 0)
            return Error{ErrorCode::io, "cannot make '" + side + "' private (mode 0600): " + std::strerror(errno), ""};
    }
    return ok_status();
}

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path) {
    if (auto s = restrict_file_modes(path); !s) return s.error();
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return Error{ErrorCode::io, "cannot open the team database '" + path + "': " + m,
                     "check that the directory exists and is writable"};
    }
    sqlite3_busy_timeout(db, 10000);
    auto conn = std::make_unique<SqliteConnection>(db);
    if (auto s = conn->exec_script("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"); !s) return s.error();
    return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace ilc::team::detail
