#pragma once
// Sources enumerate raw messages from mailbox exports: mbox (mboxo/rd/cl/cl2, .gz), Maildir /
// Maildir++, .eml files and trees (Enron maildir/<user>/<folder>/<n>.). Streaming: one message
// in memory at a time.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "interlocutor/message.h"
#include "interlocutor/parsers/options.h"
#include "interlocutor/result.h"

namespace ilc::parsers {

struct RawMessage {
    std::string bytes;          // the message, separator line excluded, mboxrd unquoted
    SourcePos pos;              // path, byte offset and length of the message in path, folder
    Flags flags;                // from Maildir file names (":2,S") or mbox Status/X-Status
    std::string mbox_from_line; // the "From " separator line, for a date fallback
    int64_t file_mtime = 0;
    std::vector<Warning> warnings;  // container-level repairs (truncated, missing newline...)
    // Set by a source in deferred-read mode (Source::defer_reads): bytes, flags and warnings are
    // not filled yet and pos.length is only the file's size; Source::load fills them.
    bool unread = false;
};

// What tells the ingest a source changed since it was last stored: size and mtime for a file;
// for a directory tree, the total size of its regular files (symlinks to files count, symlinked
// directories are not walked) times 1000003 plus their number, and the newest mtime (a stat per
// file, much cheaper than reading them). Stores hold these values: they must not change.
struct Fingerprint {
    int64_t size = 0, mtime = 0;
};
Fingerprint fingerprint_path(const std::string& path);

class Source {
public:
    virtual ~Source() = default;
    // Next message, or nullopt at the end. Container errors that end the source are reported by error().
    virtual std::optional<RawMessage> next() = 0;
    virtual std::optional<Error> error() const { return std::nullopt; }
    // Progress: bytes consumed so far / total bytes (for the progress line).
    virtual int64_t bytes_done() const = 0;
    virtual int64_t bytes_total() const = 0;
    // Resume support: skip messages that start before this byte offset (mbox) or these files.
    virtual void seek(int64_t offset) {}
    // Deferred reading, for sources whose messages are whole files (Maildir): after
    // defer_reads() returns true, next() only lists the next file (RawMessage::unread) and
    // load() reads it, so the ingest opens and reads the files on its parse workers instead of
    // its one reading thread (an open/read/close per message was most of the reader's time).
    // load() may run on any thread, concurrently with next() and with other load() calls; the
    // message it fills is the one next() would have returned. Sources that cannot do this keep
    // reading in next() and return false.
    virtual bool defer_reads() { return false; }
    virtual void load(RawMessage& m) const {}
    // fingerprint_path() of the source's path, for sources that list every file anyway
    // (Maildir): computed from the same walk as the listing next() reads, so each file is
    // stat'ed once. Only before the first next(); nullopt: the caller calls fingerprint_path().
    virtual std::optional<Fingerprint> fingerprint() { return std::nullopt; }
    // Instead of fingerprint() before reading (when the caller needs no fingerprint to decide
    // whether to read): true when the source computes it from its listing as next() goes, for
    // fingerprint() to return once next() has returned nullopt. Only before the first next().
    virtual bool defer_fingerprint() { return false; }
};

enum class SourceKind { mbox, maildir, eml_file, eml_tree, pst, unknown };  // pst: Outlook .pst/.ost
SourceKind detect_source_kind(const std::string& path);

// Opens a path as a source, the kind detected from content: a file that starts with "From " is an
// mbox, .gz files (.mbox.gz, .eml.gz) are decompressed, a dir with cur/ or new/ is a Maildir, other
// dirs are trees in which each file and subdirectory is classified the same way (mbox files,
// Maildirs and single messages mixed: every message once), other files are one message.
Result<std::unique_ptr<Source>> open_source(const std::string& path, const ParserOptions& opts = {});

}  // namespace ilc::parsers
