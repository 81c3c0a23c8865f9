// The store's schema and its migrations.
//
// ---------------------------------------------------------------------------------------------
// Schema (version 2). Also described, with examples, in docs/STORE.md.
//
//   meta(key TEXT PRIMARY KEY, value TEXT)
//       schema_version    decimal; the migration the file is at (refused when newer than ours)
//       created_at        ISO 8601 UTC, when the file was created
//       owner_addresses   list (see "lists" below) of the owner's addresses, lower-case
//       internal_domains  list of internal organizations' domains
//
//   messages                one row per distinct Message-ID; the first copy seen wins
//       id                INTEGER PRIMARY KEY: the rowid, stable, used to persist threads
//       message_id        bare id (no angle brackets), UNIQUE
//       synthetic_id      0/1: derived from headers because the mail had no usable Message-ID
//       in_reply_to, refs lists of bare ids, in header order (NULL = empty list)
//       thread_index, thread_topic   Outlook Thread-Index / Thread-Topic
//       subject           decoded, UTF-8
//       mailboxes         every mailbox of the message (version 2; NULL = none), one record per
//                         mailbox: "<role>\t<address>\t<name>" escaped as the lists below, role one
//                         letter: f(rom) s(ender) r(eply_to) t(o) c(c) b(cc); records in that role
//                         order, then header order; "\t<name>" left out when the name is empty.
//                         Addresses lower-case, names decoded. An absent From/Sender has no record.
//                         Placed before the body columns: the threading scan reads it without
//                         walking the overflow pages of a long message (codec.h encode_mailboxes)
//       date              UTC seconds; tz_offset_min: the sender's zone; date_source: "header",
//                         "received", "mbox_from", "file_mtime" or "none"
//       auto_submitted, precedence, list_id, list_unsubscribe, x_autoreply, x_autorespond,
//       return_path, content_type, content_language, x_mailer, is_report
//                         the headers the automated-mail classifier needs (NULL = absent)
//       body_from_html, attachment_count
//       new_text, quoted, signature    the decoded body split in order; the full body_text is
//                         not stored (it is their concatenation, and the raw mail is in the source)
//       signature_name, signature_title, automated, automated_reason,
//       ooo_until (UTC seconds or NULL), expects_reply, lang ("fr", "en" or NULL)
//       cues              one line per cue: "family<TAB>text" (escaped, see below)
//       warnings          one line per parser warning: "code<TAB>offset<TAB>detail"
//       source_path, source_offset, source_length, source_folder   where the first copy lives
//       flags             bit set: 1 seen, 2 replied, 4 flagged, 8 draft, 16 trashed, 32 passed
//
//   (version 1 had a `recipients` table instead of messages.mailboxes: one row per mailbox,
//   (message, role, position, address, name), WITHOUT ROWID. Its rows were 46 % of the ingest
//   writer's instructions on Enron; nothing looked them up by address. Migration 2 converts them.)
//
//   message_folders         every folder a Message-ID was seen in (same id in INBOX and Sent =
//                           one message, both folders)
//       message, seq (order of first sighting), folder, source_path
//       PRIMARY KEY (message, source_path, folder)
//
//   sources                 ingest progress, for resume and idempotent re-ingest
//       path UNIQUE, kind, size, mtime, done_offset (mbox byte offset fully stored),
//       last_file (Maildir/.eml trees), completed, uidvalidity, last_uid (IMAP folders),
//       message_count, updated_at
//
//   ingest_issues           skipped or repaired messages, with their position
//       id, source_path, offset (-1 unknown), message_id ('' when none), code, detail, created_at
//       UNIQUE (source_path, offset, code, message_id): re-ingesting does not duplicate them
//
// Lists and cue/warning lines are stored as compact text rather than JSON because loading
// 170k messages must take well under two seconds: items are separated by '\n', fields by '\t',
// and a backslash escapes '\\', '\n' and '\t' inside an item. An empty list is NULL.
//
// Migrations: kMigrations[i] takes a file from version i to version i + 1. A read_write open
// applies the missing ones in one transaction; a file newer than kMigrations.size() is refused;
// a read_only open of an older file is refused with a hint to run `ingest` once (it must not
// write: analyze and serve may run beside an ingest). A new file (version 0) gets the current
// tables in one step instead (kCurrent, the same sqlite_master as the migrations leave).
//   1  the tables above, with `recipients` rows
//   2  recipients rows -> messages.mailboxes (encoded per message with the ingest's encoder, so a
//      migrated file holds the same bytes as a fresh one), messages rebuilt to place the column
//      before the bodies (same ids), recipients dropped. One rewrite of the messages table: 30 s
//      on a 1M-message store (1.85 GB), about its size needed free on disk; the freed pages stay
//      in the file for later ingests (VACUUM gives them back).
// ---------------------------------------------------------------------------------------------
#include "schema.h"

