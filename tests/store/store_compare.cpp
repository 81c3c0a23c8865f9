// store_compare: proof tool for the schema-2 mailboxes column (not a test of ctest: it reads
// stores built from real corpora). Built with the tests, run by hand:
//
//   store_compare --rows V1.db V2.db    every message of V2 (loaded by the store) has exactly the
//                                       mailboxes of V1's `recipients` rows (read with plain SQL)
//   store_compare --full A.db B.db      load_messages() of A (opened read_write: a version-1 file is
//                                       migrated first) equals that of B, field by field
//
// Prints what it compared and the first differences; exit status 0 when identical.
#include <sqlite3.h>

#include <chrono>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "interlocutor/store/store.h"

using namespace ilc;

namespace {

std::string show(const Mailbox& m) { return "{" + m.name + " | " + m.address + "}"; }
std::string show(const std::vector<Mailbox>& v) {
    std::string out;
    for (const auto& m : v) out += show(m);
    return out;
}

bool same(const Mailbox& a, const Mailbox& b) { return a.name == b.name && a.address == b.address; }
bool same(const std::vector<Mailbox>& a, const std::vector<Mailbox>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
    return true;
}

// The first differing mailbox field, "" when equal.
std::string diff_mailboxes(const Message& a, const Message& b) {
    if (!same(a.from, b.from)) return "from " + show(a.from) + " vs " + show(b.from);
    if (!same(a.sender, b.sender)) return "sender " + show(a.sender) + " vs " + show(b.sender);
    if (!same(a.reply_to, b.reply_to)) return "reply_to " + show(a.reply_to) + " vs " + show(b.reply_to);
    if (!same(a.to, b.to)) return "to " + show(a.to) + " vs " + show(b.to);
    if (!same(a.cc, b.cc)) return "cc " + show(a.cc) + " vs " + show(b.cc);
    if (!same(a.bcc, b.bcc)) return "bcc " + show(a.bcc) + " vs " + show(b.bcc);
    return "";
}

// Every field load_messages() fills, "" when equal.
std::string diff_all(const Message& a, const Message& b) {
    std::ostringstream d;
#define F(x) \
    if (!(a.x == b.x)) d << #x << ' ';
    F(rowid) F(message_id) F(synthetic_id) F(in_reply_to) F(references) F(thread_index) F(thread_topic) F(subject)
    F(date) F(tz_offset_min) F(date_source) F(auto_submitted) F(precedence) F(list_id) F(list_unsubscribe)
    F(x_autoreply) F(x_autorespond) F(return_path) F(content_type) F(content_language) F(x_mailer) F(is_report)
    F(body_from_html) F(attachment_count) F(body_text) F(new_text) F(quoted) F(signature) F(signature_name)
    F(signature_title) F(automated) F(automated_reason) F(ooo_until) F(expects_reply) F(lang) F(source.path)
    F(source.offset) F(source.length) F(source.folder) F(folders) F(flags.seen) F(flags.replied) F(flags.flagged)
    F(flags.draft) F(flags.trashed) F(flags.passed)
#undef F
    if (a.cues.size() != b.cues.size()) d << "cues ";
    else
        for (size_t i = 0; i < a.cues.size(); ++i)
            if (a.cues[i].family != b.cues[i].family || a.cues[i].text != b.cues[i].text) d << "cues ";
    if (a.warnings.size() != b.warnings.size()) d << "warnings ";
    else
        for (size_t i = 0; i < a.warnings.size(); ++i)
            if (a.warnings[i].code != b.warnings[i].code || a.warnings[i].detail != b.warnings[i].detail ||
                a.warnings[i].offset != b.warnings[i].offset)
                d << "warnings ";
    std::string m = diff_mailboxes(a, b);
    if (!m.empty()) d << m;
    return d.str();
}

int fail(const std::string& what) {
    std::cerr << "store_compare: " << what << "\n";
    return 2;
}

std::string text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string(p, size_t(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) return fail("usage: store_compare --rows V1.db V2.db | --full A.db B.db");
    const std::string mode = argv[1], a_path = argv[2], b_path = argv[3];
    size_t compared = 0, differing = 0;
    auto report = [&](const std::string& id, const std::string& d) {
        if (d.empty()) return;
        if (++differing <= 10) std::cout << "DIFF " << id << ": " << d << "\n";
    };

    if (mode == "--rows") {
        // Version 1's rows with plain SQL, independently of the store's code.
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(a_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return fail("open " + a_path);
        std::map<int64_t, Message> v1;
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT id, message_id FROM messages", -1, &s, nullptr) != SQLITE_OK)
            return fail(sqlite3_errmsg(db));
        while (sqlite3_step(s) == SQLITE_ROW) v1[sqlite3_column_int64(s, 0)].message_id = text(s, 1);
        sqlite3_finalize(s);
        size_t rows = 0;
        if (sqlite3_prepare_v2(db, "SELECT message, role, position, address, name FROM recipients "
                                   "ORDER BY message, role, position", -1, &s, nullptr) != SQLITE_OK)
            return fail(sqlite3_errmsg(db));
        while (sqlite3_step(s) == SQLITE_ROW) {
            ++rows;
            auto it = v1.find(sqlite3_column_int64(s, 0));
            if (it == v1.end()) continue;
            Message& m = it->second;
            const std::string role = text(s, 1);
            const int64_t pos = sqlite3_column_int64(s, 2);
            Mailbox mb{text(s, 4), text(s, 3)};
            std::vector<Mailbox>* list = role == "reply_to" ? &m.reply_to : role == "to" ? &m.to
                                       : role == "cc"       ? &m.cc       : role == "bcc" ? &m.bcc : nullptr;
            if (role == "from") m.from = mb;
            else if (role == "sender") m.sender = mb;
            else if (list && int64_t(list->size()) == pos) list->push_back(mb);
            else report(m.message_id, "unexpected row " + role + " " + std::to_string(pos));
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
        std::map<std::string, const Message*> by_id;
        for (const auto& [id, m] : v1) by_id[m.message_id] = &m;

        auto st = store::Store::open(b_path, store::OpenMode::read_only);
        if (!st.ok()) return fail(st.error().to_string());
        auto all = (*st)->load_messages(store::LoadOptions{false});
        if (!all.ok()) return fail(all.error().to_string());
        for (const Message& m : *all) {
            auto it = by_id.find(m.message_id);
            if (it == by_id.end()) {
                report(m.message_id, "not in " + a_path);
                continue;
            }
            ++compared;
            report(m.message_id, diff_mailboxes(*it->second, m));
        }
        if (all->size() != v1.size()) report("*", "message counts " + std::to_string(v1.size()) + " vs " + std::to_string(all->size()));
        std::cout << "rows: " << rows << " recipients rows of " << v1.size() << " messages; " << compared
                  << " messages compared, " << differing << " differ\n";
    } else if (mode == "--full") {
        auto t0 = std::chrono::steady_clock::now();
        auto a = store::Store::open(a_path, store::OpenMode::read_write);  // migrates an older file
        if (!a.ok()) return fail(a.error().to_string());
        const double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto b = store::Store::open(b_path, store::OpenMode::read_only);
        if (!b.ok()) return fail(b.error().to_string());
        auto la = (*a)->load_messages(), lb = (*b)->load_messages();
        if (!la.ok()) return fail(la.error().to_string());
        if (!lb.ok()) return fail(lb.error().to_string());
        if (la->size() != lb->size()) report("*", "message counts differ");
        for (size_t i = 0; i < std::min(la->size(), lb->size()); ++i, ++compared)
            report((*la)[i].message_id, diff_all((*la)[i], (*lb)[i]));
        auto ta = (*a)->load_thread_rows(), tb = (*b)->load_thread_rows();
        if (!ta.ok() || !tb.ok() || ta->size() != tb->size()) report("*", "thread rows");
        else
            for (size_t i = 0; i < ta->size(); ++i)
                if ((*ta)[i].participants != (*tb)[i].participants || (*ta)[i].from_display != (*tb)[i].from_display)
                    report((*ta)[i].message_id, "thread row participants/from_display");
        auto ca = (*a)->count_mailboxes(), cb = (*b)->count_mailboxes();
        if (!ca.ok() || !cb.ok() || *ca != *cb) report("*", "count_mailboxes");
        std::cout << "full: opened " << a_path << " read_write in " << open_s << " s; " << compared
                  << " messages compared (every field, thread rows, " << (ca.ok() ? *ca : -1) << " mailboxes), "
                  << differing << " differ\n";
    } else {
        return fail("unknown mode " + mode);
    }
    return differing == 0 ? 0 : 1;
}
