#pragma once
// The embedded store: one SQLite file per mailbox owner holding every normalized message
// (without the full decoded body) with its mailboxes, the folders it was seen in, ingest
// progress for resume, the owner settings, and the issues met while ingesting.
// The schema is described in core/store/src/schema.cpp and docs/STORE.md.
//
// Concurrency: one Store object is used by one thread at a time. Any number of read_only
// Stores (in any process) may read while one read_write Store writes: SQLite's WAL mode gives
// each read a consistent committed snapshot. Writers exclude each other through a lock file
// next to the database (`<db>.lock`, flock), so a second read_write open fails at once with
// ErrorCode::db_locked instead of blocking half-way through an ingest.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interlocutor/message.h"
#include "interlocutor/result.h"

namespace ilc::store {

enum class OpenMode { read_only, read_write };

enum class InsertOutcome {
    inserted,   // a new row was written
    duplicate,  // the Message-ID was already stored: the first copy is kept, its folder list grows
};

struct LoadOptions {
    // new_text, quoted and signature are the bulk of the rows; analyses that only need
    // headers, cues and flags skip them.
    bool with_text = true;
    // The quoted part is the largest of the three and no detector reads it (they read new_text
    // and the signature): analyze loads without it, which cuts its memory by about a third.
    // Ignored when with_text is false.
    bool with_quoted = true;
    // Leaves out what no detector reads: Return-Path, Content-Type, Content-Language, X-Mailer,
    // the parse warnings, the source location and the folder list (they read empty), and the
    // cue texts: each cue family is listed once, with an empty text (detectors test families).
    // `analyze` on a large store keeps only what its findings depend on (docs/PERFORMANCE.md
    // "Large stores").
    bool detector_columns_only = false;

