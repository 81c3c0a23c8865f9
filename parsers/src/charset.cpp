// Charset conversion to UTF-8. ASCII, UTF-8 and windows-1252/latin1 are converted here without ICU
// because they are most of real mail; everything else goes through ICU's ucnv with one converter
// per charset name cached per thread (opening a converter costs far more than converting a header).
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucnv_err.h>
#include <unicode/ustring.h>

#include <bit>
#include <cstring>
#include <memory>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <utility>
#include <vector>

#include "interlocutor/parsers/headers.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7), 0 if ill-formed.
size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return 1;
    const size_t left = s.size() - i;
    auto cont = [&](size_t k) { return k < left && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 2) return 0;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
        if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogates
        return (cont(1) && cont(2)) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 2) return 0;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
        if (b0 == 0xF4 && b1 > 0x8F) return 0;  // beyond U+10FFFF
        return (cont(1) && cont(2) && cont(3)) ? 4 : 0;
    }
    return 0;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// Invalid UTF-8 with each ill-formed subsequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    size_t i = 0;
    while (i < s.size()) {
        const size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.data() + i, n);
            i += n;
        }
    }
    return out;
}

// windows-1252 0x80..0x9F; the five undefined bytes map to the C1 controls as the WHATWG
// Encoding Standard does, so no byte is lost.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Bytes from `i` that are ASCII, eight at a time.
size_t ascii_run(std::string_view s, size_t i) {
    // Sixteen (SSE2) then eight bytes at a time, and the block holding the first byte >= 0x80
    // gives its position at once (text with accents has one every few words: the bytes before
    // it were tested one at a time, each after a failed block test).
    const size_t n = s.size();
#if defined(__SSE2__)
    while (i + 16 <= n) {
        const int m = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
        if (m) return i + size_t(__builtin_ctz(unsigned(m)));
        i += 16;
    }
#endif
    static_assert(std::endian::native == std::endian::little, "the byte index below reads the word as little-endian");
    while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (const uint64_t h = w & 0x8080808080808080ULL) return i + size_t(__builtin_ctzll(h) >> 3);
        i += 8;
    }
    while (i < n && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    return i;
}

std::string cp1252_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 4 + 8);
    for (size_t i = 0; i < s.size();) {
        const size_t e = ascii_run(s, i);  // runs of ASCII are copied as they are
        out.append(s.data() + i, e - i);
        if (e >= s.size()) break;
        const auto b = static_cast<unsigned char>(s[e]);
        if (b < 0xA0) append_utf8(out, kCp1252High[b - 0x80]);
        else append_utf8(out, b);
        i = e + 1;
    }
    return out;
}

enum class Fast { none, utf8, ascii, cp1252, unknown };

struct Canonical {
    Fast fast = Fast::none;
    std::string icu_name;  // when fast == none
};

