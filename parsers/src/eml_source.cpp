#include "eml_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "gzip_stream.h"
#include "maildir_source.h"
#include "mbox_reader.h"

namespace fs = std::filesystem;

namespace ilc::parsers {
namespace {

// RFC 5322 section 3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126 (printable, no colon).
bool is_header_line(std::string_view line) {
    size_t i = 0;
    // Real field names use letters, digits, "-" and "_" (the RFC allows more, but JSON keys and
    // code would then pass for headers).
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' || line[i] == '_' || line[i] == '.')) ++i;
    if (i == 0) return false;
    size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;  // "Subject :" (obsolete form)
    return j < line.size() && line[j] == ':';
}

std::string_view first_line(std::string_view s, size_t* next) {
    size_t e = s.find('\n');
    if (e == std::string_view::npos) e = s.size();
    *next = std::min(s.size(), e + 1);
    return s.substr(0, e);
}

int64_t mtime_of(const std::string& path) {
    std::error_code ec;
    auto mt = fs::last_write_time(path, ec);
    if (ec) return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(mt).time_since_epoch())
        .count();
}

// Progress counts bytes on disk (compressed for .gz files), like bytes_total().
int64_t disk_size(const std::string& path) {
    std::error_code ec;
    auto s = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(s);
}

}  // namespace

bool looks_like_message(std::string_view head) {
    size_t next = 0;
    std::string_view l = first_line(head, &next);
    if (l.size() >= 5 && l.substr(0, 5) == "From ") l = first_line(head.substr(next), &next);
    return is_header_line(l);
}

EmlSource::EmlSource(std::string root, bool is_tree, const ParserOptions& opts)
    : root_(std::move(root)), tree_(is_tree), opts_(opts) {
    while (tree_ && root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (tree_) push_dir(root_, fs::path(root_).filename().string());
}

EmlSource::~EmlSource() = default;

void EmlSource::push_dir(const std::string& path, const std::string& folder) {
    Dir d;
    d.path = path;
    d.folder = folder;
    std::error_code ec;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        std::string name = it->path().filename().string();
        if (it->is_directory(e2)) {
            if (!it->is_symlink(e2)) d.dirs.push_back(name);  // symlinked dirs could loop
        } else if (it->is_regular_file(e2)) {
            d.files.push_back(name);
        }
    }
    std::sort(d.files.begin(), d.files.end(), natural_less);
    std::sort(d.dirs.begin(), d.dirs.end(), natural_less);
    stack_.push_back(std::move(d));
}

// Messages of the mbox file or Maildir found in the tree. Their folder names are prefixed with
// the directory's place in the tree so "Archives/2024" inside the tree stays distinct from the
// root's "2024".
std::optional<RawMessage> EmlSource::next_from_child() {
    auto m = child_->next();
    if (m) {
        if (!child_prefix_.empty())
            m->pos.folder = m->pos.folder == "INBOX" ? child_prefix_ : child_prefix_ + "/" + m->pos.folder;
        return m;
    }
    if (auto e = child_->error()) child_errors_.push_back(e->message);
    done_ += child_->bytes_total();
    child_.reset();
    return std::nullopt;
}