    // What an analysis reads (`analyze`, `digest`, the service's snapshot, team publish): the
    // texts without the quoted part, the detectors' columns only.
    static LoadOptions for_analysis() {
        LoadOptions o;
        o.with_quoted = false;
        o.detector_columns_only = true;
        return o;
    }
};

// The fields that conversation threading reads of one message, loaded straight from the
// columns without building a Message: `threads` on a large store needs a tenth of the memory
// (docs/PERFORMANCE.md "Large stores"). Ids are bare; participants are the lower-case From, To
// and Cc addresses in that order, each once, as threading::thread_input_from() lists them.
struct ThreadRow {
    std::string message_id;
    bool synthetic_id = false;
    std::vector<std::string> in_reply_to, references;
    std::string subject;
    int64_t date = 0;
    std::vector<std::string> participants;
    std::string thread_index, thread_topic, list_id;
    std::string from_display;  // the From name, else its address ("" without From): for text listings
};

// Ingest progress of one source (an mbox file, a Maildir or .eml tree, one IMAP folder, a PST),
// written in the same transaction as the messages it covers so that a crash resumes exactly.
struct SourceProgress {
    std::string path;              // the source as given, canonical (absolute path or imap://user@host/Folder)
    std::string kind;              // "mbox", "maildir", "eml", "imap", "pst"
    int64_t size = 0;              // bytes when last seen (files), to notice a changed source
    int64_t mtime = 0;             // seconds since epoch when last seen (files)
    int64_t done_offset = 0;       // the byte offset up to which every message has been stored (mbox)
    std::string last_file;         // the last file fully stored (Maildir/.eml trees walked in sorted order)
    bool completed = false;        // the whole source was stored
    int64_t uidvalidity = 0;       // IMAP: UIDVALIDITY of the folder when last_uid was recorded
    int64_t last_uid = 0;          // IMAP: highest UID stored
    int64_t message_count = 0;     // messages read from the source so far (inserted + duplicates)
    int64_t updated_at = 0;        // seconds since epoch, set by the store on every write
};

// A message that was skipped or repaired while ingesting, with its position in the source.
struct IngestIssue {
    std::string source_path;
    int64_t offset = -1;           // byte offset in the source, -1 when unknown
    std::string message_id;        // empty when the message had none (or could not be parsed)
    std::string code;              // short stable code: "truncated", "no_message_id", "bad_mime", ...
    std::string detail;            // for a person
};

struct Counts {
    int64_t messages = 0;
    int64_t sources = 0;
    int64_t issues = 0;
};

// The schema version this build writes; older files are migrated on a read_write open,
// newer ones are refused with ErrorCode::schema.
int schema_version();

// $XDG_DATA_HOME/interlocutor/interlocutor.db, else ~/.local/share/interlocutor/interlocutor.db.
// Missing directories are created with mode 0700 (mail is private); failures to create them
// surface later as a clear error from Store::open.
std::string default_db_path();

// The message columns that insert_message computes from a Message rather than binding a field
// as it is: the list-valued ones in the store's encoding. encode_columns is pure and may run on
// any thread: the ingest fills it on its parse workers, so that its one writer thread only binds
// and steps (insert_message(m, encode_columns(m)) == insert_message(m)).
struct EncodedColumns {
    std::string in_reply_to, refs, cues, warnings;
    std::string mailboxes;  // every mailbox of the message, one column (schema version 2)
};
EncodedColumns encode_columns(const Message& m);

// How a read_write open writes a store it creates.
struct OpenOptions {
    // The store is new and about to be filled (a first ingest): until it closes it is written
    // without a WAL, each page once, straight into the file (docs/STORE.md, "First ingest").
    // Ignored for a store that already exists. Safe against crashes of the process (a rollback
    // journal); against a power loss by the marker file PATH.creating, which a later read_write
    // open finds: cut short in the same boot, the file is checked and the ingest resumes; after
    // a restart of the system (or damaged) the file is set aside as PATH.incomplete and the
    // store starts over (open_note() says which).
    bool bulk_create = false;
};

class Store {
public:
    // read_write creates the file and its schema when missing, migrates an older schema and
    // takes the writer lock; read_only needs an existing, current database.
    static Result<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode);
    static Result<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode, const OpenOptions& options);
    // A read_only open for the readers (analyze, threads, serve, publish), except that a store of
    // an older schema version is upgraded first, as a read_write open does (the migrations run
    // once, under the writer lock), so they keep working after a package upgrade without an
    // ingest run first. When an ingest holds the writer lock it upgrades the file itself: this
    // waits for that, up to `wait_seconds`. `note` hears "upgrading ..." before a migration.
    static Result<std::unique_ptr<Store>> open_for_reading(const std::string& path, int wait_seconds = 600,
                                                           const std::function<void(const std::string&)>& note = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& path() const;
    OpenMode mode() const;
    // What a read_write open repaired, for the user ("" when nothing): a first ingest into this
    // store was interrupted (OpenOptions::bulk_create) and the file was checked.
    const std::string& open_note() const;

    // --- bulk writing. Without a batch every insert is its own transaction (many times slower);
    // ingest wraps thousands of inserts in one batch. A batch must be committed or rolled back.
    Status begin_batch();
    Status commit_batch();
    void rollback_batch();
    bool in_batch() const;

    // Idempotent: a Message-ID already stored keeps its first copy and only gains the folder.
    // body_text is not stored (new_text + quoted + signature are); rowid and folders are ignored.
    Result<InsertOutcome> insert_message(const Message& m);
    // The same with the columns encoded beforehand (encode_columns(m), maybe on another thread).
    Result<InsertOutcome> insert_message(const Message& m, const EncodedColumns& encoded);

    // Every message in rowid (= insertion) order, recipients and folders included, rowid set.
    // One read transaction: the result is one committed snapshot even while a writer runs.
    Result<std::vector<Message>> load_messages(const LoadOptions& opts = {});
    // The same messages (rowid order, one read transaction) handed over in batches of at most a
    // few thousand (the batch may be moved from): a caller that keeps a slimmer record of each
    // (the analysis: detect::MailCorpus) never holds every Message at once. The folder lists are not
    // filled. `total` is the snapshot's message count.
    Status scan_messages(const LoadOptions& opts,
                         const std::function<void(std::vector<Message>& batch, size_t total)>& sink);
    // The threading fields of every message, in the same rowid order as load_messages(), from
    // one read transaction.
    Result<std::vector<ThreadRow>> load_thread_rows();
    // The same rows handed over in batches of `batch_size` (the batch may be moved from): a caller
    // that converts them never holds two full copies. `total` is the snapshot's message count.
    Status scan_thread_rows(size_t batch_size,
                            const std::function<void(std::vector<ThreadRow>& batch, size_t total)>& sink);
    Result<std::optional<Message>> find_message(const std::string& message_id);
    Result<std::optional<int64_t>> message_rowid(const std::string& message_id);

    // --- meta: free key/value pairs plus typed helpers for the owner settings.
    Result<std::optional<std::string>> get_meta(const std::string& key);
    Status set_meta(const std::string& key, const std::string& value);
    // A stored message's flags changed at its source (IMAP CONDSTORE): true when the row exists.
    Result<bool> update_flags(const std::string& message_id, const Flags& flags);
    Result<std::vector<std::string>> owner_addresses();
    Status set_owner_addresses(const std::vector<std::string>& addresses);
    Result<std::vector<std::string>> internal_domains();
    Status set_internal_domains(const std::vector<std::string>& domains);

    // --- resume
    Result<std::optional<SourceProgress>> source_progress(const std::string& path);
    Status set_source_progress(const SourceProgress& p);
    Result<std::vector<SourceProgress>> list_sources();

    // --- ingest issues. Recording the same (source, offset, code, message_id) twice keeps one
    // row, so re-ingesting a source does not double its issue count.
    Status record_issue(const IngestIssue& issue);
    Result<std::vector<IngestIssue>> list_issues();

    // Cheap (b-tree counts): the ingest calls it at the end of every run.
    Result<Counts> counts();
    // Gives the file's free pages back to the file system (SQLite VACUUM, the WAL checkpointed
    // and truncated): the upgrade to schema version 2 leaves the old messages table's pages free
    // in the file. Needs the writer (read_write) and about the store's size free on disk.
    // Returns the bytes of the file and its WAL before and after.
    struct CompactSizes {
        int64_t before = 0, after = 0;
    };
    Result<CompactSizes> compact();
    // Every mailbox of every message (From, Sender, Reply-To, To, Cc, Bcc): reads the mailboxes
    // column of every row (schema version 2 has no recipients table to count), so not in counts().
    Result<int64_t> count_mailboxes();

    struct Impl;

private:
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// RAII guard around begin_batch/commit_batch: rolls back when destroyed uncommitted
// (an exception or an early return mid-ingest must not leave a half-open transaction).
class WriteBatch {
public:
    explicit WriteBatch(Store& store) : store_(store), status_(store.begin_batch()) {}
    ~WriteBatch() {
        if (status_.ok() && !done_) store_.rollback_batch();
    }
    WriteBatch(const WriteBatch&) = delete;
    WriteBatch& operator=(const WriteBatch&) = delete;

    const Status& status() const { return status_; }
    Status commit() {
        if (!status_.ok()) return status_;
        done_ = true;
        return store_.commit_batch();
    }

private:
    Store& store_;
    Status status_;
    bool done_ = false;
};

}  // namespace ilc::store
