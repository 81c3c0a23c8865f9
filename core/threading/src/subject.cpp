// normalize_subject: the key of the subject fallback (see threader.h and docs/THREADING.md).
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "interlocutor/threading/threader.h"

namespace ilc::threading {
namespace {

// Reply and forward markers seen in real mail, already lower-cased. RFC 5256 section 2.1
// only knows "re" and "fwd"/"fw"; clients in other languages write their own words: French
// "tr" (transféré) and "réf", German "aw" (Antwort) and "wg" (weitergeleitet), Scandinavian
// "sv" (svar) and "vs" (videresendt), Dutch "antw", Italian "rif", Polish "odp", Spanish and
// Portuguese "res" and "enc", Finnish "vl", Turkish "ynt".
constexpr std::array<std::string_view, 18> kPrefixes = {
    "re", "fwd", "fw", "tr", "réf", "ref", "aw", "wg", "sv", "vs", "antw", "rif",
    "odp", "res", "enc", "vl", "ynt", "fs"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

void skip_spaces(std::string_view s, size_t& i) {
    while (i < s.size()) {
        if (is_space(s[i])) { ++i; continue; }
        // U+00A0 NO-BREAK SPACE, common in Outlook's "RE :" of French mail.
        if (s.compare(i, 2, "\xc2\xa0") == 0) { i += 2; continue; }
        break;
    }
}

// Length of a reply/forward marker at the start of s ("re:", "re [2] :", "fwd :"), or 0.
size_t marker_length(std::string_view s) {
    for (std::string_view p : kPrefixes) {
        if (s.substr(0, p.size()) != p) continue;
        size_t i = p.size();
        skip_spaces(s, i);
        // A counter: "Re[2]:", "Re(3):", "Re^2:" (RFC 5256 does not know them; clients write them).
        if (i < s.size() && (s[i] == '[' || s[i] == '(')) {
            char close = s[i] == '[' ? ']' : ')';
            size_t j = i + 1;
            while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
            if (j > i + 1 && j < s.size() && s[j] == close) i = j + 1;
        } else if (i < s.size() && s[i] == '^') {
            size_t j = i + 1;
            while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
            if (j > i + 1) i = j;
        }
        skip_spaces(s, i);
        if (i < s.size() && s[i] == ':') return i + 1;
        // U+FF1A FULLWIDTH COLON, written by CJK clients.
        if (s.compare(i, 3, "\xef\xbc\x9a") == 0) return i + 3;
    }
    return 0;
}

std::string lower_utf8(std::string_view s) {
    // ASCII is most subjects: lower-case it without the ICU round trip.
    if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
        std::string out(s);
        for (auto& c : out)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        return out;
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
    u.toLower(icu::Locale::getRoot());
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace

bool has_reply_marker(std::string_view subject) {
    std::string low = lower_utf8(subject);
    std::string_view s = low;
    for (;;) {
        size_t i = 0;
        skip_spaces(s, i);
        s.remove_prefix(i);
        if (!s.empty() && s[0] == '[') {
            size_t close = s.find(']');
            if (close != std::string_view::npos && close < 64) {
                s.remove_prefix(close + 1);
                continue;
            }
        }
        return marker_length(s) > 0;
    }
}

std::string normalize_subject(std::string_view subject) {
    std::string low = lower_utf8(subject);
    std::string_view s = low;
    // RFC 5256 section 2.1: remove subj-leader (list tags and "re:"-like markers) repeatedly,
    // and subj-trailer ("(fwd)") at the end, until nothing changes.
    bool changed = true;
    while (changed) {
        changed = false;
        size_t i = 0;
        skip_spaces(s, i);
        s.remove_prefix(i);
        if (!s.empty() && s[0] == '[') {
            // A list tag or a gateway tag ("[open-iscsi]", "[EXT]"). A bracket that does not close
            // within a short tag is text, not a tag.
            size_t close = s.find(']');
            if (close != std::string_view::npos && close < 64) {
                s.remove_prefix(close + 1);
                changed = true;
                continue;
            }
        }
        if (size_t n = marker_length(s); n > 0) {
            s.remove_prefix(n);
            changed = true;
            continue;
        }
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        if (s.size() >= 5 && s.substr(s.size() - 5) == "(fwd)") {
            s.remove_suffix(5);
            changed = true;
        }
    }
    // Collapse whitespace runs to one space (RFC 5256 section 2.1 step 1).
    std::string out;
    out.reserve(s.size());
    bool pending_space = false;
    for (size_t i = 0; i < s.size();) {
        if (is_space(s[i])) { pending_space = true; ++i; continue; }
        if (s.compare(i, 2, "\xc2\xa0") == 0) { pending_space = true; i += 2; continue; }
        if (pending_space && !out.empty()) out += ' ';
        pending_space = false;
        out += s[i++];
    }
    return out;
}

}  // namespace ilc::threading
