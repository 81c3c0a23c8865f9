// Content-Type (RFC 2045 section 5.1) and MIME parameters with RFC 2231 continuations and
// charsets. Values are returned in UTF-8; names lower-cased.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

struct RawParam {
    std::string name;   // lower-cased, including any "*N" / "*" suffix
    std::string value;  // unquoted
    bool quoted = false;
};

// Skips whitespace and RFC 5322 comments "( ... )" (nested, with quoted-pairs).
size_t skip_cfws(std::string_view s, size_t i) {
    while (i < s.size()) {
        if (text::is_space(s[i])) {
            ++i;
        } else if (s[i] == '(') {
            int depth = 0;
            for (; i < s.size(); ++i) {
                if (s[i] == '\\') { ++i; continue; }
                if (s[i] == '(') ++depth;
                else if (s[i] == ')' && --depth == 0) { ++i; break; }
            }
        } else {
            break;
        }
    }
    return i;
}

// Splits "; a=b; c="d;e"" into raw name/value pairs. Tolerates missing values ("; name"), a
// missing ';' between parameters, unterminated quotes and spaces around '='.
std::vector<RawParam> split_params(std::string_view s) {
    std::vector<RawParam> out;
    size_t i = 0;
    while (i < s.size()) {
        i = skip_cfws(s, i);
        if (i >= s.size()) break;
        if (s[i] == ';') { ++i; continue; }
        const size_t name_begin = i;
        while (i < s.size() && s[i] != '=' && s[i] != ';' && !text::is_space(s[i]) && s[i] != '(' && s[i] != '"')
            ++i;
        std::string_view name = s.substr(name_begin, i - name_begin);
        i = skip_cfws(s, i);
        if (i >= s.size() || s[i] != '=') {
            // A parameter without a value: skip it up to the next ';'.
            if (name.empty()) ++i;
            while (i < s.size() && s[i] != ';') ++i;
            continue;
        }
        ++i;  // '='
        i = skip_cfws(s, i);
        RawParam p;
        p.name = text::lower(name);
        if (i < s.size() && s[i] == '"') {
            // RFC 2045 quoted-string: backslash quotes the next character.
            p.quoted = true;
            ++i;
            while (i < s.size() && s[i] != '"') {
                // The run up to the next quote or backslash in one append (not a byte at a time).
                const size_t run = text::find_first_of<'"', '\\'>(s, i);
                p.value.append(s.data() + i, run - i);
                i = run;
                if (i >= s.size() || s[i] == '"') break;
                if (i + 1 < s.size()) ++i;
                p.value += s[i++];
            }
            if (i < s.size()) ++i;  // closing quote
            // Anything glued after the closing quote up to ';' is junk from a broken client.
            while (i < s.size() && s[i] != ';') ++i;
        } else {
            const size_t v_begin = i;
            // A token ends at ';'. Spaces inside are kept (real clients write unquoted file
            // names with spaces) and trailing ones trimmed.
            while (i < s.size() && s[i] != ';') ++i;
            p.value = std::string(text::trim(s.substr(v_begin, i - v_begin)));
        }
        if (!p.name.empty()) out.push_back(std::move(p));
    }
    return out;
}