// Normalizes a charset label and maps the aliases real mail uses to what we or ICU know.
Canonical canonical_charset(std::string_view label) {
    label = text::trim(label);
    if (label.size() >= 2 && (label.front() == '"' || label.front() == '\'') && label.back() == label.front())
        label = text::trim(label.substr(1, label.size() - 2));
    // RFC 2231 section 5: "charset*language" inside encoded-words; the language is not ours.
    if (auto star = label.find('*'); star != std::string_view::npos) label = label.substr(0, star);
    std::string n = text::lower(label);
    Canonical c;
    if (n.empty()) { c.fast = Fast::unknown; return c; }
    if (n == "utf-8" || n == "utf8" || n == "x-utf-8" || n == "x-utf8" || n == "unicode-1-1-utf-8") {
        c.fast = Fast::utf8; return c;
    }
    if (n == "us-ascii" || n == "ascii" || n == "ansi_x3.4-1968" || n == "ansi_x3.4-1986" || n == "iso646-us" ||
        n == "us" || n == "iso-ir-6" || n == "cp367" || n == "ibm367" || n == "646") {
        c.fast = Fast::ascii; return c;
    }
    // Latin-1 labels are decoded as windows-1252 (WHATWG): mail labelled iso-8859-1 routinely
    // carries cp1252 quotes and euro signs in 0x80..0x9F.
    if (n == "iso-8859-1" || n == "iso8859-1" || n == "iso_8859-1" || n == "latin1" || n == "latin-1" ||
        n == "l1" || n == "cp819" || n == "ibm819" || n == "iso-ir-100" || n == "iso_8859-1:1987" ||
        n == "windows-1252" || n == "cp1252" || n == "x-cp1252" || n == "cp-1252" || n == "win-1252" ||
        n == "iso8859_1" || n == "8859-1") {
        c.fast = Fast::cp1252; return c;
    }
    if (n == "x-unknown" || n == "unknown" || n == "unknown-8bit" || n == "x-user-defined" || n == "default" ||
        n == "charset" || n == "none" || n == "8bit" || n == "x-unknown-8bit") {
        c.fast = Fast::unknown; return c;
    }
    if (n == "ks_c_5601-1987" || n == "ks_c_5601" || n == "ksc5601" || n == "ksc_5601" || n == "euc-kr" ||
        n == "cp949" || n == "x-windows-949" || n == "korean") {
        c.icu_name = "windows-949"; return c;
    }
    // GB18030 is a superset of GBK, itself a superset of GB2312 (EUC-CN): mislabelled mail decodes.
    if (n == "gb2312" || n == "gbk" || n == "x-gbk" || n == "cp936" || n == "euc-cn" || n == "x-euc-cn" ||
        n == "gb_2312-80" || n == "chinese" || n == "csgb2312" || n == "gb18030") {
        c.icu_name = "gb18030"; return c;
    }
    if (n == "unicode-1-1-utf-7" || n == "utf-7" || n == "x-unicode-2-0-utf-7" || n == "csunicode11utf7") {
        c.icu_name = "UTF-7"; return c;
    }
    // Windows-31J is the Shift_JIS real Japanese mail is written in (NEC/IBM extensions).
    if (n == "shift_jis" || n == "shift-jis" || n == "sjis" || n == "x-sjis" || n == "ms_kanji" || n == "cp932" ||
        n == "windows-31j" || n == "csshiftjis") {
        c.icu_name = "windows-31j"; return c;
    }
    if (n == "big5" || n == "big-5" || n == "cn-big5" || n == "x-x-big5" || n == "csbig5") {
        c.icu_name = "windows-950"; return c;
    }
    // Anything else: a plausible charset name goes to ICU (which knows iso-8859-x, windows-125x,
    // koi8-r/u, euc-jp, iso-2022-jp, ...). Names with other characters are garbage, not charsets.
    if (n.size() > 64) { c.fast = Fast::unknown; return c; }
    for (char ch : n) {
        if (!(text::is_alpha(ch) || text::is_digit(ch) || ch == '-' || ch == '_' || ch == '.' || ch == ':' ||
              ch == '+' || ch == '(' || ch == ')')) {
            c.fast = Fast::unknown;
            return c;
        }
    }
    c.icu_name = std::move(n);
    return c;
}

// Per-thread converter cache. Unknown names are cached as nullptr so a message full of a bogus
// charset does not pay ICU's alias lookup each time.
class ConverterCache {
public:
    ~ConverterCache() { clear(); }
    UConverter* get(const std::string& name) {
        for (auto& [n, conv] : entries_)
            if (n == name) return conv;
        if (entries_.size() >= kMaxEntries) clear();
        UErrorCode err = U_ZERO_ERROR;
        UConverter* conv = ucnv_open(name.c_str(), &err);
        if (U_FAILURE(err)) {
            if (conv) ucnv_close(conv);
            conv = nullptr;
        }
        entries_.emplace_back(name, conv);
        return conv;
    }

private:
    static constexpr size_t kMaxEntries = 48;
    void clear() {
        for (auto& e : entries_)
            if (e.second) ucnv_close(e.second);
        entries_.clear();
    }
    std::vector<std::pair<std::string, UConverter*>> entries_;
};

ConverterCache& converter_cache() {
    thread_local ConverterCache cache;
    return cache;
}

struct CallbackState { bool replaced = false; };

// ICU to-Unicode callback: substitutes U+FFFD for bytes that are illegal or unassigned in the
// charset and remembers that it had to, so to_utf8 can report ok=false.
void flag_and_substitute(const void* context, UConverterToUnicodeArgs* args, const char*, int32_t,
                         UConverterCallbackReason reason, UErrorCode* err) {
    if (reason != UCNV_UNASSIGNED && reason != UCNV_ILLEGAL && reason != UCNV_IRREGULAR) return;
    static_cast<CallbackState*>(const_cast<void*>(context))->replaced = true;
    *err = U_ZERO_ERROR;
    const UChar sub = 0xFFFD;
    ucnv_cbToUWriteUChars(args, &sub, 1, 0, err);
}

