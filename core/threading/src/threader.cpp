// The threader: JWZ / RFC 5256 REFERENCES links with Dovecot THREAD REFS semantics, Outlook
// Thread-Index conversations and a guarded subject fallback. docs/THREADING.md explains every
// rule and where it differs from Dovecot.
#include "interlocutor/threading/threader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace ilc::threading {
namespace {

constexpr int kNone = -1;

// A node of the id table: a message, or a placeholder for an id that was referenced but not
// seen (RFC 5256 section 3 "dummy" message). Placeholders tie the messages that share only a
// missing ancestor, and vanish from the output.
struct Node {
    long msg = kNone;        // index into the input vector, kNone for a placeholder
    int parent = kNone;
    bool referenced = false; // created as a placeholder before its message came
    bool own_parent = false; // the parent link comes from this message's own headers
    bool has_child = false;  // some node had this one as parent (never reset: it only skips walks)
};

// The id table (Message-ID -> node): open addressing with linear probing over views of the ids,
// each slot keeping the id's hash so that a probe rarely reads the id's bytes. On a million ids a
// look-up is one or two adjacent slots of a flat array, where std::unordered_map walks a bucket, a
// node and the key (three cache misses), and there is no node per id to allocate and free.
// Nothing iterates it, so its layout changes no result.
class IdTable {
public:
    // The node of `id`, or nullptr.
    int* find(std::string_view id) {
        if (slots_.empty()) return nullptr;
        const uint64_t h = hash(id);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.node == kNone) return nullptr;
            if (s.hash == h && s.len == id.size() && std::memcmp(s.data, id.data(), id.size()) == 0) return &s.node;
        }
    }
    // Adds an id that find() did not find. Only a view is kept: `id` must outlive the table.
    void insert(std::string_view id, int node) {
        if (size_ + 1 > max_load(slots_.size())) grow(std::max<size_t>(16, slots_.size() * 2));
        place(Slot{hash(id), id.data(), static_cast<uint32_t>(id.size()), node});
        ++size_;
    }
    void reserve(size_t n) {
        size_t cap = 16;
        while (max_load(cap) < n) cap <<= 1;
        if (cap > slots_.size()) grow(cap);
    }
    void clear() {
        std::fill(slots_.begin(), slots_.end(), Slot{});
        size_ = 0;
    }
    size_t size() const { return size_; }

private:
    struct Slot {
        uint64_t hash = 0;
        const char* data = nullptr;
        uint32_t len = 0;
        int node = kNone;  // kNone: an empty slot
    };
    static uint64_t hash(std::string_view id) { return std::hash<std::string_view>{}(id); }
    static size_t max_load(size_t cap) { return cap / 4 * 3; }
    void place(const Slot& s) {
        for (size_t i = s.hash & mask_;; i = (i + 1) & mask_)
            if (slots_[i].node == kNone) {
                slots_[i] = s;
                return;
            }
    }
    void grow(size_t cap) {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(cap, Slot{});
        mask_ = cap - 1;
        for (const Slot& s : old)
            if (s.node != kNone) place(s);
    }
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

// In-Reply-To or References ids: a Message's or ThreadInput's strings, or ThreadFields' views.
struct IdList {
    std::span<const std::string> strings;
    std::span<const std::string_view> views;
    IdList(const std::vector<std::string>& s) : strings(s) {}
    IdList(std::span<const std::string> s, std::span<const std::string_view> v) : strings(s), views(v) {}
    size_t size() const { return strings.size() + views.size(); }
    std::string_view operator[](size_t k) const { return strings.empty() ? views[k] : std::string_view(strings[k]); }
};

// What the threader reads of one input, by reference: a ThreadInput, or the same fields of a
// Message in place (thread_messages_in_place() builds no ThreadInput). Thread-Topic and
// synthetic_id are not read.
struct InView {
    std::string_view message_id;
    IdList in_reply_to;
    IdList references;
    std::string_view subject;
    int64_t date;
    std::string_view thread_index;
    std::string_view list_id;
    const ThreadInput* input;  // participants: input->participants, else computed from from/to/cc
    const ilc::Mailbox* from;
    const std::vector<ilc::Mailbox>* to;
    const std::vector<ilc::Mailbox>* cc;
    // ThreadFields' mailboxes (participants from them when vfrom is set).
    const MailboxView* vfrom;
    MailboxList vto, vcc;

