#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "interlocutor/ingest/ingest.h"

namespace ilc::ingest {

namespace {

std::string fold(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (std::isalnum(c) || c >= 0x80) out += static_cast<char>(std::tolower(c));
        else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace

bool is_sent_folder(std::string_view folder) {
    // Compare on a folded form so "Sent Items", "sent_items", ".Sent", "INBOX.Sent",
    // "[Gmail]/Sent Mail", "Éléments envoyés" and Enron's "_sent_mail" all match.
    std::string f = fold(folder);
    static const char* const names[] = {"sent", "sent items", "sent mail", "sent messages", "envoyes",
                                        "elements envoyes", "messages envoyes", "gesendet",
                                        "gesendete objekte", "enviados", "inviata", "posta inviata"};
    // Folder separators were folded to spaces: a name matches as the whole folded string or as
    // its last words ("inbox sent", "enron allen p sent mail"). Accents: a folded "envoyés" keeps its UTF-8 bytes; normalize é (c3 a9) to e.
    std::string plain;
    for (size_t i = 0; i < f.size(); ++i) {
        if (static_cast<unsigned char>(f[i]) == 0xc3 && i + 1 < f.size()) {
            unsigned char n = static_cast<unsigned char>(f[i + 1]);
            if (n == 0xa9 || n == 0xa8 || n == 0x89 || n == 0x88) { plain += 'e'; ++i; continue; }
        }
        plain += f[i];
    }
    for (const char* n : names) {
        std::string name(n);
        if (plain == name) return true;
        if (plain.size() > name.size() && plain.compare(plain.size() - name.size(), name.size(), name) == 0 &&
            plain[plain.size() - name.size() - 1] == ' ')
            return true;
    }
    return false;
}

std::vector<std::string> infer_owner(const std::vector<std::pair<std::string, std::string>>& sent_from_name_addr) {
    std::map<std::string, int> count;
    std::map<std::string, std::string> name_of;
    for (const auto& [name, addr] : sent_from_name_addr) {
        if (addr.empty()) continue;
        ++count[addr];
        if (!name.empty()) name_of[addr] = fold(name);
    }
    if (count.empty()) return {};
    auto best = std::max_element(count.begin(), count.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    std::vector<std::string> out{best->first};
    const std::string best_name = name_of[best->first];
    // An alias signs with the same name. A full name (two words or more) on two or more sent
    // mails is enough, however rarely the alias is used (a rep's short address used for a tenth
    // of the mail still makes that mail outbound); a one-word name ("Sales") must also carry a
    // fifth of the main address's count.
    const bool full_name = best_name.find(' ') != std::string::npos;
    for (const auto& [addr, n] : count) {
        if (addr == best->first || best_name.empty() || name_of[addr] != best_name) continue;
        if (n * 5 >= best->second || (full_name && n >= 2)) out.push_back(addr);
    }
    return out;
}

}  // namespace ilc::ingest
