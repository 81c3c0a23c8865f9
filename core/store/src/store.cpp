// Store: the SQLite-backed implementation of interlocutor/store/store.h.
// The schema lives in schema.cpp; SQLite's C API is wrapped in sqlite_adapter.h.
#include "interlocutor/store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <functional>
#include <deque>
#include <mutex>
#include <thread>

#include "checkpointer.h"
#include "codec.h"
#include "schema.h"
#include "sqlite_adapter.h"

namespace ilc::store {

using detail::exec;
using detail::sqlite_error;
using detail::Stmt;

namespace {

const char* const kLockedHint = "database locked — is another interlocutor ingest or serve running?";

// The page size of a new store; an existing file keeps its own (4 KiB, SQLite's default, for
// every store made before). Measured on gen-100k (100,000 messages, 2 workers, the writer's
// cache 16 MiB): 4 KiB 184.6 MB store, writer 3.75 G instructions; 8 KiB 167.3 MB, -4.8 %;
// 16 KiB 160.2 MB, -6.6 %, and a quarter of the WAL frames (a frame is one page and its header:
// two pwrites): pwrite/pread/fdatasync 139k/46k/95 -> 32k/10k/31, ingest CPU -7 %. On 1M
// messages CPU 35.7 -> 33.2 s, store 1.87 -> 1.62 GB, peak RSS 77-81 MB at every size. 64 KiB
// was slower. Readers: `threads` and `analyze` take the same time on every page size.
constexpr int kNewStorePageSize = 16384;
// SQLite's page cache, in KiB. The writer's b-trees (the messages table, its message_id and date
// indexes, the folders) are written in place: 16 MiB keeps their inner pages, and the ingest's
// peak RSS under 100 MB at 1M messages. Readers load the whole store in one pass, reading each
// page once (the OS page cache holds the file): 4 MiB does the same work as 16 MiB and keeps
// 10-15 MB less resident (`threads` / `analyze` on gen-100k: 134 / 185 MB -> 126 / 168 MB).
constexpr int kWriterCacheKiB = 16384, kReaderCacheKiB = 4096;

// The file whose presence says that the store at `path` is being created without a WAL
// (OpenOptions::bulk_create), or that such a creation was cut short. It holds boot_id().
std::string creating_marker(const std::string& path) { return path + ".creating"; }

// The contents of a small file (64 bytes at most), trailing newlines and spaces trimmed; ""
// when it cannot be read.
std::string read_small_file(const std::string& path) {
    char buf[64] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    std::string line(buf, n > 0 ? size_t(n) : 0);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    return line;
}

// The id of the system's current boot ("" when unknown: then every cut-short creation is
// treated as after a restart, set aside and started over). A creation cut short in the same boot
// was cut by the end of its process: the page cache kept every page it wrote, the file is what
// its last commit left. After another boot (a power loss, a crash of the system) the pages
// written without a sync may be missing in any mix, which no check of the file can rule out.
std::string boot_id() { return read_small_file("/proc/sys/kernel/random/boot_id"); }

// fsync of a file or directory by path; false when it cannot be done.
bool sync_path(const std::string& path, int flags = O_RDONLY) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

std::string parent_dir(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Writes creating_marker(path) with boot_id(), synced with its directory entry, before the
// store file's first byte: a power loss cannot leave the file without it. False (and no marker)
// when that cannot be done: the store is then created the usual way, through its WAL.
bool write_creation_marker(const std::string& path) {
    const std::string marker = creating_marker(path);
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const std::string boot = boot_id();
    bool ok = ::write(fd, boot.data(), boot.size()) == ssize_t(boot.size()) && ::fsync(fd) == 0;
    ::close(fd);
    ok = ok && sync_path(parent_dir(path), O_RDONLY | O_DIRECTORY);
    if (!ok) ::unlink(marker.c_str());
    return ok;
}

// Whether the store a cut-short creation left (creating_marker) is intact: its rollback journal
// replayed, if the process died in a commit, and `PRAGMA integrity_check` clean. A file SQLite
// cannot read at all counts as damaged too. Only other errors (out of memory) are errors.
Result<bool> check_interrupted_creation(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    bool intact = false;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        sqlite3_stmt* q = nullptr;
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &q, nullptr);
        if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
            intact = text && std::string_view(text) == "ok";
            rc = SQLITE_OK;
        }
        sqlite3_finalize(q);
    }
    const int primary = rc & 0xff;
    sqlite3_close_v2(db);
    if (rc != SQLITE_OK && primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB)
        return Error{ErrorCode::db, "cannot check the store " + path + " (" + sqlite3_errstr(rc) + ")",
                     "its first ingest was cut short; delete it and ingest again if this persists"};
    return intact;
}

// Whether the writer is about to create the store: the file is absent or empty. A file of at
// most one page (64 KiB at most) whose bytes are all zero is what a creation cut short by a
// power loss can leave (its first page was written but not synced, and the file system kept
// the size but not the data: see Store::Impl::configure); SQLite would call it "not a
// database". It holds nothing, so it is emptied and created again. Any other error is left to
// SQLite's open to report.
Result<bool> prepare_new_file(const std::string& path) {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) return errno == ENOENT;
    if (!S_ISREG(sb.st_mode)) return false;
    if (sb.st_size == 0) return true;
    if (sb.st_size > 65536) return false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[65536];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n != sb.st_size || std::any_of(buf, buf + n, [](char c) { return c != 0; })) return false;
    if (::truncate(path.c_str(), 0) != 0)
        return Error{ErrorCode::io, "cannot empty the unfinished store " + path + ": " + std::strerror(errno),
                     "check the file's permissions, or delete it"};
    return true;
}

// The messages columns in the order both the INSERT and the SELECTs use; kCol* below index it.
// (Not the table's column order: `mailboxes` sits after `subject` in the table, see schema.cpp.)
const char* const kMessageColumns[] = {
    "message_id", "synthetic_id", "in_reply_to", "refs", "thread_index", "thread_topic", "subject",
    "date", "tz_offset_min", "date_source", "auto_submitted", "precedence", "list_id",
    "list_unsubscribe", "x_autoreply", "x_autorespond", "return_path", "content_type",
    "content_language", "x_mailer", "is_report", "body_from_html", "attachment_count", "new_text",
    "quoted", "signature", "signature_name", "signature_title", "automated", "automated_reason",
    "ooo_until", "expects_reply", "cues", "lang", "warnings", "source_path", "source_offset",
    "source_length", "source_folder", "flags", "mailboxes"};
constexpr int kNumColumns = int(sizeof(kMessageColumns) / sizeof(kMessageColumns[0]));
constexpr int kColNewText = 23, kColQuoted = 24, kColSignature = 25;

std::string insert_message_sql() {
    std::string cols, params;
    for (int i = 0; i < kNumColumns; ++i) {
        if (i) { cols += ','; params += ','; }
        cols += kMessageColumns[i];
        params += '?';
    }
    return "INSERT INTO messages(" + cols + ") VALUES(" + params +
           ") ON CONFLICT(message_id) DO NOTHING";
}

// The columns that LoadOptions::detector_columns_only leaves out.
bool detector_unread(std::string_view column) {
    static const std::string_view unread[] = {"return_path", "content_type", "content_language", "x_mailer",
                                              "warnings",    "source_path",  "source_folder"};
    return std::find(std::begin(unread), std::end(unread), column) != std::end(unread);
}

// SELECT id, <columns> FROM messages <tail>; without text the three body columns read NULL so
// that column positions stay the same and SQLite never touches their overflow pages.
std::string select_message_sql(const LoadOptions& opts, const char* tail) {
    std::string sql = "SELECT id";
    for (int i = 0; i < kNumColumns; ++i) {
        sql += ',';
        bool body = i == kColNewText || i == kColQuoted || i == kColSignature;
        bool skip = (body && !opts.with_text) || (i == kColQuoted && !opts.with_quoted) ||
                    (opts.detector_columns_only && detector_unread(kMessageColumns[i]));
        sql += skip ? "NULL" : kMessageColumns[i];
    }
    return sql + " FROM messages " + tail;
}

const char* date_source_name(DateSource d) {
    switch (d) {
        case DateSource::header: return "header";
        case DateSource::received: return "received";
        case DateSource::mbox_from: return "mbox_from";
        case DateSource::file_mtime: return "file_mtime";
        case DateSource::none: return "none";
    }
    return "none";
}

