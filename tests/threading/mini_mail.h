#pragma once
// A small header reader for the threading tests and thread_json_tool: it reads mbox files
// (plain or gzip), Maildir folders and single message files, and fills ThreadInput from
// Message-ID, In-Reply-To, References, Subject, Date, From/To/Cc and Thread-Index.
//
// Why not ilc_parsers: the threader's tests must run while the parsers library is written in
// parallel, and threading only needs these few fields. Ids are taken between angle brackets
// like RFC 5322 section 3.6.4 msg-id; an In-Reply-To phrase ("<id> (Joe's message of ...)")
// is skipped because only bracketed ids are taken.
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/threading/threader.h"

namespace ilc::testing {

struct RawMessage {
    std::string path;       // file it came from
    std::string from_line;  // the mbox "From " line, "" for files
    std::string text;       // the message (headers and body)
};

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Reads a whole file, gunzipping it when it is gzip (zlib reads plain files unchanged).
inline std::optional<std::string> read_file_any(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return std::nullopt;
    std::string out;
    char buf[65536];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    gzclose(f);
    return out;
}

// mboxrd/mboxo split on "From " lines at the start of the file or after a blank line.
inline std::vector<RawMessage> split_mbox(const std::string& path, const std::string& data) {
    std::vector<RawMessage> out;
    size_t pos = 0;
    bool prev_blank = true;
    RawMessage* cur = nullptr;
    size_t body_start = 0;
    auto finish = [&](size_t end) {
        if (cur) cur->text = data.substr(body_start, end - body_start);
    };
    while (pos < data.size()) {
        size_t eol = data.find('\n', pos);
        size_t next = eol == std::string::npos ? data.size() : eol + 1;
        std::string_view line(data.data() + pos, next - pos);
        if (prev_blank && line.substr(0, 5) == "From ") {
            finish(pos);
            out.push_back(RawMessage{path, std::string(line.substr(0, line.find_first_of("\r\n"))), ""});
            cur = &out.back();
            body_start = next;
        }
        std::string_view trimmed = line;
        while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.remove_suffix(1);
        prev_blank = trimmed.empty();
        pos = next;
    }
    finish(data.size());
    return out;
}

// Every message under a path: a directory (Maildir cur/new or any files, recursively, sorted
// by name), an mbox file (plain or .gz), or one message file.
inline std::vector<RawMessage> read_messages(const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<RawMessage> out;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        std::vector<std::string> files;
        for (auto it = fs::recursive_directory_iterator(path, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) break;
            if (it->is_regular_file(ec)) files.push_back(it->path().string());
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            auto sub = read_messages(f);
            out.insert(out.end(), sub.begin(), sub.end());
        }
        return out;
    }
    auto data = read_file_any(path);
    if (!data) return out;
    if (data->compare(0, 5, "From ") == 0) return split_mbox(path, *data);
    out.push_back(RawMessage{path, "", std::move(*data)});
    return out;
}

struct Field {
    std::string name;  // lower-cased
    std::string value; // unfolded
};

inline std::vector<Field> header_fields(std::string_view text) {
    std::vector<Field> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
        std::string_view line = text.substr(pos, next - pos);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        if (line.empty()) break;  // the blank line ends the header
        if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
            out.back().value += ' ';
            out.back().value += std::string(line.substr(line.find_first_not_of(" \t")));
        } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
            std::string name = lower(line.substr(0, colon));
            while (!name.empty() && name.back() == ' ') name.pop_back();
            std::string_view v = line.substr(colon + 1);
            size_t s = v.find_first_not_of(" \t");
            out.push_back(Field{name, s == std::string_view::npos ? "" : std::string(v.substr(s))});
        }
        pos = next;
    }
    return out;
}

inline const Field* find_field(const std::vector<Field>& fs, std::string_view name) {
    for (const auto& f : fs)
        if (f.name == name) return &f;
    return nullptr;
}

// Bracketed ids; a value without brackets that looks like one bare id is taken too.
inline std::vector<std::string> msg_ids(std::string_view v) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = v.find('<', pos)) != std::string_view::npos) {
        size_t close = v.find('>', pos);
        if (close == std::string_view::npos) break;
        std::string id(v.substr(pos + 1, close - pos - 1));
        id.erase(std::remove_if(id.begin(), id.end(), [](char c) { return c == ' ' || c == '\t'; }), id.end());
        if (!id.empty()) out.push_back(id);
        pos = close + 1;
    }
    if (out.empty()) {
        std::string_view t = v;
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
        if (!t.empty() && t.find(' ') == std::string_view::npos && t.find('@') != std::string_view::npos)
            out.emplace_back(t);
    }
    return out;
}

