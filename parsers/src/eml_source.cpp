#include "eml_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "gzip_stream.h"
#include "maildir_source.h"

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
        done_ += m.pos.length;
        return m;
    }
    while (!stack_.empty()) {
        Dir& d = stack_.back();
        if (d.fi < d.files.size()) {
            std::string path = d.path + "/" + d.files[d.fi++];
            bool too_large = false;
            auto bytes = read_whole_file(path, opts_.max_message_bytes, &too_large);
            RawMessage m;
            m.pos.path = path;
            m.pos.folder = d.folder;
            if (!bytes || (!too_large && !looks_like_message(std::string_view(*bytes).substr(0, 4096)))) {
                ++skipped_;
                if (bytes) done_ += static_cast<int64_t>(bytes->size());
                continue;
            }
            m.file_mtime = mtime_of(path);
            if (too_large) m.warnings.push_back({"message_too_large", "file larger than the message limit skipped", 0});
            else m.bytes = std::move(bytes.value());
            m.pos.length = static_cast<int64_t>(m.bytes.size());
            done_ += m.pos.length;
            return m;
        }
        if (d.di < d.dirs.size()) {
            std::string name = d.dirs[d.di++];
            std::string folder = (stack_.size() == 1) ? name : d.folder + "/" + name;
            std::string path = d.path + "/" + name;
            push_dir(path, folder);  // invalidates d
            continue;
        }
        stack_.pop_back();
    }
    return std::nullopt;
}

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
