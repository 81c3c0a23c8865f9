#include "interlocutor/text/cues.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "interlocutor/text/normalize.h"

namespace ilc::text {

namespace {

constexpr std::size_t kMaxScan = 64 * 1024;
constexpr int kMaxGap = 3;

// One compiled pattern word: exact, prefix ("décal*") or a gap ("...").
struct PatWord {
    std::string norm;
    enum Kind { exact, prefix, gap } kind = exact;
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

bool word_matches(const PatWord& w, const std::string& tok) {
    if (w.kind == PatWord::exact) return tok == w.norm;
    return tok.size() >= w.norm.size() && tok.compare(0, w.norm.size(), w.norm) == 0;
}

// Matches words[wi..] against tokens[ti..]; returns one past the last matched token or 0.
std::size_t match_from(const std::vector<PatWord>& words, std::size_t wi,
                       const std::vector<Token>& toks, std::size_t ti) {
    if (wi == words.size()) return ti;
    const PatWord& w = words[wi];
    if (w.kind == PatWord::gap) {
        for (int skip = 0; skip <= kMaxGap && ti + skip <= toks.size(); ++skip) {
            if (std::size_t end = match_from(words, wi + 1, toks, ti + skip)) return end;
        }
        return 0;
    }
    if (ti >= toks.size() || !word_matches(w, toks[ti].norm)) return 0;
    return match_from(words, wi + 1, toks, ti + 1);
}

// Patterns indexed by their first word, so a scan costs a hash look-up per token (plus one per
// distinct prefix length for "word*" patterns) instead of a pass per pattern.
// Transparent hashing: look-ups by std::string_view (a token's prefix) without building a string.
struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using PatternIndex = std::unordered_map<std::string, std::vector<std::size_t>, ViewHash, std::equal_to<>>;

struct Matcher {
    std::vector<Pattern> patterns;
    PatternIndex by_exact;
    PatternIndex by_prefix;
    std::vector<std::size_t> prefix_lengths;
    // Cheap filters in front of the hash look-ups (most tokens start no pattern): bit min(len, 31)
    // of [first byte] is set when some pattern's first word (exact) or first prefix ("word*")
    // has that first byte and length. `unfiltered` when a first word is empty (never in practice).
    std::array<std::uint32_t, 256> exact_first{};
    std::array<std::uint32_t, 256> prefix_first{};
    bool unfiltered = false;
    static std::uint32_t bit(std::size_t len) { return 1u << std::min<std::size_t>(len, 31); }
    bool may_exact(const std::string& tok) const {
        return unfiltered || tok.empty() || (exact_first[static_cast<unsigned char>(tok[0])] & bit(tok.size()));
    }
    bool may_prefix(const std::string& tok, std::size_t len) const {
        return unfiltered || tok.empty() || (prefix_first[static_cast<unsigned char>(tok[0])] & bit(len));
    }
    std::unordered_map<std::string, std::size_t> family_index;

