#include "interlocutor/text/cues.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "interlocutor/text/normalize.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::text {

namespace {

constexpr std::size_t kMaxScan = 64 * 1024;
constexpr int kMaxGap = 3;

// One compiled pattern word: exact, prefix ("décal*") or a gap ("...").
struct PatWord {
    std::string norm;
    enum Kind { exact, prefix, gap } kind = exact;
    std::int32_t id = -1;  // exact words: the word's id in Matcher::ids (equal ids = equal words)
};

struct Pattern {
    std::size_t family;      // index in cue_families()
    const std::string* source;
    std::vector<PatWord> words;
};

// Compiles "garde* ... en copie" into words, with the same folding as the scanned text.
std::vector<PatWord> compile(const std::string& source) {
    std::vector<PatWord> words;
    std::size_t i = 0;
    while (i < source.size()) {
        while (i < source.size() && source[i] == ' ') ++i;
        std::size_t j = source.find(' ', i);
        if (j == std::string::npos) j = source.size();
        std::string_view piece(source.data() + i, j - i);
        i = j;
        if (piece.empty()) continue;
        if (piece == "...") {
            words.push_back({{}, PatWord::gap});
            continue;
        }
        bool star = piece.back() == '*';
        std::vector<Token> toks = tokenize(piece);
        for (std::size_t k = 0; k < toks.size(); ++k) {
            PatWord w{toks[k].norm, PatWord::exact};
            if (star && k + 1 == toks.size()) w.kind = PatWord::prefix;
            words.push_back(std::move(w));
        }
    }
    // A pattern may not start or end with a gap: drop such gaps.
    while (!words.empty() && words.back().kind == PatWord::gap) words.pop_back();
    while (!words.empty() && words.front().kind == PatWord::gap) words.erase(words.begin());
    return words;
}

bool word_matches(const PatWord& w, std::string_view tok) {
    if (w.kind == PatWord::exact) return tok == w.norm;
    return tok.size() >= w.norm.size() && tok.compare(0, w.norm.size(), w.norm) == 0;
}

// Matches words[wi..] against the folded words toks[ti..]; returns one past the last matched
// token or 0.
std::size_t match_from(const std::vector<PatWord>& words, std::size_t wi, const FoldedText& toks, std::size_t ti) {
    if (wi == words.size()) return ti;
    const PatWord& w = words[wi];
    if (w.kind == PatWord::gap) {
        for (int skip = 0; skip <= kMaxGap && ti + skip <= toks.words.size(); ++skip) {
            if (std::size_t end = match_from(words, wi + 1, toks, ti + skip)) return end;
        }
        return 0;
    }
    if (ti >= toks.words.size() || !word_matches(w, toks.norm(ti))) return 0;
    return match_from(words, wi + 1, toks, ti + 1);
}

// Every exact pattern word (first or later) numbered, and looked up by a folded token without
// hashing its bytes one by one: the key is the word's first 8 bytes as one integer (zero-padded)
// and its length, so a look-up is one multiply and, for the common short words, integer
// compares; words longer than 8 bytes compare their tails too. Two tokens get the same id only
// when they are the same word, and a token that is no pattern word gets -1: the scan tests a
// candidate's second word by id (one compare) instead of by length and initial, where most
// candidates of a common first word ("i", "a", "please", "if") were tested one by one.
class WordIds {
public:
    std::int32_t add(std::string_view w) {
        if (std::int32_t id = find(w); id >= 0) return id;
        const auto id = static_cast<std::int32_t>(words_.size());
        words_.emplace_back(w);
        if ((words_.size() + 1) * 4 > slots_.size()) rehash(std::max<std::size_t>(256, slots_.size() * 2));
        else place(id);
        return id;
    }
    // Word i of a folded text; -1 when it is no pattern word.
    std::int32_t find(const FoldedText& t, std::size_t i) const { return find_prefix(t, i, t.words[i].flen); }
    // The first len bytes of word i (len <= its length); -1 when they are no added word.
    std::int32_t find_prefix(const FoldedText& t, std::size_t i, std::size_t len) const {
        const FoldedText::Word& w = t.words[i];
        // Short words: 8 bytes loaded at once and masked when they lie inside the folded text.
        if constexpr (std::endian::native == std::endian::little) {
            if (len < 8 && std::size_t{w.fbegin} + 8 <= t.text.size()) {
                std::uint64_t x;
                std::memcpy(&x, t.text.data() + w.fbegin, 8);
                x &= (std::uint64_t{1} << (8 * len)) - 1;
                return find(std::string_view(t.text.data() + w.fbegin, len), x);
            }
        }
        const std::string_view v(t.text.data() + w.fbegin, len);
        return find(v, key(v));
    }
    // w is folded text; -1 when no word matches.
    std::int32_t find(std::string_view w) const { return find(w, key(w)); }

private:
    std::int32_t find(std::string_view w, std::uint64_t k) const {
        if (slots_.empty()) return -1;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = slot(k, w.size()) & mask;; i = (i + 1) & mask) {
            const Slot& s = slots_[i];
            if (s.id < 0) return -1;
            if (s.key == k && s.len == w.size() &&
                (w.size() <= 8 || std::string_view(words_[s.id]).substr(8) == w.substr(8)))
                return s.id;
        }
    }