    static InView of(const ThreadInput& m) {
        return {m.message_id, m.in_reply_to, m.references, m.subject, m.date, m.thread_index, m.list_id,
                &m,           nullptr,       nullptr,      nullptr,   nullptr, {}, {}};
    }
    static InView of(const ilc::Message& m) {
        return {m.message_id, m.in_reply_to, m.references, m.subject, m.date, m.thread_index, m.list_id,
                nullptr,      &m.from,       &m.to,        &m.cc,     nullptr, {}, {}};
    }
    static InView of(const ThreadFields& f) {
        return {f.message_id, {{}, f.in_reply_to}, {{}, f.references}, f.subject, f.date, f.thread_index, f.list_id,
                nullptr,      nullptr,        nullptr,       nullptr,   f.from,         f.to,           f.cc};
    }
    // The participants as thread_input_from() lists them: From, To, Cc addresses, each once,
    // empty ones left out.
    void participants(std::vector<std::string_view>& out) const {
        out.clear();
        if (input) {
            out.assign(input->participants.begin(), input->participants.end());
            return;
        }
        auto add = [&](std::string_view a) {
            if (!a.empty() && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
        };
        if (vfrom) {
            add(vfrom->address);
            for (const auto& x : vto) add(x.address);
            for (const auto& x : vcc) add(x.address);
            return;
        }
        add(from->address);
        for (const auto& x : *to) add(x.address);
        for (const auto& x : *cc) add(x.address);
    }
};

struct SubjectEntry {
    int node;
    size_t msg;
    int64_t date;
};

bool decode_base64(std::string_view in, std::string& out) {
    out.clear();
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : in) {
        int v;
        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
        else if (ch == '+') v = 62;
        else if (ch == '/') v = 63;
        else if (ch == '=') break;
        else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
        else return false;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return true;
}

// Subjects that many unrelated conversations share. The shared-participant rule is not enough
// for them (the same two colleagues exchange many "meeting" mails), so a fallback join on such
// a subject also needs each sender to be among the other message's participants.
bool is_generic_subject(const std::string& key) {
    static const std::unordered_set<std::string> generic = {
        "meeting", "meetings", "hi", "hello", "hey", "question", "questions", "update", "updates",
        "fyi", "test", "call", "lunch", "thanks", "thank you", "info", "information", "follow up",
        "follow-up", "followup", "status", "request", "help", "news", "reminder", "agenda",
        "document", "documents", "report", "draft", "bonjour", "réunion", "rendez-vous", "rdv",
        "point", "merci", "suivi", "relance", "demande", "urgent", "important", "(no subject)",
        "no subject", "(sans objet)", "sans objet", "re", "fw", "fwd"};
    if (key.size() < 4) return true;
    return generic.count(key) > 0;
}

}  // namespace

struct Threader::State {
    ThreadingOptions options;
    std::unordered_set<std::string> owners;
    // Scratch lists of shares_participant() (participants of the two messages compared).
    mutable std::vector<std::string_view> part_a, part_b;
    // The messages: Threader's own copy, or the caller's vector for a one-shot thread_messages().
    // A deque: adding never moves the messages already held, so the views into their ids that
    // by_id keeps stay valid (a vector's growth would move short, in-place strings).
    std::deque<ThreadInput> owned;
    const std::vector<ThreadInput>* source = nullptr;
    const std::vector<ilc::Message>* msg_source = nullptr;  // thread_messages_in_place()
    const std::function<ThreadFields(size_t)>* fields_source = nullptr;  // thread_fields_in_place()
    size_t fields_count = 0;
    InView in(size_t i) const {
        if (msg_source) return InView::of((*msg_source)[i]);
        if (fields_source) return InView::of((*fields_source)(i));
        return InView::of(source ? (*source)[i] : owned[i]);
    }
    size_t count() const {
        return msg_source ? msg_source->size() : fields_source ? fields_count : source ? source->size() : owned.size();
    }

