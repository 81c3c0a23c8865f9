#include "interlocutor/detect/analyze.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <iterator>
#include <map>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "interlocutor/text/automated.h"

#include "context.h"
#include "suggestions.h"
#include "text_fold.h"

namespace ilc::detect {
namespace {

constexpr int64_t kDay = 86400;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool noreply_address(std::string_view addr) {
    std::string a = lower(addr);
    auto at = a.find('@');
    std::string local = a.substr(0, at);
    for (const char* p : {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
                          "mailer-daemon", "postmaster", "ne-pas-repondre", "nepasrepondre", "bounce"})
        if (local.find(p) != std::string::npos) return true;
    return false;
}

// A second look at what ingest already classified (Message::automated), so that analysis stays
// right on messages stored before the classifier knew a case. SPEC "Normalization", Automated.
// The owner's own mail: automated only for what no person writes by hand (auto-replies,
// delivery reports, RFC 3834 Auto-Submitted), never for the bulk shapes of looks_automated().
bool owner_mail_automated(const Message& m) {
    static const std::set<std::string> bulk = {"bulk_mailer", "bulk_sender", "undisclosed", "broadcast", "marketing"};
    if (m.is_report) return true;
    if (m.automated && !bulk.count(m.automated_reason)) return true;
    std::string as = lower(m.auto_submitted);
    return !as.empty() && as != "no";  // RFC 3834 section 5
}

// An auto-reply's or a delivery report's subject.
bool automated_subject(std::string_view subject) {
    std::string subj = fold(subject);
    for (const char* s : {"absence du bureau", "reponse automatique", "out of office", "automatic reply",
                          "auto-reply", "autoreply", "abwesenheitsnotiz", "delivery status notification",
                          "undeliverable", "non remis", "mail delivery failed"})
        if (subj.find(s) != std::string::npos) return true;
    return false;
}

bool looks_automated(const Message& m, const Thresholds& th) {
    if (m.automated || m.is_report) return true;
    // Bulk and marketing mail without list headers: old list servers, newsletters, broadcasts.
    if (!text::bulk_reason(m, th.broadcast_min_recipients, text::BodyScan::skip).empty()) return true;
    std::string as = lower(m.auto_submitted);
    if (!as.empty() && as != "no") return true;  // RFC 3834 section 5
    std::string p = lower(m.precedence);
    if (p.find("bulk") != std::string::npos || p.find("list") != std::string::npos || p.find("junk") != std::string::npos)
        return true;
    if (!m.list_id.empty() || !m.list_unsubscribe.empty() || !m.x_autoreply.empty() || !m.x_autorespond.empty())
        return true;
    if (noreply_address(m.from.address)) return true;
    return automated_subject(m.subject);
}

// The same two rules on a Mail, whose header tests MailMaker did (mail_header_facts below).
bool owner_mail_automated(const Mail& m) { return m.is_report || m.automated_not_bulk || m.auto_submitted; }

bool looks_automated(const Mail& m, const Thresholds& th) {
    if (m.automated || m.is_report) return true;
    // bulk_reason's broadcast test is the only one that depends on the settings: done here.
    if (m.bulk_shape || (th.broadcast_min_recipients > 0 &&
                         m.to.size() + m.cc.size() >= static_cast<size_t>(th.broadcast_min_recipients)))
        return true;
    if (m.auto_submitted || m.list_or_autoreply_headers) return true;
    if (noreply_address(m.from.address)) return true;
    return automated_subject(m.subject);
}

// A signature title when ingest found none: the line after the sender's name in the last lines of
// the new text ("Zoé Vidal\nResponsable achats"), or the field after the name in a one-line
// signature ("Sinead Hoffmann | General Counsel | Westbrook University"). Only a line that names
// the sender is trusted, so ordinary sentences never become titles.
std::string title_from_text(const Message& m) {
    std::string name = m.signature_name.empty() ? m.from.name : m.signature_name;
    std::string fname = fold(name);
    while (!fname.empty() && (fname.back() == ' ' || fname.back() == '"')) fname.pop_back();
    while (!fname.empty() && (fname.front() == ' ' || fname.front() == '"')) fname.erase(0, 1);
    std::string text = m.new_text + "\n" + m.signature;
    // The last 15 non-blank lines that are not quoted ("> ..."), trimmed, in order. Only they are
    // looked at, so they are collected from the end (the whole text was split before: most of the
    // cost of the analysis's first step on real mail, where most messages have no title).
    std::vector<std::string> lines;
    for (size_t end = text.size();;) {
        const size_t nl = end == 0 ? std::string::npos : text.rfind('\n', end - 1);
        const size_t from = nl == std::string::npos ? 0 : nl + 1;
        std::string line = text.substr(from, end - from);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        size_t b = line.find_first_not_of(" \t");
        if (b != std::string::npos) {
            line.erase(0, b);
            if (line.rfind(">", 0) != 0) lines.push_back(std::move(line));
        }
        if (lines.size() == 15 || nl == std::string::npos) break;
        end = nl;
    }
    std::reverse(lines.begin(), lines.end());
    const size_t start = 0;
    auto plain_line = [](const std::string& t) {
        // A phone line, an address or a URL is not a title.
        return t.size() <= 60 && t.find("http") == std::string::npos && t.find('@') == std::string::npos &&
               t.find_first_of("0123456789+") == std::string::npos;
    };
    if (fname.size() < 3) {
        // No name to look for: the two lines after the last closing are "Name" and "Title".
        for (size_t k = lines.size(); k-- > start;) {
            std::vector<std::string> w = words_of(fold(lines[k]));
            if (w.empty() || w.size() > 4) continue;
            bool closing = false;
            for (const char* c : {"cordialement", "regards", "bien a vous", "sincerely", "best", "salutations", "merci",
                                  "thanks", "amities", "cheers"})
                closing = closing || has_phrase(w, c);
            if (!closing) continue;
            if (k + 2 < lines.size() && plain_line(lines[k + 1]) && plain_line(lines[k + 2])) return lines[k + 2];
            return {};
        }
        return {};
    }
    for (size_t k = start; k < lines.size(); ++k) {
        std::string fl = fold(lines[k]);
        if (fl.rfind(fname, 0) != 0) continue;
        std::string rest = lines[k].substr(std::min(lines[k].size(), name.size()));
        size_t bar = rest.find('|');
        if (bar != std::string::npos) {
            std::string t = rest.substr(bar + 1);
            size_t bar2 = t.find('|');
            if (bar2 != std::string::npos) t = t.substr(0, bar2);
            size_t b = t.find_first_not_of(" \t"), e = t.find_last_not_of(" \t");
            return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
        }
        if (fl.size() <= fname.size() + 1 && k + 1 < lines.size()) {
            return plain_line(lines[k + 1]) ? lines[k + 1] : std::string();
        }
    }
    return {};
}

// A Mail carries the title found at load time (MailMaker), already one that names a role.
std::string title_from_text(const Mail& m) { return std::string(m.text_title); }

// FNV-1a, the hash of the duplicate key below.
constexpr uint64_t kFnvBasis = 14695981039346656037ull, kFnvPrime = 1099511628211ull;
uint64_t fnv_bytes(uint64_t h, std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
    return h;
}
uint64_t fnv_u64(uint64_t h, uint64_t v) {
    for (int k = 0; k < 8; ++k, v >>= 8) h = (h ^ (v & 0xff)) * kFnvPrime;
    return h;
}

// The new text without whitespace, hashed in place (no copy of every body just to hash it).
uint64_t body_hash(const Message& m) {
    uint64_t h = kFnvBasis;
    for (char c : m.new_text)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
    return h;
}
uint64_t body_hash(const Mail& m) { return m.body_hash; }

// Copies of one mail stored under different Message-IDs: Enron-style exports keep each sent mail
// in "sent", "_sent_mail" and "sent_items", each copy with its own id, and a mailbox merged from
// two clients does the same. Same sender, Date, subject, recipients and new text (whitespace
// ignored) = one mail. The copy kept is the one in the largest thread (replies that reference
// another copy are then still seen), ties to the first stored; the others are duplicates.
// The key's fields: the recipients are the distinct lower-cased To + Cc addresses (empty ones
// included) as a set of atom ids; the new text stands as its hash, as it always did.
// Messages are first grouped by a hash of every field but the body (group_hash, computed in the
// Context's first pass from what it already has), and only within a group of two or more are the
// full keys built and compared: almost no body is read.
struct DupKey {
    Atom from;
    int64_t date = 0;
    std::string subject;  // folded
    std::vector<uint32_t> recipients;
    uint64_t body = 0;
    bool operator==(const DupKey& o) const {
        return from == o.from && date == o.date && body == o.body && subject == o.subject && recipients == o.recipients;
    }
};

// recipients: sorted distinct atom ids, as in DupKey; the folded subject comes in as its hash
// (computed on the classifying thread) and is mixed in by the caller.
uint64_t group_hash(Atom from, int64_t date, const std::vector<uint32_t>& recipients) {
    uint64_t h = fnv_u64(kFnvBasis, from.id());
    h = fnv_u64(h, static_cast<uint64_t>(date));
    h = fnv_u64(h, recipients.size());
    for (uint32_t r : recipients) h = fnv_u64(h, r);
    return h;
}

template <class M>
DupKey dup_key(AtomTable& atoms, const M& m, Atom from) {
    DupKey k;
    k.from = from;
    k.date = m.date;
    k.subject = fold(m.subject);
    for (const auto* list : {&m.to, &m.cc})
        for (const auto& mb : *list) k.recipients.push_back(atoms.intern_lower(mb.address).id());
    std::sort(k.recipients.begin(), k.recipients.end());
    k.recipients.erase(std::unique(k.recipients.begin(), k.recipients.end()), k.recipients.end());
    k.body = body_hash(m);
    return k;
}

// keys[i] = group_hash of message i (only read where eligible[i]). Messages are grouped by that
// hash (a sort, no node per message), and within a group the full keys are compared field by
// field, so two mails whose hashes collide are never taken for copies of each other.
template <class C>
std::vector<bool> duplicate_copies(C& ctx, const std::vector<Thread>& threads, const std::vector<uint64_t>& keys,
                                   const std::vector<bool>& eligible) {
    const auto& msgs = ctx.msgs;
    std::vector<size_t> thread_size(msgs.size(), 1);
    for (const auto& t : threads)
        for (size_t i : t.members)
            if (i < msgs.size()) thread_size[i] = std::max(thread_size[i], t.members.size());
    std::vector<std::pair<uint64_t, uint32_t>> order;
    order.reserve(msgs.size());
    for (size_t i = 0; i < msgs.size(); ++i)
        if (eligible[i]) order.emplace_back(keys[i], static_cast<uint32_t>(i));
    std::sort(order.begin(), order.end());
    std::vector<bool> dup(msgs.size(), false);
    for (size_t b = 0; b < order.size();) {
        size_t e = b + 1;
        while (e < order.size() && order[e].first == order[b].first) ++e;
        if (e - b > 1) {
            // Same group hash, in stored order: the one-pass algorithm over the full keys.
            std::vector<std::pair<DupKey, size_t>> keep;  // key -> index of the copy kept
            for (size_t k = b; k < e; ++k) {
                size_t i = order[k].second;
                DupKey key = dup_key(ctx.atoms, msgs[i], ctx.info[i].from);
                auto it = std::find_if(keep.begin(), keep.end(), [&](const auto& p) { return p.first == key; });
                if (it == keep.end()) {
                    keep.emplace_back(std::move(key), i);
                    continue;
                }
                size_t& kept = it->second;
                if (thread_size[i] > thread_size[kept]) {
                    dup[kept] = true;
                    kept = i;
                } else {
                    dup[i] = true;
                }
            }
        }
        b = e;
    }
    return dup;
}

// Senders who only broadcast: an outside address that wrote in at least `min_threads` different
// threads while the owner never once wrote to it. Conference promoters, vendors' mailings and
// newsletters without any bulk header look like this in real mailboxes (the Enron review); a
// prospect who chases does it in one thread, and one the rep ever answered is a correspondent.
// Returns a flag per atom id.
template <class C>
std::vector<bool> one_way_senders(C& ctx, const std::vector<Thread>& threads, size_t min_threads) {
    const auto& msgs = ctx.msgs;
    std::vector<size_t> thread_of(msgs.size(), static_cast<size_t>(-1));
    for (size_t t = 0; t < threads.size(); ++t)
        for (size_t i : threads[t].members)
            if (i < msgs.size()) thread_of[i] = t;
    std::vector<uint32_t> written_to;                      // atom ids the owner wrote to
    std::vector<std::pair<uint32_t, size_t>> sender_threads;  // (external sender, thread) per message
    sender_threads.reserve(msgs.size());
    for (size_t i = 0; i < msgs.size(); ++i) {
        const MsgInfo& mi = ctx.info[i];
        if (mi.outbound) {
            const auto& m = msgs[i];
            for (const auto* list : {&m.to, &m.cc, &m.bcc})
                for (const auto& mb : *list) written_to.push_back(ctx.atoms.intern_lower(mb.address).id());
            continue;
        }
        if (mi.from.empty() || mi.sender_internal) continue;
        sender_threads.emplace_back(mi.from.id(), thread_of[i] == static_cast<size_t>(-1) ? msgs.size() + i : thread_of[i]);
    }
    std::sort(sender_threads.begin(), sender_threads.end());
    sender_threads.erase(std::unique(sender_threads.begin(), sender_threads.end()), sender_threads.end());
    std::vector<bool> out(ctx.atoms.size(), false);
    for (size_t b = 0; b < sender_threads.size();) {
        size_t e = b;
        while (e < sender_threads.size() && sender_threads[e].first == sender_threads[b].first) ++e;
        if (e - b >= min_threads) out[sender_threads[b].first] = true;
        b = e;
    }
    for (uint32_t a : written_to) out[a] = false;
    return out;
}

bool lower_equals(std::string_view a, std::string_view lower_b);

// Identity::is_owner without building the trimmed, lower-cased copy it looks up: the owner's
// addresses are few, and this runs once per message.
bool owner_address(const Identity& id, std::string_view a) {
    while (!a.empty() && (a.front() == ' ' || a.front() == '<' || a.front() == '\t')) a.remove_prefix(1);
    while (!a.empty() && (a.back() == ' ' || a.back() == '>' || a.back() == '\t' || a.back() == '.')) a.remove_suffix(1);
    if (a.empty()) return false;
    for (const std::string& o : id.owners())
        if (lower_equals(a, o)) return true;
    return false;
}

// lower(a) == lower_b, without building lower(a).
bool lower_equals(std::string_view a, std::string_view lower_b) {
    if (a.size() != lower_b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
        char c = a[k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower_b[k]) return false;
    }
    return true;
}

uint16_t cue_bit(std::string_view family) {
    static const std::pair<std::string_view, uint16_t> kBits[] = {
        {"recap", kCueRecap}, {"keep_in_copy", kCueKeepInCopy}, {"reschedule", kCueReschedule},
        {"budget", kCueBudget}, {"technical", kCueTechnical}, {"waiting_management", kCueWaitingManagement},
        {"consensus", kCueConsensus}, {"not_urgent", kCueNotUrgent}, {"topic_technical", kCueTopicTechnical},
        {"topic_budget", kCueTopicBudget}, {"topic_planning", kCueTopicPlanning}, {"topic_scope", kCueTopicScope}};
    for (const auto& [name, bit] : kBits)
        if (family == name) return bit;
    return 0;
}

// The CueBit set of a message's cue families.
uint16_t cue_bits(const Message& m) {
    uint16_t bits = 0;
    for (const auto& c : m.cues) bits |= cue_bit(c.family);
    return bits;
}
uint16_t cue_bits(const Mail& m) { return m.cues; }

// The header tests of owner_mail_automated() and looks_automated() that need the headers, for
// MailMaker: the Message rules above, piece by piece.
void mail_header_facts(const Message& m, Mail& out, bool bulk_read) {
    static const std::set<std::string> bulk = {"bulk_mailer", "bulk_sender", "undisclosed", "broadcast", "marketing"};
    out.automated_not_bulk = m.automated && !bulk.count(m.automated_reason);
    std::string as = lower(m.auto_submitted);
    out.auto_submitted = !as.empty() && as != "no";  // RFC 3834 section 5
    std::string p = lower(m.precedence);
    out.list_or_autoreply_headers =
        p.find("bulk") != std::string::npos || p.find("list") != std::string::npos || p.find("junk") != std::string::npos ||
        !m.list_id.empty() || !m.list_unsubscribe.empty() || !m.x_autoreply.empty() || !m.x_autorespond.empty();
    // Without the recipient count (0 = no broadcast test): looks_automated() adds it. Not for mail
    // whose bulk shape nobody reads (MailMaker).
    if (bulk_read) out.bulk_shape = !text::bulk_reason(m, 0, text::BodyScan::skip).empty();
}

template <class C>
bool writes_to_owner(const C& ctx, size_t i) {
    for (const auto* list : {&ctx.msgs[i].to, &ctx.msgs[i].cc})
        for (const auto& mb : *list)
            if (ctx.id.is_owner(mb.address)) return true;
    return false;
}

template <class C>
bool is_recap(const C& ctx, size_t i) {
    if (ctx.has_cue(i, kCueRecap)) return true;
    std::vector<std::string> w = words_of(fold(ctx.msgs[i].subject));
    for (const char* p : {"recap", "recapitulatif", "compte rendu", "point hebdomadaire", "point hebdo",
                          "weekly update", "weekly recap", "weekly summary", "synthese hebdomadaire", "weekly digest"})
        if (has_phrase(w, p)) return true;
    return false;
}

template <class C>
std::vector<size_t> ordered_members(const C& ctx, const Thread& t) {
    std::vector<size_t> v;
    v.reserve(t.members.size());
    for (size_t i : t.members)
        if (i < ctx.msgs.size()) v.push_back(i);
    std::sort(v.begin(), v.end(), [&](size_t a, size_t b) {
        return ctx.dates[a] != ctx.dates[b] ? ctx.dates[a] < ctx.dates[b] : a < b;
    });
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

// The key with the highest count, the first in key order on a tie.
template <class K>
K majority(const std::map<K, int>& counts) {
    K best{};
    int n = -1;
    for (const auto& [k, c] : counts)
        if (c > n) best = k, n = c;
    return best;
}

int median(std::vector<int> v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// The topics of all_in_copy, the cue families that count for each (the generic "budget" and
// "technical" families count for their topic too), and the role that owns each topic.
struct Topic {
    const char* name;
    uint16_t cues;
    const char* role;
};
const Topic kTopics[] = {{"technical", kCueTopicTechnical | kCueTechnical, "prescriber"},
                         {"budget", kCueTopicBudget | kCueBudget, "signatory"},
                         {"planning", kCueTopicPlanning, "influencer"},
                         {"scope", kCueTopicScope, "decision_maker"}};

// Per-account facts gathered while walking the threads.
struct AccountStats {
    std::vector<int> reply_delays;  // business days from an outbound message to the account's answer
    int direct_sent = 0, direct_replied = 0;
    std::map<Atom, int> topic_people[std::size(kTopics)];  // per topic: person -> messages
};

}  // namespace

const std::string& Atom::str() const {
    static const std::string empty;
    return e_ ? e_->text : empty;
}

Atom AtomTable::intern(std::string_view s) {
    if (s.empty()) return Atom();
    if (slots_.empty()) slots_.resize(1024);
    const uint64_t h = std::hash<std::string_view>()(s);
    const size_t mask = slots_.size() - 1;
    for (size_t k = h & mask;; k = (k + 1) & mask) {
        Slot& slot = slots_[k];
        if (slot.entry) {
            if (slot.hash == h && slot.entry->text == s) return Atom(slot.entry);
            continue;
        }
        AtomEntry& e = entries_.emplace_back();
        e.text.assign(s);
        e.id = static_cast<uint32_t>(entries_.size());  // 0 is ""
        slot = {h, &e};
        if (entries_.size() * 2 > slots_.size()) grow();
        return Atom(&e);
    }
}

void AtomTable::grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
        if (!slot.entry) continue;
        size_t k = slot.hash & mask;
        while (slots_[k].entry) k = (k + 1) & mask;
        slots_[k] = slot;
    }
}

Atom AtomTable::intern_lower(std::string_view s) {
    scratch_.assign(s);
    for (auto& c : scratch_)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return intern(scratch_);
}

const Atom* AtomLists::add(std::initializer_list<const std::vector<Atom>*> lists) {
    size_t n = 0;
    for (const auto* l : lists) n += l->size();
    if (n == 0) return nullptr;
    if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < n) {
        blocks_.emplace_back();
        blocks_.back().reserve(std::max<size_t>(size_t{1} << 16, n));
    }
    std::vector<Atom>& b = blocks_.back();
    const size_t at = b.size();
    for (const auto* l : lists) b.insert(b.end(), l->begin(), l->end());  // within capacity: earlier lists stay valid
    return b.data() + at;
}

