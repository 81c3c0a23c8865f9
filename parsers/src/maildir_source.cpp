#include "maildir_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <unordered_map>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gzip_stream.h"

namespace fs = std::filesystem;

namespace ilc::parsers {

Flags maildir_flags(std::string_view name) {
    Flags f;
    // The last of the markers ":2,", ";2," and "!2,", found in one backward scan (three rfind
    // calls cost about 1,900 instructions per file, as much as the rest of the listing).
    size_t p = std::string_view::npos;
    for (size_t q = name.size() >= 3 ? name.size() - 3 : std::string_view::npos; q != std::string_view::npos; --q) {
        if (name[q + 1] == '2' && name[q + 2] == ',' && (name[q] == ':' || name[q] == ';' || name[q] == '!')) {
            p = q;
            break;
        }
    }
    if (p == std::string_view::npos) return f;
    for (char c : name.substr(p + 3)) {
        switch (c) {
            case 'S': f.seen = true; break;
            case 'R': f.replied = true; break;
            case 'F': f.flagged = true; break;
            case 'D': f.draft = true; break;
            case 'T': f.trashed = true; break;
            case 'P': f.passed = true; break;
            default: break;  // lower-case letters are client keywords (Dovecot): not flags
        }
    }
    return f;
}

bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
        if (da && db) {
            size_t i2 = i, j2 = j;
            while (i2 < a.size() && a[i2] == '0') ++i2;
            while (j2 < b.size() && b[j2] == '0') ++j2;
            size_t ie = i2, je = j2;
            while (ie < a.size() && a[ie] >= '0' && a[ie] <= '9') ++ie;
            while (je < b.size() && b[je] >= '0' && b[je] <= '9') ++je;
            if (ie - i2 != je - j2) return ie - i2 < je - j2;
            int c = a.compare(i2, ie - i2, b, j2, je - j2);
            if (c != 0) return c < 0;
            if (ie - i != je - j) return ie - i < je - j;  // fewer leading zeros first: a total order
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

namespace {

// A gzip file (a single message saved as .eml.gz, or a Maildir file compressed by Dovecot's zlib
// plugin) is decompressed whole, still capped at max_bytes of decompressed data so a gzip bomb
// is reported as too large instead of filling memory. A truncated or corrupt stream keeps what
// was decompressed when there is any (a partial message beats a lost one) and is an error only
// when nothing came out.
Result<std::string> read_gzip_file(const std::string& path, size_t max_bytes, bool* too_large) {
    std::string err;
    auto in = open_file_input(path, true, &err);
    if (!in) return Error{ErrorCode::io, err, ""};
    std::string out;
    char tmp[65536];
    size_t k;
    while ((k = in->read(tmp, sizeof tmp)) > 0) {
        out.append(tmp, k);
        if (out.size() > max_bytes) {
            if (too_large) *too_large = true;
            return std::string();
        }
    }
    if (out.empty() && !in->error().empty()) return Error{ErrorCode::io, path + ": " + in->error(), ""};
    return out;
}

// The modification time as std::filesystem::last_write_time reports it, in whole seconds
// (truncated toward zero, as duration_cast does).
int64_t mtime_seconds(const struct stat& st) {
    return (int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec) / 1000000000;
}

bool gzip_magic(std::string_view head) {
    return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b;
}

// read_whole_file with one open, fstat, read and close per file (it was a stat, an
// open/read/close to test the gzip magic, the open/read/close of the bytes and a stat for the
// mtime: 0.9 s of system time on a 100,000-file Maildir). Same result as before: a gzip file (told
// by its first two bytes) is decompressed under the cap; another file larger than max_bytes is not
// read and reported too large; read errors keep what was read. known_size >= 0 is the size of
// the regular file `path` as the caller just stat'ed it (the Maildir listing): no fstat then,
// and *mtime is left alone. dir_fd >= 0: the file is opened as `rel` in that directory (the
// same file as `path`, without the kernel walking the whole path again).
Result<std::string> read_file(const std::string& path, size_t max_bytes, bool* too_large, int64_t* mtime,
                              int64_t known_size, int dir_fd = -1, const char* rel = nullptr) {
    if (too_large) *too_large = false;
    if (mtime && known_size < 0) *mtime = 0;
    const int fd = dir_fd >= 0 ? ::openat(dir_fd, rel, O_RDONLY | O_CLOEXEC) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        struct stat st {};
        if (mtime && known_size < 0 && ::stat(path.c_str(), &st) == 0) *mtime = mtime_seconds(st);
        return Error{ErrorCode::io, path + ": " + std::strerror(err), ""};
    }
    auto read_some = [fd](char* p, size_t n) -> ssize_t {
        for (;;) {
            ssize_t k = ::read(fd, p, n);
            if (k >= 0 || errno != EINTR) return k;
        }
    };
    std::string out;
    bool at_end = false;
    struct stat st {};
    if (known_size >= 0) {
        st.st_mode = S_IFREG;
        st.st_size = known_size;
    } else if (::fstat(fd, &st) == 0) {
        if (mtime) *mtime = mtime_seconds(st);
    }
    if (S_ISREG(st.st_mode)) {
        const auto size = static_cast<uint64_t>(st.st_size);
        if (size > max_bytes) {
            // Too large, unless it is a gzip file whose decompressed size is under the cap.
            char head[2];
            const ssize_t k = ::pread(fd, head, 2, 0);
            ::close(fd);
            if (k == 2 && gzip_magic(std::string_view(head, 2))) return read_gzip_file(path, max_bytes, too_large);
            if (too_large) *too_large = true;
            return std::string();
        }
        // One byte more than the size: a read that returns exactly the size says the end of the
        // file too, which spares the read that returns 0 (one read per file instead of two).
        auto read_into = [&](char* buf, size_t) {
            size_t got = 0;
            while (got <= size) {
                const size_t want = size + 1 - got;
                const ssize_t k = read_some(buf + got, want);
                if (k <= 0) {
                    at_end = k == 0;
                    break;
                }
                got += size_t(k);
                if (size_t(k) < want && got == size) {
                    at_end = true;  // short of what was asked, at exactly the size
                    break;
                }
            }
            return got;
        };
#if defined(__cpp_lib_string_resize_and_overwrite)
        // read() fills the buffer: no zero fill of it first (resize() wrote every byte of every
        // file once more; this file is compiled as C++23 for it, parsers/CMakeLists.txt).
        out.resize_and_overwrite(size + 1, read_into);
#else
        out.resize(size + 1);
        out.resize(read_into(out.data(), size + 1));
#endif
    }
    // The rest, if the file grew (or shrank, or a read was short) or its size was unknown: the
    // read that returns 0 ends it.
    char tmp[65536];
    while (!at_end && out.size() <= max_bytes) {
        const ssize_t k = read_some(tmp, sizeof tmp);
        if (k <= 0) break;
        out.append(tmp, size_t(k));
    }
    ::close(fd);
    if (gzip_magic(out)) return read_gzip_file(path, max_bytes, too_large);
    if (out.size() > max_bytes) {
        if (too_large) *too_large = true;
        out.clear();
    }
    return out;
}

}  // namespace

Result<std::string> read_whole_file(const std::string& path, size_t max_bytes, bool* too_large, int64_t* mtime) {
    return read_file(path, max_bytes, too_large, mtime, -1);
}

namespace {

struct TreeWalk {
    Fingerprint fp;
    int64_t files = 0;
    // MaildirSource::fingerprint(): where to record the regular files of the directory at the
    // path `rel` relative to the root ("cur", ".Sent/new"), or null; unset for fingerprint_path().
    std::function<MaildirSource::DirListing*(const std::string& rel)> record;
};

// Adds the regular files under the directory `name` (opened relative to `parent`, at `rel` from
// the root) to the walk: subdirectories are walked, symlinked ones are not, symlinks to files
// count. What std::filesystem::recursive_directory_iterator (skip_permission_denied) and a stat
// per file did, with readdir and fstatat relative to each directory: no path built, split and
// resolved per file. False when the walk stops: an error other than a directory we may not
// read, as the iterator's.
bool walk_tree(int parent, const char* name, std::string& rel, TreeWalk& w) {
    const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == EACCES;
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return false;
    }
    MaildirSource::DirListing* rec = w.record ? w.record(rel) : nullptr;
    bool go_on = true;
    while (const struct dirent* e = ::readdir(d)) {
        const std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st {};
        bool dir = e->d_type == DT_DIR, file = e->d_type == DT_REG || e->d_type == DT_LNK;
        if (e->d_type == DT_UNKNOWN && ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            dir = S_ISDIR(st.st_mode);
            file = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode);
        }
        if (file && rec && rec->defer_stats && e->d_type == DT_REG && n[0] != '.') {
            // A message file: next() stats it and adds it to the sums as it lists it.
            rec->entries.push_back({rec->names.size(), n.size(), -1, 0});
            rec->names += n;
        } else if (file && ::fstatat(fd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
            // A symlink counts when it leads to a regular file (fstatat follows it).
            ++w.files;
            w.fp.size += st.st_size;
            w.fp.mtime = std::max<int64_t>(w.fp.mtime, st.st_mtime);
            if (rec) {
                rec->entries.push_back({rec->names.size(), n.size(), int64_t(st.st_size), mtime_seconds(st)});
                rec->names += n;
            }
        }
        if (dir) {
            const size_t at = rel.size();
            if (!rel.empty()) rel += '/';
            rel += n;
            go_on = walk_tree(fd, e->d_name, rel, w);
            rel.resize(at);
            if (!go_on) break;
        }
    }
    ::closedir(d);
    // A directory the walk stopped in is listed again by load_folder(), whole.
    if (rec) rec->complete = go_on;
    return go_on;
}

Fingerprint fingerprint_walk(const std::string& path, TreeWalk& w) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        std::string rel;
        walk_tree(AT_FDCWD, path.c_str(), rel, w);
        w.fp.size = w.fp.size * 1000003 + w.files;  // a moved/renamed-flag file changes the count mix
        return w.fp;
    }
    Fingerprint fp;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        fp.size = st.st_size;
        fp.mtime = st.st_mtime;
    }
    return fp;
}

}  // namespace

