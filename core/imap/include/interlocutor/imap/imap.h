#pragma once
// IMAP source: `interlocutor ingest imaps://user@host/[Folder]` reads a live mailbox into the
// store, incrementally (per folder by UIDVALIDITY and UID), and `append` stores a message (the
// weekly digest) in a folder such as Drafts. See docs/IMAP.md.
//
// Only headers and the text parts the detectors read are fetched (BODYSTRUCTURE tells which);
// attachments are never downloaded. Each batch of messages is written in one store transaction
// together with the folder's SourceProgress, so an interrupted sync resumes after the last
// committed UID and a crash never leaves half a batch.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "interlocutor/result.h"
#include "interlocutor/store/store.h"

namespace ilc::imap {

enum class Security {
    implicit_tls,  // imaps://, port 993: TLS from the first byte
    starttls,      // imap://, port 143: plain connection upgraded by STARTTLS (required, never skipped)
};

enum class AuthMechanism { automatic, login, plain };

// imap[s]://user@host[:port][/Folder]; user may be percent-encoded (user%40example.com).
struct Url {
    Security security = Security::implicit_tls;
    std::string user;
    std::string host;
    uint16_t port = 993;
    std::string folder;  // decoded UTF-8; empty = every folder
    // "imaps://user@host/Folder": the canonical source path stored with each folder's progress.
    std::string canonical(const std::string& folder_name) const;
};
Result<Url> parse_url(const std::string& url);

struct ConnectOptions {
    // A PEM file of CA certificates to trust instead of the system's (--imap-ca / ILC_IMAP_CA).
    // Certificate verification (chain and host name) is always on.
    std::string ca_file;
    AuthMechanism auth = AuthMechanism::automatic;
    // The password; when empty it comes from ILC_IMAP_PASSWORD, then ~/.netrc ("machine HOST
    // login USER password P"), then a no-echo prompt when stdin is a terminal. Never logged.
    std::string password;
    int timeout_seconds = 60;  // per socket read/write: a silent server becomes a clear error
};

struct SyncProgress {
    std::string folder;
    int64_t folder_done = 0, folder_total = 0;  // new messages of this folder
    int64_t messages = 0;                       // fetched so far, all folders
    double seconds = 0;
};

struct SyncOptions {
    ConnectOptions connect;
    std::vector<std::string> folders;            // chosen folders; empty = the URL's folder, else all
    std::vector<std::string> me;                 // owner addresses (as ingest --me)
    std::vector<std::string> internal_domains;   // as ingest --internal-domain
    size_t batch_messages = 500;                 // messages per fetch round and write transaction
    // Without CONDSTORE on the server, flag changes of stored messages are only read when this
    // is set (--imap-full-flags, or ILC_IMAP_FULL_FLAGS=1): one FLAGS fetch of every stored UID,
    // too costly for every incremental sync. With CONDSTORE only the changed ones are fetched.
    bool full_flags = false;
    std::function<void(const SyncProgress&)> on_progress;
};

// A stored message whose flags changed on the server since the last sync.
struct FlagChange {
    int64_t uid = 0;
    std::string message_id;
    Flags before, after;  // before: the flags last known (stored row, or the last change seen)
};

// A UID stored earlier and expunged on the server since. The stored message is kept.
struct Removal {
    std::string path;  // imaps://user@host/Folder
    int64_t uid = 0;
    std::string message_id;  // empty when the UID's message was first stored from another source
    int64_t detected_at = 0; // seconds since epoch
};

// How a folder's flag changes were looked for in this sync.
enum class FlagCheck {
    none,       // nothing stored yet, or no CONDSTORE and no --imap-full-flags
    condstore,  // RFC 7162: UID FETCH (FLAGS) (CHANGEDSINCE last HIGHESTMODSEQ)
    full,       // --imap-full-flags: FLAGS of every stored UID
};

struct FolderSummary {
    std::string name;        // decoded UTF-8 mailbox name
    std::string path;        // imaps://user@host/Folder
    bool sent = false;       // \Sent special-use or a sent-folder name
    int64_t uidvalidity = 0;
    bool uidvalidity_changed = false;  // the folder was recreated: read again from UID 1
    int64_t fetched = 0, stored = 0, duplicates = 0, repaired = 0, skipped = 0;
    int64_t last_uid = 0;
    bool condstore = false;        // the server keeps mod-sequences for this folder (RFC 7162)
    int64_t highest_modseq = 0;    // HIGHESTMODSEQ at EXAMINE, remembered for the next sync
    FlagCheck flag_check = FlagCheck::none;
    std::vector<FlagChange> flag_changes;
    std::vector<Removal> removed;  // removed on the server since the last sync
};

struct SyncSummary {
    std::vector<FolderSummary> folders;
    int64_t fetched = 0, stored = 0, duplicates = 0, repaired = 0, skipped = 0;
    int64_t flags_changed = 0, removed = 0;  // over all folders, see FolderSummary
    int64_t bytes = 0;       // bytes received from the server
    double seconds = 0;
    std::vector<std::string> owner;
    bool owner_inferred = false;
    int64_t total_messages = 0;
};

Result<SyncSummary> sync(store::Store& store, const std::string& url, const SyncOptions& options);

// What the IMAP syncs learnt about already-stored messages, read back from the store's meta
// (the store has no API to rewrite a stored row's flags; see docs/IMAP.md):
// - flags: the server's current flags of every stored message whose flags differ from the ones
//   stored with its row, by Message-ID; a loader applies them over Message::flags;
// - removed: every UID seen expunged on the server, oldest first. The messages stay stored.
struct ServerChanges {
    std::map<std::string, Flags> flags;
    std::vector<Removal> removed;
};
Result<ServerChanges> server_changes(store::Store& store);

// Appends raw_message (RFC 5322, LF or CRLF) to the folder named by the URL's path
// ("imaps://user@host/Drafts"), with flags such as "\\Draft \\Seen". Returns the new UID when
// the server reports it (UIDPLUS), else 0.
Result<int64_t> append(const std::string& url_with_folder, const std::string& raw_message,
                       const std::string& flags, const ConnectOptions& options);

// Modified UTF-7 mailbox names (RFC 3501 section 5.1.3).
std::string decode_mailbox_name(const std::string& mutf7);
std::string encode_mailbox_name(const std::string& utf8);

}  // namespace ilc::imap

namespace ilc::imap {
// The sync summary for `interlocutor ingest` (text lines, or one JSON object and a newline).
std::string summary_text(const SyncSummary& s);
std::string summary_json(const SyncSummary& s);
}  // namespace ilc::imap
