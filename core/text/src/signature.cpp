#include "interlocutor/text/signature.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>
#include <vector>

#include "interlocutor/text/normalize.h"
#include "interlocutor/text/split.h"
#include "word_index.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ilc::text {

namespace {

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r*_";
    std::size_t a = s.find_first_not_of(ws);
    if (a == std::string_view::npos) return {};
    std::size_t b = s.find_last_not_of(ws);
    return s.substr(a, b - a + 1);
}

const std::unordered_set<std::string>& title_words() {
    static const std::unordered_set<std::string> w = {
        "director", "directeur", "directrice", "direction", "manager", "managing", "responsable", "chef",
        "cheffe", "head", "vp", "vice", "president", "presidente", "ceo", "cto", "cfo", "coo", "cio",
        "ciso", "cmo", "dsi", "rssi", "pdg", "dg", "daf", "drh", "engineer", "ingenieur", "ingenieure",
        "consultant", "consultante", "analyst", "analyste", "architect", "architecte", "assistant",
        "assistante", "acheteur", "acheteuse", "juriste", "legal", "counsel", "officer", "lead",
        "coordinator", "coordinateur", "coordinatrice", "charge", "chargee", "gerant", "gerante",
        "founder", "cofounder", "fondateur", "fondatrice", "partner", "associe", "associee", "associate",
        "specialist", "specialiste", "administrateur", "administratrice", "administrator", "developer",
        "developpeur", "developpeuse", "sales", "commercial", "commerciale", "account", "executive",
        "secretaire", "secretary", "comptable", "accountant", "controller", "controleur", "controleuse",
        "technicien", "technicienne", "technician", "owner", "principal", "senior", "junior",
        "stagiaire", "intern", "buyer", "purchasing", "procurement", "achats", "product", "projet",
        "project", "operations", "operateur", "operatrice", "operator", "utilisateur", "utilisatrice",
        "representative", "representant", "delegue", "deleguee", "advisor", "adviser", "conseiller",
        "conseillere", "trader", "supervisor", "superviseur", "chairman", "attorney", "avocat",
        "avocate", "paralegal", "it", "informatique", "office", "team", "leader", "directeur",
        "management", "marketing", "finance", "financier", "financiere", "rh", "hr", "scientist",
        "professor", "professeur", "researcher", "chercheur", "adjoint", "adjointe", "general",
        "generale", "export", "commis", "agent", "planner", "planificateur", "scheduler",
        "acheteur", "sourcing", "juridique", "category", "chief", "evp", "svp", "avp", "md",
    };
    return w;
}

// title_words() as a table looked up by std::string_view (no std::string per word).
bool is_title_word(std::string_view w) {
    static const detail::WordIndex<> index = [] {
        detail::WordIndex<> i;
        for (const std::string& t : title_words()) i[t].push_back(0);
        return i;
    }();
    return index.find(w) != nullptr;
}

bool has_digit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A person's name: 1 to 4 capitalized words (or all caps), letters only, no digit, '@' or URL.
// known_not_closing: t is a signature line parse_signature already found to be neither a closing
// nor a mobile footer (those two tests are not run again).
bool looks_like_name(std::string_view t, std::string_view from_name, bool known_not_closing = false) {
    if (t.empty() || t.size() > 50 || has_digit(t) || t.find('@') != std::string_view::npos ||
        t.find("://") != std::string_view::npos || t.find("www.") != std::string_view::npos)
        return false;
    if (!known_not_closing && (is_closing_line(t) || is_mobile_footer(t))) return false;
    // tokenize(t) without a string per word, into buffers kept per thread (no allocation per
    // line; nothing below folds into them again before toks is last read).
    thread_local FoldedText scratch;
    fold_words_into(scratch, t);
    const FoldedText& toks = scratch;
    if (toks.words.empty() || toks.words.size() > 4) return false;
    // Every word must start with an upper-case letter (ASCII or a UTF-8 multibyte letter).
    std::size_t pos = 0;
    int words = 0;
    while (pos < t.size()) {
        while (pos < t.size() && (t[pos] == ' ' || t[pos] == '.' || t[pos] == ',')) ++pos;
        if (pos >= t.size()) break;
        unsigned char c = static_cast<unsigned char>(t[pos]);
        bool upper = (c >= 'A' && c <= 'Z') || c >= 0xC3;  // Latin capitals with accents start 0xC3 0x80..0x9E
        if (c >= 0xC3 && pos + 1 < t.size()) {
            unsigned char c2 = static_cast<unsigned char>(t[pos + 1]);
            upper = c == 0xC3 && c2 >= 0x80 && c2 <= 0x9E;
        }
        // Particles inside names ("de", "van", "d'") are allowed in lower case.
        std::size_t end = t.find(' ', pos);
        if (end == std::string_view::npos) end = t.size();
        static const std::unordered_set<std::string> particles = {"de", "du", "des", "van", "von", "der",
                                                                  "le", "la", "d", "di", "da", "del"};
        // The word is folded only when it does not start with a capital (most do).
        if (!upper && !particles.count(fold(t.substr(pos, end - pos)))) return false;
        for (char ch : t.substr(pos, end - pos))
            if (!(std::isalpha(static_cast<unsigned char>(ch)) || ch == '-' || ch == '\'' || ch == '.' ||
                  static_cast<unsigned char>(ch) >= 0x80))
                return false;
        ++words;
        pos = end;
    }
    if (words == 0) return false;
    for (std::size_t k = 0; k < toks.words.size(); ++k)
        if (is_title_word(toks.norm(k)) && toks.norm(k) != "general") return false;
    // (A word shared with the sender's display name used to be looked for here, but a line that
    // got this far is a name either way: the answer is true without folding from_name.)
    (void)from_name;
    return true;
}