DateSource date_source_from(std::string_view s) {
    if (s == "header") return DateSource::header;
    if (s == "received") return DateSource::received;
    if (s == "mbox_from") return DateSource::mbox_from;
    if (s == "file_mtime") return DateSource::file_mtime;
    return DateSource::none;
}

int64_t flags_bits(const Flags& f) {
    return (f.seen ? 1 : 0) | (f.replied ? 2 : 0) | (f.flagged ? 4 : 0) | (f.draft ? 8 : 0) |
           (f.trashed ? 16 : 0) | (f.passed ? 32 : 0);
}

Flags flags_from(int64_t b) {
    Flags f;
    f.seen = b & 1;
    f.replied = b & 2;
    f.flagged = b & 4;
    f.draft = b & 8;
    f.trashed = b & 16;
    f.passed = b & 32;
    return f;
}

// The cues of one row as LoadOptions::detector_columns_only gives them: each family once, in
// the order first seen, without its text. The detectors and the service's snapshot only ask
// whether a message has a cue of a family; a generated message carries ~12 cues of 3-5
// families, 64 bytes each before their texts, which was ~0.8 GB of a 1M-message analysis.
std::vector<Message::Cue> decode_cue_families(std::string_view text) {
    std::vector<Message::Cue> all = detail::decode_cues(text);
    size_t distinct = 0;
    for (size_t k = 0; k < all.size(); ++k) {
        bool seen = false;
        for (size_t j = 0; j < distinct && !seen; ++j) seen = all[j].family == all[k].family;
        if (seen) continue;
        if (distinct != k) all[distinct].family = std::move(all[k].family);
        ++distinct;
    }
    std::vector<Message::Cue> out;
    out.reserve(distinct);  // a vector of its own: `all` has room for every cue
    for (size_t k = 0; k < distinct; ++k) out.push_back(Message::Cue{std::move(all[k].family), {}});
    return out;
}

// Fills a Message from a row of select_message_sql (column 0 is the rowid): the statement itself,
// or a RawRow copied from it by a pipelined scan. cue_families_only: decode_cue_families().
template <typename Row>
void read_message_row(const Row& s, Message& m, bool cue_families_only = false) {
    m.rowid = s.col_int(0);
    int c = 1;
    s.col_text_into(c++, m.message_id);
    m.synthetic_id = s.col_int(c++) != 0;
    m.in_reply_to = detail::decode_list(s.col_view(c++));
    m.references = detail::decode_list(s.col_view(c++));
    s.col_text_into(c++, m.thread_index);
    s.col_text_into(c++, m.thread_topic);
    s.col_text_into(c++, m.subject);
    m.date = s.col_int(c++);
    m.tz_offset_min = int(s.col_int(c++));
    m.date_source = date_source_from(s.col_view(c++));
    s.col_text_into(c++, m.auto_submitted);
    s.col_text_into(c++, m.precedence);
    s.col_text_into(c++, m.list_id);
    s.col_text_into(c++, m.list_unsubscribe);
    s.col_text_into(c++, m.x_autoreply);
    s.col_text_into(c++, m.x_autorespond);
    s.col_text_into(c++, m.return_path);
    s.col_text_into(c++, m.content_type);
    s.col_text_into(c++, m.content_language);
    s.col_text_into(c++, m.x_mailer);
    m.is_report = s.col_int(c++) != 0;
    m.body_from_html = s.col_int(c++) != 0;
    m.attachment_count = int(s.col_int(c++));
    s.col_text_into(c++, m.new_text);
    s.col_text_into(c++, m.quoted);
    s.col_text_into(c++, m.signature);
    s.col_text_into(c++, m.signature_name);
    s.col_text_into(c++, m.signature_title);
    m.automated = s.col_int(c++) != 0;
    s.col_text_into(c++, m.automated_reason);
    if (s.col_null(c)) m.ooo_until.reset(); else m.ooo_until = s.col_int(c);
    ++c;
    m.expects_reply = s.col_int(c++) != 0;
    m.cues = cue_families_only ? decode_cue_families(s.col_view(c++)) : detail::decode_cues(s.col_view(c++));
    s.col_text_into(c++, m.lang);
    m.warnings = detail::decode_warnings(s.col_view(c++));
    s.col_text_into(c++, m.source.path);
    m.source.offset = s.col_int(c++);
    m.source.length = s.col_int(c++);
    s.col_text_into(c++, m.source.folder);
    m.flags = flags_from(s.col_int(c++));
    detail::decode_mailboxes(s.col_view(c++), m);
}

void add_folder(Message& m, std::string folder) {
    // Message::folders lists names; the same name under two sources (two accounts' INBOX)
    // is one entry, and the path-less "" folder of a lone .eml file is no folder at all.
    if (folder.empty()) return;
    if (std::find(m.folders.begin(), m.folders.end(), folder) == m.folders.end())
        m.folders.push_back(std::move(folder));
}

int64_t now_seconds() { return int64_t(std::time(nullptr)); }

std::string iso_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Error usage(std::string message) { return Error{ErrorCode::usage, std::move(message), {}}; }

// Error texts name the message only once something failed: building them for every row
// would cost more than the insert itself.
Error with_id(Error e, const std::string& message_id) {
    e.message += " (Message-ID " + message_id + ")";
    return e;
}

}  // namespace

int schema_version() { return detail::current_schema_version(); }

struct Store::Impl {
    std::string path;
    OpenMode mode = OpenMode::read_only;
    sqlite3* db = nullptr;
    int lock_fd = -1;
    bool batch = false;
    // Created by this open with OpenOptions::bulk_create: no WAL until the close (finish_bulk).
    bool bulk = false;
    std::string note;  // open_note()

    // Prepared once, reused for every row (prepared lazily by prepared()).
    Stmt ins_message, ins_folder, ins_more_folder, sel_rowid;
    Stmt sel_meta, upd_meta, sel_source, upd_source, ins_issue, upd_flags;

    // The writer's checkpoints, made on a thread of its own after each committed batch (started
    // by the first commit_batch()).
    std::unique_ptr<detail::Checkpointer> checkpointer;

    ~Impl() {
        // An open batch first: the checkpointer's close below must not run while the writer holds
        // locks on the file (closing any descriptor of it drops this process's POSIX locks).
        if (db && batch) exec(db, "ROLLBACK", "rolling back");
        // Then the checkpointer: its connection must be closed for the writer's close below to be
        // the last one, which checkpoints what is left and deletes the WAL.
        const bool background_synced = !checkpointer || checkpointer->finish();
        checkpointer.reset();
        if (db) {
            if (bulk) finish_bulk(background_synced);
            // close_v2 defers the close until the statements above are finalized by their
            // destructors, which run right after this body.
            sqlite3_close_v2(db);
        }
        if (lock_fd >= 0) ::close(lock_fd);  // releases the flock
    }

    // The end of a creation without a WAL (OpenOptions::bulk_create): the file is synced, then it
    // becomes a WAL store like any other, then the marker goes. A failure leaves the marker: the
    // next read_write open checks the file (open()). Errors cannot be reported from a destructor,
    // and need not be: whatever happened is found again by that check.
    void finish_bulk(bool background_synced) {
        bulk = false;
        // The sync first, while the writer holds no lock on the file (outside a transaction in
        // rollback mode) for the descriptor's close to drop. A failed background sync keeps the
        // marker: its lost pages would not show in this one.
        const bool synced = sync_path(path) && background_synced;
        // Then the switch, unsynced: a power loss leaves the header's old or new file format
        // bytes (one sector), and a store left in rollback mode is switched by the next writer's
        // configure(), as it is when a busy reader makes the switch fail here.
        exec(db, "PRAGMA journal_mode=WAL", "switching to WAL mode");
        if (!synced) return;
        exec(db, "PRAGMA synchronous=NORMAL", "configuring the database");
        // (The switch to WAL deleted the rollback journal.)
        ::unlink(creating_marker(path).c_str());
    }

    Result<Stmt*> prepared(Stmt& s, const std::string& sql) {
        if (!s.prepared()) {
            auto st = s.prepare(db, sql.c_str());
            if (!st.ok()) return st.error();
        }
        return &s;
    }

    Status require_writer() const {
        if (mode != OpenMode::read_write) return usage("the store was opened read-only");
        return ok_status();
    }

