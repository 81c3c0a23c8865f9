// Outlook .pst/.ost through libpst, run in a forked worker (see pst_source.h for why).
//
// Worker protocol, one frame after another on a pipe (integers little-endian as in memory,
// strings as u32 length + bytes):
//   'H' u64 descriptor_count, u32 status (0 ok, 1 damaged index/root, 2 password), str detail
//   'B' u64 d_id                  an item is about to be parsed (names the culprit of a crash)
//   'M' u64 d_id, u32 flags, str folder, str bytes    one mail item as an RFC 5322 message
//   'S' u64 d_id, str reason      an item libpst could not read
//   'E'                           the walk is complete
#include "pst_source.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <string_view>

#include <libpst/libpst.h>
#include <libpst/timeconv.h>

namespace ilc::parsers {

namespace {

constexpr int kMaxRestarts = 200;        // past this the file is hopeless: stop with an Error
constexpr int kStallTimeoutMs = 60000;   // a worker silent this long on one item is killed
constexpr int kMaxFolderDepth = 64;      // a deeper descriptor tree is a loop in a damaged file

// ---------------------------------------------------------------- RFC 5322 building helpers

bool ascii_only(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

std::string base64(std::string_view in, size_t line_len = 0) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t col = 0;
    for (size_t i = 0; i < in.size(); i += 3) {
        uint32_t v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? tbl[v & 63] : '=';
        col += 4;
        if (line_len && col >= line_len) { out += "\r\n"; col = 0; }
    }
    if (line_len && col) out += "\r\n";
    return out;
}

// Header values must be one line: property strings can hold CR/LF (a pasted subject).
std::string one_line(std::string_view s) {
    std::string out;
    for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    size_t b = out.find_first_not_of(" \t"), e = out.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

// RFC 2047 section 2: an encoded-word is at most 75 characters, and section 5 says a multi-
// octet character must not be split between words. UTF-8 "B" words of up to 45 input bytes
// stay under the limit.
std::string encode_words(std::string_view utf8) {
    std::string out;
    size_t i = 0;
    while (i < utf8.size()) {
        size_t end = std::min(utf8.size(), i + 45);
        while (end < utf8.size() && end > i && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
        if (end == i) end = std::min(utf8.size(), i + 45);
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(utf8.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

// Unstructured text (Subject, Thread-Topic): raw when ASCII, else encoded-words.
std::string unstructured(std::string_view s) {
    std::string v = one_line(s);
    return ascii_only(v) ? v : encode_words(v);
}

// A display name as an RFC 5322 phrase: a quoted-string when ASCII; encoded-words otherwise,
// unquoted, because RFC 2047 section 5 (3) forbids encoded-words inside a quoted-string.
std::string phrase(std::string_view name) {
    std::string v = one_line(name);
    if (!ascii_only(v)) return encode_words(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string mailbox(std::string_view name, std::string_view address) {
    std::string addr = one_line(address);
    std::string n = one_line(name);
    if (n.empty() || n == addr) return "<" + addr + ">";
    return phrase(n) + " <" + addr + ">";
}

// PR_DISPLAY_TO / PR_DISPLAY_CC are "Name; Name; addr@x": libpst does not read the recipient
// table, so a name without an address is written with an empty address ("Name" <>) rather than
// inventing one.
std::string display_list(std::string_view list) {
    std::string out;
    size_t i = 0;
    while (i <= list.size()) {
        size_t semi = list.find(';', i);
        if (semi == std::string_view::npos) semi = list.size();
        std::string item = one_line(list.substr(i, semi - i));
        i = semi + 1;
        if (item.empty()) continue;
        // Outlook writes unresolved recipients as 'addr@x' with single quotes.
        if (item.size() > 2 && item.front() == '\'' && item.back() == '\'') item = item.substr(1, item.size() - 2);
        if (!out.empty()) out += ",\r\n ";
        bool bare_address = item.find('@') != std::string::npos && item.find(' ') == std::string::npos;
        out += bare_address ? "<" + item + ">" : phrase(item) + " <>";
    }
    return out;
}

// RFC 5322 section 3.3 date-time, always in UTC: the PST stores UTC FILETIMEs and not the
// writer's zone.
std::string rfc5322_date(int64_t t) {
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string msg_id(std::string_view id) {
    std::string v = one_line(id);
    if (v.empty()) return v;
    return v.front() == '<' ? v : "<" + v + ">";
}

std::string to_crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32);
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

// A text part, UTF-8. RFC 5322 section 2.1.1 limits lines to 998 characters and RFC 2045
// forbids NUL in 8bit data: bodies that break either are sent base64.
std::string text_part(std::string_view subtype, std::string_view body) {
    bool eight_bit = valid_utf8(body) && body.find('\0') == std::string_view::npos;
    if (eight_bit) {
        size_t line = 0;
        for (char c : body) {
            line = (c == '\n' || c == '\r') ? 0 : line + 1;
            if (line > 998) { eight_bit = false; break; }
        }
    }
    std::string out = "Content-Type: text/" + std::string(subtype) + "; charset=utf-8\r\n";
    if (eight_bit) {
        out += "Content-Transfer-Encoding: 8bit\r\n\r\n" + to_crlf(body);
        if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    } else {
        out += "Content-Transfer-Encoding: base64\r\n\r\n" + base64(body, 76);
    }
    return out;
}

std::string attachment_part(std::string_view name) {
    std::string n = one_line(name);
    if (n.empty()) n = "attachment";
    std::string param;
    if (ascii_only(n) && n.find('"') == std::string::npos && n.find('\\') == std::string::npos) {
        param = "filename=\"" + n + "\"";
    } else {
        // RFC 2231 section 4: charset'language'percent-encoded value.
        param = "filename*=utf-8''";
        static const char* hex = "0123456789ABCDEF";
        for (unsigned char c : n) {
            if (isalnum(c) || c == '.' || c == '-' || c == '_') {
                param += static_cast<char>(c);
            } else {
                param += '%';
                param += hex[c >> 4];
                param += hex[c & 15];
            }
        }
    }
    return "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; " + param +
           "\r\nX-Interlocutor-Note: attachment not extracted from the PST\r\n\r\n";
}

std::string make_boundary(const std::string& tag, const std::vector<std::string>& parts) {
    std::string b = "=_ilc_pst_" + tag;
    for (int n = 0;; ++n) {
        std::string candidate = b + (n ? "_" + std::to_string(n) : std::string());
        bool clash = false;
        for (const auto& p : parts)
            if (p.find("--" + candidate) != std::string::npos) { clash = true; break; }
        if (!clash) return candidate;
    }
}

// One entity (headers + body) made of parts: the parts themselves when there is one.
std::string multipart(const std::string& type_params, const std::string& tag, const std::vector<std::string>& parts) {
    if (parts.size() == 1 && type_params.rfind("multipart/mixed", 0) == 0) return parts[0];
    std::string boundary = make_boundary(tag, parts);
    std::string out = "Content-Type: " + type_params + "; boundary=\"" + boundary + "\"\r\n\r\n";
    for (const auto& p : parts) out += "--" + boundary + "\r\n" + p + "\r\n";
    out += "--" + boundary + "--\r\n";
    return out;
}

struct HeaderLine {
    std::string name;   // lower-cased
    std::string text;   // the whole field, folding kept, CRLF-terminated
};

// The transport header block split into fields. It ends at the first blank line: Outlook
// sometimes stores the top MIME part's headers after it. Lines that are neither a field nor a
// continuation ("Microsoft Mail Internet Headers Version 2.0") are dropped.
std::vector<HeaderLine> split_transport_headers(const std::string& raw) {
    std::vector<HeaderLine> out;
    std::string block = to_crlf(raw);
    size_t pos = 0;
    while (pos < block.size()) {
        size_t eol = block.find("\r\n", pos);
        if (eol == std::string::npos) eol = block.size();
        std::string_view line(block.data() + pos, eol - pos);
        pos = eol + 2;
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t')) {
            if (!out.empty()) out.back().text += std::string(line) + "\r\n";
            continue;
        }
        size_t colon = line.find(':');
        bool is_field = colon != std::string_view::npos && colon > 0;
        for (size_t k = 0; is_field && k < colon; ++k)
            if (line[k] <= ' ' || line[k] > '~') is_field = false;  // RFC 5322 section 2.2 ftext
        if (!is_field) continue;
        std::string name(line.substr(0, colon));
        for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        out.push_back({name, std::string(line) + "\r\n"});
    }
    return out;
}

}  // namespace

bool pst_transport_headers_usable(const std::string& headers) {
    auto fields = split_transport_headers(headers);
    if (fields.empty()) return false;
    // The first line must itself be a field (body fragments rarely start like one), and one of
    // the fields every transported message carries must be there.
    std::string crlf = to_crlf(headers);
    size_t first_colon = crlf.find(':'), first_eol = crlf.find("\r\n");
    if (first_colon == std::string::npos || (first_eol != std::string::npos && first_colon > first_eol)) {
        // "Microsoft Mail Internet Headers Version 2.0" opens real blocks written by Exchange.
        if (crlf.rfind("Microsoft Mail Internet Headers", 0) != 0) return false;
    }
    for (const auto& f : fields)
        if (f.name == "from" || f.name == "received" || f.name == "date" || f.name == "message-id" ||
            f.name == "return-path")
            return true;
    return false;
}

std::string build_pst_message(const PstMailFields& f) {
    std::string out;
    std::set<std::string> have;
    if (pst_transport_headers_usable(f.transport_headers)) {
        for (const auto& h : split_transport_headers(f.transport_headers)) {
            // The body is rebuilt from the item's properties, so the transported MIME fields
            // would describe the wrong entity.
            if (h.name == "mime-version" || h.name == "content-type" || h.name == "content-transfer-encoding" ||
                h.name == "content-disposition" || h.name == "content-id")
                continue;
            have.insert(h.name);
            out += h.text;
        }
    }
    auto add = [&](const char* lname, const char* name, const std::string& value) {
        if (value.empty() || have.count(lname)) return;
        out += std::string(name) + ": " + value + "\r\n";
        have.insert(lname);
    };
    if (!f.sender_name.empty() || !f.sender_address.empty()) add("from", "From", mailbox(f.sender_name, f.sender_address));
    add("to", "To", display_list(f.display_to));
    add("cc", "Cc", display_list(f.display_cc));
    add("subject", "Subject", unstructured(f.subject));
    if (f.has_date) add("date", "Date", rfc5322_date(f.date));
    add("message-id", "Message-ID", msg_id(f.message_id));
    add("in-reply-to", "In-Reply-To", one_line(f.in_reply_to));
    add("references", "References", one_line(f.references));
    // Outlook's Thread-Index header is the base64 of PR_CONVERSATION_INDEX ([MS-OXOMSG] 2.2.1.3).
    if (!f.conversation_index.empty()) add("thread-index", "Thread-Index", base64(f.conversation_index));
    add("thread-topic", "Thread-Topic", unstructured(f.conversation_topic));
    out += "MIME-Version: 1.0\r\n";

    std::vector<std::string> bodies;
    if (f.is_report) {
        std::string text = !f.report_text.empty() ? f.report_text : f.body_text;
        bodies.push_back(text_part("plain", text));
    } else {
        if (!f.body_text.empty()) bodies.push_back(text_part("plain", f.body_text));
        if (!f.body_html.empty()) bodies.push_back(text_part("html", f.body_html));
        if (bodies.empty()) bodies.push_back(text_part("plain", ""));
    }
    std::string body_entity = bodies.size() == 1 ? bodies[0] : multipart("multipart/alternative", "alt", bodies);
    std::vector<std::string> top{body_entity};
    for (const auto& name : f.attachment_names) top.push_back(attachment_part(name));
    if (f.is_report)
        out += multipart("multipart/report; report-type=delivery-status", "mix", top);
    else
        out += multipart("multipart/mixed", "mix", top);
    return out;
}

// ---------------------------------------------------------------- the worker (child process)

namespace {

class FrameWriter {
public:
    explicit FrameWriter(int fd) : fd_(fd) {}
    void u8(char c) { buf_ += c; }
    void u32(uint32_t v) { buf_.append(reinterpret_cast<const char*>(&v), 4); }
    void u64(uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), 8); }
    void str(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        buf_.append(s.data(), s.size());
    }
    // Sends the frame; the parent gone (EPIPE) ends the worker.
    void flush() {
        size_t off = 0;
        while (off < buf_.size()) {
            ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) _exit(3);
            off += static_cast<size_t>(n);
        }
        buf_.clear();
    }

private:
    int fd_;
    std::string buf_;
};

std::string utf8_of(pst_item* item, pst_string& s) {
    pst_convert_utf8_null(item, &s);
    return s.str ? std::string(s.str) : std::string();
}

bool has_at(const std::string& s) { return s.find('@') != std::string::npos; }

PstMailFields fields_of(pst_item* item) {
    PstMailFields f;
    pst_item_email* e = item->email;
    f.transport_headers = utf8_of(item, e->header);
    f.sender_name = utf8_of(item, e->outlook_sender_name);
    if (f.sender_name.empty()) f.sender_name = utf8_of(item, e->outlook_sender_name2);
    // PR_SENT_REPRESENTING_EMAIL_ADDRESS, else PR_SENDER_EMAIL_ADDRESS; Exchange senders carry an
    // X.500 DN ("/O=ORG/OU=.../CN=NAME") there, which is no SMTP address: left empty then.
    std::string a1 = utf8_of(item, e->sender_address), a2 = utf8_of(item, e->sender2_address);
    f.sender_address = has_at(a1) ? a1 : has_at(a2) ? a2 : std::string();
    f.display_to = utf8_of(item, e->sentto_address);
    f.display_cc = utf8_of(item, e->cc_address);
    f.subject = utf8_of(item, item->subject);
    if (e->sent_date) {
        f.has_date = true;
        f.date = pst_fileTimeToUnixTime(e->sent_date);
    } else if (e->arrival_date) {
        f.has_date = true;
        f.date = pst_fileTimeToUnixTime(e->arrival_date);
    }
    f.message_id = utf8_of(item, e->messageid);
    f.in_reply_to = utf8_of(item, e->in_reply_to);
    if (e->conversation_index.data && e->conversation_index.size > 0 && e->conversation_index.size < 4096)
        f.conversation_index.assign(e->conversation_index.data, e->conversation_index.size);
    f.conversation_topic = utf8_of(item, e->processed_subject);
    f.body_text = utf8_of(item, item->body);
    f.body_html = utf8_of(item, e->htmlbody);
    f.is_report = item->type == PST_TYPE_REPORT;
    if (f.is_report) f.report_text = utf8_of(item, e->report_text);
    for (pst_item_attach* a = item->attach; a; a = a->next) {
        std::string name = utf8_of(item, a->filename2);
        if (name.empty()) name = utf8_of(item, a->filename1);
        f.attachment_names.push_back(name);
    }
    return f;
}

struct WorkerCtx {
    pst_file* pf;
    FrameWriter* w;
    const std::set<uint64_t>* skip;
    std::set<uint64_t> visited;
};

void walk(WorkerCtx& ctx, pst_desc_tree* d, const std::string& folder, int depth) {
    if (depth > kMaxFolderDepth) return;
    for (; d; d = d->next) {
        // A damaged tree can link a node twice; visiting it again would loop forever.
        if (!ctx.visited.insert(d->d_id).second) continue;
        if (ctx.skip->count(d->d_id)) {
            // Emitted before a restart, or the item that killed a worker. A damaged folder's
            // children are still read, under the parent's folder name.
            if (d->child) walk(ctx, d->child, folder, depth + 1);
            continue;
        }
        if (!d->desc) continue;  // no data block: readpst skips these too
        ctx.w->u8('B');
        ctx.w->u64(d->d_id);
        ctx.w->flush();
        pst_item* item = pst_parse_item(ctx.pf, d, nullptr);
        if (!item) {
            ctx.w->u8('S');
            ctx.w->u64(d->d_id);
            ctx.w->str("libpst could not read the item");
            ctx.w->flush();
            continue;
        }
        if (item->folder) {
            std::string name = utf8_of(item, item->file_as);
            std::string path = folder.empty() ? name : folder + "/" + name;
            if (d->child) walk(ctx, d->child, path, depth + 1);
        } else if (item->email && (item->type == PST_TYPE_NOTE || item->type == PST_TYPE_SCHEDULE ||
                                   item->type == PST_TYPE_REPORT)) {
            // The same item kinds readpst writes as mail: IPM.Note, meeting requests, reports.
            std::string bytes = build_pst_message(fields_of(item));
            uint32_t flags = 0;
            if (item->flags & PST_FLAG_READ) flags |= 1;
            if (item->flags & PST_FLAG_UNSENT) flags |= 2;
            ctx.w->u8('M');
            ctx.w->u64(d->d_id);
            ctx.w->u32(flags);
            ctx.w->str(folder);
            ctx.w->str(bytes);
            ctx.w->flush();
        }
        pst_freeItem(item);
    }
}

[[noreturn]] void worker_main(int fd, const std::string& path, const std::set<uint64_t>& skip, bool is_ost) {
    // libpst prints to stdout/stderr in places: those belong to the parent's terminal.
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
    }
    signal(SIGPIPE, SIG_DFL);
    FrameWriter w(fd);
    auto hello = [&](uint64_t count, uint32_t status, const std::string& detail) {
        w.u8('H');
        w.u64(count);
        w.u32(status);
        w.str(detail);
        w.flush();
    };
    pst_file pf;
    std::memset(&pf, 0, sizeof pf);
    if (pst_open(&pf, path.c_str(), nullptr) != 0) {
        hello(0, 1, "libpst cannot open the file");
        _exit(0);
    }
    if (pst_load_index(&pf) != 0) {
        hello(0, 1, "the file's index is damaged");
        _exit(0);
    }
    pst_load_extended_attributes(&pf);
    pst_item* root = pf.d_head ? pst_parse_item(&pf, pf.d_head, nullptr) : nullptr;
    if (!root || !root->message_store) {
        hello(0, 1, "the file's root record is missing or damaged");
        _exit(0);
    }
    // PidTagPstPassword (0x67FF, read by libpst as pwd_chksum) is the CRC-32 of the password,
    // 0 when there is none. OST files have no password in Outlook: their 0xFFFFFFFF is no CRC.
    if (!is_ost && root->message_store->pwd_chksum != 0) {
        hello(0, 2, "the file is password-protected");
        _exit(0);
    }
    pst_desc_tree* top = pst_getTopOfFolders(&pf, root);
    if (!top) {
        hello(0, 1, "the file has no top of personal folders");
        _exit(0);
    }
    uint64_t count = 0;
    for (pst_desc_tree* d = pf.d_head; d && count < (1ull << 32); d = pst_getNextDptr(d)) ++count;
    hello(count, 0, "");
    WorkerCtx ctx{&pf, &w, &skip, {}};
    walk(ctx, top->child, "", 0);
    w.u8('E');
    w.flush();
    // _exit: the parent's atexit handlers and static destructors are not ours to run.
    _exit(0);
}

}  // namespace

// ---------------------------------------------------------------- the parent side

struct PstSource::Impl {
    std::string path;
    ParserOptions opts;
    int64_t file_size = 0;
    int64_t file_mtime = 0;
    bool is_ost = false;                 // [MS-PST] 2.2.2.6 wMagicClient "SO"
    pid_t pid = -1;
    int fd = -1;
    std::set<uint64_t> skip;             // emitted or damaged items, passed to the next worker
    std::vector<Warning> skipped;
    std::vector<Warning> pending;        // skipped items not yet reported on a message
    uint64_t descriptor_count = 0;
    uint64_t begun = 0;                  // items begun by all workers (for progress)
    std::optional<uint64_t> current;     // item the live worker is parsing
    int restarts = 0;
    bool finished = false;
    bool timed_out = false;
    std::optional<Error> error;

    ~Impl() { stop_worker(true); }

    void stop_worker(bool kill_it) {
        if (fd >= 0) { ::close(fd); fd = -1; }
        if (pid > 0) {
            if (kill_it) ::kill(pid, SIGKILL);
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            pid = -1;
        }
    }

    // Returns the worker's wait status.
    int reap() {
        int status = 0;
        if (fd >= 0) { ::close(fd); fd = -1; }
        if (pid > 0) {
            if (timed_out) ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            pid = -1;
        }
        return status;
    }

    bool start_worker() {
        int fds[2];
        if (::pipe(fds) != 0) return false;
        ::fflush(nullptr);  // buffered output would otherwise be written twice
        pid_t child = ::fork();
        if (child < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return false;
        }
        if (child == 0) {
            ::close(fds[0]);
            worker_main(fds[1], path, skip, is_ost);
        }
        ::close(fds[1]);
        pid = child;
        fd = fds[0];
        current.reset();
        timed_out = false;
        return true;
    }

    bool read_exact(void* dst, size_t n) {
        char* p = static_cast<char*>(dst);
        while (n > 0) {
            struct pollfd pfd{fd, POLLIN, 0};
            int r = ::poll(&pfd, 1, kStallTimeoutMs);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) { timed_out = true; return false; }
            if (r < 0) return false;
            ssize_t got = ::read(fd, p, n);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            p += got;
            n -= static_cast<size_t>(got);
        }
        return true;
    }
    bool read_u32(uint32_t& v) { return read_exact(&v, 4); }
    bool read_u64(uint64_t& v) { return read_exact(&v, 8); }
    bool read_str(std::string& s, size_t limit) {
        uint32_t n = 0;
        if (!read_u32(n) || n > limit) return false;
        s.resize(n);
        return n == 0 || read_exact(s.data(), n);
    }

    // Reads the worker's hello. nullopt when the file is usable.
    std::optional<Error> read_hello() {
        char type = 0;
        uint64_t count = 0;
        uint32_t status = 0;
        std::string detail;
        if (!read_exact(&type, 1) || type != 'H' || !read_u64(count) || !read_u32(status) ||
            !read_str(detail, 4096)) {
            int ws = reap();
            std::string how = WIFSIGNALED(ws) ? "crashed (signal " + std::to_string(WTERMSIG(ws)) + ")"
                              : timed_out     ? "stalled"
                                              : "stopped";
            return Error{ErrorCode::parse, path + ": libpst " + how + " while reading the file's index",
                         "the file is damaged: repair it with Outlook's scanpst.exe and export it again"};
        }
        if (status == 0) {
            descriptor_count = count;
            return std::nullopt;
        }
        reap();
        if (status == 2)
            return Error{ErrorCode::auth, path + ": " + detail,
                         "remove the password in Outlook (Account Settings > Data Files > Settings > "
                         "Change Password) and export the file again"};
        return Error{ErrorCode::parse, path + ": " + detail + ": not a readable PST/OST file",
                     "repair it with Outlook's scanpst.exe and export it again"};
    }

    void note_skip(uint64_t d_id, const std::string& reason) {
        Warning w{"pst_item_skipped", "PST item " + std::to_string(d_id) + " skipped: " + reason,
                  static_cast<int64_t>(d_id)};
        skipped.push_back(w);
        pending.push_back(std::move(w));
        skip.insert(d_id);
    }

    // The worker ended without 'E': blame the item it was parsing and resume after it.
    void worker_died() {
        bool stalled = timed_out;
        int ws = reap();
        if (!current) {
            // Dying outside any item (between frames, or on the pipe) cannot be pinned on one
            // item: retrying would repeat it.
            error = Error{ErrorCode::parse, path + ": libpst stopped while walking the folders",
                          "the file is damaged: repair it with Outlook's scanpst.exe"};
            finished = true;
            return;
        }
        std::string how = stalled ? "libpst stalled on it"
                          : WIFSIGNALED(ws) ? "libpst crashed on it (signal " + std::to_string(WTERMSIG(ws)) + ")"
                                            : "libpst exited on it (status " + std::to_string(WEXITSTATUS(ws)) + ")";
        note_skip(*current, how);
        current.reset();
        if (++restarts > kMaxRestarts) {
            error = Error{ErrorCode::parse, path + ": too many damaged items, reading stopped",
                          "repair the file with Outlook's scanpst.exe and export it again"};
            finished = true;
            return;
        }
        if (!start_worker()) {
            error = Error{ErrorCode::internal, path + ": cannot start the PST reader process", ""};
            finished = true;
            return;
        }
        if (auto e = read_hello()) {
            error = *e;
            finished = true;
        }
    }

    std::optional<RawMessage> next() {
        while (!finished) {
            char type = 0;
            if (!read_exact(&type, 1)) { worker_died(); continue; }
            if (type == 'E') {
                reap();
                finished = true;
                break;
            }
            uint64_t d_id = 0;
            if (type == 'B') {
                if (!read_u64(d_id)) { worker_died(); continue; }
                current = d_id;
                ++begun;
                continue;
            }
            if (type == 'S') {
                std::string reason;
                if (!read_u64(d_id) || !read_str(reason, 4096)) { worker_died(); continue; }
                current.reset();
                note_skip(d_id, reason);
                continue;
            }
            if (type == 'M') {
                uint32_t flags = 0;
                std::string folder, bytes;
                if (!read_u64(d_id) || !read_u32(flags) || !read_str(folder, 1 << 16) ||
                    !read_str(bytes, std::max<size_t>(opts.max_message_bytes, 1 << 20) * 2)) {
                    worker_died();
                    continue;
                }
                current.reset();
                skip.insert(d_id);
                RawMessage m;
                m.bytes = std::move(bytes);
                m.pos.path = path;
                m.pos.offset = static_cast<int64_t>(d_id);
                m.pos.length = static_cast<int64_t>(m.bytes.size());
                m.pos.folder = std::move(folder);
                m.flags.seen = flags & 1;
                m.flags.draft = flags & 2;
                m.file_mtime = file_mtime;
                m.warnings = std::move(pending);
                pending.clear();
                return m;
            }
            // An unknown frame means the stream is out of step: treat as a dead worker.
            timed_out = true;  // make reap() kill it
            worker_died();
        }
        return std::nullopt;
    }
};

PstSource::PstSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PstSource::~PstSource() = default;
std::optional<RawMessage> PstSource::next() { return impl_->next(); }
std::optional<Error> PstSource::error() const { return impl_->error; }
int64_t PstSource::bytes_total() const { return impl_->file_size; }
int64_t PstSource::bytes_done() const {
    if (impl_->finished) return impl_->file_size;
    if (impl_->descriptor_count == 0) return 0;
    uint64_t done = std::min(impl_->begun, impl_->descriptor_count);
    return static_cast<int64_t>(static_cast<double>(impl_->file_size) * done / impl_->descriptor_count);
}
const std::vector<Warning>& PstSource::skipped() const { return impl_->skipped; }
int PstSource::restarts() const { return impl_->restarts; }

Result<std::unique_ptr<Source>> open_pst_source(const std::string& path, const ParserOptions& opts) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Error{ErrorCode::io, path + ": " + std::strerror(errno), "check the path"};
    if (!S_ISREG(st.st_mode)) return Error{ErrorCode::io, path + ": not a regular file", ""};
    // [MS-PST] 2.2.2.6: every PST/OST starts with dwMagic "!BDN". Checked here so that a
    // mislabelled file never reaches libpst.
    // wMagicClient at offset 8 is "SM" for a PST and "SO" for an OST.
    char magic[10] = {};
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) return Error{ErrorCode::io, path + ": cannot be read", "check its permissions"};
        in.read(magic, 10);
        if (in.gcount() != 10 || std::memcmp(magic, "!BDN", 4) != 0)
            return Error{ErrorCode::parse, path + ": not an Outlook PST/OST file (no !BDN signature)", ""};
    }
    auto impl = std::make_unique<PstSource::Impl>();
    impl->path = path;
    impl->opts = opts;
    impl->file_size = static_cast<int64_t>(st.st_size);
    impl->file_mtime = static_cast<int64_t>(st.st_mtime);
    impl->is_ost = magic[8] == 'S' && magic[9] == 'O';
    if (!impl->start_worker())
        return Error{ErrorCode::internal, path + ": cannot start the PST reader process", std::strerror(errno)};
    if (auto e = impl->read_hello()) return *e;
    return std::unique_ptr<Source>(new PstSource(std::move(impl)));
}

}  // namespace ilc::parsers
