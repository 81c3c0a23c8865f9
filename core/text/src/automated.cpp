#include "interlocutor/civil_date.h"
#include "interlocutor/text/automated.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <vector>

#include "interlocutor/text/cues.h"
#include "interlocutor/text/normalize.h"
#include "word_index.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::text {

namespace {

bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }
// s.substr(0, p.size()) == p, with no call (the header tests below make dozens per message).
bool starts_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && (p.empty() || std::memcmp(s.data(), p.data(), p.size()) == 0);
}

// A string searched for many fixed needles (the mailer names, the no-reply parts): the set of
// byte values it holds is made once, and a needle with a byte it lacks is known absent without a
// search (contains() answers the same). Most needles are rejected so, instead of a memchr and
// compares per needle.
class Haystack {
public:
    explicit Haystack(std::string_view s) : s_(s) {
        for (unsigned char c : s) bits_[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
    bool contains(std::string_view p) const {
        for (unsigned char c : p)
            if (!((bits_[c >> 6] >> (c & 63)) & 1u)) return false;
        return s_.find(p) != std::string_view::npos;
    }

private:
    std::string_view s_;
    std::uint64_t bits_[4] = {};
};

// ASCII 'A'-'Z' lower-cased in place, sixteen bytes at a time (the byte loop, run on every
// message's sender, headers and recipients, was not vectorized and cost more than the tests
// that read its result). Other bytes are left as they are.
void lower_ascii_in_place(std::string& r) {
    char* p = r.data();
    const std::size_t n = r.size();
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i), _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
    }
#endif
    for (; i < n; ++i)
        if (p[i] >= 'A' && p[i] <= 'Z') p[i] = static_cast<char>(p[i] + 32);
}

std::string lower_ascii(std::string_view s) {
    std::string r(s);
    lower_ascii_in_place(r);
    return r;
}

// A fixed list of folded phrases written " word word ", looked for in a folded text padded with
// spaces. One pass over the text: at each word start the word is looked up among the phrases'
// first words, and only those phrases are compared, instead of one std::string::find per phrase
// (each of which stops at every space of the text, since the phrases start with one). Finds
// exactly what `text.find(phrase) != npos` finds for every phrase.
class PhraseSet {
public:
    template <std::size_t N>
    explicit PhraseSet(const std::array<std::string_view, N>& phrases)
        : PhraseSet(std::vector<std::string_view>(phrases.begin(), phrases.end())) {}

    // Two lists as one set (phrase k of the second list is phrase N + k), scanned in one pass.
    template <std::size_t N, std::size_t M>
    PhraseSet(const std::array<std::string_view, N>& a, const std::array<std::string_view, M>& b)
        : PhraseSet(concat(a, b)) {}

    explicit PhraseSet(std::vector<std::string_view> phrases) : phrases_(std::move(phrases)) {
        for (std::size_t k = 0; k < phrases_.size(); ++k) {
            std::string_view p = phrases_[k];
            std::size_t sp = p.size() > 1 ? p.find(' ', 1) : std::string_view::npos;
            bool regular = p.size() > 2 && p.front() == ' ' && p.back() == ' ' && p[1] != ' ' &&
                           p.find("  ") == std::string_view::npos && sp != std::string_view::npos;
            if (!regular) { irregular_.push_back(k); continue; }
            std::string_view first = p.substr(1, sp - 1);
            by_first_[first].push_back(k);
            mark(first);
            // The two bytes a match leaves at the word start: the word's first two, or its only
            // letter and the space after it.
            const std::size_t pr = pair_of(first[0], first.size() > 1 ? first[1] : ' ');
            pairs_[pr >> 6] |= std::uint64_t{1} << (pr & 63);
        }
    }

    std::size_t size() const { return phrases_.size(); }

    // found[k] is set for every phrase k that occurs in text; returns how many distinct ones do.
    // stop_at_first: return as soon as one is found (found is then incomplete).
    std::size_t scan(std::string_view text, std::vector<char>& found, bool stop_at_first) const {
        return scan_until(text, found, [&](std::size_t) { return stop_at_first; });
    }

