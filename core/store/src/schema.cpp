// The store's schema and its migrations.
//
// ---------------------------------------------------------------------------------------------
// Schema (version 1). Also described, with examples, in docs/STORE.md.
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
//   recipients              every mailbox of a message, loaded in one ordered pass
//       message           messages.id;  role: "from", "sender", "reply_to", "to", "cc", "bcc"
//       position          0-based order inside the header;  address (lower-case), name (decoded)
//       PRIMARY KEY (message, role, position), WITHOUT ROWID: rows are clustered by message,
//       so loading all recipients is one sequential scan merged with the messages scan.
//       No index on address: analysis works on the loaded messages, and the index would cost
//       a quarter of the ingest rate; a later migration adds one if the service needs it.
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
// applies the missing ones in one transaction; a file newer than kMigrations.size() is refused.
// ---------------------------------------------------------------------------------------------
#include "schema.h"

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

// Future versions are appended here; never edit a migration that has shipped.
const std::vector<const char*> kMigrations = {kV1};

}  // namespace

const std::vector<const char*>& migrations() { return kMigrations; }

int current_schema_version() { return int(kMigrations.size()); }

}  // namespace ilc::store::detail