    // Link state, rebuilt from scratch when an out-of-order message comes.
    std::vector<Node> nodes;
    std::vector<int> node_of_msg;
    // Keyed by views of the ids in the messages themselves (their own Message-ID, or an id of
    // their References / In-Reply-To), which outlive the table: no copy of a million ids.
    IdTable by_id;
    std::unordered_map<std::string, int> by_thread_index;  // decoded Thread-Index bytes -> node
    std::unordered_map<std::string, std::vector<SubjectEntry>> by_subject;
    bool any_processed = false;
    size_t last_processed = 0;
    size_t rebuild_count = 0;

    void set_options(ThreadingOptions o) {
        options = std::move(o);
        for (const auto& a : options.owner_addresses) {
            std::string low = a;
            std::transform(low.begin(), low.end(), low.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            owners.insert(low);
        }
    }

    void reset() {
        nodes.clear();
        node_of_msg.assign(count(), kNone);
        by_id.clear();
        by_thread_index.clear();
        by_subject.clear();
        any_processed = false;
        last_processed = 0;
    }

    // The id lives only as the key of by_id: a node needs no copy of it.
    int new_node(long msg) {
        nodes.push_back(Node{msg, kNone, false});
        return static_cast<int>(nodes.size() - 1);
    }

    // The node of a referenced id, created as a placeholder when not seen yet.
    int node_for(std::string_view id) {
        if (const int* found = by_id.find(id)) return *found;
        int n = new_node(kNone);
        nodes[n].referenced = true;
        by_id.insert(id, n);
        return n;
    }

    bool has_ancestor(int node, int ancestor) const {
        // A node that never had a child is nobody's ancestor: most links skip the walk, which
        // keeps deep threads linear.
        if (node != ancestor && !nodes[ancestor].has_child) return false;
        // Bounded walk: the link rules keep the graph acyclic, the bound only guards that invariant.
        for (size_t steps = 0; node != kNone && steps <= nodes.size(); ++steps) {
            if (node == ancestor) return true;
            node = nodes[node].parent;
        }
        return false;
    }

    // Dovecot's thread_link_reference(): make `parent` the parent of `child` unless that makes a
    // loop (RFC 5256 section 3 step 1A: "do not add a link if adding that link would introduce a
    // loop") or `child` already has another parent (step 1B: "if they are already linked, don't
    // change the existing links").
    void link(int parent, int child) {
        if (parent == kNone || child == kNone) return;
        // An existing parent is kept, so only a parentless child needs the loop check.
        if (nodes[child].parent != kNone) return;
        if (has_ancestor(parent, child)) return;  // also refuses parent == child
        set_parent(child, parent, false);
    }

    void set_parent(int child, int parent, bool own) {
        nodes[child].parent = parent;
        nodes[child].own_parent = own;
        if (parent != kNone) nodes[parent].has_child = true;
    }

    // Processing order: date, then Message-ID, then input index, so that input order matters
    // only between true duplicates.
    bool before(size_t a, size_t b) const {
        const InView x = in(a);
        const InView y = in(b);
        if (x.date != y.date) return x.date < y.date;
        if (x.message_id != y.message_id) return x.message_id < y.message_id;
        return a < b;
    }

    // The link a message's own headers ask for. Unlike link(), it wins over links that other
    // messages' References lists made: when it would close a loop, the loop is broken at a
    // References-derived link on it, or, when every link of the loop was asked for by a message
    // itself, at the oldest message of the loop, which becomes a root (STYLE.md: "a cycle's
    // oldest message is the root").
    void link_own(int parent, int self) {
        if (parent == kNone || parent == self) return;
        if (has_ancestor(parent, self)) {
            std::vector<int> path;
            for (int x = parent; x != self; x = nodes[x].parent) path.push_back(x);
            int cut = kNone;
            for (auto it = path.rbegin(); it != path.rend() && cut == kNone; ++it)
                if (!nodes[*it].own_parent) cut = *it;
            if (cut == kNone) {
                for (int x : path)
                    if (nodes[x].msg != kNone &&
                        (cut == kNone || before(static_cast<size_t>(nodes[x].msg), static_cast<size_t>(nodes[cut].msg))))
                        cut = x;
            }
            if (cut == kNone) return;
            nodes[cut].parent = kNone;
            nodes[cut].own_parent = false;
        }
        if (nodes[self].parent == kNone || nodes[self].parent == parent) set_parent(self, parent, true);
    }

    // owners.count() on a view: the owner addresses are few, so a scan builds no string.
    bool is_owner(std::string_view p) const {
        if (owners.size() > 8) return owners.count(std::string(p)) > 0;
        for (const auto& o : owners)
            if (o == p) return true;
        return false;
    }

    bool shares_participant(const InView& a_in, const InView& b_in, bool generic) const {
        std::vector<std::string_view>& a = part_a;
        std::vector<std::string_view>& b = part_b;
        a_in.participants(a);
        b_in.participants(b);
        // Participant lists are short; a long one (a mass mailing) is looked up through a set.
        bool shared = false;
        if (a.size() * b.size() <= 256) {
            for (const auto& p : a) {
                if (p.empty() || is_owner(p)) continue;
                if (std::find(b.begin(), b.end(), p) != b.end()) { shared = true; break; }
            }
        } else {
            std::unordered_set<std::string_view> mine;
            for (const auto& p : a)
                if (!p.empty() && !is_owner(p)) mine.insert(p);
            for (const auto& p : b)
                if (mine.count(p)) { shared = true; break; }
        }
        if (!shared || !generic) return shared;
        if (a.empty() || b.empty()) return false;
        auto contains = [](const std::vector<std::string_view>& m, std::string_view addr) {
            return std::find(m.begin(), m.end(), addr) != m.end();
        };
        return contains(b, a.front()) && contains(a, b.front());
    }

    void process(size_t i) {
        const InView m = in(i);
        const long msg = static_cast<long>(i);

        // The message's own node. RFC 5256 section 3 step 1: a placeholder created for this id
        // becomes the message. A duplicate Message-ID keeps the original (notmuch, Dovecot): the
        // later message gets a node nobody can reference, but its own references still place it.
        int self;
        bool was_referenced = false;
        if (m.message_id.empty()) {
            self = new_node(msg);
        } else if (const int* found = by_id.find(m.message_id); !found) {
            self = new_node(msg);
            by_id.insert(m.message_id, self);
        } else if (nodes[*found].msg == kNone) {
            self = *found;
            nodes[self].msg = msg;
            was_referenced = nodes[self].referenced;
        } else {
            self = new_node(msg);
        }
        node_of_msg[i] = self;

        // References without self-references, empty ids or immediate repeats.
        // Views of the ids where they are (a Message's strings, or a caller's text): by_id keeps them.
        std::vector<std::string_view> refs;
        refs.reserve(m.references.size());
        // An id without '@' ("<yes>", "<foo>") is a broken or fake id that unrelated messages share:
        // it is no link (Dovecot's message_id_get_next() drops it too).
        auto fake_id = [](std::string_view r) { return r.find('@') == std::string_view::npos; };
        for (size_t k = 0; k < m.references.size(); ++k) {
            const std::string_view r = m.references[k];
            if (r.empty() || r == m.message_id || fake_id(r)) continue;
            if (!refs.empty() && refs.back() == r) continue;
            refs.push_back(r);
        }
        // JWZ step 1A: each References id is the parent of the next one.
        int prev = kNone;
        for (const std::string_view r : refs) {
            int n = node_for(r);
            link(prev, n);
            prev = n;
        }

        // The message's own parent: In-Reply-To when it holds exactly one id (a phrase around it
        // is already dropped by the parser), else the last References id, else the first
        // In-Reply-To id (notmuch's rule: In-Reply-To is written by the replying client itself,
        // References may be truncated or rewritten by lists).
        const std::string_view* parent_id = nullptr;
        std::vector<std::string_view> irt;
        for (size_t k = 0; k < m.in_reply_to.size(); ++k)
            if (const std::string_view r = m.in_reply_to[k]; !r.empty() && r != m.message_id && !fake_id(r)) irt.push_back(r);
        if (irt.size() == 1) parent_id = &irt.front();
        else if (!refs.empty()) parent_id = &refs.back();
        else if (!irt.empty()) parent_id = &irt.front();
        const bool has_references = parent_id != nullptr;
        // An In-Reply-To that the References do not hold (a list rewrote one of them, e.g. gmane's
        // address mangling) is chained after the last References id, as JWZ appends it: the message
        // stays in the conversation its References name instead of starting a thread of its own.
        if (irt.size() == 1 && !refs.empty() &&
            std::none_of(refs.begin(), refs.end(), [&](std::string_view r) { return r == irt.front(); }))
            link(node_for(refs.back()), node_for(irt.front()));

        int parent = parent_id ? node_for(*parent_id) : kNone;
        bool thread_index_linked = false;
        if (!has_references && !m.thread_index.empty())
            parent = thread_index_parent(self, m.thread_index, thread_index_linked);

        // Dovecot mail_thread_add(): the message's own headers decide its parent. A parent that
        // another message's References chain gave it is dropped when they disagree.
        if (nodes[self].parent != parent && nodes[self].parent != kNone) nodes[self].parent = kNone;
        link_own(parent, self);

        const std::string key = normalize_subject(m.subject);
        // Mailing-list mail is left to its references: every list message shares the list's
        // address, so the shared-participant rule means nothing there (and Dovecot REFS agrees).
        if (options.subject_fallback && !has_references && !thread_index_linked && !was_referenced &&
            nodes[self].parent == kNone && !key.empty() && m.list_id.empty() && has_reply_marker(m.subject))
            subject_fallback(i, self, key);
        if (!key.empty()) by_subject[key].push_back(SubjectEntry{self, i, m.date});

        any_processed = true;
        last_processed = i;
    }

    // Outlook Thread-Index: 22 bytes of header (the conversation) followed by one 5-byte block per
    // reply level. The parent is the message whose Thread-Index is ours minus the last block (or
    // the closest shorter one); when none was seen, a placeholder for the conversation ties the
    // replies together.
    int thread_index_parent(int self, std::string_view b64, bool& linked) {
        std::string raw;
        if (!decode_base64(b64, raw) || raw.size() < 22) return kNone;
        raw.resize(22 + (raw.size() - 22) / 5 * 5);
        int parent = kNone;
        for (size_t len = raw.size(); len > 22;) {
            len -= 5;
            auto it = by_thread_index.find(raw.substr(0, len));
            if (it != by_thread_index.end()) { parent = it->second; break; }
        }
        if (parent == kNone && raw.size() > 22) {
            parent = new_node(kNone);
            by_thread_index.emplace(raw.substr(0, 22), parent);
        }
        if (auto it = by_thread_index.find(raw); it == by_thread_index.end()) {
            by_thread_index.emplace(raw, self);
        } else if (nodes[it->second].msg == kNone) {
            // The conversation's first message came after replies that made a placeholder for it:
            // the placeholder hangs under the message and is pruned from the output.
            int placeholder = it->second;
            it->second = self;
            link(self, placeholder);
            linked = true;
        } else if (parent == kNone && it->second != self) {
            // The same Thread-Index twice: the later message follows the first.
            parent = it->second;
        }
        if (parent != kNone) linked = true;
        return parent;
    }

    // SPEC "Threading": a message with no threading header joins the thread of the most recent
    // message with the same normalized subject that is less than the window away and shares a
    // participant other than the owner.
    void subject_fallback(size_t i, int self, const std::string& key) {
        auto it = by_subject.find(key);
        if (it == by_subject.end()) return;
        const InView m = in(i);
        const int64_t window = static_cast<int64_t>(options.subject_window_days) * 86400;
        const bool generic = is_generic_subject(key);
        const auto& entries = it->second;
        // Entries are in processing order, which is date order: stop at the first one out of the window.
        for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
            if (m.date - e->date >= window) break;
            if (e->node == self) continue;
            if (!shares_participant(m, in(e->msg), generic)) continue;
            link(e->node, self);
            return;
        }
    }

