#include "interlocutor/text/split.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "interlocutor/text/normalize.h"
#include "word_index.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::text {

namespace {

constexpr std::size_t kMaxScan = 64 * 1024;

std::string_view trim(std::string_view s) {
    // Most lines neither start nor end with a blank: then nothing below moves.
    if (s.empty()) return s;
    if (const char f = s.front(), l = s.back(); f != ' ' && f != '\t' && f != '\r' && f != '\xC2' && l != ' ' &&
                                               l != '\t' && l != '\r' && l != '\xA0')
        return s;
    std::size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
    // Non-breaking spaces (U+00A0) pad lines converted from HTML (byte tests: trim runs on every
    // line, several times).
    while (b - a >= 2 && s[a] == '\xC2' && s[a + 1] == '\xA0') a += 2;
    while (b - a >= 2 && s[b - 2] == '\xC2' && s[b - 1] == '\xA0') b -= 2;
    return s.substr(a, b - a);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool has_digit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// fold(t) when only its first `need` + 1 characters are read (prefix tests, or an equality with a
// phrase of at most `need` characters): folds a bounded head of a long line instead of all of it.
// fold() of a byte prefix is a prefix of fold() of the whole (words fold code point by code
// point, a cut character folds to a separator), so when that head already gives more than
// `need` characters every such test answers as on the whole line; otherwise the whole is folded.
// The fold is written into a buffer kept per thread (fold_append behind nothing is fold()): these
// tests run on most lines, and a fresh std::string per fold cost an allocation per line. The view
// is valid until the next fold_head() call on the same thread.
std::string_view fold_head(std::string_view t, std::size_t need) {
    // A head a little longer than `need` (was 64 bytes): most lines already fold to more than
    // `need` characters from it; the others are folded whole.
    const std::size_t kHead = need + 16;
    thread_local std::string buf;
    buf.clear();
    if (t.size() <= kHead) {
        fold_append(buf, t, 0);
        return buf;
    }
    fold_append(buf, t.substr(0, kHead), 0);
    if (buf.size() > need) return buf;
    buf.clear();
    fold_append(buf, t, 0);
    return buf;
}

// A date or time as Lotus Notes and Outlook print them: "10/09/2000 09:48 AM", "09:48".
bool looks_like_datetime(std::string_view s) {
    int slashes = 0, colons = 0, digits = 0;
    for (char c : s) {
        if (c == '/') ++slashes;
        else if (c == ':') ++colons;
        else if (c >= '0' && c <= '9') ++digits;
    }
    return digits >= 4 && (slashes >= 2 || colons >= 1);
}

// Two-letter prefixes (lower-case ASCII letters and digits) written back to back ("orme" is "or"
// and "me"), as a 36 x 36 bit table: may_start_with_pair tests one bit instead of comparing the
// pair with each prefix in turn (it runs on every line of every body).
class PairSet {
public:
    explicit constexpr PairSet(std::string_view pairs) {
        for (std::size_t k = 0; k + 1 < pairs.size(); k += 2) rows_[index(pairs[k])] |= std::uint64_t{1} << index(pairs[k + 1]);
    }
    // c0, c1: lower-case ASCII letters or digits.
    constexpr bool has(char c0, char c1) const { return (rows_[index(c0)] >> index(c1)) & 1u; }

private:
    static constexpr std::size_t index(char c) { return c >= 'a' ? static_cast<std::size_t>(c - 'a') + 10 : static_cast<std::size_t>(c - '0'); }
    std::array<std::uint64_t, 36> rows_{};
};

// False when fold(t) surely starts with none of `pairs`, read from t's first two word characters
// when both are ASCII letters or digits; true (only fold() can tell) when a byte >= 0x80 comes
// first. For phrase lists whose first words all have two or more letters: a first word of one
// character, or no word at all, then starts none of them. Lets the phrase tests below skip the
// fold of most lines: they run on every line of every body (was a test of the first letter alone).
bool may_start_with_pair(std::string_view t, const PairSet& pairs) {
    // 0: an ASCII separator (folds to nothing), 1: an ASCII letter or digit, 2: a byte >= 0x80.
    static constexpr std::array<unsigned char, 256> kClass = [] {
        std::array<unsigned char, 256> c{};
        for (int b = 0; b < 256; ++b)
            c[b] = b >= 0x80 ? 2 : ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) ? 1 : 0;
        return c;
    }();
    const auto* s = reinterpret_cast<const unsigned char*>(t.data());
    std::size_t i = 0;
    const std::size_t n = t.size();
    while (i < n && kClass[s[i]] == 0) ++i;
    if (i < n && kClass[s[i]] == 2) return true;
    if (i + 1 >= n) return false;  // no word, or a last word of one character
    const unsigned char k1 = kClass[s[i + 1]];
    if (k1 == 2) return true;
    if (k1 == 0) return false;  // a first word of one character
    return pairs.has(static_cast<char>(s[i] | 0x20), static_cast<char>(s[i + 1] | 0x20));  // lower-case letters, digits as they are
}

// The first two letters of the phrases of is_separator_header, is_forward_intro (both, for
// quote_marker_at) and is_mobile_footer.
constexpr PairSet kSeparatorPairs("ormefourre");
constexpr PairSet kForwardPairs("debemefo");
constexpr PairSet kQuotePairs("ormefourredebemefo");
constexpr PairSet kMobilePairs("seengeteobvo");

// "Forwarded by", "Original Message", … after stripping the rule characters around them.
bool is_separator_header(std::string_view t) {
    if (!may_start_with_pair(t, kSeparatorPairs)) return false;  // the phrases' first two letters
    std::size_t dashes = 0;
    while (dashes < t.size() && (t[dashes] == '-' || t[dashes] == '_' || t[dashes] == '=' ||
                                 t[dashes] == ' ' || t[dashes] == '*'))
        ++dashes;
    std::string_view f = fold_head(t, 32);  // the phrases below are shorter than 32 characters
    static const std::array<std::string_view, 12> phrases = {
        "original message", "message d origine", "forwarded message", "message transfere",
        "forwarded by", "ursprungliche nachricht", "mensaje original", "messaggio originale",
        "original appointment", "message original", "reply message", "forward message"};
    for (std::string_view p : phrases) {
        if (!starts_with(f, p)) continue;
        // A rule before it, or nothing but the phrase on the line.
        if (dashes >= 2 || f.size() == p.size()) return true;
    }
    return false;
}

bool is_forward_intro(std::string_view t) {
    if (t.size() > 80) return false;
    if (!may_start_with_pair(t, kForwardPairs)) return false;  // the phrases' first two letters
    std::string_view f = fold_head(t, 32);  // the phrases below are shorter than 32 characters
    return starts_with(f, "debut du message reexpedie") || starts_with(f, "begin forwarded message") ||
           f == "message transfere" || f == "forwarded message" ||
           starts_with(f, "debut du message transfere");
}

// The attribution line of a reply: ends with "wrote:" / "a écrit :" (and a few others).
// ends_like_attribution(t) for a line t that ends with ':'.
bool colon_line_ends_like_attribution(std::string_view t) {
    // The endings below have at most 10 characters. fold(t) ends with fold(t.substr(p)) when t[p] is
    // an ASCII separator (no word or character spans it), so when that tail folds to more than 10
    // characters it answers for the whole line, which is then not folded (long attribution lines
    // with names, addresses and dates). The tail starts at the first separator of the last 48 bytes.
    thread_local std::string f;
    f.clear();
    std::size_t p = t.size() > 48 ? t.size() - 48 : 0;
    while (p < t.size() && !(static_cast<unsigned char>(t[p]) < 0x80 &&
                             !((t[p] >= 'a' && t[p] <= 'z') || (t[p] >= 'A' && t[p] <= 'Z') || (t[p] >= '0' && t[p] <= '9'))))
        ++p;
    if (p > 0 && p < t.size()) fold_append(f, t.substr(p), 0);
    if (f.size() <= 10) {
        f.clear();
        fold_append(f, t, 0);
    }
    return ends_with(f, "wrote") || ends_with(f, "a ecrit") || ends_with(f, "schrieb") ||
           ends_with(f, "escribio") || ends_with(f, "ha scritto") || ends_with(f, "writes") ||
           ends_with(f, "a ecrit le");
}

// Inlined: it runs on every line before the quote, and most do not end with ':' (the call was
// most of its cost).
inline __attribute__((always_inline)) bool ends_like_attribution(std::string_view t) {
    return !t.empty() && t.back() == ':' && colon_line_ends_like_attribution(t);
}

bool starts_like_attribution(std::string_view t) {
    // "On ", "Le ", "El ", "Am ", "on ", "le ": a two-letter word, tested without six compares.
    if (t.size() < 3 || t[2] != ' ') return false;
    const char a = t[0], b = t[1];
    return (b == 'n' && (a == 'O' || a == 'o')) || (b == 'e' && (a == 'L' || a == 'l')) ||
           (a == 'E' && b == 'l') || (a == 'A' && b == 'm');
}

// Header keys of Outlook/Lotus/Apple quoted header blocks, folded.
enum class Key { none, from, sent, date, to, cc, subject, other };

Key header_key(std::string_view t) {
    // "*From:*" and "**De :**" come from HTML bold converted to text.
    while (!t.empty() && (t[0] == '*' || t[0] == '>' || t[0] == ' ')) t.remove_prefix(1);
    // Only a colon among the first 25 bytes can close a key (no search through long lines), and
    // the key is folded into a buffer kept per thread (no allocation per line).
    std::size_t colon = t.substr(0, 25).find(':');
    if (colon == std::string_view::npos || colon == 0) return Key::none;
    // Most lines with an early colon (code, URLs, times) start with no key's first two letters:
    // rejected before the fold. The one key of one letter ("a") is let through.
    static constexpr PairSet kKeyPairs("frdeexvoensegedatopoanccbccokosuobbereimpratpi");
    if (!may_start_with_pair(t.substr(0, colon), kKeyPairs)) {
        std::size_t i = 0;
        auto sep = [](char c) {
            const auto b = static_cast<unsigned char>(c);
            return b < 0x80 && !((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'));
        };
        while (i < colon && sep(t[i])) ++i;
        // (A byte >= 0x80 first made may_start_with_pair true.)
        if (!(i < colon && (t[i] | 0x20) == 'a' && (i + 1 == colon || sep(t[i + 1])))) return Key::none;
    }
    thread_local std::string key;
    key.clear();
    fold_append(key, t.substr(0, colon), 0);
    const std::string_view k = key;
    if (k == "from" || k == "de" || k == "expediteur" || k == "von" || k == "envoye par") return Key::from;
    if (k == "sent" || k == "envoye" || k == "sent by" || k == "gesendet") return Key::sent;
    if (k == "date" || k == "datum") return Key::date;
    if (k == "to" || k == "a" || k == "pour" || k == "destinataire" || k == "destinataires" || k == "an")
        return Key::to;
    if (k == "cc" || k == "cci" || k == "bcc" || k == "copie a" || k == "kopie") return Key::cc;
    if (k == "subject" || k == "objet" || k == "sujet" || k == "betreff" || k == "re") return Key::subject;
    if (k == "reply to" || k == "importance" || k == "priority" || k == "attachments" ||
        k == "pieces jointes")
        return Key::other;
    return Key::none;
}

// The body's lines, each with its trim() made once, on first use: the passes below (quote
// headers, line-wise classification, signature) ask for the trimmed line several times per line
// (trim was a tenth of split_body's instructions on list mail), and never for most lines of a
// quote below its header.
struct Lines {
    struct Line {
        std::string_view text;             // without its '\n' and a trailing '\r'
        mutable std::string_view trimmed;  // trim(text), once trimmed_set
        mutable bool trimmed_set = false;
    };
    std::vector<Line> v;
    std::size_t size() const { return v.size(); }
    std::string_view operator[](std::size_t i) const { return v[i].text; }
    std::string_view trimmed(std::size_t i) const {
        const Line& l = v[i];
        if (!l.trimmed_set) {
            l.trimmed = trim(l.text);
            l.trimmed_set = true;
        }
        return l.trimmed;
    }
    bool blank(std::size_t i) const { return trimmed(i).empty(); }  // is_blank(L[i])
    bool gt(std::size_t i) const {                                    // is_gt(L[i])
        std::string_view t = trimmed(i);
        return !t.empty() && t[0] == '>';
    }
};

// Extends a quoted-header start upwards over the lines that belong to it: a rule
// ("________", "-----"), a Lotus "Name@ORG" / "Name <x@y> on 10/07/2000 05:55 PM" / date line.
std::size_t extend_up(const Lines& L, std::size_t start) {
    std::size_t s = start;
    int budget = 3;
    std::size_t i = start;
    while (i > 0 && budget > 0) {
        std::string_view t = L.trimmed(i - 1);
        if (t.empty()) { --i; --budget; continue; }
        bool rule = t.size() >= 5 && std::all_of(t.begin(), t.end(), [](char c) {
                        return c == '_' || c == '-' || c == '=' || c == '*' || c == ' ';
                    });
        bool lotus = (t.find('@') != std::string_view::npos && t.size() < 120 &&
                      std::count(t.begin(), t.end(), ' ') < 10) ||
                     (looks_like_datetime(t) && t.size() < 60 && (t.find("AM") != std::string_view::npos ||
                                                                   t.find("PM") != std::string_view::npos ||
                                                                   std::count(t.begin(), t.end(), ' ') < 4));
        if (!rule && !lotus) break;
        s = i - 1;
        --i;
        --budget;
    }
    return s;
}

// The header key of a line, also in Lotus Notes' two-column layout where the sender and date
// sit on the left and "To:", "cc:", "Subject:" start after a wide gap on the right:
//   "            om                           To:     Michelle.Cash@enron.com, ..."
// t.find("        ", from) (eight spaces): the generic find stopped at every single space of the
// line to compare eight bytes. Eight spaces in a row always cover one of every eight positions, so
// only every eighth byte is probed; at a space the run around it is measured, and the first run of
// eight or more (from `from` on) starts the answer.
std::size_t find_gap(std::string_view t, std::size_t from) {
    const std::size_t n = t.size();
    std::size_t i = from + 7;
    while (i < n) {
        if (t[i] != ' ') { i += 8; continue; }
        std::size_t a = i, b = i + 1;
        while (a > from && t[a - 1] == ' ') --a;
        while (b < n && t[b] == ' ') ++b;
        if (b - a >= 8) return a;
        i = b + 8;  // a later run of eight starts after b, so it covers b + 8 or a later probe
    }
    return std::string_view::npos;
}

// t: the trimmed line.
Key line_key(std::string_view t) {
    Key k = header_key(t);
    if (k != Key::none && k != Key::other) return k;
    std::size_t gap = find_gap(t, 0);
    while (gap != std::string_view::npos) {
        std::size_t start = t.find_first_not_of(' ', gap);
        if (start == std::string_view::npos) break;
        std::string_view rest = t.substr(start);
        Key r = header_key(rest);
        if (r == Key::to || r == Key::cc || r == Key::subject) return r;
        gap = find_gap(t, start);
    }
    return k;
}

// Header block starting at line i ("From:/De :" then Sent/Date/To/Subject within a few lines, or
// a Lotus "To:" then "cc:"/"Subject:"). Returns the block's first line.
std::optional<std::size_t> header_block_at(const Lines& L, std::size_t i) {
    Key k = line_key(L.trimmed(i));
    if (k == Key::none || k == Key::other) return std::nullopt;
    bool seen_from = k == Key::from, seen_sent = k == Key::sent || k == Key::date, seen_to = k == Key::to,
         seen_cc = k == Key::cc, seen_subject = k == Key::subject;
    if (!(seen_from || seen_to || seen_sent)) return std::nullopt;
    int distinct = 1;
    for (std::size_t j = i + 1; j < L.size() && j <= i + 8; ++j) {
        Key kj = line_key(L.trimmed(j));
        bool* flag = kj == Key::from ? &seen_from : kj == Key::sent || kj == Key::date ? &seen_sent
                   : kj == Key::to ? &seen_to : kj == Key::cc ? &seen_cc
                   : kj == Key::subject ? &seen_subject : nullptr;
        if (flag && !*flag) { *flag = true; ++distinct; }
        if (kj == Key::none && !L.blank(j) && j > i + 4) break;
    }
    bool outlook = seen_from && distinct >= 3 && (seen_sent || seen_to || seen_subject);
    bool short_from = seen_from && distinct >= 2 && (seen_sent || seen_subject) && seen_to;
    bool lotus = seen_to && (seen_cc || seen_subject) && distinct >= 2;
    if (!(outlook || short_from || lotus)) return std::nullopt;
    return extend_up(L, i);
}

enum class Marker { none, attribution, strong };

// Whether line i opens quoted history; start receives the first line of that history.
Marker quote_marker_at(const Lines& L, std::size_t i, std::size_t& start) {
    std::string_view t = L.trimmed(i);
    if (t.empty() || t[0] == '>') return Marker::none;
    // Both tests start with may_start_with_pair on t, which rejects most lines: asked once here
    // with both pair lists (false for both lists together means false for each).
    if (may_start_with_pair(t, kQuotePairs)) {
        if (t.size() < 200 && is_separator_header(t)) { start = extend_up(L, i); return Marker::strong; }
        if (is_forward_intro(t)) { start = i; return Marker::strong; }
    }
    if (t.size() < 300 && ends_like_attribution(t)) {
        bool next_is_gt = false;
        for (std::size_t j = i + 1; j < L.size() && j <= i + 2; ++j)
            if (!L.blank(j)) { next_is_gt = L.gt(j); break; }
        if (starts_like_attribution(t) || next_is_gt || t.find('@') != std::string_view::npos ||
            has_digit(t)) {
            start = i;
            return Marker::attribution;
        }
    }
    // "Le lun. 3 nov. 2025 à 10:12, Jean <\njean@x.fr> a écrit :" wrapped over two lines.
    if (starts_like_attribution(t) && i + 1 < L.size() && t.size() < 200) {
        std::string_view n = L.trimmed(i + 1);
        if (!n.empty() && n[0] != '>' && n.size() < 200 && ends_like_attribution(n)) {
            start = i;
            return Marker::attribution;
        }
    }
    // Any-language attribution ("02.04.2012 14:20 пользователь … написал:"): a line ending in ':'
    // (possibly wrapped over two lines), with an address or a date, right above a '>' block.
    // (The ':' ends are tested before the scan of the whole line for a digit or an '@': most
    // lines end otherwise. Same answer, the tests have no side effects.)
    if (t.size() < 300) {
        std::size_t last = i;
        if (t.back() != ':' && i + 1 < L.size()) {
            std::string_view n = L.trimmed(i + 1);
            if (!n.empty() && n.size() < 200 && n.back() == ':' && n[0] != '>') last = i + 1;
        }
        if (L.trimmed(last).back() == ':' && (has_digit(t) || t.find('@') != std::string_view::npos)) {
            for (std::size_t j = last + 1; j < L.size() && j <= last + 2; ++j) {
                if (L.blank(j)) continue;
                if (L.gt(j)) { start = i; return Marker::attribution; }
                break;
            }
        }
    }
    if (auto s = header_block_at(L, i)) { start = *s; return Marker::strong; }
    return Marker::none;
}

// Line-wise classification of a range without quote headers: '>' lines are quoted, a line
// wrapped out of a '>' block (between two '>' lines) is quoted, blank lines follow the line above.
void classify_linewise(const Lines& L, std::size_t from, std::size_t to, std::vector<LineKind>& kinds,
                       LineKind before) {
    LineKind prev = before;
    for (std::size_t i = from; i < to; ++i) {
        if (L.blank(i)) { kinds[i] = prev; continue; }
        if (L.gt(i)) { kinds[i] = prev = LineKind::quoted; continue; }
        bool sandwiched = i > from && L.gt(i - 1) && i + 1 < to && L.gt(i + 1);
        kinds[i] = prev = sandwiched ? LineKind::quoted : LineKind::new_text;
    }
    // A blank line between new text and a following quote stays with the new text already;
    // blank lines right before new text after a quote belong to the quote, which is harmless.
}

bool is_delimiter(std::string_view line) {
    std::string_view r = line;
    while (!r.empty() && (r.back() == '\r' || r.back() == ' ' || r.back() == '\t')) r.remove_suffix(1);
    std::string_view t = trim(line);
    if (r == "--" || t == "--" || t == "\xE2\x80\x94" /* — */ || t == "__") return true;
    // A rule of dashes or underscores alone on its line ("----------------").
    return t.size() >= 2 && t.size() <= 40 &&
           (t.find_first_not_of('-') == std::string_view::npos || t.find_first_not_of('_') == std::string_view::npos);
}

bool looks_like_contact(std::string_view t) {
    std::string_view f = fold_head(t, 16);  // only prefixes of at most 8 characters are tested
    int digits = 0;
    for (char c : t) if (c >= '0' && c <= '9') ++digits;
    if (t.find('@') != std::string_view::npos && t.find(' ') == std::string_view::npos) return true;
    if (t.find("http") != std::string_view::npos || t.find("www.") != std::string_view::npos) return true;
    if (digits >= 7 && t.size() < 60) return true;   // a phone or fax number
    return starts_with(f, "tel ") || starts_with(f, "phone") || starts_with(f, "mobile") ||
           starts_with(f, "fax") || starts_with(f, "portable") || starts_with(f, "mob ") ||
           starts_with(f, "cell") || starts_with(f, "t ") || starts_with(f, "m ") || starts_with(f, "p ");
}

// A line that can sit in a signature block: short, and not a sentence.
bool signature_like(std::string_view t) {
    if (t.size() > 90) return false;
    if (t.size() > 45 && (t.back() == '.' || t.back() == '?' || t.back() == '!' || t.back() == ':')) return false;
    if (t.back() == '?') return false;
    return true;
}

// False when line cannot hold a disclaimer key (below) by a test on its bytes: its first 300 bytes
// are ASCII and contain, in any case, none of the words one of each key's words contains. For an
// ASCII line the fold is its words lower-cased, so a key found in it has each of its words (the
// last one at least as a prefix, which still holds the needle) written in the line. True (only
// the fold can tell) when a needle is there or a byte >= 0x80 comes first. is_disclaimer runs on
// every line of a body's last paragraph, often a whole patch on list mail.
bool may_be_disclaimer(std::string_view line) {
    static const std::array<std::string_view, 10> needles = {
        "confidenti", "imprimer", "before", "intended", "destinataire", "disclaimer", "privileged", "environ",
        "strict", "virus"};
    // 1: a needle's first letter (either case), 2: a byte >= 0x80.
    static const std::array<unsigned char, 256> kind = [] {
        std::array<unsigned char, 256> t{};
        for (int b = 0x80; b < 256; ++b) t[b] = 2;
        for (std::string_view nd : needles) {
            t[static_cast<unsigned char>(nd[0])] = 1;
            t[static_cast<unsigned char>(nd[0] - 32)] = 1;
        }
        return t;
    }();
    // Bit (first letter - 'a') * 32 + (second letter - 'a') is set for each needle's first two letters.
    static const std::array<std::uint32_t, 32> second = [] {
        std::array<std::uint32_t, 32> t{};
        for (std::string_view nd : needles) t[(nd[0] - 'a') & 31] |= 1u << ((nd[1] - 'a') & 31);
        return t;
    }();
    const std::string_view head = line.substr(0, 300);
    std::size_t i = 0;
#if defined(__SSE2__)
    // The answer is whether the head has a byte >= 0x80 or a needle anywhere (the loop below
    // returns true at the first of either). Sixteen bytes at a time: any byte >= 0x80 first,
    // then only the positions whose two bytes, lower-cased (| 0x20, exact for letters), are some
    // needle's first two letters are compared with the needles (the byte loop took a table
    // look-up per byte, and most letters of a patch are some needle's first letter).
    {
        const auto* s = reinterpret_cast<const unsigned char*>(head.data());
        const std::size_t n = head.size();
        std::size_t j = 0;
        for (; j + 16 <= n; j += 16)
            if (_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j)))) return true;
        for (; j < n; ++j)
            if (s[j] >= 0x80) return true;
        const __m128i lower = _mm_set1_epi8(0x20);
        for (; i + 17 <= n; i += 16) {
            const __m128i a = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)), lower);
            const __m128i b = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 1)), lower);
            __m128i hit = _mm_setzero_si128();
            for (std::string_view nd : needles)
                hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(a, _mm_set1_epi8(nd[0])), _mm_cmpeq_epi8(b, _mm_set1_epi8(nd[1]))));
            for (auto m = static_cast<unsigned>(_mm_movemask_epi8(hit)); m; m &= m - 1) {
                const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(m));
                for (std::string_view nd : needles) {
                    if (nd[0] != static_cast<char>(s[at] | 0x20) || n - at < nd.size()) continue;
                    std::size_t k = 1;
                    while (k < nd.size() && static_cast<char>(s[at + k] | 0x20) == nd[k]) ++k;
                    if (k == nd.size()) return true;
                }
            }
        }
        // The last 16 bytes or fewer: the loop below.
    }
