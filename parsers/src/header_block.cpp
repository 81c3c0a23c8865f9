// Splits a raw message into its header fields (RFC 5322 section 2.2) and the body offset.
// One linear pass over the bytes: line ends may be CRLF, LF or a bare CR; a 10 MB header line
// costs one scan; nothing here allocates per character.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "interlocutor/parsers/headers.h"
#include "line_index.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

// Finds line ends. The next '\n' is remembered so that input made of bare-CR lines does not
// rescan to the end of the buffer for every line; the next '\r' too, so that LF mail (no CR at
// all) costs one memchr a line, not two.
class LineScanner {
public:
    // `index`: where to record every '\n' found (line_index.h), or null.
    LineScanner(std::string_view s, NewlineIndex* index) : s_(s), index_(index) {
        if (index_) {
            index_->data = s.data();
            index_->at.clear();
            index_->covered = 0;
            index_->cr_known = false;
            index_->blank_known = false;
        }
    }

    // Line starting at `pos`: sets content end and the start of the next line.
    void line(size_t pos, size_t& content_end, size_t& next) {
        if (nl_ != std::string_view::npos && nl_ < pos) nl_searched_ = false;
        if (!nl_searched_) {
            const void* p = std::memchr(s_.data() + pos, '\n', s_.size() - pos);
            nl_ = p ? size_t(static_cast<const char*>(p) - s_.data()) : std::string_view::npos;
            nl_searched_ = true;
            // A search starts at most one byte past the last '\n' found (lines follow each
            // other): the '\n' found so far are all those of [0, covered).
            if (index_) {
                if (p) index_->at.push_back(nl_);
                index_->covered = p ? nl_ + 1 : s_.size();
            }
        }
        const size_t limit = nl_ == std::string_view::npos ? s_.size() : nl_;
        if (!cr_searched_ || cr_ < pos) {
            const void* cr = std::memchr(s_.data() + pos, '\r', s_.size() - pos);
            cr_ = cr ? size_t(static_cast<const char*>(cr) - s_.data()) : s_.size();
            if (index_ && !cr_searched_ && pos == 0) {  // the first search, from the start
                index_->cr_known = true;
                index_->first_cr = cr_;
            }
            cr_searched_ = true;
        }
        if (cr_ < limit) {
            const size_t c = cr_;
            content_end = c;
            // CRLF, or a bare CR (old Mac line ends, or a stray CR: both end the line).
            next = (c + 1 < s_.size() && s_[c + 1] == '\n') ? c + 2 : c + 1;
            return;
        }
        content_end = limit;
        next = limit == s_.size() ? limit : limit + 1;
    }

private:
    std::string_view s_;
    size_t nl_ = std::string_view::npos;
    bool nl_searched_ = false;
    size_t cr_ = 0;  // the first '\r' at or after the last search start, or s_.size()
    bool cr_searched_ = false;
    NewlineIndex* index_ = nullptr;
};

// RFC 5322 section 2.2: field-name = 1*ftext, ftext = %d33-57 / %d59-126. Section 4.5 (obsolete)
// allows whitespace between the name and the colon. Returns the colon position or npos.
size_t field_colon(std::string_view line) {
    const size_t i = text::ftext_end(line, 0);
    if (i == 0) return std::string_view::npos;
    size_t j = i;
    while (j < line.size() && text::is_wsp(line[j])) ++j;
    if (j >= line.size() || line[j] != ':') return std::string_view::npos;
    return j;
}

void add_warning(HeaderBlock& hb, std::string code, std::string detail, size_t offset) {
    // A hostile message could trigger one warning per line; a few of each kind are enough.
    size_t same = 0;
    for (const Warning& w : hb.warnings)
        if (w.code == code && ++same >= 3) return;
    hb.warnings.push_back(Warning{std::move(code), std::move(detail), int64_t(offset)});
}

}  // namespace

const HeaderField* HeaderBlock::find(std::string_view name) const {
    for (const HeaderField& f : fields)
        if (text::iequals(f.name, name)) return &f;
    return nullptr;
}

std::vector<const HeaderField*> HeaderBlock::find_all(std::string_view name) const {
    std::vector<const HeaderField*> out;
    for (const HeaderField& f : fields)
        if (text::iequals(f.name, name)) out.push_back(&f);
    return out;
}

HeaderBlock split_header_block(std::string_view raw, const ParserOptions& opts) { return split_header_block(raw, opts, nullptr); }

