#include "mbox_reader.h"

#include <algorithm>
#include <cstring>

namespace ilc::parsers {
namespace {

constexpr size_t npos = std::string::npos;
// A separator line is short; longer "From " lines are body text and are never examined further.
constexpr size_t kMaxFromLine = 1000;

bool starts_with_from(std::string_view line) { return line.size() >= 5 && std::memcmp(line.data(), "From ", 5) == 0; }

bool is_blank(std::string_view line) { return line == "\n" || line == "\r\n" || line.empty(); }

std::string_view chomp(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    return line;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ieq_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[i]) != lower(prefix[i])) return false;
    return true;
}

bool is_month(std::string_view t) {
    static const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (t.size() < 3) return false;
    for (const char* m : months)
        if (ieq_prefix(t, m)) return true;
    return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_time(std::string_view t) {
    // h:mm, hh:mm or hh:mm:ss
    size_t colon = t.find(':');
    if (colon == npos || colon == 0 || colon > 2 || t.size() < colon + 3) return false;
    for (char c : t)
        if (!is_digit(c) && c != ':') return false;
    return true;
}

bool is_year(std::string_view t) {
    if (t.size() != 4) return false;
    for (char c : t)
        if (!is_digit(c)) return false;
    return true;
}

// The value of the first header field `name` in a header block (unfolding is not needed for the
// short fields read here: Status, X-Status, Content-Length).
std::string_view header_value(std::string_view block, std::string_view name) {
    size_t p = 0;
    while (p < block.size()) {
        size_t e = block.find('\n', p);
        if (e == npos) e = block.size();
        std::string_view line = block.substr(p, e - p);
        if (line.size() > name.size() && line[name.size()] == ':' && ieq_prefix(line, name)) {
            std::string_view v = chomp(line.substr(name.size() + 1));
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            return v;
        }
        p = e + 1;
    }
    return {};
}

}  // namespace

bool looks_like_from_line(std::string_view line) {
    if (!starts_with_from(line) || line.size() > kMaxFromLine) return false;
    line = chomp(line);
    // Tokens after "From sender": a month name, a time and a four-digit year must all appear
    // (asctime: "Mon Jul 20 14:24:21 2026"; some writers add a zone or use "Mon, 20 Jul 2026").
    bool month = false, time = false, year = false;
    size_t p = 5;
    bool first = true;
    while (p < line.size()) {
        while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
        size_t e = p;
        while (e < line.size() && line[e] != ' ' && line[e] != '\t') ++e;
        std::string_view tok = line.substr(p, e - p);
        if (tok.empty()) break;
        if (!first) {
            if (!tok.empty() && tok.back() == ',') tok.remove_suffix(1);
            if (!month && is_month(tok) && tok.size() <= 4) month = true;
            else if (month && !time && is_time(tok)) time = true;
            else if (month && is_year(tok)) year = true;
        }
        first = false;  // the sender token may look like anything
        p = e;
    }
    return month && time && year;
}

std::string mbox_unquote(std::string_view raw) {
    // Every quoted line contains ">From ": without one (nearly every message) the bytes are
    // copied in one go instead of line by line.
    bool quoted = false;
    for (size_t p = 0; p < raw.size() && !quoted;) {
        const void* gt = std::memchr(raw.data() + p, '>', raw.size() - p);
        if (!gt) break;
        p = static_cast<size_t>(static_cast<const char*>(gt) - raw.data()) + 1;
        quoted = raw.size() - p >= 5 && std::memcmp(raw.data() + p, "From ", 5) == 0;
    }
    if (!quoted) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    size_t p = 0;
    while (p < raw.size()) {
        // At a line start: ">From ", ">>From ", ... lose one '>' (mboxrd). mboxo writers quoted
        // only "From " -> ">From " and cannot be told apart; like mutt, Thunderbird and Python's
        // mailbox we unquote them the same way, which is right for the common case.
        if (raw[p] == '>') {
            size_t q = p;
            while (q < raw.size() && raw[q] == '>') ++q;
            if (raw.size() - q >= 5 && std::memcmp(raw.data() + q, "From ", 5) == 0) ++p;
        }
        const char* nl = static_cast<const char*>(std::memchr(raw.data() + p, '\n', raw.size() - p));
        size_t e = nl ? static_cast<size_t>(nl - raw.data()) + 1 : raw.size();
        out.append(raw.data() + p, e - p);
        p = e;
    }
    return out;
}

MboxReader::MboxReader(std::unique_ptr<ByteInput> in, std::string path, std::string folder,
                       const ParserOptions& opts, size_t block_size)
    : in_(std::move(in)), path_(std::move(path)), folder_(std::move(folder)), opts_(opts),
      block_size_(block_size ? block_size : 1) {}

std::optional<Error> MboxReader::error() const {
    std::string e = in_->error();
    if (e.empty()) return std::nullopt;
    return Error{ErrorCode::io, path_ + ": " + e, "the file may be truncated; the messages before the error were read"};
}

