// RFC 5322 section 3.4 address lists, with the obsolete syntax of section 4.4 and what real
// clients write: missing commas, bare addresses, "Name a@b" without brackets, semicolons as
// separators, Exchange X.500 addresses ("Doe, John </O=ENRON/OU=NA/CN=RECIPIENTS/CN=JDOE>").
// One pass of a tokenizer, then each comma-separated entry is interpreted; linear in the input.
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

enum class Kind { word, quoted, comment, angle, comma, semicolon, colon };

struct Token {
    Kind kind;
    size_t begin, end;        // span in the input, quotes/brackets/parens included
    std::string_view inner;   // content without the delimiters
};

// A word (atom, dot-atom or anything else unquoted) runs up to the first of these bytes.
size_t word_end(std::string_view s, size_t i) {
    return text::find_first_of<' ', '\t', '\r', '\n', '"', '(', ')', '<', '>', ',', ';', ':'>(s, i);
}

void tokenize(std::string_view s, std::vector<Token>& toks) {
    toks.clear();
    toks.reserve(s.size() / 8 + 4);  // one allocation for a typical list ("Name <a@b>, ...")
    size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (text::is_space(c) || c == ')' || c == '>') {
            ++i;  // stray closers are noise
        } else if (c == '"') {
            // RFC 5322 section 3.2.4 quoted-string; unterminated ones run to the end.
            const size_t b = i++;
            for (;;) {  // the runs between backslashes skipped at once
                i = text::find_first_of<'"', '\\'>(s, i);
                if (i >= s.size() || s[i] == '"') break;
                i += i + 1 < s.size() ? 2 : 1;
            }
            const size_t inner_end = std::min(i, s.size());
            toks.push_back({Kind::quoted, b, std::min(i + 1, s.size()), s.substr(b + 1, inner_end - b - 1)});
            i = std::min(i + 1, s.size());
        } else if (c == '(') {
            // Section 3.2.2 comment: nested, with quoted-pairs.
            const size_t b = i;
            int depth = 0;
            size_t inner_end = s.size();
            for (; i < s.size(); ++i) {
                if (s[i] == '\\') { ++i; continue; }
                if (s[i] == '(') ++depth;
                else if (s[i] == ')' && --depth == 0) { inner_end = i; ++i; break; }
            }
            if (i > s.size()) i = s.size();
            toks.push_back({Kind::comment, b, i, s.substr(b + 1, inner_end > b ? inner_end - b - 1 : 0)});
        } else if (c == '<') {
            // angle-addr = "<" addr-spec ">". "<<a@b>>" happens; an unterminated '<' ends at the
            // next separator so that one broken address does not swallow the list.
            const size_t b = i;
            while (i < s.size() && s[i] == '<') ++i;
            const size_t start = i;
            size_t j = start;
            j = text::find_first_of<'>', '<'>(s, j);
            if (j < s.size() && s[j] == '>') {
                toks.push_back({Kind::angle, b, j + 1, s.substr(start, j - start)});
                i = j + 1;
            } else {
                size_t k = start;
                while (k < j && s[k] != ',' && s[k] != ';' && !text::is_space(s[k])) ++k;
                toks.push_back({Kind::angle, b, k, s.substr(start, k - start)});
                i = k;
            }
        } else if (c == ',') {
            toks.push_back({Kind::comma, i, i + 1, {}});
            ++i;
        } else if (c == ';') {
            toks.push_back({Kind::semicolon, i, i + 1, {}});
            ++i;
        } else if (c == ':') {
            toks.push_back({Kind::colon, i, i + 1, {}});
            ++i;
        } else {
            const size_t b = i;
            i = word_end(s, i);
            toks.push_back({Kind::word, b, i, s.substr(b, i - b)});
        }
    }
}

bool has_at(const Token& t) { return t.kind == Kind::word && t.inner.find('@') != std::string_view::npos; }

// Lower-cases an address. ASCII is folded here; non-ASCII (IDN domains, EAI local parts) through
// ICU's root-locale case mapping so "Bücher.DE" and "bücher.de" compare equal.
std::string lower_address(std::string_view a) {
    // ASCII (nearly every address): one copy lower-cased in place, no UTF-8 check (both loops
    // vectorize).
    unsigned char any = 0;
    for (char c : a) any |= static_cast<unsigned char>(c);
    if (any < 0x80) {
        std::string s(a);
        for (char& c : s) c = text::to_lower(c);
        return s;
    }
    std::string s = header_text_to_utf8(a);
    bool ascii = true;
    for (char& c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
        c = text::to_lower(c);
    }
    if (ascii) return s;
    std::string out;
    icu::UnicodeString::fromUTF8(s).toLower(icu::Locale::getRoot()).toUTF8String(out);
    return out;
}

