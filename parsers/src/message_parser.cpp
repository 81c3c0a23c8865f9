// parse_message: one raw message -> the parsed part of an ilc::Message. Header decoding is in
// the header files (headers.h); the body comes from the mimetic adapter (extract_body).
#include "interlocutor/parsers/message_parser.h"

#include <cstdint>
#include <string>

#include "interlocutor/parsers/headers.h"
#include "interlocutor/parsers/source.h"

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

std::string header(const HeaderBlock& hb, std::string_view name) {
    const HeaderField* f = hb.find(name);
    return f ? f->value : std::string();
}

// A header value for a person: raw 8-bit bytes to UTF-8, then RFC 2047 encoded-words decoded.
std::string decoded(const HeaderBlock& hb, std::string_view name) {
    const HeaderField* f = hb.find(name);
    if (!f) return {};
    return decode_rfc2047(header_text_to_utf8(f->value));
}

std::vector<Mailbox> addresses(const HeaderBlock& hb, std::string_view name) {
    std::vector<Mailbox> out;
    for (const HeaderField* f : hb.find_all(name)) {
        auto v = parse_address_list(header_text_to_utf8(f->value));
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

// The synthetic id of a message without a usable Message-ID: a hash of the header values that
// identify it and of the start of its body. Line endings are normalized and trailing white
// space dropped, so the same message read from mbox (LF, mboxrd-unquoted), Maildir or a CRLF
// .eml file gets the same id: re-ingest stays idempotent whatever the export format.
std::string synthetic_id(const HeaderBlock& hb, std::string_view raw) {
    Fnv128 h;
    for (const char* name : {"From", "To", "Cc", "Date", "Subject"}) {
        h.add(name);
        h.add_byte(0);
        std::string v = header(hb, name);
        for (char c : v)
            if (c != '\r' && c != '\n') h.add_byte(static_cast<unsigned char>(c));
        h.add_byte(0);
    }
    std::string_view body = raw.substr(std::min(hb.body_offset, raw.size()));
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
    HeaderBlock hb = split_header_block(raw, opts);
    for (auto& w : hb.warnings) {
        if (w.offset >= 0) w.offset += pos.offset;
        m.warnings.push_back(std::move(w));
    }
    auto warn = [&](const char* code, std::string detail) { m.warnings.push_back({code, std::move(detail), pos.offset}); };

    // RFC 5322 section 3.6.4: identification fields.
    auto ids = parse_msg_ids(header(hb, "Message-ID"));
    if (!ids.empty()) {
        m.message_id = ids.front();
    } else {
        m.message_id = synthetic_id(hb, raw);
        m.synthetic_id = true;
        warn("no_message_id", hb.find("Message-ID") ? "unparseable Message-ID: synthetic id used" : "no Message-ID: synthetic id used");
    }
    m.in_reply_to = parse_msg_ids(header(hb, "In-Reply-To"));
    m.references = parse_msg_ids(header(hb, "References"));
    m.thread_index = header(hb, "Thread-Index");
    m.thread_topic = decoded(hb, "Thread-Topic");

    // RFC 5322 section 3.6.2/3.6.3: originator and destination fields (Resent-* are ignored:
    // they describe a redistribution, not the conversation).
    auto from = addresses(hb, "From");
    if (!from.empty()) m.from = from.front();
    auto sender = addresses(hb, "Sender");
    if (!sender.empty()) m.sender = sender.front();
    m.reply_to = addresses(hb, "Reply-To");
    m.to = addresses(hb, "To");
    m.cc = addresses(hb, "Cc");
    m.bcc = addresses(hb, "Bcc");
    m.subject = decoded(hb, "Subject");
    for (const char* name : {"From", "To", "Cc", "Subject"}) {
        const HeaderField* f = hb.find(name);
        if (f && !is_valid_utf8(f->value)) {
            warn("raw_8bit_header", std::string(name) + " has raw 8-bit bytes: read as windows-1252");
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
        for (const HeaderField* f : hb.find_all("Received")) {
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
    m.content_type = header_text_to_utf8(header(hb, "Content-Type"));
    m.content_language = decoded(hb, "Content-Language");
    m.x_mailer = decoded(hb, "X-Mailer");

    BodyText body = extract_body(raw, opts);
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
