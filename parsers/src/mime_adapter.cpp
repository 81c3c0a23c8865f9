// The one file that includes mimetic (compiled with -std=gnu++14, see parsers/CMakeLists.txt).
// mimetic gives the MIME tree; everything it lacks is ours: RFC 2047/2231 (parse_content_type),
// charsets (to_utf8), tolerant transfer decoding, and limits. Known mimetic limits handled here:
// no nesting limit (we cut the input past max_mime_depth before parsing), getters that mutate
// (only const access is used), a MimeEntity that must never be copied (only references).
#include <mimetic/mimetic.h>

#include <exception>
#include <string>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/message_parser.h"
#include "mime_decode.h"

namespace ilc::parsers {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ifind(std::string_view hay, std::string_view needle, size_t* at) {
    if (needle.size() > hay.size()) return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        size_t k = 0;
        while (k < needle.size() && lower(hay[i + k]) == needle[k]) ++k;
        if (k == needle.size()) {
            *at = i;
            return true;
        }
    }
    return false;
}

bool blank_line(std::string_view l) { return l.empty() || l == "\r"; }

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
                       std::vector<LongLine>* long_lines) {
    std::vector<std::string> stack;
    bool in_header = true;
    size_t block_start = 0, parts = 0, p = 0;
    while (p < raw.size()) {
        size_t e = raw.find('\n', p);
        size_t next = e == std::string_view::npos ? raw.size() : e + 1;
        std::string_view line = raw.substr(p, (e == std::string_view::npos ? raw.size() : e) - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (in_header && line.size() > kMaxMimeticHeaderLine) long_lines->push_back({p, line.size()});
        if (in_header) {
            size_t at = 0;
            if (blank_line(line)) {
                in_header = false;
            } else if (line.size() < 4096 && ifind(line, "boundary=", &at)) {
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
                if (!b.empty()) {
                    stack.push_back("--" + b);
                    if (stack.size() > opts.max_mime_depth) {
                        *why = "mime_too_deep";
                        return block_start;
                    }
                }
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
    std::string bytes;
    if (cte == "base64") {
        bytes = decode_base64(body, &broken);
    } else if (cte == "quoted-printable") {
        bytes = decode_quoted_printable(body, &broken);
    } else {
        if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary")
            add_warning(ctx.out, "unknown_transfer_encoding", "Content-Transfer-Encoding " + cte_raw + " read as 8bit");
        bytes.assign(body.data(), body.size());
    }
    if (broken) add_warning(ctx.out, "broken_transfer_encoding", "invalid " + cte + " data skipped");
    if (bytes.size() > ctx.opts.max_body_text) {
        bytes.resize(ctx.opts.max_body_text);
        add_warning(ctx.out, "body_truncated", "decoded text cut at " + std::to_string(ctx.opts.max_body_text) + " bytes");
    }
    std::string cs = charset.empty() ? std::string("us-ascii") : charset;
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

void walk(const mimetic::MimeEntity& e, size_t depth, bool in_digest, Ctx& ctx) {
    std::string ctv = field_value(e, "Content-Type");
    ContentType ct;
    if (!ctv.empty()) ct = parse_content_type(ctv);
    else if (in_digest) ct.type = "message", ct.subtype = "rfc822";  // RFC 2046 section 5.1.5
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
        const mimetic::MimeEntityList& parts = e.body().parts();
        if (parts.empty()) {
            // A multipart whose boundary is missing or never appears: its body is read as text.
            add_warning(ctx.out, "broken_multipart", "multipart without parts (missing or unused boundary)");
            if (!ctx.have_plain) {
                ctx.out.text = decode_leaf(e.body(), field_value(e, "Content-Transfer-Encoding"), "", ctx);
                ctx.have_plain = !ctx.out.text.empty();
            }
            return;
        }
        bool digest = ct.subtype == "digest";
        for (const mimetic::MimeEntity* p : parts)
            if (p) walk(*p, depth + 1, digest, ctx);
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
        ctx.out.text = decode_leaf(e.body(), field_value(e, "Content-Transfer-Encoding"), ct.param("charset"), ctx);
        ctx.have_plain = true;
    } else if (ct.type == "text" && ct.subtype == "html" && !ctx.have_html) {
        ctx.html = decode_leaf(e.body(), field_value(e, "Content-Transfer-Encoding"), ct.param("charset"), ctx);
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

}  // namespace

BodyText extract_body(std::string_view raw, const ParserOptions& opts) {
    BodyText out;
    std::string why;
    std::vector<LongLine> long_lines;
    size_t cut = mime_cut_offset(raw, opts, &why, &long_lines);
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
        // Preamble and epilogue are never read: mimetic does not keep them. Constructed first and
        // loaded second: when load() throws on malformed nesting, `top` is a complete object and
        // its destructor frees the child parts already attached (the loading constructor leaked
        // them, found by fuzz_mbox).
        mimetic::MimeEntity top;
        top.load(raw.data(), raw.data() + raw.size(), mimetic::imPreamble | mimetic::imEpilogue);
        std::string ctv = field_value(top, "Content-Type");
        if (!ctv.empty()) {
            ContentType ct = parse_content_type(ctv);
            out.is_report = ct.type == "multipart" && ct.subtype == "report";
        }
        Ctx ctx(opts, out);
        walk(top, 0, false, ctx);
        if (!ctx.have_plain && ctx.have_html) {
            out.text = html_to_text(ctx.html);
            out.from_html = true;
        }
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
    if (out.text.size() > opts.max_body_text) {
        size_t n = opts.max_body_text;
        while (n > 0 && (static_cast<unsigned char>(out.text[n]) & 0xC0) == 0x80) --n;  // a UTF-8 boundary
        out.text.resize(n);
        add_warning(out, "body_truncated", "text cut at " + std::to_string(opts.max_body_text) + " bytes");
    }
    return out;
}

}  // namespace ilc::parsers
