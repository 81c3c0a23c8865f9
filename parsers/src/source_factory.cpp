// open_source / detect_source_kind: which reader a path needs.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "eml_source.h"
#include "gzip_stream.h"
#include "maildir_source.h"
#include "mbox_reader.h"
#ifdef ILC_HAVE_PST
#include "pst_source.h"
#endif
#include "interlocutor/parsers/source.h"

namespace fs = std::filesystem;

namespace ilc::parsers {
namespace {

bool ends_with_ci(const std::string& s, std::string_view suf) {
    if (s.size() < suf.size()) return false;
    for (size_t i = 0; i < suf.size(); ++i) {
        char a = s[s.size() - suf.size() + i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
        if (a != suf[i]) return false;
    }
    return true;
}

}  // namespace

// Enron's "enron.allen-p._sent_mail" has dots but no extension and keeps its whole name.
std::string mbox_folder_name(const std::string& path) {
    std::string name = fs::path(path).filename().string();
    if (ends_with_ci(name, ".gz")) name.resize(name.size() - 3);
    for (std::string_view ext : {".mbox", ".mbx", ".mbs"})
        if (ends_with_ci(name, ext) && name.size() > ext.size()) {
            name.resize(name.size() - ext.size());
            break;
        }
    return name;
}

// RFC 4155: an mbox starts with a "From " separator line. Exports written on Windows may start
// with a byte order mark, and some tools leave blank lines first.
bool starts_like_mbox(std::string_view head) {
    size_t p = 0;
    if (head.substr(0, 3) == "\xEF\xBB\xBF") p = 3;
    while (p < head.size() && (head[p] == '\n' || head[p] == '\r')) ++p;
    return head.substr(p, 5) == "From ";
}

SourceKind detect_source_kind(const std::string& path) {
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return SourceKind::unknown;
    if (fs::is_directory(st)) {
        if (fs::is_directory(fs::path(path) / "cur", ec) || fs::is_directory(fs::path(path) / "new", ec))
            return SourceKind::maildir;
        return SourceKind::eml_tree;
    }
    if (!fs::is_regular_file(st)) return SourceKind::unknown;
    // Outlook .pst/.ost: [MS-PST] 2.2.2.6 dwMagic "!BDN", or the extension (a damaged file then
    // gets the PST reader's clear error rather than being read as one .eml).
    if (read_file_head(path, 4).compare(0, 4, "!BDN") == 0 || ends_with_ci(path, ".pst") || ends_with_ci(path, ".ost"))
        return SourceKind::pst;
    if (starts_like_mbox(read_file_head(path, 4096))) return SourceKind::mbox;
    std::string p = path;
    if (ends_with_ci(p, ".gz")) p.resize(p.size() - 3);
    // A file named like an mbox that does not start with "From " is still read as an mbox: the
    // reader warns and keeps the content as one message.
    if (ends_with_ci(p, ".mbox") || ends_with_ci(p, ".mbx")) return SourceKind::mbox;
    return SourceKind::eml_file;
}

Result<std::unique_ptr<Source>> open_source(const std::string& path, const ParserOptions& opts) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return Error{ErrorCode::not_found, path + ": no such file or directory", "check the path of the mailbox export"};
    SourceKind kind = detect_source_kind(path);
    if (kind != SourceKind::maildir && kind != SourceKind::eml_tree) {
        // Readability is checked up front so a bad path fails with a clear message, not zero messages.
        std::ifstream probe(path, std::ios::binary);
        if (!probe) return Error{ErrorCode::io, path + ": cannot be read (" + std::strerror(errno) + ")", "check its permissions"};
    } else {
        fs::directory_iterator it(path, ec);
        if (ec) return Error{ErrorCode::io, path + ": cannot list the directory (" + ec.message() + ")", "check its permissions"};
    }
    switch (kind) {
        case SourceKind::mbox: {
            std::string err;
            auto in = open_file_input(path, is_gzip_file(path), &err);
            if (!in) return Error{ErrorCode::io, err, "check the path and its permissions"};
            return std::unique_ptr<Source>(std::make_unique<MboxReader>(std::move(in), path, mbox_folder_name(path), opts));
        }
        case SourceKind::maildir:
            return std::unique_ptr<Source>(std::make_unique<MaildirSource>(path, opts));
        case SourceKind::eml_tree:
            return std::unique_ptr<Source>(std::make_unique<EmlSource>(path, true, opts));
        case SourceKind::eml_file:
            return std::unique_ptr<Source>(std::make_unique<EmlSource>(path, false, opts));
        case SourceKind::pst:
#ifdef ILC_HAVE_PST
            return open_pst_source(path, opts);
#else
            return Error{ErrorCode::unsupported, path + ": Outlook PST/OST support is not built in",
                         "install libpst-dev and rebuild, or export the folders as mbox from Outlook/Thunderbird"};
#endif
        case SourceKind::unknown:
            break;
    }
    return Error{ErrorCode::unsupported, path + ": not a mailbox (neither a file nor a directory)",
                 "give an mbox file, a Maildir, or a directory of .eml files"};
}

}  // namespace ilc::parsers