std::optional<std::string> icu_to_utf8(std::string_view bytes, UConverter* conv, bool& replaced) {
    CallbackState state;
    UErrorCode err = U_ZERO_ERROR;
    ucnv_reset(conv);
    ucnv_setToUCallBack(conv, flag_and_substitute, &state, nullptr, nullptr, &err);
    if (U_FAILURE(err)) return std::nullopt;
    std::vector<UChar> u16(bytes.size() * 2 + 16);
    int32_t n = ucnv_toUChars(conv, u16.data(), int32_t(u16.size()), bytes.data(), int32_t(bytes.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        err = U_ZERO_ERROR;
        u16.resize(size_t(n) + 1);
        ucnv_reset(conv);
        n = ucnv_toUChars(conv, u16.data(), int32_t(u16.size()), bytes.data(), int32_t(bytes.size()), &err);
    }
    if (U_FAILURE(err)) return std::nullopt;
    std::string out(size_t(n) * 3 + 4, '\0');
    int32_t out_len = 0, subs = 0;
    err = U_ZERO_ERROR;
    u_strToUTF8WithSub(out.data(), int32_t(out.size()), &out_len, u16.data(), n, 0xFFFD, &subs, &err);
    if (U_FAILURE(err)) return std::nullopt;
    out.resize(size_t(out_len));
    replaced = state.replaced || subs > 0;
    return out;
}

bool is_ascii(std::string_view s) { return ascii_run(s, 0) == s.size(); }

// Charsets whose bytes 0x00..0x7F are ASCII (not UTF-7, UTF-16, ISO-2022 or EBCDIC).
bool ascii_compatible(std::string_view n) {
    for (std::string_view p : {"iso-8859", "iso8859", "iso_8859", "windows-", "koi8", "euc-", "gb18030", "tis-620",
                               "mac"})
        if (n.substr(0, p.size()) == p) return true;
    return false;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        // ASCII skipped by blocks (ascii_run): most header text is ASCII, and so are most lines
        // of a body (the body's check was a fifth of its conversion).
        i = ascii_run(s, i);
        if (i >= n) break;
        const size_t len = utf8_sequence_length(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string header_text_to_utf8(std::string_view raw, std::string_view fallback_charset) {
    if (is_valid_utf8(raw)) return std::string(raw);
    if (!fallback_charset.empty()) return to_utf8(raw, fallback_charset);
    return cp1252_to_utf8(raw);
}

std::string to_utf8(std::string_view bytes, std::string_view charset, bool* ok) {
    if (ok) *ok = true;
    // The label of most mail, as written: what canonical_charset() answers for it, without its
    // trimming and lower-cased copy.
    const Canonical c = text::iequals(charset, "utf-8") ? Canonical{Fast::utf8, {}} : canonical_charset(charset);
    switch (c.fast) {
        case Fast::utf8:
            if (is_valid_utf8(bytes)) return std::string(bytes);
            if (ok) *ok = false;
            return sanitize_utf8(bytes);
        case Fast::ascii:
            if (is_ascii(bytes)) return std::string(bytes);
            // Labelled us-ascii but 8-bit: the label is a default the client never changed.
            if (ok) *ok = false;
            return header_text_to_utf8(bytes);
        case Fast::cp1252:
            return cp1252_to_utf8(bytes);
        case Fast::unknown:
            if (ok) *ok = false;
            return header_text_to_utf8(bytes);
        case Fast::none:
            break;
    }
    if (is_ascii(bytes) && ascii_compatible(c.icu_name)) {
        // These charsets leave pure ASCII unchanged: skip ICU.
        return std::string(bytes);
    }
    UConverter* conv = converter_cache().get(c.icu_name);
    if (!conv) {
        if (ok) *ok = false;
        return header_text_to_utf8(bytes);
    }
    bool replaced = false;
    auto out = icu_to_utf8(bytes, conv, replaced);
    if (!out) {
        if (ok) *ok = false;
        return header_text_to_utf8(bytes);
    }
    if (replaced && ok) *ok = false;
    return std::move(*out);
}

}  // namespace ilc::parsers
