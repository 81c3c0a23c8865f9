// Creating a store (core/store, Store::open on an absent or empty file): the page size of a new
// file, and what open() does with a creation that a power loss cut short. A new store's first
// page is synced once and its schema is written without syncs (store.cpp, Store::Impl::configure),
// so after a crash the file may hold: page 1 without any table (the schema's WAL frames lost or
// torn), or, on a file system that kept the size but not the data, one page of zero bytes. Both
// must simply be created again; anything else must be refused and left as it is.
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "interlocutor/store/store.h"
#include "../../core/store/src/schema.h"  // version 1's schema, to build a version-1 file

namespace fs = std::filesystem;
using namespace ilc;
using namespace ilc::store;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ilc-store-create-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string db(const std::string& name = "test.db") const { return (path / name).string(); }
};

std::unique_ptr<Store> open_rw(const std::string& path) {
    auto s = Store::open(path, OpenMode::read_write);
    if (!s.ok()) FAIL("open read_write failed: " << s.error().to_string());
    return std::move(s.value());
}

// One integer from a raw SQLite connection (the file as SQLite sees it, outside the Store).
int64_t query_int(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

Message message(const std::string& id) {
    Message m;
    m.message_id = id;
    m.subject = "subject of " + id;
    m.new_text = "hello";
    m.source.path = "/mail/INBOX";
    m.source.folder = "INBOX";
    return m;
}

// The store at `path` opens for writing, is at the current schema version, holds `messages`
// messages and takes one more.
void check_usable(const std::string& path, int64_t messages) {
    auto store = open_rw(path);
    auto c = store->counts();
    REQUIRE(c.ok());
    CHECK(c->messages == messages);
    auto v = store->get_meta("schema_version");
    REQUIRE(v.ok());
    REQUIRE(v->has_value());
    CHECK(**v == std::to_string(schema_version()));
    auto created = store->get_meta("created_at");
    REQUIRE(created.ok());
    CHECK(created->has_value());
    auto r = store->insert_message(message("after-" + std::to_string(messages) + "@x"));
    REQUIRE(r.ok());
    CHECK(*r == InsertOutcome::inserted);
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    REQUIRE(out.good());
}

}  // namespace

TEST_CASE("a new store gets 16 KiB pages and WAL; an existing file keeps its page size", "[store.create]") {
    TempDir dir;
    {
        auto store = open_rw(dir.db());
        REQUIRE(store->insert_message(message("a@x")).ok());
    }
    // kNewStorePageSize in store.cpp.
    CHECK(query_int(dir.db(), "PRAGMA page_size") == 16384);
    CHECK(query_int(dir.db(), "SELECT count(*) FROM messages") == 1);
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "wal");
        sqlite3_finalize(s);
        sqlite3_close(db);
    }
    check_usable(dir.db(), 1);

    // A file that already has pages (here 4 KiB ones, SQLite's default, as every store made
    // before this page size) keeps them, even when it has no table yet.
    const std::string old = dir.db("old.db");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(old.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    check_usable(old, 0);
    CHECK(query_int(old, "PRAGMA page_size") == 4096);
    check_usable(old, 1);
    CHECK(query_int(old, "PRAGMA page_size") == 4096);
}

