// RFC 2047 / RFC 5322 / RFC 2045 writing. Our own encoder: the project reads mail with mimetic,
// which writes no encoded-words.
#include "interlocutor/digest/mime_writer.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace ilc::digest {
namespace {

constexpr size_t kMaxLine = 78;     // RFC 5322 2.1.1 "SHOULD be no more than 78 characters"
constexpr size_t kMaxWord = 75;     // RFC 2047 2: an encoded-word is at most 75 characters
const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += kB64[v >> 18 & 63]; out += kB64[v >> 12 & 63]; out += kB64[v >> 6 & 63]; out += kB64[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16;
        out += kB64[v >> 18 & 63]; out += kB64[v >> 12 & 63]; out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += kB64[v >> 18 & 63]; out += kB64[v >> 12 & 63]; out += kB64[v >> 6 & 63]; out += '=';
    }
    return out;
}

bool needs_encoding(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c < 0x20 || c == 0x7f) return true;
    return s.find("=?") != std::string_view::npos;
}

size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

// Appends tokens to a header, folding before a token that would pass 78 characters.
class Folder {
public:
    explicit Folder(std::string_view name) : out_(std::string(name) + ":"), line_(out_.size()) {}
    void token(const std::string& t, bool space_before = true) {
        size_t add = t.size() + (space_before ? 1 : 0);
        if (line_ + add > kMaxLine && line_ > 1) {
            out_ += "\r\n ";
            line_ = 1;
            out_ += t;
            line_ += t.size();
            return;
        }
        if (space_before) out_ += ' ';
        out_ += t;
        line_ += add;
    }
    size_t room() const { return line_ + 1 >= kMaxLine ? 0 : kMaxLine - line_ - 1; }
    std::string done() { return out_ + "\r\n"; }

private:
    std::string out_;
    size_t line_;
};

// Encoded-words for text, the first one fitting in `first_room` characters when that leaves
// space for at least one character, every other one up to 75 (a folded line starts with one space).
std::vector<std::string> encoded_words(std::string_view text, size_t first_room) {
    std::vector<std::string> words;
    size_t i = 0;
    bool first = true;
    while (i < text.size()) {
        size_t room = kMaxWord;
        if (first && first_room >= 12 + 8) room = std::min(kMaxWord, first_room);
        first = false;
        size_t max_raw = (room - 12) / 4 * 3;  // "=?UTF-8?B?" + "?=" = 12 characters
        size_t j = i;
        while (j < text.size()) {
            size_t n = utf8_len((unsigned char)text[j]);
            if (j + n - i > max_raw) break;
            j += n;
        }
        if (j == i) j = std::min(text.size(), i + utf8_len((unsigned char)text[i]));
        words.push_back("=?UTF-8?B?" + base64(text.substr(i, j - i)) + "?=");
        i = j;
    }
    return words;
}

std::vector<std::string> split_ws(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!cur.empty()) out.push_back(cur), cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// Display-name phrase (RFC 5322 3.2.5): atoms as they are, specials quoted, non-ASCII encoded.
void append_phrase(Folder& f, std::string_view name) {
    if (needs_encoding(name)) {
        for (auto& w : encoded_words(name, f.room())) f.token(w);
        return;
    }
    bool special = name.find_first_of("()<>[]:;@\\,.\"") != std::string_view::npos;
    if (!special) {
        for (auto& w : split_ws(name)) f.token(w);
        return;
    }
    std::string q = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    q += '"';
    f.token(q);
}

}  // namespace

std::string unstructured_header(std::string_view name, std::string_view value) {
    Folder f(name);
    if (!needs_encoding(value)) {
        for (auto& w : split_ws(value)) f.token(w);
        return f.done();
    }
    // One run of encoded-words for the whole value: white space between adjacent encoded-words
    // is dropped by readers (RFC 2047 6.2), so spaces stay inside the encoded text.
    for (auto& w : encoded_words(value, f.room())) f.token(w);
    return f.done();
}

