// The one file that includes mimetic (compiled with -std=gnu++14, see parsers/CMakeLists.txt).
// mimetic gives the MIME tree; everything it lacks is ours: RFC 2047/2231 (parse_content_type),
// charsets (to_utf8), tolerant transfer decoding, and limits. Known mimetic limits handled here:
// no nesting limit (we cut the input past max_mime_depth before parsing), getters that mutate
// (only const access is used), a MimeEntity that must never be copied (only references).
// Most messages never reach mimetic: FastMime (below) builds the same tree as views into the raw
// bytes for the shapes it reproduces exactly, and hands everything else to mimetic.
#include <mimetic/mimetic.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/message_parser.h"
#include "line_index.h"
#include "mime_decode.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool blank_line(std::string_view l) { return l.empty() || l == "\r"; }

// The first case-insensitive "boundary=" in a line, found from the '=' signs (memchr) instead of
// comparing at every byte: every occurrence ends with one, so the first '=' preceded by
// "boundary" is the first occurrence.
bool find_boundary_param(std::string_view line, size_t* at) {
    static constexpr std::string_view kName = "boundary";
    size_t from = kName.size();
    while (from < line.size()) {
        const void* eq = std::memchr(line.data() + from, '=', line.size() - from);
        if (!eq) return false;
        const size_t e = size_t(static_cast<const char*>(eq) - line.data());
        size_t k = 0;
        while (k < kName.size() && lower(line[e - kName.size() + k]) == kName[k]) ++k;
        if (k == kName.size()) {
            *at = e - kName.size();
            return true;
        }
        from = e + 1;
    }
    return false;
}

// Where to cut the raw message so that mimetic never sees more than max_depth nested multiparts
// or max_parts parts (mimetic has no limit and checks every line against every open boundary).
// A linear scan: header blocks are the message's and those after each boundary line; a
// "boundary=" parameter inside a header block opens a level, a boundary line closes deeper ones.
// Returns raw.size() when no cut is needed.
// Header lines longer than this are shortened before mimetic sees them: its header parser is
// quadratic in the line length (a 10 MB line took over a minute).
constexpr size_t kMaxMimeticHeaderLine = 64 << 10;

struct LongLine { size_t offset, length; };