// RFC 2231 section 4: extended-initial-value := [charset] "'" [language] "'" extended-other-values
// where the values are %XX-encoded bytes.
std::string percent_decode(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && text::hex_value(v[i + 1]) >= 0 && text::hex_value(v[i + 2]) >= 0) {
            out += char(text::hex_value(v[i + 1]) * 16 + text::hex_value(v[i + 2]));
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

struct Section {
    int index = 0;
    bool extended = false;
    const RawParam* raw = nullptr;
};

struct Group {
    std::string base;
    std::vector<Section> sections;  // RFC 2231 pieces ("name*", "name*0", "name*1*", ...)
    const RawParam* plain = nullptr;  // "name=" without any '*'
};

// A plain (non-RFC 2231) value: many clients put RFC 2047 encoded-words in file names, or raw
// 8-bit text.
std::string plain_value(const RawParam& p) { return decode_rfc2047(p.value); }

std::string join_sections(Group& g) {
    std::stable_sort(g.sections.begin(), g.sections.end(),
                     [](const Section& a, const Section& b) { return a.index < b.index; });
    std::string charset, bytes;
    bool any_extended = false;
    for (size_t k = 0; k < g.sections.size(); ++k) {
        const Section& sec = g.sections[k];
        // Duplicate section numbers: keep the first.
        if (k > 0 && sec.index == g.sections[k - 1].index) continue;
        std::string_view v = sec.raw->value;
        if (sec.extended) {
            any_extended = true;
            if (k == 0) {
                // Only the first section carries charset'language'.
                const size_t q1 = v.find('\'');
                if (q1 != std::string_view::npos) {
                    const size_t q2 = v.find('\'', q1 + 1);
                    if (q2 != std::string_view::npos) {
                        charset = std::string(v.substr(0, q1));
                        v = v.substr(q2 + 1);
                    }
                }
            }
            bytes += percent_decode(v);
        } else {
            bytes += v;
        }
    }
    if (!any_extended) return decode_rfc2047(bytes);
    if (charset.empty()) return header_text_to_utf8(bytes);
    return to_utf8(bytes, charset);
}

}  // namespace

std::vector<MimeParam> decode_rfc2231_params(std::string_view params) {
    const std::vector<RawParam> raw = split_params(params);
    // Nearly every parameter list is one to three plain parameters ("charset=UTF-8",
    // "boundary=..."): without an RFC 2231 name ('*') each name is its own group, holding its
    // first value, in the order of first appearance: the same answer as the grouping below,
    // without its strings and tables. (Over kLinear parameters the grouping's index keeps it linear.)
    if (raw.size() <= 8 && std::none_of(raw.begin(), raw.end(), [](const RawParam& p) {
            return p.name.find('*') != std::string::npos;
        })) {
        std::vector<MimeParam> out;
        out.reserve(raw.size());
        for (const RawParam& p : raw)
            if (std::none_of(out.begin(), out.end(), [&](const MimeParam& o) { return o.name == p.name; }))
                out.push_back({p.name, plain_value(p)});
        return out;
    }
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    for (const RawParam& p : raw) {
        // RFC 2231 section 3/4: name*N (continuation), name* (extended), name*N* (both).
        std::string_view name = p.name;
        Section sec;
        sec.raw = &p;
        bool is_2231 = false;
        if (const size_t star = name.find('*'); star != std::string_view::npos) {
            std::string_view rest = name.substr(star + 1);
            name = name.substr(0, star);
            if (!rest.empty() && rest.back() == '*') {
                sec.extended = true;
                rest.remove_suffix(1);
            }
            if (rest.empty()) {
                // "name*" alone is an extended value; "name*" with nothing after is not numbered.
                sec.extended = true;
                is_2231 = true;
            } else if (rest.size() <= 4 && std::all_of(rest.begin(), rest.end(), text::is_digit)) {
                sec.index = std::stoi(std::string(rest));
                is_2231 = true;
            } else {
                name = p.name;  // not RFC 2231 syntax: keep the name as written
            }
        }
        // An index keeps this linear: a hostile header may carry many thousands of parameters.
        // Real ones carry one to three: up to kLinear groups a search finds them, no hashing.
        constexpr size_t kLinear = 8;
        size_t slot = groups.size();
        if (groups.size() <= kLinear) {
            for (size_t k = 0; k < groups.size(); ++k)
                if (groups[k].base == name) {
                    slot = k;
                    break;
                }
            if (slot == groups.size()) groups.push_back(Group{std::string(name), {}, nullptr});
            if (groups.size() > kLinear)  // one past: the index takes over
                for (size_t k = 0; k < groups.size(); ++k) index.emplace(groups[k].base, k);
        } else {
            auto [it, inserted] = index.try_emplace(std::string(name), groups.size());
            if (inserted) groups.push_back(Group{std::string(name), {}, nullptr});
            slot = it->second;
        }
        Group& g = groups[slot];
        if (is_2231) g.sections.push_back(sec);
        else if (!g.plain) g.plain = &p;
    }
    std::vector<MimeParam> out;
    out.reserve(groups.size());
    for (Group& g : groups) {
        // When both forms are present the RFC 2231 one is the better-informed (mail clients send
        // "filename" for old readers next to "filename*" for new ones).
        if (!g.sections.empty()) out.push_back({g.base, join_sections(g)});
        else if (g.plain) out.push_back({g.base, plain_value(*g.plain)});
    }
    return out;
}

