// What `interlocutor ingest imaps://...` prints: per folder what was fetched and stored, so a
// second run visibly fetches nothing.
#include <cstdio>

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
        o += ", last UID " + std::to_string(f.last_uid) + "\n";
    }
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
    w.kv("skipped", s.skipped).kv("seconds", s.seconds).kv("bytes", s.bytes).kv("total_messages", s.total_messages);
    w.key("owner").begin_array();
    for (const auto& a : s.owner) w.value(a);
    w.end_array().kv("owner_inferred", s.owner_inferred);
    w.key("folders").begin_array();
    for (const auto& f : s.folders) {
        w.begin_object().kv("name", f.name).kv("path", f.path).kv("sent", f.sent).kv("uidvalidity", f.uidvalidity);
        w.kv("uidvalidity_changed", f.uidvalidity_changed).kv("fetched", f.fetched).kv("stored", f.stored);
        w.kv("duplicates", f.duplicates).kv("repaired", f.repaired).kv("skipped", f.skipped).kv("last_uid", f.last_uid);
        w.end_object();
    }
    w.end_array().end_object();
    return w.str() + "\n";
}

}  // namespace ilc::imap
