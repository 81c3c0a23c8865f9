#pragma once
// Private: what the sync remembers about a folder's already-stored messages, kept in the store's
// meta table because SourceProgress has no field for it (docs/IMAP.md, "Flag changes and
// removals"). Keys, P being the folder's source path (imaps://user@host/Folder):
//   imap.modseq:P   HIGHESTMODSEQ when the folder was last synced (RFC 7162), "UIDVALIDITY/MODSEQ"
//   imap.uids:P     the UIDs up to last_uid present on the server at the last sync, "1:40,42:97"
//   imap.flags:P    one line "UID TAB BITS TAB MESSAGE-ID" per stored message whose server flags
//                   differ from its stored row (BITS as the store's flags column)
//   imap.removed:P  one line "UID TAB DETECTED-AT TAB MESSAGE-ID" per UID expunged on the server
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/imap/imap.h"
#include "interlocutor/imap/response.h"

namespace ilc::imap::detail {

std::string modseq_key(const std::string& path);
std::string uids_key(const std::string& path);
std::string flags_key(const std::string& path);
std::string removed_key(const std::string& path);

// "1:5,7,9:10" from sorted, distinct UIDs.
std::string encode_uid_set(const std::vector<int64_t>& uids);
// The inverse; nullopt for anything malformed or larger than max_uids UIDs (a damaged meta
// value must not make the sync allocate without bound: the caller reads the set again).
std::optional<std::vector<int64_t>> decode_uid_set(std::string_view s, size_t max_uids = 20'000'000);

// The store's flags column: 1 seen, 2 replied, 4 flagged, 8 draft, 16 trashed, 32 passed.
int flags_bits(const Flags& f);
Flags flags_from_bits(int bits);
// A FETCH FLAGS list (RFC 3501 section 2.3.2) as Flags; unknown keywords are ignored.
Flags parse_flags(const Value& list);
// "seen replied" (empty when none): for summaries and issue text.
std::string flags_text(const Flags& f);

struct FlagEntry {
    int bits = 0;
    std::string message_id;
};
std::map<int64_t, FlagEntry> decode_flag_overlay(std::string_view s);
std::string encode_flag_overlay(const std::map<int64_t, FlagEntry>& m);

std::vector<Removal> decode_removed(const std::string& path, std::string_view s);
std::string encode_removed(const std::vector<Removal>& v);

}  // namespace ilc::imap::detail
