// Encoding of the per-folder change-tracking state kept in the store's meta (see changes.h),
// and server_changes(), which reads it back for loaders and detectors.
#include "changes.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ilc::imap::detail {

namespace {

std::optional<int64_t> to_int(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

// Splits s on `sep`; empty trailing piece dropped.
std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t a = 0;
    while (a < s.size()) {
        size_t b = s.find(sep, a);
        if (b == std::string_view::npos) b = s.size();
        out.push_back(s.substr(a, b - a));
        a = b + 1;
    }
    return out;
}

}  // namespace

std::string modseq_key(const std::string& path) { return "imap.modseq:" + path; }
std::string uids_key(const std::string& path) { return "imap.uids:" + path; }
std::string flags_key(const std::string& path) { return "imap.flags:" + path; }
std::string removed_key(const std::string& path) { return "imap.removed:" + path; }

std::string encode_uid_set(const std::vector<int64_t>& uids) {
    std::string s;
    for (size_t i = 0; i < uids.size();) {
        size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        if (!s.empty()) s += ',';
        s += std::to_string(uids[i]);
        if (j > i) s += ":" + std::to_string(uids[j]);
        i = j + 1;
    }
    return s;
}

std::optional<std::vector<int64_t>> decode_uid_set(std::string_view s, size_t max_uids) {
    std::vector<int64_t> out;
    for (auto piece : split(s, ',')) {
        auto colon = piece.find(':');
        auto lo = to_int(piece.substr(0, colon));
        auto hi = colon == std::string_view::npos ? lo : to_int(piece.substr(colon + 1));
        if (!lo || !hi || *lo == 0 || *hi < *lo) return std::nullopt;
        if (static_cast<uint64_t>(*hi - *lo) + out.size() >= max_uids) return std::nullopt;
        for (int64_t u = *lo; u <= *hi; ++u) out.push_back(u);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

int flags_bits(const Flags& f) {
    return (f.seen ? 1 : 0) | (f.replied ? 2 : 0) | (f.flagged ? 4 : 0) | (f.draft ? 8 : 0) | (f.trashed ? 16 : 0) |
           (f.passed ? 32 : 0);
}

Flags flags_from_bits(int b) {
    Flags f;
    f.seen = b & 1;
    f.replied = b & 2;
    f.flagged = b & 4;
    f.draft = b & 8;
    f.trashed = b & 16;
    f.passed = b & 32;
    return f;
}

Flags parse_flags(const Value& list) {
    Flags f;
    for (const auto& fl : list.items) {
        std::string l = fl.text;
        for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        f.seen |= l == "\\seen";
        f.replied |= l == "\\answered";
        f.flagged |= l == "\\flagged";
        f.draft |= l == "\\draft";
        f.trashed |= l == "\\deleted";
        f.passed |= l == "$forwarded";  // RFC 5550 keyword, what clients set on a forward
    }
    return f;
}

std::string flags_text(const Flags& f) {
    std::string s;
    auto add = [&](bool on, const char* name) {
        if (on) s += (s.empty() ? "" : " ") + std::string(name);
    };
    add(f.seen, "seen");
    add(f.replied, "replied");
    add(f.flagged, "flagged");
    add(f.draft, "draft");
    add(f.trashed, "trashed");
    add(f.passed, "passed");
    return s;
}

std::map<int64_t, FlagEntry> decode_flag_overlay(std::string_view s) {
    std::map<int64_t, FlagEntry> m;
    for (auto line : split(s, '\n')) {
        auto f = split(line, '\t');
        if (f.size() < 2) continue;  // a damaged line is dropped, not fatal: the next check rebuilds it
        auto uid = to_int(f[0]);
        auto bits = to_int(f[1]);
        if (!uid || !bits || *bits > 63) continue;
        m[*uid] = FlagEntry{static_cast<int>(*bits), f.size() > 2 ? std::string(f[2]) : std::string()};
    }
    return m;
}

std::string encode_flag_overlay(const std::map<int64_t, FlagEntry>& m) {
    std::string s;
    for (const auto& [uid, e] : m) s += std::to_string(uid) + "\t" + std::to_string(e.bits) + "\t" + e.message_id + "\n";
    return s;
}

std::vector<Removal> decode_removed(const std::string& path, std::string_view s) {
    std::vector<Removal> v;
    for (auto line : split(s, '\n')) {
        auto f = split(line, '\t');
        if (f.size() < 2) continue;
        auto uid = to_int(f[0]);
        auto at = to_int(f[1]);
        if (!uid || !at) continue;
        v.push_back(Removal{path, *uid, f.size() > 2 ? std::string(f[2]) : std::string(), *at});
    }
    return v;
}

std::string encode_removed(const std::vector<Removal>& v) {
    std::string s;
    for (const auto& r : v) s += std::to_string(r.uid) + "\t" + std::to_string(r.detected_at) + "\t" + r.message_id + "\n";
    return s;
}

}  // namespace ilc::imap::detail

namespace ilc::imap {

Result<ServerChanges> server_changes(store::Store& store) {
    ServerChanges out;
    auto sources = store.list_sources();
    if (!sources) return sources.error();
    for (const auto& src : sources.value()) {
        if (src.kind != "imap") continue;
        auto fl = store.get_meta(detail::flags_key(src.path));
        if (!fl) return fl.error();
        if (fl.value())
            for (const auto& [uid, e] : detail::decode_flag_overlay(*fl.value()))
                if (!e.message_id.empty()) out.flags[e.message_id] = detail::flags_from_bits(e.bits);
        auto rm = store.get_meta(detail::removed_key(src.path));
        if (!rm) return rm.error();
        if (rm.value())
            for (auto& r : detail::decode_removed(src.path, *rm.value())) out.removed.push_back(std::move(r));
    }
    std::stable_sort(out.removed.begin(), out.removed.end(),
                     [](const Removal& a, const Removal& b) { return a.detected_at < b.detected_at; });
    return out;
}

}  // namespace ilc::imap
