#pragma once
// Maildir and Maildir++ (cur/ and new/; tmp/ holds deliveries in progress and is ignored),
// subfolders ".Sent", ".Archives", nested ".Foo.Bar". One file read at a time, by next() or, in
// deferred-read mode, by load() on the caller's worker threads.
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "interlocutor/parsers/source.h"

namespace ilc::parsers {

// Flags from a Maildir file name's info part ":2,FRS" (also ";2," and "!2," written by clients on
// file systems where ':' is not allowed). https://cr.yp.to/proto/maildir.html
Flags maildir_flags(std::string_view file_name);

// Natural order: digit runs compare as numbers, so "2." < "10." (Enron's numbered files).
bool natural_less(const std::string& a, const std::string& b);

// Reads whole files one at a time (shared by the Maildir and .eml sources); gzip files (.eml.gz,
// Dovecot zlib Maildir files) are decompressed, max_bytes applying to the decompressed size.
// `mtime`, when given, receives the file's modification time in seconds (0 when it cannot be
// read), from the same open as the bytes.
Result<std::string> read_whole_file(const std::string& path, size_t max_bytes, bool* too_large,
                                    int64_t* mtime = nullptr);

class MaildirSource : public Source {
public:
    MaildirSource(std::string root, const ParserOptions& opts);
    ~MaildirSource() override;
    MaildirSource(const MaildirSource&) = delete;
    MaildirSource& operator=(const MaildirSource&) = delete;
    std::optional<RawMessage> next() override;
    int64_t bytes_done() const override { return done_; }
    int64_t bytes_total() const override;
    // Only before the first next(): the listing records the sizes from the start.
    bool defer_reads() override {
        if (folder_ == 0 && !loaded_) deferred_ = true;
        return deferred_;
    }
    void load(RawMessage& m) const override;
    // The tree walk of fingerprint_path(), recording the cur/ and new/ listings load_folder()
    // then uses instead of reading those directories and stat'ing their files a second time.
    std::optional<Fingerprint> fingerprint() override;
    // Deferred reads only, before the first next(): the same walk, but the message files of the
    // cur/ and new/ directories are stat'ed by next() as it lists each one (on the ingest's
    // reading thread while the workers parse the files before it), so only the readdir of the
    // tree delays the first message. fingerprint() then answers once next() has ended.
    bool defer_fingerprint() override;

    // The regular files (symlinks followed) of one directory as the walk saw them: names in one
    // string (one allocation for all, not one per file: an unchanged source is walked only).
    struct DirListing {
        struct Entry {
            size_t name_at, name_size;
            int64_t size, mtime;  // mtime in seconds as mtime_seconds() gives it; size -1: not
                                  // stat'ed yet (defer_stats), a DT_REG entry for next() to stat
        };
        bool complete = false;  // the whole directory was read (else it is listed again)
        bool defer_stats = false;  // set by defer_fingerprint()'s walk
        std::string names;
        std::vector<Entry> entries;
        std::string_view name(const Entry& e) const { return std::string_view(names).substr(e.name_at, e.name_size); }
    };

private:
    struct Folder { std::string name; std::string dir; };
    void load_folder();

    std::string root_;
    ParserOptions opts_;
    std::vector<Folder> folders_;
    size_t folder_ = 0;
    struct File {
        std::string path;
        int64_t size = -1, mtime = 0;  // deferred mode: from the listing's fstatat; else -1, 0
        bool stat_later = false;       // defer_fingerprint(): next() stats it (size, mtime)
        size_t name_at = 0;            // the file name's offset in path
        size_t dir = 0;                // its directory's index in dir_fds_
    };
    std::vector<File> files_;  // the current folder's message files, sorted by name
    // From fingerprint(): folder i's cur/ at 2 * i, its new/ at 2 * i + 1; empty when not called.
    std::vector<DirListing> listings_;
    void walk(bool defer_stats);
    bool lazy_fp_ = false;     // defer_fingerprint() was asked
    bool ended_ = false;       // next() returned nullopt
    int64_t walk_size_ = 0, walk_mtime_ = 0, walk_files_ = 0;  // the fingerprint's sums so far
    size_t file_ = 0;
    bool loaded_ = false;
    bool deferred_ = false;             // next() only lists files; load() reads them (source.h)
    int64_t listed_bytes_ = 0;          // deferred mode: sizes of the files in the folders listed
    mutable std::atomic<int64_t> done_ = 0;  // load() adds to it from the worker threads
    // Deferred mode: each cur/ and new/ directory listed stays open (folder i's cur/ at 2 * i,
    // its new/ at 2 * i + 1), so that next() stats and load() opens a file relative to it
    // (fstatat/openat: no walk of the whole path per file, ~0.3 us of system time each). -1: not
    // open (not listed yet, not deferred, or past kMaxDirFds: then by the full path). Opened by
    // next()'s thread before it lists the directory's first file, read by load() on any thread.
    static constexpr size_t kMaxDirFds = 256;
    std::vector<std::string> dir_paths_;                  // the directory of each slot, as in File::path
    std::unique_ptr<std::atomic<int>[]> dir_fds_;
    std::unordered_map<std::string_view, size_t> dir_slot_;  // dir_paths_ -> slot, for load()
    size_t dir_fds_open_ = 0;
    int dir_fd(size_t slot) const { return slot < dir_paths_.size() ? dir_fds_[slot].load(std::memory_order_acquire) : -1; }
    mutable int64_t total_ = -1;
};

}  // namespace ilc::parsers