Context::Context(const AnalysisSettings& s)
    : settings(s),
      id(s.owners, s.internal_domains, s.managers, s.account_merges),
      cal(s.tz, [&] {
          std::set<int64_t> days;
          for (const auto& h : s.holidays)
              if (int64_t d = parse_iso_date(h); d >= 0) days.insert(d);
          return days;
      }()) {}

template <class M>
ContextOf<M>::ContextOf(const std::vector<M>& m, const AnalysisSettings& s, const std::vector<Thread>& threads)
    : Context(s), msgs(m) {
    now = s.now ? s.now : static_cast<int64_t>(std::time(nullptr));
    info.resize(msgs.size());
    dates.resize(msgs.size());
    for (size_t i = 0; i < msgs.size(); ++i) dates[i] = msgs[i].date;
    // What each message is from itself alone: automated or not, its cue families, the hash of its
    // folded subject. The costliest part of the first pass (the bulk and out-of-office tests) and
    // independent of the address table, so on a large mailbox a second thread starts on it while
    // this one interns the addresses, then both share what is left, chunk by chunk.
    struct Shape {
        bool automated = false;
        uint16_t cues = 0;
        uint64_t subject_hash = 0;
    };
    std::vector<Shape> shapes(msgs.size());
    std::atomic<size_t> next_chunk{0};
    constexpr size_t kChunk = 2048;
    auto classify = [&] {
        for (;;) {
            const size_t b = next_chunk.fetch_add(kChunk);
            if (b >= msgs.size()) return;
            for (size_t i = b, e = std::min(msgs.size(), b + kChunk); i < e; ++i) {
                const M& msg = msgs[i];
                Shape& sh = shapes[i];
                // The rep's own mail is a person writing, whatever its shape: a mail to 20 people
                // or sent from a campaign tool is the strongest all-in-copy case and counts as
                // outbound activity. Only the header rules (auto-replies, reports...) can make it
                // automated.
                sh.automated = owner_address(id, msg.from.address) ? owner_mail_automated(msg) : looks_automated(msg, s.thresholds);
                sh.cues = cue_bits(msg);
                sh.subject_hash = fnv_bytes(kFnvBasis, fold(msg.subject));
            }
        }
    };
    const bool parallel = s.threads == 0 ? msgs.size() >= 20000 : s.threads > 1;
    std::jthread helper;  // joined on every way out, exceptions included
    if (parallel) helper = std::jthread(classify);

    // Pass 1, per message: addresses interned, what the sender is, recipients, and the hash of
    // the duplicate key but the subject.
    std::vector<uint64_t> dup_keys(msgs.size(), 0);
    std::vector<bool> dup_eligible(msgs.size(), false);
    std::vector<Atom> rcpt, ext, ext_acc, accts;  // one message's lists, then stored in atom_lists
    std::vector<uint32_t> rcpt_ids;  // every To + Cc address, for the duplicate key
    // Every message's To + Cc atoms in header order (message i's start at rcpt_begin[i]), for
    // the names in pass 2.
    std::vector<uint32_t> all_rcpt, rcpt_begin(msgs.size() + 1, 0);
    all_rcpt.reserve(msgs.size() * 4);
    std::unordered_set<Atom, AtomHash> seen;
    for (size_t i = 0; i < msgs.size(); ++i) {
        const M& msg = msgs[i];
        MsgInfo& mi = info[i];
        mi.from = atoms.intern_lower(msg.from.address);
        {
            const AddressFacts& ff = facts(mi.from);  // copied out: facts() may grow the table
            mi.outbound = ff.owner;
            mi.sender_internal = ff.internal;
            mi.from_account = ff.account;
        }
        mi.expects = msg.expects_reply;  // decided by core/text on new text (closings neutralize request cues)
        // Every address seen is the sender or already in mi.recipients(): a short list is searched
        // there (no set built per message, a million times over), a long one goes through a set.
        const bool many = msg.to.size() + msg.cc.size() > 32;
        if (many) {
            seen.clear();
            seen.insert(mi.from);
        }
        auto first_time = [&](Atom a) {
            if (many) return seen.insert(a).second;
            return a != mi.from && std::find(rcpt.begin(), rcpt.end(), a) == rcpt.end();
        };
        rcpt.clear();
        ext.clear();
        ext_acc.clear();
        accts.clear();
        rcpt_ids.clear();
        for (const auto* list : {&msg.to, &msg.cc}) {
            for (const auto& mb : *list) {
                Atom a = atoms.intern_lower(mb.address);
                rcpt_ids.push_back(a.id());
                if (a.empty() || !first_time(a)) continue;
                rcpt.push_back(a);
                const AddressFacts& f = facts(a);
                if (f.internal) continue;
                ext.push_back(a);
                ext_acc.push_back(f.account);
                accts.push_back(f.account);
            }
        }
        std::sort(accts.begin(), accts.end());
        accts.erase(std::unique(accts.begin(), accts.end()), accts.end());
        mi.n_recipients = static_cast<uint32_t>(rcpt.size());
        mi.n_ext = static_cast<uint32_t>(ext.size());
        mi.n_accounts = static_cast<uint32_t>(accts.size());
        mi.lists = atom_lists.add({&rcpt, &ext, &ext_acc, &accts});
        rcpt_begin[i] = static_cast<uint32_t>(all_rcpt.size());
        all_rcpt.insert(all_rcpt.end(), rcpt_ids.begin(), rcpt_ids.end());
        if (!msg.from.address.empty() && msg.date != 0) {
            dup_eligible[i] = true;
            std::sort(rcpt_ids.begin(), rcpt_ids.end());
            rcpt_ids.erase(std::unique(rcpt_ids.begin(), rcpt_ids.end()), rcpt_ids.end());
            dup_keys[i] = group_hash(mi.from, msg.date, rcpt_ids);
        }
    }
    rcpt_begin[msgs.size()] = static_cast<uint32_t>(all_rcpt.size());
    classify();  // what the helper has not taken yet
    if (helper.joinable()) helper.join();
    for (size_t i = 0; i < msgs.size(); ++i) {
        info[i].automated = shapes[i].automated;
        info[i].cues = shapes[i].cues;
        dup_keys[i] = fnv_u64(dup_keys[i], shapes[i].subject_hash);
    }
    std::vector<Shape>().swap(shapes);
    const std::vector<bool> dup = duplicate_copies(*this, threads, dup_keys, dup_eligible);
    const std::vector<bool> broadcasters =
        s.thresholds.one_way_sender_min_threads > 0
            ? one_way_senders(*this, threads, static_cast<size_t>(s.thresholds.one_way_sender_min_threads))
            : std::vector<bool>(atoms.size(), false);

    // Pass 2, in stored order: duplicates and broadcasters, languages, each account's messages,
    // the latest name and title of each person.
    if (address_facts.size() < atoms.size()) address_facts.resize(atoms.size());
    names.assign(atoms.size(), {});
    titles.assign(atoms.size(), {});
    std::map<std::string, int> langs_out, langs_all;
    for (size_t i = 0; i < msgs.size(); ++i) {
        const M& msg = msgs[i];
        MsgInfo& mi = info[i];
        // A second copy counts nowhere: treated as automated mail, which every detector skips.
        if (dup[i] && !mi.automated) mi.duplicate = mi.automated = true;
        if (!mi.automated && broadcasters[mi.from.id()]) mi.automated = true;
        if (!msg.lang.empty()) {
            ++langs_all[std::string(msg.lang)];
            if (mi.outbound) ++langs_out[std::string(msg.lang)];
        }
        if (mi.automated) continue;
        if (!mi.from_account.empty()) {
            account_msgs[mi.from_account].push_back(i);
            std::string_view& name = names[mi.from.id()];
            if (!msg.from.name.empty()) name = msg.from.name;
            if (!msg.signature_name.empty() && name.empty()) name = msg.signature_name;
            std::string_view& title = titles[mi.from.id()];
            if (!msg.signature_title.empty()) {
                title = msg.signature_title;
            } else if (title.empty()) {
                // Looked for once per person: a title found in an earlier message stays.
                if (std::string t = title_from_text(msg); !t.empty() && role_from_title(t) != "unknown")
                    title = owned_titles.emplace_back(std::move(t));
            }
        } else if (mi.sender_internal) {
            for (Atom a : mi.accounts()) account_msgs[a].push_back(i);
        }
        const uint32_t* rcpt = all_rcpt.data() + rcpt_begin[i];
        for (const auto* list : {&msg.to, &msg.cc})
            for (const auto& mb : *list) {
                const uint32_t a = *rcpt++;
                if (mb.name.empty()) continue;
                if (!address_facts[a].internal && names[a].empty()) names[a] = mb.name;
            }
    }
    // By date, stored order on a tie (each list was built in stored order). The dates are copied
    // next to the indexes first: comparing through msgs[] reads a cache line per comparison.
    std::vector<std::pair<int64_t, size_t>> by_date;
    for (auto& [acct, v] : account_msgs) {
        by_date.clear();
        for (size_t i : v) by_date.emplace_back(msgs[i].date, i);
        std::sort(by_date.begin(), by_date.end());
        for (size_t k = 0; k < v.size(); ++k) v[k] = by_date[k].second;
    }
    exchanges.assign(atoms.size(), 0);
    lang = s.lang;
    if (lang.empty()) lang = majority(langs_out.empty() ? langs_all : langs_out);
    if (lang != "fr" && lang != "en") lang = "en";
}