TEST_CASE("a creation cut short by a power loss is created again; other files are left alone", "[store.create]") {
    TempDir dir;

    SECTION("page 1 written, the schema's WAL frames lost") {
        // While the creating writer is open nothing has been checkpointed: the main file is
        // page 1 alone, the schema and the first message are in the WAL. A copy of the main file
        // without its WAL is what a power loss leaves when none of the WAL reached the disk.
        const std::string lost = dir.db("lost.db"), torn = dir.db("torn.db"), kept = dir.db("kept.db");
        {
            auto store = open_rw(dir.db());
            REQUIRE(store->insert_message(message("a@x")).ok());
            CHECK(fs::file_size(dir.db()) == 16384);
            fs::copy_file(dir.db(), lost);
            fs::copy_file(dir.db(), torn);
            fs::copy_file(dir.db(), kept);
            // The WAL cut inside its first frame (header 32 bytes, frame header 24, the page):
            // no commit survives.
            fs::copy_file(dir.db() + "-wal", torn + "-wal");
            fs::resize_file(torn + "-wal", 32 + 24 + 100);
            // The whole WAL: the simulation keeps what did reach the disk.
            fs::copy_file(dir.db() + "-wal", kept + "-wal");
        }
        // Read-only, a file without tables is an empty store (as an empty file always was).
        auto ro = Store::open(lost, OpenMode::read_only);
        REQUIRE(!ro.ok());
        CHECK(ro.error().code == ErrorCode::not_found);
        check_usable(lost, 0);
        check_usable(torn, 0);
        check_usable(kept, 1);
    }
    SECTION("the file's size reached the disk, page 1 did not: one page of zero bytes") {
        write_file(dir.db(), std::string(16384, '\0'));
        write_file(dir.db() + "-wal", std::string(3000, 'w'));  // a stale WAL beside it
        auto ro = Store::open(dir.db(), OpenMode::read_only);
        CHECK(!ro.ok());
        CHECK(fs::file_size(dir.db()) == 16384);  // a reader changes nothing
        check_usable(dir.db(), 0);
        CHECK(query_int(dir.db(), "PRAGMA page_size") == 16384);
        check_usable(dir.db(), 1);
    }
    SECTION("a small file with one byte that is not zero is refused and left as it is") {
        std::string bytes(8192, '\0');
        bytes[5000] = 1;
        write_file(dir.db(), bytes);
        auto s = Store::open(dir.db(), OpenMode::read_write);
        REQUIRE(!s.ok());
        CHECK_THAT(s.error().hint, Catch::Contains("not an interlocutor database"));
        std::ifstream in(dir.db(), std::ios::binary);
        std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(back == bytes);
    }
    SECTION("zero bytes beyond 64 KiB are not a page 1 cut short: refused, left as they are") {
        write_file(dir.db(), std::string(65536 + 4096, '\0'));
        auto s = Store::open(dir.db(), OpenMode::read_write);
        REQUIRE(!s.ok());
        CHECK(fs::file_size(dir.db()) == 65536 + 4096);
    }
}

TEST_CASE("a new file's schema is the one the migrations give a version-1 file", "[store.create]") {
    // A new file gets the current tables at once (schema.cpp, kCurrent); a version-1 file (its
    // schema is migrations()[0], which never changes) reaches them through every migration.
    // Both must end with the same sqlite_master: types, names, tables and CREATE texts.
    TempDir dir;
    const std::string fresh = dir.db("fresh.db"), old = dir.db("v1.db");
    { auto s = open_rw(fresh); }
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(old.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, ilc::store::detail::migrations()[0].sql, nullptr, nullptr, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "INSERT INTO meta VALUES('schema_version', '1'), ('created_at', '2026-01-01T00:00:00Z')",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    check_usable(old, 0);
    auto master = [](const std::string& path) {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY name",
                                   -1, &s, nullptr) == SQLITE_OK);
        std::vector<std::string> rows;
        while (sqlite3_step(s) == SQLITE_ROW) {
            std::string row;
            for (int i = 0; i < 4; ++i) row += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i))) + "|";
            rows.push_back(row);
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
        return rows;
    };
    const auto a = master(fresh), b = master(old);
    CHECK(a.size() == 9);  // 5 tables, messages_date, the UNIQUE indexes of messages, sources, ingest_issues
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
}