    struct Slot {
        std::uint64_t key = 0;
        std::uint32_t len = 0;
        std::int32_t id = -1;
    };
    // The first min(8, size) bytes as an integer, the rest zero (the same value whichever way it
    // is loaded). Reads 8 bytes at once when they are inside the view.
    static std::uint64_t key(std::string_view w) {
        const std::size_t n = std::min<std::size_t>(w.size(), 8);
        std::uint64_t x = 0;
        if constexpr (std::endian::native == std::endian::little) {
            if (w.size() >= 8) {
                std::memcpy(&x, w.data(), 8);
                return x;
            }
        }
        for (std::size_t k = 0; k < n; ++k) x |= std::uint64_t{static_cast<unsigned char>(w[k])} << (8 * k);
        return x;
    }
    static std::size_t slot(std::uint64_t k, std::size_t len) {
        return static_cast<std::size_t>(((k ^ (len * 0x9E3779B97F4A7C15ull)) * 0xFF51AFD7ED558CCDull) >> 40);
    }
    void place(std::int32_t id) {
        const std::string& w = words_[id];
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = slot(key(w), w.size()) & mask;
        while (slots_[i].id >= 0) i = (i + 1) & mask;
        slots_[i] = Slot{key(w), static_cast<std::uint32_t>(w.size()), id};
    }
    void rehash(std::size_t n) {
        slots_.assign(n, Slot{});
        for (std::size_t id = 0; id < words_.size(); ++id) place(static_cast<std::int32_t>(id));
    }
    std::vector<std::string> words_;
    std::vector<Slot> slots_;
};

// Patterns indexed by their first word, so a scan costs a hash look-up per token (plus one per
// distinct prefix length for "word*" patterns) instead of a pass per pattern. The lists keep the
// patterns' order (the order matches are reported in and ties are broken by).
// Each entry carries what the scan tests first, so most candidates are rejected without
// touching the pattern: its family, and its second word's kind, length and initial.
struct Candidate {
    std::uint32_t pattern;
    std::uint32_t family;
    std::uint32_t second_len;   // 0 when the pattern has one word or a gap second
    char second_first;          // 0 when the second word is empty or absent
    bool second_prefix;         // the second word is "word*"
    std::int32_t second_id;     // the second word's id when it is an exact word, else -1
    std::uint32_t nwords;       // the pattern's word count (gaps included)
};

