#include "codec.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ilc::store::detail {

namespace {

void append_escaped(std::string& out, std::string_view field) {
    // Nearly every field has nothing to escape and is appended whole (three memchr scans), and
    // otherwise the runs between the characters to escape are: appending byte by byte was 12 % of
    // the ingest writer's instructions (cue texts are sentences). Same bytes out.
    const char* d = field.data();
    const size_t n = field.size();
    if (n == 0) return;  // (memchr on the null data() of an empty view is undefined)
    if (!std::memchr(d, '\\', n) && !std::memchr(d, '\n', n) && !std::memchr(d, '\t', n)) {
        out.append(d, n);
        return;
    }
    size_t run = 0;
    for (size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (c != '\\' && c != '\n' && c != '\t') continue;
        out.append(field.data() + run, i - run);
        out += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\t";
        run = i + 1;
    }
    out.append(field.data() + run, field.size() - run);
}

// Records of `nfields` fields each. Decoding is lenient: a record with fewer fields gets empty
// ones, an unknown escape keeps its backslash; a hand-edited row never makes loading fail.
template <typename OnRecord>
void decode_records(std::string_view text, size_t nfields, OnRecord on_record) {
    if (text.empty()) return;
    if (text.find('\\') == std::string_view::npos) {
        // Nothing escaped (nearly every row): the same records and fields as the loop below, each
        // field built from its span in one go instead of byte by byte.
        std::vector<std::string> fields;
        fields.reserve(nfields);
        for (size_t start = 0;;) {
            size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            std::string_view record = text.substr(start, end - start);
            fields.clear();
            for (size_t f = 0;;) {
                size_t tab = record.find('\t', f);
                if (tab == std::string_view::npos) {
                    fields.emplace_back(record.substr(f));
                    break;
                }
                fields.emplace_back(record.substr(f, tab - f));
                f = tab + 1;
            }
            if (fields.size() < nfields) fields.resize(nfields);
            on_record(fields);
            if (end == text.size()) return;
            start = end + 1;
        }
    }
    std::vector<std::string> fields(1);
    fields.reserve(nfields);
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            char n = text[++i];
            switch (n) {
                case 'n': fields.back() += '\n'; break;
                case 't': fields.back() += '\t'; break;
                case '\\': fields.back() += '\\'; break;
                case 'e': break;  // an explicit empty field, see encode_list
                default: fields.back() += '\\'; fields.back() += n;
            }
        } else if (c == '\t') {
            fields.emplace_back();
        } else if (c == '\n') {
            fields.resize(std::max(fields.size(), nfields));
            on_record(fields);
            fields.assign(1, std::string());
        } else {
            fields.back() += c;
        }
    }
    fields.resize(std::max(fields.size(), nfields));
    on_record(fields);
}

// One record holding only empty fields would encode to "", the encoding of an empty list;
// "\e" (an escaped nothing) keeps them apart.
void mark_nonempty(std::string& out, bool has_records) {
    if (has_records && out.empty()) out = "\\e";
}

}  // namespace

std::string encode_list(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += '\n';
        append_escaped(out, items[i]);
    }
    mark_nonempty(out, !items.empty());
    return out;
}

std::vector<std::string> decode_list(std::string_view text) {
    std::vector<std::string> out;
    if (!text.empty()) out.reserve(size_t(std::count(text.begin(), text.end(), '\n')) + 1);
    decode_records(text, 1, [&](std::vector<std::string>& f) { out.push_back(std::move(f[0])); });
    return out;
}

std::string encode_cues(const std::vector<Message::Cue>& cues) {
    std::string out;
    // One allocation: the size without escapes (a dozen cues a message, each a sentence).
    size_t size = 0;
    for (const auto& c : cues) size += c.family.size() + c.text.size() + 2;
    out.reserve(size);
    for (size_t i = 0; i < cues.size(); ++i) {
        if (i) out += '\n';
        append_escaped(out, cues[i].family);
        out += '\t';
        append_escaped(out, cues[i].text);
    }
    // Never "" for a non-empty list: a cue always has its separating tab.
    return out;
}