TEST_CASE("a committed batch is checkpointed in the background while the writer stays open", "[store.create]") {
    // Store::commit_batch hands the checkpoint to a thread of its own (checkpointer.h): the WAL's
    // pages reach the main file while the writer is still open and writing, and a close still
    // leaves one file and every message.
    TempDir dir;
    auto store = open_rw(dir.db());
    {
        WriteBatch batch(*store);
        REQUIRE(batch.status().ok());
        for (int i = 0; i < 300; ++i) {
            Message m = message("m" + std::to_string(i) + "@x");
            m.new_text = std::string(2000, char('a' + i % 26));  // ~40 pages of 16 KiB
            REQUIRE(store->insert_message(m).ok());
        }
        CHECK(fs::file_size(dir.db()) == 16384);  // nothing copied before the commit
        REQUIRE(batch.commit().ok());
    }
    // The checkpoint runs on its own: wait for it (a few ms; 10 s at most on a loaded machine).
    for (int i = 0; i < 1000 && fs::file_size(dir.db()) <= 16384; ++i) ::usleep(10000);
    CHECK(fs::file_size(dir.db()) > 16384 * 30);
    // A second batch while the first one's pages are in the file: the writer goes on as usual.
    {
        WriteBatch batch(*store);
        REQUIRE(batch.status().ok());
        REQUIRE(store->insert_message(message("last@x")).ok());
        REQUIRE(batch.commit().ok());
    }
    store.reset();
    CHECK(!fs::exists(dir.db() + "-wal"));  // the close checkpointed the rest and removed the WAL
    CHECK(query_int(dir.db(), "SELECT count(*) FROM messages") == 301);
    CHECK(query_int(dir.db(), "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1);
}

namespace {

std::unique_ptr<Store> open_bulk(const std::string& path) {
    OpenOptions o;
    o.bulk_create = true;
    auto s = Store::open(path, OpenMode::read_write, o);
    if (!s.ok()) FAIL("open read_write (bulk_create) failed: " << s.error().to_string());
    return std::move(s.value());
}

void store_batch(Store& store, int from, int count) {
    WriteBatch batch(store);
    REQUIRE(batch.status().ok());
    for (int i = from; i < from + count; ++i) {
        Message m = message("m" + std::to_string(i) + "@x");
        m.new_text = std::string(2000, char('a' + i % 26));
        REQUIRE(store.insert_message(m).ok());
    }
    REQUIRE(batch.commit().ok());
}

// A first ingest that dies: a child process creates the store with bulk_create, commits
// `committed` messages, starts another batch and leaves without closing anything (as a kill
// would: no destructor runs).
void die_while_creating(const std::string& path, int committed) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        OpenOptions o;
        o.bulk_create = true;
        auto s = Store::open(path, OpenMode::read_write, o);
        if (!s.ok()) ::_exit(2);
        Store& store = *s.value().release();  // never destroyed
        if (!store.begin_batch().ok()) ::_exit(3);
        for (int i = 0; i < committed; ++i) {
            Message m = message("m" + std::to_string(i) + "@x");
            m.new_text = std::string(2000, char('a' + i % 26));
            if (!store.insert_message(m).ok()) ::_exit(4);
        }
        if (!store.commit_batch().ok() || !store.begin_batch().ok()) ::_exit(5);
        for (int i = 0; i < 50; ++i) store.insert_message(message("lost" + std::to_string(i) + "@x"));
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
}

std::string query_text(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

}  // namespace

TEST_CASE("a first ingest writes the new store without a WAL, which it becomes when it closes", "[store.create]") {
    // OpenOptions::bulk_create: the pages go straight into the file (no -wal), under the marker
    // PATH.creating; the close syncs, switches the file to WAL and removes the marker and journal.
    TempDir dir;
    const std::string db = dir.db();
    auto store = open_bulk(db);
    CHECK(fs::exists(db + ".creating"));
    store_batch(*store, 0, 300);
    CHECK(!fs::exists(db + "-wal"));
    CHECK(fs::file_size(db) > 16384 * 30);  // in the file already, no checkpoint needed
    store_batch(*store, 300, 10);
    CHECK(store->open_note().empty());
    store.reset();
    CHECK(!fs::exists(db + ".creating"));
    CHECK(!fs::exists(db + "-journal"));
    CHECK(!fs::exists(db + "-wal"));
    CHECK(query_text(db, "PRAGMA journal_mode") == "wal");
    CHECK(query_int(db, "PRAGMA page_size") == 16384);
    CHECK(query_int(db, "SELECT count(*) FROM messages") == 310);
    CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
    check_usable(db, 310);

    SECTION("an existing store is written through its WAL as always") {
        auto again = open_bulk(db);
        CHECK(!fs::exists(db + ".creating"));
        store_batch(*again, 1000, 5);
        CHECK(fs::exists(db + "-wal"));
        again.reset();
        CHECK(query_int(db, "SELECT count(*) FROM messages") == 316);
    }
}

TEST_CASE("a first ingest killed in the middle: the next open checks the store and goes on", "[store.create]") {
    TempDir dir;
    const std::string db = dir.db();
    die_while_creating(db, 200);
    REQUIRE(fs::exists(db + ".creating"));
    auto store = open_rw(db);
    CHECK(store->open_note().find("checked and is intact") != std::string::npos);
    CHECK(!fs::exists(db + ".creating"));
    auto c = store->counts();
    REQUIRE(c.ok());
    CHECK(c->messages == 200);  // the committed batch, not the one that was open
    store.reset();
    CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
    CHECK(query_text(db, "PRAGMA journal_mode") == "wal");
    check_usable(db, 200);
}

TEST_CASE("a first ingest cut short that left the file damaged: set aside, the store created again", "[store.create]") {
    // What a power loss can leave under synchronous=OFF: pages never written, here overwritten.
    TempDir dir;
    const std::string db = dir.db();
    die_while_creating(db, 200);
    REQUIRE(fs::exists(db + ".creating"));
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(16384 * 2);
        const std::string junk(16384 * 4, '\xA5');
        f.write(junk.data(), std::streamsize(junk.size()));
        REQUIRE(f.good());
    }
    auto store = open_bulk(db);
    CHECK(store->open_note().find("left the file damaged; it was set aside as " + db + ".incomplete") !=
          std::string::npos);
    CHECK(fs::exists(db + ".incomplete"));
    CHECK(fs::exists(db + ".creating"));  // created again, itself with bulk_create
    store_batch(*store, 0, 3);
    store.reset();
    CHECK(!fs::exists(db + ".creating"));
    check_usable(db, 3);
}

TEST_CASE("a first ingest cut short by a restart of the system: set aside unchecked, the store created again", "[store.create]") {
    // Pages written without a sync may be missing in any mix after a power loss: even a file
    // that passes integrity_check may hold a source's progress without the messages it covers.
    // The marker holds the boot's id; another boot's marker means "start over".
    TempDir dir;
    const std::string db = dir.db();
    die_while_creating(db, 200);
    REQUIRE(fs::exists(db + ".creating"));
    write_file(db + ".creating", "00000000-0000-0000-0000-000000000000");
    auto store = open_rw(db);
    CHECK(store->open_note().find("restart of the system") != std::string::npos);
    CHECK(fs::exists(db + ".incomplete"));
    CHECK(!fs::exists(db + ".creating"));
    store.reset();
    check_usable(db, 0);
    CHECK(query_int(db + ".incomplete", "SELECT count(*) FROM messages") == 200);  // kept as it was
}

TEST_CASE("readers wait for a first ingest: a store being created does not open read-only", "[store.create]") {
    TempDir dir;
    const std::string db = dir.db();
    auto writer = open_bulk(db);
    store_batch(*writer, 0, 3);
    auto ro = Store::open(db, OpenMode::read_only);
    REQUIRE(!ro.ok());
    CHECK(ro.error().code == ErrorCode::db_locked);
    CHECK(ro.error().message.find("being created by its first ingest") != std::string::npos);
    writer.reset();
    auto after = Store::open(db, OpenMode::read_only);
    REQUIRE(after.ok());
    auto c = after.value()->counts();
    REQUIRE(c.ok());
    CHECK(c->messages == 3);
}