struct Matcher {
    std::vector<Pattern> patterns;
    WordIds ids;
    // Patterns whose first word is exact, by that word's id (empty lists for words that only
    // come later in patterns).
    std::vector<std::vector<Candidate>> by_first_id;
    // by_first_id[id] split in two for the scan (by_first_id stays the reference): the candidates
    // whose second word is no exact word (others_by_first_id[id], tested one by one), and those
    // whose second word is exact, grouped by (first id, second id) in `pairs`. A token then walks
    // only the candidates whose second word is the next token, merged with the others in list
    // order (by pattern index): most of the scan's time went to rejecting the dozens of
    // candidates of common first words ("please", "if", "i", "merci", "je") by second id.
    std::vector<std::vector<Candidate>> others_by_first_id;
    std::vector<char> first_id_has_pairs;
    struct PairSlot {
        std::uint64_t key = ~std::uint64_t{0};  // first id << 32 | second id; all ones when free
        std::uint32_t begin = 0, end = 0;       // the candidates pair_candidates[begin, end)
    };
    std::vector<PairSlot> pairs;
    std::vector<Candidate> pair_candidates;
    static std::uint64_t pair_key(std::int32_t first, std::int32_t second) {
        return std::uint64_t{static_cast<std::uint32_t>(first)} << 32 | static_cast<std::uint32_t>(second);
    }
    static std::size_t pair_slot(std::uint64_t k) { return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 40); }
    // The candidates of first id `first` whose second word is the exact word `second` (in list order).
    void pair_list(std::int32_t first, std::int32_t second, const Candidate*& b, const Candidate*& e) const {
        const std::uint64_t k = pair_key(first, second);
        const std::size_t mask = pairs.size() - 1;
        for (std::size_t i = pair_slot(k) & mask;; i = (i + 1) & mask) {
            const PairSlot& s = pairs[i];
            if (s.key == k) {
                b = pair_candidates.data() + s.begin;
                e = pair_candidates.data() + s.end;
                return;
            }
            if (s.key == ~std::uint64_t{0}) return;
        }
    }
    // Patterns whose first word is "word*", by that prefix's id in prefix_ids (a look-up by the
    // token's first bytes as one integer, as WordIds does for words: the byte-by-byte hash of a
    // string table was most of the prefix look-ups).
    WordIds prefix_ids;
    std::vector<std::vector<Candidate>> by_prefix_id;
    std::vector<std::size_t> prefix_lengths;
    // Cheap filters in front of the hash look-ups (most tokens start no pattern): bit min(len, 31)
    // of [first byte] is set when some pattern's first word (exact) or first prefix ("word*")
    // has that first byte and length. `unfiltered` when a first word is empty (never in practice).
    std::array<std::uint32_t, 256> exact_first{};
    std::array<std::uint32_t, 256> prefix_first{};
    bool unfiltered = false;
    static std::uint32_t bit(std::size_t len) { return 1u << std::min<std::size_t>(len, 31); }
    // And by their first two bytes (words of two or more bytes): bit (b0 << 8 | b1) is set when
    // some first word (exact) or first prefix of two or more bytes starts with b0 b1.
    std::vector<std::uint64_t> exact_pair = std::vector<std::uint64_t>(1024);
    std::vector<std::uint64_t> prefix_pair = std::vector<std::uint64_t>(1024);
    static std::size_t pair(std::string_view w) {
        return static_cast<std::size_t>(static_cast<unsigned char>(w[0])) << 8 | static_cast<unsigned char>(w[1]);
    }
    static bool has(const std::vector<std::uint64_t>& bits, std::size_t p) { return (bits[p >> 6] >> (p & 63)) & 1u; }
    static void set(std::vector<std::uint64_t>& bits, std::size_t p) { bits[p >> 6] |= std::uint64_t{1} << (p & 63); }
    bool may_exact(std::string_view tok) const {
        if (unfiltered || tok.empty()) return true;
        if (!(exact_first[static_cast<unsigned char>(tok[0])] & bit(tok.size()))) return false;
        return tok.size() < 2 || has(exact_pair, pair(tok));
    }
    bool may_prefix(std::string_view tok, std::size_t len) const {
        if (unfiltered || tok.empty()) return true;
        if (!(prefix_first[static_cast<unsigned char>(tok[0])] & bit(len))) return false;
        return len < 2 || has(prefix_pair, pair(tok));
    }
    // Per first byte, the prefix lengths (in prefix_lengths order) some "word*" first word of that
    // initial has: a token is looked up only at those lengths instead of at every one.
    std::array<std::vector<std::size_t>, 256> prefix_lengths_by_first;
    bool short_prefix = false;  // some "word*" first word has one byte (may_prefix skips the pair test)
    std::unordered_map<std::string, std::size_t> family_index;
    std::size_t decision = 0;  // family_index.at("decision"), looked up once (was once per scan)

    Matcher() {
        const auto& fams = cue_families();
        for (std::size_t f = 0; f < fams.size(); ++f) {
            family_index[fams[f].name] = f;
            for (const std::string& src : fams[f].patterns) {
                Pattern p{f, &src, compile(src)};
                if (p.words.empty()) continue;
                for (PatWord& w : p.words)
                    if (w.kind == PatWord::exact) w.id = ids.add(w.norm);
                std::size_t idx = patterns.size();
                const PatWord& first = p.words.front();
                if (first.norm.empty()) unfiltered = true;
                else (first.kind == PatWord::prefix ? prefix_first : exact_first)
                         [static_cast<unsigned char>(first.norm[0])] |= bit(first.norm.size());
                if (first.norm.size() >= 2) set(first.kind == PatWord::prefix ? prefix_pair : exact_pair, pair(first.norm));
                Candidate cand{static_cast<std::uint32_t>(idx), static_cast<std::uint32_t>(f), 0, 0, false, -1,
                               static_cast<std::uint32_t>(p.words.size())};
                if (p.words.size() >= 2 && p.words[1].kind != PatWord::gap) {
                    cand.second_len = static_cast<std::uint32_t>(p.words[1].norm.size());
                    cand.second_first = p.words[1].norm.empty() ? 0 : p.words[1].norm[0];
                    cand.second_prefix = p.words[1].kind == PatWord::prefix;
                    cand.second_id = p.words[1].id;
                }
                if (first.kind == PatWord::prefix) {
                    const auto pid = static_cast<std::size_t>(prefix_ids.add(first.norm));
                    if (by_prefix_id.size() <= pid) by_prefix_id.resize(pid + 1);
                    by_prefix_id[pid].push_back(cand);
                    if (std::find(prefix_lengths.begin(), prefix_lengths.end(), first.norm.size()) ==
                        prefix_lengths.end())
                        prefix_lengths.push_back(first.norm.size());
                } else {
                    if (by_first_id.size() <= static_cast<std::size_t>(first.id)) by_first_id.resize(first.id + 1);
                    by_first_id[first.id].push_back(cand);
                }
                patterns.push_back(std::move(p));
            }
        }
        decision = family_index.at("decision");
        others_by_first_id.resize(by_first_id.size());
        first_id_has_pairs.assign(by_first_id.size(), 0);
        std::size_t npairs = 0;
        for (std::size_t id = 0; id < by_first_id.size(); ++id) {
            std::vector<std::int32_t> seconds;  // this first word's second ids, in first-seen order
            for (const Candidate& c : by_first_id[id]) {
                if (c.second_id < 0) others_by_first_id[id].push_back(c);
                else if (std::find(seconds.begin(), seconds.end(), c.second_id) == seconds.end()) seconds.push_back(c.second_id);
            }
            npairs += seconds.size();
        }
        std::size_t cap = 64;
        while (cap < npairs * 2) cap *= 2;
        pairs.assign(cap, PairSlot{});
        for (std::size_t id = 0; id < by_first_id.size(); ++id) {
            for (const Candidate& c : by_first_id[id]) {
                if (c.second_id < 0) continue;
                const std::uint64_t k = pair_key(static_cast<std::int32_t>(id), c.second_id);
                std::size_t i = pair_slot(k) & (cap - 1);
                while (pairs[i].key != ~std::uint64_t{0} && pairs[i].key != k) i = (i + 1) & (cap - 1);
                if (pairs[i].key == k) continue;  // this pair's group is already stored
                first_id_has_pairs[id] = 1;
                pairs[i].key = k;
                pairs[i].begin = static_cast<std::uint32_t>(pair_candidates.size());
                for (const Candidate& d : by_first_id[id])
                    if (d.second_id == c.second_id) pair_candidates.push_back(d);
                pairs[i].end = static_cast<std::uint32_t>(pair_candidates.size());
            }
        }
        for (std::size_t len : prefix_lengths)
            if (len < 2) short_prefix = true;
        for (std::size_t c = 0; c < 256; ++c)
            for (std::size_t len : prefix_lengths)
                if (prefix_first[c] & bit(len)) prefix_lengths_by_first[c].push_back(len);
    }
};

