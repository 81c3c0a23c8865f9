// IMAP sync (see imap.h). Per folder: EXAMINE (read-only, so \Seen never changes), compare
// UIDVALIDITY with the stored progress, UID SEARCH for UIDs above the last stored one, then in
// batches: one UID FETCH of headers + BODYSTRUCTURE, one UID FETCH per distinct set of text
// sections (pipelined), a rebuilt message for parsers::parse_message holding the original
// headers, MIME structure and text parts (attachments keep their headers, not their bytes), and
// one store transaction with the folder's progress.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <ctime>
#include <iterator>
#include <map>
#include <thread>

#include "changes.h"
#include "client.h"
#include "interlocutor/imap/imap.h"
#include "interlocutor/imap/response.h"
#include "interlocutor/ingest/ingest.h"
#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/text/understand.h"

namespace ilc::imap {

namespace {

using Clock = std::chrono::steady_clock;

struct FolderInfo {
    std::string raw_name;  // as the server spells it (modified UTF-7)
    std::string name;      // UTF-8
    bool sent = false;
};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Result<std::vector<FolderInfo>> list_folders(Client& c) {
    std::vector<FolderInfo> out;
    auto r = c.run("LIST \"\" \"*\"", "LIST", [&](Response& resp) {
        if (resp.name != "LIST" || resp.data.size() < 3 || !resp.data[0].is_list()) return;
        FolderInfo f;
        bool selectable = true;
        for (const auto& a : resp.data[0].items) {
            std::string al = lower(a.text);
            if (al == "\\noselect" || al == "\\nonexistent") selectable = false;
            if (al == "\\sent") f.sent = true;  // RFC 6154 special-use
        }
        f.raw_name = resp.data[2].text;
        if (!selectable) return;
        f.name = decode_mailbox_name(f.raw_name);
        f.sent = f.sent || ingest::is_sent_folder(f.name);
        out.push_back(std::move(f));
    });
    if (!r) return r.error();
    std::sort(out.begin(), out.end(), [](const FolderInfo& a, const FolderInfo& b) { return a.name < b.name; });
    return out;
}

// "1:5,7,9:10" from sorted UIDs.
std::string uid_set(const std::vector<int64_t>& uids) {
    std::string s;
    for (size_t i = 0; i < uids.size();) {
        size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        if (!s.empty()) s += ',';
        s += std::to_string(uids[i]);
        if (j > i) s += ":" + std::to_string(uids[j]);
        i = j + 1;
    }
    return s;
}

bool is_text_leaf(const BodyPart& p) { return p.type == "text" && (p.subtype == "plain" || p.subtype == "html"); }

// The sections a message needs: ".MIME" headers of every non-top part, bodies of text leaves.
void needed_sections(const BodyPart& p, std::vector<std::string>& out) {
    if (p.section.empty()) {
        if (p.is_multipart) {
            if (!p.boundary.empty())
                for (const auto& c : p.children) needed_sections(c, out);
        } else if (is_text_leaf(p)) {
            out.push_back("TEXT");
        }
        return;
    }
    out.push_back(p.section + ".MIME");
    if (p.is_multipart) {
        if (!p.boundary.empty())
            for (const auto& c : p.children) needed_sections(c, out);
    } else if (is_text_leaf(p)) {
        out.push_back(p.section);
    }
}

using Sections = std::map<std::string, std::string>;

void emit_part(const BodyPart& p, const Sections& got, std::string& out);

// RFC 2046 section 5.1.1: each part after "--boundary" CRLF, the last one closed by "--boundary--".
void emit_children(const BodyPart& p, const Sections& got, std::string& out) {
    for (const auto& c : p.children) {
        out += "--" + p.boundary + "\r\n";
        emit_part(c, got, out);
        out += "\r\n";
    }
    out += "--" + p.boundary + "--\r\n";
}

void emit_part(const BodyPart& p, const Sections& got, std::string& out) {
    if (auto it = got.find(p.section + ".MIME"); it != got.end()) out += it->second;
    else out += "\r\n";
    if (p.is_multipart) {
        if (!p.boundary.empty()) emit_children(p, got, out);
    } else if (auto it = got.find(p.section); it != got.end()) {
        out += it->second;
    }
}

std::string rebuild_crlf(const std::string& header, const BodyPart* body, const Sections& got);

// IMAP serves CRLF lines; the message is handed to the parser with LF lines, byte for byte what
// a Maildir file of the same mail holds (the parser keeps some CRs of very long CRLF bodies in
// the decoded text, which would make the same mail differ between sources).
std::string rebuild(const std::string& header, const BodyPart* body, const Sections& got) {
    std::string crlf = rebuild_crlf(header, body, got);
    std::string lf;
    lf.reserve(crlf.size());
    for (size_t i = 0; i < crlf.size(); ++i)
        if (!(crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n')) lf += crlf[i];
    return lf;
}

std::string rebuild_crlf(const std::string& header, const BodyPart* body, const Sections& got) {
    std::string raw = header;
    if (raw.size() < 4 || raw.compare(raw.size() - 4, 4, "\r\n\r\n") != 0) {
        if (raw.size() < 2 || raw.compare(raw.size() - 2, 2, "\r\n") != 0) raw += "\r\n";
        raw += "\r\n";
    }
    if (!body) return raw;
    if (body->is_multipart) {
        if (!body->boundary.empty()) emit_children(*body, got, raw);
    } else if (auto it = got.find("TEXT"); it != got.end()) {
        raw += it->second;
    }
    return raw;
}

// INTERNALDATE "17-Jul-1996 02:44:25 -0700" -> UTC seconds (RFC 3501 date-time).
std::optional<int64_t> internal_date(const std::string& s) {
    static const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    int d = 0, y = 0, hh = 0, mm = 0, ss = 0, zone = 0;
    char mon[4] = {0};
    if (std::sscanf(s.c_str(), " %d-%3c-%d %d:%d:%d %d", &d, mon, &y, &hh, &mm, &ss, &zone) != 7) return std::nullopt;
    int m = -1;
    for (int i = 0; i < 12; ++i)
        if (lower(std::string(mon, 3)) == months[i]) m = i;
    if (m < 0) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    int64_t t = timegm(&tm);
    int sign = zone < 0 ? -1 : 1;
    zone = std::abs(zone);
    return t - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
}

struct Fetched {
    int64_t uid = 0;
    int64_t size = 0;
    std::optional<int64_t> internal;
    Flags flags;
    std::string header;
    std::optional<BodyPart> body;
    Sections sections;
};

// Where each stored message came from: (source path, UID) -> (Message-ID, stored flags bits).
// Loaded once per sync, and only when a folder reports changed flags or removed UIDs.
struct StoredIndex {
    bool loaded = false;
    std::map<std::pair<std::string, int64_t>, std::pair<std::string, int>> by_pos;

    Status load(store::Store& store) {
        if (loaded) return ok_status();
        store::LoadOptions lo;
        lo.with_text = false;
        auto msgs = store.load_messages(lo);
        if (!msgs) return msgs.error();
        for (const auto& m : msgs.value())
            by_pos[{m.source.path, m.source.offset}] = {m.message_id, detail::flags_bits(m.flags)};
        loaded = true;
        return ok_status();
    }
    const std::pair<std::string, int>* find(const std::string& path, int64_t uid) const {
        auto it = by_pos.find({path, uid});
        return it == by_pos.end() ? nullptr : &it->second;
    }
};

int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Flag changes and removals of the messages earlier syncs stored from this folder (UIDs up to
// last_uid), written to the store's meta (changes.h) in one transaction. On return `known`
// holds the UIDs up to last_uid still on the server.
//
// Removals: the UIDs present at the last sync are remembered; when EXISTS minus the new UIDs
// still equals their number nothing can have been expunged (UIDs below UIDNEXT are never
// reused, RFC 3501 section 2.3.1.1), so the default sync sends nothing more. Otherwise one
// UID SEARCH of the stored range tells which are gone.
// Flags: with CONDSTORE, UID FETCH (FLAGS) (CHANGEDSINCE the last HIGHESTMODSEQ) returns only
// the changed ones (RFC 7162 section 3.1.4); without it, every stored UID's FLAGS, only when
// asked (full_flags).
Status check_stored(Client& client, store::Store& store, StoredIndex& index, const std::string& folder_name,
                    FolderSummary& fs, bool same_validity, int64_t last_uid, int64_t exists, int64_t new_count,
                    bool full_flags, std::vector<int64_t>& known) {
    known.clear();
    if (!same_validity || last_uid == 0) {
        // Nothing stored under this UIDVALIDITY yet: state about the old UIDs means nothing now.
        if (fs.uidvalidity_changed) {
            if (auto st = store.set_meta(detail::uids_key(fs.path), ""); !st) return st;
            if (auto st = store.set_meta(detail::flags_key(fs.path), ""); !st) return st;
        }
        return ok_status();
    }
    auto saved = store.get_meta(detail::uids_key(fs.path));
    if (!saved) return saved.error();
    std::optional<std::vector<int64_t>> before;
    if (saved.value()) before = detail::decode_uid_set(*saved.value());
    std::vector<int64_t> gone;
    if (before && static_cast<int64_t>(before->size()) == exists - new_count) {
        known = *before;
    } else {
        // Also the first sync after an upgrade (nothing remembered yet): the set is only seeded.
        auto se = client.run("UID SEARCH UID 1:" + std::to_string(last_uid), "UID SEARCH of stored UIDs in " + folder_name,
                             [&](Response& r) {
                                 if (r.name != "SEARCH") return;
                                 for (const auto& v : r.data)
                                     if (auto n = v.number(); n && *n >= 1 && *n <= last_uid) known.push_back(*n);
                             });
        if (!se) return se.error();
        std::sort(known.begin(), known.end());
        known.erase(std::unique(known.begin(), known.end()), known.end());
        if (before)
            std::set_difference(before->begin(), before->end(), known.begin(), known.end(), std::back_inserter(gone));
    }

    std::map<int64_t, Flags> current;
    auto on_flags = [&](Response& r) {
        if (r.name != "FETCH") return;
        const Value* uid = fetch_item(r, "UID");
        const Value* fl = fetch_item(r, "FLAGS");
        if (!uid || !uid->number() || !fl || !fl->is_list()) return;
        if (std::binary_search(known.begin(), known.end(), *uid->number())) current[*uid->number()] = detail::parse_flags(*fl);
    };
    auto ms = store.get_meta(detail::modseq_key(fs.path));
    if (!ms) return ms.error();
    int64_t since = 0;
    if (ms.value()) {
        // "UIDVALIDITY/HIGHESTMODSEQ"; anything else (empty: no CONDSTORE last time) is no base.
        const std::string& v = *ms.value();
        auto slash = v.find('/');
        if (slash != std::string::npos && v.substr(0, slash) == std::to_string(fs.uidvalidity))
            since = std::atoll(v.c_str() + slash + 1);
    }
    if (fs.condstore && since > 0) {
        fs.flag_check = FlagCheck::condstore;
        if (fs.highest_modseq > since && !known.empty()) {
            auto r = client.run("UID FETCH 1:" + std::to_string(last_uid) + " (UID FLAGS) (CHANGEDSINCE " +
                                    std::to_string(since) + ")",
                                "UID FETCH of changed flags in " + folder_name, on_flags);
            if (!r) return r.error();
        }
    } else if (full_flags && !known.empty()) {
        fs.flag_check = FlagCheck::full;
        auto r = client.run("UID FETCH 1:" + std::to_string(last_uid) + " (UID FLAGS)", "UID FETCH of flags in " + folder_name,
                            on_flags);
        if (!r) return r.error();
    }
    if (current.empty() && gone.empty()) {
        if (!before || saved.value() != detail::encode_uid_set(known))
            return store.set_meta(detail::uids_key(fs.path), detail::encode_uid_set(known));
        return ok_status();
    }

    if (auto st = index.load(store); !st) return st;
    auto ov = store.get_meta(detail::flags_key(fs.path));
    if (!ov) return ov.error();
    auto overlay = ov.value() ? detail::decode_flag_overlay(*ov.value()) : std::map<int64_t, detail::FlagEntry>{};
    for (const auto& [uid, now_flags] : current) {
        const auto* row = index.find(fs.path, uid);
        // A copy whose Message-ID was first stored from another folder or file keeps that row's
        // flags; its own flags are not tracked (the row is not this UID's).
        if (!row) continue;
        const int stored_bits = row->second;
        auto it = overlay.find(uid);
        const int before_bits = it != overlay.end() ? it->second.bits : stored_bits;
        const int after_bits = detail::flags_bits(now_flags);
        if (after_bits != before_bits)
            fs.flag_changes.push_back(
                FlagChange{uid, row->first, detail::flags_from_bits(before_bits), detail::flags_from_bits(after_bits)});
        if (after_bits == stored_bits) overlay.erase(uid);
        else overlay[uid] = detail::FlagEntry{after_bits, row->first};
    }
    const int64_t now = now_seconds();
    for (int64_t uid : gone) {
        const auto* row = index.find(fs.path, uid);
        fs.removed.push_back(Removal{fs.path, uid, row ? row->first : std::string(), now});
        overlay.erase(uid);
    }

    store::WriteBatch batch(store);
    if (!batch.status()) return batch.status();
    if (auto st = store.set_meta(detail::uids_key(fs.path), detail::encode_uid_set(known)); !st) return st;
    // The server's flags become the stored row's (the store keeps one row per Message-ID, owned
    // by this UID: index.find() returned it), so the overlay keeps nothing for them.
    for (const auto& fc : fs.flag_changes) {
        auto updated = store.update_flags(fc.message_id, fc.after);
        if (!updated) return updated.error();
        if (updated.value()) overlay.erase(fc.uid);
    }
    if (auto st = store.set_meta(detail::flags_key(fs.path), detail::encode_flag_overlay(overlay)); !st) return st;
    if (!fs.removed.empty()) {
        auto rm = store.get_meta(detail::removed_key(fs.path));
        if (!rm) return rm.error();
        std::string all = rm.value().value_or("") + detail::encode_removed(fs.removed);
        if (auto st = store.set_meta(detail::removed_key(fs.path), all); !st) return st;
        // The issue list is what `ingest` reports and people read: each removal is listed there
        // too; the stored message itself is kept (its thread and findings still need it).
        for (const auto& r : fs.removed)
            if (auto st = store.record_issue({fs.path, r.uid, r.message_id, "removed_on_server",
                                              "UID " + std::to_string(r.uid) +
                                                  " was expunged on the server; the stored copy is kept"});
                !st)
                return st;
    }
    return batch.commit();
}

// Writes the folder's "UIDVALIDITY/HIGHESTMODSEQ" (empty without CONDSTORE) when it changed:
// an empty incremental sync then writes nothing at all.
Status remember_modseq(store::Store& store, const FolderSummary& fs) {
    const std::string v =
        fs.condstore ? std::to_string(fs.uidvalidity) + "/" + std::to_string(fs.highest_modseq) : std::string();
    auto cur = store.get_meta(detail::modseq_key(fs.path));
    if (!cur) return cur.error();
    if (cur.value() && *cur.value() == v) return ok_status();
    return store.set_meta(detail::modseq_key(fs.path), v);
}

}  // namespace

Result<SyncSummary> sync(store::Store& store, const std::string& url_text, const SyncOptions& options) {
    const auto t0 = Clock::now();
    SyncSummary sum;
    auto url_r = parse_url(url_text);
    if (!url_r) return url_r.error();
    const Url url = url_r.value();

    if (!options.me.empty()) {
        std::vector<std::string> me;
        for (const auto& a : options.me) me.push_back(lower(a));
        if (auto st = store.set_owner_addresses(me); !st) return st.error();
    }
    if (!options.internal_domains.empty()) {
        std::vector<std::string> d;
        for (const auto& a : options.internal_domains) d.push_back(lower(a));
        if (auto st = store.set_internal_domains(d); !st) return st.error();
    }

    Client client;
    if (auto st = client.open(url, options.connect); !st) return st.error();
    auto all = list_folders(client);
    if (!all) return all.error();

    std::vector<std::string> wanted = options.folders;
    if (wanted.empty() && !url.folder.empty()) wanted.push_back(url.folder);
    std::vector<FolderInfo> folders;
    if (wanted.empty()) {
        folders = all.value();
    } else {
        for (const auto& w : wanted) {
            auto it = std::find_if(all->begin(), all->end(), [&](const FolderInfo& f) { return f.name == w; });
            if (it == all->end())
                return Error{ErrorCode::not_found, "IMAP folder '" + w + "' does not exist on " + url.host,
                             "the server has: " + [&] {
                                 std::string s;
                                 for (const auto& f : all.value()) s += (s.empty() ? "" : ", ") + f.name;
                                 return s;
                             }()};
            folders.push_back(*it);
        }
    }

    std::vector<std::pair<std::string, std::string>> sent_from;
    const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    const size_t batch_size = std::max<size_t>(1, options.batch_messages);
    const char* full_env = std::getenv("ILC_IMAP_FULL_FLAGS");
    const bool full_flags = options.full_flags || (full_env && std::string(full_env) == "1");
    StoredIndex index;

    for (const auto& folder : folders) {
        FolderSummary fs;
        fs.name = folder.name;
        fs.path = url.canonical(folder.name);
        fs.sent = folder.sent;
        auto prev_r = store.source_progress(fs.path);
        if (!prev_r) return prev_r.error();

        int64_t uidvalidity = 0, uidnext = 0, exists = 0, highest_modseq = 0;
        bool nomodseq = false;
        // RFC 7162 section 3.1.8: the CONDSTORE parameter of EXAMINE makes the server report
        // HIGHESTMODSEQ (or NOMODSEQ for a mailbox that keeps none).
        const bool server_condstore = client.has_capability("CONDSTORE");
        auto ex = client.run("EXAMINE " + quote(folder.raw_name) + (server_condstore ? " (CONDSTORE)" : ""),
                             "EXAMINE " + folder.name, [&](Response& r) {
            if (r.code == "UIDVALIDITY" && !r.code_args.empty()) uidvalidity = r.code_args[0].number().value_or(0);
            if (r.code == "UIDNEXT" && !r.code_args.empty()) uidnext = r.code_args[0].number().value_or(0);
            if (r.code == "HIGHESTMODSEQ" && !r.code_args.empty()) highest_modseq = r.code_args[0].number().value_or(0);
            if (r.code == "NOMODSEQ") nomodseq = true;
            if (r.name == "EXISTS" && r.number) exists = *r.number;
        });
        if (!ex) return ex.error();
        fs.condstore = server_condstore && !nomodseq && highest_modseq > 0;
        fs.highest_modseq = fs.condstore ? highest_modseq : 0;

        store::SourceProgress prog;
        prog.path = fs.path;
        prog.kind = "imap";
        prog.uidvalidity = uidvalidity;
        bool same_validity = false;
        if (auto& prev = prev_r.value()) {
            if (prev->uidvalidity == uidvalidity) {
                same_validity = true;
                prog.last_uid = prev->last_uid;
                prog.message_count = prev->message_count;
            } else {
                // RFC 3501 section 2.3.1.1: a new UIDVALIDITY means the old UIDs mean nothing any
                // more; read the folder again (Message-IDs already stored count as duplicates).
                fs.uidvalidity_changed = true;
            }
        }
        fs.uidvalidity = uidvalidity;
        fs.last_uid = prog.last_uid;
        const bool nothing_new = exists == 0 || (uidnext > 0 && uidnext <= prog.last_uid + 1);

        std::vector<int64_t> uids;
        if (!nothing_new) {
            auto se = client.run("UID SEARCH UID " + std::to_string(prog.last_uid + 1) + ":*",
                                 "UID SEARCH in " + folder.name, [&](Response& r) {
                                     if (r.name != "SEARCH") return;
                                     for (const auto& v : r.data)
                                         if (auto n = v.number(); n && *n > prog.last_uid) uids.push_back(*n);
                                 });
            if (!se) return se.error();
            std::sort(uids.begin(), uids.end());
            uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
        }

        // Flag changes and removals of the messages stored by earlier syncs (UIDs <= last_uid).
        std::vector<int64_t> known;  // UIDs <= last_uid present on the server, as of now
        if (auto st = check_stored(client, store, index, folder.name, fs, same_validity, prog.last_uid, exists,
                                   static_cast<int64_t>(uids.size()), full_flags, known);
            !st)
            return st.error();

        if (nothing_new) {
            if (!prev_r.value() || fs.uidvalidity_changed || !prev_r.value()->completed) {
                prog.completed = true;
                if (auto st = store.set_source_progress(prog); !st) return st.error();
            }
            if (auto st = remember_modseq(store, fs); !st) return st.error();
            sum.flags_changed += static_cast<int64_t>(fs.flag_changes.size());
            sum.removed += static_cast<int64_t>(fs.removed.size());
            sum.folders.push_back(fs);
            continue;
        }

        for (size_t lo = 0; lo < uids.size(); lo += batch_size) {
            std::vector<int64_t> chunk(uids.begin() + lo, uids.begin() + std::min(uids.size(), lo + batch_size));
            std::map<int64_t, Fetched> got;
            Error parse_error;
            bool bad_structure = false;
            auto f1 = client.run("UID FETCH " + uid_set(chunk) +
                                     " (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER])",
                                 "UID FETCH in " + folder.name, [&](Response& r) {
                                     if (r.name != "FETCH") return;
                                     const Value* uid = fetch_item(r, "UID");
                                     // Unsolicited FETCH responses (flag updates of other
                                     // messages, RFC 3501 section 7.4.2) are not ours to store.
                                     if (!uid || !uid->number() ||
                                         !std::binary_search(chunk.begin(), chunk.end(), *uid->number()))
                                         return;
                                     Fetched& f = got[*uid->number()];
                                     f.uid = *uid->number();
                                     if (auto* v = fetch_item(r, "RFC822.SIZE")) f.size = v->number().value_or(0);
                                     if (auto* v = fetch_item(r, "INTERNALDATE")) f.internal = internal_date(v->text);
                                     if (auto* v = fetch_item(r, "BODY[HEADER]")) f.header = v->text;
                                     if (auto* v = fetch_item(r, "FLAGS")) f.flags = detail::parse_flags(*v);
                                     if (auto* v = fetch_item(r, "BODYSTRUCTURE")) {
                                         auto b = parse_bodystructure(*v);
                                         if (b) f.body = std::move(b.value());
                                         else if (!bad_structure) {
                                             bad_structure = true;
                                             parse_error = b.error();
                                         }
                                     }
                                 });
            if (!f1) return f1.error();
            if (bad_structure) {
                parse_error.message = "IMAP " + url.host + " folder " + folder.name + ": " + parse_error.message;
                return parse_error;
            }

            // Group the messages by the sections they need, one pipelined UID FETCH per group.
            std::map<std::vector<std::string>, std::vector<int64_t>> groups;
            for (auto& [uid, f] : got) {
                if (!f.body) continue;
                std::vector<std::string> secs;
                needed_sections(*f.body, secs);
                if (!secs.empty()) groups[secs].push_back(uid);
            }
            std::vector<std::pair<std::string, const std::vector<std::string>*>> pending;
            for (auto& [secs, us] : groups) {
                std::string items;
                for (const auto& s : secs) items += (items.empty() ? "" : " ") + std::string("BODY.PEEK[") + s + "]";
                auto tag = client.send("UID FETCH " + uid_set(us) + " (UID " + items + ")");
                if (!tag) return tag.error();
                pending.emplace_back(tag.value(), &secs);
            }
            // Dovecot runs pipelined FETCH commands concurrently (RFC 3501 section 5.5 allows it), so
            // an answer may arrive while another command's completion is awaited: every FETCH
            // response is filed by its UID and the section names it carries, whoever reads it.
            auto file_sections = [&](Response& r) {
                if (r.name != "FETCH" || r.data.empty() || !r.data[0].is_list()) return;
                const Value* uid = fetch_item(r, "UID");
                if (!uid || !uid->number()) return;
                auto it = got.find(*uid->number());
                if (it == got.end()) return;
                const auto& items = r.data[0].items;
                for (size_t k = 0; k + 1 < items.size(); k += 2) {
                    const std::string& key = items[k].text;
                    if (key.size() > 6 && (key.compare(0, 5, "BODY[") == 0 || key.compare(0, 5, "body[") == 0) &&
                        key.back() == ']')
                        it->second.sections[key.substr(5, key.size() - 6)] = items[k + 1].text;
                }
            };
            for (auto& [tag, secs] : pending) {
                (void)secs;
                auto f2 = client.wait(tag, "UID FETCH of text parts in " + folder.name, file_sections);
                if (!f2) return f2.error();
            }

            // Parse + understand on every core: contiguous slices, no shared state.
            std::vector<Fetched*> order;
            for (auto& [uid, f] : got) order.push_back(&f);
            std::vector<Message> msgs(order.size());
            std::vector<size_t> raw_sizes(order.size());
            // Why a message could not be read ("" when it was). The parsers and the text layer
            // are fuzzed and report bad mail as warnings; should one still throw on a message,
            // it is skipped and reported, as the file ingest does: an exception escaping a worker
            // thread would end the process.
            std::vector<std::string> failed(order.size());
            // Message i from its rebuilt raw bytes: parsed, dated by the server's delivery time
            // when it has no date of its own, flagged, understood.
            auto read_one = [&](size_t i, const std::string& raw) {
                const Fetched& f = *order[i];
                try {
                    msgs[i] = parsers::parse_message(raw, SourcePos{fs.path, f.uid, f.size, folder.name});
                    if (msgs[i].date_source == DateSource::none && f.internal) {
                        msgs[i].date = *f.internal;
                        msgs[i].date_source = DateSource::file_mtime;  // the server's delivery time
                    }
                    msgs[i].flags = f.flags;
                    text::understand(msgs[i]);
                    ingest::fault_injection_on_message(msgs[i]);
                    failed[i].clear();
                } catch (const std::exception& e) {
                    msgs[i] = Message{};
                    failed[i] = e.what();
                }
            };
            auto work = [&](size_t a, size_t b) {
                for (size_t i = a; i < b; ++i) {
                    const Fetched& f = *order[i];
                    const std::string raw = rebuild(f.header, f.body ? &*f.body : nullptr, f.sections);
                    raw_sizes[i] = raw.size();
                    read_one(i, raw);
                }
            };
            const size_t n = order.size();
            const unsigned w = static_cast<unsigned>(std::min<size_t>(workers, std::max<size_t>(1, n)));
            std::vector<std::thread> pool;
            for (unsigned k = 1; k < w; ++k) pool.emplace_back(work, n * k / w, n * (k + 1) / w);
            work(0, n / w);
            for (auto& t : pool) t.join();

            // A message without a usable Message-ID gets a synthetic id hashed from its headers
            // and the first bytes of its raw body (preamble included), which the rebuilt body
            // does not reproduce for multiparts. Those few are fetched whole (BODY[TEXT]) so the
            // id equals the one a file ingest of the same mail computes: no duplicate across sources.
            std::vector<size_t> whole;
            for (size_t i = 0; i < n; ++i)
                if (msgs[i].synthetic_id && order[i]->body && order[i]->body->is_multipart) whole.push_back(i);
            if (!whole.empty()) {
                std::vector<int64_t> wu;
                for (size_t i : whole) wu.push_back(order[i]->uid);
                std::map<int64_t, std::string> text_of;
                auto f3 = client.run("UID FETCH " + uid_set(wu) + " (UID BODY.PEEK[TEXT])",
                                     "UID FETCH of messages without Message-ID in " + folder.name, [&](Response& r) {
                                         const Value* uid = fetch_item(r, "UID");
                                         const Value* text = fetch_item(r, "BODY[TEXT]");
                                         if (uid && uid->number() && text) text_of[*uid->number()] = text->text;
                                     });
                if (!f3) return f3.error();
                for (size_t i : whole) {
                    Fetched& f = *order[i];
                    auto it = text_of.find(f.uid);
                    if (it == text_of.end()) continue;
                    Sections top{{"TEXT", it->second}};
                    BodyPart single;  // a top-level leaf: the header and the whole body as sent
                    read_one(i, rebuild(f.header, &single, top));
                }
            }

            store::WriteBatch batch(store);
            if (!batch.status()) return batch.status().error();
            for (size_t i = 0; i < n; ++i) {
                Message& m = msgs[i];
                ++fs.fetched;
                if (!failed[i].empty()) {
                    ++fs.skipped;
                    store::IngestIssue issue{fs.path, order[i]->uid, "", "skipped",
                                             "UID " + std::to_string(order[i]->uid) + ": could not be read (" + failed[i] +
                                                 "); please report it"};
                    if (auto st = store.record_issue(issue); !st) return st.error();
                    continue;
                }
                if (m.from.address.empty() && m.to.empty() && m.subject.empty() && m.body_text.empty() &&
                    m.in_reply_to.empty() && m.references.empty()) {
                    ++fs.skipped;
                    store::IngestIssue issue{fs.path, order[i]->uid, "", "skipped",
                                             "UID " + std::to_string(order[i]->uid) + ": no header and no text: not a mail message"};
                    if (auto st = store.record_issue(issue); !st) return st.error();
                    continue;
                }
                if (!m.warnings.empty()) {
                    ++fs.repaired;
                    for (const auto& wn : m.warnings)
                        if (auto st = store.record_issue({fs.path, order[i]->uid, m.message_id, wn.code, wn.detail}); !st)
                            return st.error();
                }
                if (folder.sent) sent_from.emplace_back(m.from.name, m.from.address);
                auto ins = store.insert_message(m);
                if (!ins) return ins.error();
                if (ins.value() == store::InsertOutcome::inserted) ++fs.stored;
                else ++fs.duplicates;
            }
            // Progress is committed with the messages it covers: a crash resumes after chunk.back().
            prog.last_uid = chunk.back();
            prog.message_count += static_cast<int64_t>(n);
            prog.completed = lo + chunk.size() >= uids.size();
            if (auto st = store.set_source_progress(prog); !st) return st.error();
            for (const auto& [uid, f] : got) known.push_back(uid);
            if (auto st = store.set_meta(detail::uids_key(fs.path), detail::encode_uid_set(known)); !st) return st.error();
            if (auto st = batch.commit(); !st) return st.error();
            ingest::fault_injection_after_commit();
            fs.last_uid = prog.last_uid;
            if (options.on_progress)
                options.on_progress(SyncProgress{folder.name, static_cast<int64_t>(lo + chunk.size()),
                                                 static_cast<int64_t>(uids.size()), sum.fetched + fs.fetched,
                                                 std::chrono::duration<double>(Clock::now() - t0).count()});
        }
        // The flags of everything stored so far are current as of the EXAMINE: the next sync asks
        // for changes since this HIGHESTMODSEQ. Written after the folder's last batch so an
        // interrupted sync asks again from the older value (asking twice changes nothing).
        if (auto st = remember_modseq(store, fs); !st) return st.error();
        sum.flags_changed += static_cast<int64_t>(fs.flag_changes.size());
        sum.removed += static_cast<int64_t>(fs.removed.size());
        sum.fetched += fs.fetched;
        sum.stored += fs.stored;
        sum.duplicates += fs.duplicates;
        sum.repaired += fs.repaired;
        sum.skipped += fs.skipped;
        sum.folders.push_back(fs);
    }
    (void)client.run("LOGOUT", "LOGOUT");
    sum.bytes = client.bytes_received();

    auto owner = store.owner_addresses();
    if (!owner) return owner.error();
    sum.owner = owner.value();
    if (sum.owner.empty()) {
        sum.owner = ingest::infer_owner(sent_from);
        if (!sum.owner.empty()) {
            sum.owner_inferred = true;
            if (auto st = store.set_owner_addresses(sum.owner); !st) return st.error();
        }
    }
    if (auto c = store.counts()) sum.total_messages = c->messages;
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return sum;
}

Result<int64_t> append(const std::string& url_with_folder, const std::string& raw_message, const std::string& flags,
                       const ConnectOptions& options) {
    auto url = parse_url(url_with_folder);
    if (!url) return url.error();
    if (url->folder.empty())
        return Error{ErrorCode::usage, "APPEND needs a folder in the URL", "write imaps://USER@HOST/Drafts"};
    // IMAP literals carry CRLF lines (RFC 3501 section 2.2); bare LFs are converted.
    std::string data;
    data.reserve(raw_message.size() + raw_message.size() / 40);
    for (size_t i = 0; i < raw_message.size(); ++i) {
        if (raw_message[i] == '\n' && (i == 0 || raw_message[i - 1] != '\r')) data += '\r';
        data += raw_message[i];
    }
    Client client;
    if (auto st = client.open(url.value(), options); !st) return st.error();
    const std::string box = quote(encode_mailbox_name(url->folder));
    auto r = client.append(box, flags, data);
    if (!r && r.error().hint == "TRYCREATE") {
        // RFC 3501 section 6.3.11: [TRYCREATE] means the folder is missing and may be created.
        if (auto c = client.run("CREATE " + box, "CREATE " + url->folder); !c) return c.error();
        r = client.append(box, flags, data);
    }
    if (!r) return r.error();
    int64_t uid = 0;
    if (r->code == "APPENDUID" && r->code_args.size() >= 2) uid = r->code_args[1].number().value_or(0);
    (void)client.run("LOGOUT", "LOGOUT");
    return uid;
}

}  // namespace ilc::imap