Fingerprint fingerprint_path(const std::string& path) {
    TreeWalk w;
    return fingerprint_walk(path, w);
}

// The walk records the cur/ and new/ directories of the folders the constructor found, by their
// path under the root; a folder or cur/ reached through a symlink is not walked (nor was it by
// the fingerprint before): load_folder() lists it itself, as it does without fingerprint().
void MaildirSource::walk(bool defer_stats) {
    listings_.assign(folders_.size() * 2, DirListing{});
    std::unordered_map<std::string, DirListing*> slots;
    for (size_t i = 0; i < folders_.size(); ++i) {
        const std::string at = i == 0 ? std::string() : "." + folders_[i].name + "/";
        slots[at + "cur"] = &listings_[2 * i];
        slots[at + "new"] = &listings_[2 * i + 1];
        listings_[2 * i].defer_stats = listings_[2 * i + 1].defer_stats = defer_stats;
    }
    TreeWalk w;
    w.record = [&slots](const std::string& rel) -> DirListing* {
        auto it = slots.find(rel);
        return it == slots.end() ? nullptr : it->second;
    };
    std::error_code ec;
    if (fs::is_directory(root_, ec)) {
        std::string rel;
        walk_tree(AT_FDCWD, root_.c_str(), rel, w);
    }
    for (size_t i = 0; i < listings_.size(); ++i) {
        if (listings_[i].complete || !defer_stats) continue;
        // A directory the walk stopped in is listed again by load_folder(); the files the walk
        // had seen count in the fingerprint still, as they did when the walk stat'ed them all.
        const std::string dir = (fs::path(folders_[i / 2].dir) / (i % 2 ? "new" : "cur")).string();
        for (const auto& e : listings_[i].entries) {
            struct stat st {};
            if (e.size >= 0 || ::stat((dir + '/').append(listings_[i].name(e)).c_str(), &st) != 0 ||
                !S_ISREG(st.st_mode))
                continue;
            ++w.files;
            w.fp.size += st.st_size;
            w.fp.mtime = std::max<int64_t>(w.fp.mtime, st.st_mtime);
        }
    }
    walk_size_ = w.fp.size;
    walk_mtime_ = w.fp.mtime;
    walk_files_ = w.files;
}