const Matcher& matcher() {
    static const Matcher m;
    return m;
}

// Decisions are often reported negated ("pas encore validé", "not approved yet"): a decision cue
// right after a negation word is not a decision.
bool negated(const FoldedText& toks, std::size_t ti) {
    static constexpr std::string_view neg[] = {"pas", "non", "not", "never", "jamais",
                                               "no", "yet", "encore", "toujours"};
    for (std::size_t back = 1; back <= 2 && back <= ti; ++back)
        if (std::find(std::begin(neg), std::end(neg), toks.norm(ti - back)) != std::end(neg)) return true;
    return false;
}

// A cue as scan() finds it: views of its family's name and its pattern in cue_families() (built
// once, never freed) and its offsets. find_cues() makes a Cue of each; understand() keeps only
// the family and the text, so it is spared the copies of the patterns (find_message_cues).
struct FoundCue {
    std::string_view family;
    std::string_view pattern;
    std::size_t begin;
    std::size_t end;
};

// text: cue_scan_span(the text); toks: fold_words(text).
std::vector<FoundCue> scan(std::string_view text, const FoldedText& toks, const std::size_t* only_family) {
    const Matcher& m = matcher();
    const auto& fams = cue_families();
    std::vector<FoundCue> out;
    // Per family: the token index up to which a match was already reported.
    std::vector<std::size_t> covered(fams.size(), 0);
    const std::size_t decision = m.decision;
    // Longest match per family at the current position: (family, pattern) chosen and its end.
    std::vector<std::pair<std::size_t, std::size_t>> best;
    std::vector<std::size_t> best_end;
    // The id of token ti + 1 (WordIds), looked up when a candidate first needs it, and kept as
    // token ti + 1's own id for the next round.
    constexpr std::int32_t kUnknown = -2;
    std::int32_t next_id = kUnknown;
    for (std::size_t ti = 0; ti < toks.words.size(); ++ti) {
        best.clear();
        best_end.clear();
        const std::int32_t this_id = next_id;
        next_id = kUnknown;
        // Each candidate pattern, in the order of the lists below (exact first word, then each
        // prefix length), straight from the index lists (no candidate vector built per token).
        auto consider = [&](const Candidate& cand) __attribute__((always_inline)) {
            if (only_family && cand.family != *only_family) return;
            if (ti < covered[cand.family]) return;
            // Most candidates fail on their second word: test its id (an exact second word) or its
            // length and initial ("word*") before the full match (what match_from would reject
            // anyway).
            if (cand.second_id >= 0) {
                if (next_id == kUnknown) next_id = ti + 1 < toks.words.size() ? m.ids.find(toks, ti + 1) : -1;
                if (next_id != cand.second_id) return;
            } else if (cand.second_len || cand.second_first) {
                if (ti + 1 >= toks.words.size()) return;
                const FoldedText::Word& t1 = toks.words[ti + 1];
                if (cand.second_prefix ? t1.flen < cand.second_len : t1.flen != cand.second_len) return;
                if (cand.second_first && toks.text[t1.fbegin] != cand.second_first) return;
            }
            const std::size_t pi = cand.pattern;
            const Pattern& p = m.patterns[pi];
            // A candidate's first word matches token ti (its exact word's id, or a prefix of the
            // token: how the lists below find it), and an exact second word with an id was just
            // compared by id: match_from goes on from the first word not known to match.
            std::size_t end;
            if (cand.nwords == 1) end = ti + 1;
            else if (cand.nwords == 2 && cand.second_id >= 0) end = ti + 2;
            else end = match_from(p.words, 1, toks, ti + 1);
            if (!end) return;
            if (p.family == decision && negated(toks, ti)) return;
            bool placed = false;
            for (std::size_t b = 0; b < best.size(); ++b) {
                if (best[b].first != p.family) continue;
                placed = true;
                if (end > best_end[b]) { best[b].second = pi; best_end[b] = end; }
            }
            if (!placed) { best.push_back({p.family, pi}); best_end.push_back(end); }
        };
        const std::string_view tok = toks.norm(ti);
        if (m.may_exact(tok))
            if (const std::int32_t id = this_id != kUnknown ? this_id : m.ids.find(toks, ti); id >= 0 && static_cast<std::size_t>(id) < m.by_first_id.size()) {
                // by_first_id[id] less the candidates whose exact second word is not token ti + 1
                // (consider() rejects those first thing, with no effect): the others and the
                // (id, next id) group, merged by pattern index, the lists' order.
                const Candidate* pb = nullptr;
                const Candidate* pe = nullptr;
                if (m.first_id_has_pairs[id]) {
                    if (next_id == kUnknown) next_id = ti + 1 < toks.words.size() ? m.ids.find(toks, ti + 1) : -1;
                    if (next_id >= 0) m.pair_list(id, next_id, pb, pe);
                }
                const std::vector<Candidate>& others = m.others_by_first_id[id];
                const Candidate* ob = others.data();
                const Candidate* oe = ob + others.size();
                while (ob != oe || pb != pe) {
                    if (pb == pe || (ob != oe && ob->pattern < pb->pattern)) consider(*ob++);
                    else consider(*pb++);
                }
            }
        // The lengths to try: prefix_lengths in order, less those no "word*" of this initial has
        // (may_prefix would reject them); an empty token (or a pattern with an empty first word)
        // tries them all.
        const std::vector<std::size_t>& lengths =
            m.unfiltered || tok.empty() ? m.prefix_lengths : m.prefix_lengths_by_first[static_cast<unsigned char>(tok[0])];
        // may_prefix rejects every length >= 2 when no "word*" starts with the token's first two
        // bytes (one test instead of one per length, for most tokens).
        if (m.unfiltered || m.short_prefix || tok.size() < 2 || m.has(m.prefix_pair, m.pair(tok))) {
            for (std::size_t len : lengths) {
                if (len > tok.size() || !m.may_prefix(tok, len)) continue;
                if (const std::int32_t pid = m.prefix_ids.find_prefix(toks, ti, len); pid >= 0)
                    for (const Candidate& cand : m.by_prefix_id[static_cast<std::size_t>(pid)]) consider(cand);
            }
        }
        for (std::size_t b = 0; b < best.size(); ++b) {
            const Pattern& p = m.patterns[best[b].second];
            std::size_t last = best_end[b] - 1;
            out.push_back(FoundCue{fams[p.family].name, *p.source, toks.words[ti].begin, toks.words[last].end});
            covered[p.family] = best_end[b];
        }
    }
    (void)text;  // the cues' offsets are in text: find_cues and find_message_cues cut it
    return out;
}