    // scan() that returns as soon as stop(k) is true for a phrase k just found (found is then
    // incomplete: it holds the phrases found so far).
    template <class Stop>
    std::size_t scan_until(std::string_view text, std::vector<char>& found, Stop stop) const {
        found.assign(phrases_.size(), 0);
        std::size_t hits = 0;
        for (std::size_t k : irregular_)
            if (text.find(phrases_[k]) != std::string_view::npos) {
                found[k] = 1;
                ++hits;
                if (stop(k)) return hits;
            }
        const std::size_t n = text.size();
        // Every word start s (a byte other than ' ' right after a ' '), in order. Words are
        // visited from the spaces before them, found sixteen bytes at a time, and most are
        // rejected on their first two bytes (pairs_) before their end is looked for: the word by
        // word walk (the end of each word, then a (first byte, length) filter) was most of the
        // out-of-office and footer scans. Returns false to stop the scan (a stop, or no space
        // after this word: then no later word has one either, so none can start a phrase).
        auto visit = [&](std::size_t s) __attribute__((always_inline)) -> bool {
            if (s >= n || text[s] == ' ') return true;
            if (s + 1 == n) return false;  // a phrase needs a space after its first word
            if (!pair_marked(text[s], text[s + 1])) return true;
            const std::size_t e = next_space(text, s + 1);
            if (e == n) return false;
            // Most words are no phrase's first word: a (first byte, length) filter skips hashing them.
            if (!marked(text.substr(s, e - s))) return true;
            if (const auto* list = by_first_.find(text.substr(s, e - s))) {
                for (std::size_t k : *list) {
                    if (found[k]) continue;
                    std::string_view p = phrases_[k];
                    if (text.compare(s - 1, p.size(), p) != 0) continue;
                    found[k] = 1;
                    ++hits;
                    if (stop(k)) return false;
                }
            }
            return true;
        };
        std::size_t b = 0;
#if defined(__SSE2__)
        for (; b + 16 <= n; b += 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + b));
            auto spaces = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' '))));
            while (spaces) {
                if (!visit(b + static_cast<std::size_t>(__builtin_ctz(spaces)) + 1)) return hits;
                spaces &= spaces - 1;
            }
        }
#endif
        for (; b < n; ++b)
            if (text[b] == ' ' && !visit(b + 1)) return hits;
        return hits;
    }

    bool any(std::string_view text) const {
        thread_local std::vector<char> found;  // kept per thread: no allocation per scan
        return scan(text, found, true) > 0;
    }

private:
    // The first ' ' of text at or after e, or text.size(): eight bytes at a time (words are short,
    // and a memchr call per word, or a byte loop, cost more than the rest of the scan).
    static std::size_t next_space(std::string_view text, std::size_t e) {
        const std::size_t n = text.size();
        // (The lowest zero byte is the first one in memory on little-endian machines only.)
        while (std::endian::native == std::endian::little && e + 8 <= n) {
            std::uint64_t x;
            std::memcpy(&x, text.data() + e, 8);
            const std::uint64_t y = x ^ 0x2020202020202020ull;  // a zero byte where x has a space
            const std::uint64_t z = (y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull;
            if (z) return e + (static_cast<std::size_t>(__builtin_ctzll(z)) >> 3);  // the first zero (little-endian)
            e += 8;
        }
        while (e < n && text[e] != ' ') ++e;
        return e;
    }
    template <std::size_t N, std::size_t M>
    static std::vector<std::string_view> concat(const std::array<std::string_view, N>& a,
                                                const std::array<std::string_view, M>& b) {
        std::vector<std::string_view> r(a.begin(), a.end());
        r.insert(r.end(), b.begin(), b.end());
        return r;
    }
    static std::size_t pair_of(char a, char b) {
        return static_cast<std::size_t>(static_cast<unsigned char>(a)) << 8 | static_cast<unsigned char>(b);
    }
    bool pair_marked(char a, char b) const {
        const std::size_t pr = pair_of(a, b);
        return (pairs_[pr >> 6] >> (pr & 63)) & 1u;
    }
    void mark(std::string_view w) { first_len_[static_cast<unsigned char>(w[0])] |= 1u << std::min<std::size_t>(w.size(), 31); }
    bool marked(std::string_view w) const {
        return (first_len_[static_cast<unsigned char>(w[0])] >> std::min<std::size_t>(w.size(), 31)) & 1u;
    }
    std::array<std::uint32_t, 256> first_len_{};
    std::array<std::uint64_t, 1024> pairs_{};  // bit (b0 << 8 | b1): some first word starts so (above)
    std::vector<std::string_view> phrases_;
    std::vector<std::size_t> irregular_;
    detail::WordIndex<> by_first_;
};