std::string address_header(std::string_view name, const std::vector<Mailbox>& boxes) {
    Folder f(name);
    for (size_t i = 0; i < boxes.size(); ++i) {
        const auto& b = boxes[i];
        std::string sep = i + 1 < boxes.size() ? "," : "";
        if (b.name.empty()) {
            f.token(b.address + sep);
        } else {
            append_phrase(f, b.name);
            f.token("<" + b.address + ">" + sep);
        }
    }
    return f.done();
}

std::string quoted_printable(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        bool last = end == std::string_view::npos;
        std::string_view line = text.substr(start, last ? std::string_view::npos : end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (last && line.empty()) break;
        std::string enc;
        size_t col = 0;
        for (size_t i = 0; i < line.size(); ++i) {
            unsigned char c = line[i];
            std::string piece;
            bool trailing_ws = (c == ' ' || c == '\t') && i + 1 == line.size();
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !trailing_ws)) {
                piece = std::string(1, (char)c);
            } else {
                piece = {'=', hex[c >> 4], hex[c & 15]};
            }
            // Soft break (RFC 2045 6.7 rule 5): at most 76 characters including the final "=".
            if (col + piece.size() > 75) {
                enc += "=\r\n";
                col = 0;
            }
            enc += piece;
            col += piece.size();
        }
        out += enc;
        out += "\r\n";
        if (last) break;
        start = end + 1;
    }
    return out;
}

std::string rfc5322_date(int64_t utc, int offset) {
    static const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t local = utc + offset;
    int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t secs = local - day * 86400;
    // Civil date from day number (Howard Hinnant's algorithm).
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[64];
    int off = offset / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(buf, sizeof buf, "%s, %u %s %lld %02d:%02d:%02d %c%02d%02d", days[((day % 7) + 7) % 7], d,
                  months[m - 1], (long long)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), sign,
                  off / 60, off % 60);
    return buf;
}

std::string new_message_id(std::string_view tag, std::string_view domain) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    std::mt19937_64 gen((uint64_t)rd() << 32 ^ rd() ^
                        (uint64_t)std::chrono::steady_clock::now().time_since_epoch().count());
    char buf[96];
    std::snprintf(buf, sizeof buf, "%lld.%u.%016llx", (long long)std::time(nullptr), counter++,
                  (unsigned long long)gen());
    // The tag is cut so "Message-ID: <...>" fits one 78-character line for usual domains.
    std::string left;
    for (char c : tag.substr(0, 16))
        left += (std::isalnum((unsigned char)c) || c == '-' || c == '.') ? c : '-';
    return left + "." + buf + "@" + std::string(domain.empty() ? "localhost" : domain);
}

std::string render_mail(const OutgoingMail& m) {
    std::random_device rd;
    char b[40];
    std::snprintf(b, sizeof b, "%08x%08x", rd(), rd());
    // A boundary starting with "=_" can never occur in a quoted-printable body (RFC 2045 6.7
    // writes every "=" as "=3D"), so no scan of the bodies is needed.
    std::string boundary = std::string("=_ilc_") + b;
    std::string out;
    out += address_header("From", {m.from});
    if (!m.to.empty()) out += address_header("To", m.to);
    if (!m.cc.empty()) out += address_header("Cc", m.cc);
    out += unstructured_header("Subject", m.subject);
    out += "Date: " + rfc5322_date(m.date, m.date_offset) + "\r\n";
    out += "Message-ID: <" + m.message_id + ">\r\n";
    if (!m.lang.empty()) out += "Content-Language: " + m.lang + "\r\n";
    out += "X-Mailer: interlocutor digest\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
    out += "\r\n";
    out += "This is a multipart message in MIME format.\r\n";
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += quoted_printable(m.text);
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += quoted_printable(m.html);
    out += "\r\n--" + boundary + "--\r\n";
    return out;
}

}  // namespace ilc::digest
