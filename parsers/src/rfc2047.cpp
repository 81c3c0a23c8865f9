// RFC 2047 encoded-words ("=?charset?B|Q?text?=") to UTF-8, tolerant the way real clients are
// (GMime's broken_rfc2047 mode is the model): words glued to text or inside quoted strings are
// decoded, spaces inside Q text are kept, malformed words are left as written.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

struct EncodedWord {
    size_t begin = 0, end = 0;  // [begin, end) in the input, "=?" .. "?="
    std::string_view charset;   // without any RFC 2231 "*language" suffix
    char encoding = 'Q';        // 'B' or 'Q'
    std::string_view text;
};

// Finds "?=" at or after `from`, remembering the last answer so that a header full of "=?"
// without terminators is still scanned in linear time.
class TerminatorFinder {
public:
    explicit TerminatorFinder(std::string_view s) : s_(s) {}
    size_t find(size_t from) {
        if (!valid_ || (cached_ != std::string_view::npos && cached_ < from)) {
            cached_ = s_.find("?=", from);
            valid_ = true;
        }
        return cached_;
    }

private:
    std::string_view s_;
    size_t cached_ = std::string_view::npos;
    bool valid_ = false;
};

// RFC 2047 section 2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="; an
// encoded-word is at most 75 characters, which bounds the charset scan.
bool parse_word(std::string_view s, size_t at, TerminatorFinder& terminators, EncodedWord& w) {
    size_t i = at + 2;
    const size_t charset_begin = i;
    while (i < s.size() && i - charset_begin < 75) {
        const char c = s[i];
        if (c == '?' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) break;
        ++i;
    }
    if (i >= s.size() || s[i] != '?') return false;
    std::string_view charset = s.substr(charset_begin, i - charset_begin);
    // RFC 2231 section 5: charset may carry "*language" (e.g. "us-ascii*en").
    if (auto star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
    // An empty charset ("=??Q?...?=", seen on mailing lists) is decoded with a guessed charset.
    ++i;
    if (i + 1 >= s.size() || s[i + 1] != '?') return false;
    const char enc = text::to_lower(s[i]);
    if (enc != 'b' && enc != 'q') return false;
    const size_t text_begin = i + 2;
    const size_t end = terminators.find(text_begin);
    if (end == std::string_view::npos) return false;
    std::string_view encoded = s.substr(text_begin, end - text_begin);
    // A word that would swallow the start of another one is malformed (its own "?=" is missing).
    if (encoded.find("=?") != std::string_view::npos) return false;
    if (text::find_first_of<'\r', '\n'>(encoded, 0) < encoded.size()) return false;
    w.begin = at;
    w.end = end + 2;
    w.charset = charset;
    w.encoding = enc == 'b' ? 'B' : 'Q';
    w.text = encoded;
    return true;
}

// Base64 (RFC 2045 section 6.8) that survives the breakage seen in headers: characters outside
// the alphabet are skipped, and '=' padding ends a quantum, so that adjacent words whose base64
// was split mid-quantum (no padding) and properly padded words both decode when fed in sequence.
// Each byte's value in the base64 alphabet, -1 outside it.
struct Base64Values {
    int8_t v[256] = {};
    constexpr Base64Values() {
        for (int c = 0; c < 256; ++c) v[c] = -1;
        for (int c = 0; c < 26; ++c) v['A' + c] = int8_t(c), v['a' + c] = int8_t(26 + c);
        for (int c = 0; c < 10; ++c) v['0' + c] = int8_t(52 + c);
        v[static_cast<unsigned char>('+')] = 62;
        v[static_cast<unsigned char>('/')] = 63;
    }
    int operator[](unsigned char c) const { return v[c]; }
};
constexpr Base64Values kValue{};

class Base64Stream {
public:
    void feed(std::string_view in, std::string& out) {
        // Written through a pointer into room for every byte the text can give (6 bits a
        // character, and fewer than 8 pending), then cut to size: no size check per byte.
        const size_t start = out.size();
        out.resize(start + in.size() * 3 / 4 + 2);
        char* w = out.data() + start;
        for (char c : in) {
            const int v = kValue[static_cast<unsigned char>(c)];  // looked up, not five tests
            if (v < 0) {
                if (c == '=') reset();
                continue;
            }
            acc_ = (acc_ << 6) | uint32_t(v);
            bits_ += 6;
            if (bits_ >= 8) {
                bits_ -= 8;
                *w++ = char((acc_ >> bits_) & 0xFF);
            }
        }
        out.resize(size_t(w - out.data()));
    }
    void reset() { acc_ = 0; bits_ = 0; }

private:
    uint32_t acc_ = 0;
    int bits_ = 0;
};

// RFC 2047 section 4.2: "_" is space, "=XX" a byte; a stray "=" is kept as written.
void decode_q(std::string_view in, std::string& out) {
    // At most a byte per character: written through a pointer, then cut to size.
    const size_t start = out.size();
    out.resize(start + in.size());
    char* w = out.data() + start;
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '_') {
            *w++ = ' ';
        } else if (c == '=' && i + 2 < in.size() && text::hex_value(in[i + 1]) >= 0 &&
                   text::hex_value(in[i + 2]) >= 0) {
            *w++ = char(text::hex_value(in[i + 1]) * 16 + text::hex_value(in[i + 2]));
            i += 2;
        } else {
            *w++ = c;
        }
    }
    out.resize(size_t(w - out.data()));
}

