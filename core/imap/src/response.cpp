// The IMAP response parser (see response.h). A hand-written recursive descent over a
// string_view with an explicit position: every read is bounds-checked, nesting is limited, and
// the first problem becomes an Error naming the byte offset and what was expected there.
#include "interlocutor/imap/response.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ilc::imap {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::toupper(x) == std::toupper(y);
           });
}

std::string upper(std::string_view s) {
    std::string o(s);
    for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return o;
}

// A short printable excerpt of the input for error messages (server bytes may be anything).
std::string excerpt(std::string_view s, size_t pos) {
    std::string o;
    for (size_t i = pos; i < s.size() && o.size() < 40; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\r') o += "\\r";
        else if (c == '\n') o += "\\n";
        else if (c < 32 || c > 126) o += '?';
        else o += static_cast<char>(c);
    }
    return o;
}

class Parser {
public:
    Parser(std::string_view s, const ParseLimits& lim) : s_(s), lim_(lim) {}

    bool at_end() const { return pos_ >= s_.size(); }
    size_t pos() const { return pos_; }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    void skip_spaces() {
        while (!at_end() && s_[pos_] == ' ') ++pos_;
    }
    std::string_view rest() const { return at_end() ? std::string_view{} : s_.substr(pos_); }
    void advance(size_t n) { pos_ = std::min(s_.size(), pos_ + n); }

    Error fail(const std::string& what) const {
        return Error{ErrorCode::protocol,
                     "malformed IMAP response at byte " + std::to_string(pos_) + ": " + what + " near '" +
                         excerpt(s_, pos_) + "'",
                     "the server sent something this client does not understand"};
    }

    // A token up to a space (the tag, a status word, a response-code name).
    std::string_view word() {
        size_t start = pos_;
        while (!at_end() && s_[pos_] != ' ' && s_[pos_] != ']' && s_[pos_] != '[') ++pos_;
        return s_.substr(start, pos_ - start);
    }

    // Values until the end of input (depth 0) or a closing parenthesis (inside a list).
    std::optional<Error> values(std::vector<Value>& out, int depth, char stop = '\0') {
        if (depth > lim_.max_depth) return fail("lists nested deeper than " + std::to_string(lim_.max_depth));
        for (;;) {
            skip_spaces();
            if (at_end()) {
                if (depth > 0) return fail("a list that is never closed");
                return std::nullopt;
            }
            char c = peek();
            if (c == ')') {
                if (depth == 0) return fail("')' without '('");
                return std::nullopt;
            }
            if (stop && c == stop) return std::nullopt;
            if (++items_ > lim_.max_items) return fail("more than " + std::to_string(lim_.max_items) + " values");
            Value v;
            if (c == '(') {
                ++pos_;
                v.kind = Value::Kind::list;
                if (auto e = values(v.items, depth + 1)) return e;
                if (peek() != ')') return fail("expected ')'");
                ++pos_;
            } else if (c == '"') {
                if (auto e = quoted(v)) return e;
            } else if (c == '{') {
                if (auto e = literal(v)) return e;
            } else {
                if (auto e = atom(v, stop)) return e;
            }
            out.push_back(std::move(v));
            // Values are separated by a space, or end at ')' / the end.
            if (!at_end() && peek() != ' ' && peek() != ')' && !(stop && peek() == stop) && peek() != '(')
                return fail("expected a space between values");
        }
    }

private:
    std::optional<Error> quoted(Value& v) {
        const size_t start = pos_;
        ++pos_;  // the opening quote
        v.kind = Value::Kind::string;
        for (;;) {
            if (at_end()) {
                pos_ = start;  // point the message at where the string began
                return fail("a quoted string that is never closed");
            }
            char c = s_[pos_++];
            if (c == '"') return std::nullopt;
            if (c == '\r' || c == '\n') return fail("a line break inside a quoted string");
            if (c == '\\') {
                if (at_end()) return fail("a quoted string that is never closed");
                c = s_[pos_++];
            }
            v.text += c;
        }
    }

    // RFC 3501 section 4.3: "{" number "}" CRLF *CHAR8; RFC 7888 LITERAL+ adds "+" (client side
    // only, but tolerated). The reader has already collected the n bytes after the CRLF.
    std::optional<Error> literal(Value& v) {
        ++pos_;
        size_t start = pos_;
        while (!at_end() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, n);
        if (start == pos_ || ec != std::errc()) return fail("a literal without a valid size");
        (void)p;
        if (peek() == '+') ++pos_;
        if (peek() != '}') return fail("expected '}' after a literal size");
        ++pos_;
        if (rest().substr(0, 2) != "\r\n") return fail("expected CRLF after a literal announcement");
        pos_ += 2;
        if (n > s_.size() - pos_) return fail("a literal of " + std::to_string(n) + " bytes but fewer follow");
        v.kind = Value::Kind::string;
        v.text.assign(s_.substr(pos_, n));
        pos_ += n;
        return std::nullopt;
    }

