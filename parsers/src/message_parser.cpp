// parse_message: one raw message -> the parsed part of an ilc::Message. Header decoding is in
// the header files (headers.h); the body comes from the mimetic adapter (extract_body).
#include "interlocutor/parsers/message_parser.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/source.h"
#include "line_index.h"
#include "text_util.h"

namespace ilc::parsers {
namespace {

// FNV-1a, 128-bit (http://www.isthe.com/chongo/tech/comp/fnv/): small, stable across platforms
// and releases, and wide enough that synthetic ids of distinct messages do not collide.
class Fnv128 {
public:
    void add(std::string_view s) {
        for (unsigned char c : s) {
            h_ ^= c;
            h_ *= prime();
        }
    }
    void add_byte(unsigned char c) {
        h_ ^= c;
        h_ *= prime();
    }
    std::string hex() const {
        static const char* d = "0123456789abcdef";
        std::string out(32, '0');
        unsigned __int128 v = h_;
        for (int i = 31; i >= 0; --i) {
            out[static_cast<size_t>(i)] = d[static_cast<unsigned>(v & 15)];
            v >>= 4;
        }
        return out;
    }

private:
    static unsigned __int128 prime() { return (static_cast<unsigned __int128>(1) << 88) + 0x13B; }
    unsigned __int128 h_ = (static_cast<unsigned __int128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
};

// Every field parse_message reads (split_header_block stores only these: list mail has 50 fields
// and 8 KB of header, most of it Received chains and DKIM/ARC signatures read by nobody). A field
// read below must be listed here. The Received chain, read only when no Date is usable, comes
// from a full split then.
constexpr std::string_view kReadFields[] = {
    "Message-ID",  "In-Reply-To",   "References",     "Thread-Index", "Thread-Topic",     "From",
    "Sender",      "Reply-To",      "To",             "Cc",           "Bcc",              "Subject",
    "Date",        "Auto-Submitted", "Precedence",    "List-Id",      "List-Unsubscribe", "X-Autoreply",
    "X-Autorespond", "Return-Path", "Content-Type",   "Content-Language", "X-Mailer"};

// kReadFields by length, built at compile time, each as two 8-byte words with 0x20 set in every
// byte: a field name (split_header_block calls this for every field of every message) is read
// into two words the same way and compared with the one to three names of its length, 16 bytes
// at a time. Setting 0x20 folds ASCII case; it folds nothing else that can occur here: the names
// above are letters and '-', and a field name is ftext (33..126), where only '\r' (not ftext)
// would meet '-'.
constexpr size_t kMaxReadField = 16;
struct ReadFieldIndex {
    std::array<std::array<std::array<uint64_t, 2>, 4>, kMaxReadField + 1> words{};
    std::array<std::array<uint8_t, 4>, kMaxReadField + 1> slot{};  // the name's index in kReadFields
    std::array<size_t, kMaxReadField + 1> count{};
};
constexpr size_t kNoSlot = std::size(kReadFields);
static_assert(kNoSlot < 255, "slots are stored as uint8_t");
constexpr uint64_t kCaseBits = 0x2020202020202020ULL;
constexpr ReadFieldIndex make_read_field_index() {
    ReadFieldIndex ix;
    for (size_t k = 0; k < std::size(kReadFields); ++k) {
        const std::string_view f = kReadFields[k];
        std::array<uint64_t, 2> w{kCaseBits, kCaseBits};
        for (size_t i = 0; i < f.size(); ++i)  // little-endian, as memcpy reads it below
            w[i / 8] |= uint64_t(static_cast<unsigned char>(f[i])) << (8 * (i % 8));
        ix.slot[f.size()][ix.count[f.size()]] = uint8_t(k);
        ix.words[f.size()][ix.count[f.size()]++] = w;  // out of range (a name over 16): no constant
    }
    return ix;
}
constexpr ReadFieldIndex kReadFieldIndex = make_read_field_index();
static_assert(std::endian::native == std::endian::little, "the words above are built little-endian");

// The index in kReadFields of a field name (any case), kNoSlot when it is not read.
size_t read_field_slot(std::string_view name) {
    const size_t n = name.size();
    if (n > kMaxReadField || kReadFieldIndex.count[n] == 0) return kNoSlot;
    uint64_t w[2] = {0, 0};
    std::memcpy(w, name.data(), n);
    w[0] |= kCaseBits;
    w[1] |= kCaseBits;
    for (size_t i = 0; i < kReadFieldIndex.count[n]; ++i)
        if (w[0] == kReadFieldIndex.words[n][i][0] && w[1] == kReadFieldIndex.words[n][i][1])
            return kReadFieldIndex.slot[n][i];
    return kNoSlot;
}
bool is_read_field(std::string_view name) { return read_field_slot(name) != kNoSlot; }

// A header field name parse_message reads. The constructor runs at compile time and refuses a
// name missing from kReadFields (the `throw` makes the call not a constant expression, so the
// build fails): the filtered split keeps only the listed fields, and a field read but not listed
// would read empty for every message without anything else noticing.
struct ReadField {
    std::string_view name;
    size_t slot = kNoSlot;  // its index in kReadFields
    consteval ReadField(const char* n) : name(n) {
        for (size_t k = 0; k < std::size(kReadFields); ++k)
            if (kReadFields[k] == name) slot = k;
        if (slot == kNoSlot) throw "parse_message reads a header field missing from kReadFields: add it there";
    }
};

// The filtered header block, read only through ReadField names (no find() by a plain string).
// Each stored field's name is matched once, here: find() is then a look-up by the name's slot
// (it was a case-insensitive comparison with every stored field, for each of 30 look-ups).
class ReadHeaders {
public:
    explicit ReadHeaders(HeaderBlock hb) : hb_(std::move(hb)) {
        first_.fill(kNone);
        slots_.resize(hb_.fields.size());
        for (size_t i = 0; i < hb_.fields.size(); ++i) {
            const size_t s = read_field_slot(hb_.fields[i].name);  // every stored field is read
            slots_[i] = uint8_t(s);
            if (s != kNoSlot && first_[s] == kNone) first_[s] = uint32_t(i);
        }
    }
    const HeaderField* find(ReadField f) const { return first_[f.slot] == kNone ? nullptr : &hb_.fields[first_[f.slot]]; }
    // Every stored field of that name, in order.
    template <class F>
    void for_each(ReadField f, F fn) const {
        if (first_[f.slot] == kNone) return;
        for (size_t i = first_[f.slot]; i < hb_.fields.size(); ++i)
            if (slots_[i] == f.slot) fn(hb_.fields[i]);
    }
    size_t body_offset() const { return hb_.body_offset; }
    std::vector<Warning>& warnings() { return hb_.warnings; }

private:
    static constexpr uint32_t kNone = ~uint32_t(0);
    HeaderBlock hb_;
    std::array<uint32_t, kNoSlot> first_;  // the first stored field of each read name, or kNone
    std::vector<uint8_t> slots_;           // each stored field's slot
};

std::string_view header_view(const ReadHeaders& hb, ReadField name) {
    const HeaderField* f = hb.find(name);
    return f ? std::string_view(f->value) : std::string_view();
}
std::string header(const ReadHeaders& hb, ReadField name) { return std::string(header_view(hb, name)); }

// A header value for a person: raw 8-bit bytes to UTF-8, then RFC 2047 encoded-words decoded.
// (Valid UTF-8, nearly every header, is read in place instead of through a converted copy.)
std::string decoded(const ReadHeaders& hb, ReadField name) {
    const HeaderField* f = hb.find(name);
    if (!f) return {};
    if (is_valid_utf8(f->value)) return decode_rfc2047(f->value);
    return decode_rfc2047(header_text_to_utf8(f->value));
}

std::vector<Mailbox> addresses(const ReadHeaders& hb, ReadField name) {
    std::vector<Mailbox> out;
    hb.for_each(name, [&](const HeaderField& f) {
        auto v = is_valid_utf8(f.value) ? parse_address_list(f.value) : parse_address_list(header_text_to_utf8(f.value));
        if (out.empty()) out = std::move(v);
        else out.insert(out.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    });
    return out;
}

// The synthetic id of a message without a usable Message-ID: a hash of the header values that
// identify it and of the start of its body. Line endings are normalized and trailing white
// space dropped, so the same message read from mbox (LF, mboxrd-unquoted), Maildir or a CRLF
// .eml file gets the same id: re-ingest stays idempotent whatever the export format.
std::string synthetic_id(const ReadHeaders& hb, std::string_view raw) {
    Fnv128 h;
    for (ReadField name : {ReadField("From"), ReadField("To"), ReadField("Cc"), ReadField("Date"), ReadField("Subject")}) {
        h.add(name.name);
        h.add_byte(0);
        const std::string_view v = header_view(hb, name);
        for (char c : v)
            if (c != '\r' && c != '\n') h.add_byte(static_cast<unsigned char>(c));
        h.add_byte(0);
    }
    std::string_view body = raw.substr(std::min(hb.body_offset(), raw.size()));
    std::string norm;
    norm.reserve(4096);
    for (size_t i = 0; i < body.size() && norm.size() < 4096; ++i)
        if (body[i] != '\r') norm += body[i];
    while (!norm.empty() && (norm.back() == '\n' || norm.back() == ' ' || norm.back() == '\t')) norm.pop_back();
    h.add(norm);
    return "synthetic." + h.hex() + "@interlocutor.invalid";
}

}  // namespace

Message parse_message(std::string_view raw, const SourcePos& pos, const ParserOptions& opts) {
    Message m;
    m.source = pos;
    // The header's line ends, found by the split and read again by extract_body (line_index.h).
    thread_local NewlineIndex newlines;
    ReadHeaders hb(split_header_block_indexed(raw, opts, is_read_field, &newlines));
    for (auto& w : hb.warnings()) {
        if (w.offset >= 0) w.offset += pos.offset;
        m.warnings.push_back(std::move(w));
    }
    auto warn = [&](const char* code, std::string detail) { m.warnings.push_back({code, std::move(detail), pos.offset}); };

    // RFC 5322 section 3.6.4: identification fields.
    auto ids = parse_msg_ids(header_view(hb, "Message-ID"));
    if (!ids.empty()) {
        m.message_id = ids.front();
    } else {
        m.message_id = synthetic_id(hb, raw);
        m.synthetic_id = true;
        warn("no_message_id", hb.find("Message-ID") ? "unparseable Message-ID: synthetic id used" : "no Message-ID: synthetic id used");
    }
    m.in_reply_to = parse_msg_ids(header_view(hb, "In-Reply-To"));
    m.references = parse_msg_ids(header_view(hb, "References"));
    m.thread_index = header(hb, "Thread-Index");
    m.thread_topic = decoded(hb, "Thread-Topic");

    // RFC 5322 section 3.6.2/3.6.3: originator and destination fields (Resent-* are ignored:
    // they describe a redistribution, not the conversation).
    auto from = addresses(hb, "From");
    if (!from.empty()) m.from = std::move(from.front());
    auto sender = addresses(hb, "Sender");
    if (!sender.empty()) m.sender = std::move(sender.front());
    m.reply_to = addresses(hb, "Reply-To");
    m.to = addresses(hb, "To");
    m.cc = addresses(hb, "Cc");
    m.bcc = addresses(hb, "Bcc");
    m.subject = decoded(hb, "Subject");
    for (ReadField name : {ReadField("From"), ReadField("To"), ReadField("Cc"), ReadField("Subject")}) {
        const HeaderField* f = hb.find(name);
        if (f && !is_valid_utf8(f->value)) {
            warn("raw_8bit_header", std::string(name.name) + " has raw 8-bit bytes: read as windows-1252");
            break;
        }
    }

    // Time: the Date header, else the newest Received date, else the mbox "From " line, else
    // the file's modification time (SPEC "Time").
    const HeaderField* date = hb.find("Date");
    std::optional<ParsedDate> d;
    if (date) d = parse_date(date->value);
    if (d) {
        m.date = d->utc;
        m.tz_offset_min = d->tz_offset_min;
        m.date_source = DateSource::header;
    } else {
        if (date) warn("bad_date", "unparseable Date: " + header_text_to_utf8(date->value.substr(0, 200)));
        else warn("no_date", "no Date header");
        std::optional<ParsedDate> best;
        const HeaderBlock full = split_header_block(raw, opts);
        for (const HeaderField* f : full.find_all("Received")) {
            auto r = parse_received_date(f->value);
            if (r && (!best || r->utc > best->utc)) best = r;
        }
        if (best) {
            m.date = best->utc;
            m.tz_offset_min = best->tz_offset_min;
            m.date_source = DateSource::received;
        }
    }

    m.auto_submitted = decoded(hb, "Auto-Submitted");
    m.precedence = decoded(hb, "Precedence");
    m.list_id = decoded(hb, "List-Id");
    m.list_unsubscribe = decoded(hb, "List-Unsubscribe");
    m.x_autoreply = decoded(hb, "X-Autoreply");
    m.x_autorespond = decoded(hb, "X-Autorespond");
    m.return_path = decoded(hb, "Return-Path");
    m.content_type = header_text_to_utf8(header_view(hb, "Content-Type"));
    m.content_language = decoded(hb, "Content-Language");
    m.x_mailer = decoded(hb, "X-Mailer");

    BodyText body = extract_body_indexed(raw, opts, &newlines);
    if (newlines.at.capacity() > 65536) newlines = NewlineIndex{};  // not kept after a huge header
    m.body_text = std::move(body.text);
    m.body_from_html = body.from_html;
    m.is_report = body.is_report;
    m.attachment_count = body.attachment_count;
    for (auto& w : body.warnings) {
        if (w.offset < 0) w.offset = pos.offset;
        m.warnings.push_back(std::move(w));
    }
    return m;
}

Message parse_message(const RawMessage& raw, const ParserOptions& opts) {
    Message m = parse_message(raw.bytes, raw.pos, opts);
    m.flags = raw.flags;
    if (!raw.warnings.empty()) m.warnings.insert(m.warnings.begin(), raw.warnings.begin(), raw.warnings.end());
    if (m.date_source == DateSource::none && !raw.mbox_from_line.empty()) {
        if (auto d = parse_mbox_from_date(raw.mbox_from_line)) {
            m.date = d->utc;
            m.tz_offset_min = d->tz_offset_min;
            m.date_source = DateSource::mbox_from;
        }
    }
    if (m.date_source == DateSource::none && raw.file_mtime > 0) {
        m.date = raw.file_mtime;
        m.date_source = DateSource::file_mtime;
    }
    return m;
}

}  // namespace ilc::parsers