    Matcher() {
        const auto& fams = cue_families();
        for (std::size_t f = 0; f < fams.size(); ++f) {
            family_index[fams[f].name] = f;
            for (const std::string& src : fams[f].patterns) {
                Pattern p{f, &src, compile(src)};
                if (p.words.empty()) continue;
                std::size_t idx = patterns.size();
                const PatWord& first = p.words.front();
                if (first.norm.empty()) unfiltered = true;
                else (first.kind == PatWord::prefix ? prefix_first : exact_first)
                         [static_cast<unsigned char>(first.norm[0])] |= bit(first.norm.size());
                if (first.kind == PatWord::prefix) {
                    by_prefix[first.norm].push_back(idx);
                    if (std::find(prefix_lengths.begin(), prefix_lengths.end(), first.norm.size()) ==
                        prefix_lengths.end())
                        prefix_lengths.push_back(first.norm.size());
                } else {
                    by_exact[first.norm].push_back(idx);
                }
                patterns.push_back(std::move(p));
            }
        }
    }
};

const Matcher& matcher() {
    static const Matcher m;
    return m;
}

// Decisions are often reported negated ("pas encore validé", "not approved yet"): a decision cue
// right after a negation word is not a decision.
bool negated(const std::vector<Token>& toks, std::size_t ti) {
    static const std::unordered_set<std::string> neg = {"pas", "non", "not", "never", "jamais",
                                                        "no", "yet", "encore", "toujours"};
    for (std::size_t back = 1; back <= 2 && back <= ti; ++back)
        if (neg.count(toks[ti - back].norm)) return true;
    return false;
}

std::vector<Cue> scan(std::string_view text, const std::size_t* only_family) {
    if (text.size() > kMaxScan) {
        // Cut on a UTF-8 boundary so the last word is not half a character.
        std::size_t cut = kMaxScan;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut);
    }
    const Matcher& m = matcher();
    const auto& fams = cue_families();
    std::vector<Token> toks = tokenize(text);
    std::vector<Cue> out;
    // Per family: the token index up to which a match was already reported.
    std::vector<std::size_t> covered(fams.size(), 0);
    std::vector<std::size_t> candidates;
    const std::size_t decision = m.family_index.at("decision");
    for (std::size_t ti = 0; ti < toks.size(); ++ti) {
        candidates.clear();
        const std::string& tok = toks[ti].norm;
        if (m.may_exact(tok))
            if (auto it = m.by_exact.find(tok); it != m.by_exact.end())
                candidates.insert(candidates.end(), it->second.begin(), it->second.end());
        for (std::size_t len : m.prefix_lengths) {
            if (len > tok.size() || !m.may_prefix(tok, len)) continue;
            if (auto it = m.by_prefix.find(std::string_view(tok).substr(0, len)); it != m.by_prefix.end())
                candidates.insert(candidates.end(), it->second.begin(), it->second.end());
        }
        // Longest match per family at this position.
        std::vector<std::pair<std::size_t, std::size_t>> best;  // (family, pattern) chosen
        std::vector<std::size_t> best_end;
        for (std::size_t pi : candidates) {
            const Pattern& p = m.patterns[pi];
            if (only_family && p.family != *only_family) continue;
            if (ti < covered[p.family]) continue;
            std::size_t end = match_from(p.words, 0, toks, ti);
            if (!end) continue;
            if (p.family == decision && negated(toks, ti)) continue;
            bool placed = false;
            for (std::size_t b = 0; b < best.size(); ++b) {
                if (best[b].first != p.family) continue;
                placed = true;
                if (end > best_end[b]) { best[b].second = pi; best_end[b] = end; }
            }
            if (!placed) { best.push_back({p.family, pi}); best_end.push_back(end); }
        }
        for (std::size_t b = 0; b < best.size(); ++b) {
            const Pattern& p = m.patterns[best[b].second];
            std::size_t last = best_end[b] - 1;
            Cue c;
            c.family = fams[p.family].name;
            c.pattern = *p.source;
            c.begin = toks[ti].begin;
            c.end = toks[last].end;
            c.text = std::string(text.substr(c.begin, c.end - c.begin));
            covered[p.family] = best_end[b];
            out.push_back(std::move(c));
        }
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

std::vector<Cue> find_cues(std::string_view text) { return scan(text, nullptr); }

std::vector<Cue> find_cues(std::string_view text, std::string_view family) {
    const Matcher& m = matcher();
    auto it = m.family_index.find(std::string(family));
    if (it == m.family_index.end()) return {};
    return scan(text, &it->second);
}

bool has_question_mark(std::string_view text) {
    // Scan whitespace-separated chunks; a chunk that is a URL or an address may carry '?' as a
    // query separator ("https://x/?id=3") and does not make the mail a question.
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < text.size() && !(text[j] == ' ' || text[j] == '\n' || text[j] == '\r' || text[j] == '\t')) ++j;
        std::string_view chunk = text.substr(i, j - i);
        i = j;
        if (chunk.empty()) continue;
        // Most chunks hold none of the three question marks: skip them after one pass, before
        // the URL tests (the result is the same: such a chunk can never return true).
        bool maybe_question = false;
        for (char ch : chunk)
            if (ch == '?' || ch == '\xEF' || ch == '\xC2') {
                maybe_question = true;
                break;
            }
        if (!maybe_question) continue;
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

bool expects_reply(std::string_view new_text, const std::vector<Cue>& cues) {
    // A rule line ("______", "=====", "*****") starts what the writer did not write: a webmail
    // advert ("Do You Yahoo!?"), a legal disclaimer, a forwarded copy. Nothing below it asks.
    const std::size_t cut = footer_start(new_text);
    if (has_question_mark(new_text.substr(0, std::min(cut, kMaxScan)))) return true;
    for (const Cue& c : cues) {
        if (c.family != "request" || c.begin >= cut) continue;
        // A request phrase that sits inside or overlaps a closing formula ("let me know if you
        // have any questions", "n'hésitez pas à me faire savoir", "merci pour votre retour
        // rapide") is politeness or thanks for an answer received, not a request.
        bool inside_closing = std::any_of(cues.begin(), cues.end(), [&](const Cue& o) {
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
        bool conditional = std::any_of(cues.begin(), cues.end(), [&](const Cue& o) {
            if (o.family != "thanks_closing" || !is_conditional_offer(o.pattern)) return false;
            return (o.begin >= c.end && same_sentence(c.end, o.begin)) || (o.end <= c.begin && same_sentence(o.end, c.begin));
        });
        if (!conditional) return true;
    }
    return false;
}

bool expects_reply(std::string_view new_text) { return expects_reply(new_text, find_cues(new_text)); }

}  // namespace ilc::text
