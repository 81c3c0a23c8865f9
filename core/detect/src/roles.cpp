#include <array>
#include <string>

#include "interlocutor/detect/analyze.h"
#include "text_fold.h"

namespace ilc::detect {

std::string fold(std::string_view s) {
    // U+00C0..U+00FF folded to ASCII; '?' marks characters that have no letter form.
    static const char* kLatin1 = "aaaaaaaceeeeiiiidnooooo?ouuuuyts" "aaaaaaaceeeeiiiidnooooo?ouuuuyty";
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
            continue;
        }
        if ((c == 0xC3) && i + 1 < s.size()) {
            unsigned char n = static_cast<unsigned char>(s[i + 1]);
            if (n >= 0x80 && n <= 0xBF) {
                out += kLatin1[n - 0x80];
                ++i;
                continue;
            }
        }
        if (c == 0xC5 && i + 1 < s.size()) {  // œ, Œ
            unsigned char n = static_cast<unsigned char>(s[i + 1]);
            if (n == 0x92 || n == 0x93) { out += "oe"; ++i; continue; }
        }
        if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
            unsigned char n = static_cast<unsigned char>(s[i + 2]);
            if (n == 0x98 || n == 0x99) { out += '\''; i += 2; continue; }  // ‘ ’
            if (n >= 0x90 && n <= 0x95) { out += '-'; i += 2; continue; }   // dashes
        }
        out += static_cast<char>(c);
    }
    return out;
}

std::vector<std::string> words_of(std::string_view folded) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : folded) {
        unsigned char c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c >= 0x80) {
            cur += ch;
        } else if (!cur.empty()) {
            out.push_back(cur);
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

bool has_phrase(const std::vector<std::string>& words, std::string_view phrase) {
    std::vector<std::string> p = words_of(phrase);
    if (p.empty() || p.size() > words.size()) return false;
    for (size_t i = 0; i + p.size() <= words.size(); ++i) {
        size_t k = 0;
        while (k < p.size() && words[i + k] == p[k]) ++k;
        if (k == p.size()) return true;
    }
    return false;
}

namespace {

struct RoleRule {
    const char* role;
    std::vector<const char*> phrases;
};

// Order matters (SPEC "Stakeholders"): the first family with a match wins, so the specific
// functions come before the generic titles. "Directeur commercial" is an influencer and
// "Directrice des achats" a signatory, although both are directors; "Chief Technology Officer"
// and "Directeur des systèmes d'information" prescribe; an "Executive Assistant" is an end user.
const std::vector<RoleRule>& rules() {
    static const std::vector<RoleRule> r = {
        {"signatory", {"juridique", "juridiques", "juriste", "legal", "counsel", "achats", "achat", "acheteur",
                       "acheteuse", "procurement", "purchasing", "purchase", "buyer", "contract", "contracts",
                       "contrats", "sourcing"}},
        {"influencer", {"directeur commercial", "directrice commerciale", "sales director", "director of sales",
                        "head of sales", "responsable commercial", "responsable commerciale", "chef de projet",
                        "cheffe de projet", "project lead", "project leader", "project manager", "program manager",
                        "programme manager", "directeur de projet", "directrice de projet", "business developer",
                        "account manager"}},
        {"prescriber", {"dsi", "cto", "cio", "rssi", "ciso", "technique", "technical", "technology", "technologies",
                        "architect", "architecte", "architecture", "ingenieur", "ingenieure", "engineer", "engineering",
                        "systemes d information", "systemes d'information", "information systems", "informatique",
                        "developer", "developpeur", "developpeuse", "devops", "infrastructure", "chief information"}},
        {"end_user", {"assistant", "assistante", "utilisateur", "utilisatrice", "user", "operator", "operateur",
                      "operatrice", "agent"}},
        {"decision_maker", {"ceo", "pdg", "dg", "vp", "svp", "evp", "vice president", "vice presidente",
                            "directeur general", "directrice generale", "president", "presidente", "managing director",
                            "gerant", "gerante", "chief executive", "founder", "co founder", "cofounder", "fondateur",
                            "fondatrice", "general manager", "dga", "dgd", "secretaire general",
                            "secretaire generale", "secretary general", "general secretary", "business owner", "coo", "cfo", "chief operating",
                            "chief financial", "daf", "directeur administratif et financier", "proprietaire",
                            "managing partner", "associe gerant"}},
    };
    return r;
}

}  // namespace

std::string role_from_title(std::string_view title) {
    if (title.empty()) return "unknown";
    // "IT" is matched case-sensitively: the lower-case word "it" is ordinary English.
    std::vector<std::string> raw = words_of(title);
    std::vector<std::string> w = words_of(fold(title));
    bool has_it = false;
    for (const auto& x : raw) has_it = has_it || x == "IT" || x == "I.T";
    for (const auto& rule : rules()) {
        if (std::string_view(rule.role) == "prescriber" && has_it) return rule.role;
        for (const char* p : rule.phrases)
            if (has_phrase(w, p)) return rule.role;
    }
    return "unknown";
}

}  // namespace ilc::detect