// The Cue records of scan()'s finds.
std::vector<Cue> to_cues(std::string_view text, const std::vector<FoundCue>& found) {
    std::vector<Cue> out;
    out.reserve(found.size());
    for (const FoundCue& f : found) {
        Cue c;
        c.family = std::string(f.family);
        c.pattern = std::string(f.pattern);
        c.begin = f.begin;
        c.end = f.end;
        c.text = std::string(text.substr(c.begin, c.end - c.begin));
        out.push_back(std::move(c));
    }
    return out;
}

// Offset of the first line made only of 20 or more '_', '=', '*' or '-' (spaces allowed), or
// text.size() when there is none.
std::size_t footer_start(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        int rule = 0;
        bool only = true;
        for (std::size_t k = pos; k < end && only; ++k) {
            char ch = text[k];
            if (ch == '_' || ch == '=' || ch == '*' || ch == '-') ++rule;
            else if (ch != ' ' && ch != '\t' && ch != '\r') only = false;
        }
        if (only && rule >= 20) return pos;
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return text.size();
}

// The thanks_closing patterns that are conditional offers ("if you need anything", "si besoin",
// "should you have", "pour toute question", "en cas de besoin").
bool is_conditional_offer(std::string_view pattern) {
    for (std::string_view lead : {"if ", "should ", "in case ", "si ", "en cas ", "pour toute ", "au besoin"})
        if (pattern.substr(0, lead.size()) == lead) return true;
    return false;
}

}  // namespace

