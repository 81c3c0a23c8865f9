// html_to_text: one linear pass, no regex. Tags are scanned to their '>' once; skipped elements
// (script, style, head, title) are searched for their closing tag once; entities are looked up in
// a small table. Blockquote depth prefixes "> " to each output line so quoted history stays
// recognizable to core/text, and Outlook's reply separators start a new line.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "interlocutor/parsers/message_parser.h"

namespace ilc::parsers {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Case-insensitive search; needle is lower-case.
size_t ifind(std::string_view hay, std::string_view needle, size_t from) {
    if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
    for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
        if (lower(hay[i]) != needle[0]) continue;
        size_t k = 1;
        while (k < needle.size() && lower(hay[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

struct Entity { const char* name; uint32_t cp; };
// The named entities real mail uses (HTML 4 Latin-1, punctuation, French letters).
const Entity kEntities[] = {
    {"nbsp", 0xA0}, {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    {"eacute", 0xE9}, {"Eacute", 0xC9}, {"egrave", 0xE8}, {"Egrave", 0xC8}, {"ecirc", 0xEA}, {"Ecirc", 0xCA},
    {"euml", 0xEB}, {"agrave", 0xE0}, {"Agrave", 0xC0}, {"acirc", 0xE2}, {"Acirc", 0xC2}, {"auml", 0xE4},
    {"aacute", 0xE1}, {"ccedil", 0xE7}, {"Ccedil", 0xC7}, {"icirc", 0xEE}, {"iuml", 0xEF}, {"iacute", 0xED},
    {"ocirc", 0xF4}, {"Ocirc", 0xD4}, {"ouml", 0xF6}, {"oacute", 0xF3}, {"ograve", 0xF2}, {"ucirc", 0xFB},
    {"ugrave", 0xF9}, {"uuml", 0xFC}, {"uacute", 0xFA}, {"Uuml", 0xDC}, {"Ouml", 0xD6}, {"Auml", 0xC4},
    {"ntilde", 0xF1}, {"szlig", 0xDF}, {"oelig", 0x153}, {"OElig", 0x152}, {"aelig", 0xE6}, {"yuml", 0xFF},
    {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"rdquo", 0x201D}, {"ldquo", 0x201C}, {"sbquo", 0x201A},
    {"bdquo", 0x201E}, {"laquo", 0xAB}, {"raquo", 0xBB}, {"ndash", 0x2013}, {"mdash", 0x2014},
    {"hellip", 0x2026}, {"bull", 0x2022}, {"middot", 0xB7}, {"euro", 0x20AC}, {"pound", 0xA3},
    {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122}, {"deg", 0xB0}, {"sect", 0xA7}, {"para", 0xB6},
    {"times", 0xD7}, {"divide", 0xF7}, {"plusmn", 0xB1}, {"frac12", 0xBD}, {"iexcl", 0xA1},
    {"iquest", 0xBF}, {"cent", 0xA2}, {"yen", 0xA5}, {"shy", 0xAD}, {"zwnj", 0x200C}, {"zwj", 0x200D},
    {"thinsp", 0x2009}, {"ensp", 0x2002}, {"emsp", 0x2003}, {"dagger", 0x2020}, {"prime", 0x2032},
};

class Writer {
public:
    std::string out;
    int quote_depth = 0;

    void text_char(char c) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (!at_line_start_) pending_space_ = true;
            return;
        }
        start_content();
        out += c;
    }
    void text_codepoint(uint32_t cp) {
        if (cp == 0xA0) {  // &nbsp; reads as a space (collapsed like the others)
            text_char(' ');
            return;
        }
        if (cp == 0xAD || cp == 0x200C || cp == 0x200D) return;  // invisible
        start_content();
        append_utf8(out, cp);
    }
    // A block boundary: the next text starts a line.
    void line_break() {
        pending_space_ = false;
        if (!at_line_start_) {
            out += '\n';
            at_line_start_ = true;
            newlines_ = 1;
        }
    }
    // <br>: a hard break, up to one empty line.
    void hard_break() {
        pending_space_ = false;
        if (newlines_ < 2) {
            out += '\n';
            ++newlines_;
        }
        at_line_start_ = true;
    }
    void finish() {
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        if (!out.empty()) out += '\n';
    }

private:
    void start_content() {
        if (at_line_start_) {
            for (int i = 0; i < quote_depth; ++i) out += "> ";
            at_line_start_ = false;
        } else if (pending_space_) {
            out += ' ';
        }
        pending_space_ = false;
        newlines_ = 0;
    }
    bool at_line_start_ = true;
    bool pending_space_ = false;
    int newlines_ = 2;
};

// Decodes the entity at html[i] == '&'; returns the index after it, or i + 1 when not an entity.
size_t entity(std::string_view html, size_t i, Writer& w) {
    size_t j = i + 1;
    if (j < html.size() && html[j] == '#') {
        ++j;
        bool hex = j < html.size() && (html[j] == 'x' || html[j] == 'X');
        if (hex) ++j;
        uint32_t cp = 0;
        size_t digits = 0;
        while (j < html.size() && digits < 8) {
            char c = html[j];
            int v = (c >= '0' && c <= '9') ? c - '0'
                    : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (v < 0) break;
            cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
            ++j;
            ++digits;
        }
        if (digits == 0) {
            w.text_char('&');
            return i + 1;
        }
        if (j < html.size() && html[j] == ';') ++j;
        // Windows-1252 code points written as numeric references by old Outlook versions.
        static const uint16_t cp1252[32] = {0x20AC, 0, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030,
                                            0x160, 0x2039, 0x152, 0, 0x17D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D,
                                            0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0, 0x17E, 0x178};
        if (cp >= 0x80 && cp < 0xA0 && cp1252[cp - 0x80]) cp = cp1252[cp - 0x80];
        w.text_codepoint(cp);
        return j;
    }
    size_t k = j;
    while (k < html.size() && k - j < 10 && ((html[k] >= 'a' && html[k] <= 'z') || (html[k] >= 'A' && html[k] <= 'Z') ||
                                             (html[k] >= '0' && html[k] <= '9')))
        ++k;
    std::string_view name = html.substr(j, k - j);
    for (const Entity& e : kEntities) {
        if (name == e.name) {
            if (k < html.size() && html[k] == ';') ++k;
            w.text_codepoint(e.cp);
            return k;
        }
    }
    w.text_char('&');  // not an entity: the ampersand is text
    return i + 1;
}

bool is_block(std::string_view t) {
    static const char* blocks[] = {"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                                   "hr", "pre", "dl", "dt", "dd", "center", "section", "article", "header",
                                   "footer", "address", "form", "tbody", "thead", "blockquote"};
    for (const char* b : blocks)
        if (ieq(t, b)) return true;
    return false;
}

}  // namespace

std::string html_to_text(std::string_view html) {
    Writer w;
    w.out.reserve(html.size() / 2);
    size_t i = 0;
    const size_t n = html.size();
    while (i < n) {
        char c = html[i];
        if (c == '&') {
            i = entity(html, i, w);
            continue;
        }
        if (c != '<') {
            w.text_char(c);
            ++i;
            continue;
        }
        // Comments and conditional comments: skipped whole.
        if (html.compare(i, 4, "<!--") == 0) {
            size_t e = html.find("-->", i + 4);
            i = e == std::string_view::npos ? n : e + 3;
            continue;
        }
        size_t j = i + 1;
        bool closing = j < n && html[j] == '/';
        if (closing) ++j;
        size_t name_start = j;
        while (j < n && ((html[j] >= 'a' && html[j] <= 'z') || (html[j] >= 'A' && html[j] <= 'Z') ||
                         (html[j] >= '0' && html[j] <= '9') || html[j] == ':'))
            ++j;
        std::string_view name = html.substr(name_start, j - name_start);
        if (name.empty() && !(j < n && (html[j] == '!' || html[j] == '?'))) {
            w.text_char('<');  // a lone '<' in text
            ++i;
            continue;
        }
        // The end of the tag, honoring quoted attribute values; an unterminated quote ends at
        // the next '>' anyway, so one broken tag cannot swallow the whole document.
        size_t e = j;
        char quote = 0;
        size_t first_gt = std::string_view::npos;
        while (e < n) {
            char d = html[e];
            if (d == '>' && first_gt == std::string_view::npos) first_gt = e;
            if (quote) {
                if (d == quote) quote = 0;
                else if (d == '<' ) { e = first_gt == std::string_view::npos ? e : first_gt; break; }
            } else if (d == '"' || d == '\'') {
                quote = d;
            } else if (d == '>') {
                break;
            }
            ++e;
        }
        if (e >= n) e = first_gt == std::string_view::npos ? n : first_gt;
        std::string_view attrs = html.substr(j, (e < n ? e : n) - j);
        i = e < n ? e + 1 : n;

        if (!closing && (ieq(name, "script") || ieq(name, "style") || ieq(name, "head") || ieq(name, "title"))) {
            std::string close = "</";
            for (char ch : name) close += lower(ch);
            size_t end = ifind(html, close, i);
            if (end == std::string_view::npos) {
                i = n;
            } else {
                size_t gt = html.find('>', end);
                i = gt == std::string_view::npos ? n : gt + 1;
            }
            continue;
        }
        if (ieq(name, "br")) {
            w.hard_break();
            continue;
        }
        if (ieq(name, "blockquote")) {
            w.line_break();
            w.quote_depth += closing ? (w.quote_depth > 0 ? -1 : 0) : 1;
            continue;
        }
        if (ieq(name, "td") || ieq(name, "th")) {
            w.text_char(' ');
            continue;
        }
        // Outlook puts its "From:/De :" header block of a reply in <div id="divRplyFwdMsg"> or
        // after a <div> or <p> with a "border-top" style: both start a new line.
        if (!closing && (ifind(attrs, "divrplyfwdmsg", 0) != std::string_view::npos ||
                         ifind(attrs, "border-top", 0) != std::string_view::npos)) {
            w.line_break();
            w.hard_break();
            continue;
        }
        if (is_block(name)) w.line_break();
    }
    w.finish();
    return std::move(w.out);
}

}  // namespace ilc::parsers
