// Message-ID, In-Reply-To and References (RFC 5322 section 3.6.4) to bare ids, tolerant of what
// real clients write: phrases and comments around ids, missing brackets, folded ids.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

// An id without its brackets; whitespace inside (from bad folding) is removed.
std::string clean_id(std::string_view raw) {
    auto dropped = [](char c) { return text::is_space(c) || c == '<' || c == '>'; };
    // Nearly every id has nothing to drop: one copy (References of list mail hold dozens of ids).
    const auto first = std::find_if(raw.begin(), raw.end(), dropped);
    if (first == raw.end()) return std::string(raw);
    std::string id(raw.begin(), first);
    id.reserve(raw.size());
    for (auto it = first; it != raw.end(); ++it)
        if (!dropped(*it)) id += *it;
    return id;
}

}  // namespace

std::vector<std::string> parse_msg_ids(std::string_view v) {
    std::vector<std::string> ids;
    std::vector<std::string_view> bare;  // tokens with '@' outside brackets
    bool saw_bracket = false;
    size_t i = 0;
    while (i < v.size()) {
        const char c = v[i];
        if (c == '(') {
            // RFC 5322 section 3.2.2 comment, nested, with quoted-pairs: not part of any id.
            int depth = 0;
            for (; i < v.size(); ++i) {
                if (v[i] == '\\') { ++i; continue; }
                if (v[i] == '(') ++depth;
                else if (v[i] == ')' && --depth == 0) { ++i; break; }
            }
        } else if (c == '"') {
            // A quoted phrase ("Joe's message of ..."): skipped.
            ++i;
            while (i < v.size() && v[i] != '"') {
                if (v[i] == '\\') ++i;
                ++i;
            }
            ++i;
        } else if (c == '<') {
            saw_bracket = true;
            // The common id ("<a@b>": no blank inside) in one scan, copied as it is: what the
            // general case below gives for it (clean_id has nothing to drop).
            size_t j = text::find_first_of<'<', '>', ' ', '\t', '\r', '\n'>(v, i + 1);
            if (j < v.size() && v[j] == '>') {
                if (j > i + 1) ids.emplace_back(v.substr(i + 1, j - i - 1));
                i = j + 1;
                continue;
            }
            // msg-id = "<" id-left "@" id-right ">". An unterminated id ends at whitespace or the
            // next '<' (a truncated References line should not eat the next id).
            j = text::find_first_of<'<', '>'>(v, j);
            std::string_view inner = v.substr(i + 1, j - i - 1);
            if (j >= v.size() || v[j] == '<') {
                size_t k = 0;
                while (k < inner.size() && text::is_space(inner[k])) ++k;
                while (k < inner.size() && !text::is_space(inner[k])) ++k;
                inner = inner.substr(0, k);
                j = i + 1 + k;
            } else {
                ++j;  // past '>'
            }
            std::string id = clean_id(inner);
            if (!id.empty()) ids.push_back(std::move(id));
            i = j;
        } else if (text::is_space(c) || c == ',' || c == ';') {
            ++i;
        } else {
            const size_t b = i;
            i = text::find_first_of<' ', '\t', '\r', '\n', '<', '(', '"', ',', ';'>(v, i);
            std::string_view tok = v.substr(b, i - b);
            // Trailing punctuation of a phrase ("... a@b." ) is not part of an id.
            while (!tok.empty() && (tok.back() == '.' || tok.back() == ':' || tok.back() == '>'))
                tok.remove_suffix(1);
            if (tok.find('@') != std::string_view::npos && tok.front() != '@' && tok.back() != '@') bare.push_back(tok);
        }
    }
    // Ids without brackets count only when no bracketed id exists: in "Your message of ... <id>"
    // a word with '@' in the phrase is an address, not an id.
    if (!saw_bracket)
        for (std::string_view t : bare) ids.push_back(clean_id(t));
    return ids;
}

}  // namespace ilc::parsers