    void process_all_sorted(std::vector<size_t> order) {
        // The order of before(), with the dates copied next to the indices: the sort reads a
        // flat array instead of a ThreadInput per comparison (ids are compared on equal dates only).
        {
            std::vector<std::pair<int64_t, size_t>> keyed(order.size());
            for (size_t k = 0; k < order.size(); ++k) keyed[k] = {in(order[k]).date, order[k]};
            std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
                if (a.first != b.first) return a.first < b.first;
                return before(a.second, b.second);
            });
            for (size_t k = 0; k < order.size(); ++k) order[k] = keyed[k].second;
        }
        // Sized once for what is coming (every message an id, about as many subjects and
        // referenced ids again) instead of rehashing a million-entry table many times over.
        // No table is iterated, so the sizes change no result. Small incremental batches keep the
        // containers' own growth, which stays amortized.
        if (order.size() >= 4096) {
            nodes.reserve(nodes.size() + order.size() * 3 / 2);
            by_id.reserve(by_id.size() + order.size() * 3 / 2);
            by_subject.reserve(by_subject.size() + order.size() / 2);
        }
        for (size_t i : order) process(i);
    }

    void add(size_t first_new) {
        node_of_msg.resize(count(), kNone);
        bool in_order = true;
        if (any_processed)
            for (size_t i = first_new; i < count(); ++i)
                if (before(i, last_processed)) { in_order = false; break; }
        std::vector<size_t> order;
        if (in_order) {
            order.resize(count() - first_new);
            std::iota(order.begin(), order.end(), first_new);
        } else {
            // A message older than what was processed: process everything again in (date, index)
            // order, so the result equals threading everything at once.
            ++rebuild_count;
            reset();
            order.resize(count());
            std::iota(order.begin(), order.end(), size_t{0});
        }
        process_all_sorted(std::move(order));
    }

    std::vector<ilc::Thread> build() const {
        const size_t n = nodes.size();
        // Top of every node, memoized along the walk.
        std::vector<int> top(n, kNone);
        std::vector<int> path;
        for (size_t s = 0; s < n; ++s) {
            if (top[s] != kNone) continue;
            int x = static_cast<int>(s);
            path.clear();
            while (top[x] == kNone && nodes[x].parent != kNone) {
                path.push_back(x);
                x = nodes[x].parent;
            }
            int t = top[x] != kNone ? top[x] : x;
            top[x] = t;
            for (int p : path) top[p] = t;
        }
        // Group the messages by top node; a top without messages (a placeholder-only tree) is
        // pruned (RFC 5256 section 3 step 4).
        // Messages by (date, index), sorted as pairs: no ThreadInput is touched by the comparisons.
        std::vector<size_t> order(count());
        {
            std::vector<std::pair<int64_t, size_t>> keyed(order.size());
            for (size_t i = 0; i < order.size(); ++i) keyed[i] = {in(i).date, i};
            std::sort(keyed.begin(), keyed.end());
            for (size_t i = 0; i < order.size(); ++i) order[i] = keyed[i].second;
        }
        // Thread of each top node, indexed by node: a vector, not a hash map, on a million nodes.
        constexpr size_t kNoThread = static_cast<size_t>(-1);
        std::vector<size_t> thread_of_top(n, kNoThread);
        std::vector<int> tops;
        // The threads are numbered, and their sizes counted, before they are made: the vectors are
        // allocated at their size (grown by doubling, the threads and their members lists had up
        // to twice the room they need, ~20 MB at 1M, held until the caller's analysis is done).
        std::vector<size_t> sizes;
        for (size_t i : order) {
            int t = top[node_of_msg[i]];
            size_t& k = thread_of_top[static_cast<size_t>(t)];
            if (k == kNoThread) {
                k = sizes.size();
                sizes.push_back(0);
                tops.push_back(t);
            }
            ++sizes[k];
        }
        std::vector<ilc::Thread> threads(sizes.size());
        for (size_t k = 0; k < threads.size(); ++k) threads[k].members.reserve(sizes[k]);
        std::vector<size_t>().swap(sizes);
        for (size_t i : order) threads[thread_of_top[static_cast<size_t>(top[node_of_msg[i]])]].members.push_back(i);
        std::vector<int> position(n, kNone);
        // Views of the ids already given: they point into `threads`, which no longer grows.
        std::unordered_set<std::string_view> used_ids;
        used_ids.reserve(threads.size());
        for (size_t k = 0; k < threads.size(); ++k) {
            ilc::Thread& th = threads[k];
            for (size_t p = 0; p < th.members.size(); ++p) position[node_of_msg[th.members[p]]] = static_cast<int>(p);
            th.parent.resize(th.members.size());
            for (size_t p = 0; p < th.members.size(); ++p) {
                // The nearest ancestor that is a message: placeholders are pruned and their
                // children promoted (RFC 5256 section 3 step 4).
                int a = nodes[node_of_msg[th.members[p]]].parent;
                while (a != kNone && nodes[a].msg == kNone) a = nodes[a].parent;
                th.parent[p] = a == kNone ? -1 : position[a];
            }
            const Node& t = nodes[tops[k]];
            std::string id(t.msg != kNone ? in(t.msg).message_id : in(th.members.front()).message_id);
            if (id.empty()) id = in(th.members.front()).message_id;
            if (id.empty()) id = "ilc-thread-" + std::to_string(th.members.front());
            // Duplicate Message-IDs can root two threads: keep thread ids unique.
            std::string unique = id;
            for (int dup = 2; used_ids.count(unique); ++dup) unique = id + "#" + std::to_string(dup);
            th.id = std::move(unique);
            used_ids.insert(th.id);
        }
        return threads;
    }
};