    Status take_writer_lock() {
        std::string lock_path = path + ".lock";
        lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0) {
            return Error{ErrorCode::io, "cannot open the lock file " + lock_path + ": " + std::strerror(errno),
                         "check that the directory exists and is writable, or choose another file with --db"};
        }
        // flock locks belong to the open file description, so this also excludes a second
        // writer inside the same process. The lock file is never deleted: unlinking a lock
        // file races with a process that has just opened it.
        if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            ::close(lock_fd);
            lock_fd = -1;
            if (err == EWOULDBLOCK)
                return Error{ErrorCode::db_locked, "another process is writing to " + path, kLockedHint};
            return Error{ErrorCode::io, "cannot lock " + lock_path + ": " + std::strerror(err), {}};
        }
        return ok_status();
    }

    // `fresh`: the file is new (absent or empty before this open, writer only): see open().
    Status configure(bool fresh, bool bulk_create = false) {
        // Readers wait for a checkpoint or a schema change rather than failing at once.
        sqlite3_busy_timeout(db, 10000);
        // A new file gets kNewStorePageSize pages; SQLite reads an existing file's page size from
        // its header when it opens it, and in WAL mode that size can no longer change. The page
        // size comes before the cache size: SQLite turns a cache size in KiB into a number of
        // pages when the page size changes, with the page size it had, so -16384 set before a
        // 16 KiB page size took effect became 3,971 pages of 16 KiB, a 64 MB cache (ingest peak
        // RSS 80 -> 139 MB on gen-100k); set after, 1,000 pages.
        if (fresh) {
            auto st = exec(db, ("PRAGMA page_size=" + std::to_string(kNewStorePageSize)).c_str(),
                           "creating the database");
            if (!st.ok()) return st;
        }
        // Neither readers nor the writer memory-map the file, and both keep a bounded page cache
        // (kReaderCacheKiB, kWriterCacheKiB): mapped pages count in resident memory, so a 256 MiB
        // mmap made `threads` on a 100,000-message store hold 180 MB of the file on top of its
        // messages, and would grow ingest's memory with the store. The full load is one
        // sequential scan, which the OS page cache serves as fast as a mapping (measured:
        // bench/README.md). Temp b-trees stay in memory.
        const int cache_kib = mode == OpenMode::read_only ? kReaderCacheKiB : kWriterCacheKiB;
        auto st = exec(db, ("PRAGMA cache_size=-" + std::to_string(cache_kib) +
                            "; PRAGMA mmap_size=0; PRAGMA temp_store=MEMORY").c_str(),
                       "configuring the database");
        if (!st.ok()) return st;
        if (mode == OpenMode::read_only) return exec(db, "PRAGMA query_only=1", "configuring the database");
        if (fresh && bulk_create) {
            // A store being filled for the first time (OpenOptions::bulk_create): a WAL would
            // hold every page twice, once in the WAL and once more when its checkpoint copies it
            // into the file, with a checksum of each and a read back (10 % of the CPU of a first
            // ingest of 100,000 Maildir files). With a rollback journal the pages go straight
            // into the file; the pages added past its end, which is nearly all of them here, are
            // not journaled at all. synchronous=OFF: a crash of the process loses nothing (the
            // journal is written before the pages it protects), a power loss is what the
            // creation marker is for (open()).
            return exec(db, "PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=OFF", "creating the database");
        }
        if (fresh) {
            // The switch to WAL below is a new file's first write, page 1. With journal_mode=OFF
            // it writes the page and syncs the file once, instead of a rollback journal's create,
            // two syncs, the directory's sync, the file's sync and the journal's unlink (an empty
            // file has nothing to roll back to). The schema that follows is written without syncs
            // (synchronous=OFF until open() has committed it): if the machine dies before the
            // first checkpoint, the schema's WAL frames are missing or fail their checksums, the
            // next open finds a store without tables, version 0, and creates it again; the first
            // checkpoint syncs the WAL, then the file (store_create tests).
            st = exec(db, "PRAGMA journal_mode=OFF", "creating the database");
            if (!st.ok()) return st;
        }
        // WAL lets readers (analyze, serve) keep reading committed snapshots while ingest
        // writes; synchronous=NORMAL is durable across application crashes and only risks the
        // last transactions on power loss, which a resumed ingest writes again.
        st = exec(db, "PRAGMA journal_mode=WAL", "switching to WAL mode");
        if (!st.ok()) return st;
        if (fresh) {
            // Where WAL is not available (no shared memory on the file system) SQLite keeps the
            // mode it had: not OFF, a store without any journal.
            Stmt q;
            st = q.prepare(db, "PRAGMA journal_mode");
            if (!st.ok()) return st;
            auto r = q.step("reading the journal mode");
            if (!r.ok()) return r.error();
            if (!*r || q.col_view(0) != "wal") {
                q.reset();
                // With a rollback journal the schema is written synced, as before.
                return exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=NORMAL", "creating the database");
            }
        }
        // Foreign keys stay off: rows are only ever added, and the checks would cost a lookup per
        // folder row at ingest.
        return exec(db, fresh ? "PRAGMA synchronous=OFF; PRAGMA journal_size_limit=67108864"
                              : "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864",
                    "configuring the database");
    }

    Result<int> read_version() {
        Stmt s;
        auto st = s.prepare(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
        if (!st.ok()) return st.error();
        auto r = s.step("reading the schema");
        if (!r.ok()) return r.error();
        if (s.col_int(0) == 0) {
            Stmt any;
            st = any.prepare(db, "SELECT count(*) FROM sqlite_master");
            if (!st.ok()) return st.error();
            r = any.step("reading the schema");
            if (!r.ok()) return r.error();
            if (any.col_int(0) != 0)
                return Error{ErrorCode::schema, path + " is an SQLite database but not an interlocutor store",
                             "point --db at an interlocutor database or a new file"};
            return 0;
        }
        Stmt v;
        st = v.prepare(db, "SELECT value FROM meta WHERE key='schema_version'");
        if (!st.ok()) return st.error();
        r = v.step("reading the schema version");
        if (!r.ok()) return r.error();
        if (!*r) return Error{ErrorCode::schema, path + " has no schema version", "the file is damaged; use another --db file"};
        std::string text = v.col_text(0);
        char* end = nullptr;
        long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n < 1)
            return Error{ErrorCode::schema, path + " has an unreadable schema version '" + text + "'",
                         "the file is damaged; use another --db file"};
        return int(n);
    }

    // `work` with SQLite's temporary storage in a file, then back in memory. For work that
    // rewrites whole tables: a migration (SQLite's statement journal of a DROP TABLE keeps every
    // page it frees: 1.9 GB of resident memory migrating a 1M-message store under
    // temp_store=MEMORY, 25 MB with a temporary file, in the same time) and VACUUM.
    Status with_temp_store_file(const char* what, const std::function<Status()>& work) {
        auto st = exec(db, "PRAGMA temp_store=FILE", what);
        if (!st.ok()) return st;
        Status done = work();
        st = exec(db, "PRAGMA temp_store=MEMORY", "configuring the database");
        return done.ok() ? st : done;
    }

    // A migration may rewrite and drop whole tables in its one transaction (version 2 rebuilds
    // messages).
    Status migrate(int from) {
        if (from == 0) return migrate_steps(0);  // a new file: only CREATEs
        return with_temp_store_file("preparing the schema upgrade", [&] { return migrate_steps(from); });
    }

    Status migrate_steps(int from) {
        auto st = exec(db, "BEGIN IMMEDIATE", "starting the schema upgrade");
        if (!st.ok()) return st;
        const auto& m = detail::migrations();
        const bool created = from == 0;
        if (created) {
            // A new file: the current version's tables at once (schema.cpp, kCurrent).
            st = exec(db, detail::current_schema(), "creating the schema");
            if (!st.ok()) {
                exec(db, "ROLLBACK", "rolling back");
                return st;
            }
            from = int(m.size());
        }
        for (int v = from; v < int(m.size()); ++v) {
            const detail::Migration& step = m[size_t(v)];
            const std::string what = "upgrading the schema to version " + std::to_string(v + 1);
            st = exec(db, step.sql, what);
            if (st.ok() && step.convert) {
                st = step.convert(db);
                if (!st.ok()) {
                    Error e = st.error();
                    e.message = what + ": " + e.message;
                    st = std::move(e);
                }
            }
            if (st.ok() && step.sql_after) st = exec(db, step.sql_after, what);
            if (!st.ok()) {
                exec(db, "ROLLBACK", "rolling back");
                return st;
            }
        }
        Stmt s;
        st = s.prepare(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
        if (st.ok()) {
            s.bind(1, "schema_version");
            s.bind(2, std::to_string(m.size()));
            st = s.run("recording the schema version");
        }
        if (st.ok() && created) {
            s.bind(1, "created_at");
            s.bind(2, iso_now());
            st = s.run("recording the creation date");
        }
        if (!st.ok()) {
            exec(db, "ROLLBACK", "rolling back");
            return st;
        }
        return exec(db, "COMMIT", "committing the schema upgrade");
    }

    Status insert_rows(const Message& m, const EncodedColumns& enc, int64_t& rowid, bool& inserted);
    Status undo_message(int64_t rowid);
    Status load_folders_of(Message& m);
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const std::string& Store::path() const { return impl_->path; }
const std::string& Store::open_note() const { return impl_->note; }
OpenMode Store::mode() const { return impl_->mode; }

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
    return open(path, mode, OpenOptions{});
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode, const OpenOptions& options) {
    if (path.empty()) return usage("no database path given");
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->mode = mode;

    detail::configure_library();
    int flags = SQLITE_OPEN_NOMUTEX;  // one Store per thread: SQLite's own mutexes are not needed
    bool fresh = false;  // read_write only: the file is new (configure)
    if (mode == OpenMode::read_only) {
        struct stat sb {};
        if (::stat(path.c_str(), &sb) != 0)
            return Error{ErrorCode::not_found, "no database at " + path,
                         "run `interlocutor ingest` first, or pass --db FILE"};
        // A store being filled by its first ingest (OpenOptions::bulk_create) has no WAL yet: a
        // long read would hold up, then fail, the ingest's commits; and one cut short is checked
        // by the next ingest before anything reads it.
        if (::access(creating_marker(path).c_str(), F_OK) == 0)
            return Error{ErrorCode::db_locked, path + " is being created by its first ingest",
                         "wait for `interlocutor ingest` to end; if it was interrupted, run it again: it goes on "
                         "where it stopped"};
        flags |= SQLITE_OPEN_READONLY;
    } else {
        auto st = impl->take_writer_lock();
        if (!st.ok()) return st.error();
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        auto f = prepare_new_file(path);
        if (!f.ok()) return f.error();
        fresh = *f;
        const std::string marker = creating_marker(path);
        if (fresh) {
            // A marker left by an earlier creation of a file that is gone or empty: nothing to check.
            ::unlink(marker.c_str());
            impl->bulk = options.bulk_create && write_creation_marker(path);
        } else if (::access(marker.c_str(), F_OK) == 0) {
            // The first ingest into this store stopped before its end (we hold the writer lock,
            // so it is not running). Cut short in this boot: the file is whole, checked anyway.
            const std::string boot = boot_id();
            const bool same_boot = !boot.empty() && read_small_file(marker) == boot;
            bool intact = false;
            if (same_boot) {
                auto checked = check_interrupted_creation(path, flags | SQLITE_OPEN_READWRITE);
                if (!checked.ok()) return checked.error();
                intact = *checked;
            }
            if (!intact) {
                // After a restart of the system, or damaged: it only ever held what that first
                // ingest read from its sources, which are where they were. Set aside, not deleted.
                const std::string aside = path + ".incomplete";
                if (::rename(path.c_str(), aside.c_str()) != 0)
                    return Error{ErrorCode::io, "cannot set aside the incomplete store " + path + ": " + std::strerror(errno),
                                 "delete it (it only held what its first ingest had read), then ingest again"};
                for (const char* suffix : {"-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
                ::unlink(marker.c_str());
                impl.reset();  // the writer lock, taken again by the open below
                auto again = open(path, mode, options);
                if (again.ok())
                    again.value()->impl_->note =
                        "the first ingest into " + path +
                        (same_boot ? " was cut short and left the file damaged"
                                   : " was cut short by a restart of the system, which can lose what it wrote") +
                        "; it was set aside as " + aside + " and the store is created again";
                return again;
            }
            // The killed run's pages may still be in the page cache only: on the disk before the
            // marker goes, or a power loss now would leave a damaged store without its marker.
            if (!sync_path(path))
                return Error{ErrorCode::io, "cannot sync the store " + path + ": " + std::strerror(errno),
                             "its first ingest was cut short; check the disk, or delete the store and ingest again"};
            ::unlink(marker.c_str());
            impl->note = "the first ingest into " + path +
                         " was cut short; the store was checked and is intact: the ingest goes on where it stopped";
        }
    }

    int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error e = sqlite_error(impl->db, rc, "opening " + path);
        return e;
    }
    sqlite3_extended_result_codes(impl->db, 1);
    auto st = impl->configure(fresh, impl->bulk);
    if (!st.ok()) return st.error();

    auto version = impl->read_version();
    if (!version.ok()) return version.error();
    const int current = detail::current_schema_version();
    if (*version > current) {
        return Error{ErrorCode::schema,
                     path + " was written by a newer interlocutor (schema version " + std::to_string(*version) +
                         ", this build knows up to " + std::to_string(current) + ")",
                     "upgrade interlocutor, or use another --db file"};
    }
    if (*version < current) {
        if (mode == OpenMode::read_only) {
            if (*version == 0)
                return Error{ErrorCode::not_found, path + " is empty", "run `interlocutor ingest` first"};
            return Error{ErrorCode::schema,
                         path + " has schema version " + std::to_string(*version) + " and needs an upgrade to " +
                             std::to_string(current),
                         "run `interlocutor ingest` once on one of its sources (a source already stored is "
                         "not read again; opening the file for writing upgrades it), then retry"};
        }
        st = impl->migrate(*version);
        if (!st.ok()) return st.error();
    }
    if (fresh && !impl->bulk) {
        // The schema is committed: from here on the store's transactions are synced as in any
        // other open (configure).
        st = exec(impl->db, "PRAGMA synchronous=NORMAL", "configuring the database");
        if (!st.ok()) return st.error();
    }
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

namespace {
// The schema version of the file at `path` (0 for an empty file), read without the checks of open.
Result<int> stored_schema_version(const std::string& path) {
    Store::Impl impl;
    impl.path = path;
    impl.mode = OpenMode::read_only;
    detail::configure_library();
    const int rc = sqlite3_open_v2(path.c_str(), &impl.db, SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(impl.db, rc, "opening " + path);
    return impl.read_version();
}
}  // namespace

Result<std::unique_ptr<Store>> Store::open_for_reading(const std::string& path, int wait_seconds,
                                                       const std::function<void(const std::string&)>& note) {
    auto ro = open(path, OpenMode::read_only);
    if (ro.ok() || ro.error().code != ErrorCode::schema) return ro;
    const int current = detail::current_schema_version();
    auto version = stored_schema_version(path);
    if (!version.ok() || *version < 1 || *version >= current) return ro;  // newer, damaged: as is
    if (note)
        note("upgrading " + path + " from schema version " + std::to_string(*version) + " to " +
             std::to_string(current) + " (once; a large store takes a minute)");
    for (int waited = 0;; ++waited) {
        auto rw = open(path, OpenMode::read_write);  // applies the migrations, then closes
        if (rw.ok()) break;
        if (rw.error().code != ErrorCode::db_locked) {
            Error e = ro.error();
            e.hint = "upgrading it failed: " + rw.error().to_string();
            return e;
        }
        // An ingest holds the store: it upgrades the file itself when it opens it.
        if (auto now = stored_schema_version(path); now.ok() && *now >= current) break;
        if (waited >= wait_seconds) {
            Error e = ro.error();
            e.hint = "another interlocutor holds the store for writing; retry when it ends";
            return e;
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return open(path, OpenMode::read_only);
}

// --- batches ------------------------------------------------------------------------------

bool Store::in_batch() const { return impl_->batch; }

Status Store::begin_batch() {
    auto st = impl_->require_writer();
    if (!st.ok()) return st;
    if (impl_->batch) return usage("a write batch is already open");
    // IMMEDIATE takes the write lock now, so a failure shows here and not at COMMIT time.
    st = exec(impl_->db, "BEGIN IMMEDIATE", "starting a write batch");
    if (!st.ok()) return st;
    impl_->batch = true;
    return ok_status();
}

Status Store::commit_batch() {
    if (!impl_->batch) return usage("no write batch is open");
    auto st = exec(impl_->db, "COMMIT", "committing a write batch");
    if (!st.ok()) {
        // A failed COMMIT may leave the transaction open; drop it so the Store stays usable.
        if (!sqlite3_get_autocommit(impl_->db)) exec(impl_->db, "ROLLBACK", "rolling back");
    } else {
        if (!impl_->checkpointer)
            impl_->checkpointer = std::make_unique<detail::Checkpointer>(impl_->path, /*sync_only=*/impl_->bulk);
        impl_->checkpointer->request();
    }
    impl_->batch = false;
    return st;
}

void Store::rollback_batch() {
    if (!impl_->batch) return;
    if (!sqlite3_get_autocommit(impl_->db)) exec(impl_->db, "ROLLBACK", "rolling back a write batch");
    impl_->batch = false;
}

// --- messages -----------------------------------------------------------------------------

EncodedColumns encode_columns(const Message& m) {
    return {detail::encode_list(m.in_reply_to), detail::encode_list(m.references), detail::encode_cues(m.cues),
            detail::encode_warnings(m.warnings), detail::encode_mailboxes(m)};
}

Status Store::Impl::insert_rows(const Message& m, const EncodedColumns& enc, int64_t& rowid, bool& inserted) {
    static const std::string kInsert = insert_message_sql();
    auto ps = prepared(ins_message, kInsert);
    if (!ps.ok()) return ps.error();
    Stmt& s = **ps;
    // The encoded lists live until after the statement's run(): bound without SQLite's private
    // copy, like the Message's own strings.
    const std::string &in_reply_to = enc.in_reply_to, &refs = enc.refs, &cues = enc.cues, &warnings = enc.warnings;
    int c = 1;
    s.bind_static(c++, m.message_id);
    s.bind(c++, m.synthetic_id);
    s.bind_static_or_null(c++, in_reply_to);
    s.bind_static_or_null(c++, refs);
    s.bind_static_or_null(c++, m.thread_index);
    s.bind_static_or_null(c++, m.thread_topic);
    s.bind_static_or_null(c++, m.subject);
    s.bind(c++, m.date);
    s.bind(c++, m.tz_offset_min);
    s.bind_literal(c++, date_source_name(m.date_source));
    for (const std::string* h : {&m.auto_submitted, &m.precedence, &m.list_id, &m.list_unsubscribe, &m.x_autoreply,
                                 &m.x_autorespond, &m.return_path, &m.content_type, &m.content_language, &m.x_mailer})
        s.bind_static_or_null(c++, *h);
    s.bind(c++, m.is_report);
    s.bind(c++, m.body_from_html);
    s.bind(c++, m.attachment_count);
    s.bind_static_or_null(c++, m.new_text);
    s.bind_static_or_null(c++, m.quoted);
    s.bind_static_or_null(c++, m.signature);
    s.bind_static_or_null(c++, m.signature_name);
    s.bind_static_or_null(c++, m.signature_title);
    s.bind(c++, m.automated);
    s.bind_static_or_null(c++, m.automated_reason);
    if (m.ooo_until) s.bind(c++, *m.ooo_until); else s.bind_null(c++);
    s.bind(c++, m.expects_reply);
    s.bind_static_or_null(c++, cues);
    s.bind_static_or_null(c++, m.lang);
    s.bind_static_or_null(c++, warnings);
    s.bind_static_or_null(c++, m.source.path);
    s.bind(c++, m.source.offset);
    s.bind(c++, m.source.length);
    s.bind_static_or_null(c++, m.source.folder);
    s.bind(c++, flags_bits(m.flags));
    s.bind_static_or_null(c++, enc.mailboxes);  // every mailbox of the message (schema version 2)
    auto st = s.run("inserting a message");
    if (!st.ok()) return with_id(st.error(), m.message_id);

    inserted = sqlite3_changes(db) == 1;
    if (inserted) {
        // The mailboxes went in with the row (its `mailboxes` column, encoded by encode_columns).
        rowid = sqlite3_last_insert_rowid(db);
    } else {
        auto pr = prepared(sel_rowid, "SELECT id FROM messages WHERE message_id=?");
        if (!pr.ok()) return pr.error();
        Stmt& q = **pr;
        q.bind(1, m.message_id);
        auto row = q.step("looking up message " + m.message_id);
        if (!row.ok()) return row.error();
        rowid = *row ? q.col_int(0) : 0;
        q.reset();
        if (!rowid) return Error{ErrorCode::internal, "message " + m.message_id + " vanished during insert", {}};
    }

    // Remember the folder; seq keeps the order of first sighting (0 for a new message, which
    // spares the count on the common path).
    auto pf = inserted ? prepared(ins_folder, "INSERT INTO message_folders(message, source_path, folder, seq) "
                                              "VALUES(?1, ?2, ?3, 0)")
                       : prepared(ins_more_folder,
                                  "INSERT INTO message_folders(message, source_path, folder, seq) "
                                  "VALUES(?1, ?2, ?3, (SELECT count(*) FROM message_folders WHERE message=?1)) "
                                  "ON CONFLICT DO NOTHING");
    if (!pf.ok()) return pf.error();
    Stmt& f = **pf;
    f.bind(1, rowid);
    f.bind_static(2, m.source.path);
    f.bind_static(3, m.source.folder);
    st = f.run("recording the folder of a message");
    return st.ok() ? st : Status(with_id(st.error(), m.message_id));
}

Status Store::Impl::undo_message(int64_t rowid) {
    for (const char* sql : {"DELETE FROM message_folders WHERE message=?", "DELETE FROM messages WHERE id=?"}) {
        Stmt s;
        auto st = s.prepare(db, sql);
        if (!st.ok()) return st;
        s.bind(1, rowid);
        st = s.run("undoing a partly stored message");
        if (!st.ok()) return st;
    }
    return ok_status();
}

Result<InsertOutcome> Store::insert_message(const Message& m) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st.error();
    return insert_message(m, encode_columns(m));
}

Result<InsertOutcome> Store::insert_message(const Message& m, const EncodedColumns& encoded) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st.error();
    if (m.message_id.empty()) return usage("cannot store a message without a message_id (parsers synthesize one)");
    Impl& I = *impl_;

    // A message is several rows and must be stored all-or-nothing. Outside a batch it gets its
    // own transaction. Inside a batch a SAVEPOINT per message would do it, but measured it
    // costs a third of the insert rate (SQLite journals every touched page for it); instead a
    // failure after the messages row was written deletes that message's rows again. Failures
    // here are I/O-level (disk full, I/O error, out of memory): the constraints cannot fire.
    const bool own = !I.batch;
    if (own) {
        st = exec(I.db, "BEGIN IMMEDIATE", "starting to insert a message");
        if (!st.ok()) return st.error();
    }

    int64_t rowid = 0;
    bool inserted = false;
    st = I.insert_rows(m, encoded, rowid, inserted);
    if (!st.ok()) {
        if (own) {
            if (!sqlite3_get_autocommit(I.db)) exec(I.db, "ROLLBACK", "rolling back");
        } else if (sqlite3_get_autocommit(I.db)) {
            // SQLite itself rolled the whole batch back (disk full, I/O error).
            I.batch = false;
        } else if (inserted && rowid > 0) {
            auto undo = I.undo_message(rowid);
            if (!undo.ok()) {
                // The batch can no longer be trusted: drop all of it and say so.
                exec(I.db, "ROLLBACK", "rolling back");
                I.batch = false;
                Error e = st.error();
                e.message += "; the current write batch was rolled back";
                return e;
            }
        }
        return st.error();
    }
    if (own) {
        st = exec(I.db, "COMMIT", "committing a message");
        if (!st.ok()) {
            if (!sqlite3_get_autocommit(I.db)) exec(I.db, "ROLLBACK", "rolling back");
            return st.error();
        }
    }
    return inserted ? InsertOutcome::inserted : InsertOutcome::duplicate;
}

namespace {

// --- pipelined full scans ------------------------------------------------------------------
// A full load is two kinds of work: stepping SQLite through the b-tree pages, and turning column
// bytes into strings and vectors (an allocation each). They overlap on two cores: a reader thread
// steps the statements and copies each row's columns into a flat RawRows batch (one buffer for
// all the text of a batch), while the calling thread decodes the batches, in order, into the
// result, exactly as it decoded rows straight from the statement before. The connection is used
// by one thread at a time: the caller opens the read transaction and prepares the statements,
// only the reader thread steps them, and the caller ends the transaction after joining it.

// How a column is copied: as an integer (sqlite3_column_int64, with its NULL-ness, so col_null and
// col_int read as on the statement) or as text (sqlite3_column_text; NULL reads as "").
enum class Col : uint8_t { integer, text };

struct RawRows {
    struct Cell {
        int64_t i = 0;
        size_t off = 0, len = 0;  // the text cell's bytes in `text`
        bool null = false;        // integer cells only
    };
    int tag = 0;          // which statement the rows come from (the scan's own numbering)
    size_t ncols = 0;
    std::vector<Cell> cells;  // ncols per row
    std::string text;         // the text of every text cell, back to back

    size_t rows() const { return ncols ? cells.size() / ncols : 0; }
    void reset(int t, size_t n) {
        tag = t;
        ncols = n;
        cells.clear();
        text.clear();
    }
    // Copies the statement's current row; cols[i] says how to read column i.
    void add(const Stmt& s, const std::vector<Col>& cols) {
        for (size_t i = 0; i < cols.size(); ++i) {
            Cell& c = cells.emplace_back();
            const int col = int(i);
            if (cols[i] == Col::integer) {
                c.null = s.col_null(col);
                if (!c.null) c.i = s.col_int(col);
            } else {
                std::string_view v = s.col_view(col);
                c.off = text.size();
                c.len = v.size();
                text.append(v);
            }
        }
    }
};

// One row of a RawRows batch with the read interface of Stmt, so the row decoders (templates)
// read a copied row exactly as they read the statement.
class RawRow {
public:
    RawRow(const RawRows& b, size_t row) : b_(&b), c_(b.cells.data() + row * b.ncols) {}
    int64_t col_int(int i) const { return c_[i].i; }
    bool col_null(int i) const { return c_[i].null; }
    std::string_view col_view(int i) const { return std::string_view(b_->text.data() + c_[i].off, c_[i].len); }
    std::string col_text(int i) const { return std::string(col_view(i)); }
    void col_text_into(int i, std::string& out) const { out.assign(b_->text.data() + c_[i].off, c_[i].len); }

private:
    const RawRows* b_;
    const RawRows::Cell* c_;
};

// What the reader thread hands over at a time: for load_messages one batch of one statement;
// for scan_thread_rows a batch of messages.
struct RawBatch {
    RawRows main;
};

// A bounded queue of batches from the reader thread to the decoding thread. Decoded batches come
// back as spares, so their buffers are reused instead of allocated (and page-faulted) afresh.
class RowPipe {
public:
    // Reader side. A fresh (or recycled) batch to fill.
    RawBatch spare() {
        std::lock_guard<std::mutex> lk(m_);
        if (spares_.empty()) return RawBatch{};
        RawBatch b = std::move(spares_.back());
        spares_.pop_back();
        return b;
    }
    // False when the decoding side gave up: the reader stops.
    bool push(RawBatch&& b) {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return cancelled_ || full_.size() < kDepth; });
        if (cancelled_) return false;
        full_.push_back(std::move(b));
        cv_.notify_all();
        return true;
    }
    // The reader is done; `error` when a step failed.
    void close(std::optional<Error> error = std::nullopt) {
        std::lock_guard<std::mutex> lk(m_);
        error_ = std::move(error);
        closed_ = true;
        cv_.notify_all();
    }
    bool cancelled() {
        std::lock_guard<std::mutex> lk(m_);
        return cancelled_;
    }

    // Decoding side. False once the reader closed and every batch was taken.
    bool pop(RawBatch& out) {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return closed_ || !full_.empty(); });
        if (full_.empty()) return false;
        out = std::move(full_.front());
        full_.pop_front();
        cv_.notify_all();
        return true;
    }
    void give_back(RawBatch&& b) {
        std::lock_guard<std::mutex> lk(m_);
        if (spares_.size() < kDepth + 1) spares_.push_back(std::move(b));
    }
    void cancel() {
        std::lock_guard<std::mutex> lk(m_);
        cancelled_ = true;
        cv_.notify_all();
    }
    // After the reader was joined.
    const std::optional<Error>& error() const { return error_; }

private:
    static constexpr size_t kDepth = 3;  // batches read ahead
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<RawBatch> full_;
    std::vector<RawBatch> spares_;
    bool closed_ = false, cancelled_ = false;
    std::optional<Error> error_;
};