std::optional<RawMessage> EmlSource::next() {
    if (!tree_) {
        if (single_done_) return std::nullopt;
        single_done_ = true;
        RawMessage m;
        bool too_large = false;
        auto bytes = read_whole_file(root_, opts_.max_message_bytes, &too_large);
        m.pos.path = root_;
        m.pos.folder = fs::absolute(root_).parent_path().filename().string();
        m.file_mtime = mtime_of(root_);
        if (!bytes) m.warnings.push_back({"unreadable", bytes.error().message, 0});
        else if (too_large) m.warnings.push_back({"message_too_large", "file larger than the message limit skipped", 0});
        else m.bytes = std::move(bytes.value());
        m.pos.length = static_cast<int64_t>(m.bytes.size());
        done_ += disk_size(root_);
        return m;
    }
    for (;;) {
        if (child_) {
            if (auto m = next_from_child()) return m;
            continue;
        }
        if (stack_.empty()) return std::nullopt;
        Dir& d = stack_.back();
        if (d.fi < d.files.size()) {
            const std::string& name = d.files[d.fi++];
            std::string path = d.path + "/" + name;
            // The decompressed head decides what the file is: an mbox export (whatever its name:
            // Thunderbird's "Inbox" has none) or a single message.
            if (starts_like_mbox(read_file_head(path, 4096))) {
                std::string err;
                auto in = open_file_input(path, is_gzip_file(path), &err);
                if (!in) {
                    child_errors_.push_back(err);
                    done_ += disk_size(path);
                    continue;
                }
                ++mbox_files_;
                // Files directly in the root are folders of their own name; deeper ones keep their
                // directory's place in the tree ("Inbox.sbd/Clients" -> "Inbox/Clients").
                std::string folder = mbox_folder_name(path);
                if (stack_.size() > 1) folder = d.folder + "/" + folder;
                child_ = std::make_unique<MboxReader>(std::move(in), path, folder, opts_);
                child_prefix_.clear();
                continue;
            }
            bool too_large = false;
            auto bytes = read_whole_file(path, opts_.max_message_bytes, &too_large);
            RawMessage m;
            m.pos.path = path;
            m.pos.folder = d.folder;
            if (!bytes) {
                // Unreadable (permissions, a corrupt .gz with nothing decompressed): said once in
                // error(), and the rest of the tree is still read.
                child_errors_.push_back(bytes.error().message);
                done_ += disk_size(path);
                continue;
            }
            if (!too_large && !looks_like_message(std::string_view(*bytes).substr(0, 4096))) {
                ++skipped_;
                done_ += disk_size(path);
                continue;
            }
            m.file_mtime = mtime_of(path);
            if (too_large) m.warnings.push_back({"message_too_large", "file larger than the message limit skipped", 0});
            else m.bytes = std::move(bytes.value());
            m.pos.length = static_cast<int64_t>(m.bytes.size());
            done_ += disk_size(path);
            return m;
        }
        if (d.di < d.dirs.size()) {
            std::string name = d.dirs[d.di++];
            std::string path = d.path + "/" + name;
            // Thunderbird keeps the subfolders of "Inbox" in "Inbox.sbd/": the folder is "Inbox".
            std::string shown = name;
            if (shown.size() > 4 && shown.compare(shown.size() - 4, 4, ".sbd") == 0) shown.resize(shown.size() - 4);
            std::string folder = (stack_.size() == 1) ? shown : d.folder + "/" + shown;
            std::error_code ec;
            if (fs::is_directory(fs::path(path) / "cur", ec) || fs::is_directory(fs::path(path) / "new", ec)) {
                // A Maildir inside the tree is read whole by the Maildir reader (flags, Maildir++
                // subfolders); its cur/new/tmp are never walked as .eml directories.
                ++maildirs_;
                child_ = std::make_unique<MaildirSource>(path, opts_);
                child_prefix_ = folder;
                continue;
            }
            push_dir(path, folder);  // invalidates d
            continue;
        }
        stack_.pop_back();
    }
}

std::optional<Error> EmlSource::error() const {
    if (child_errors_.empty()) return std::nullopt;
    std::string msg;
    // A tree of thousands of unreadable files says the first few and how many more.
    const size_t shown = std::min<size_t>(child_errors_.size(), 5);
    for (size_t i = 0; i < shown; ++i) msg += (msg.empty() ? "" : "; ") + child_errors_[i];
    if (child_errors_.size() > shown) msg += "; and " + std::to_string(child_errors_.size() - shown) + " more files";
    return Error{ErrorCode::io, msg, "the other files of the directory were read; the messages before each error were kept"};
}

int64_t EmlSource::bytes_done() const { return done_ + (child_ ? child_->bytes_done() : 0); }

int64_t EmlSource::bytes_total() const {
    if (total_ >= 0) return total_;
    int64_t t = 0;
    std::error_code ec;
    if (!tree_) {
        auto s = fs::file_size(root_, ec);
        t = ec ? 0 : static_cast<int64_t>(s);
    } else {
        for (fs::recursive_directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code e2;
            if (it->is_regular_file(e2)) {
                auto s = it->file_size(e2);
                if (!e2) t += static_cast<int64_t>(s);
            }
        }
    }
    total_ = t;
    return t;
}

}  // namespace ilc::parsers