const Context::AddressFacts& Context::facts(Atom a) {
    if (a.id() >= address_facts.size()) address_facts.resize(std::max(atoms.size(), address_facts.size() * 2));
    AddressFacts& f = address_facts[a.id()];
    if (f.known) return f;
    f.known = true;
    f.internal = id.is_internal(a.str());
    f.owner = id.is_owner(a.str());
    if (!f.internal && !a.empty()) f.account = atoms.intern(id.account_of(a.str()));
    return f;
}

Atom Context::person_key(Atom a) {
    facts(a);
    AddressFacts& f = address_facts[a.id()];
    if (!f.has_person) {
        f.person = atoms.intern(id.person_key(a.str()));
        f.has_person = true;
    }
    return f.person;
}

std::string Context::name_of(Atom address) const {
    const std::string_view found = address.id() < names.size() ? names[address.id()] : std::string_view();
    if (found.empty()) return {};
    std::string n(found);
    while (!n.empty() && (n.front() == '"' || n.front() == '\'' || n.front() == ' ')) n.erase(0, 1);
    while (!n.empty() && (n.back() == '"' || n.back() == '\'' || n.back() == ' ')) n.pop_back();
    // Directory style "Last, First" reads better as "First Last" in a sentence.
    auto comma = n.find(',');
    if (comma != std::string::npos && n.find(',', comma + 1) == std::string::npos) {
        std::string last = n.substr(0, comma), first = n.substr(comma + 1);
        while (!first.empty() && first.front() == ' ') first.erase(0, 1);
        if (!first.empty() && !last.empty()) n = first + " " + last;
    }
    return n;
}

