#include "maildir_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gzip_stream.h"

namespace fs = std::filesystem;

namespace ilc::parsers {

Flags maildir_flags(std::string_view name) {
    Flags f;
    size_t p = std::string_view::npos;
    for (const char* marker : {":2,", ";2,", "!2,"}) {
        size_t q = name.rfind(marker);
        if (q != std::string_view::npos && (p == std::string_view::npos || q > p)) p = q;
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

}  // namespace

Result<std::string> read_whole_file(const std::string& path, size_t max_bytes, bool* too_large) {
    if (too_large) *too_large = false;
    if (is_gzip_file(path)) return read_gzip_file(path, max_bytes, too_large);
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Error{ErrorCode::io, path + ": " + std::strerror(errno), ""};
    std::string out;
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (!ec) {
        if (size > max_bytes) {
            std::fclose(f);
            if (too_large) *too_large = true;
            return std::string();
        }
        out.resize(size);
        out.resize(std::fread(out.data(), 1, size, f));
    }
    char tmp[65536];
    size_t k;
    while ((k = std::fread(tmp, 1, sizeof tmp, f)) > 0 && out.size() <= max_bytes) out.append(tmp, k);
    std::fclose(f);
    if (out.size() > max_bytes) {
        if (too_large) *too_large = true;
        out.clear();
    }
    return out;
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
}

void MaildirSource::load_folder() {
    files_.clear();
    file_ = 0;
    std::vector<std::pair<std::string, std::string>> named;  // (file name, path)
    for (const char* sub : {"cur", "new"}) {
        std::error_code ec;
        fs::path dir = fs::path(folders_[folder_].dir) / sub;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code e2;
            std::string name = it->path().filename().string();
            if (name.empty() || name[0] == '.' || !it->is_regular_file(e2)) continue;
            named.emplace_back(name, it->path().string());
        }
    }
    std::sort(named.begin(), named.end());
    for (auto& n : named) files_.push_back(std::move(n.second));
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
        const std::string& path = files_[file_++];
        RawMessage m;
        bool too_large = false;
        auto bytes = read_whole_file(path, opts_.max_message_bytes, &too_large);
        m.pos.path = path;
        m.pos.folder = folders_[folder_].name;
        m.flags = maildir_flags(fs::path(path).filename().string());
        std::error_code ec;
        auto mt = fs::last_write_time(path, ec);
        if (!ec)
            m.file_mtime = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::file_clock::to_sys(mt).time_since_epoch()).count();
        if (!bytes) {
            m.warnings.push_back({"unreadable", bytes.error().message, 0});
        } else if (too_large) {
            m.warnings.push_back({"message_too_large", "file larger than the message limit skipped", 0});
        } else {
            m.bytes = std::move(bytes.value());
        }
        m.pos.length = static_cast<int64_t>(m.bytes.size());
        done_ += m.pos.length;
        return m;
    }
    return std::nullopt;
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