size_t mime_cut_offset(std::string_view raw, const ParserOptions& opts, std::string* why,
                       std::vector<LongLine>* long_lines, const NewlineIndex* index) {
    NewlineFinder newlines(raw, index);  // the top header's line ends, found by the header split
    std::vector<std::string> stack;
    bool in_header = true;
    size_t block_start = 0, parts = 0, p = 0;
    // A header line's "boundary=" parameter opens a level; true when that is one level too many.
    auto open_level = [&](std::string_view line, size_t at) {
        std::string_view v = line.substr(at + 9);
        std::string b;
        if (!v.empty() && v[0] == '"') {
            size_t q = v.find('"', 1);
            b = std::string(v.substr(1, q == std::string_view::npos ? v.size() - 1 : q - 1));
        } else {
            size_t k = 0;
            while (k < v.size() && v[k] != ';' && v[k] != ' ' && v[k] != '\t') ++k;
            b = std::string(v.substr(0, k));
        }
        if (b.empty()) return false;
        stack.push_back("--" + b);
        return stack.size() > opts.max_mime_depth;
    };
    bool line_by_line = false;  // the current header block is over 64 KB: read line by line
    while (p < raw.size()) {
        if (in_header && !line_by_line) {
            // The header block's end first, with one memchr per line; then only its '=' signs
            // are looked at for "boundary=" (list mail: 150 header lines, a few dozen '='). A
            // block of at most 64 KB has no line over the limit; a longer one takes the line loop.
            size_t end = raw.size(), after = raw.size();
            if (p == 0 && index && index->data == raw.data() && index->blank_known && index->blank < raw.size()) {
                // The message's own header: its end is the header split's (line_index.h).
                end = index->blank;
                after = end + (raw[end] == '\n' ? 1 : 2);
            } else for (size_t s = p; s < raw.size();) {
                const size_t nl = newlines.next(s);
                const size_t e = nl != std::string_view::npos ? nl : raw.size();
                if (e == s || (e == s + 1 && raw[s] == '\r')) {  // the blank line
                    end = s;
                    after = nl != std::string_view::npos ? e + 1 : raw.size();
                    break;
                }
                s = e + 1;
            }
            if (end - p <= kMaxMimeticHeaderLine) {
                size_t q = p;
                size_t ls = p, known = p;  // the start of the line holding `known`
                while (q < end) {
                    const void* eq = std::memchr(raw.data() + q, '=', end - q);
                    if (!eq) break;
                    const size_t e = size_t(static_cast<const char*>(eq) - raw.data());
                    // "boundary" has no line break: when it is right before the '=', the line
                    // holds at least those 8 bytes before it (the line loop's condition).
                    size_t k = 0;
                    if (e - p >= 8)
                        while (k < 8 && lower(raw[e - 8 + k]) == "boundary"[k]) ++k;
                    if (k < 8) {
                        q = e + 1;
                        continue;
                    }
                    // The line start, searched back over the bytes not searched yet (linear).
                    if (const void* nl = memrchr(raw.data() + known, '\n', e - known))
                        ls = size_t(static_cast<const char*>(nl) - raw.data()) + 1;
                    known = e;
                    // The line's first "boundary=": the only one find_boundary_param would see.
                    const void* next_nl = std::memchr(raw.data() + e, '\n', end - e);
                    const size_t le = next_nl ? size_t(static_cast<const char*>(next_nl) - raw.data()) : end;
                    std::string_view line = raw.substr(ls, le - ls);
                    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                    if (line.size() < 4096 && open_level(line, e - 8 - ls)) {
                        *why = "mime_too_deep";
                        return block_start;
                    }
                    q = ls = known = le + 1;
                }
                if (end == raw.size()) return raw.size();  // no blank line: the rest is header
                in_header = false;
                p = after;
                continue;
            }
            line_by_line = true;
        }
        if (!in_header) {
            // In a body only a line starting with "--" can change anything, and only while a
            // multipart is open: a single-part message stops at its header, and the lines of a
            // multipart body are skipped with one memchr each (list mail: hundreds of lines).
            if (stack.empty()) break;
            // The next line starting with "--", found from the '-' bytes: the lines before the
            // first '-' are skipped at once (a base64 part has none: it was a memchr per line,
            // a tenth of the parse of generated mail), a line with a '-' inside with one memchr.
            while (!(raw.size() - p >= 2 && raw[p] == '-' && raw[p + 1] == '-')) {
                const void* d = std::memchr(raw.data() + p, '-', raw.size() - p);
                if (!d) return raw.size();  // no more line can start with "--"
                const size_t x = size_t(static_cast<const char*>(d) - raw.data());
                if (x > p && raw[x - 1] == '\n') {
                    p = x;  // a line starting with '-': tested by the loop
                    continue;
                }
                // The '-' is inside a line (or starts one without a second '-'): the next line.
                const void* nl = std::memchr(raw.data() + x, '\n', raw.size() - x);
                if (!nl) return raw.size();
                p = size_t(static_cast<const char*>(nl) - raw.data()) + 1;
            }
        }
        size_t e = raw.find('\n', p);
        size_t next = e == std::string_view::npos ? raw.size() : e + 1;
        std::string_view line = raw.substr(p, (e == std::string_view::npos ? raw.size() : e) - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (in_header && line.size() > kMaxMimeticHeaderLine) long_lines->push_back({p, line.size()});
        if (in_header) {
            size_t at = 0;
            if (blank_line(line)) {
                in_header = false;
                line_by_line = false;
            } else if (line.size() < 4096 && find_boundary_param(line, &at) && open_level(line, at)) {
                *why = "mime_too_deep";
                return block_start;
            }
        } else if (line.size() >= 2 && line[0] == '-' && line[1] == '-' && !stack.empty()) {
            for (size_t i = stack.size(); i-- > 0;) {
                const std::string& b = stack[i];
                if (line.compare(0, b.size(), b) != 0) continue;
                std::string_view rest = line.substr(b.size());
                bool closing = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
                stack.resize(closing ? i : i + 1);
                if (!closing) {
                    in_header = true;
                    block_start = p;
                    if (++parts > opts.max_mime_parts) {
                        *why = "mime_too_many_parts";
                        return p;
                    }
                }
                break;
            }
        }
        p = next;
    }
    return raw.size();
}

struct Ctx {
    Ctx(const ParserOptions& o, BodyText& b) : opts(o), out(b) {}
    const ParserOptions& opts;
    BodyText& out;
    bool have_plain = false;
    bool have_html = false;
    std::string html;  // the first text/html, converted only when no text/plain is found
};

std::string field_value(const mimetic::MimeEntity& e, const char* name) {
    const mimetic::Header& h = e.header();  // const access only: non-const getters insert fields
    for (const mimetic::Field& f : h) {
        if (f.name() == name) {
            std::string v = f.value();
            for (char& c : v)
                if (c == '\r' || c == '\n') c = ' ';
            return v;
        }
    }
    return {};
}

std::string_view body_of(const mimetic::MimeEntity& e) { return e.body(); }
bool has_parts(const mimetic::MimeEntity& e) { return !e.body().parts().empty(); }
template <class F>
void for_each_part(const mimetic::MimeEntity& e, F f) {
    for (const mimetic::MimeEntity* p : e.body().parts())
        if (p) f(*p);
}

// --- The fast path: mimetic's parse reproduced on views -------------------------------------
// mimetic copies every header and body into std::strings of a tree of heap objects (about a
// tenth of the ingest's CPU). FastMime builds the same tree as views into the raw message for
// the input mimetic handles regularly, and gives up (load() false: mimetic parses it) on
// anything else. What it reproduces, from mimetic/parser/itparser.h (random-access iterators,
// imPreamble | imEpilogue) and the library's sources:
//  - header fields: a name of bytes 33..126 and ':', leading blanks of the value dropped, a
//    folded line joined with one ' ' after its leading blanks, lines ended by LF or CRLF; the
//    blank line ends the header together with one following complementary CR/LF byte. Given up:
//    a blank or another byte in the name, a line without ':', bare CR or LF-CR line ends, NUL in
//    a value, the end of the input inside the header (mimetic drops the last field there).
//  - Content-Type: mimetic replaces the field's value by its ContentType object when it reads
//    it, so the value the walk reads is ContentType::str() (type "/" subtype, then each
//    parameter as `; name="value"`); set() splits at ';' and '/' without trimming type and
//    subtype, parameters at the first '=', trimmed of blanks and one pair of double quotes.
//  - multipart bodies: only the innermost boundary ("--" + the boundary parameter) is searched,
//    anywhere in the bytes (not only at a line start); the part ends before it, less one line
//    break (CRLF, LFCR, CR or LF); "--" after it closes; one line break after it is skipped.
//    Given up: message/rfc822 (mimetic parses the enclosed message), a boundary that is empty,
//    longer than 200 bytes or not ASCII (mimetic's search never matches a byte >= 0x80), a part
//    body of one byte (mimetic reads before the part there; an ignored preamble or epilogue of
//    one byte is fine).
// A test (test_mime_fastpath.cpp) compares both paths on every corpus message and on mutations.
bool is_nl(char c) { return c == '\r' || c == '\n'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

struct FastField {
    std::string_view name;
    size_t value_begin, value_end;  // in the raw message; folded lines inside when `folded`
    bool folded;
};

struct FastEntity {
    std::string_view src;  // the whole raw message (fields hold offsets into it)
    std::vector<FastField> fields;
    std::string_view body;
    std::vector<FastEntity> parts;
    bool has_ct = false;
    std::string ct_str;  // the Content-Type value as mimetic gives it back (ContentType::str())
};

// mimetic's remove_external_blanks, remove_dquote.
std::string_view trim_blanks(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && is_blank(s[b])) ++b;
    while (e > b && is_blank(s[e - 1])) --e;
    return s.substr(b, e - b);
}
std::string_view remove_dquote(std::string_view s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
    return s;
}

// mimetic's ContentType::set() on `val`, then str() into `out`; the boundary parameter (first
// parameter named so, any case) into `boundary`, type and subtype into `type`/`subtype`.
void mimetic_content_type(std::string_view val, std::string& out, std::string_view& type, std::string_view& subtype,
                          std::string_view& boundary, bool& has_boundary) {
    type = subtype = boundary = {};
    has_boundary = false;
    out.clear();
    if (!val.empty()) {
        const size_t semi = val.find(';');
        const std::string_view ct = val.substr(0, semi);
        const size_t slash = ct.find('/');
        if (slash == std::string_view::npos) {
            type = ct;
        } else {
            type = ct.substr(0, slash);
            const std::string_view rest = ct.substr(slash + 1);
            subtype = rest.substr(0, rest.find('/'));
        }
        out.append(type).append("/").append(subtype);
        if (semi != std::string_view::npos) {
            std::string_view params = val.substr(semi + 1);
            // The tokenizer: pieces between ';', none after a trailing ';'.
            while (!params.empty()) {
                const size_t e = params.find(';');
                const std::string_view piece = params.substr(0, e);
                std::string_view name, value;
                const size_t eq = piece.find('=');
                if (eq != std::string_view::npos) {
                    name = trim_blanks(piece.substr(0, eq));
                    value = remove_dquote(trim_blanks(piece.substr(eq + 1)));
                }
                out.append("; ").append(name).append("=\"").append(value).append("\"");
                if (!has_boundary && text::iequals(name, "boundary")) {
                    boundary = value;
                    has_boundary = true;
                }
                if (e == std::string_view::npos) break;
                params.remove_prefix(e + 1);
            }
        }
    } else {
        out = "/";
    }
}

class FastMime {
public:
    // `index`: the line ends of the message's header, when known (line_index.h).
    FastMime(std::string_view s, const NewlineIndex* index) : s_(s), newlines_(s, index) {
        // The header split searched the message for its first '\r' already (LF mail has none:
        // that search read the whole message): its answer is this search's first one too.
        if (index && index->data == s.data() && index->cr_known) next_cr_.seed(std::min(index->first_cr, s.size()));
        // The message's own header as the split found it (line_index.h), when that reading is
        // this one's: the same buffer, uncut, and no NUL in the header (a NUL gives up here).
        if (index && index->data == s.data() && index->mime_known && index->size == s.size() &&
            next_nul_.at(0) >= index->mime_blank)
            top_ = index;
    }
    // False: the message is outside what is reproduced exactly; parse it with mimetic.
    bool load(FastEntity& top) { return load_entity(top, 0); }

    static std::string value(std::string_view s, const FastField& f) {
        if (!f.folded) return std::string(s.substr(f.value_begin, f.value_end - f.value_begin));
        std::string v;
        size_t q = f.value_begin;
        for (;;) {
            size_t e = q;
            while (e < f.value_end && !is_nl(s[e])) ++e;
            v.append(s.data() + q, e - q);
            if (e >= f.value_end) break;
            e += s[e] == '\r' ? 2 : 1;
            while (is_blank(s[e])) ++e;
            v += ' ';
            q = e;
        }
        return v;
    }

private:
    enum class Last { none, boundary, closing };

    // loadHeader(): the fields from pos_, pos_ left at the body.
    bool load_header(FastEntity& e) {
        const size_t n = s_.size();
        size_t p = pos_;
        if (p >= n) return true;
        if (p == 0 && top_) {  // the message's own header, read by the header split already
            e.fields.reserve(top_->mime_fields.size());
            for (const NewlineIndex::MimeField& f : top_->mime_fields) e.fields.push_back({f.name, f.value_begin, f.value_end, f.folded});
            pos_ = top_->mime_body;
            return true;
        }
        if (is_nl(s_[p])) {  // an empty header
            const char prev = s_[p++];
            if (p < n && s_[p] == (prev == '\r' ? '\n' : '\r')) ++p;
            pos_ = p;
            return true;
        }
        for (;;) {
            const size_t ns = p;
            p = text::ftext_end(s_, p);  // bytes 33..126 but ':'
            if (p >= n || s_[p] != ':' || p == ns) return false;
            const std::string_view name = s_.substr(ns, p - ns);
            ++p;
            while (p < n && is_blank(s_[p])) ++p;
            const size_t vb = p;
            bool folded = false;
            size_t ve;
            for (;;) {
                // The line's content: up to the first CR or LF; a NUL in it is given up.
                const size_t lf = newlines_.next(p);
                size_t e = lf != std::string_view::npos ? lf : n;
                e = std::min(e, next_cr_.at(p));
                if (next_nul_.at(p) < e) return false;
                p = e;
                ve = p;
                if (p >= n) return false;
                if (s_[p] == '\n') {
                    ++p;
                    if (p < n && s_[p] == '\r') return false;  // LF-CR: one line break for mimetic
                } else if (p + 1 < n && s_[p + 1] == '\n') {
                    p += 2;
                } else {
                    return false;  // bare CR
                }
                if (p >= n) return false;
                if (!is_blank(s_[p])) break;
                folded = true;
                p = text::blanks_end(s_, p);
                if (p >= n) return false;
            }
            // The walk reads Content-Type, -Disposition and -Transfer-Encoding only: the other
            // fields (most of a list message's header) are checked, not kept.
            if (name.size() >= 12 && text::istarts_with(name, "content-")) e.fields.push_back({name, vb, ve, folded});
            if (is_nl(s_[p])) {  // the blank line
                const char prev = s_[p++];
                if (p < n && s_[p] == (prev == '\r' ? '\n' : '\r')) ++p;
                pos_ = p;
                return true;
            }
        }
    }

    // copy_until_boundary() (random-access version): the bytes up to the innermost boundary.
    bool copy_until_boundary(std::string_view* block) {
        const size_t n = s_.size();
        if (boundaries_.empty()) {
            if (block) *block = s_.substr(pos_);
            pos_ = n;
            return true;
        }
        last_ = Last::none;
        const std::string& b = boundaries_.back();
        const size_t off = s_.find(b, pos_);
        if (off == std::string_view::npos) {
            if (block) *block = s_.substr(pos_);
            pos_ = n;
            return true;
        }
        const size_t base = pos_;
        size_t size = off - base;
        last_ = Last::boundary;
        size_t q = off + b.size();
        pos_ = q;
        if (q + 1 < n && s_[q] == '-' && s_[q + 1] == '-') {
            last_ = Last::closing;
            pos_ = q + 2;
        }
        if (pos_ + 1 < n && is_nl(s_[pos_])) {
            const char c = s_[pos_++];
            const char next = s_[pos_];
            if (is_nl(next) && next != c) ++pos_;
        }
        // mimetic trims a line break from a block of one byte by reading the byte before it (and
        // can underflow the size): given up, unless the block is ignored anyway (preamble and
        // epilogue, imPreamble | imEpilogue), where mimetic drops it whatever its size. Google
        // Groups writes exactly that: one blank line between an inner closing boundary and the
        // outer one (a sixth of a list archive went through mimetic for it).
        if (size == 1 && block) return false;
        if (size >= 2) {
            const char a = s_[base + size - 1], c = s_[base + size - 2];
            if (is_nl(a) && is_nl(c) && a != c) size -= 2;
            else if (is_nl(a)) size -= 1;
        }
        if (block) *block = s_.substr(base, size);
        return true;
    }

    bool load_entity(FastEntity& e, size_t depth) {
        if (depth > 64) return false;
        e.src = s_;
        if (!load_header(e)) return false;
        std::string_view type, subtype, boundary;
        bool has_boundary = false;
        for (const FastField& f : e.fields) {
            if (!text::iequals(f.name, "Content-Type")) continue;
            e.has_ct = true;
            const std::string v = value(s_, f);
            mimetic_content_type(v, e.ct_str, type, subtype, boundary, has_boundary);
            if (text::iequals(type, "message") && text::iequals(subtype, "rfc822")) return false;
            if (!text::iequals(type, "multipart")) break;
            // RFC 2046 boundaries have at most 70 characters; a longer one goes to mimetic so the
            // search below never costs more than mimetic's own on hostile input.
            if (boundary.empty() || boundary.size() > 200) return false;
            for (char c : boundary)
                if (static_cast<unsigned char>(c) >= 0x80) return false;
            boundaries_.push_back("--" + std::string(boundary));
            // loadMultipart(): preamble skipped, then a part per boundary until the closing one.
            if (!copy_until_boundary(nullptr)) return false;
            while (pos_ != s_.size()) {
                switch (last_) {
                    case Last::none:
                        return true;
                    case Last::boundary:
                        e.parts.emplace_back();
                        if (!load_entity(e.parts.back(), depth + 1)) return false;
                        break;
                    case Last::closing:
                        boundaries_.pop_back();
                        return copy_until_boundary(nullptr);
                }
            }
            return true;
        }
        return copy_until_boundary(&e.body);
    }

    // The next byte `c` at or after a position, searched again only once passed: a message
    // without CR (LF mail) or NUL (nearly all) costs one search each instead of one per line.
    class NextByte {
    public:
        NextByte(std::string_view s, char c) : s_(s), c_(c) {}
        // The first `c` at or after position 0 is known: `first` (s.size() when none).
        void seed(size_t first) {
            next_ = first;
            known_ = true;
        }
        size_t at(size_t from) {
            if (!known_ || next_ < from) {
                const void* q = std::memchr(s_.data() + from, c_, s_.size() - from);
                next_ = q ? size_t(static_cast<const char*>(q) - s_.data()) : s_.size();
                known_ = true;
            }
            return next_;
        }

    private:
        std::string_view s_;
        char c_;
        size_t next_ = 0;
        bool known_ = false;
    };

    std::string_view s_;
    NewlineFinder newlines_;
    NextByte next_cr_{s_, '\r'}, next_nul_{s_, '\0'};
    const NewlineIndex* top_ = nullptr;  // the message's header, when the split's reading is this one's
    size_t pos_ = 0;
    std::vector<std::string> boundaries_;  // the innermost last
    Last last_ = Last::none;
};

// The walk's view of a FastEntity: the same answers as mimetic's tree after its load.
std::string field_value(const FastEntity& e, const char* name) {
    const std::string_view want(name);  // measured once, not once per field
    for (const FastField& f : e.fields) {
        if (!text::iequals(f.name, want)) continue;
        if (e.has_ct && text::iequals(want, "Content-Type")) return e.ct_str;
        return FastMime::value(e.src, f);  // no CR or LF inside (field_value turns them into ' ')
    }
    return {};
}
std::string_view body_of(const FastEntity& e) { return e.body; }
bool has_parts(const FastEntity& e) { return !e.parts.empty(); }
template <class F>
void for_each_part(const FastEntity& e, F f) {
    for (const FastEntity& p : e.parts) f(p);
}

void add_warning(BodyText& out, const std::string& code, const std::string& detail) {
    for (const auto& w : out.warnings)
        if (w.code == code) return;  // one of each kind is enough for diagnosis
    out.warnings.push_back({code, detail, -1});
}

// Transfer decoding + charset conversion of one leaf, capped at max_body_text.
std::string decode_leaf(std::string_view body, const std::string& cte_raw, const std::string& charset, Ctx& ctx) {
    std::string cte;
    for (char c : cte_raw)
        if (c != ' ' && c != '\t' && c != '"') cte += lower(c);
    bool broken = false;
    std::string decoded;     // the transfer-decoded bytes, when there is a transfer encoding
    std::string_view bytes;  // else the body itself (no copy)
    if (cte == "base64") {
        decoded = decode_base64(body, &broken);
        bytes = decoded;
    } else if (cte == "quoted-printable") {
        decoded = decode_quoted_printable(body, &broken);
        bytes = decoded;
    } else {
        if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary")
            add_warning(ctx.out, "unknown_transfer_encoding", "Content-Transfer-Encoding " + cte_raw + " read as 8bit");
        bytes = body;
    }
    if (broken) add_warning(ctx.out, "broken_transfer_encoding", "invalid " + cte + " data skipped");
    if (bytes.size() > ctx.opts.max_body_text) {
        bytes = bytes.substr(0, ctx.opts.max_body_text);
        add_warning(ctx.out, "body_truncated", "decoded text cut at " + std::to_string(ctx.opts.max_body_text) + " bytes");
    }
    std::string cs = charset.empty() ? std::string("us-ascii") : charset;
    // Transfer-decoded UTF-8 (most quoted-printable and base64 text) is the text already: moved,
    // where to_utf8 would copy it (the same bytes, and nothing to report).
    if (bytes.data() == decoded.data() && bytes.size() == decoded.size() && !decoded.empty() &&
        text::iequals(cs, "utf-8") && is_valid_utf8(decoded))
        return decoded;
    bool ok = true;
    std::string text = to_utf8(bytes, cs, &ok);
    if (!ok) {
        bool known = true;
        to_utf8("a", cs, &known);  // pure ASCII fails only when the charset itself is unknown
        if (!known) add_warning(ctx.out, "unknown_charset", "unknown charset \"" + cs + "\": guessed");
        else add_warning(ctx.out, "bad_charset_data", "bytes invalid in " + cs + " replaced");
    }
    return text;
}

// One entity of the tree, mimetic's or FastEntity (below): the same decisions on the same values.
// `known`: the entity's Content-Type when the caller parsed it already (the top one).
template <class Entity>
void walk(const Entity& e, size_t depth, bool in_digest, Ctx& ctx, const ContentType* known = nullptr) {
    ContentType own;  // the entity's Content-Type when the caller has not parsed it (no copy of `known`)
    if (!known) {
        std::string ctv = field_value(e, "Content-Type");
        if (!ctv.empty()) own = parse_content_type(ctv);
        else if (in_digest) own.type = "message", own.subtype = "rfc822";  // RFC 2046 section 5.1.5
    }
    const ContentType& ct = known ? *known : own;
    std::string disp = field_value(e, "Content-Disposition");
    bool attachment = false;
    if (!disp.empty()) {
        size_t semi = disp.find(';');
        std::string kind;
        for (char c : disp.substr(0, semi)) if (c != ' ' && c != '\t') kind += lower(c);
        if (kind == "attachment") attachment = true;
        if (semi != std::string::npos)
            for (const auto& p : decode_rfc2231_params(std::string_view(disp).substr(semi + 1)))
                if (p.name == "filename" && !p.value.empty()) attachment = true;
    }
    if (!ct.param("name").empty()) attachment = true;

    if (ct.type == "multipart") {
        if (!has_parts(e)) {
            // A multipart whose boundary is missing or never appears: its body is read as text.
            add_warning(ctx.out, "broken_multipart", "multipart without parts (missing or unused boundary)");
            if (!ctx.have_plain) {
                ctx.out.text = decode_leaf(body_of(e), field_value(e, "Content-Transfer-Encoding"), "", ctx);
                ctx.have_plain = !ctx.out.text.empty();
            }
            return;
        }
        bool digest = ct.subtype == "digest";
        for_each_part(e, [&](const Entity& p) { walk(p, depth + 1, digest, ctx); });
        return;
    }
    if (ct.type == "message" && (ct.subtype == "rfc822" || ct.subtype == "global")) {
        ++ctx.out.attachment_count;  // a forwarded message as an attachment
        return;
    }
    if (attachment) {
        ++ctx.out.attachment_count;
        return;
    }
    if (ct.type == "text" && ct.subtype == "plain" && !ctx.have_plain) {
        ctx.out.text = decode_leaf(body_of(e), field_value(e, "Content-Transfer-Encoding"), ct.param("charset"), ctx);
        ctx.have_plain = true;
    } else if (ct.type == "text" && ct.subtype == "html" && !ctx.have_html) {
        ctx.html = decode_leaf(body_of(e), field_value(e, "Content-Transfer-Encoding"), ct.param("charset"), ctx);
        ctx.have_html = true;
    } else if (ct.type != "text") {
        ++ctx.out.attachment_count;  // inline images and other non-text leaves
    }
}

// Our own minimal single-part decoding, for when mimetic throws: the header block is ours
// (split_header_block), the body is decoded as the top-level Content-Type says.
void fallback(std::string_view raw, const ParserOptions& opts, BodyText& out) {
    HeaderBlock hb = split_header_block(raw, opts);
    ContentType ct;
    if (const HeaderField* f = hb.find("Content-Type")) ct = parse_content_type(f->value);
    std::string cte;
    if (const HeaderField* f = hb.find("Content-Transfer-Encoding")) cte = f->value;
    Ctx ctx(opts, out);
    std::string_view body = raw.substr(std::min(hb.body_offset, raw.size()));
    std::string text = decode_leaf(body, cte, ct.param("charset"), ctx);
    if (ct.type == "text" && ct.subtype == "html") {
        out.text = html_to_text(text);
        out.from_html = true;
    } else {
        out.text = std::move(text);
    }
    out.is_report = ct.type == "multipart" && ct.subtype == "report";
}

// Line breaks of decoded text become "\n" (CRLF and lone CR alike): CRLF mail (every .eml from
// Windows, every IMAP fetch, base64 bodies written on Windows) must give the same text as its LF
// copy. The detectors used to trim "\r" only in the first 64 KB they scan, so long CRLF bodies
// kept it past that point; the parser is the one place to normalize. Linear, in place.
void normalize_line_breaks(std::string& text) {
    if (text.find('\r') == std::string::npos) return;
    size_t w = 0;
    for (size_t r = 0; r < text.size(); ++r) {
        char c = text[r];
        if (c == '\r') {
            if (r + 1 < text.size() && text[r + 1] == '\n') continue;  // the "\n" is copied next
            c = '\n';
        }
        text[w++] = c;
    }
    text.resize(w);
}

// The final text is cut at max_body_text, on a UTF-8 boundary.
void cap_text(BodyText& out, const ParserOptions& opts) {
    if (out.text.size() > opts.max_body_text) {
        size_t n = opts.max_body_text;
        while (n > 0 && (static_cast<unsigned char>(out.text[n]) & 0xC0) == 0x80) --n;  // a UTF-8 boundary
        out.text.resize(n);
        add_warning(out, "body_truncated", "text cut at " + std::to_string(opts.max_body_text) + " bytes");
    }
}

}  // namespace