// Runs `body` on its own thread; the destructor cancels the pipe and joins, so an exception on the
// decoding side never leaves the reader running on the connection. join() before the caller
// touches the connection again (COMMIT / ROLLBACK).
class ReaderThread {
public:
    template <typename Body>
    ReaderThread(RowPipe& pipe, Body body) : pipe_(pipe), thread_(std::move(body)) {}
    ~ReaderThread() {
        pipe_.cancel();
        join();
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    RowPipe& pipe_;
    std::thread thread_;
};

// The read transaction of a scan: several statements (or a pipelined scan and the count before
// it) see one committed snapshot while another process commits batches. The caller's transaction
// when one is open, else its own, rolled back if commit() is not reached (declare it before a
// ReaderThread, which must stop first).
class ReadTxn {
public:
    explicit ReadTxn(sqlite3* db) : db_(db) {}
    ~ReadTxn() {
        if (own_) exec(db_, "ROLLBACK", "ending a read");
    }
    ReadTxn(const ReadTxn&) = delete;
    ReadTxn& operator=(const ReadTxn&) = delete;
    Status begin() {
        if (!sqlite3_get_autocommit(db_)) return ok_status();
        auto st = exec(db_, "BEGIN", "starting to read");
        own_ = st.ok();
        return st;
    }
    Status commit() {
        if (!own_) return ok_status();
        own_ = false;
        return exec(db_, "COMMIT", "ending a read");
    }

private:
    sqlite3* db_;
    bool own_ = false;
};

// How many messages the store holds (in the reader's snapshot when inside a ReadTxn).
Result<size_t> count_messages(sqlite3* db) {
    Stmt n;
    auto st = n.prepare(db, "SELECT count(*) FROM messages");
    if (!st.ok()) return st.error();
    auto r = n.step("counting messages");
    if (!r.ok()) return r.error();
    return size_t(n.col_int(0));
}

// Reader side: steps `s` to its end into batches tagged `tag` of at most `max_rows` rows or about
// `max_bytes` of text. False when it stopped early (a failed step, already closed into the pipe,
// or a cancel).
bool pump_rows(Stmt& s, int tag, const std::vector<Col>& cols, RowPipe& pipe, std::string_view what,
               size_t max_rows, size_t max_bytes) {
    for (;;) {
        RawBatch b = pipe.spare();
        b.main.reset(tag, cols.size());
        bool end = false;
        while (b.main.rows() < max_rows && b.main.text.size() < max_bytes) {
            auto r = s.step(what);
            if (!r.ok()) {
                pipe.close(r.error());
                return false;
            }
            if (!*r) {
                end = true;
                break;
            }
            b.main.add(s, cols);
        }
        if (b.main.rows() > 0 && !pipe.push(std::move(b))) return false;
        if (end) return true;
    }
}

// How load_messages copies each column of select_message_sql (the rowid, then kMessageColumns):
// the INTEGER columns as integers, the others as text, as read_message_row reads them.
const std::vector<Col>& message_row_cols() {
    static const std::vector<Col> cols = [] {
        static const std::string_view ints[] = {"synthetic_id",   "date",          "tz_offset_min",
                                                "is_report",      "body_from_html", "attachment_count",
                                                "automated",      "ooo_until",      "expects_reply",
                                                "source_offset",  "source_length",  "flags"};
        std::vector<Col> c{Col::integer};
        for (int i = 0; i < kNumColumns; ++i)
            c.push_back(std::find(std::begin(ints), std::end(ints), kMessageColumns[i]) != std::end(ints) ? Col::integer
                                                                                                      : Col::text);
        return c;
    }();
    return cols;
}

}  // namespace

