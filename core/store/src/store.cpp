// Store: the SQLite-backed implementation of interlocutor/store/store.h.
// The schema lives in schema.cpp; SQLite's C API is wrapped in sqlite_adapter.h.
#include "interlocutor/store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "codec.h"
#include "schema.h"
#include "sqlite_adapter.h"

namespace ilc::store {

using detail::exec;
using detail::sqlite_error;
using detail::Stmt;

namespace {

const char* const kLockedHint = "database locked — is another interlocutor ingest or serve running?";

// The messages columns in the order both the INSERT and the SELECTs use; kCol* below index it.
const char* const kMessageColumns[] = {
    "message_id", "synthetic_id", "in_reply_to", "refs", "thread_index", "thread_topic", "subject",
    "date", "tz_offset_min", "date_source", "auto_submitted", "precedence", "list_id",
    "list_unsubscribe", "x_autoreply", "x_autorespond", "return_path", "content_type",
    "content_language", "x_mailer", "is_report", "body_from_html", "attachment_count", "new_text",
    "quoted", "signature", "signature_name", "signature_title", "automated", "automated_reason",
    "ooo_until", "expects_reply", "cues", "lang", "warnings", "source_path", "source_offset",
    "source_length", "source_folder", "flags"};
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

// Fills a Message from a row of select_message_sql (column 0 is the rowid).
void read_message_row(const Stmt& s, Message& m) {
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
    m.cues = detail::decode_cues(s.col_view(c++));
    s.col_text_into(c++, m.lang);
    m.warnings = detail::decode_warnings(s.col_view(c++));
    s.col_text_into(c++, m.source.path);
    m.source.offset = s.col_int(c++);
    m.source.length = s.col_int(c++);
    s.col_text_into(c++, m.source.folder);
    m.flags = flags_from(s.col_int(c++));
}

// Adds one recipients row (role, address, name) to its message.
void add_recipient(Message& m, std::string_view role, std::string address, std::string name) {
    Mailbox mb{std::move(name), std::move(address)};
    if (role == "from") m.from = std::move(mb);
    else if (role == "sender") m.sender = std::move(mb);
    else if (role == "reply_to") m.reply_to.push_back(std::move(mb));
    else if (role == "to") m.to.push_back(std::move(mb));
    else if (role == "cc") m.cc.push_back(std::move(mb));
    else if (role == "bcc") m.bcc.push_back(std::move(mb));
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

    // Prepared once, reused for every row (prepared lazily by prepared()).
    Stmt ins_message, ins_recipient, ins_folder, ins_more_folder, sel_rowid;
    Stmt sel_meta, upd_meta, sel_source, upd_source, ins_issue, upd_flags;

    ~Impl() {
        if (db) {
            if (batch) exec(db, "ROLLBACK", "rolling back");
            // close_v2 defers the close until the statements above are finalized by their
            // destructors, which run right after this body.
            sqlite3_close_v2(db);
        }
        if (lock_fd >= 0) ::close(lock_fd);  // releases the flock
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

    Status configure() {
        // Readers wait for a checkpoint or a schema change rather than failing at once.
        sqlite3_busy_timeout(db, 10000);
        // Neither readers nor the writer memory-map the file, and both keep a bounded 16 MiB page
        // cache: mapped pages count in resident memory, so a 256 MiB mmap made `threads` on a
        // 100,000-message store hold 180 MB of the file on top of its messages, and would grow
        // ingest's memory with the store. The full load is one sequential scan, which the OS page
        // cache serves as fast as a mapping (measured: bench/README.md). Temp b-trees stay in memory.
        auto st = exec(db, "PRAGMA cache_size=-16384; PRAGMA mmap_size=0; PRAGMA temp_store=MEMORY",
                       "configuring the database");
        if (!st.ok()) return st;
        if (mode == OpenMode::read_only) return exec(db, "PRAGMA query_only=1", "configuring the database");
        // WAL lets readers (analyze, serve) keep reading committed snapshots while ingest
        // writes; synchronous=NORMAL is durable across application crashes and only risks the
        // last transactions on power loss, which a resumed ingest writes again.
        st = exec(db, "PRAGMA journal_mode=WAL", "switching to WAL mode");
        if (!st.ok()) return st;
        // Foreign keys stay off: rows are only ever added, and the checks would cost a lookup per
        // recipient row at ingest.
        return exec(db, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864",
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

    Status migrate(int from) {
        auto st = exec(db, "BEGIN IMMEDIATE", "starting the schema upgrade");
        if (!st.ok()) return st;
        const auto& m = detail::migrations();
        for (int v = from; v < int(m.size()); ++v) {
            st = exec(db, m[size_t(v)], "upgrading the schema to version " + std::to_string(v + 1));
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
        if (st.ok() && from == 0) {
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

    Status insert_rows(const Message& m, int64_t& rowid, bool& inserted);
    Status undo_message(int64_t rowid);
    Status load_recipients_of(Message& m);
    Status load_folders_of(Message& m);
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const std::string& Store::path() const { return impl_->path; }
OpenMode Store::mode() const { return impl_->mode; }

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
    if (path.empty()) return usage("no database path given");
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->mode = mode;

    detail::configure_library();
    int flags = SQLITE_OPEN_NOMUTEX;  // one Store per thread: SQLite's own mutexes are not needed
    if (mode == OpenMode::read_only) {
        struct stat sb {};
        if (::stat(path.c_str(), &sb) != 0)
            return Error{ErrorCode::not_found, "no database at " + path,
                         "run `interlocutor ingest` first, or pass --db FILE"};
        flags |= SQLITE_OPEN_READONLY;
    } else {
        auto st = impl->take_writer_lock();
        if (!st.ok()) return st.error();
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }

    int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error e = sqlite_error(impl->db, rc, "opening " + path);
        return e;
    }
    sqlite3_extended_result_codes(impl->db, 1);
    auto st = impl->configure();
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
                         "run `interlocutor ingest` once (it upgrades the file), then retry"};
        }
        st = impl->migrate(*version);
        if (!st.ok()) return st.error();
    }
    return std::unique_ptr<Store>(new Store(std::move(impl)));
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

Status Store::Impl::insert_rows(const Message& m, int64_t& rowid, bool& inserted) {
    static const std::string kInsert = insert_message_sql();
    auto ps = prepared(ins_message, kInsert);
    if (!ps.ok()) return ps.error();
    Stmt& s = **ps;
    int c = 1;
    s.bind(c++, m.message_id);
    s.bind(c++, m.synthetic_id);
    s.bind_or_null(c++, detail::encode_list(m.in_reply_to));
    s.bind_or_null(c++, detail::encode_list(m.references));
    s.bind_or_null(c++, m.thread_index);
    s.bind_or_null(c++, m.thread_topic);
    s.bind_or_null(c++, m.subject);
    s.bind(c++, m.date);
    s.bind(c++, m.tz_offset_min);
    s.bind(c++, date_source_name(m.date_source));
    for (const std::string* h : {&m.auto_submitted, &m.precedence, &m.list_id, &m.list_unsubscribe, &m.x_autoreply,
                                 &m.x_autorespond, &m.return_path, &m.content_type, &m.content_language, &m.x_mailer})
        s.bind_or_null(c++, *h);
    s.bind(c++, m.is_report);
    s.bind(c++, m.body_from_html);
    s.bind(c++, m.attachment_count);
    s.bind_or_null(c++, m.new_text);
    s.bind_or_null(c++, m.quoted);
    s.bind_or_null(c++, m.signature);
    s.bind_or_null(c++, m.signature_name);
    s.bind_or_null(c++, m.signature_title);
    s.bind(c++, m.automated);
    s.bind_or_null(c++, m.automated_reason);
    if (m.ooo_until) s.bind(c++, *m.ooo_until); else s.bind_null(c++);
    s.bind(c++, m.expects_reply);
    s.bind_or_null(c++, detail::encode_cues(m.cues));
    s.bind_or_null(c++, m.lang);
    s.bind_or_null(c++, detail::encode_warnings(m.warnings));
    s.bind_or_null(c++, m.source.path);
    s.bind(c++, m.source.offset);
    s.bind(c++, m.source.length);
    s.bind_or_null(c++, m.source.folder);
    s.bind(c++, flags_bits(m.flags));
    auto st = s.run("inserting a message");
    if (!st.ok()) return with_id(st.error(), m.message_id);

    inserted = sqlite3_changes(db) == 1;
    if (inserted) {
        rowid = sqlite3_last_insert_rowid(db);
        auto pr = prepared(ins_recipient,
                           "INSERT OR IGNORE INTO recipients(message, role, position, address, name) VALUES(?,?,?,?,?)");
        if (!pr.ok()) return pr.error();
        Stmt& r = **pr;
        auto put = [&](const char* role, int pos, const Mailbox& mb) -> Status {
            r.bind(1, rowid);
            r.bind(2, role);
            r.bind(3, pos);
            r.bind(4, mb.address);
            r.bind_or_null(5, mb.name);
            auto st = r.run("inserting a recipient");
            return st.ok() ? st : Status(with_id(st.error(), m.message_id));
        };
        // An absent From/Sender is an empty Mailbox: storing no row keeps it absent on load.
        if (!m.from.address.empty() || !m.from.name.empty())
            if (auto e = put("from", 0, m.from); !e.ok()) return e;
        if (!m.sender.address.empty() || !m.sender.name.empty())
            if (auto e = put("sender", 0, m.sender); !e.ok()) return e;
        const std::pair<const char*, const std::vector<Mailbox>*> lists[] = {
            {"reply_to", &m.reply_to}, {"to", &m.to}, {"cc", &m.cc}, {"bcc", &m.bcc}};
        for (const auto& [role, list] : lists)
            for (size_t i = 0; i < list->size(); ++i)
                if (auto e = put(role, int(i), (*list)[i]); !e.ok()) return e;
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
    f.bind(2, m.source.path);
    f.bind(3, m.source.folder);
    st = f.run("recording the folder of a message");
    return st.ok() ? st : Status(with_id(st.error(), m.message_id));
}

Status Store::Impl::undo_message(int64_t rowid) {
    for (const char* sql : {"DELETE FROM recipients WHERE message=?", "DELETE FROM message_folders WHERE message=?",
                            "DELETE FROM messages WHERE id=?"}) {
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
    st = I.insert_rows(m, rowid, inserted);
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

Result<std::vector<Message>> Store::load_messages(const LoadOptions& opts) {
    sqlite3* db = impl_->db;
    // One read transaction over the three scans: messages, recipients and folders come from
    // the same committed snapshot even while another process commits batches.
    const bool own = sqlite3_get_autocommit(db) != 0;
    if (own) {
        auto st = exec(db, "BEGIN", "starting to read");
        if (!st.ok()) return st.error();
    }
    auto finish = [&](Error e) -> Result<std::vector<Message>> {
        if (own) exec(db, "ROLLBACK", "ending a read");
        return e;
    };

    std::vector<Message> out;
    {
        Stmt n;
        auto st = n.prepare(db, "SELECT count(*) FROM messages");
        if (!st.ok()) return finish(st.error());
        auto r = n.step("counting messages");
        if (!r.ok()) return finish(r.error());
        out.reserve(size_t(n.col_int(0)));
    }
    {
        Stmt s;
        auto st = s.prepare(db, select_message_sql(opts, "ORDER BY id").c_str());
        if (!st.ok()) return finish(st.error());
        for (;;) {
            auto r = s.step("reading messages");
            if (!r.ok()) return finish(r.error());
            if (!*r) break;
            read_message_row(s, out.emplace_back());
        }
    }
    {
        // Recipients are clustered by message (WITHOUT ROWID primary key), so this is one
        // sequential scan merged with the messages, which are sorted by rowid too.
        Stmt s;
        auto st = s.prepare(db, "SELECT message, role, address, name FROM recipients ORDER BY message, role, position");
        if (!st.ok()) return finish(st.error());
        size_t j = 0;
        for (;;) {
            auto r = s.step("reading recipients");
            if (!r.ok()) return finish(r.error());
            if (!*r) break;
            int64_t id = s.col_int(0);
            while (j < out.size() && out[j].rowid < id) ++j;
            if (j == out.size()) break;
            if (out[j].rowid == id) add_recipient(out[j], s.col_view(1), s.col_text(2), s.col_text(3));
        }
    }
    if (!opts.detector_columns_only) {
        Stmt s;
        auto st = s.prepare(db, "SELECT message, folder FROM message_folders ORDER BY message, seq");
        if (!st.ok()) return finish(st.error());
        size_t j = 0;
        for (;;) {
            auto r = s.step("reading folders");
            if (!r.ok()) return finish(r.error());
            if (!*r) break;
            int64_t id = s.col_int(0);
            while (j < out.size() && out[j].rowid < id) ++j;
            if (j == out.size()) break;
            if (out[j].rowid == id) add_folder(out[j], s.col_text(1));
        }
    }
    if (own) {
        auto st = exec(db, "COMMIT", "ending a read");
        if (!st.ok()) return st.error();
    }
    return out;
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
    const bool own = sqlite3_get_autocommit(db) != 0;
    if (own) {
        auto st = exec(db, "BEGIN", "starting to read");
        if (!st.ok()) return st.error();
    }
    auto finish = [&](Error e) -> Status {
        if (own) exec(db, "ROLLBACK", "ending a read");
        return e;
    };

    size_t total = 0;
    {
        Stmt n;
        auto st = n.prepare(db, "SELECT count(*) FROM messages");
        if (!st.ok()) return finish(st.error());
        auto r = n.step("counting messages");
        if (!r.ok()) return finish(r.error());
        total = size_t(n.col_int(0));
    }
    // Two statements stepped side by side in one read transaction: the messages in rowid order,
    // and only From, To and Cc of the recipients, clustered by message. Each batch of messages
    // takes the recipients up to its last rowid, so neither list is ever held whole.
    Stmt msgs, rcpt;
    auto st = msgs.prepare(db,
                           "SELECT id, message_id, synthetic_id, in_reply_to, refs, subject, date, thread_index, "
                           "thread_topic, list_id FROM messages ORDER BY id");
    if (!st.ok()) return finish(st.error());
    st = rcpt.prepare(db,
                      "SELECT message, role, address, name FROM recipients WHERE role IN ('from','to','cc') "
                      "ORDER BY message, role, position");
    if (!st.ok()) return finish(st.error());
    auto r0 = rcpt.step("reading recipients");
    if (!r0.ok()) return finish(r0.error());
    bool rcpt_valid = *r0;

    std::vector<ThreadRow> batch;
    std::vector<int64_t> rowids;
    batch.reserve(std::min(batch_size, total));
    rowids.reserve(batch.capacity());
    std::string from;
    std::vector<std::string> to, cc;
    bool more = true;
    while (more) {
        batch.clear();
        rowids.clear();
        while (batch.size() < batch_size) {
            auto r = msgs.step("reading messages");
            if (!r.ok()) return finish(r.error());
            if (!*r) {
                more = false;
                break;
            }
            rowids.push_back(msgs.col_int(0));
            ThreadRow& t = batch.emplace_back();
            msgs.col_text_into(1, t.message_id);
            t.synthetic_id = msgs.col_int(2) != 0;
            t.in_reply_to = detail::decode_list(msgs.col_view(3));
            t.references = detail::decode_list(msgs.col_view(4));
            msgs.col_text_into(5, t.subject);
            t.date = msgs.col_int(6);
            msgs.col_text_into(7, t.thread_index);
            msgs.col_text_into(8, t.thread_topic);
            msgs.col_text_into(9, t.list_id);
        }
        if (batch.empty()) break;
        // Roles sort "cc" < "from" < "to": each message's three lists are gathered, then joined
        // in From, To, Cc order (as threading::thread_input_from() lists them) when it changes.
        size_t j = 0, current = batch.size();
        auto flush = [&]() {
            if (current == batch.size()) return;
            auto& p = batch[current].participants;
            p.reserve(1 + to.size() + cc.size());
            auto add = [&](std::string& a) {
                if (!a.empty() && std::find(p.begin(), p.end(), a) == p.end()) p.push_back(std::move(a));
            };
            add(from);
            for (auto& a : to) add(a);
            for (auto& a : cc) add(a);
            from.clear();
            to.clear();
            cc.clear();
        };
        while (rcpt_valid) {
            int64_t id = rcpt.col_int(0);
            if (id > rowids.back()) break;  // the next batch's
            while (j < batch.size() && rowids[j] < id) ++j;
            if (j < batch.size() && rowids[j] == id) {
                if (j != current) {
                    flush();
                    current = j;
                }
                std::string_view role = rcpt.col_view(1);
                if (role == "from") {
                    from = rcpt.col_text(2);
                    batch[j].from_display = rcpt.col_text(3);
                    if (batch[j].from_display.empty()) batch[j].from_display = from;
                } else if (role == "to") {
                    to.push_back(rcpt.col_text(2));
                } else {
                    cc.push_back(rcpt.col_text(2));
                }
            }
            auto r = rcpt.step("reading recipients");
            if (!r.ok()) return finish(r.error());
            rcpt_valid = *r;
        }
        flush();
        sink(batch, total);
    }
    if (own) {
        auto e = exec(db, "COMMIT", "ending a read");
        if (!e.ok()) return e.error();
    }
    return ok_status();
}

Status Store::Impl::load_recipients_of(Message& m) {
    Stmt s;
    auto st = s.prepare(db, "SELECT role, address, name FROM recipients WHERE message=? ORDER BY role, position");
    if (!st.ok()) return st;
    s.bind(1, m.rowid);
    for (;;) {
        auto r = s.step("reading recipients");
        if (!r.ok()) return r.error();
        if (!*r) return ok_status();
        add_recipient(m, s.col_view(0), s.col_text(1), s.col_text(2));
    }
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
    const bool own = sqlite3_get_autocommit(db) != 0;
    if (own) {
        auto st = exec(db, "BEGIN", "starting to read");
        if (!st.ok()) return st.error();
    }
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
        st = impl_->load_recipients_of(m);
        if (!st.ok()) return st.error();
        st = impl_->load_folders_of(m);
        if (!st.ok()) return st.error();
        return std::optional<Message>(std::move(m));
    }();
    if (own) exec(db, result.ok() ? "COMMIT" : "ROLLBACK", "ending a read");
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

Result<Counts> Store::counts() {
    Stmt s;
    auto st = s.prepare(impl_->db,
                        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM recipients), "
                        "(SELECT count(*) FROM sources), (SELECT count(*) FROM ingest_issues)");
    if (!st.ok()) return st.error();
    auto r = s.step("counting");
    if (!r.ok()) return r.error();
    return Counts{s.col_int(0), s.col_int(1), s.col_int(2), s.col_int(3)};
}

}  // namespace ilc::store