#endif
    for (; i < head.size(); ++i) {
        const unsigned char k = kind[static_cast<unsigned char>(head[i])];
        if (k == 0) continue;
        if (k == 2) return true;
        // (A byte >= 0x80 after a needle's first letter is found by the next round.)
        if (i + 1 == head.size()) break;
        const unsigned char c1 = static_cast<unsigned char>(head[i + 1] | 0x20);
        if (c1 < 'a' || c1 > 'z' || !((second[(head[i] | 0x20) - 'a'] >> (c1 - 'a')) & 1u)) continue;
        const char c = static_cast<char>(head[i] | 0x20);
        for (std::string_view nd : needles) {
            if (nd[0] != c || head.size() - i < nd.size()) continue;
            std::size_t m = 1;
            while (m < nd.size() && static_cast<char>(head[i + m] | 0x20) == nd[m]) ++m;
            if (m == nd.size()) return true;
        }
    }
    return false;
}

bool is_disclaimer(std::string_view line) {
    if (!may_be_disclaimer(line)) return false;
    thread_local std::string f;  // " " + fold(head) + " ", in a buffer kept per thread
    f.assign(1, ' ');
    fold_append(f, line.substr(0, 300), 1);
    f += ' ';
    static const std::array<std::string_view, 16> keys = {
        " confidentiel", " confidential", " avant d imprimer", " before printing", " before you print",
        " intended recipient", " intended solely", " destinataire", " disclaimer", " privileged",
        " ne pas imprimer", " l environnement ", " the environment ", " strictement interdit",
        " strictly prohibited", " virus"};
    // Whether f contains any key, in one pass instead of one find per key: every key is a space
    // then a letter, so it can only occur at a space followed by one of the keys' second bytes.
    static const std::array<bool, 256> second = [] {
        std::array<bool, 256> t{};
        for (std::string_view k : keys) t[static_cast<unsigned char>(k[1])] = true;
        return t;
    }();
    const std::string_view v(f);
    for (std::size_t p = 0; p + 1 < v.size(); ++p) {
        if (v[p] != ' ' || !second[static_cast<unsigned char>(v[p + 1])]) continue;
        for (std::string_view k : keys)
            if (k[1] == v[p + 1] && v.compare(p, k.size(), k) == 0) return true;
    }
    return false;
}