inline int month_of(std::string_view m) {
    static const char* names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    std::string l = lower(m.substr(0, 3));
    for (int i = 0; i < 12; ++i)
        if (l == names[i]) return i;
    return -1;
}

// RFC 5322 dates ("Fri, 22 Feb 2008 22:00:10 +0200") and asctime dates of mbox From lines
// ("Fri Feb 22 17:06:23 2008"); returns UTC seconds.
inline std::optional<int64_t> parse_date_loose(std::string_view v) {
    std::vector<std::string> tok;
    std::string cur;
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == ',') {
            if (!cur.empty()) tok.push_back(cur), cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) tok.push_back(cur);
    int day = -1, mon = -1, year = -1, h = 0, mi = 0, s = 0, zone = 0;
    bool have_time = false;
    for (const auto& t : tok) {
        if (t.find(':') != std::string::npos && !have_time) {
            if (std::sscanf(t.c_str(), "%d:%d:%d", &h, &mi, &s) >= 2) have_time = true;
        } else if ((t[0] == '+' || t[0] == '-') && t.size() == 5 && std::isdigit(static_cast<unsigned char>(t[1]))) {
            int z = std::stoi(t.substr(1));
            zone = (z / 100 * 60 + z % 100) * (t[0] == '-' ? -1 : 1);
        } else if (month_of(t) >= 0 && mon < 0 && t.size() >= 3 && std::isalpha(static_cast<unsigned char>(t[0]))) {
            mon = month_of(t);
        } else if (std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            int n = std::stoi(t.substr(0, 9));
            if (day < 0 && n >= 1 && n <= 31 && t.size() <= 2) day = n;
            else if (year < 0) year = n < 50 ? 2000 + n : n < 1000 ? 1900 + n : n;
        }
    }
    if (day < 0 || mon < 0 || year < 0) return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<int64_t>(timegm(&tm)) - zone * 60;
}

inline void add_addresses(std::vector<std::string>& out, std::string_view v) {
    // Addresses are the '@' words, inside angle brackets or bare, lower-cased.
    size_t pos = 0;
    while ((pos = v.find('@', pos)) != std::string_view::npos) {
        size_t b = pos, e = pos;
        auto stop = [](char c) { return c == '<' || c == '>' || c == ' ' || c == ',' || c == '"' || c == '(' || c == ')' || c == ';' || c == '\t'; };
        while (b > 0 && !stop(v[b - 1])) --b;
        while (e < v.size() && !stop(v[e])) ++e;
        std::string a = lower(v.substr(b, e - b));
        if (a.size() > 2 && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
        pos = e;
    }
}

inline threading::ThreadInput to_thread_input(const RawMessage& raw) {
    threading::ThreadInput in;
    auto fs = header_fields(raw.text);
    if (auto f = find_field(fs, "message-id")) {
        auto ids = msg_ids(f->value);
        if (!ids.empty()) in.message_id = ids.front();
    }
    if (auto f = find_field(fs, "in-reply-to")) in.in_reply_to = msg_ids(f->value);
    if (auto f = find_field(fs, "references")) in.references = msg_ids(f->value);
    if (auto f = find_field(fs, "subject")) in.subject = f->value;
    if (auto f = find_field(fs, "thread-index")) in.thread_index = f->value;
    if (auto f = find_field(fs, "thread-topic")) in.thread_topic = f->value;
    if (auto f = find_field(fs, "list-id")) in.list_id = f->value;
    std::optional<int64_t> date;
    if (auto f = find_field(fs, "date")) date = parse_date_loose(f->value);
    if (!date && !raw.from_line.empty()) {
        std::string_view fl = raw.from_line;
        size_t sp = fl.find(' ', 5);  // skip "From sender"
        if (sp != std::string_view::npos) date = parse_date_loose(fl.substr(sp));
    }
    in.date = date.value_or(0);
    for (const char* h : {"from", "to", "cc"})
        for (const auto& f : fs)
            if (f.name == h) add_addresses(in.participants, f.value);
    return in;
}

}  // namespace ilc::testing