std::optional<Fingerprint> MaildirSource::fingerprint() {
    if (lazy_fp_) {
        if (!ended_) return std::nullopt;
    } else {
        if (folder_ != 0 || loaded_) return std::nullopt;  // next() has begun: listings too late
        walk(false);
    }
    // A moved/renamed-flag file changes the count mix.
    return Fingerprint{walk_size_ * 1000003 + walk_files_, walk_mtime_};
}

bool MaildirSource::defer_fingerprint() {
    if (deferred_ && folder_ == 0 && !loaded_ && listings_.empty()) lazy_fp_ = true;
    return lazy_fp_;
}

MaildirSource::MaildirSource(std::string root, const ParserOptions& opts) : root_(std::move(root)), opts_(opts) {
    folders_.push_back({"INBOX", root_});
    std::vector<Folder> subs;
    std::error_code ec;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() < 2 || name[0] != '.' || name == "..") continue;
        std::error_code e2;
        if (!it->is_directory(e2)) continue;
        // Maildir++: a subfolder is a directory ".Name" (nested ".Foo.Bar") with cur/ or new/.
        if (fs::is_directory(it->path() / "cur", e2) || fs::is_directory(it->path() / "new", e2))
            subs.push_back({name.substr(1), it->path().string()});
    }
    std::sort(subs.begin(), subs.end(), [](const Folder& a, const Folder& b) { return a.name < b.name; });
    folders_.insert(folders_.end(), subs.begin(), subs.end());
    dir_paths_.reserve(folders_.size() * 2);
    for (const Folder& f : folders_)
        for (const char* sub : {"cur", "new"}) dir_paths_.push_back((fs::path(f.dir) / sub).string());
    dir_fds_ = std::make_unique<std::atomic<int>[]>(dir_paths_.size());
    for (size_t i = 0; i < dir_paths_.size(); ++i) {
        dir_fds_[i].store(-1, std::memory_order_relaxed);
        dir_slot_.emplace(dir_paths_[i], i);
    }
}