Threader::Threader(ThreadingOptions options) : state_(std::make_unique<State>()) {
    state_->set_options(std::move(options));
}
Threader::~Threader() = default;
Threader::Threader(Threader&&) noexcept = default;
Threader& Threader::operator=(Threader&&) noexcept = default;

void Threader::add(const std::vector<ThreadInput>& messages) {
    size_t first = state_->owned.size();
    state_->owned.insert(state_->owned.end(), messages.begin(), messages.end());
    state_->add(first);
}

void Threader::add(ThreadInput message) {
    size_t first = state_->owned.size();
    state_->owned.push_back(std::move(message));
    state_->add(first);
}

std::vector<ilc::Thread> Threader::threads() const { return state_->build(); }
size_t Threader::size() const { return state_->owned.size(); }
size_t Threader::rebuilds() const { return state_->rebuild_count; }

std::vector<ilc::Thread> thread_messages(const std::vector<ThreadInput>& messages, const ThreadingOptions& options) {
    // The same processing as Threader::add(), on the caller's vector without copying it.
    Threader::State state;
    state.set_options(options);
    state.source = &messages;
    state.add(0);
    return state.build();
}

std::vector<ilc::Thread> thread_messages_in_place(const std::vector<ilc::Message>& messages,
                                                  const ThreadingOptions& options) {
    Threader::State state;
    state.set_options(options);
    state.msg_source = &messages;
    state.add(0);
    return state.build();
}