std::vector<Message::Cue> decode_cues(std::string_view text) {
    std::vector<Message::Cue> out;
    if (!text.empty()) out.reserve(size_t(std::count(text.begin(), text.end(), '\n')) + 1);
    decode_records(text, 2, [&](std::vector<std::string>& f) {
        out.push_back(Message::Cue{std::move(f[0]), std::move(f[1])});
    });
    return out;
}

std::string encode_warnings(const std::vector<Warning>& warnings) {
    std::string out;
    for (size_t i = 0; i < warnings.size(); ++i) {
        if (i) out += '\n';
        append_escaped(out, warnings[i].code);
        out += '\t';
        out += std::to_string(warnings[i].offset);
        out += '\t';
        append_escaped(out, warnings[i].detail);
    }
    return out;
}

std::vector<Warning> decode_warnings(std::string_view text) {
    std::vector<Warning> out;
    decode_records(text, 3, [&](std::vector<std::string>& f) {
        Warning w;
        w.code = std::move(f[0]);
        w.offset = f[1].empty() ? -1 : std::strtoll(f[1].c_str(), nullptr, 10);
        w.detail = std::move(f[2]);
        out.push_back(std::move(w));
    });
    return out;
}

namespace {
void append_mailbox(std::string& out, char role, const Mailbox& mb) {
    if (!out.empty()) out += '\n';
    out += role;
    out += '\t';
    append_escaped(out, mb.address);
    if (!mb.name.empty()) {
        out += '\t';
        append_escaped(out, mb.name);
    }
}
}  // namespace

std::string encode_mailboxes(const Message& m) {
    std::string out;
    size_t size = m.from.address.size() + m.from.name.size() + m.sender.address.size() + m.sender.name.size() + 10;
    for (const auto* list : {&m.reply_to, &m.to, &m.cc, &m.bcc})
        for (const Mailbox& mb : *list) size += mb.address.size() + mb.name.size() + 5;
    out.reserve(size);  // one allocation (a mailbox's role, tabs and newline: 4 bytes)
    // The same mailboxes as version 1's rows: an absent From/Sender is an empty Mailbox and has no
    // record, so it stays absent on load.
    if (!m.from.address.empty() || !m.from.name.empty()) append_mailbox(out, 'f', m.from);
    if (!m.sender.address.empty() || !m.sender.name.empty()) append_mailbox(out, 's', m.sender);
    for (const Mailbox& mb : m.reply_to) append_mailbox(out, 'r', mb);
    for (const Mailbox& mb : m.to) append_mailbox(out, 't', mb);
    for (const Mailbox& mb : m.cc) append_mailbox(out, 'c', mb);
    for (const Mailbox& mb : m.bcc) append_mailbox(out, 'b', mb);
    return out;
}

void for_each_mailbox(std::string_view text,
                      const std::function<void(char role, std::string& address, std::string& name)>& on_mailbox) {
    decode_records(text, 3, [&](std::vector<std::string>& f) {
        // The role field is one letter; anything else is not a record this code wrote.
        const char role = f[0].size() == 1 ? f[0][0] : '\0';
        on_mailbox(role, f[1], f[2]);
    });
}

bool add_mailbox(Message& m, char role, std::string address, std::string name) {
    Mailbox mb{std::move(name), std::move(address)};
    switch (role) {
        case 'f': m.from = std::move(mb); return true;
        case 's': m.sender = std::move(mb); return true;
        case 'r': m.reply_to.push_back(std::move(mb)); return true;
        case 't': m.to.push_back(std::move(mb)); return true;
        case 'c': m.cc.push_back(std::move(mb)); return true;
        case 'b': m.bcc.push_back(std::move(mb)); return true;
        default: return false;
    }
}

void decode_mailboxes(std::string_view text, Message& m) {
    decode_records(text, 3, [&](std::vector<std::string>& f) {
        if (f[0].size() == 1) add_mailbox(m, f[0][0], std::move(f[1]), std::move(f[2]));
    });
}

char mailbox_role_letter(std::string_view role_name) {
    if (role_name == "from") return 'f';
    if (role_name == "sender") return 's';
    if (role_name == "reply_to") return 'r';
    if (role_name == "to") return 't';
    if (role_name == "cc") return 'c';
    if (role_name == "bcc") return 'b';
    return 0;
}

}  // namespace ilc::store::detail