void join_into(std::string& out, std::string_view line) {
    if (!out.empty()) out += '\n';
    out.append(line);
}

}  // namespace

bool is_mobile_footer(std::string_view line) {
    std::string_view t = trim(line);
    if (t.size() > 90) return false;
    if (!may_start_with_pair(t, kMobilePairs)) return false;  // the phrases' first two letters
    std::string_view f = fold_head(t, 32);  // only prefixes shorter than 32 characters are tested
    return starts_with(f, "sent from my") || starts_with(f, "envoye de mon") || starts_with(f, "envoye depuis") ||
           starts_with(f, "sent from outlook") || starts_with(f, "sent from mail for") ||
           starts_with(f, "sent from yahoo") || starts_with(f, "sent from samsung") ||
           starts_with(f, "sent with ") || starts_with(f, "sent via ") || starts_with(f, "get outlook for") ||
           starts_with(f, "telechargez outlook") || starts_with(f, "obtenir outlook") ||
           starts_with(f, "envoye a partir de") || starts_with(f, "sent using") ||
           starts_with(f, "von meinem") || starts_with(f, "sent from gmail");
}

namespace {

// The closing formulas, folded, word by word.
const std::vector<std::vector<std::string>>& closing_formulas() {
    static const std::vector<std::vector<std::string>> closings = {
        {"cordialement"}, {"bien", "cordialement"}, {"tres", "cordialement"}, {"bien", "a", "vous"},
        {"bien", "a", "toi"}, {"salutations"}, {"sinceres", "salutations"}, {"meilleures", "salutations"},
        {"bonne", "journee"}, {"bonne", "soiree"}, {"bonne", "fin", "de", "journee"}, {"a", "bientot"},
        {"a", "tres", "vite"}, {"a", "tres", "bientot"}, {"merci"}, {"merci", "beaucoup"}, {"merci", "encore"},
        {"merci", "d", "avance"}, {"merci", "par", "avance"}, {"mille", "mercis"}, {"amicalement"},
        {"amities"}, {"bises"}, {"au", "plaisir"}, {"best", "regards"}, {"kind", "regards"}, {"warm", "regards"},
        {"warmest", "regards"}, {"regards"}, {"best"}, {"best", "wishes"}, {"all", "the", "best"}, {"thanks"},
        {"thank", "you"}, {"many", "thanks"}, {"thanks", "again"}, {"thanks", "in", "advance"}, {"thx"},
        {"cheers"}, {"sincerely"}, {"yours", "sincerely"}, {"sincerely", "yours"}, {"yours"},
        {"respectfully"}, {"take", "care"}, {"talk", "soon"}, {"speak", "soon"}, {"rgds"}, {"br"},
        {"cdlt"}, {"bàv"}, {"bav"}, {"with", "best", "regards"}, {"with", "kind", "regards"},
        {"bien", "a", "vous", "cordialement"}, {"en", "vous", "remerciant"}, {"je", "vous", "remercie"},
        {"thanks", "so", "much"}, {"thank", "you", "very", "much"}, {"best", "rgds"}, {"kindest", "regards"},
        {"have", "a", "nice", "day"}, {"have", "a", "great", "day"}, {"bonne", "semaine"}, {"bon", "week", "end"},
    };
    return closings;
}

// The distinct first words of the closing formulas: a line whose first word is none of them is
// no closing, without comparing it with all 65 formulas (is_closing_line runs on many lines).
// The closing formulas' indices by their first word, each list in the formulas' order.
const detail::WordIndex<std::size_t>& closing_index() {
    static const detail::WordIndex<std::size_t> index = [] {
        detail::WordIndex<std::size_t> i;
        const auto& all = closing_formulas();
        for (std::size_t k = 0; k < all.size(); ++k) i[all[k][0]].push_back(k);
        return i;
    }();
    return index;
}

bool starts_some_closing(std::string_view first) {
    static const std::vector<std::string> firsts = [] {
        std::vector<std::string> v;
        for (const auto& c : closing_formulas())
            if (std::find(v.begin(), v.end(), c[0]) == v.end()) v.push_back(c[0]);
        return v;
    }();
    // Bit min(size, 31) of [initial] is set when some first word has that initial and length:
    // most words are rejected without comparing them with the ~40 first words.
    static const std::array<std::uint32_t, 256> initial_len = [] {
        std::array<std::uint32_t, 256> t{};
        for (const std::string& w : firsts)
            if (!w.empty()) t[static_cast<unsigned char>(w[0])] |= 1u << std::min<std::size_t>(w.size(), 31);
        return t;
    }();
    if (!first.empty() && !((initial_len[static_cast<unsigned char>(first[0])] >> std::min<std::size_t>(first.size(), 31)) & 1u))
        return false;
    return closing_index().find(first) != nullptr;  // std::find(firsts, first) != end, hashed
}

// Whether some closing formula's first word starts with `prefix` (compared byte by byte: the
// prefixes are a few letters, and a memcmp call per formula cost more).
bool some_closing_starts_with(std::string_view prefix) {
    for (const auto& c : closing_formulas()) {
        const std::string& w = c[0];
        if (w.size() < prefix.size()) continue;
        std::size_t k = 0;
        while (k < prefix.size() && w[k] == prefix[k]) ++k;
        if (k == prefix.size()) return true;
    }
    return false;
}

}  // namespace

