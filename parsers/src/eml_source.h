#pragma once
// .eml files: one file, or a directory tree (Enron's CMU layout maildir/<user>/<folder>/<n>.,
// CRLF). Deterministic natural order ("2." before "10."). A tree is classified file by file on
// content, never on names: an mbox file (plain or gzip) inside it is read as an mbox, a
// subdirectory with cur/ or new/ as a Maildir, a single message (plain or .eml.gz) as one message;
// so a folder of .mbox/.mbox.gz exports, a Thunderbird "Local Folders" directory or a mix of
// all of them gives every message exactly once.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/source.h"

namespace ilc::parsers {

// True when the first bytes look like a message: the first line is a header field
// ("Name: value") or an mbox "From " line followed by one. Expected-output files (.json, .py,
// plain text) fail this check; it is made on content, never on the file name.
bool looks_like_message(std::string_view head);

// True when the first bytes (decompressed) are an mbox: "From " after an optional UTF-8 byte
// order mark and blank lines (source_factory.cpp).
bool starts_like_mbox(std::string_view head);

// The folder an mbox file stands for: its file name without .gz/.mbox/.mbx/.mbs (source_factory.cpp).
std::string mbox_folder_name(const std::string& path);

class EmlSource : public Source {
public:
    // `root` is a file (one message) or a directory (the tree); folder names are the parent
    // directory's path relative to the root (the root's own name for files directly in it).
    EmlSource(std::string root, bool is_tree, const ParserOptions& opts);
    ~EmlSource() override;
    std::optional<RawMessage> next() override;
    // Errors of mbox files inside the tree (a truncated .mbox.gz): the other files are still read.
    std::optional<Error> error() const override;
    int64_t bytes_done() const override;
    int64_t bytes_total() const override;
    // Files seen but skipped because they do not look like mail (for the ingest summary).
    size_t skipped_files() const { return skipped_; }
    // How many mbox files and Maildirs were found inside the tree.
    size_t mbox_files() const { return mbox_files_; }
    size_t maildirs() const { return maildirs_; }

private:
    struct Dir { std::string path; std::string folder; std::vector<std::string> files, dirs; size_t fi = 0, di = 0; };
    void push_dir(const std::string& path, const std::string& folder);
    std::optional<RawMessage> next_from_child();

    std::string root_;
    bool tree_;
    ParserOptions opts_;
    std::vector<Dir> stack_;
    bool single_done_ = false;
    int64_t done_ = 0;
    size_t skipped_ = 0;
    size_t mbox_files_ = 0;
    size_t maildirs_ = 0;
    mutable int64_t total_ = -1;
    // The mbox file or Maildir being read inside the tree, and the folder prefix its messages get.
    std::unique_ptr<Source> child_;
    std::string child_prefix_;
    std::vector<std::string> child_errors_;
};

}  // namespace ilc::parsers
