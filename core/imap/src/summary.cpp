// What `interlocutor ingest imaps://...` prints: per folder what was fetched and stored, so a
// second run visibly fetches nothing.
#include <cstdio>

#include "changes.h"
#include "interlocutor/imap/imap.h"
#include "interlocutor/json_writer.h"

namespace ilc::imap {

std::string summary_text(const SyncSummary& s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "imap: %lld messages fetched, %lld stored, %lld duplicates, %lld repaired, %lld skipped in %.2f s",
                  static_cast<long long>(s.fetched), static_cast<long long>(s.stored),
                  static_cast<long long>(s.duplicates), static_cast<long long>(s.repaired),
                  static_cast<long long>(s.skipped), s.seconds);
    std::string o = buf;
    if (s.seconds > 0 && s.fetched > 0) {
        std::snprintf(buf, sizeof buf, " (%.0f msg/s, %.1f MB received)", s.fetched / s.seconds, s.bytes / 1048576.0);
        o += buf;
    }
    o += "\n";
    for (const auto& f : s.folders) {
        o += "  " + f.path + (f.sent ? " [sent]" : "") + ": " + std::to_string(f.fetched) + " fetched, " +
             std::to_string(f.stored) + " stored, " + std::to_string(f.duplicates) + " duplicates";
        if (f.uidvalidity_changed) o += " (UIDVALIDITY changed: folder read again)";
        o += ", last UID " + std::to_string(f.last_uid);
        if (!f.flag_changes.empty()) o += ", flags changed: " + std::to_string(f.flag_changes.size());
        if (!f.removed.empty()) o += ", removed on server: " + std::to_string(f.removed.size());
        o += "\n";
        for (const auto& c : f.flag_changes)
            o += "    UID " + std::to_string(c.uid) + " <" + c.message_id + ">: flags " +
                 (detail::flags_text(c.before).empty() ? "none" : detail::flags_text(c.before)) + " -> " +
                 (detail::flags_text(c.after).empty() ? "none" : detail::flags_text(c.after)) + "\n";
        for (const auto& r : f.removed)
            o += "    UID " + std::to_string(r.uid) + (r.message_id.empty() ? "" : " <" + r.message_id + ">") +
                 ": removed on server (kept in the store)\n";
    }
    if (s.flags_changed || s.removed)
        o += "changes on the server: flags changed: " + std::to_string(s.flags_changed) +
             ", removed on server: " + std::to_string(s.removed) + "\n";
    o += "store: " + std::to_string(s.total_messages) + " messages; owner: ";
    if (s.owner.empty()) o += "unknown (give --me ADDRESS)";
    for (size_t i = 0; i < s.owner.size(); ++i) o += (i ? ", " : "") + s.owner[i];
    if (s.owner_inferred) o += " (inferred from the sent folders)";
    return o + "\n";
}

std::string summary_json(const SyncSummary& s) {
    JsonWriter w(true);
    w.begin_object();
    w.kv("fetched", s.fetched).kv("stored", s.stored).kv("duplicates", s.duplicates).kv("repaired", s.repaired);
    w.kv("flags_changed", s.flags_changed).kv("removed", s.removed);
    w.kv("skipped", s.skipped).kv("seconds", s.seconds).kv("bytes", s.bytes).kv("total_messages", s.total_messages);
    w.key("owner").begin_array();
    for (const auto& a : s.owner) w.value(a);
    w.end_array().kv("owner_inferred", s.owner_inferred);
    w.key("folders").begin_array();
    for (const auto& f : s.folders) {
        w.begin_object().kv("name", f.name).kv("path", f.path).kv("sent", f.sent).kv("uidvalidity", f.uidvalidity);
        w.kv("uidvalidity_changed", f.uidvalidity_changed).kv("fetched", f.fetched).kv("stored", f.stored);
        w.kv("duplicates", f.duplicates).kv("repaired", f.repaired).kv("skipped", f.skipped).kv("last_uid", f.last_uid);
        w.kv("condstore", f.condstore).kv("highest_modseq", f.highest_modseq);
        w.kv("flag_check", f.flag_check == FlagCheck::condstore ? "condstore"
                           : f.flag_check == FlagCheck::full    ? "full"
                                                                : "none");
        auto flag_list = [&](const Flags& fl) {
            w.begin_array();
            std::string t = detail::flags_text(fl);
            for (size_t a = 0; a < t.size();) {
                size_t b = t.find(' ', a);
                if (b == std::string::npos) b = t.size();
                w.value(t.substr(a, b - a));
                a = b + 1;
            }
            w.end_array();
        };
        w.key("flag_changes").begin_array();
        for (const auto& c : f.flag_changes) {
            w.begin_object().kv("uid", c.uid).kv("message_id", c.message_id);
            w.key("before");
            flag_list(c.before);
            w.key("after");
            flag_list(c.after);
            w.end_object();
        }
        w.end_array();
        w.key("removed").begin_array();
        for (const auto& r : f.removed) w.begin_object().kv("uid", r.uid).kv("message_id", r.message_id).end_object();
        w.end_array();
        w.end_object();
    }
    w.end_array().end_object();
    return w.str() + "\n";
}

}  // namespace ilc::imap