bool MboxReader::fill() {
    if (eof_) return false;
    // Drop what earlier messages used so the buffer holds only the current message.
    if (start_ > 0) {
        buf_.erase(0, start_);
        base_ += static_cast<int64_t>(start_);
        scan_ -= start_;
        search_ -= std::min(search_, start_);
        start_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + block_size_);
    size_t got = in_->read(buf_.data() + old, block_size_);
    buf_.resize(old + got);
    if (got == 0) eof_ = true;
    return got > 0;
}

size_t MboxReader::line_end() {
    for (;;) {
        size_t from = std::max(search_, scan_);
        if (from < buf_.size()) {
            const char* nl = static_cast<const char*>(std::memchr(buf_.data() + from, '\n', buf_.size() - from));
            if (nl) return static_cast<size_t>(nl - buf_.data()) + 1;
        }
        search_ = buf_.size();
        if (!fill()) return scan_ < buf_.size() ? buf_.size() : npos;
    }
}

bool MboxReader::peek_line(int64_t off, std::string_view* line) {
    // Only the first bytes matter (is it blank, does it start "From "?), so the look-ahead is bounded.
    for (;;) {
        int64_t idx = off - base_;
        if (idx < 0) return false;
        size_t i = static_cast<size_t>(idx);
        if (i < buf_.size()) {
            size_t avail = std::min(buf_.size() - i, kMaxFromLine);
            const char* nl = static_cast<const char*>(std::memchr(buf_.data() + i, '\n', avail));
            if (nl || avail == kMaxFromLine || eof_) {
                size_t len = nl ? static_cast<size_t>(nl - (buf_.data() + i)) + 1 : avail;
                *line = std::string_view(buf_.data() + i, len);
                return true;
            }
        } else if (eof_) {
            return false;
        }
        if (!fill()) {
            if (i < buf_.size()) continue;
            return false;
        }
    }
}

void MboxReader::begin_message(int64_t offset) {
    msg_offset_ = offset;
    body_offset_ = -1;
    header_end_ = -1;
    oversize_ = false;
    prev_blank_ = false;
    state_ = State::headers;
}

// mboxcl/mboxcl2 (Content-Length): trusted only when the count lands exactly on a separator line,
// on a blank line followed by one, or on the end of the file; otherwise it is ignored and the
// message is split by "From " lines like any other mbox (a warning says so).
void MboxReader::check_content_length() {
    std::string_view headers(buf_.data() + start_, static_cast<size_t>(header_end_ - msg_offset_));
    if (oversize_) return;
    std::string_view cl = header_value(headers, "Content-Length");
    if (cl.empty()) return;
    int64_t n = 0;
    for (char c : cl) {
        if (!is_digit(c) || n > (int64_t(1) << 40)) { n = -1; break; }
        n = n * 10 + (c - '0');
    }
    auto bad = [&](const char* why) {
        warnings_.push_back({"bad_content_length", std::string("Content-Length ignored: ") + why, msg_offset_});
    };
    if (n < 0) return bad("not a number");
    if (static_cast<size_t>(n) > opts_.max_message_bytes) return bad("larger than the message limit");
    int64_t end = body_offset_ + n;
    // Load the claimed body (it belongs to this message anyway when the count is right).
    while (base_ + static_cast<int64_t>(buf_.size()) < end && fill()) {}
    int64_t have = base_ + static_cast<int64_t>(buf_.size());
    if (end > have) return bad("points past the end of the file");
    if (end > body_offset_ && buf_[static_cast<size_t>(end - base_ - 1)] != '\n') return bad("does not end a line");
    std::string_view l1;
    bool valid = false;
    if (!peek_line(end, &l1)) {
        valid = true;  // exactly at the end of the file
    } else if (starts_with_from(l1)) {
        valid = true;
    } else if (is_blank(l1)) {
        std::string_view l2;
        valid = !peek_line(end + static_cast<int64_t>(l1.size()), &l2) || starts_with_from(l2);
    }
    if (!valid) return bad("does not land on a separator line");
    // Skip the counted body unexamined: "From " lines inside it are content, not separators.
    scan_ = static_cast<size_t>(end - base_);
    search_ = scan_;
    prev_blank_ = true;
}