bool is_closing_line(std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty() || t.size() > 60 || t.back() == '?') return false;
    // Most lines are no closing: when t's first word is plain ASCII (ASCII letters and digits after
    // ASCII separators, ended by an ASCII separator or t's end) it is tokenize(t)[0], lower-cased,
    // and no closing starts so, the line is rejected without folding it. A byte >= 0x80 before
    // the word's end leaves the decision to the fold below.
    {
        auto alnum = [](unsigned char b) { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'); };
        std::size_t i = 0;
        while (i < t.size() && static_cast<unsigned char>(t[i]) < 0x80 && !alnum(static_cast<unsigned char>(t[i]))) ++i;
        std::size_t j = i;
        char first[64];  // t.size() <= 60
        while (j < t.size() && alnum(static_cast<unsigned char>(t[j]))) {
            const char c = t[j];
            first[j - i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
            ++j;
        }
        const bool plain = j == t.size() || static_cast<unsigned char>(t[j]) < 0x80;
        if (plain && j > i && !starts_some_closing(std::string_view(first, j - i))) return false;
        if (plain && j == i) return false;  // no word at all (only ASCII separators)
        // A byte >= 0x80 right after ASCII letters ("Benoît"): the first folded word starts with
        // them (or is them, when that character folds to a separator), so no closing's first word
        // starting so rejects the line too.
        if (!plain && j > i && !some_closing_starts_with(std::string_view(first, j - i))) return false;
    }
    // tokenize(t), without a string per word: norm(k) is tokenize(t)[k].norm. Into buffers kept
    // per thread (this runs on many lines of every body's end; no allocation per line).
    thread_local FoldedText scratch;
    fold_words_into(scratch, t);
    const FoldedText& toks = scratch;
    if (toks.words.empty()) return false;
    // The formulas by their first word (closing_index): the loop below skips (continue) every
    // formula whose first word is not the line's, so only that list is walked (and no list means
    // starts_some_closing is false: no formula).
    const std::vector<std::size_t>* formulas = closing_index().find(toks.norm(0));
    if (!formulas) return false;
    const std::size_t ntoks = toks.words.size();
    for (const std::size_t ci : *formulas) {
        const std::vector<std::string>& c = closing_formulas()[ci];
        if (ntoks < c.size()) continue;
        bool ok = true;
        for (std::size_t k = 0; k < c.size() && ok; ++k) ok = toks.norm(k) == c[k];
        if (!ok) continue;
        std::size_t rest = ntoks - c.size();
        if (rest == 0) return true;
        // "Thanks, John" / "Cordialement - Jean Dupont": a closing then a short name.
        std::string_view after = t.substr(toks.words[c.size() - 1].end);
        after = trim(after);
        if (rest <= 3 && !after.empty() && (after[0] == ',' || after[0] == '-' || after[0] == '!' ||
                                            starts_with(after, "\xE2\x80\x93")))
            return true;
        // "Thanks for your help." and the like: a closing sentence.
        if (rest <= 4 && (toks.norm(0) == "thanks" || toks.norm(0) == "merci" || toks.norm(0) == "thank"))
            return t.back() == '.' || t.back() == '!' || t.back() == ',';
    }
    return false;
}

BodySplit split_body(std::string_view text) {
    BodySplit out;
    std::string_view scanned = text;
    if (scanned.size() > kMaxScan) {
        std::size_t cut = text.rfind('\n', kMaxScan);
        scanned = text.substr(0, cut == std::string_view::npos ? kMaxScan : cut + 1);
        out.truncated = true;
    }
    Lines L;
    {
        std::size_t i = 0;
        while (i < scanned.size()) {
            std::size_t j = scanned.find('\n', i);
            if (j == std::string_view::npos) j = scanned.size();
            std::string_view line = scanned.substr(i, j - i);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            L.v.push_back({line, {}, false});
            i = j + 1;
        }
    }
    const std::size_t n = L.size();
    std::vector<LineKind> kinds(n, LineKind::new_text);

    // 1. The first quote header.
    std::size_t header = n, header_start = n;
    Marker marker = Marker::none;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t s = i;
        Marker m = quote_marker_at(L, i, s);
        if (m != Marker::none) { header = i; header_start = s; marker = m; break; }
    }
    bool written_before = false;
    for (std::size_t i = 0; i < header_start; ++i)
        if (!L.blank(i) && !L.gt(i)) { written_before = true; break; }

    if (header_start < n && !written_before && marker == Marker::attribution) {
        // Bottom-posted or interleaved reply: "On … wrote:" first, then '>' lines and the answers.
        std::size_t next = n;
        for (std::size_t i = header + 1; i < n; ++i) {
            std::size_t s = i;
            if (quote_marker_at(L, i, s) != Marker::none) { next = s; break; }
        }
        for (std::size_t i = 0; i <= header; ++i) kinds[i] = LineKind::quoted;
        classify_linewise(L, header + 1, next, kinds, LineKind::quoted);
        for (std::size_t i = next; i < n; ++i) kinds[i] = LineKind::quoted;
        // No answer at all between the quotes: then the whole thing is quoted history.
    } else {
        classify_linewise(L, 0, header_start, kinds, LineKind::new_text);
        for (std::size_t i = header_start; i < n; ++i) kinds[i] = LineKind::quoted;
    }
    out.quote_header_line = header_start;

    // 2. The signature, at the end of the last run of new lines.
    std::size_t b = n;
    while (b > 0 && kinds[b - 1] != LineKind::new_text) --b;
    while (b > 0 && L.blank(b - 1) && kinds[b - 1] == LineKind::new_text) --b;
    std::size_t a = b;
    while (a > 0 && kinds[a - 1] == LineKind::new_text) --a;
    // Legal disclaimers and "think before printing" footers end many corporate mails after the
    // signature; they belong to the signature and must not hide it from the search below.
    const std::size_t block_end = b;
    while (b > a) {
        std::size_t p = b;
        while (p > a && !L.blank(p - 1)) --p;
        bool disclaimer = false;
        for (std::size_t i = p; i < b && !disclaimer; ++i) disclaimer = is_disclaimer(L[i]);
        if (!disclaimer || p == a) break;
        b = p;
        while (b > a && L.blank(b - 1)) --b;
    }
    if (b > a) {
        std::size_t sig = b;
        // (a) "-- " delimiter (RFC 3676 section 4.3 names "-- " the signature separator).
        for (std::size_t i = b; i > a && b - i < 25; --i) {
            if (is_delimiter(L[i - 1])) { sig = i - 1; break; }
        }
        // (b) a closing line followed by a short signature-like block.
        if (sig == b) {
            int nonblank = 0;
            for (std::size_t i = b; i > a && nonblank <= 10; --i) {
                std::string_view t = L.trimmed(i - 1);
                if (t.empty()) continue;
                if (is_closing_line(t)) {
                    if (i < b) sig = i;  // the lines after the closing
                    break;
                }
                if (!signature_like(t)) break;
                ++nonblank;
            }
        }
        // (c) a mobile footer among the last lines starts the signature when nothing earlier does.
        for (std::size_t i = b, seen = 0; i > a && seen < 3; --i) {
            if (L.blank(i - 1)) continue;
            ++seen;
            if (is_mobile_footer(L[i - 1]) && i - 1 < sig) sig = i - 1;
        }
        // (d) a trailing contact block (name, address, phone, e-mail lines) after a blank line.
        if (sig == b) {
            std::size_t i = b;
            int count = 0, contacts = 0;
            bool ok = true;
            while (i > a && !L.blank(i - 1)) {
                std::string_view t = L.trimmed(i - 1);
                if (!signature_like(t) || t.size() > 60) { ok = false; break; }
                if (looks_like_contact(t)) ++contacts;
                ++count;
                --i;
            }
            if (ok && i > a && count >= 2 && count <= 8 && contacts >= 1) sig = i;
        }
        // Skip blank lines at the head of the signature: they stay with the new text.
        while (sig < b && L.blank(sig)) ++sig;
        if (sig == b && block_end > b) {  // only a disclaimer: it is the signature
            sig = b;
            while (sig < block_end && L.blank(sig)) ++sig;
        }
        b = block_end;
        for (std::size_t i = sig; i < b; ++i) kinds[i] = LineKind::signature;
        // Blank lines between the signature and the quote go with the signature.
        for (std::size_t i = b; i < n && sig < b && kinds[i] == LineKind::new_text && L.blank(i); ++i)
            kinds[i] = LineKind::signature;
    }

    auto part_of = [&](LineKind k) -> std::string& {
        return k == LineKind::new_text ? out.new_text : k == LineKind::signature ? out.signature : out.quoted;
    };
    // Each part joins its lines with '\n' (join_into line by line). Its size is reserved first, and
    // a run of lines of one part that are contiguous in the body (each line's '\n' right before
    // the next, no '\r' dropped) is appended as one slice of the body: the same bytes, since
    // join_into puts a '\n' before every line once the part is not empty. An empty line joined to
    // an empty part appends nothing and is skipped (the part stays empty, as join_into leaves it).
    {
        std::size_t sizes[3] = {0, 0, 0};
        for (std::size_t i = 0; i < n; ++i) sizes[static_cast<int>(kinds[i])] += L[i].size() + 1;
        if (out.truncated) sizes[static_cast<int>(header_start < n ? LineKind::quoted : LineKind::new_text)] +=
            text.size() - scanned.size() + 1;
        for (LineKind k : {LineKind::new_text, LineKind::signature, LineKind::quoted})
            part_of(k).reserve(sizes[static_cast<int>(k)]);
    }
    for (std::size_t i = 0; i < n;) {
        std::string& part = part_of(kinds[i]);
        if (part.empty() && L[i].empty()) { ++i; continue; }
        const char* begin = L[i].data();
        const char* end = begin + L[i].size();
        std::size_t j = i + 1;
        while (j < n && kinds[j] == kinds[i] && L[j].data() == end + 1) {
            end = L[j].data() + L[j].size();
            ++j;
        }
        join_into(part, std::string_view(begin, static_cast<std::size_t>(end - begin)));
        i = j;
    }
    if (out.truncated) {
        std::string_view tail = text.substr(scanned.size());
        std::string& part = header_start < n ? out.quoted : out.new_text;
        join_into(part, tail);
    }
    // Trim trailing blank lines of each part; they carry nothing.
    for (std::string* s : {&out.new_text, &out.signature, &out.quoted}) {
        while (!s->empty() && (s->back() == '\n' || s->back() == ' ' || s->back() == '\r')) s->pop_back();
    }
    out.lines = std::move(kinds);
    return out;
}

}  // namespace ilc::text