#include <cstdint>
#include <string>

#include "codec.h"
#include "sqlite_adapter.h"

namespace ilc::store::detail {

namespace {

const char* const kV1 = R"SQL(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE messages(
  id                INTEGER PRIMARY KEY,
  message_id        TEXT NOT NULL UNIQUE,
  synthetic_id      INTEGER NOT NULL DEFAULT 0,
  in_reply_to       TEXT,
  refs              TEXT,
  thread_index      TEXT,
  thread_topic      TEXT,
  subject           TEXT,
  date              INTEGER NOT NULL DEFAULT 0,
  tz_offset_min     INTEGER NOT NULL DEFAULT 0,
  date_source       TEXT NOT NULL DEFAULT 'none',
  auto_submitted    TEXT,
  precedence        TEXT,
  list_id           TEXT,
  list_unsubscribe  TEXT,
  x_autoreply       TEXT,
  x_autorespond     TEXT,
  return_path       TEXT,
  content_type      TEXT,
  content_language  TEXT,
  x_mailer          TEXT,
  is_report         INTEGER NOT NULL DEFAULT 0,
  body_from_html    INTEGER NOT NULL DEFAULT 0,
  attachment_count  INTEGER NOT NULL DEFAULT 0,
  new_text          TEXT,
  quoted            TEXT,
  signature         TEXT,
  signature_name    TEXT,
  signature_title   TEXT,
  automated         INTEGER NOT NULL DEFAULT 0,
  automated_reason  TEXT,
  ooo_until         INTEGER,
  expects_reply     INTEGER NOT NULL DEFAULT 0,
  cues              TEXT,
  lang              TEXT,
  warnings          TEXT,
  source_path       TEXT,
  source_offset     INTEGER NOT NULL DEFAULT 0,
  source_length     INTEGER NOT NULL DEFAULT 0,
  source_folder     TEXT,
  flags             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_date ON messages(date);

CREATE TABLE recipients(
  message   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  role      TEXT NOT NULL CHECK (role IN ('from','sender','reply_to','to','cc','bcc')),
  position  INTEGER NOT NULL,
  address   TEXT NOT NULL,
  name      TEXT,
  PRIMARY KEY (message, role, position)
) WITHOUT ROWID;

CREATE TABLE message_folders(
  message      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  source_path  TEXT NOT NULL,
  folder       TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  PRIMARY KEY (message, source_path, folder)
) WITHOUT ROWID;

CREATE TABLE sources(
  id             INTEGER PRIMARY KEY,
  path           TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL DEFAULT '',
  size           INTEGER NOT NULL DEFAULT 0,
  mtime          INTEGER NOT NULL DEFAULT 0,
  done_offset    INTEGER NOT NULL DEFAULT 0,
  last_file      TEXT NOT NULL DEFAULT '',
  completed      INTEGER NOT NULL DEFAULT 0,
  uidvalidity    INTEGER NOT NULL DEFAULT 0,
  last_uid       INTEGER NOT NULL DEFAULT 0,
  message_count  INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ingest_issues(
  id           INTEGER PRIMARY KEY,
  source_path  TEXT NOT NULL,
  offset       INTEGER NOT NULL DEFAULT -1,
  message_id   TEXT NOT NULL DEFAULT '',
  code         TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (source_path, offset, code, message_id)
);
)SQL";

// Version 2: the mailboxes of a message are one `messages.mailboxes` column (codec.h
// encode_mailboxes) instead of one `recipients` row each. The rows were 46 % of the ingest
// writer's instructions on Enron (7.4 per message, each a b-tree insert), and nothing reads them
// other than whole, per message. The column sits among the small header columns, before the body
// texts: the threading scan and the detector load read it without walking a long message's
// overflow pages, which a column added at the end of the row (ALTER TABLE ADD COLUMN) would need.
// So the table is rebuilt: the v1 rows are first encoded per message into migrate_mailboxes
// (convert_recipients), then every messages row is copied, with the same id, into the new table.
const char* const kV2 = R"SQL(
CREATE TABLE migrate_mailboxes(
  message    INTEGER PRIMARY KEY,
  mailboxes  TEXT NOT NULL
);
)SQL";

const char* const kV2After = R"SQL(
CREATE TABLE messages_v2(
  id                INTEGER PRIMARY KEY,
  message_id        TEXT NOT NULL UNIQUE,
  synthetic_id      INTEGER NOT NULL DEFAULT 0,
  in_reply_to       TEXT,
  refs              TEXT,
  thread_index      TEXT,
  thread_topic      TEXT,
  subject           TEXT,
  mailboxes         TEXT,
  date              INTEGER NOT NULL DEFAULT 0,
  tz_offset_min     INTEGER NOT NULL DEFAULT 0,
  date_source       TEXT NOT NULL DEFAULT 'none',
  auto_submitted    TEXT,
  precedence        TEXT,
  list_id           TEXT,
  list_unsubscribe  TEXT,
  x_autoreply       TEXT,
  x_autorespond     TEXT,
  return_path       TEXT,
  content_type      TEXT,
  content_language  TEXT,
  x_mailer          TEXT,
  is_report         INTEGER NOT NULL DEFAULT 0,
  body_from_html    INTEGER NOT NULL DEFAULT 0,
  attachment_count  INTEGER NOT NULL DEFAULT 0,
  new_text          TEXT,
  quoted            TEXT,
  signature         TEXT,
  signature_name    TEXT,
  signature_title   TEXT,
  automated         INTEGER NOT NULL DEFAULT 0,
  automated_reason  TEXT,
  ooo_until         INTEGER,
  expects_reply     INTEGER NOT NULL DEFAULT 0,
  cues              TEXT,
  lang              TEXT,
  warnings          TEXT,
  source_path       TEXT,
  source_offset     INTEGER NOT NULL DEFAULT 0,
  source_length     INTEGER NOT NULL DEFAULT 0,
  source_folder     TEXT,
  flags             INTEGER NOT NULL DEFAULT 0
);
INSERT INTO messages_v2(
  id, message_id, synthetic_id, in_reply_to, refs, thread_index, thread_topic, subject, mailboxes,
  date, tz_offset_min, date_source, auto_submitted, precedence, list_id, list_unsubscribe,
  x_autoreply, x_autorespond, return_path, content_type, content_language, x_mailer, is_report,
  body_from_html, attachment_count, new_text, quoted, signature, signature_name, signature_title,
  automated, automated_reason, ooo_until, expects_reply, cues, lang, warnings, source_path,
  source_offset, source_length, source_folder, flags)
SELECT
  m.id, m.message_id, m.synthetic_id, m.in_reply_to, m.refs, m.thread_index, m.thread_topic, m.subject, b.mailboxes,
  m.date, m.tz_offset_min, m.date_source, m.auto_submitted, m.precedence, m.list_id, m.list_unsubscribe,
  m.x_autoreply, m.x_autorespond, m.return_path, m.content_type, m.content_language, m.x_mailer, m.is_report,
  m.body_from_html, m.attachment_count, m.new_text, m.quoted, m.signature, m.signature_name, m.signature_title,
  m.automated, m.automated_reason, m.ooo_until, m.expects_reply, m.cues, m.lang, m.warnings, m.source_path,
  m.source_offset, m.source_length, m.source_folder, m.flags
FROM messages m LEFT JOIN migrate_mailboxes b ON b.message = m.id
ORDER BY m.id;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_date ON messages(date);
DROP TABLE recipients;
DROP TABLE migrate_mailboxes;
)SQL";