using ilc::days_from_civil;  // interlocutor/civil_date.h

int year_of(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm.tm_year + 1900;
}

int month_from_word(const std::string& w) {
    static const std::array<std::pair<std::string_view, int>, 40> months = {{
        {"janvier", 1}, {"janv", 1}, {"january", 1}, {"jan", 1}, {"fevrier", 2}, {"fevr", 2}, {"fev", 2},
        {"february", 2}, {"feb", 2}, {"mars", 3}, {"march", 3}, {"mar", 3}, {"avril", 4}, {"april", 4},
        {"avr", 4}, {"apr", 4}, {"mai", 5}, {"may", 5}, {"juin", 6}, {"june", 6}, {"jun", 6},
        {"juillet", 7}, {"juil", 7}, {"july", 7}, {"jul", 7}, {"aout", 8}, {"august", 8}, {"aug", 8},
        {"septembre", 9}, {"september", 9}, {"sept", 9}, {"sep", 9}, {"octobre", 10}, {"october", 10},
        {"oct", 10}, {"novembre", 11}, {"november", 11}, {"nov", 11}, {"decembre", 12}, {"december", 12},
    }};
    for (const auto& [name, m] : months) if (w == name) return m;
    if (w == "dec") return 12;
    return 0;
}

int parse_day(const std::string& w) {
    // "17", "17th", "1st", "2nd", "3rd", "1er".
    std::size_t i = 0;
    int d = 0;
    while (i < w.size() && i < 2 && w[i] >= '0' && w[i] <= '9') d = d * 10 + (w[i++] - '0');
    if (i == 0) return 0;
    std::string rest = w.substr(i);
    if (!(rest.empty() || rest == "th" || rest == "st" || rest == "nd" || rest == "rd" || rest == "er" ||
          rest == "eme"))
        return 0;
    return d >= 1 && d <= 31 ? d : 0;
}

bool is_number(const std::string& w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct DateHit { int y = 0, m = 0, d = 0; };

// Reads a date starting at token i: "15 novembre [2025]", "November 17th[, 2025]", "17/11[/2025]"
// (FR order) or "11/17" (EN order, when the words around are English), "2025-11-17".
bool read_date(const std::vector<Token>& toks, std::string_view text, std::size_t i, bool english,
               DateHit& out) {
    const std::string& w = toks[i].norm;
    auto year_at = [&](std::size_t k) -> int {
        if (k < toks.size() && is_number(toks[k].norm) && toks[k].norm.size() == 4) return std::stoi(toks[k].norm);
        return 0;
    };
    // Numeric forms: the tokens are separated by '/', '.' or '-' in the text.
    if (is_number(w) && i + 1 < toks.size() && is_number(toks[i + 1].norm)) {
        std::string_view sep = text.substr(toks[i].end, toks[i + 1].begin - toks[i].end);
        if (sep == "/" || sep == "." || sep == "-") {
            int a = std::stoi(w.substr(0, 4)), b = std::stoi(toks[i + 1].norm.substr(0, 4));
            int c = 0;
            if (i + 2 < toks.size() && is_number(toks[i + 2].norm) &&
                text.substr(toks[i + 1].end, toks[i + 2].begin - toks[i + 1].end) == sep)
                c = std::stoi(toks[i + 2].norm.substr(0, 4));
            if (w.size() == 4) {  // ISO 2025-11-17
                out = {a, b, c};
            } else {
                int day = english ? b : a, month = english ? a : b;
                if (month > 12 && day <= 12) std::swap(day, month);
                int year = c ? (c < 100 ? 2000 + c : c) : 0;
                out = {year, month, day};
            }
            return out.m >= 1 && out.m <= 12 && out.d >= 1 && out.d <= 31;
        }
    }
    if (int d = parse_day(w); d && i + 1 < toks.size()) {
        std::size_t k = i + 1;
        if (toks[k].norm == "of" && k + 1 < toks.size()) ++k;
        if (int m = month_from_word(toks[k].norm)) { out = {year_at(k + 1), m, d}; return true; }
    }
    if (int m = month_from_word(w); m && i + 1 < toks.size()) {
        if (int d = parse_day(toks[i + 1].norm)) { out = {year_at(i + 2), m, d}; return true; }
    }
    return false;
}

}  // namespace

