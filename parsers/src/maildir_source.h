#pragma once
// Maildir and Maildir++ (cur/ and new/; tmp/ holds deliveries in progress and is ignored),
// subfolders ".Sent", ".Archives", nested ".Foo.Bar". One file read at a time.
#include <string>
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
Result<std::string> read_whole_file(const std::string& path, size_t max_bytes, bool* too_large);

class MaildirSource : public Source {
public:
    MaildirSource(std::string root, const ParserOptions& opts);
    std::optional<RawMessage> next() override;
    int64_t bytes_done() const override { return done_; }
    int64_t bytes_total() const override;

private:
    struct Folder { std::string name; std::string dir; };
    void load_folder();

    std::string root_;
    ParserOptions opts_;
    std::vector<Folder> folders_;
    size_t folder_ = 0;
    std::vector<std::string> files_;  // the current folder's message files, sorted
    size_t file_ = 0;
    bool loaded_ = false;
    int64_t done_ = 0;
    mutable int64_t total_ = -1;
};

}  // namespace ilc::parsers