// The tables of the current version, for a new file (Store::Impl::migrate from version 0): on
// an empty file, version 1's tables and then migration 2 would still rebuild messages, rename it
// and drop two tables, each step reading the whole schema again (5.9 M of the 17 M instructions
// of ingesting one message into a new store). The same tables, columns and CREATE texts as the
// migrations leave in sqlite_master (`"messages"` is how ALTER TABLE RENAME writes the name):
// tests/store/test_store_create.cpp compares the two. A new migration must change this too.
const char* const kCurrent = R"SQL(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE "messages"(
  id                INTEGER PRIMARY KEY,
  message_id        TEXT NOT NULL UNIQUE,
  synthetic_id      INTEGER NOT NULL DEFAULT 0,
  in_reply_to       TEXT,
  refs              TEXT,
  thread_index      TEXT,
  thread_topic      TEXT,
  subject           TEXT,
  mailboxes         TEXT,
  date              INTEGER NOT NULL DEFAULT 0,
  tz_offset_min     INTEGER NOT NULL DEFAULT 0,
  date_source       TEXT NOT NULL DEFAULT 'none',
  auto_submitted    TEXT,
  precedence        TEXT,
  list_id           TEXT,
  list_unsubscribe  TEXT,
  x_autoreply       TEXT,
  x_autorespond     TEXT,
  return_path       TEXT,
  content_type      TEXT,
  content_language  TEXT,
  x_mailer          TEXT,
  is_report         INTEGER NOT NULL DEFAULT 0,
  body_from_html    INTEGER NOT NULL DEFAULT 0,
  attachment_count  INTEGER NOT NULL DEFAULT 0,
  new_text          TEXT,
  quoted            TEXT,
  signature         TEXT,
  signature_name    TEXT,
  signature_title   TEXT,
  automated         INTEGER NOT NULL DEFAULT 0,
  automated_reason  TEXT,
  ooo_until         INTEGER,
  expects_reply     INTEGER NOT NULL DEFAULT 0,
  cues              TEXT,
  lang              TEXT,
  warnings          TEXT,
  source_path       TEXT,
  source_offset     INTEGER NOT NULL DEFAULT 0,
  source_length     INTEGER NOT NULL DEFAULT 0,
  source_folder     TEXT,
  flags             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_date ON messages(date);