MaildirSource::~MaildirSource() {
    for (size_t i = 0; i < dir_paths_.size(); ++i)
        if (const int fd = dir_fds_[i].load(std::memory_order_relaxed); fd >= 0) ::close(fd);
}

// readdir and, in deferred mode, fstatat relative to the directory: a std::filesystem::path per
// entry (built, split, filename() copied) cost more instructions than the rest of the listing.
// Same files as before: names not starting with '.', regular files (symlinks followed).
void MaildirSource::load_folder() {
    if (lazy_fp_ && listings_.empty()) walk(true);
    files_.clear();
    file_ = 0;
    struct Named {
        File file;
        size_t name_at;  // the file name's offset in file.path
        std::string_view name() const { return std::string_view(file.path).substr(name_at); }
    };
    std::vector<Named> named;
    for (const char* sub : {"cur", "new"}) {
        const size_t slot = 2 * folder_ + (sub[0] == 'n');
        const std::string& dir = dir_paths_[slot];
        if (deferred_ && dir_fds_[slot].load(std::memory_order_relaxed) < 0 && dir_fds_open_ < kMaxDirFds) {
            // Kept open for next()'s fstatat and load()'s openat of the files listed below.
            const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                dir_fds_[slot].store(fd, std::memory_order_release);
                ++dir_fds_open_;
            }
        }
        if (slot < listings_.size() && listings_[slot].complete) {
            // The fingerprint's walk listed this directory's regular files already (and stat'ed
            // them, but for the message files next() stats after defer_fingerprint()).
            DirListing listing = std::move(listings_[slot]);
            named.reserve(named.size() + listing.entries.size());
            for (const auto& e : listing.entries) {
                if (deferred_ && e.size >= 0) listed_bytes_ += e.size;
                const std::string_view name = listing.name(e);
                if (name[0] == '.') continue;
                File f;
                // One allocation per path (dir + '/' then the name was two: a fifth of the
                // listing's instructions before the first message on 100,000 files).
                f.path.reserve(dir.size() + 1 + name.size());
                f.path.append(dir).append(1, '/').append(name);
                if (deferred_) {
                    f.size = e.size;
                    f.mtime = e.mtime;
                    f.stat_later = e.size < 0;
                }
                f.name_at = dir.size() + 1;
                f.dir = slot;
                named.push_back({std::move(f), dir.size() + 1});
            }
            continue;
        }
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        const int dfd = ::dirfd(d);
        while (const struct dirent* e = ::readdir(d)) {
            const std::string_view name = e->d_name;
            if (name == "." || name == "..") continue;
            struct stat st {};
            bool have_stat = false;
            // The size (deferred mode: the ingest's batches count it, and bytes_total() adds it
            // up), or whether a symlink or an entry of unknown type is a regular file.
            if (deferred_ || e->d_type == DT_LNK || e->d_type == DT_UNKNOWN)
                have_stat = ::fstatat(dfd, e->d_name, &st, 0) == 0;
            const bool regular = have_stat ? S_ISREG(st.st_mode) : e->d_type == DT_REG;
            if (deferred_ && regular) listed_bytes_ += st.st_size;
            if (name[0] == '.' || !regular) continue;
            File f{dir + '/' + e->d_name, -1, 0};
            if (deferred_) {
                f.size = st.st_size;
                f.mtime = mtime_seconds(st);
            }
            f.name_at = dir.size() + 1;
            f.dir = slot;
            named.push_back({std::move(f), dir.size() + 1});
        }
        ::closedir(d);
    }
    // By name, then path (the same name in cur/ and new/): sorted through pointers, one comparison
    // of the names each (sorting the entries themselves moved their strings around and compared
    // the names twice: as many instructions as the rest of the reader's work).
    std::vector<Named*> order(named.size());
    for (size_t i = 0; i < named.size(); ++i) order[i] = &named[i];
    std::sort(order.begin(), order.end(), [](const Named* a, const Named* b) {
        const int c = a->name().compare(b->name());
        return c != 0 ? c < 0 : a->file.path < b->file.path;
    });
    files_.reserve(named.size());
    for (Named* n : order) files_.push_back(std::move(n->file));
    loaded_ = true;
}

