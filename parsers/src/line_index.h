#pragma once
// The '\n' positions of a message's header, found once: split_header_block records them as it
// reads the lines, and the MIME pass over the same lines (mime_cut_offset's header scan and
// FastMime's header parse, in extract_body) reads them instead of searching each line again.
// List mail has 100 to 200 header lines (Received chains, DKIM and ARC signatures), and these
// were three memchr calls per line. parse_message is the one user (the public functions keep
// their signatures and search for themselves).
#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/message_parser.h"

namespace ilc::parsers {

struct NewlineIndex {
    const char* data = nullptr;  // the buffer the positions are in
    std::vector<size_t> at;      // every '\n' of data[0, covered), in order
    size_t covered = 0;
};

// The next '\n' of `s` at or after a position, as memchr finds it, from the index where it
// covers the position (positions asked in increasing order: a cursor walks the index).
class NewlineFinder {
public:
    NewlineFinder(std::string_view s, const NewlineIndex* ix) : s_(s) {
        if (ix && ix->data == s.data() && !ix->at.empty()) {
            begin_ = cur_ = ix->at.data();
            end_ = begin_ + ix->at.size();
            covered_ = ix->covered;
        }
    }
    // The position of that '\n', or npos when there is none before s.size().
    size_t next(size_t pos) {
        if (pos < covered_) {
            if (cur_ != begin_ && cur_[-1] >= pos) cur_ = begin_;  // asked backwards: walk again
            while (cur_ != end_ && *cur_ < pos) ++cur_;
            if (cur_ != end_) return *cur_ < s_.size() ? *cur_ : std::string_view::npos;
            pos = covered_;  // none in [pos, covered): search on from there
        }
        if (pos >= s_.size()) return std::string_view::npos;
        const void* p = std::memchr(s_.data() + pos, '\n', s_.size() - pos);
        return p ? size_t(static_cast<const char*>(p) - s_.data()) : std::string_view::npos;
    }

private:
    std::string_view s_;
    const size_t* begin_ = nullptr;
    const size_t* cur_ = nullptr;
    const size_t* end_ = nullptr;
    size_t covered_ = 0;  // 0: no index, every search is a memchr
};

// split_header_block (headers.h) recording the '\n' it finds into *index (when not null).
HeaderBlock split_header_block_indexed(std::string_view raw, const ParserOptions& opts, bool (*keep)(std::string_view name),
                                       NewlineIndex* index);
// extract_body (message_parser.h) reading the header's line ends from `index` where it covers them.
BodyText extract_body_indexed(std::string_view raw, const ParserOptions& opts, const NewlineIndex* index);

}  // namespace ilc::parsers