std::string ContentType::param(std::string_view name) const {
    for (const MimeParam& p : params)
        if (text::iequals(p.name, name)) return p.value;
    return {};
}

namespace {

ContentType parse_content_type_uncached(std::string_view value) {
    ContentType ct;
    // RFC 2045 section 5.1: content := "Content-Type" ":" type "/" subtype *(";" parameter).
    size_t i = skip_cfws(value, 0);
    const size_t semi = value.find(';', i);
    const std::string_view head = value.substr(i, semi == std::string_view::npos ? std::string_view::npos : semi - i);
    const size_t slash = head.find('/');
    if (slash != std::string_view::npos) {
        std::string_view type = text::trim(head.substr(0, slash));
        std::string_view sub = head.substr(slash + 1);
        // The subtype ends at whitespace or a comment ("text/plain (a comment)").
        size_t e = 0;
        while (e < sub.size() && text::is_space(sub[e])) ++e;
        const size_t b = e;
        while (e < sub.size() && !text::is_space(sub[e]) && sub[e] != '(' && sub[e] != '"') ++e;
        sub = sub.substr(b, e - b);
        // RFC 2045 token: any CHAR except SPACE, CTLs, or tspecials (looked up: a search of the
        // tspecials per byte was a third of the instructions of a Content-Type).
        static constexpr auto kTokenByte = [] {
            std::array<bool, 256> t{};
            for (int c = 0x21; c < 0x7F; ++c) t[static_cast<size_t>(c)] = std::string_view("()<>@,;:\\\"/[]?=").find(char(c)) == std::string_view::npos;
            return t;
        }();
        auto is_token = [](std::string_view t) {
            if (t.empty()) return false;
            for (char c : t)
                if (!kTokenByte[static_cast<unsigned char>(c)]) return false;
            return true;
        };
        if (is_token(type) && is_token(sub)) {
            ct.type = text::lower(type);
            ct.subtype = text::lower(sub);
        }
    }
    // RFC 2045 section 5.2: a missing or broken type means text/plain; the parameters (charset)
    // still count.
    if (semi != std::string_view::npos) ct.params = decode_rfc2231_params(value.substr(semi + 1));
    return ct;
}

}  // namespace

ContentType parse_content_type(std::string_view value) {
    // The same few values come back message after message ("text/plain; charset=UTF-8", the
    // multipart/alternative of one client): the last kCached answers are kept per thread, keyed
    // by the exact value (the parse is a pure function of it). A hit is a copy of the answer;
    // the parse (split, lower-cased names, RFC 2231/2047 decoding) was ten times that, and
    // each message parses two or three values (the top one and each part's).
    constexpr size_t kCached = 8, kMaxCachedValue = 200;
    struct Entry {
        bool used = false;
        std::string value;
        ContentType ct;
    };
    thread_local std::array<Entry, kCached> cache;
    thread_local size_t next = 0;
    if (value.size() > kMaxCachedValue) return parse_content_type_uncached(value);
    for (const Entry& e : cache)
        if (e.used && e.value == value) return e.ct;
    ContentType ct = parse_content_type_uncached(value);
    Entry& e = cache[next++ % kCached];  // the oldest one
    e.used = true;
    e.value.assign(value);
    e.ct = ct;
    return ct;
}

}  // namespace ilc::parsers