HeaderBlock split_header_block(std::string_view raw, const ParserOptions& opts, bool (*keep)(std::string_view name)) {
    return split_header_block_indexed(raw, opts, keep, nullptr);
}

HeaderBlock split_header_block_indexed(std::string_view raw, const ParserOptions& opts, bool (*keep)(std::string_view name),
                                       NewlineIndex* index) {
    HeaderBlock hb;
    hb.fields.reserve(keep ? 16 : 32);  // a typical header: no reallocation moving every field
    LineScanner lines(raw, index);
    size_t pos = 0;
    // A UTF-8 byte order mark written by some Windows tools before the first header.
    if (raw.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;

    // The field being read: its name and offset, the value bytes it keeps (the limits count them
    // whether the field is stored or not), and where it is stored (nullptr when `keep` skips it).
    bool in_field = false;
    std::string_view current_name;
    int64_t current_offset = 0;
    size_t current_size = 0;
    HeaderField* current = nullptr;
    bool current_truncated = false;
    size_t nfields = 0;            // fields read, stored or not
    bool fields_capped = false;
    bool first_line = true;
    size_t kept_bytes = 0;         // name and value bytes stored so far

    // FastMime's reading of this header, for the MIME pass (line_index.h): kept while every line
    // is in the shape it takes. `mime_field`: the current field's entry (a Content-* field), or npos.
    bool mime_ok = index != nullptr && pos == 0;
    size_t mime_field = std::string_view::npos;
    if (index) {
        index->mime_known = false;
        index->mime_fields.clear();
        index->size = raw.size();
    }
    // A line of the header ended at `content_end`, the next one starting at `next`: FastMime
    // takes an LF or a CRLF (an LF followed by CR, a bare CR or the input's end: it gives up).
    auto mime_line = [&](size_t content_end, size_t next, bool folded) {
        if (!mime_ok) return;
        if (next >= raw.size() || (raw[content_end] == '\r' && next == content_end + 1) ||
            (raw[content_end] == '\n' && raw[next] == '\r')) {
            mime_ok = false;
            return;
        }
        if (mime_field != std::string_view::npos) {
            index->mime_fields[mime_field].value_end = content_end;
            index->mime_fields[mime_field].folded |= folded;
        }
    };

    auto append_value = [&](std::string_view piece) {
        if (!in_field) return;
        const size_t room = opts.max_header_value > current_size ? opts.max_header_value - current_size : 0;
        const size_t take = std::min(piece.size(), room);
        kept_bytes += take;
        current_size += take;
        if (current) current->value.append(piece.data(), take);
        if (piece.size() > room && !current_truncated) {
            current_truncated = true;
            add_warning(hb, "header_truncated", "header field " + std::string(current_name) + " longer than " +
                            std::to_string(opts.max_header_value) + " bytes, truncated",
                        size_t(current_offset));
        }
    };
    auto finish_current = [&]() {
        in_field = false;
        if (!current) return;
        // The value is trimmed of the leading and trailing whitespace around it.
        std::string& v = current->value;
        size_t e = v.size();
        while (e > 0 && text::is_space(v[e - 1])) --e;
        v.resize(e);
        size_t b = 0;
        while (b < v.size() && text::is_space(v[b])) ++b;
        if (b > 0) v.erase(0, b);
        current = nullptr;
    };

    while (pos < raw.size()) {
        size_t content_end, next;
        lines.line(pos, content_end, next);
        const std::string_view line = raw.substr(pos, content_end - pos);

        // RFC 5322 section 2.1: the header ends at the first empty line.
        if (line.empty()) {
            finish_current();
            hb.body_offset = next;
            // For the MIME pass (line_index.h): this line, when it is a '\n'-delimited line too.
            if (index && !raw.starts_with("\xEF\xBB\xBF") && (pos == 0 || raw[pos - 1] == '\n') &&
                (raw[pos] == '\n' || (raw[pos] == '\r' && pos + 1 < raw.size() && raw[pos + 1] == '\n'))) {
                index->blank_known = true;
                index->blank = pos;
            }
            if (mime_ok) {  // FastMime's header end: the line break and one complementary CR or LF
                index->mime_known = true;
                index->mime_blank = pos;
                index->mime_body = pos + 1;
                if (pos + 1 < raw.size() && raw[pos + 1] == (raw[pos] == '\r' ? '\n' : '\r')) ++index->mime_body;
            }
            return hb;
        }
        // The limit counts the bytes kept, not the raw ones: a truncated 10 MB Subject must not
        // push the From and To after it into the body.
        if (kept_bytes >= opts.max_header_bytes) {
            finish_current();
            add_warning(hb, "header_too_long",
                        "header block larger than " + std::to_string(opts.max_header_bytes) + " bytes; rest read as body", pos);
            hb.body_offset = pos;
            return hb;
        }
        // The mbox separator ("From sender date") before the first header is not a field; a
        // ">From " line is one that a mboxrd writer quoted, or a munged separator: skip both.
        if ((first_line && line.substr(0, 5) == "From ") || (line[0] == '>' && line.substr(0, 6) == ">From ")) {
            if (!first_line) add_warning(hb, "from_line_in_header", "\">From \" line inside the header, ignored", pos);
            first_line = false;
            mime_ok = false;
            pos = next;
            continue;
        }
        first_line = false;

        if (text::is_wsp(line[0])) {
            // RFC 5322 section 2.2.3: unfolding removes the CRLF before the folding whitespace.
            if (in_field) {
                append_value(line);
                mime_line(content_end, next, true);
            } else {
                mime_ok = false;  // FastMime reads no field name there
            }
            if (!in_field && nfields == 0 && !fields_capped) {
                add_warning(hb, "continuation_without_field", "header starts with a folded line, ignored", pos);
            }
            pos = next;
            continue;
        }

        const size_t colon = field_colon(line);
        if (colon == std::string_view::npos) {
            // Not a field and no blank line before it: the body starts here (GMime, Dovecot do the same).
            finish_current();
            add_warning(hb, "no_blank_line", "header not followed by an empty line; body starts at the first non-header line",
                        pos);
            hb.body_offset = pos;
            return hb;
        }
        finish_current();
        if (nfields >= opts.max_fields) {
            mime_ok = false;
            if (!fields_capped) {
                fields_capped = true;
                add_warning(hb, "too_many_fields", "more than " + std::to_string(opts.max_fields) + " header fields; the rest dropped",
                            pos);
            }
            pos = next;
            continue;
        }
        size_t name_end = colon;
        while (name_end > 0 && text::is_wsp(line[name_end - 1])) --name_end;
        current_name = line.substr(0, name_end);
        current_offset = int64_t(pos);
        kept_bytes += current_name.size() + 1;
        ++nfields;
        in_field = true;
        current_size = 0;
        current_truncated = false;
        current = nullptr;
        if (!keep || keep(current_name)) {
            current = &hb.fields.emplace_back();  // built in place (not moved in and destroyed)
            current->name.assign(current_name);
            current->offset = current_offset;
        }
        std::string_view value = line.substr(colon + 1);
        size_t lead = 0;
        while (lead < value.size() && text::is_wsp(value[lead])) ++lead;
        append_value(value.substr(lead));
        if (name_end != colon) mime_ok = false;  // blanks before the colon: FastMime gives up
        mime_field = std::string_view::npos;
        if (mime_ok && current_name.size() >= 12 && text::istarts_with(current_name, "content-")) {
            // What FastMime keeps (the walk reads Content-Type, -Disposition, -Transfer-Encoding).
            mime_field = index->mime_fields.size();
            index->mime_fields.push_back({current_name, pos + colon + 1 + lead, content_end, false});
        }
        mime_line(content_end, next, false);
        pos = next;
        // A field not stored (most of list mail's header: Received chains, DKIM and ARC
        // signatures, folded over dozens of lines): its folded lines are only counted, here,
        // without the tests of a line that may start a field. What the loop above does with
        // such a line when nothing is truncated or cut; otherwise the loop above takes it.
        if (!current) {
            while (pos < raw.size() && text::is_wsp(raw[pos]) && kept_bytes < opts.max_header_bytes) {
                size_t folded_end, folded_next;
                lines.line(pos, folded_end, folded_next);
                const size_t len = folded_end - pos;
                if (current_size + len > opts.max_header_value) break;  // truncated: a warning to give
                kept_bytes += len;
                current_size += len;
                mime_line(folded_end, folded_next, true);
                pos = folded_next;
            }
        }
    }
    // The message ended inside the header (no body at all).
    finish_current();
    hb.body_offset = raw.size();
    return hb;
}

}  // namespace ilc::parsers