// The length of the part separator starting at line[p] ("|", ", ", " - ", " – ", " — ", " / ",
// "\t"), 0 when none does. At most one of them can start at a given byte.
std::size_t separator_at(std::string_view line, std::size_t p) {
    switch (line[p]) {
        case '|':
        case '\t': return 1;
        case ',': return p + 1 < line.size() && line[p + 1] == ' ' ? 2 : 0;
        case ' ': {
            // " - ", " / ", " – " (E2 80 93), " — " (E2 80 94), byte by byte (spaces are frequent).
            const std::size_t rest = line.size() - p;
            if (rest >= 3 && (line[p + 1] == '-' || line[p + 1] == '/') && line[p + 2] == ' ') return 3;
            if (rest >= 5 && line[p + 1] == '\xE2' && line[p + 2] == '\x80' &&
                (line[p + 3] == '\x93' || line[p + 3] == '\x94') && line[p + 4] == ' ')
                return 5;
            return 0;
        }
        default: return 0;
    }
}

// The first byte at or after p that can start a separator ('|', '\t', ',' or ' ': separator_at
// is 0 at every other byte), or line.size(). Sixteen bytes at a time: signature lines on list mail
// are long (footers, quoted patch lines), and the byte loop was most of parse_signature there.
std::size_t separator_candidate(std::string_view line, std::size_t p) {
    const std::size_t n = line.size();
#if defined(__SSE2__)
    for (; p + 16 <= n; p += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(line.data() + p));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('|')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))),
                                         _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')), _mm_cmpeq_epi8(x, _mm_set1_epi8(' '))));
        if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit))) return p + static_cast<std::size_t>(__builtin_ctz(mask));
    }
#endif
    for (; p < n; ++p)
        if (line[p] == '|' || line[p] == '\t' || line[p] == ',' || line[p] == ' ') return p;
    return n;
}

std::vector<std::string_view> split_parts(std::string_view line) {
    // "Name | Title | Company", "Name, Title", "Title – Company", "Name - Title".
    // Cut at the nearest separator each time, found in one walk of the line (was a find() per
    // separator from every cut, the " …" ones stopping at every space).
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i <= line.size()) {
        std::size_t best = i, len = 0;
        while ((best = separator_candidate(line, best)) < line.size() && (len = separator_at(line, best)) == 0) ++best;
        if (len == 0) { parts.push_back(trim(line.substr(i))); break; }
        parts.push_back(trim(line.substr(i, best - i)));
        i = best + len;
    }
    parts.erase(std::remove_if(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); }),
                parts.end());
    return parts;
}

}  // namespace

bool looks_like_title(std::string_view text);

namespace {

// The first part that looks like a title, joined with the following parts while they do too
// ("Vice President, Operations", "Project Lead, Operations"), but not with a company name.
std::string title_from_parts(const std::vector<std::string_view>& parts, std::size_t from) {
    for (std::size_t p = from; p < parts.size(); ++p) {
        if (!looks_like_title(parts[p])) continue;
        std::string title(parts[p]);
        for (std::size_t q = p + 1; q < parts.size() && looks_like_title(parts[q]); ++q)
            title += ", " + std::string(parts[q]);
        return title;
    }
    return {};
}

}  // namespace

bool looks_like_title(std::string_view text) {
    std::string_view t = trim(text);
    if (t.empty() || t.size() > 80 || t.find('@') != std::string_view::npos ||
        t.find("://") != std::string_view::npos)
        return false;
    // tokenize(t) without a string per word, into buffers kept per thread (as looks_like_name).
    thread_local FoldedText scratch;
    fold_words_into(scratch, t);
    const FoldedText& toks = scratch;
    if (toks.words.empty() || toks.words.size() > 10) return false;
    for (std::size_t k = 0; k < toks.words.size(); ++k)
        if (is_title_word(toks.norm(k))) return true;
    return false;
}

Signature parse_signature(std::string_view signature, std::string_view from_name) {
    Signature sig;
    std::vector<std::string_view> lines;
    std::size_t i = 0;
    while (i < signature.size() && lines.size() < 12) {
        std::size_t j = signature.find('\n', i);
        if (j == std::string_view::npos) j = signature.size();
        std::string_view t = trim(signature.substr(i, j - i));
        i = j + 1;
        if (t.empty() || t == "--" || t == "-" || is_mobile_footer(t) || is_closing_line(t)) continue;
        lines.push_back(t);
    }
    for (std::size_t k = 0; k < lines.size() && k < 6; ++k) {
        std::vector<std::string_view> parts = split_parts(lines[k]);
        if (parts.empty()) continue;
        // "Dupont, Jean" (Lotus) is one name, not a name and a title.
        if (parts.size() == 2 && lines[k].find(", ") != std::string_view::npos &&
            looks_like_name(parts[0], from_name) && looks_like_name(parts[1], from_name) &&
            !looks_like_title(parts[1])) {
            sig.name = std::string(parts[1]) + " " + std::string(parts[0]);
        } else if (looks_like_name(parts[0], from_name, parts[0] == lines[k])) {
            sig.name = std::string(parts[0]);
            sig.title = title_from_parts(parts, 1);
        } else {
            continue;
        }
        if (sig.title.empty() && k + 1 < lines.size()) sig.title = title_from_parts(split_parts(lines[k + 1]), 0);
        return sig;
    }
    // No name line: a title may still be there ("Directeur commercial – ACME").
    for (std::size_t k = 0; k < lines.size() && k < 4; ++k) {
        sig.title = title_from_parts(split_parts(lines[k]), 0);
        if (!sig.title.empty()) break;
    }
    return sig;
}

}  // namespace ilc::text