CREATE TABLE message_folders(
  message      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  source_path  TEXT NOT NULL,
  folder       TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  PRIMARY KEY (message, source_path, folder)
) WITHOUT ROWID;

CREATE TABLE sources(
  id             INTEGER PRIMARY KEY,
  path           TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL DEFAULT '',
  size           INTEGER NOT NULL DEFAULT 0,
  mtime          INTEGER NOT NULL DEFAULT 0,
  done_offset    INTEGER NOT NULL DEFAULT 0,
  last_file      TEXT NOT NULL DEFAULT '',
  completed      INTEGER NOT NULL DEFAULT 0,
  uidvalidity    INTEGER NOT NULL DEFAULT 0,
  last_uid       INTEGER NOT NULL DEFAULT 0,
  message_count  INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ingest_issues(
  id           INTEGER PRIMARY KEY,
  source_path  TEXT NOT NULL,
  offset       INTEGER NOT NULL DEFAULT -1,
  message_id   TEXT NOT NULL DEFAULT '',
  code         TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (source_path, offset, code, message_id)
);
)SQL";

// Encodes each message's version-1 recipients rows, read in (message, role, position) order as
// version 1 loaded them, with the encoder of a fresh ingest: a migrated file holds the same
// mailboxes column, byte for byte, as one ingested by version 2. Rows of an unknown role or
// without a message were never loaded, and are dropped.
Status convert_recipients(sqlite3* db) {
    Stmt sel, ins;
    auto st = sel.prepare(db, "SELECT message, role, address, name FROM recipients ORDER BY message, role, position");
    if (st.ok()) st = ins.prepare(db, "INSERT INTO migrate_mailboxes(message, mailboxes) VALUES(?, ?)");
    if (!st.ok()) return st;
    int64_t current = 0;
    Message m;
    bool any = false;
    auto flush = [&]() -> Status {
        if (!any) return ok_status();
        any = false;
        std::string encoded = encode_mailboxes(m);
        m = Message{};
        if (encoded.empty()) return ok_status();
        ins.bind(1, current);
        ins.bind(2, encoded);
        return ins.run("converting recipients");
    };
    for (;;) {
        auto r = sel.step("reading recipients");
        if (!r.ok()) return r.error();
        if (!*r) break;
        const int64_t id = sel.col_int(0);
        if (!any || id != current) {
            st = flush();
            if (!st.ok()) return st;
            current = id;
        }
        if (add_mailbox(m, mailbox_role_letter(sel.col_view(1)), sel.col_text(2), sel.col_text(3))) any = true;
    }
    return flush();
}

// Future versions are appended here; never edit a migration that has shipped.
const std::vector<Migration> kMigrations = {{kV1}, {kV2, convert_recipients, kV2After}};

}  // namespace

const std::vector<Migration>& migrations() { return kMigrations; }

const char* current_schema() { return kCurrent; }

int current_schema_version() { return int(kMigrations.size()); }

}  // namespace ilc::store::detail