bool all_whitespace(std::string_view s) {
    for (char c : s)
        if (!text::is_space(c)) return false;
    return true;
}

// Decodes a run of encoded-words that were separated only by whitespace. Consecutive words of
// the same charset are decoded into one byte string before conversion, so a multibyte character
// split across two words (RFC 2047 section 5 forbids it; many clients do it) comes out whole.
void flush_run(const std::vector<EncodedWord>& run, std::string& out) {
    size_t i = 0;
    std::string bytes;
    while (i < run.size()) {
        const std::string_view charset = run[i].charset;
        bytes.clear();
        Base64Stream b64;
        size_t j = i;
        for (; j < run.size() && text::iequals(run[j].charset, charset); ++j) {
            if (run[j].encoding == 'B') {
                b64.feed(run[j].text, bytes);
            } else {
                b64.reset();
                decode_q(run[j].text, bytes);
            }
        }
        // UTF-8 (most words) goes straight in: what to_utf8 gives for it, without its copy.
        if (text::iequals(charset, "utf-8") && is_valid_utf8(bytes)) out += bytes;
        else out += to_utf8(bytes, charset);
        i = j;
    }
}

// out += header_text_to_utf8(s), without the temporary string for valid UTF-8 (the text around
// encoded-words, nearly always ASCII and often empty).
void append_text(std::string& out, std::string_view s) {
    if (is_valid_utf8(s)) out.append(s);
    else out += header_text_to_utf8(s);
}

}  // namespace

std::string decode_rfc2047(std::string_view s) {
    if (s.find("=?") == std::string_view::npos) return header_text_to_utf8(s);
    std::string out;
    out.reserve(s.size());
    TerminatorFinder terminators(s);
    // The current run of words, in a per-thread vector kept from one call to the next (an
    // allocation per decoded header or name otherwise). Nothing below calls back in here.
    thread_local std::vector<EncodedWord> run_buffer;
    std::vector<EncodedWord>& run = run_buffer;
    run.clear();
    size_t plain_begin = 0;  // start of the text not yet emitted
    size_t pos = 0;
    while (pos < s.size()) {
        const size_t at = s.find("=?", pos);
        if (at == std::string_view::npos) break;
        EncodedWord w;
        if (!parse_word(s, at, terminators, w)) {
            pos = at + 1;
            continue;
        }
        const std::string_view between = s.substr(plain_begin, w.begin - plain_begin);
        // RFC 2047 section 6.2: linear white space between adjacent encoded-words is ignored.
        if (!run.empty() && all_whitespace(between)) {
            run.push_back(w);
        } else {
            flush_run(run, out);
            run.clear();
            append_text(out, between);
            run.push_back(w);
        }
        plain_begin = pos = w.end;
    }
    flush_run(run, out);
    append_text(out, s.substr(plain_begin));
    if (run.capacity() > 1024) std::vector<EncodedWord>().swap(run);  // not kept after a hostile header
    return out;
}

}  // namespace ilc::parsers