std::string_view cue_scan_span(std::string_view text) {
    if (text.size() <= kMaxScan) return text;
    // Cut on a UTF-8 boundary so the last word is not half a character.
    std::size_t cut = kMaxScan;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut);
}

std::vector<Cue> find_cues(std::string_view text) {
    text = cue_scan_span(text);
    return to_cues(text, scan(text, fold_words(text), nullptr));
}

std::vector<Cue> find_cues(std::string_view text, const FoldedText& folded) {
    text = cue_scan_span(text);
    return to_cues(text, scan(text, folded, nullptr));
}

std::vector<Cue> find_cues(std::string_view text, std::string_view family) {
    const Matcher& m = matcher();
    auto it = m.family_index.find(std::string(family));
    if (it == m.family_index.end()) return {};
    text = cue_scan_span(text);
    return to_cues(text, scan(text, fold_words(text), &it->second));
}

bool has_question_mark(std::string_view text) {
    // Scan whitespace-separated chunks; a chunk that is a URL or an address may carry '?' as a
    // query separator ("https://x/?id=3") and does not make the mail a question. Only chunks
    // holding one of the three question marks' bytes ('?', or the lead bytes 0xEF, 0xC2) can
    // answer true: the text is walked to the next such byte, and only that byte's chunk is
    // tested (the same chunks as walking every chunk, in the same order).
    auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    const std::size_t n = text.size();
    std::size_t q = 0;
    // Eight bytes at a time: a zero byte in x ^ c where x has the byte c (the classic "has zero
    // byte" test; exact when no byte is reported below the first real one, and only whether some
    // byte matches is used here).
    auto has_byte = [](std::uint64_t x, std::uint64_t c) {
        const std::uint64_t y = x ^ c;
        return ((y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull) != 0;
    };
    while (q < n) {
#if defined(__SSE2__)
        // Sixteen bytes at a time with SSE2 (three compares and one mask test), straight to the
        // first of the three bytes: only bytes the tests below would step over are skipped.
        if (q + 16 <= n) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + q));
            const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('?')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\xEF'))),
                                             _mm_cmpeq_epi8(x, _mm_set1_epi8('\xC2')));
            const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
            if (!mask) {
                q += 16;
                continue;
            }
            q += static_cast<std::size_t>(__builtin_ctz(mask));  // the first such byte: tested below
        }