Result<std::vector<Message>> Store::load_messages(const LoadOptions& opts) {
    sqlite3* db = impl_->db;
    // One read transaction over the two scans: messages (with their mailboxes) and folders come
    // from the same committed snapshot even while another process commits batches.
    ReadTxn txn(db);
    if (auto st = txn.begin(); !st.ok()) return st.error();
    std::vector<Message> out;
    {
        auto n = count_messages(db);
        if (!n.ok()) return n.error();
        out.reserve(*n);
    }
    // Two scans, pipelined (see "pipelined full scans"): the reader thread steps them one after
    // the other; this thread decodes. Folders are clustered by message (WITHOUT ROWID primary
    // key), so they are one sequential scan merged with the messages, which are sorted by rowid too.
    enum : int { kMessages, kFolders };
    const bool with_folders = !opts.detector_columns_only;
    Stmt msgs, folders;
    auto st = msgs.prepare(db, select_message_sql(opts, "ORDER BY id").c_str());
    if (st.ok() && with_folders) st = folders.prepare(db, "SELECT message, folder FROM message_folders ORDER BY message, seq");
    if (!st.ok()) return st.error();

    RowPipe pipe;
    ReaderThread reader(pipe, [&] {
        // Message batches are bounded in bytes too: with text a row is a few KiB.
        if (!pump_rows(msgs, kMessages, message_row_cols(), pipe, "reading messages", 2048, 4u << 20)) return;
        if (with_folders &&
            !pump_rows(folders, kFolders, {Col::integer, Col::text}, pipe, "reading folders", 8192, 4u << 20))
            return;
        pipe.close();
    });
    // Merge position of the folders scan; `past_end` once a row's message is beyond the last
    // message (the scan stopped there before the pipeline, its rows are ignored).
    size_t j_folder = 0;
    bool folders_past_end = false;
    RawBatch b;
    while (pipe.pop(b)) {
        const RawRows& rows = b.main;
        const size_t n = rows.rows();
        if (rows.tag == kMessages) {
            for (size_t i = 0; i < n; ++i)
                read_message_row(RawRow(rows, i), out.emplace_back(), opts.detector_columns_only);
        } else {
            for (size_t i = 0; i < n && !folders_past_end; ++i) {
                RawRow s(rows, i);
                int64_t id = s.col_int(0);
                while (j_folder < out.size() && out[j_folder].rowid < id) ++j_folder;
                if (j_folder == out.size()) {
                    folders_past_end = true;
                    break;
                }
                if (out[j_folder].rowid == id) add_folder(out[j_folder], s.col_text(1));
            }
        }
        pipe.give_back(std::move(b));
    }
    reader.join();
    if (pipe.error()) return *pipe.error();
    if (auto c = txn.commit(); !c.ok()) return c.error();
    return out;
}