    // Atoms here also cover what RFC 3501 builds from atoms: numbers, flags (\Seen, \*), and
    // fetch attribute names with a section and a partial range ("BODY[1.2.MIME]<0>",
    // "BODY[HEADER.FIELDS (FROM TO)]"), whose brackets may hold spaces and parentheses.
    std::optional<Error> atom(Value& v, char stop) {
        size_t start = pos_;
        while (!at_end()) {
            char c = s_[pos_];
            if (c == '[') {
                size_t close = s_.find(']', pos_);
                if (close == std::string_view::npos) return fail("'[' without ']'");
                pos_ = close + 1;
                continue;
            }
            if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || c == '\r' || c == '\n' ||
                (stop && c == stop))
                break;
            if (static_cast<unsigned char>(c) < 32 || c == 127) return fail("a control character in an atom");
            ++pos_;
        }
        if (pos_ == start) return fail("unexpected character");
        v.text.assign(s_.substr(start, pos_ - start));
        v.kind = iequals(v.text, "NIL") ? Value::Kind::nil : Value::Kind::atom;
        if (v.kind == Value::Kind::nil) v.text.clear();
        return std::nullopt;
    }

    std::string_view s_;
    ParseLimits lim_;
    size_t pos_ = 0;
    size_t items_ = 0;
};

Condition status_of(std::string_view w) {
    if (iequals(w, "OK")) return Condition::ok;
    if (iequals(w, "NO")) return Condition::no;
    if (iequals(w, "BAD")) return Condition::bad;
    if (iequals(w, "BYE")) return Condition::bye;
    if (iequals(w, "PREAUTH")) return Condition::preauth;
    return Condition::none;
}

// resp-text = ["[" resp-text-code "]" SP] text. A code whose arguments do not tokenize keeps
// them as one atom: RFC 3501 allows `atom SP 1*<any TEXT-CHAR except "]">` there.
std::optional<Error> status_text(Parser& p, Response& r, const ParseLimits& lim) {
    p.skip_spaces();
    if (p.peek() == '[') {
        p.advance(1);
        auto rest = p.rest();
        size_t close = rest.find(']');
        if (close == std::string_view::npos) return p.fail("a response code without ']'");
        std::string_view inner = rest.substr(0, close);
        size_t sp = inner.find(' ');
        r.code = upper(inner.substr(0, sp));
        if (sp != std::string_view::npos) {
            std::string_view args = inner.substr(sp + 1);
            Parser ap(args, lim);
            std::vector<Value> vals;
            if (ap.values(vals, 0)) {
                Value raw;
                raw.kind = Value::Kind::atom;
                raw.text.assign(args);
                vals.assign(1, raw);
            }
            r.code_args = std::move(vals);
        }
        p.advance(close + 1);
        p.skip_spaces();
    }
    r.text.assign(p.rest());
    return std::nullopt;
}

}  // namespace

bool Value::is_atom(std::string_view a) const { return kind == Kind::atom && iequals(text, a); }

std::optional<int64_t> Value::number() const {
    if (kind != Kind::atom || text.empty() || text.size() > 18) return std::nullopt;
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p != text.data() + text.size() || n < 0) return std::nullopt;
    return n;
}