RawMessage MboxReader::finish(size_t end, bool at_eof) {
    RawMessage m;
    size_t kept_end = end;
    // The blank line before a separator belongs to the mbox format, not to the message (RFC 4155).
    // It is looked at in the bytes (not in the state) because a trusted Content-Length jumps over lines.
    int64_t end_off = base_ + static_cast<int64_t>(end);
    if (!at_eof && state_ == State::body && !oversize_ && end_off > body_offset_ && end >= start_ + 1 &&
        buf_[end - 1] == '\n') {
        size_t cut = end - 1;
        if (cut > start_ && buf_[cut - 1] == '\r') --cut;
        if (base_ + static_cast<int64_t>(cut) >= body_offset_ && (cut == start_ || buf_[cut - 1] == '\n'))
            kept_end = cut;
    }
    std::string_view raw(buf_.data() + start_, kept_end - start_);
    m.pos.path = path_;
    m.pos.folder = folder_;
    m.pos.offset = msg_offset_;
    m.pos.length = base_ + static_cast<int64_t>(kept_end) - msg_offset_;
    m.mbox_from_line = from_line_;
    m.warnings = std::move(warnings_);
    warnings_.clear();
    if (oversize_) {
        m.warnings.push_back({"message_too_large",
                              "message larger than " + std::to_string(opts_.max_message_bytes) + " bytes skipped",
                              msg_offset_});
    } else {
        if (at_eof && !raw.empty() && raw.back() != '\n')
            m.warnings.push_back({"missing_final_newline", "the file does not end with a newline",
                                  base_ + static_cast<int64_t>(end)});
        if (state_ == State::headers && at_eof && !raw.empty())
            m.warnings.push_back({"truncated", "the file ends inside the header block", msg_offset_});
        if (raw.empty()) m.warnings.push_back({"empty_message", "separator line with no message", msg_offset_});
        std::string_view headers = raw;
        if (header_end_ >= 0) headers = raw.substr(0, static_cast<size_t>(header_end_ - msg_offset_));
        // Flags written by mail clients into mbox files: Status (R read, O old) and X-Status
        // (A answered, F flagged, T draft, D deleted), as mutt and Thunderbird write them.
        for (char c : header_value(headers, "Status"))
            if (c == 'R') m.flags.seen = true;
        for (char c : header_value(headers, "X-Status")) {
            if (c == 'A') m.flags.replied = true;
            if (c == 'F') m.flags.flagged = true;
            if (c == 'T') m.flags.draft = true;
            if (c == 'D') m.flags.trashed = true;
        }
        m.bytes = mbox_unquote(raw);
    }
    return m;
}

std::optional<RawMessage> MboxReader::next() {
    for (;;) {
        auto m = next_unfiltered();
        if (!m || skip_before_ < 0 || m->pos.offset >= skip_before_) return m;
    }
}

std::optional<RawMessage> MboxReader::next_unfiltered() {
    if (state_ == State::done) return std::nullopt;
    for (;;) {
        size_t eol = line_end();
        if (eol == npos) {
            // End of input.
            bool had = state_ != State::init;
            if (!had) {
                state_ = State::done;
                return std::nullopt;
            }
            RawMessage m = finish(buf_.size(), true);
            if (!in_->error().empty())
                m.warnings.push_back({"truncated", "the input ended with an error: " + in_->error(), msg_offset_});
            start_ = buf_.size();
            state_ = State::done;
            return m;
        }
        std::string_view line(buf_.data() + scan_, eol - scan_);
        switch (state_) {
            case State::init:
                // A UTF-8 byte order mark written by Windows tools before the first "From " line
                // (or alone on a line) is not part of any message.
                if (scan_ == 0 && base_ == 0 && line.substr(0, 3) == "\xEF\xBB\xBF") {
                    scan_ = start_ = 3;
                    continue;
                }
                if (is_blank(line)) {
                    scan_ = start_ = eol;
                    continue;
                }
                if (starts_with_from(line)) {
                    from_line_ = std::string(chomp(line.substr(0, std::min(line.size(), kMaxFromLine))));
                    scan_ = start_ = eol;
                    begin_message(base_ + static_cast<int64_t>(eol));
                    continue;
                }
                warnings_.push_back({"no_from_line", "the mbox does not start with a \"From \" line: read as one message", 0});
                from_line_.clear();
                start_ = scan_;
                begin_message(base_ + static_cast<int64_t>(scan_));
                continue;
            case State::headers:
            case State::body: {
                bool sep = starts_with_from(line) &&
                           ((state_ == State::body && prev_blank_) || looks_like_from_line(line));
                if (sep) {
                    RawMessage m = finish(scan_, false);
                    from_line_ = std::string(chomp(line));
                    scan_ = start_ = eol;
                    begin_message(base_ + static_cast<int64_t>(eol));
                    return m;
                }
                bool blank = is_blank(line);
                if (state_ == State::headers && blank) {
                    header_end_ = base_ + static_cast<int64_t>(scan_);
                    body_offset_ = base_ + static_cast<int64_t>(eol);
                    state_ = State::body;
                    prev_blank_ = true;
                    scan_ = eol;
                    check_content_length();
                    continue;
                }
                prev_blank_ = blank;
                scan_ = eol;
                if (!oversize_ && scan_ - start_ > opts_.max_message_bytes) oversize_ = true;
                if (oversize_) start_ = scan_;  // drop the bytes of a message that will be skipped
                continue;
            }
            case State::done:
                return std::nullopt;
        }
    }
}

}  // namespace ilc::parsers
