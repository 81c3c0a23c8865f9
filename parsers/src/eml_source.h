#pragma once
// .eml files: one file, or every message-looking regular file of a directory tree (Enron's CMU
// layout maildir/<user>/<folder>/<n>., CRLF). Deterministic natural order ("2." before "10.").
#include <string>
#include <vector>

#include "interlocutor/parsers/source.h"

namespace ilc::parsers {

// True when the first bytes look like a message: the first line is a header field
// ("Name: value") or an mbox "From " line followed by one. Expected-output files (.json, .py,
// plain text) fail this check; it is made on content, never on the file name.
bool looks_like_message(std::string_view head);

class EmlSource : public Source {
public:
    // `root` is a file (one message) or a directory (the tree); folder names are the parent
    // directory's path relative to the root (the root's own name for files directly in it).
    EmlSource(std::string root, bool is_tree, const ParserOptions& opts);
    std::optional<RawMessage> next() override;
    int64_t bytes_done() const override { return done_; }
    int64_t bytes_total() const override;
    // Files seen but skipped because they do not look like mail (for the ingest summary).
    size_t skipped_files() const { return skipped_; }

private:
    struct Dir { std::string path; std::string folder; std::vector<std::string> files, dirs; size_t fi = 0, di = 0; };
    void push_dir(const std::string& path, const std::string& folder);

    std::string root_;
    bool tree_;
    ParserOptions opts_;
    std::vector<Dir> stack_;
    bool single_done_ = false;
    int64_t done_ = 0;
    size_t skipped_ = 0;
    mutable int64_t total_ = -1;
};

}  // namespace ilc::parsers
