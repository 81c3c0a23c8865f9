#include "sqlite_adapter.h"

#include <mutex>

namespace ilc::store::detail {

Error sqlite_error(sqlite3* db, int rc, const std::string& what) {
    Error e;
    e.code = ErrorCode::db;
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    e.message = what + ": " + msg;
    // The primary code is the low byte; extended codes (SQLITE_BUSY_SNAPSHOT, ...) share it.
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            e.code = ErrorCode::db_locked;
            e.hint = "database locked — is another interlocutor ingest or serve running?";
            break;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            e.hint = "the file is not an interlocutor database or is damaged; point --db at another file";
            break;
        case SQLITE_FULL:
            e.code = ErrorCode::io;
            e.hint = "the disk is full; free some space and run the ingest again (it resumes)";
            break;
        case SQLITE_CANTOPEN:
            e.code = ErrorCode::io;
            e.hint = "check that the directory exists and is writable, or choose another file with --db";
            break;
        case SQLITE_READONLY:
            e.hint = "the database or its directory is read-only; check the permissions";
            break;
        case SQLITE_IOERR:
            e.code = ErrorCode::io;
            e.hint = "a disk read or write failed; check the disk and the file system";
            break;
        case SQLITE_PERM:
        case SQLITE_AUTH:
            e.code = ErrorCode::io;
            e.hint = "permission denied; check the file's owner and mode";
            break;
        default:
            break;
    }
    return e;
}

void configure_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        // SQLite's memory statistics take a global mutex on every allocation; nothing here reads
        // them, and ingest allocates per row. sqlite3_config must precede sqlite3_initialize;
        // if some other code initialized SQLite first it returns SQLITE_MISUSE and changes nothing.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_initialize();
    });
}

Status exec(sqlite3* db, const char* sql, const std::string& what) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return sqlite_error(db, rc, what);
    return ok_status();
}

Status Stmt::prepare(sqlite3* db, const char* sql) {
    db_ = db;
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    // SQLITE_PREPARE_PERSISTENT: these statements live as long as the connection and are
    // reused for every row, so SQLite may keep them out of its lookaside memory.
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db, rc, std::string("preparing `") + sql + "`");
    return ok_status();
}

Result<bool> Stmt::step(std::string_view what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = sqlite_error(db_, rc, std::string(what));
    sqlite3_reset(stmt_);
    return e;
}

Status Stmt::run(std::string_view what) {
    auto r = step(what);
    reset();
    if (!r.ok()) return r.error();
    return ok_status();
}

}  // namespace ilc::store::detail
