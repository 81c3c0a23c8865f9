// interlocutor inspect FILE | --message-id ID: how one message was understood (SPEC "Command
// line and JSON"). What a user runs when a finding looks wrong, and what outside checks read.
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.h"
#include "interlocutor/detect/identity.h"
#include "interlocutor/json_writer.h"
#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/text/understand.h"

namespace ilc::cli {

namespace {

std::string iso_date(int64_t utc, int offset_min) {
    std::time_t t = static_cast<std::time_t>(utc + offset_min * 60);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char zone[8];
    int a = offset_min < 0 ? -offset_min : offset_min;
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    return std::string(buf) + zone;
}

std::string mailbox_text(const Mailbox& m) {
    if (m.name.empty()) return m.address;
    return m.name + " <" + m.address + ">";
}

void write_mailboxes(JsonWriter& w, const char* key, const std::vector<Mailbox>& list) {
    w.key(key).begin_array();
    for (const auto& m : list) w.begin_object().kv("name", m.name).kv("address", m.address).end_object();
    w.end_array();
}

const char* date_source_name(DateSource s) {
    switch (s) {
        case DateSource::header: return "header";
        case DateSource::received: return "received";
        case DateSource::mbox_from: return "mbox_from";
        case DateSource::file_mtime: return "file_mtime";
        default: return "none";
    }
}

std::string to_json(const Message& m, const std::string& direction) {
    JsonWriter w(true);
    w.begin_object();
    w.kv("message_id", m.message_id).kv("synthetic_id", m.synthetic_id);
    w.key("from").begin_object().kv("name", m.from.name).kv("address", m.from.address).end_object();
    write_mailboxes(w, "to", m.to);
    write_mailboxes(w, "cc", m.cc);
    if (m.date_source == DateSource::none) w.kv_null("date");
    else w.kv("date", iso_date(m.date, m.tz_offset_min));
    w.kv("date_source", date_source_name(m.date_source));
    w.kv("subject", m.subject);
    w.kv("direction", direction);
    w.key("automated").begin_object().kv("is", m.automated);
    if (m.automated) w.kv("reason", m.automated_reason);
    else w.kv_null("reason");
    if (m.ooo_until) w.kv("until", iso_date(*m.ooo_until, 0));
    w.end_object();
    w.kv("new_text", m.new_text).kv("quoted", m.quoted);
    w.key("signature").begin_object().kv("text", m.signature).kv("name", m.signature_name)
        .kv("title", m.signature_title).end_object();
    w.kv("expects_reply", m.expects_reply);
    w.key("cues").begin_array();
    for (const auto& c : m.cues) w.begin_object().kv("family", c.family).kv("text", c.text).end_object();
    w.end_array();
    w.key("warnings").begin_array();
    for (const auto& wn : m.warnings) {
        w.begin_object().kv("code", wn.code).kv("detail", wn.detail);
        if (wn.offset >= 0) w.kv("offset", wn.offset);
        w.end_object();
    }
    w.end_array();
    w.kv("lang", m.lang);
    w.key("in_reply_to").begin_array();
    for (const auto& i : m.in_reply_to) w.value(i);
    w.end_array();
    w.key("references").begin_array();
    for (const auto& i : m.references) w.value(i);
    w.end_array();
    w.key("source").begin_object().kv("path", m.source.path).kv("offset", m.source.offset)
        .kv("length", m.source.length).kv("folder", m.source.folder).end_object();
    w.end_object();
    return w.str();
}

std::string to_text(const Message& m, const std::string& direction) {
    std::ostringstream o;
    o << "Message-ID: " << m.message_id << (m.synthetic_id ? "  (synthetic: the message has none)" : "") << "\n";
    o << "From:       " << mailbox_text(m.from) << "\n";
    auto list = [&](const char* label, const std::vector<Mailbox>& l) {
        if (l.empty()) return;
        o << label;
        for (size_t i = 0; i < l.size(); ++i) o << (i ? ", " : "") << mailbox_text(l[i]);
        o << "\n";
    };
    list("To:         ", m.to);
    list("Cc:         ", m.cc);
    o << "Date:       " << (m.date_source == DateSource::none ? "(none)" : iso_date(m.date, m.tz_offset_min))
      << "  [from " << date_source_name(m.date_source) << "]\n";
    o << "Subject:    " << m.subject << "\n";
    o << "Direction:  " << direction << "   Language: " << (m.lang.empty() ? "?" : m.lang) << "\n";
    o << "Automated:  " << (m.automated ? "yes (" + m.automated_reason + ")" : std::string("no")) << "\n";
    o << "Expects a reply: " << (m.expects_reply ? "yes" : "no") << "\n";
    if (!m.cues.empty()) {
        o << "Cues:";
        for (const auto& c : m.cues) o << " [" << c.family << ": " << c.text << "]";
        o << "\n";
    }
    o << "\n--- new text ---\n" << m.new_text << "\n";
    if (!m.signature.empty())
        o << "--- signature (name: " << m.signature_name << "; title: " << m.signature_title << ") ---\n"
          << m.signature << "\n";
    if (!m.quoted.empty()) o << "--- quoted ---\n" << m.quoted << "\n";
    for (const auto& wn : m.warnings) o << "warning: " << wn.code << ": " << wn.detail << "\n";
    return o.str();
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"message-id", true, false, "a stored message's id (bare or in angle brackets)", "ID"},
        {"me", true, true, "an owner address, for the direction (default: the store's owner)", "ADDR"},
        {"format", true, false, "json or text (default: text)", "FORMAT"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("inspect", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor inspect FILE | --message-id ID [--db FILE] --format json|text",
                                 "Shows how one message was understood: participants, direction, automated or not,\n"
                                 "new text / quoted history / signature, cues, and whether it expects a reply.",
                                 specs);
        return 0;
    }
    const std::string format = args.get_or("format", "text");
    if (format != "text" && format != "json") return usage_error("inspect", "--format must be json or text");
    const bool by_id = args.has("message-id");
    if (by_id == !args.positionals().empty())
        return usage_error("inspect", "give either one FILE or --message-id ID");
    if (args.positionals().size() > 1) return usage_error("inspect", "give one FILE");