namespace {

template <class Rec>
AnalysisResult analyze_records(const std::vector<Rec>& msgs, const std::vector<Thread>& threads,
                               const AnalysisSettings& settings) {
    ContextOf<Rec> ctx(msgs, settings, threads);
    const Thresholds& th = settings.thresholds;
    AnalysisResult out;
    out.lang = ctx.lang;
    const auto& info = ctx.info;
    std::unordered_map<Atom, AccountStats, AtomHash> stats;

    // Pass 1 over each thread: reply delays, direct-message reply rates, exchanges, topics.
    // Each thread's members by date, end to end (thread t's from ordered_at[t] to
    // ordered_at[t + 1]): 4 bytes a message, not a vector of size_t per thread (~20 MB at 1M).
    if (msgs.size() > UINT32_MAX) throw std::length_error("more than 4 billion messages in one analysis");
    std::vector<uint32_t> ordered_ids;
    ordered_ids.reserve(msgs.size());
    std::vector<size_t> ordered_at(threads.size() + 1, 0);
    auto ordered = [&](size_t t) {
        return std::span<const uint32_t>(ordered_ids.data() + ordered_at[t], ordered_at[t + 1] - ordered_at[t]);
    };
    for (size_t t = 0; t < threads.size(); ++t) {
        for (size_t i : ordered_members(ctx, threads[t])) ordered_ids.push_back(static_cast<uint32_t>(i));
        ordered_at[t + 1] = ordered_ids.size();
    }
    for (size_t t = 0; t < threads.size(); ++t) {
        const auto ord = ordered(t);
        // The latest outbound message before the current one, and which accounts answered it.
        long last_out = -1;
        std::vector<Atom> answered;
        long prev = -1;
        for (size_t k = 0; k < ord.size(); ++k) {
            size_t i = ord[k];
            const MsgInfo& mi = info[i];
            if (mi.automated) continue;
            if (mi.outbound) {
                // One-to-one with an account: one external recipient, nobody else outside.
                if (mi.ext_recipients().size() == 1) ++stats[mi.ext_accounts()[0]].direct_sent;
                // A reply to the previous inbound message of the same person counts as an exchange.
                if (prev >= 0 && !info[prev].outbound && !info[prev].from_account.empty()) {
                    const auto& r = msgs[i].to;
                    const std::string& them = info[prev].from.str();
                    if (std::any_of(r.begin(), r.end(), [&](const auto& mb) { return lower_equals(mb.address, them); }))
                        ++ctx.exchanges[info[prev].from.id()];
                }
                last_out = static_cast<long>(i);
                answered.clear();
            } else if (!mi.from_account.empty()) {
                const Atom acct = mi.from_account;
                for (size_t k = 0; k < std::size(kTopics); ++k)
                    if (ctx.has_cue(i, kTopics[k].cues)) ++stats[acct].topic_people[k][mi.from];
                if (last_out >= 0) {
                    const MsgInfo& lo = info[static_cast<size_t>(last_out)];
                    bool to_them = std::find(lo.ext_accounts().begin(), lo.ext_accounts().end(), acct) != lo.ext_accounts().end();
                    if (to_them && std::find(answered.begin(), answered.end(), acct) == answered.end()) {
                        answered.push_back(acct);
                        stats[acct].reply_delays.push_back(
                            ctx.cal.business_days(msgs[static_cast<size_t>(last_out)].date, msgs[i].date));
                        if (lo.ext_recipients().size() == 1) ++stats[acct].direct_replied;
                    }
                    if (std::find(lo.ext_recipients().begin(), lo.ext_recipients().end(), mi.from) != lo.ext_recipients().end())
                        ++ctx.exchanges[mi.from.id()];
                }
            }
            prev = static_cast<long>(i);
        }
    }

    // Roles and stakeholders first: the all-in-copy suggestion names people by role.
    build_stakeholders(ctx, out);  // fills ctx.roles

    // Pass 2 over each thread: the thread-level findings. Each thread is looked at alone and only
    // reads what the passes above built, so on a large mailbox the threads are cut in chunks that
    // two threads of execution take in turn; each chunk's findings are kept apart and appended in
    // chunk order, which is the order of one sequential pass.
    const AccountStats no_stats;
    auto stats_of = [&](Atom acct) -> const AccountStats& {
        auto it = stats.find(acct);
        return it == stats.end() ? no_stats : it->second;
    };
    struct ThreadFindings {
        std::vector<AwaitingReply> awaiting_reply;
        std::vector<AwaitingMyReply> awaiting_my_reply;
        std::vector<AllInCopy> all_in_copy;
        std::vector<InsistsOnCc> insists_on_cc;
    };
    auto thread_findings = [&](size_t first, size_t last, ThreadFindings& found) {
        for (size_t t = first; t < last; ++t) {
            const auto ord = ordered(t);
            const std::string& tid = threads[t].id;
            if (ord.empty()) continue;

            // ---- awaiting_reply: the latest outbound message M, unanswered by its recipients' organizations.
            long mpos = -1;
            for (long k = static_cast<long>(ord.size()) - 1; k >= 0; --k)
                if (info[ord[static_cast<size_t>(k)]].outbound && !info[ord[static_cast<size_t>(k)]].automated) {
                    mpos = k;
                    break;
                }
            if (mpos >= 0) {
                size_t M = ord[static_cast<size_t>(mpos)];
                const MsgInfo& mi = info[M];
                // Past the analysis horizon a question is stale, not awaiting (Thresholds).
                const bool stale = th.awaiting_max_age_days > 0 && msgs[M].date < ctx.now - th.awaiting_max_age_days * kDay;
                if (!mi.ext_recipients().empty() && mi.expects && !stale) {
                    const auto& addrs = mi.ext_recipients();
                    const auto& orgs = mi.ext_accounts();
                    bool answered = false;
                    for (size_t k = static_cast<size_t>(mpos) + 1; k < ord.size() && !answered; ++k) {
                        const MsgInfo& x = info[ord[k]];
                        if (x.automated || x.outbound) continue;
                        answered = std::find(addrs.begin(), addrs.end(), x.from) != addrs.end() ||
                                   (!x.from_account.empty() && std::find(orgs.begin(), orgs.end(), x.from_account) != orgs.end());
                    }
                    int wbd = ctx.cal.business_days(msgs[M].date, ctx.now);
                    if (!answered && wbd >= th.awaiting_reply_business_days) {
                        AwaitingReply f;
                        f.thread_id = tid;
                        f.message_id = msgs[M].message_id;
                        f.first_unanswered = f.message_id;
                        f.unanswered_count = 1;
                        // Walk back over the consecutive outbound messages nobody outside answered.
                        for (long k = mpos - 1; k >= 0; --k) {
                            size_t x = ord[static_cast<size_t>(k)];
                            const MsgInfo& xi = info[x];
                            if (xi.automated) continue;
                            if (!xi.outbound) {
                                if (!xi.from_account.empty()) break;
                                continue;
                            }
                            if (xi.ext_recipients().empty()) continue;
                            ++f.unanswered_count;
                            f.first_unanswered = msgs[x].message_id;
                        }
                        f.waiting_business_days = wbd;
                        f.over_chasing = f.unanswered_count >= th.over_chasing_count;
                        std::map<Atom, int> acc_count;
                        for (Atom a : mi.ext_accounts()) ++acc_count[a];
                        const Atom account = majority(acc_count);
                        f.account = account.str();
                        for (Atom a : mi.ext_recipients()) f.recipients.push_back(a.str());
                        // Chasers space out as they pile up, never sooner than the contact's usual delay.
                        int usual = median(stats_of(account).reply_delays);
                        // When that date is already past, the same spacing counts from today instead.
                        int base = std::max(usual, th.awaiting_reply_business_days);
                        int gap = base * std::min(f.unanswered_count, 4);
                        int from_now = f.unanswered_count <= 1 ? 1 : base * (std::min(f.unanswered_count, 4) - 1);
                        if (f.over_chasing) gap *= 2, from_now *= 2;
                        int64_t day = ctx.cal.add_business_days(msgs[M].date, gap);
                        int64_t floor_day = ctx.cal.add_business_days(ctx.now, from_now);
                        f.next_follow_up = iso_date(std::max(day, floor_day));
                        // The first outside recipient, To before Cc, is the person to chase.
                        std::string contact = ctx.name_of(mi.ext_recipients().front());
                        f.suggestion = suggest_awaiting_reply(f, contact, ctx.lang);
                        found.awaiting_reply.push_back(std::move(f));
                    }
                }
            }

            // ---- awaiting_my_reply: the latest inbound message, from outside, to the owner, unanswered.
            long ipos = -1;
            for (long k = static_cast<long>(ord.size()) - 1; k >= 0; --k) {
                const MsgInfo& x = info[ord[static_cast<size_t>(k)]];
                if (!x.outbound && !x.automated) {
                    ipos = k;
                    break;
                }
            }
            if (ipos >= 0) {
                size_t M = ord[static_cast<size_t>(ipos)];
                const MsgInfo& mi = info[M];
                bool later_out = false;
                for (size_t k = static_cast<size_t>(ipos) + 1; k < ord.size(); ++k)
                    if (info[ord[k]].outbound && !info[ord[k]].automated) later_out = true;
                bool owner_in_to = std::any_of(msgs[M].to.begin(), msgs[M].to.end(),
                                               [&](const auto& mb) { return ctx.id.is_owner(mb.address); });
                const bool stale = th.awaiting_max_age_days > 0 && msgs[M].date < ctx.now - th.awaiting_max_age_days * kDay;
                if (!mi.sender_internal && !mi.from.empty() && owner_in_to && mi.expects && !later_out && !stale) {
                    int wbd = ctx.cal.business_days(msgs[M].date, ctx.now);
                    if (wbd >= th.awaiting_my_reply_business_days) {
                        AwaitingMyReply f;
                        f.thread_id = tid;
                        f.message_id = msgs[M].message_id;
                        f.waiting_business_days = wbd;
                        f.account = mi.from_account.str();
                        f.from = mi.from.str();
                        f.subject = msgs[M].subject;
                        f.suggestion = suggest_awaiting_my_reply(f, ctx.name_of(mi.from), ctx.lang);
                        found.awaiting_my_reply.push_back(std::move(f));
                    }
                }
            }

            // ---- all_in_copy: most outbound messages go to >= 4 people of one organization.
            std::vector<size_t> outs;
            for (size_t i : ord)
                if (info[i].outbound && !info[i].automated) outs.push_back(i);
            if (static_cast<int>(outs.size()) >= th.all_in_copy_min_group_messages) {
                std::map<Atom, std::vector<size_t>> groups;
                for (size_t i : outs) {
                    // Each account's number of recipients (info.accounts lists them once each).
                    for (Atom a : info[i].accounts()) {
                        const auto& ea = info[i].ext_accounts();
                        if (std::count(ea.begin(), ea.end(), a) >= th.all_in_copy_min_recipients) groups[a].push_back(i);
                    }
                }
                const std::vector<size_t>* best = nullptr;
                Atom acct;
                for (const auto& [a, g] : groups)
                    if (!best || g.size() > best->size()) best = &g, acct = a;
                if (best) {
                    const auto& g = *best;
                    int recaps = 0;
                    for (size_t i : g) recaps += is_recap(ctx, i);
                    bool enough = static_cast<int>(g.size()) >= th.all_in_copy_min_group_messages &&
                                  static_cast<double>(g.size()) >= th.all_in_copy_min_share * static_cast<double>(outs.size()) - 1e-9 &&
                                  static_cast<double>(recaps) < th.all_in_copy_max_recap_share * static_cast<double>(g.size());
                    if (enough) {
                        AllInCopy f;
                        f.thread_id = tid;
                        f.account = acct.str();
                        f.outbound_messages = static_cast<int>(outs.size());
                        f.recap_messages = recaps;
                        std::vector<Atom> people;  // f.recipients as atoms
                        for (size_t i : g) {
                            f.group_messages.emplace_back(msgs[i].message_id);
                            for (size_t r = 0; r < info[i].ext_recipients().size(); ++r) {
                                const Atom p = info[i].ext_recipients()[r];
                                if (info[i].ext_accounts()[r] == acct && std::find(people.begin(), people.end(), p) == people.end()) {
                                    people.push_back(p);
                                    f.recipients.push_back(p.str());
                                }
                            }
                        }
                        // Group reply rate: group messages the account answered before the next outbound one.
                        int replied = 0;
                        std::set<size_t> gset(g.begin(), g.end());
                        bool pending = false;
                        for (size_t i : ord) {
                            const MsgInfo& x = info[i];
                            if (x.automated) continue;
                            if (x.outbound) {
                                pending = gset.count(i) > 0;
                            } else if (pending && x.from_account == acct) {
                                ++replied;
                                pending = false;
                            }
                        }
                        f.group_reply_rate = static_cast<double>(replied) / static_cast<double>(g.size());
                        const AccountStats& st = stats_of(acct);
                        f.direct_messages = st.direct_sent;
                        f.direct_reply_rate = st.direct_sent ? static_cast<double>(st.direct_replied) / st.direct_sent : 0.0;
                        // Whom to take each topic with: who talked about it, else the role that owns it.
                        for (size_t k = 0; k < std::size(kTopics); ++k) {
                            TopicContact tc;
                            tc.topic = kTopics[k].name;
                            Atom who;
                            int n = 0;
                            for (const auto& [p, c] : st.topic_people[k])
                                if (c > n) who = p, n = c;
                            if (who.empty())
                                for (Atom p : people)
                                    if (p.id() < ctx.roles.size() && ctx.roles[p.id()] == kTopics[k].role) {
                                        who = p;
                                        break;
                                    }
                            tc.address = who.str();
                            tc.name = ctx.name_of(who);
                            f.topics.push_back(tc);
                        }
                        f.suggestion = suggest_all_in_copy(f, ctx.lang);
                        found.all_in_copy.push_back(std::move(f));
                    }
                }
            }

            // ---- insists_on_cc: a keep-me-in-copy cue, or writing again after being dropped from copy.
            // Distinct people and accounts of one thread: short lists, searched. The latest
            // outbound message's recipients and accounts are its own (distinct) lists.
            std::vector<Atom> ever_included, flagged;
            std::span<const Atom> latest, latest_accounts;
            auto has = [](std::span<const Atom> v, Atom a) { return std::find(v.begin(), v.end(), a) != v.end(); };
            bool have_latest = false;
            for (size_t i : ord) {
                const MsgInfo& x = info[i];
                if (x.automated) continue;
                if (x.outbound) {
                    // A forward to colleagues inside the thread drops nobody outside.
                    if (x.ext_recipients().empty()) continue;
                    latest = x.recipients();
                    latest_accounts = x.accounts();
                    for (Atom r : x.recipients())
                        if (!has(ever_included, r)) ever_included.push_back(r);
                    have_latest = true;
                    continue;
                }
                if (x.sender_internal || x.from.empty() || has(flagged, x.from)) continue;
                std::string cause;
                if (ctx.has_cue(i, kCueKeepInCopy))
                    cause = "cue";
                else if (have_latest && has(ever_included, x.from) && !has(latest, x.from) &&
                         has(latest_accounts, x.from_account) && writes_to_owner(ctx, i))
                    // Dropped while the rep went on with their organization, and writing back to the
                    // rep: a person stepping back into a deal. A friend who answers an old group mail
                    // with reply-all after the rep answered someone else (another organization) is
                    // only choosing reply-all, not insisting.
                    cause = "reappeared";
                if (cause.empty()) continue;
                flagged.push_back(x.from);
                InsistsOnCc f;
                f.address = x.from.str();
                f.thread_id = tid;
                f.account = x.from_account.str();
                f.cause = cause;
                f.message_id = msgs[i].message_id;
                f.suggestion = suggest_insists_on_cc(f, ctx.name_of(x.from), ctx.lang);
                found.insists_on_cc.push_back(std::move(f));
            }
        }
    };
    // Small chunks when a test forces two threads on a small mailbox, so the merge is exercised.
    const size_t kThreadChunk = settings.threads > 1 ? 8 : 4096;
    std::vector<ThreadFindings> chunks((threads.size() + kThreadChunk - 1) / kThreadChunk);
    std::atomic<size_t> next_chunk{0};
    auto run_chunks = [&] {
        for (size_t c; (c = next_chunk.fetch_add(1)) < chunks.size();)
            thread_findings(c * kThreadChunk, std::min(threads.size(), (c + 1) * kThreadChunk), chunks[c]);
    };
    {
        const bool parallel = settings.threads == 0 ? threads.size() >= 2 * kThreadChunk : settings.threads > 1;
        std::jthread helper;  // joined on every way out, exceptions included
        if (parallel) helper = std::jthread(run_chunks);
        run_chunks();
        if (helper.joinable()) helper.join();
    }
    // The lists are allocated at their size and each chunk's go as soon as they are appended:
    // grown by doubling, with the moved-from chunks still held, the awaiting lists took three to
    // four times their size at this point, the peak of the analysis (~50 MB at 1M).
    {
        size_t n[4] = {0, 0, 0, 0};
        for (const auto& c : chunks) {
            n[0] += c.awaiting_reply.size();
            n[1] += c.awaiting_my_reply.size();
            n[2] += c.all_in_copy.size();
            n[3] += c.insists_on_cc.size();
        }
        out.awaiting_reply.reserve(out.awaiting_reply.size() + n[0]);
        out.awaiting_my_reply.reserve(out.awaiting_my_reply.size() + n[1]);
        out.all_in_copy.reserve(out.all_in_copy.size() + n[2]);
        out.insists_on_cc.reserve(out.insists_on_cc.size() + n[3]);
    }
    for (auto& c : chunks) {
        auto append = [](auto& to, auto& from) {
            std::move(from.begin(), from.end(), std::back_inserter(to));
            std::remove_reference_t<decltype(from)>().swap(from);
        };
        append(out.awaiting_reply, c.awaiting_reply);
        append(out.awaiting_my_reply, c.awaiting_my_reply);
        append(out.all_in_copy, c.all_in_copy);
        append(out.insists_on_cc, c.insists_on_cc);
    }
    std::vector<ThreadFindings>().swap(chunks);
    // Read by the thread passes only.
    std::vector<uint32_t>().swap(ordered_ids);
    std::vector<size_t>().swap(ordered_at);

    // ---- account-level findings.
    std::unordered_set<std::string> managers;
    for (const auto& m : settings.managers) managers.insert(lower(m));
    std::vector<Atom> accounts;
    for (const auto& [a, v] : ctx.account_msgs) accounts.push_back(a);
    std::sort(accounts.begin(), accounts.end());  // by name
    for (const Atom acct : accounts) {
        const auto& v = ctx.account_msgs[acct];
        // Inbound = written by the account's people.
        std::vector<size_t> inbound;
        for (size_t i : v)
            if (info[i].from_account == acct) inbound.push_back(i);

        // stalled_deal
        if (!inbound.empty()) {
            size_t L = inbound.back();
            size_t lpos = static_cast<size_t>(std::find(v.begin(), v.end(), L) - v.begin());
            int before = static_cast<int>(lpos);
            int inbound_before = static_cast<int>(inbound.size()) - 1;
            int quiet = ctx.cal.business_days(msgs[L].date, ctx.now);
            std::vector<size_t> chasers;
            for (size_t k = lpos + 1; k < v.size(); ++k)
                if (info[v[k]].outbound) chasers.push_back(v[k]);
            bool quiet_path = before >= th.stalled_min_messages && inbound_before >= th.stalled_min_inbound &&
                              quiet >= th.stalled_quiet_business_days &&
                              static_cast<int>(chasers.size()) >= th.stalled_min_outbound_after &&
                              (th.stalled_max_quiet_days <= 0 || msgs[L].date >= ctx.now - th.stalled_max_quiet_days * kDay);
            std::vector<size_t> resched;
            for (size_t i : inbound)
                if (msgs[i].date >= ctx.now - th.reschedule_window_days * kDay && msgs[i].date <= ctx.now + kDay &&
                    ctx.has_cue(i, kCueReschedule))
                    resched.push_back(i);
            bool resched_path = static_cast<int>(resched.size()) >= th.reschedule_min_messages;
            if (quiet_path || resched_path) {
                StalledDeal f;
                f.account = acct.str();
                f.path = quiet_path ? "quiet" : "reschedule";
                f.since = ctx.cal.iso_local(msgs[L].date);
                f.last_inbound = msgs[L].message_id;
                f.quiet_business_days = quiet;
                // The reason, from the last five inbound messages; first match wins.
                size_t from = inbound.size() > static_cast<size_t>(th.reason_last_inbound)
                                  ? inbound.size() - static_cast<size_t>(th.reason_last_inbound) : 0;
                std::vector<size_t> last5(inbound.begin() + static_cast<long>(from), inbound.end());
                auto with = [&](uint16_t fam) {
                    std::vector<size_t> r;
                    for (size_t i : last5)
                        if (ctx.has_cue(i, fam)) r.push_back(i);
                    return r;
                };
                std::unordered_set<Atom, AtomHash> engaged;
                for (size_t i : inbound)
                    if (msgs[i].date >= ctx.now - th.champion_window_days * kDay) engaged.insert(info[i].from);
                std::vector<size_t> cue_msgs;
                if (auto b = with(kCueBudget); !b.empty()) f.reason = "budget", cue_msgs = b;
                else if (auto t2 = with(kCueTechnical); !t2.empty()) f.reason = "technical", cue_msgs = t2;
                else if (auto w = with(kCueWaitingManagement); !w.empty() && engaged.size() <= 1) f.reason = "champion_hesitant", cue_msgs = w;
                else if (auto c = with(kCueConsensus); !c.empty() && static_cast<int>(engaged.size()) >= th.consensus_min_people) f.reason = "consensus_impossible", cue_msgs = c;
                else if (auto n = with(kCueNotUrgent); !n.empty()) f.reason = "not_urgent", cue_msgs = n;
                else f.reason = "unknown";
                bool manager_wrote = false;
                for (size_t i : v)
                    if (managers.count(info[i].from.str()) && msgs[i].date >= ctx.now - th.manager_window_days * kDay)
                        manager_wrote = true;
                bool organisational = f.reason == "champion_hesitant" || f.reason == "consensus_impossible" || f.reason == "not_urgent";
                f.escalate = organisational && !manager_wrote;
                std::set<std::string> seen;
                auto add = [&](size_t i) {
                    if (seen.emplace(msgs[i].message_id).second) f.evidence.emplace_back(msgs[i].message_id);
                };
                add(L);
                for (size_t i : cue_msgs) add(i);
                for (size_t i : resched) add(i);
                for (size_t i : chasers) add(i);
                int risk = 25 + std::min(30, quiet * 2) + 8 * std::min<int>(3, static_cast<int>(chasers.size())) +
                           5 * std::min<int>(3, static_cast<int>(resched.size()));
                if (organisational) risk += 15;
                else if (f.reason == "budget") risk += 10;
                else if (f.reason == "technical") risk += 5;
                f.risk = std::clamp(risk, 0, 100);
                // The usual contact: the account's person with the most exchanges with the rep.
                Atom usual;
                int best = -1;
                for (size_t i : inbound) {
                    int n = ctx.exchanges_of(info[i].from);
                    if (n > best) best = n, usual = info[i].from;
                }
                std::string uname = ctx.name_of(usual);
                f.suggestion = suggest_stalled_deal(f, uname.empty() ? usual.str() : uname, ctx.lang);
                out.stalled_deal.push_back(std::move(f));
            }
        }

        // many_internal_contacts: distinct internal people (the owner once) who wrote lately.
        std::vector<std::string> people;
        std::vector<Atom> seen;
        for (size_t i : v) {
            if (!info[i].sender_internal) continue;
            if (msgs[i].date < ctx.now - th.many_internal_window_days * kDay || msgs[i].date > ctx.now + kDay) continue;
            Atom p = ctx.person_key(info[i].from);
            if (std::find(seen.begin(), seen.end(), p) == seen.end()) {
                seen.push_back(p);
                people.push_back(p.str());
            }
        }
        if (static_cast<int>(people.size()) >= th.many_internal_min_people) {
            ManyInternalContacts f;
            f.account = acct.str();
            f.internal_people = people;
            f.suggestion = suggest_many_internal(f, ctx.lang);
            out.many_internal_contacts.push_back(std::move(f));
        }
    }
    std::sort(out.stalled_deal.begin(), out.stalled_deal.end(),
              [](const StalledDeal& a, const StalledDeal& b) { return a.risk != b.risk ? a.risk > b.risk : a.account < b.account; });
    return out;
}

}  // namespace