bool is_noreply_address(std::string_view address) {
    std::string a = lower_ascii(address);
    std::size_t at = a.find('@');
    std::string local = at == std::string::npos ? a : a.substr(0, at);
    static const std::array<std::string_view, 12> exact = {
        "postmaster", "mailer-daemon", "mailerdaemon", "notifications", "notification", "notify",
        "alerts", "alert", "daemon", "auto-reply", "autoreply", "newsletter"};
    for (auto e : exact) if (local == e) return true;
    static const std::array<std::string_view, 9> parts = {
        "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "nepasrepondre",
        "ne-pas-repondre", "ne_pas_repondre"};
    const Haystack hl(local);
    for (auto p : parts) if (hl.contains(p)) return true;
    return starts_with(local, "bounce") || starts_with(local, "mailer-daemon") ||
           starts_with(local, "owner-") || hl.contains("-bounces") || starts_with(local, "bounces");
}

namespace {

// is_ooo_subject(subject) from f = fold(subject.substr(0, 400)) (classify_automated folds the
// subject once for this and its bounce test).
bool is_ooo_subject_folded(std::string_view subject, std::string_view f) {
    // Written padded so that a phrase matches whole words only, as " subject " is padded below.
    static const std::array<std::string_view, 22> anywhere = {
        " absence du bureau ", " reponse automatique ", " out of office ", " out of the office ", " automatic reply ",
        " auto reply ", " autoreply ", " auto response ", " autoresponse ", " abwesenheit ", " abwesenheitsnotiz ",
        " message d absence ", " absent du bureau ", " absente du bureau ", " i am away ", " away from the office ",
        " on vacation ", " en conges ", " vacation reply ", " office closed ", " automatische antwort ",
        " risposta automatica "};
    static const PhraseSet anywhere_set(anywhere);
    std::string padded;
    padded.reserve(f.size() + 2);
    padded += ' ';
    padded += f;
    padded += ' ';
    if (anywhere_set.any(padded)) return true;
    // "Auto:", "Automatique :", "[Auto-Reply]" at the head of the subject.
    std::string lead = lower_ascii(subject.substr(0, 20));
    return starts_with(lead, "auto:") || starts_with(lead, "automatique") || starts_with(lead, "[auto") ||
           starts_with(f, "absence ") || f == "absence";
}

}  // namespace

bool is_ooo_subject(std::string_view subject) { return is_ooo_subject_folded(subject, fold(subject.substr(0, 400))); }

namespace {

// is_ooo_body on f = " " + fold(body.substr(0, 1500)) + " ".
bool is_ooo_folded(std::string_view f) {
    static const std::array<std::string_view, 26> phrases = {
        " je suis absent ", " je suis absente ", " je serai absent ", " je serai absente ",
        " actuellement absent ", " actuellement absente ", " absent du bureau ", " absente du bureau ",
        " en conges ", " je suis en deplacement ", " sans acces a mes mails ", " sans acces a ma messagerie ",
        " out of the office ", " out of office ", " i am away ", " i m away ", " i will be away ",
        " i am currently away ", " i am on vacation ", " i m on vacation ", " on annual leave ",
        " on leave until ", " limited access to email ", " limited access to my email ",
        " ich bin bis ", " abwesend "};
    static const PhraseSet absence(phrases);
    if (!absence.any(f)) return false;
    // A person writing "I will be out of the office next week" in a real mail: require a
    // return-date formula with it (and classify_automated also requires a short body).
    static const std::array<std::string_view, 10> returns = {
        " jusqu au ", " de retour ", " retour le ", " until ", " back on ", " return on ", " returning on ",
        " back in the office ", " je reviendrai ", " i will return "};
    static const PhraseSet return_formulas(returns);
    return return_formulas.any(f);
}

// The folds classify_automated's body scans share (each used to fold its own copy):
// " " + fold(new_text + "\n" + signature), from understand()'s fold of the new text.
class SharedFolds {
public:
    SharedFolds(const Message& m, const FoldedText* new_text_folded, bool body_in_part_order)
        : m_(m),
          // new_text_folded covers the whole new text only when it is under the 64 KiB cue span.
          nf_(new_text_folded && cue_scan_span(m.new_text).size() == m.new_text.size() ? new_text_folded : nullptr),
          in_order_(body_in_part_order) {}