Result<Response> parse_response(std::string_view bytes, const ParseLimits& limits) {
    if (bytes.size() >= 2 && bytes.substr(bytes.size() - 2) == "\r\n") bytes.remove_suffix(2);
    else if (!bytes.empty() && bytes.back() == '\n') bytes.remove_suffix(1);
    Parser p(bytes, limits);
    Response r;
    if (bytes.empty()) return p.fail("an empty response line");
    if (bytes[0] == '+') {
        r.type = ResponseType::continuation;
        p.advance(1);
        p.skip_spaces();
        r.text.assign(p.rest());
        return r;
    }
    if (bytes[0] == '*') {
        r.type = ResponseType::untagged;
        p.advance(1);
        if (p.peek() != ' ') return p.fail("expected a space after '*'");
        p.skip_spaces();
        std::string_view first = p.word();
        if (first.empty()) return p.fail("an untagged response without a name");
        Value num;
        num.kind = Value::Kind::atom;
        num.text.assign(first);
        if (auto n = num.number()) {
            r.number = n;
            p.skip_spaces();
            first = p.word();
            if (first.empty()) return p.fail("a message number without a name");
        }
        r.name = upper(first);
        if (!r.number) {
            r.status = status_of(first);
            if (r.status != Condition::none) {
                if (auto e = status_text(p, r, limits)) return *e;
                return r;
            }
        }
        if (!p.at_end() && p.peek() != ' ') return p.fail("expected a space after the response name");
        if (auto e = p.values(r.data, 0)) return *e;
        return r;
    }
    r.type = ResponseType::tagged;
    r.tag.assign(p.word());
    if (r.tag.empty()) return p.fail("a response that is neither tagged, untagged nor a continuation");
    for (unsigned char c : r.tag)
        if (c < 33 || c > 126 || c == '(' || c == ')' || c == '{' || c == '%' || c == '"' || c == '\\')
            return p.fail("a tag with a character RFC 3501 forbids");
    p.skip_spaces();
    std::string_view st = p.word();
    r.status = status_of(st);
    if (r.status == Condition::none || r.status == Condition::preauth)
        return p.fail("a tagged response without OK, NO or BAD");
    if (auto e = status_text(p, r, limits)) return *e;
    return r;
}

std::optional<uint64_t> trailing_literal_size(std::string_view line) {
    if (line.size() < 3 || line.back() != '}') return std::nullopt;
    size_t open = line.rfind('{');
    if (open == std::string_view::npos) return std::nullopt;
    std::string_view inner = line.substr(open + 1, line.size() - open - 2);
    if (!inner.empty() && inner.back() == '+') inner.remove_suffix(1);
    if (inner.empty() || inner.size() > 19) return std::nullopt;
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), n);
    if (ec != std::errc() || p != inner.data() + inner.size()) return std::nullopt;
    return n;
}

const Value* fetch_item(const Response& r, std::string_view name) {
    if (r.name != "FETCH" || r.data.empty() || !r.data[0].is_list()) return nullptr;
    const auto& items = r.data[0].items;
    for (size_t i = 0; i + 1 < items.size(); i += 2)
        if (items[i].kind == Value::Kind::atom && iequals(items[i].text, name)) return &items[i + 1];
    return nullptr;
}

namespace {

Result<BodyPart> body_part(const Value& v, const std::string& section, int depth, const ParseLimits& lim) {
    auto bad = [&](const std::string& what) {
        return Error{ErrorCode::protocol, "malformed BODYSTRUCTURE at part '" + section + "': " + what,
                     "the server sent a MIME structure this client does not understand"};
    };
    if (depth > lim.max_depth) return bad("nested deeper than " + std::to_string(lim.max_depth));
    if (!v.is_list() || v.items.empty()) return bad("expected a non-empty list");
    BodyPart part;
    part.section = section;
    const auto& it = v.items;
    if (it[0].is_list()) {
        part.is_multipart = true;
        part.type = "multipart";
        size_t k = 0;
        for (; k < it.size() && it[k].is_list(); ++k) {
            std::string child = section.empty() ? std::to_string(k + 1) : section + "." + std::to_string(k + 1);
            auto c = body_part(it[k], child, depth + 1, lim);
            if (!c) return c.error();
            part.children.push_back(std::move(c.value()));
        }
        if (k < it.size()) {
            part.subtype = it[k].text;
            // body-ext-mpart: the Content-Type parameters come first; the boundary is one of them.
            if (k + 1 < it.size() && it[k + 1].is_list()) {
                const auto& params = it[k + 1].items;
                for (size_t i = 0; i + 1 < params.size(); i += 2)
                    if (iequals(params[i].text, "BOUNDARY")) part.boundary = params[i + 1].text;
            }
        }
    } else {
        if (it.size() < 2) return bad("a single part without type and subtype");
        part.type = it[0].text;
        part.subtype = it[1].text;
        if (it.size() > 5) part.encoding = it[5].text;
        if (it.size() > 6)
            if (auto n = it[6].number()) part.size = *n;
    }
    for (auto* s : {&part.type, &part.subtype, &part.encoding})
        for (auto& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return part;
}

}  // namespace

Result<BodyPart> parse_bodystructure(const Value& v, const ParseLimits& limits) {
    return body_part(v, "", 0, limits);
}

}  // namespace ilc::imap