AnalysisResult analyze(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                       const AnalysisSettings& settings) {
    return analyze_records(msgs, threads, settings);
}

AnalysisResult analyze(const std::vector<Mail>& msgs, const std::vector<Thread>& threads,
                       const AnalysisSettings& settings) {
    return analyze_records(msgs, threads, settings);
}

MailMaker::MailMaker(const AnalysisSettings* settings) {
    if (settings) id_ = Identity::from_settings(*settings);
}

Mail MailMaker::operator()(Message&& m) {
    Mail out;
    // What only a first per-message step reads, first: the texts, the cues, the headers.
    out.body_hash = body_hash(m);
    // The Context's second pass takes a title from the text only for a sender with an account,
    // which an internal or empty address never has (Context::facts, on the lower-case address).
    bool title_read = m.signature_title.empty() && !m.from.address.empty();
    if (title_read && id_) {
        lower_.assign(m.from.address);
        for (auto& c : lower_)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        auto it = internal_.find(lower_);
        if (it == internal_.end()) it = internal_.emplace(lower_, id_->is_internal(lower_)).first;
        title_read = !it->second;
    }
    if (title_read) {
        // As the Context's second pass filters it (a title must name a role to count).
        if (std::string t = title_from_text(m); !t.empty() && role_from_title(t) != "unknown")
            out.text_title = text_->intern(t);
    }
    out.cues = cue_bits(m);
    // looks_automated() stops before the bulk shape for mail already automated or a report, and
    // the owner's mail follows owner_mail_automated(), which does not read it.
    const bool bulk_read = !(m.automated || m.is_report || (id_ && owner_address(*id_, m.from.address)));
    mail_header_facts(m, out, bulk_read);
    out.automated = m.automated;
    out.is_report = m.is_report;
    out.expects_reply = m.expects_reply;
    // The strings into the shared text: ids copied, the rest stored once (replies share their
    // subject, every mail of a person the address and name).
    MailText& text = *text_;
    out.message_id = text.add(m.message_id);
    out.rowid = m.rowid;
    out.date = m.date;
    out.subject = text.intern(m.subject);
    out.from = text.mailbox(m.from);
    out.to = text.add_list(m.to);
    out.cc = text.add_list(m.cc);
    out.bcc = text.add_list(m.bcc);
    out.signature_name = text.intern(m.signature_name);
    out.signature_title = text.intern(m.signature_title);
    out.lang = text.intern(m.lang);
    return out;
}

bool has_cue_family(const Mail& m, std::string_view family) {
    const uint16_t bit = cue_bit(family);
    return bit != 0 && (m.cues & bit) != 0;
}

}  // namespace ilc::detect