    Message m;
    std::vector<std::string> owners = args.all("me");
    if (by_id) {
        std::string id = *args.get("message-id");
        if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
        auto st = open_store_for_reading(args);
        if (!st) return runtime_error(st.error());
        auto found = st.value()->find_message(id);
        if (!found) return runtime_error(found.error());
        if (!found.value()) return runtime_error({ErrorCode::not_found, "no stored message has the id " + id, ""});
        m = std::move(*found.value());
        if (owners.empty()) {
            auto o = st.value()->owner_addresses();
            if (o) owners = o.value();
        }
    } else {
        const std::string path = args.positionals()[0];
        std::ifstream in(path, std::ios::binary);
        if (!in) return runtime_error({ErrorCode::io, "cannot read " + path, "check the path and permissions"});
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        SourcePos pos;
        pos.path = path;
        pos.length = static_cast<int64_t>(raw.size());
        m = parsers::parse_message(raw, pos);
        text::understand(m);
        if (owners.empty()) {
            // The default store's owner, when there is one; inspecting a file needs no store.
            auto st = store::Store::open(db_path(args), store::OpenMode::read_only);
            if (st) {
                auto o = st.value()->owner_addresses();
                if (o) owners = o.value();
            }
        }
    }
    std::string direction = "unknown";
    if (!owners.empty()) {
        detect::Identity id(owners, {}, {});
        direction = id.direction(m) == detect::Direction::outbound ? "outbound" : "inbound";
    }
    std::cout << (format == "json" ? to_json(m, direction) : to_text(m, direction)) << "\n";
    return 0;
}

}  // namespace ilc::cli