    // The same, the fold made on the first new_text_folded() call.
    SharedFolds(const Message& m, LazyFoldedText& lazy, bool body_in_part_order)
        : m_(m),
          lazy_(cue_scan_span(m.new_text).size() == m.new_text.size() ? &lazy : nullptr),
          in_order_(body_in_part_order) {}

    const FoldedText* new_text_folded() {
        if (lazy_) {
            nf_ = &lazy_->get();
            lazy_ = nullptr;
        }
        return nf_;
    }
    bool body_in_part_order() const { return in_order_; }

    // " " + fold(new_text + "\n" + signature): fold(new_text) continued over the signature.
    const std::string& padded_new_and_signature() {
        if (!built_) {
            new_sig_.assign(1, ' ');
            if (const FoldedText* nf = new_text_folded()) new_sig_ += nf->text;
            else fold_append(new_sig_, m_.new_text, 1);
            fold_append(new_sig_, m_.signature, 1);
            built_ = true;
        }
        return new_sig_;
    }

private:
    const Message& m_;
    const FoldedText* nf_ = nullptr;
    LazyFoldedText* lazy_ = nullptr;
    bool in_order_;
    bool built_ = false;
    std::string new_sig_;
};

// is_ooo_body(m.body_text) from the folds at hand when the body's head folds the same:
//  - the body's lines are its new text, signature and quote in that order (split_body found a
//    top-posted reply, nothing truncated): the parts differ from the body only by separators
//    (line breaks, the '\r' and trailing blanks split_body drops), so fold(body) is fold(new
//    text) continued over the signature, then the quote;
//  - the body is the new text followed by nothing but ASCII separators.
// Else the body's head is folded. Bodies over 1500 bytes (cut by is_ooo_body) are folded too.
bool is_ooo_body_of(const Message& m, SharedFolds& folds) {
    std::string_view body = m.body_text, nt = m.new_text;
    // Only a body of at most 1500 bytes reads the fold of the new text (made here if not yet).
    if (body.size() > 1500) return is_ooo_body(body);
    const FoldedText* new_text_folded = folds.new_text_folded();
    if (new_text_folded && body.size() <= 1500 && folds.body_in_part_order()) {
        std::string f = folds.padded_new_and_signature();
        fold_append(f, m.quoted, 1);
        f += ' ';
        return is_ooo_folded(f);
    }
    if (new_text_folded && body.size() <= 1500 && body.substr(0, nt.size()) == nt &&
        std::all_of(body.begin() + static_cast<std::ptrdiff_t>(nt.size()), body.end(), [](char c) {
            const auto b = static_cast<unsigned char>(c);
            return b < 0x80 && !((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'));
        })) {
        std::string f;
        f.reserve(new_text_folded->text.size() + 2);
        f += ' ';
        f += new_text_folded->text;
        f += ' ';
        return is_ooo_folded(f);
    }
    return is_ooo_body(body);
}

}  // namespace

bool is_ooo_body(std::string_view body) {
    // " " + fold(head) + " ", folded straight behind the leading space.
    std::string f(1, ' ');
    fold_append(f, body.substr(0, 1500), 1);
    f += ' ';
    return is_ooo_folded(f);
}

std::optional<int64_t> parse_return_date(std::string_view text, int64_t reference) {
    text = text.substr(0, std::min<std::size_t>(text.size(), 4000));
    std::vector<Token> toks = tokenize(text);
    int en = 0, fr = 0;
    for (const Token& t : toks) {
        if (t.norm == "the" || t.norm == "until" || t.norm == "back" || t.norm == "office" || t.norm == "i") ++en;
        if (t.norm == "le" || t.norm == "je" || t.norm == "au" || t.norm == "du" || t.norm == "retour") ++fr;
    }
    bool english = en > fr;
    // Triggers after which the next date is the return date; "du 3 au 14 novembre" returns the
    // date after "au", and a range "from … to …" the one after "to".
    static const std::vector<std::vector<std::string>> triggers = {
        {"jusqu", "au"}, {"jusqu", "a"}, {"jusqu", "a", "ce"}, {"de", "retour"}, {"retour", "le"},
        {"retour", "prevu"}, {"au"}, {"until"}, {"till"}, {"back", "on"}, {"back", "in"}, {"return", "on"},
        {"returning", "on"}, {"returning"}, {"back"}, {"return"}, {"through"}, {"to"}, {"bis"},
        {"reviendrai", "le"}, {"reviendrai"}};
    for (std::size_t i = 0; i < toks.size(); ++i) {
        for (const auto& tr : triggers) {
            if (i + tr.size() > toks.size()) continue;
            bool ok = true;
            for (std::size_t k = 0; k < tr.size() && ok; ++k) ok = toks[i + k].norm == tr[k];
            if (!ok) continue;
            // Look a few words ahead ("until Monday, November 17th", "de retour le lundi 17/11").
            for (std::size_t j = i + tr.size(); j < toks.size() && j < i + tr.size() + 4; ++j) {
                DateHit h;
                if (!read_date(toks, text, j, english, h)) continue;
                int year = h.y;
                int ref_year = reference ? year_of(reference) : 1970;
                if (!year) {
                    year = ref_year;
                    if (reference && days_from_civil(year, h.m, h.d) * 86400 < reference - 86400 * 7) ++year;
                }
                if (year < 1970 || year > 2200) continue;
                return days_from_civil(year, static_cast<unsigned>(h.m), static_cast<unsigned>(h.d)) * 86400;
            }
        }
    }
    return std::nullopt;
}

namespace {

std::string bulk_reason_impl(const Message& m, int broadcast_min_recipients, BodyScan body_scan,
                             SharedFolds& folds) {
    // Mass-mailing software names itself in X-Mailer; a person's mail client never says these.
    std::string mailer = lower_ascii(m.x_mailer);
    static const std::array<std::string_view, 18> mailers = {
        "l-soft", "listserv", "lyris", "listmanager", "mailchimp", "constant contact", "sendgrid",
        "mailman", "majordomo", "ezmlm", "exacttarget", "responsys", "sendinblue", "mailgun",
        "campaign", "bulk", "mass mail", "newsletter"};
    const Haystack hm(mailer);
    for (auto p : mailers)
        if (hm.contains(p)) return "bulk_mailer";
    // Role addresses that broadcast and never hold a conversation. Generic ones a real person
    // answers from (info@, contact@, support@, sales@) are deliberately not in this list.
    std::string from = lower_ascii(m.from.address);
    std::string local = from.substr(0, from.find('@'));
    static const std::array<std::string_view, 20> roles = {
        "newsletter", "newsletters", "news", "marketing", "promo", "promotions", "offers", "deals",
        "announce", "announcements", "updates", "mailer", "mailings", "mailing", "listserv",
        "majordomo", "digest", "subscriptions", "webmaster", "lettre"};
    for (auto r : roles)
        if (local == r) return "bulk_sender";
    if (starts_with(local, "newsletter") || starts_with(local, "news-") || starts_with(local, "news.") ||
        starts_with(local, "marketing") || starts_with(local, "mailer") || starts_with(local, "mailings") ||
        contains(local, "offers") || contains(local, "promo") || contains(local, "newsletter"))
        return "bulk_sender";
    // Mass-mailing hosts: "lists.example.com", "newsletter.example.fr", "bounce.example.com".
    std::string host = from.find('@') == std::string::npos ? std::string() : from.substr(from.find('@') + 1);
    for (std::string_view h : {"lists.", "list.", "newsletter.", "newsletters.", "news.", "mailing.", "mailings.",
                               "bounce.", "bounces.", "campaign.", "marketing.", "emailing.", "e-mailing.", "reply."})
        if (starts_with(host, h)) return "bulk_sender";
    // "undisclosed-recipients:;" and its variants: the real audience is hidden in Bcc.
    std::size_t recipients = 0;
    std::string n;  // lower_ascii(name) + " " + lower_ascii(address), one buffer for all recipients
    for (const auto* list : {&m.to, &m.cc})
        for (const Mailbox& mb : *list) {
            ++recipients;
            n.assign(mb.name);
            n += ' ';
            n += mb.address;
            lower_ascii_in_place(n);
            if (contains(n, "undisclosed") || contains(n, "recipient list suppressed") ||
                contains(n, "destinataires inconnus") || contains(n, "destinataires non"))
                return "undisclosed";
        }
    if (broadcast_min_recipients > 0 && recipients >= static_cast<std::size_t>(broadcast_min_recipients))
        return "broadcast";
    if (body_scan == BodyScan::skip) return {};
    // HTML markup sent as the text of the mail from a role address (info@, events@, …): a
    // designed mailing whose text part is its HTML. People's mail clients write text.
    {
        static const std::array<std::string_view, 12> role_locals = {
            "info", "infos", "contact", "events", "event", "sales", "service", "admin", "hello", "team",
            "communication", "enquiries"};
        // The sender test first, and the markup test (a lower-cased copy of the head) only for a
        // role sender whose head has a '<' at all (every tag below starts with one): most mail
        // is from people, and the copy cost more than the rest of this function on Enron.
        if (std::find(role_locals.begin(), role_locals.end(), local) != role_locals.end()) {
            std::string_view head = std::string_view(m.new_text).substr(0, 400);
            if (head.find('<') != std::string_view::npos) {
                std::string lhead = lower_ascii(head);
                bool markup = contains(lhead, "<html") || contains(lhead, "<body") || contains(lhead, "<!doctype") ||
                              contains(lhead, "<meta ");
                if (markup) return "marketing";
            }
        }
    }
    // Newsletter and promotion footers, FR and EN. Only phrases a person does not write in a
    // message of their own ("unsubscribe" alone would also catch "please unsubscribe me").
    // What the sender wrote (new text and signature), not the quoted history: a person who
    // answers a newsletter quotes its footer. The whole body only when it was not split.
    // The footer is at the end: look at the head and the tail of long bodies. f is
    // " " + fold(body) + " ", or " " + fold(head) + " " + fold(tail) + " ", where body is
    // new_text + "\n" + signature, or body_text when both are empty.
    std::string f(1, ' ');
    const bool split = !m.new_text.empty() || !m.signature.empty();
    const std::size_t size = split ? m.new_text.size() + 1 + m.signature.size() : m.body_text.size();
    if (split && size <= 6000) {
        // fold(new_text + "\n" + signature) is fold(new_text) continued over the signature
        // (fold_append), from understand()'s fold of the new text, shared with is_ooo_body_of.
        f = folds.padded_new_and_signature();
        f += ' ';
    } else {
        std::string joined;
        std::string_view body = m.body_text;
        if (split) {
            joined = m.new_text + "\n" + m.signature;
            body = joined;
        }
        if (body.size() <= 6000) {
            fold_append(f, body, 1);
        } else {
            fold_append(f, body.substr(0, 2000), 1);
            f += ' ';
            fold_append(f, body.substr(body.size() - 4000), f.size());
        }
        f += ' ';
    }
    static const std::array<std::string_view, 35> footers = {
        " to unsubscribe ", " click here to unsubscribe ", " unsubscribe here ", " unsubscribe from this list ",
        " if you no longer wish to receive ", " if you do not wish to receive ", " you are receiving this ",
        " you received this email because ", " you have received this email because ", " this email was sent to ",
        " to be removed from ", " to remove yourself from ", " remove you from our mailing list ",
        " manage your subscription ", " update your preferences ", " update your email preferences ",
        " view this email in your browser ", " view it in your browser ", " opt out of ", " to opt out ",
        " pour vous desinscrire ", " pour vous desabonner ", " se desinscrire de ", " pour ne plus recevoir ",
        " vous recevez ce message car ", " voir la version en ligne ", " taken off the email list ",
        " type in unsubscribe ", " prefer not to receive further ", " confirming your removal ",
        " subscription center ", " this email has been sent to ", " powered by constant contact ",
        " replace the subject field with the word remove ", " reply with remove "};
    // Promotions without a recognizable footer: several of these words together. One or two of
    // them occur in a person's mail ("is the offer still valid?"), three of them do not.
    static const std::array<std::string_view, 29> promo = {
        " click here ", " unsubscribe ", " desinscription ", " privacy statement ", " privacy policy ",
        " special offer ", " special offers ", " free ", " gratuit ", " sweepstakes ", " win ", " prizes ",
        " limited time ", " act now ", " get it now ", " offre speciale ", " jeu concours ", " shipping ",
        " permission marketing ", " not sent unsolicited ", " prefer not to receive ", " subscribed to receive ",
        " register today ", " register now ", " register online ", " early bird ", " group rate ",
        " inscrivez vous des maintenant ", " places limitees "};
    // Both lists in one pass over f (phrases 0..34 footers, 35.. promotions): marketing as soon as
    // a footer or a third distinct promotion phrase is found, as footer_set.any(f) ||
    // promo_set.scan(f) >= 3 answered with two passes.
    static const PhraseSet marketing_set(footers, promo);
    thread_local std::vector<char> found;  // kept per thread: no allocation per message
    std::size_t promos = 0;
    bool marketing = false;
    marketing_set.scan_until(f, found, [&](std::size_t k) {
        if (k < footers.size() || ++promos >= 3) marketing = true;
        return marketing;
    });
    if (marketing) return "marketing";
    return {};
}

}  // namespace

std::string bulk_reason(const Message& m, int broadcast_min_recipients, BodyScan body_scan) {
    SharedFolds folds(m, nullptr, false);
    return bulk_reason_impl(m, broadcast_min_recipients, body_scan, folds);
}

AutomatedVerdict classify_automated(const Message& m) { return classify_automated(m, nullptr); }

namespace {

AutomatedVerdict classify_automated_impl(const Message& m, SharedFolds& folds) {
    AutomatedVerdict v;
    // Every signal is evaluated; the most specific one names the reason (a DSN also carries
    // Auto-Submitted, an out-of-office reply often too).
    std::string as = lower_ascii(m.auto_submitted);
    while (!as.empty() && (as.back() == ' ' || as.back() == '\r')) as.pop_back();
    // RFC 3834 section 5: "Auto-Submitted: no" marks mail written by a person; any other value
    // (auto-replied, auto-generated, auto-notified) marks automated mail.
    bool auto_submitted = !as.empty() && !starts_with(as, "no");
    bool autoreply = !m.x_autoreply.empty() || !m.x_autorespond.empty();
    std::string prec = lower_ascii(m.precedence);
    bool precedence = contains(prec, "bulk") || contains(prec, "list") || contains(prec, "junk");
    bool list = !m.list_id.empty() || !m.list_unsubscribe.empty();
    // RFC 6522: multipart/report carries delivery status (RFC 3464) and read receipts (RFC 8098).
    bool report = m.is_report || contains(lower_ascii(m.content_type), "multipart/report");
    std::string subj = fold(m.subject.substr(0, 300));
    static const std::array<std::string_view, 9> bounce_subjects = {
        "undeliverable", "undelivered mail", "delivery status notification", "delivery failure",
        "mail delivery failed", "returned mail", "non remis", "echec de la remise", "failure notice"};
    bool bounce = std::any_of(bounce_subjects.begin(), bounce_subjects.end(),
                              [&](std::string_view b) { return starts_with(subj, b); });
    bool noreply = is_noreply_address(m.from.address);
    // An out-of-office body counts alone only in a short mail, so a long real mail that mentions
    // an absence is not taken for an auto-reply; with an automated header it always counts.
    // The subject and body scans run only when their answer can still name the reason: a report
    // or a bounce comes first in the order below, and a long body without an automated header
    // cannot count (these scans were a fifth of the ingest's instructions).
    bool ooo = !report && !bounce &&
               ((m.subject.size() <= 300 ? is_ooo_subject_folded(m.subject, subj) : is_ooo_subject(m.subject)) ||
                ((auto_submitted || autoreply || m.body_text.size() < 1200) && is_ooo_body_of(m, folds)));
    const std::pair<bool, const char*> order[] = {
        {report, "report"}, {bounce, "bounce"}, {ooo, "ooo"}, {auto_submitted, "auto_submitted"},
        {autoreply, "autoreply"}, {precedence, "precedence"}, {list, "list"}, {noreply, "noreply"}};
    for (const auto& [hit, reason] : order) {
        if (!hit) continue;
        v.automated = true;
        v.reason = reason;
        break;
    }
    // The bulk heuristics (which scan the body) only matter when no header already decided.
    if (!v.automated) {
        std::string bulk = bulk_reason_impl(m, 20, BodyScan::scan, folds);
        if (!bulk.empty()) {
            v.automated = true;
            v.reason = std::move(bulk);
        }
    }
    if (v.automated && v.reason == "ooo") {
        v.ooo_until = parse_return_date(m.body_text, m.date);
        if (!v.ooo_until) v.ooo_until = parse_return_date(m.subject, m.date);
    }
    return v;
}

}  // namespace

AutomatedVerdict classify_automated(const Message& m, const FoldedText* new_text_folded, bool body_in_part_order) {
    SharedFolds folds(m, new_text_folded, body_in_part_order);
    return classify_automated_impl(m, folds);
}

AutomatedVerdict classify_automated(const Message& m, LazyFoldedText& new_text_folded, bool body_in_part_order) {
    SharedFolds folds(m, new_text_folded, body_in_part_order);
    return classify_automated_impl(m, folds);
}

}  // namespace ilc::text