Status Store::scan_messages(const LoadOptions& opts,
                            const std::function<void(std::vector<Message>& batch, size_t total)>& sink) {
    sqlite3* db = impl_->db;
    ReadTxn txn(db);
    if (auto st = txn.begin(); !st.ok()) return st.error();
    auto counted = count_messages(db);
    if (!counted.ok()) return counted.error();
    const size_t total = *counted;
    Stmt msgs;
    auto st = msgs.prepare(db, select_message_sql(opts, "ORDER BY id").c_str());
    if (!st.ok()) return st.error();
    // Pipelined as load_messages (the reader thread steps, this thread decodes), each batch of
    // rows decoded into Messages and handed to the sink at once.
    RowPipe pipe;
    ReaderThread reader(pipe, [&] {
        if (pump_rows(msgs, 0, message_row_cols(), pipe, "reading messages", 2048, 4u << 20)) pipe.close();
    });
    std::vector<Message> batch;
    RawBatch b;
    while (pipe.pop(b)) {
        batch.clear();
        for (size_t i = 0, n = b.main.rows(); i < n; ++i)
            read_message_row(RawRow(b.main, i), batch.emplace_back(), opts.detector_columns_only);
        pipe.give_back(std::move(b));
        sink(batch, total);
    }
    reader.join();
    if (pipe.error()) return *pipe.error();
    if (auto c = txn.commit(); !c.ok()) return c.error();
    return ok_status();
}