#endif
        if (q + 8 <= n) {
            std::uint64_t x;
            std::memcpy(&x, text.data() + q, 8);
            if (!has_byte(x, 0x3F3F3F3F3F3F3F3Full) && !has_byte(x, 0xEFEFEFEFEFEFEFEFull) &&
                !has_byte(x, 0xC2C2C2C2C2C2C2C2ull)) {
                q += 8;
                continue;
            }
        }
        const char ch = text[q];
        if (ch != '?' && ch != '\xEF' && ch != '\xC2') { ++q; continue; }
        std::size_t i = q, j = q + 1;
        while (i > 0 && !space(text[i - 1])) --i;
        while (j < n && !space(text[j])) ++j;
        std::string_view chunk = text.substr(i, j - i);
        q = j;
        bool url = chunk.find("://") != std::string_view::npos || chunk.find("www.") != std::string_view::npos ||
                   chunk.find("mailto:") != std::string_view::npos ||
                   (chunk.find('@') != std::string_view::npos && chunk.find('=') != std::string_view::npos);
        if (url) continue;
        if (chunk.find('?') != std::string_view::npos) return true;
        if (chunk.find("\xEF\xBC\x9F") != std::string_view::npos) return true;  // U+FF1F fullwidth '?'
        if (chunk.find("\xC2\xBF") != std::string_view::npos) return true;      // U+00BF '¿'
    }
    return false;
}

