#pragma once
// Zero-config ingest for Thunderbird users: the profiles listed in profiles.ini and the local
// mail stores inside them (Mail/ for POP3 and Local Folders, ImapMail/ for IMAP caches), either
// mbox files (Thunderbird's default store; the .msf next to each is only an index) or maildir
// folders (the "one file per message" store). The ingest pipeline reads what we list, and its
// per-source progress makes a second run read only what grew.
#include <string>
#include <vector>

#include "interlocutor/result.h"

namespace ilc::ingest {

struct ThunderbirdProfile {
    std::string name;      // Name= in profiles.ini
    std::string path;      // absolute directory
    bool is_default = false;
};

enum class StoreKind { mbox, maildir };

struct ThunderbirdStore {
    std::string path;      // an mbox file or a maildir folder
    StoreKind kind = StoreKind::mbox;
    std::string folder;    // the folder path inside its account, e.g. "Inbox" or "Archives/2026"
    std::string profile;   // the profile's name
};

// The folders that may hold profiles.ini: $HOME/.thunderbird, then the Snap and Flatpak ones.
std::vector<std::string> thunderbird_default_roots();

// Profiles of one profiles.ini (root is the folder holding it). A missing or unreadable file is
// an error with a hint; a profile whose folder is gone is left out.
Result<std::vector<ThunderbirdProfile>> read_thunderbird_profiles(const std::string& root);

// The mail stores of a profile, sorted by path. Empty mbox files are left out.
std::vector<ThunderbirdStore> find_thunderbird_stores(const ThunderbirdProfile& profile);

// Every store of every profile under the given roots (default roots when empty). Fails only when
// no profiles.ini is found at all.
Result<std::vector<ThunderbirdStore>> find_all_thunderbird_stores(const std::vector<std::string>& roots = {});

}  // namespace ilc::ingest