Result<std::vector<ThreadRow>> Store::load_thread_rows() {
    std::vector<ThreadRow> out;
    auto st = scan_thread_rows(4096, [&](std::vector<ThreadRow>& batch, size_t total) {
        if (out.empty()) out.reserve(total);
        for (auto& r : batch) out.push_back(std::move(r));
    });
    if (!st.ok()) return st.error();
    return out;
}

Status Store::scan_thread_rows(size_t batch_size,
                               const std::function<void(std::vector<ThreadRow>& batch, size_t total)>& sink) {
    sqlite3* db = impl_->db;
    if (batch_size == 0) batch_size = 1;
    ReadTxn txn(db);
    if (auto st = txn.begin(); !st.ok()) return st.error();

    auto counted = count_messages(db);
    if (!counted.ok()) return counted.error();
    const size_t total = *counted;
    // The messages in rowid order with the columns threading reads, their mailboxes included (of
    // which only From, To and Cc are kept).
    Stmt msgs;
    auto st = msgs.prepare(db,
                           "SELECT id, message_id, synthetic_id, in_reply_to, refs, subject, date, thread_index, "
                           "thread_topic, list_id, mailboxes FROM messages ORDER BY id");
    if (!st.ok()) return st.error();
    // Pipelined (see "pipelined full scans"): the reader thread steps the statement and hands over
    // batches of batch_size messages; this thread decodes them into ThreadRows and calls the sink.
    static const std::vector<Col> kMsgCols = {Col::integer, Col::text, Col::integer, Col::text, Col::text, Col::text,
                                              Col::integer, Col::text, Col::text,    Col::text, Col::text};
    RowPipe pipe;
    ReaderThread reader(pipe, [&] {
        if (pump_rows(msgs, 0, kMsgCols, pipe, "reading messages", batch_size, SIZE_MAX)) pipe.close();
    });

    std::vector<ThreadRow> batch;
    batch.reserve(std::min(batch_size, total));
    RawBatch raw;
    while (pipe.pop(raw)) {
        batch.clear();
        for (size_t i = 0, n = raw.main.rows(); i < n; ++i) {
            RawRow m(raw.main, i);
            ThreadRow& t = batch.emplace_back();
            m.col_text_into(1, t.message_id);
            t.synthetic_id = m.col_int(2) != 0;
            t.in_reply_to = detail::decode_list(m.col_view(3));
            t.references = detail::decode_list(m.col_view(4));
            m.col_text_into(5, t.subject);
            t.date = m.col_int(6);
            m.col_text_into(7, t.thread_index);
            m.col_text_into(8, t.thread_topic);
            m.col_text_into(9, t.list_id);
            // Participants: the From, To and Cc addresses in that order (the column's record
            // order), each once, as threading::thread_input_from() lists them.
            auto& p = t.participants;
            detail::for_each_mailbox(m.col_view(10), [&](char role, std::string& address, std::string& name) {
                if (role != 'f' && role != 't' && role != 'c') return;
                if (role == 'f') t.from_display = name.empty() ? address : std::move(name);
                if (!address.empty() && std::find(p.begin(), p.end(), address) == p.end())
                    p.push_back(std::move(address));
            });
        }
        pipe.give_back(std::move(raw));
        sink(batch, total);
    }
    reader.join();
    if (pipe.error()) return *pipe.error();
    if (auto c = txn.commit(); !c.ok()) return c.error();
    return ok_status();
}

Status Store::Impl::load_folders_of(Message& m) {
    Stmt s;
    auto st = s.prepare(db, "SELECT folder FROM message_folders WHERE message=? ORDER BY seq");
    if (!st.ok()) return st;
    s.bind(1, m.rowid);
    for (;;) {
        auto r = s.step("reading folders");
        if (!r.ok()) return r.error();
        if (!*r) return ok_status();
        add_folder(m, s.col_text(0));
    }
}

Result<std::optional<Message>> Store::find_message(const std::string& message_id) {
    sqlite3* db = impl_->db;
    ReadTxn txn(db);
    if (auto st = txn.begin(); !st.ok()) return st.error();
    auto result = [&]() -> Result<std::optional<Message>> {
        Stmt s;
        auto st = s.prepare(db, select_message_sql(LoadOptions{}, "WHERE message_id=?").c_str());
        if (!st.ok()) return st.error();
        s.bind(1, message_id);
        auto r = s.step("looking up message " + message_id);
        if (!r.ok()) return r.error();
        if (!*r) return std::optional<Message>();
        Message m;
        read_message_row(s, m);
        st = impl_->load_folders_of(m);
        if (!st.ok()) return st.error();
        return std::optional<Message>(std::move(m));
    }();
    if (result.ok()) txn.commit();  // a read: nothing to lose if the COMMIT fails (as before)
    return result;
}

Result<std::optional<int64_t>> Store::message_rowid(const std::string& message_id) {
    auto pr = impl_->prepared(impl_->sel_rowid, "SELECT id FROM messages WHERE message_id=?");
    if (!pr.ok()) return pr.error();
    Stmt& q = **pr;
    q.bind(1, message_id);
    auto row = q.step("looking up message " + message_id);
    if (!row.ok()) return row.error();
    std::optional<int64_t> id;
    if (*row) id = q.col_int(0);
    q.reset();
    return id;
}

// --- meta ---------------------------------------------------------------------------------

