#include "interlocutor/text/lang.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "interlocutor/text/normalize.h"

namespace ilc::text {

namespace {

// Stop words unique to each language after folding (no "a", "on", "me", "est" ambiguity kept
// where it is cheap to avoid).
constexpr std::string_view kFrench[] = {
    "le", "la", "les", "des", "du", "un", "une", "et", "est", "je", "vous", "nous", "pour", "avec",
    "sur", "dans", "pas", "que", "qui", "ce", "cette", "au", "aux", "mais", "ou", "votre", "vos",
    "notre", "nos", "merci", "bonjour", "cordialement", "tres", "bien", "sont", "etre", "avons",
    "avez", "ai", "mon", "ma", "mes", "il", "elle", "c", "j", "d", "l", "qu", "n", "s", "y"};
constexpr std::string_view kEnglish[] = {
    "the", "and", "is", "are", "you", "we", "for", "with", "this", "that", "of", "to", "in", "it",
    "be", "have", "has", "will", "would", "can", "could", "please", "thanks", "thank", "hi",
    "hello", "regards", "our", "your", "my", "i", "not", "from", "at", "as", "if", "do", "was",
    "what", "when", "on", "an"};

// The stop words by (length, first letter): a word is compared only with the two or three of
// the same length and initial, instead of hashing every word twice (detect_lang was a tenth of
// the ingest's CPU on Enron with two std::unordered_set<std::string> look-ups per word).
class StopWords {
public:
    StopWords() {
        for (std::string_view w : kFrench) slot(w).push_back({w, 1});
        for (std::string_view w : kEnglish) slot(w).push_back({w, 2});
    }
    // 1: French, 2: English, 0: neither. Folded words are lower-case ASCII letters and digits
    // or other UTF-8 (never a stop word).
    int lang_of(std::string_view w) const {
        if (w.empty() || w.size() > kMaxLen) return 0;
        const unsigned char c = static_cast<unsigned char>(w[0]);
        if (c < 'a' || c > 'z') return 0;
        for (const Entry& e : table_[w.size()][c - 'a'])
            if (e.word == w) return e.lang;
        return 0;
    }

private:
    struct Entry {
        std::string_view word;
        int lang;
    };
    static constexpr std::size_t kMaxLen = 12;  // "cordialement"
    std::vector<Entry>& slot(std::string_view w) { return table_[w.size()][static_cast<unsigned char>(w[0]) - 'a']; }
    std::vector<Entry> table_[kMaxLen + 1][26];
};

}  // namespace

std::string detect_lang(std::string_view text) {
    static const StopWords stop;
    std::string_view head = text.substr(0, std::min<std::size_t>(text.size(), 4096));
    // fold() is tokenize()'s words joined by single spaces (test_text_fastpaths checks it), built
    // without a string per word; an empty word (a lone combining mark) is no stop word either way.
    const std::string folded = fold(head);
    int f = 0, e = 0;
    std::size_t p = 0;
    while (p < folded.size()) {
        std::size_t q = folded.find(' ', p);
        if (q == std::string::npos) q = folded.size();
        switch (stop.lang_of(std::string_view(folded).substr(p, q - p))) {
            case 1: ++f; break;
            case 2: ++e; break;
            default: break;
        }
        p = q + 1;
    }
    if (f < 2 && e < 2) return "";
    if (f == e) return "";
    return f > e ? "fr" : "en";
}

}  // namespace ilc::text
