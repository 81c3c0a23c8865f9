#include "interlocutor/text/lang.h"

#include <algorithm>
#include <unordered_set>

#include "interlocutor/text/normalize.h"

namespace ilc::text {

std::string detect_lang(std::string_view text) {
    // Stop words unique to each language after folding (no "a", "on", "me", "est" ambiguity kept
    // where it is cheap to avoid).
    static const std::unordered_set<std::string> fr = {
        "le", "la", "les", "des", "du", "un", "une", "et", "est", "je", "vous", "nous", "pour", "avec",
        "sur", "dans", "pas", "que", "qui", "ce", "cette", "au", "aux", "mais", "ou", "votre", "vos",
        "notre", "nos", "merci", "bonjour", "cordialement", "tres", "bien", "sont", "etre", "avons",
        "avez", "ai", "mon", "ma", "mes", "il", "elle", "c", "j", "d", "l", "qu", "n", "s", "y"};
    static const std::unordered_set<std::string> en = {
        "the", "and", "is", "are", "you", "we", "for", "with", "this", "that", "of", "to", "in", "it",
        "be", "have", "has", "will", "would", "can", "could", "please", "thanks", "thank", "hi",
        "hello", "regards", "our", "your", "my", "i", "not", "from", "at", "as", "if", "do", "was",
        "what", "when", "on", "an"};
    std::string_view head = text.substr(0, std::min<std::size_t>(text.size(), 4096));
    int f = 0, e = 0;
    for (const Token& t : tokenize(head)) {
        if (fr.count(t.norm)) ++f;
        if (en.count(t.norm)) ++e;
    }
    if (f < 2 && e < 2) return "";
    if (f == e) return "";
    return f > e ? "fr" : "en";
}

}  // namespace ilc::text