Result<std::optional<std::string>> Store::get_meta(const std::string& key) {
    auto pr = impl_->prepared(impl_->sel_meta, "SELECT value FROM meta WHERE key=?");
    if (!pr.ok()) return pr.error();
    Stmt& s = **pr;
    s.bind(1, key);
    auto row = s.step("reading setting " + key);
    if (!row.ok()) return row.error();
    std::optional<std::string> v;
    if (*row) v = s.col_text(0);
    s.reset();
    return v;
}

Status Store::set_meta(const std::string& key, const std::string& value) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st;
    if (key == "schema_version") return usage("schema_version is managed by the store's migrations");
    auto pr = impl_->prepared(impl_->upd_meta,
                              "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    if (!pr.ok()) return pr.error();
    (*pr)->bind(1, key);
    (*pr)->bind(2, value);
    return (*pr)->run("writing setting " + key);
}

Result<bool> Store::update_flags(const std::string& message_id, const Flags& flags) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st.error();
    auto pr = impl_->prepared(impl_->upd_flags, "UPDATE messages SET flags = ? WHERE message_id = ?");
    if (!pr.ok()) return pr.error();
    (*pr)->bind(1, flags_bits(flags));
    (*pr)->bind(2, message_id);
    if (auto r = (*pr)->run("updating the flags of " + message_id); !r.ok()) return r.error();
    return sqlite3_changes(impl_->db) > 0;
}

Result<std::vector<std::string>> Store::owner_addresses() {
    auto v = get_meta("owner_addresses");
    if (!v.ok()) return v.error();
    return *v ? detail::decode_list(**v) : std::vector<std::string>();
}

Status Store::set_owner_addresses(const std::vector<std::string>& addresses) {
    return set_meta("owner_addresses", detail::encode_list(addresses));
}

Result<std::vector<std::string>> Store::internal_domains() {
    auto v = get_meta("internal_domains");
    if (!v.ok()) return v.error();
    return *v ? detail::decode_list(**v) : std::vector<std::string>();
}

Status Store::set_internal_domains(const std::vector<std::string>& domains) {
    return set_meta("internal_domains", detail::encode_list(domains));
}

// --- sources ------------------------------------------------------------------------------

namespace {
const char* const kSourceColumns =
    "path, kind, size, mtime, done_offset, last_file, completed, uidvalidity, last_uid, message_count, updated_at";

SourceProgress read_source_row(const Stmt& s) {
    SourceProgress p;
    p.path = s.col_text(0);
    p.kind = s.col_text(1);
    p.size = s.col_int(2);
    p.mtime = s.col_int(3);
    p.done_offset = s.col_int(4);
    p.last_file = s.col_text(5);
    p.completed = s.col_int(6) != 0;
    p.uidvalidity = s.col_int(7);
    p.last_uid = s.col_int(8);
    p.message_count = s.col_int(9);
    p.updated_at = s.col_int(10);
    return p;
}
}  // namespace

Result<std::optional<SourceProgress>> Store::source_progress(const std::string& path) {
    auto pr = impl_->prepared(impl_->sel_source, std::string("SELECT ") + kSourceColumns + " FROM sources WHERE path=?");
    if (!pr.ok()) return pr.error();
    Stmt& s = **pr;
    s.bind(1, path);
    auto row = s.step("reading the progress of " + path);
    if (!row.ok()) return row.error();
    std::optional<SourceProgress> p;
    if (*row) p = read_source_row(s);
    s.reset();
    return p;
}

Status Store::set_source_progress(const SourceProgress& p) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st;
    if (p.path.empty()) return usage("a source needs a path");
    auto pr = impl_->prepared(
        impl_->upd_source,
        std::string("INSERT INTO sources(") + kSourceColumns +
            ") VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET kind=excluded.kind, size=excluded.size, "
            "mtime=excluded.mtime, done_offset=excluded.done_offset, last_file=excluded.last_file, "
            "completed=excluded.completed, uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid, "
            "message_count=excluded.message_count, updated_at=excluded.updated_at");
    if (!pr.ok()) return pr.error();
    Stmt& s = **pr;
    s.bind(1, p.path);
    s.bind(2, p.kind);
    s.bind(3, p.size);
    s.bind(4, p.mtime);
    s.bind(5, p.done_offset);
    s.bind(6, p.last_file);
    s.bind(7, p.completed);
    s.bind(8, p.uidvalidity);
    s.bind(9, p.last_uid);
    s.bind(10, p.message_count);
    s.bind(11, now_seconds());
    return s.run("recording the progress of " + p.path);
}

Result<std::vector<SourceProgress>> Store::list_sources() {
    Stmt s;
    auto st = s.prepare(impl_->db, (std::string("SELECT ") + kSourceColumns + " FROM sources ORDER BY id").c_str());
    if (!st.ok()) return st.error();
    std::vector<SourceProgress> out;
    for (;;) {
        auto r = s.step("reading sources");
        if (!r.ok()) return r.error();
        if (!*r) return out;
        out.push_back(read_source_row(s));
    }
}

// --- issues -------------------------------------------------------------------------------

Status Store::record_issue(const IngestIssue& issue) {
    auto st = impl_->require_writer();
    if (!st.ok()) return st;
    auto pr = impl_->prepared(impl_->ins_issue,
                              "INSERT OR IGNORE INTO ingest_issues(source_path, offset, message_id, code, detail, created_at) "
                              "VALUES(?,?,?,?,?,?)");
    if (!pr.ok()) return pr.error();
    Stmt& s = **pr;
    s.bind(1, issue.source_path);
    s.bind(2, issue.offset);
    s.bind(3, issue.message_id);
    s.bind(4, issue.code);
    s.bind(5, issue.detail);
    s.bind(6, now_seconds());
    return s.run("recording an ingest issue");
}

Result<std::vector<IngestIssue>> Store::list_issues() {
    Stmt s;
    auto st = s.prepare(impl_->db, "SELECT source_path, offset, message_id, code, detail FROM ingest_issues ORDER BY id");
    if (!st.ok()) return st.error();
    std::vector<IngestIssue> out;
    for (;;) {
        auto r = s.step("reading ingest issues");
        if (!r.ok()) return r.error();
        if (!*r) return out;
        out.push_back(IngestIssue{s.col_text(0), s.col_int(1), s.col_text(2), s.col_text(3), s.col_text(4)});
    }
}

Result<Store::CompactSizes> Store::compact() {
    auto st = impl_->require_writer();
    if (!st.ok()) return st.error();
    if (impl_->batch) return usage("compact: a write batch is open");
    auto bytes = [this] {
        int64_t n = 0;
        for (const char* suffix : {"", "-wal"}) {
            struct stat sb {};
            if (::stat((impl_->path + suffix).c_str(), &sb) == 0) n += sb.st_size;
        }
        return n;
    };
    CompactSizes sizes;
    sizes.before = bytes();
    // VACUUM writes the new file through the WAL: checkpointed and truncated before and after, so
    // the WAL does not stay the store's size. Its temporary copy goes to a file (under
    // temp_store=MEMORY it would hold the whole store in memory).
    st = exec(impl_->db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing the store");
    if (st.ok())
        st = impl_->with_temp_store_file("preparing to compact the store",
                                         [&] { return exec(impl_->db, "VACUUM", "compacting the store"); });
    if (st.ok()) st = exec(impl_->db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing the store");
    if (!st.ok()) {
        Error e = st.error();
        if (e.hint.empty()) e.hint = "VACUUM needs about the store's size free on disk (and in the temporary directory); the store is unchanged";
        return e;
    }
    sizes.after = bytes();
    return sizes;
}

Result<Counts> Store::counts() {
    Stmt s;
    auto st = s.prepare(impl_->db,
                        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM sources), "
                        "(SELECT count(*) FROM ingest_issues)");
    if (!st.ok()) return st.error();
    auto r = s.step("counting");
    if (!r.ok()) return r.error();
    return Counts{s.col_int(0), s.col_int(1), s.col_int(2)};
}

Result<int64_t> Store::count_mailboxes() {
    // One record per mailbox, separated by '\n' (escaped inside a field): records = newlines + 1.
    // length() counts characters, but a '\n' byte is one character and never part of another.
    Stmt s;
    auto st = s.prepare(impl_->db,
                        "SELECT coalesce(sum(length(mailboxes) - length(replace(mailboxes, char(10), '')) + 1), 0) "
                        "FROM messages WHERE mailboxes IS NOT NULL");
    if (!st.ok()) return st.error();
    auto r = s.step("counting mailboxes");
    if (!r.ok()) return r.error();
    return s.col_int(0);
}

}  // namespace ilc::store
