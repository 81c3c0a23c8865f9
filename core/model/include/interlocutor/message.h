#pragma once
// The normalized message: what every stage after the parsers works on.
// Parsers fill the "parsed" part; core/text fills the "understood" part at ingest time;
// the store persists both so analysis never re-parses raw mail.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ilc {

// A malformed-mail warning (GMime GMIME_WARN_*, Dovecot broken_reason): never an error.
struct Warning {
    std::string code;     // short stable code: "no_message_id", "bad_date", "unknown_charset", ...
    std::string detail;   // for a person
    int64_t offset = -1;  // byte offset in the source when known
    // Written out (not `= default`): the mimetic adapter is compiled as C++17.
    bool operator==(const Warning& o) const { return code == o.code && detail == o.detail && offset == o.offset; }
    bool operator!=(const Warning& o) const { return !(*this == o); }
};

struct Mailbox {
    std::string name;     // display name, RFC 2047-decoded, UTF-8; may be empty
    std::string address;  // addr-spec, lower-cased, no angle brackets; may be empty for broken input
    bool operator==(const Mailbox& o) const { return address == o.address; }
};

enum class DateSource { header, received, mbox_from, file_mtime, none };

struct Flags {
    bool seen = false, replied = false, flagged = false, draft = false, trashed = false, passed = false;
};

// Where the raw message lives, so a stored row points back into its file.
struct SourcePos {
    std::string path;      // mbox file, maildir file, .eml file, imap://..., pst file
    int64_t offset = 0;    // byte offset of the message start in path (0 for one-file messages)
    int64_t length = 0;    // bytes
    std::string folder;    // logical folder name ("INBOX", "Sent", ".Sent", "sent_items", ...)
};

struct Message {
    // --- identity and threading headers (bare ids, no angle brackets)
    std::string message_id;
    bool synthetic_id = false;                  // derived from headers (no usable Message-ID)
    std::vector<std::string> in_reply_to;       // every id found in In-Reply-To, in order
    std::vector<std::string> references;        // References ids, in order
    std::string thread_index;                   // Outlook Thread-Index (base64, as sent)
    std::string thread_topic;                   // Outlook Thread-Topic, decoded

    // --- people
    Mailbox from;
    Mailbox sender;
    std::vector<Mailbox> reply_to, to, cc, bcc;

    // --- subject and time
    std::string subject;                        // RFC 2047-decoded, UTF-8, unfolded
    int64_t date = 0;                           // UTC seconds since epoch
    int tz_offset_min = 0;                      // the sender's zone offset from the Date header
    DateSource date_source = DateSource::none;

    // --- headers the automated-mail classifier needs (raw values, unfolded, decoded)
    std::string auto_submitted, precedence, list_id, list_unsubscribe, x_autoreply, x_autorespond,
        return_path, content_type, content_language, x_mailer;
    bool is_report = false;                     // multipart/report (DSN, MDN)

    // --- body
    std::string body_text;                      // decoded text/plain, or text/html converted to text; UTF-8
    bool body_from_html = false;
    int attachment_count = 0;

    // --- understood at ingest (core/text)
    std::string new_text, quoted, signature;    // body_text split in order: new_text + quoted + signature
    std::string signature_name, signature_title;
    bool automated = false;
    std::string automated_reason;               // "auto_submitted", "precedence", "list", "report", "ooo", "noreply", ...
    std::optional<int64_t> ooo_until;           // out-of-office return date (UTC seconds) when the reply says so
    bool expects_reply = false;
    struct Cue { std::string family; std::string text; };
    std::vector<Cue> cues;                      // cues found in new_text
    std::string lang;                           // "fr", "en" or ""

    // --- where it came from
    SourcePos source;
    Flags flags;
    std::vector<Warning> warnings;

    // --- filled by the store when loaded from it (parsers leave them empty)
    int64_t rowid = 0;                          // the store's row id, stable key for thread persistence
    std::vector<std::string> folders;           // every folder the same Message-ID was seen in, first one first
};

}  // namespace ilc