namespace {

// expects_reply() on Cue or FoundCue records (the same fields read).
template <class C>
bool expects_reply_impl(std::string_view new_text, const std::vector<C>& cues) {
    // A rule line ("______", "=====", "*****") starts what the writer did not write: a webmail
    // advert ("Do You Yahoo!?"), a legal disclaimer, a forwarded copy. Nothing below it asks.
    const std::size_t cut = footer_start(new_text);
    if (has_question_mark(new_text.substr(0, std::min(cut, kMaxScan)))) return true;
    for (const C& c : cues) {
        if (c.family != "request" || c.begin >= cut) continue;
        // A request phrase that sits inside or overlaps a closing formula ("let me know if you
        // have any questions", "n'hésitez pas à me faire savoir", "merci pour votre retour
        // rapide") is politeness or thanks for an answer received, not a request.
        bool inside_closing = std::any_of(cues.begin(), cues.end(), [&](const C& o) {
            if (o.family != "thanks_closing") return false;
            const bool contains = o.begin <= c.begin && c.end <= o.end && (o.end - o.begin) > (c.end - c.begin);
            const bool overlaps_from_left = o.begin < c.begin && c.begin < o.end;
            return contains || overlaps_from_left;
        });
        if (inside_closing) continue;
        // "Please call me if you have any questions": a conditional offer after the request, in
        // the same sentence, makes the whole sentence an offer of help.
        // The same when the condition comes first: "If you need anything, let me know".
        auto same_sentence = [&](std::size_t from, std::size_t to) {
            if (to < from || to - from > 80) return false;
            std::string_view between = new_text.substr(from, to - from);
            return between.find_first_of(".!?;") == std::string_view::npos &&
                   between.find("\n\n") == std::string_view::npos;
        };
        bool conditional = std::any_of(cues.begin(), cues.end(), [&](const C& o) {
            if (o.family != "thanks_closing" || !is_conditional_offer(o.pattern)) return false;
            return (o.begin >= c.end && same_sentence(c.end, o.begin)) || (o.end <= c.begin && same_sentence(o.end, c.begin));
        });
        if (!conditional) return true;
    }
    return false;
}

}  // namespace

bool expects_reply(std::string_view new_text, const std::vector<Cue>& cues) { return expects_reply_impl(new_text, cues); }

bool expects_reply(std::string_view new_text) { return expects_reply(new_text, find_cues(new_text)); }

bool find_message_cues(std::string_view new_text, const FoldedText& folded, std::vector<Message::Cue>& out) {
    const std::string_view text = cue_scan_span(new_text);
    const std::vector<FoundCue> found = scan(text, folded, nullptr);
    out.clear();
    out.reserve(found.size());
    for (const FoundCue& f : found)
        out.push_back(Message::Cue{std::string(f.family), std::string(text.substr(f.begin, f.end - f.begin))});
    return expects_reply_impl(new_text, found);
}

}  // namespace ilc::text