std::vector<ilc::Thread> thread_fields_in_place(size_t count, const std::function<ThreadFields(size_t)>& at,
                                                const ThreadingOptions& options) {
    Threader::State state;
    state.set_options(options);
    state.fields_source = &at;
    state.fields_count = count;
    state.add(0);
    return state.build();
}

ThreadHeaders take_thread_headers(ilc::Message& m) {
    ThreadHeaders h;
    h.in_reply_to.swap(m.in_reply_to);
    h.references.swap(m.references);
    h.thread_index.swap(m.thread_index);
    h.list_id = m.list_id;
    return h;
}

ThreadInput thread_input_from(const ilc::Message& m) {
    ThreadInput in;
    in.message_id = m.message_id;
    in.synthetic_id = m.synthetic_id;
    in.in_reply_to = m.in_reply_to;
    in.references = m.references;
    in.subject = m.subject;
    in.date = m.date;
    auto add = [&](const std::string& a) {
        if (!a.empty() && std::find(in.participants.begin(), in.participants.end(), a) == in.participants.end())
            in.participants.push_back(a);
    };
    add(m.from.address);
    for (const auto& x : m.to) add(x.address);
    for (const auto& x : m.cc) add(x.address);
    in.thread_index = m.thread_index;
    in.thread_topic = m.thread_topic;
    in.list_id = m.list_id;
    return in;
}

void drop_threading_headers(ilc::Message& m) {
    std::vector<std::string>().swap(m.in_reply_to);
    std::vector<std::string>().swap(m.references);
    std::string().swap(m.thread_index);
    std::string().swap(m.thread_topic);
}

ThreadInput take_thread_input(ilc::Message& m) {
    // Emptied before the copy so that thread_input_from() copies nothing of them.
    auto in_reply_to = std::move(m.in_reply_to);
    auto references = std::move(m.references);
    auto thread_index = std::move(m.thread_index);
    auto thread_topic = std::move(m.thread_topic);
    m.in_reply_to.clear();
    m.references.clear();
    m.thread_index.clear();
    m.thread_topic.clear();
    ThreadInput in = thread_input_from(m);
    in.in_reply_to = std::move(in_reply_to);
    in.references = std::move(references);
    in.thread_index = std::move(thread_index);
    in.thread_topic = std::move(thread_topic);
    return in;
}

}  // namespace ilc::threading