std::optional<RawMessage> MaildirSource::next() {
    while (folder_ < folders_.size()) {
        if (!loaded_) load_folder();
        if (file_ >= files_.size()) {
            ++folder_;
            loaded_ = false;
            continue;
        }
        File& f = files_[file_];
        if (f.stat_later) {
            // defer_fingerprint(): the walk's fstatat of this file, done here. A file gone (or
            // no longer a regular file) is skipped and not counted, as the walk would have.
            struct stat st {};
            const int dfd = dir_fd(f.dir);
            const int rc = dfd >= 0 ? ::fstatat(dfd, f.path.c_str() + f.name_at, &st, 0) : ::stat(f.path.c_str(), &st);
            if (rc != 0 || !S_ISREG(st.st_mode)) {
                ++file_;
                continue;
            }
            ++walk_files_;
            walk_size_ += st.st_size;
            walk_mtime_ = std::max<int64_t>(walk_mtime_, st.st_mtime);
            listed_bytes_ += st.st_size;
            f.size = st.st_size;
            f.mtime = mtime_seconds(st);
            f.stat_later = false;
        }
        RawMessage m;
        m.pos.path = std::move(f.path);
        m.pos.folder = folders_[folder_].name;
        if (deferred_) {
            // Only the size (listed by load_folder), which the ingest's batches and memory bound
            // count: the file's bytes for all but gzip files. load() reads it on a worker.
            m.pos.length = f.size;
            m.file_mtime = f.mtime;
            ++file_;
            m.unread = true;
            return m;
        }
        ++file_;
        load(m);
        return m;
    }
    // Every file was listed: in deferred mode the listing's sizes are the total bytes_total()
    // would otherwise walk the folders again for.
    if (deferred_ && total_ < 0) total_ = listed_bytes_;
    ended_ = true;
    return std::nullopt;
}

void MaildirSource::load(RawMessage& m) const {
    // Deferred: the listing's size and mtime (pos.length, file_mtime) spare an fstat here.
    const int64_t known_size = m.unread ? m.pos.length : -1;
    m.unread = false;
    m.pos.length = 0;
    bool too_large = false;
    // The file relative to its directory's descriptor when next() kept it open (deferred mode).
    const size_t slash = m.pos.path.rfind('/');
    int dfd = -1;
    if (known_size >= 0 && slash != std::string::npos) {
        const auto it = dir_slot_.find(std::string_view(m.pos.path).substr(0, slash));
        if (it != dir_slot_.end()) dfd = dir_fd(it->second);
    }
    auto bytes = read_file(m.pos.path, opts_.max_message_bytes, &too_large, &m.file_mtime, known_size, dfd,
                           m.pos.path.c_str() + slash + 1);
    m.flags = maildir_flags(std::string_view(m.pos.path).substr(slash + 1));
    if (!bytes) {
        m.warnings.push_back({"unreadable", bytes.error().message, 0});
    } else if (too_large) {
        m.warnings.push_back({"message_too_large", "file larger than the message limit skipped", 0});
    } else {
        m.bytes = std::move(bytes.value());
    }
    m.pos.length = static_cast<int64_t>(m.bytes.size());
    done_ += m.pos.length;
}

int64_t MaildirSource::bytes_total() const {
    if (total_ >= 0) return total_;
    // Computed on first use only: callers that do not show progress do not pay for the stats.
    int64_t t = 0;
    for (const auto& f : folders_)
        for (const char* sub : {"cur", "new"}) {
            std::error_code ec;
            for (fs::directory_iterator it(fs::path(f.dir) / sub, ec), end; !ec && it != end; it.increment(ec)) {
                std::error_code e2;
                auto s = it->file_size(e2);
                if (!e2) t += static_cast<int64_t>(s);
            }
        }
    total_ = t;
    return t;
}

}  // namespace ilc::parsers