// An addr-spec as written (inside brackets or bare) to its normalized form.
std::string clean_address(std::string_view a) {
    a = text::trim(a);
    // Outlook and some web mailers quote whole addresses in single quotes ('a@b').
    while (a.size() >= 2 && a.front() == '\'' && a.back() == '\'') a = text::trim(a.substr(1, a.size() - 2));
    if (text::istarts_with(a, "mailto:")) a.remove_prefix(7);
    // RFC 5322 section 4.4 obs-angle-addr: "<" obs-route addr-spec ">", obs-route ends with ':'.
    if (!a.empty() && a.front() == '@') {
        if (const size_t colon = a.find(':'); colon != std::string_view::npos) a = a.substr(colon + 1);
    }
    // Folding inside an address leaves spaces ("john.doe@ example.com"): CFWS around '@' and '.'
    // is allowed by the obsolete syntax and dropped; other runs of spaces (Exchange's
    // "Joey Taylor/Enron@EnronXGate") are kept as one space so the text stays stable.
    // Without any space (nearly every address) that leaves the address as it is.
    if (text::find_first_of<' ', '\t', '\r', '\n'>(a, 0) == a.size()) return lower_address(a);
    std::string out;
    out.reserve(a.size());
    bool pending_space = false;
    for (char c : a) {
        if (text::is_space(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space && !out.empty() && out.back() != '@' && out.back() != '.' && c != '@' && c != '.') out += ' ';
        pending_space = false;
        out += c;
    }
    return lower_address(out);
}

// build_name's per-thread table of decoded names: one slot per hash of the input (a slot's
// last input wins), so a hit costs a hash of at most 16 bytes and a comparison.
struct NameCache {
    struct Entry {
        bool used = false;
        std::string input, name;
    };
    static constexpr size_t kSlots = 512;  // a mailbox's regular correspondents (some 30 KB)
    std::array<Entry, kSlots> slots;
    Entry& slot(std::string_view s) {
        // The last bytes (the encoded text's end, where names differ) and the length.
        uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
        for (size_t i = s.size() > 16 ? s.size() - 16 : 0; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ULL;
        return slots[(h ^ (h >> 32)) % kSlots];
    }
};

NameCache& name_cache() {
    thread_local NameCache cache;
    return cache;
}

// Display-name words: quoted strings unescaped, words as written, one space between them; then
// RFC 2047 decoding (also inside quotes: RFC 2047 section 5 forbids it, clients do it anyway).
std::string build_name(std::string_view s, const std::vector<const Token*>& words) {
    if (words.empty()) return {};  // no name (most bare addresses): what the decoding below gives
    std::string raw;
    std::string_view input;  // what is decoded: `raw`, or the one word as written (no copy)
    if (words.size() == 1 && words.front()->kind == Kind::word) {
        input = s.substr(words.front()->begin, words.front()->end - words.front()->begin);
    } else {
        for (const Token* t : words) {
            if (!raw.empty()) raw += ' ';
            if (t->kind == Kind::quoted) {
                for (size_t i = 0; i < t->inner.size(); ++i) {
                    if (t->inner[i] == '\\' && i + 1 < t->inner.size()) ++i;
                    raw += text::is_space(t->inner[i]) ? ' ' : t->inner[i];
                }
            } else if (t->kind == Kind::comment) {
                raw += t->inner;
            } else {
                raw += s.substr(t->begin, t->end - t->begin);
            }
        }
        input = raw;
    }
    // An encoded name ("=?UTF-8?B?...?=") comes back message after message (the same people
    // write and are written to): the last decodings are kept per thread, keyed by the exact
    // input (what follows is a pure function of it). A hit is a copy; the decoding was about ten
    // times that. Names without encoded-words are cheap to build and not kept.
    constexpr size_t kMaxCachedName = 200;
    NameCache::Entry* slot = nullptr;
    if (input.size() <= kMaxCachedName && input.find("=?") != std::string_view::npos) {
        slot = &name_cache().slot(input);
        if (slot->used && slot->input == input) return slot->name;
    }
    std::string name = decode_rfc2047(input);
    std::string_view v = text::trim(name);
    // Outlook writes 'John Doe' with single quotes when it copies a name from an address book.
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = text::trim(v.substr(1, v.size() - 2));
    if (v.size() != name.size()) name = std::string(v);  // trimmed (a copy: `v` is inside `name`)
    if (slot) {
        slot->used = true;
        slot->input.assign(input);
        slot->name = name;
    }
    return name;
}

struct Part { size_t begin, end; bool at; bool quoted; const Token* tok; };

// The parser's working vectors, kept per thread from one address list to the next: a message
// has four to six lists, and these were seven allocations each.
struct ListScratch {
    std::vector<Token> toks;
    std::vector<const Token*> entry;
    std::vector<const Token*> flushing;                      // the entry flush() reads
    std::vector<const Token*> words, trailing_addrs, comments;  // flush_angle's and flush_bare's
    std::vector<Part> parts;                                 // flush_bare's
    void clear() {
        for (auto* v : {&entry, &flushing, &words, &trailing_addrs, &comments}) v->clear();
        parts.clear();
        toks.clear();
    }
    // A huge hostile list should not keep its buffers for the rest of the thread's life.
    void trim() {
        if (toks.capacity() > 4096) *this = ListScratch{};
    }
};

ListScratch& list_scratch() {
    thread_local ListScratch scratch;
    return scratch;
}

class ListParser {
public:
    explicit ListParser(std::string_view s) : s_(s), sc_(list_scratch()) { sc_.clear(); }
    ~ListParser() { sc_.trim(); }
    ListParser(const ListParser&) = delete;
    ListParser& operator=(const ListParser&) = delete;

    std::vector<Mailbox> run() {
        tokenize(s_, sc_.toks);
        const std::vector<Token>& toks = sc_.toks;
        // About one mailbox per separator: no reallocation moving every mailbox of a long list.
        out_.reserve(1 + size_t(std::count_if(toks.begin(), toks.end(),
                                              [](const Token& t) { return t.kind == Kind::comma || t.kind == Kind::semicolon; })));
        for (const Token& t : toks) {
            switch (t.kind) {
                case Kind::comma:
                case Kind::semicolon:
                    // Section 3.4: ',' separates addresses; ';' ends a group; both end an entry here
                    // (some clients separate with ';').
                    flush();
                    break;
                case Kind::colon:
                    // group = display-name ":" [group-list] ";": the group's name is not a mailbox.
                    if (!entry_has_address()) {
                        flush_pending();
                        reset_entry();
                    }
                    break;
                case Kind::angle:
                    if (entry_has_angle()) split_at_second_angle();
                    push(&t);
                    break;
                default:
                    push(&t);
                    break;
            }
        }
        flush();
        flush_pending();
        return std::move(out_);
    }

private:
    // Flags kept as tokens are added, so that a long entry is not rescanned per token.
    bool entry_has_angle() const { return entry_angle_; }
    bool entry_has_address() const { return entry_address_; }
    void push(const Token* t) {
        entry_.push_back(t);
        entry_angle_ |= t->kind == Kind::angle;
        entry_address_ |= t->kind == Kind::angle || has_at(*t);
    }
    void reset_entry() {
        entry_.clear();
        entry_angle_ = entry_address_ = false;
    }

    // "A <a@b> B <c@d>" (a missing comma): the words after the first angle address belong to
    // the second one.
    void split_at_second_angle() {
        size_t k = 0;
        while (entry_[k]->kind != Kind::angle) ++k;
        std::vector<const Token*> rest(entry_.begin() + long(k) + 1, entry_.end());
        // Comments right after the first address stay with it ("a <x@y> (note) B <c@d>").
        size_t keep = 0;
        while (keep < rest.size() && rest[keep]->kind == Kind::comment) ++keep;
        entry_.resize(k + 1 + keep);
        flush();
        for (size_t r = keep; r < rest.size(); ++r) push(rest[r]);
    }

    void emit(Mailbox m) {
        if (m.address.empty() && m.name.empty()) return;
        out_.push_back(std::move(m));
    }

    void flush_pending() {
        if (has_pending_) emit(std::move(pending_));
        has_pending_ = false;
        pending_ = Mailbox{};
    }

    void flush() {
        if (entry_.empty()) return;
        // The entry moves to flushing_ and entry_ takes flushing_'s old buffer: both keep their
        // capacity from one entry to the next (a long Cc list allocated a vector per address).
        flushing_.swap(entry_);
        reset_entry();
        if (std::any_of(flushing_.begin(), flushing_.end(), [](const Token* t) { return t->kind == Kind::angle; })) {
            flush_angle(flushing_);
        } else {
            flush_bare(flushing_);
        }
    }

    void flush_angle(const std::vector<const Token*>& entry) {
        const Token* angle = nullptr;
        std::vector<const Token*>& words = words_;
        std::vector<const Token*>& trailing_addrs = trailing_addrs_;
        std::vector<const Token*>& comments = comments_;
        words.clear();
        trailing_addrs.clear();
        comments.clear();
        for (const Token* t : entry) {
            if (t->kind == Kind::angle) {
                if (!angle) angle = t;
            } else if (t->kind == Kind::comment) {
                comments.push_back(t);
            } else if (angle && has_at(*t)) {
                trailing_addrs.push_back(t);  // "<a@b> c@d": a second address without a comma
            } else {
                words.push_back(t);
            }
        }
        Mailbox m;
        m.address = clean_address(angle->inner);
        m.name = build_name(s_, words);
        if (m.name.empty() && !comments.empty()) m.name = build_name(s_, {comments.front()});
        // Exchange/Outlook "Doe, John <...>": the unquoted comma split the name; the lone word
        // before it is the family name.
        const bool unquoted_name = !words.empty() && words.front()->kind == Kind::word;
        if (has_pending_ && unquoted_name) {
            m.name = pending_.name + ", " + m.name;
            has_pending_ = false;
            pending_ = Mailbox{};
        } else {
            flush_pending();
        }
        emit(std::move(m));
        for (const Token* t : trailing_addrs) emit(Mailbox{{}, clean_address(t->inner)});
    }

    void flush_bare(const std::vector<const Token*>& entry) {
        // Join words around '@' ("john.doe @ example.com", "\"john doe\"@example.com"): the
        // obsolete syntax allows CFWS between the parts of an addr-spec.
        std::vector<Part>& parts = parts_;
        std::vector<const Token*>& comments = comments_;
        parts.clear();
        comments.clear();
        for (const Token* t : entry) {
            if (t->kind == Kind::comment) {
                comments.push_back(t);
                continue;
            }
            const bool glue = !parts.empty() && t->kind != Kind::comment &&
                              ((s_[parts.back().end - 1] == '@') || (t->kind == Kind::word && t->inner.front() == '@'));
            if (glue) {
                parts.back().end = t->end;
                parts.back().at = true;
                parts.back().tok = nullptr;
            } else {
                parts.push_back({t->begin, t->end, has_at(*t), t->kind == Kind::quoted, t});
            }
        }
        std::vector<const Token*>& name_words = words_;
        name_words.clear();
        bool any_at = false;
        for (const Part& p : parts) any_at |= p.at;
        if (!any_at) {
            // No address at all: a lone word may be the family name of "Doe, John <...>";
            // otherwise keep the text, lower-cased, as a stable stand-in for the address.
            flush_pending();
            std::vector<const Token*> words;
            for (const Part& p : parts) words.push_back(p.tok);
            if (words.empty()) return;
            Mailbox m;
            m.name = build_name(s_, words);
            m.address = clean_address(m.name);
            if (parts.size() == 1 && !parts[0].quoted) {
                pending_ = std::move(m);
                has_pending_ = true;
            } else {
                emit(std::move(m));
            }
            return;
        }
        flush_pending();
        size_t emitted_before = out_.size();
        for (const Part& p : parts) {
            if (!p.at) {
                if (p.tok) name_words.push_back(p.tok);
                continue;
            }
            Mailbox m;
            m.address = clean_address(s_.substr(p.begin, p.end - p.begin));
            // "Name a@b" without brackets: the words before an address are its name.
            m.name = build_name(s_, name_words);
            name_words.clear();
            emit(std::move(m));
        }
        // "a@b (John Doe)": the comment is the name (RFC 822 style).
        if (out_.size() == emitted_before + 1 && out_.back().name.empty() && !comments.empty())
            out_.back().name = build_name(s_, {comments.front()});
        else if (out_.size() > emitted_before && out_.back().name.empty() && !name_words.empty())
            out_.back().name = build_name(s_, name_words);
    }

    std::string_view s_;
    ListScratch& sc_;
    std::vector<const Token*>& entry_ = sc_.entry;
    std::vector<const Token*>& flushing_ = sc_.flushing;
    std::vector<const Token*>& words_ = sc_.words;
    std::vector<const Token*>& trailing_addrs_ = sc_.trailing_addrs;
    std::vector<const Token*>& comments_ = sc_.comments;
    std::vector<Part>& parts_ = sc_.parts;
    bool entry_angle_ = false, entry_address_ = false;
    std::vector<Mailbox> out_;
    Mailbox pending_;
    bool has_pending_ = false;
};

}  // namespace

std::vector<Mailbox> parse_address_list(std::string_view value) { return ListParser(value).run(); }

}  // namespace ilc::parsers
