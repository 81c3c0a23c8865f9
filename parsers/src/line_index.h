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
    // The first '\r' of data[0, ...) as the header split's first search found it (the buffer's
    // size when there is none: LF mail, where that search read the whole message), kept for
    // FastMime's own first search; valid when `cr_known`.
    bool cr_known = false;
    size_t first_cr = 0;
    // Where the header ends, as the split found it: the start of the empty line ("\n" or
    // "\r\n", after a '\n' or at 0) that ended a split started at 0, which is the first line
    // of data that is empty or "\r" when lines end at '\n' only (mime_cut_offset's header end:
    // every such line starts a line of the split, empty there too). Valid when `blank_known`.
    bool blank_known = false;
    size_t blank = 0;
    // The header as FastMime's load_header (mime_adapter.cpp) reads it, found by the split when
    // every line up to the empty one is in the shape FastMime takes (a name of ftext right before
    // ':', lines ended by LF or CRLF, no LF-CR, no "From " line, no cap reached): its Content-*
    // fields and where its body starts. FastMime takes it for the message's own header when the
    // buffer is the split's (`size`) and no NUL comes before `mime_blank`. Valid when `mime_known`.
    struct MimeField {
        std::string_view name;
        size_t value_begin, value_end;
        bool folded;
    };
    bool mime_known = false;
    size_t size = 0;        // the split's buffer size
    size_t mime_blank = 0;  // the empty line's start
    size_t mime_body = 0;   // after it and one complementary CR or LF
    std::vector<MimeField> mime_fields;
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
            // The usual question, the line after the last answer's: the next entry.
            if (cur_ != end_ && cur_ + 1 != end_ && *cur_ < pos && cur_[1] >= pos) {
                ++cur_;
                return *cur_ < s_.size() ? *cur_ : std::string_view::npos;
            }
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