namespace {

// What the walk reads from a loaded tree (mimetic's or the fast path's).
template <class Entity>
void read_tree(const Entity& top, const ParserOptions& opts, BodyText& out) {
    std::string ctv = field_value(top, "Content-Type");
    ContentType ct;  // the default when there is none (as walk() takes it at the top)
    if (!ctv.empty()) {
        ct = parse_content_type(ctv);
        out.is_report = ct.type == "multipart" && ct.subtype == "report";
    }
    Ctx ctx(opts, out);
    walk(top, 0, false, ctx, &ct);
    if (!ctx.have_plain && ctx.have_html) {
        out.text = html_to_text(ctx.html);
        out.from_html = true;
    }
}

BodyText extract_body_impl(std::string_view raw, const ParserOptions& opts, bool fast_path, const NewlineIndex* index) {
    BodyText out;
    std::string why;
    std::vector<LongLine> long_lines;
    size_t cut = mime_cut_offset(raw, opts, &why, &long_lines, index);
    if (cut < raw.size()) {
        add_warning(out, why, "MIME structure cut at byte " + std::to_string(cut) + " (limit reached)");
        raw = raw.substr(0, cut);
    }
    std::string shortened;  // a copy only for the rare message with absurd header lines
    if (!long_lines.empty()) {
        shortened.reserve(raw.size());
        size_t p = 0;
        for (const LongLine& l : long_lines) {
            if (l.offset >= raw.size()) break;
            shortened.append(raw.data() + p, l.offset + kMaxMimeticHeaderLine - p);
            p = std::min(raw.size(), l.offset + l.length);
        }
        shortened.append(raw.data() + p, raw.size() - p);
        raw = shortened;
        add_warning(out, "header_line_truncated", "header lines over 64 KB shortened for MIME parsing");
    }
    try {
        // The common shapes without mimetic, the same tree read from views (FastMime above).
        if (fast_path) {
            FastEntity fast;
            if (FastMime(raw, index).load(fast)) {
                read_tree(fast, opts, out);
                normalize_line_breaks(out.text);
                cap_text(out, opts);
                return out;
            }
        }
        // Preamble and epilogue are never read: mimetic does not keep them. Constructed first and
        // loaded second: when load() throws on malformed nesting, `top` is a complete object and
        // its destructor frees the child parts already attached (the loading constructor leaked
        // them, found by fuzz_mbox).
        mimetic::MimeEntity top;
        top.load(raw.data(), raw.data() + raw.size(), mimetic::imPreamble | mimetic::imEpilogue);
        read_tree(top, opts, out);
    } catch (const std::exception& e) {
        out = BodyText{};
        add_warning(out, "mime_parser_failed", std::string("mimetic: ") + e.what() + "; read as one part");
        fallback(raw, opts, out);
    } catch (...) {
        out = BodyText{};
        add_warning(out, "mime_parser_failed", "mimetic failed; read as one part");
        fallback(raw, opts, out);
    }
    normalize_line_breaks(out.text);
    cap_text(out, opts);
    return out;
}

}  // namespace

BodyText extract_body(std::string_view raw, const ParserOptions& opts) { return extract_body_impl(raw, opts, true, nullptr); }

BodyText extract_body_indexed(std::string_view raw, const ParserOptions& opts, const NewlineIndex* index) {
    return extract_body_impl(raw, opts, true, index);
}

BodyText extract_body_mimetic(std::string_view raw, const ParserOptions& opts) {
    return extract_body_impl(raw, opts, false, nullptr);
}

}  // namespace ilc::parsers
