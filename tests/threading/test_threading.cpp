// Threading tests: every thread shape in every delivery order (notmuch T260), Dovecot imaptest
// THREAD cases, notmuch's threading corpora, real mailing lists, incremental equivalence,
// subject fallback and Thread-Index rules, and speed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "interlocutor/threading/threader.h"
#include "mini_mail.h"

using ilc::Thread;
using ilc::threading::normalize_subject;
using ilc::threading::thread_messages;
using ilc::threading::Threader;
using ilc::threading::ThreadingOptions;
using ilc::threading::ThreadInput;

namespace {

// A canonical text of a forest, independent of input order: each node is its label followed by
// its sorted children; a thread is its sorted roots in braces; threads are sorted.
std::string canonical(const std::vector<Thread>& threads, const std::function<std::string(size_t)>& label) {
    std::vector<std::string> out;
    for (const auto& t : threads) {
        std::vector<std::vector<size_t>> kids(t.members.size());
        std::vector<size_t> roots;
        for (size_t p = 0; p < t.members.size(); ++p)
            (t.parent[p] < 0 ? roots : kids[t.parent[p]]).push_back(p);
        std::function<std::string(size_t)> node = [&](size_t p) {
            std::vector<std::string> c;
            for (size_t k : kids[p]) c.push_back(node(k));
            std::sort(c.begin(), c.end());
            std::string s = label(t.members[p]);
            if (!c.empty()) {
                s += "(";
                for (auto& x : c) s += x + " ";
                s += ")";
            }
            return s;
        };
        std::vector<std::string> r;
        for (size_t p : roots) r.push_back(node(p));
        std::sort(r.begin(), r.end());
        std::string s = "{";
        for (auto& x : r) s += x + " ";
        out.push_back(s + "}");
    }
    std::sort(out.begin(), out.end());
    std::string s;
    for (auto& x : out) s += x;
    return s;
}

std::string canonical_by_id(const std::vector<Thread>& threads, const std::vector<ThreadInput>& in) {
    return canonical(threads, [&](size_t i) { return in[i].message_id; });
}

void check_invariants(const std::vector<Thread>& threads, size_t n) {
    std::vector<int> seen(n, 0);
    std::set<std::string> ids;
    for (const auto& t : threads) {
        REQUIRE(!t.members.empty());
        REQUIRE(t.parent.size() == t.members.size());
        REQUIRE(ids.insert(t.id).second);
        for (size_t p = 0; p < t.members.size(); ++p) {
            REQUIRE(t.members[p] < n);
            ++seen[t.members[p]];
            REQUIRE(t.parent[p] < static_cast<int>(t.members.size()));
            REQUIRE(t.parent[p] != static_cast<int>(p));
        }
    }
    for (size_t i = 0; i < n; ++i) REQUIRE(seen[i] == 1);
}

ThreadInput msg(std::string id, int64_t date, std::vector<std::string> refs = {}, std::vector<std::string> irt = {},
                std::string subject = "", std::vector<std::string> people = {}) {
    ThreadInput m;
    m.message_id = std::move(id);
    m.date = date;
    m.references = std::move(refs);
    m.in_reply_to = std::move(irt);
    m.subject = std::move(subject);
    m.participants = std::move(people);
    return m;
}

// Every tree on n nodes as a parent vector with parent[i] < i (notmuch's gen-threads.py).
void gen_trees(size_t n, std::vector<int>& cur, std::vector<std::vector<int>>& out) {
    if (cur.size() == n) {
        out.push_back(cur);
        return;
    }
    if (cur.empty()) {
        cur.push_back(-1);
        gen_trees(n, cur, out);
        cur.pop_back();
        return;
    }
    for (int p = 0; p < static_cast<int>(cur.size()); ++p) {
        cur.push_back(p);
        gen_trees(n, cur, out);
        cur.pop_back();
    }
}

enum class HeaderStyle { both, references_only, in_reply_to_only };

std::vector<ThreadInput> tree_messages(const std::vector<int>& parent, HeaderStyle style, bool same_date) {
    std::vector<ThreadInput> out;
    for (size_t i = 0; i < parent.size(); ++i) {
        std::vector<std::string> path;
        for (int p = parent[i]; p >= 0; p = parent[p]) path.insert(path.begin(), "m" + std::to_string(p) + "@x");
        ThreadInput m = msg("m" + std::to_string(i) + "@x", same_date ? 1000 : 1000 + static_cast<int64_t>(i) * 60);
        if (style != HeaderStyle::in_reply_to_only) m.references = path;
        if (style != HeaderStyle::references_only && !path.empty()) m.in_reply_to = {path.back()};
        m.subject = i == 0 ? "shape" : "Re: shape";
        out.push_back(m);
    }
    return out;
}

std::string expected_tree(const std::vector<int>& parent, size_t skip) {
    // The expected canonical form: message `skip` (or none) is not delivered, its children become roots.
    std::vector<Thread> t(1);
    std::vector<int> pos(parent.size(), -1);
    for (size_t i = 0; i < parent.size(); ++i)
        if (i != skip) pos[i] = static_cast<int>(t[0].members.size()), t[0].members.push_back(i);
    for (size_t i = 0; i < parent.size(); ++i)
        if (i != skip) t[0].parent.push_back(parent[i] < 0 || static_cast<size_t>(parent[i]) == skip ? -1 : pos[parent[i]]);
    return canonical(t, [](size_t i) { return "m" + std::to_string(i) + "@x"; });
}

}  // namespace

TEST_CASE("normalize_subject strips prefixes and tags in many languages", "[threading.subject]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Re: meeting", "meeting"},
        {"RE : Devis", "devis"},
        {"RE: TR: RE : Contrat", "contrat"},
        {"Fwd: Fw: FW: hello", "hello"},
        {"Réf : dossier 42", "dossier 42"},
        {"RÉF : dossier 42", "dossier 42"},
        {"AW: WG: Angebot", "angebot"},
        {"SV: VS: Tilbud", "tilbud"},
        {"Antw: offerte", "offerte"},
        {"Re[2]: status", "status"},
        {"Re(3): status", "status"},
        {"[open-iscsi] Re: [PATCH] fix login", "fix login"},
        {"[EXT] RE: Budget 2024", "budget 2024"},
        {"  Re:   lots   of   space  ", "lots of space"},
        {"Re: Re: re: RE: x", "x"},
        {"Interesting (fwd)", "interesting"},
        {"Reply: not a prefix", "reply: not a prefix"},
        {"Transfer: not a prefix", "transfer: not a prefix"},
        {"Re:", ""},
        {"", ""},
        {"[unclosed bracket text", "[unclosed bracket text"},
    };
    for (const auto& [in, want] : cases) {
        INFO(in);
        CHECK(normalize_subject(in) == want);
    }
}

TEST_CASE("every thread shape up to 6 messages in every delivery order gives one same tree", "[threading.shapes]") {
    std::mt19937 rng(260);
    size_t runs = 0;
    for (size_t n = 1; n <= 6; ++n) {
        std::vector<std::vector<int>> trees;
        std::vector<int> cur;
        gen_trees(n, cur, trees);
        for (const auto& parent : trees) {
            for (HeaderStyle style : {HeaderStyle::both, HeaderStyle::references_only, HeaderStyle::in_reply_to_only}) {
                for (bool same_date : {false, true}) {
                    // In-Reply-To alone cannot tie the children of a missing root: only the full-tree case.
                    auto all = tree_messages(parent, style, same_date);
                    const std::string want = expected_tree(parent, static_cast<size_t>(-1));
                    std::vector<size_t> order(n);
                    std::iota(order.begin(), order.end(), size_t{0});
                    std::vector<std::vector<size_t>> orders;
                    if (n <= 5) {
                        do orders.push_back(order);
                        while (std::next_permutation(order.begin(), order.end()));
                    } else {
                        for (int k = 0; k < 40; ++k) {
                            std::shuffle(order.begin(), order.end(), rng);
                            orders.push_back(order);
                        }
                    }
                    for (const auto& o : orders) {
                        std::vector<ThreadInput> in;
                        for (size_t i : o) in.push_back(all[i]);
                        auto threads = thread_messages(in);
                        ++runs;
                        REQUIRE(threads.size() == 1);
                        REQUIRE(canonical_by_id(threads, in) == want);
                        // The thread id is the root's Message-ID.
                        REQUIRE(threads[0].id == "m0@x");
                    }
                    // Without the root: the References chain's placeholder ties the root's children.
                    if (n >= 3 && style != HeaderStyle::in_reply_to_only) {
                        std::vector<ThreadInput> in(all.begin() + 1, all.end());
                        for (int k = 0; k < 6; ++k) {
                            std::shuffle(in.begin(), in.end(), rng);
                            auto threads = thread_messages(in);
                            REQUIRE(threads.size() == 1);
                            REQUIRE(canonical(threads, [&](size_t i) { return in[i].message_id; }) == expected_tree(parent, 0));
                        }
                    }
                }
            }
        }
    }
    CHECK(runs > 20000);
}

TEST_CASE("loops, self-references and duplicates", "[threading.links]") {
    SECTION("a References loop: the link that would close it is refused") {
        std::vector<ThreadInput> in = {msg("a@x", 100, {"b@x"}), msg("b@x", 200, {"a@x"})};
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        REQUIRE(t.size() == 1);
        // Both links come from the messages' own headers: the cycle's oldest message is the root.
        CHECK(canonical_by_id(t, in) == "{a@x(b@x ) }");
        std::vector<ThreadInput> three = {msg("c@x", 300, {"b@x"}), msg("a@x", 100, {"c@x"}), msg("b@x", 200, {"a@x"})};
        CHECK(canonical_by_id(thread_messages(three), three) == "{a@x(b@x(c@x ) ) }");
    }
    SECTION("self-references are dropped") {
        std::vector<ThreadInput> in = {msg("a@x", 100, {"a@x"}, {"a@x"}), msg("b@x", 200, {"a@x", "b@x"}, {"b@x"})};
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        CHECK(canonical_by_id(t, in) == "{a@x(b@x ) }");
    }
    SECTION("a duplicate Message-ID keeps the original; the copy is placed by its own references") {
        std::vector<ThreadInput> in = {msg("a@x", 100), msg("b@x", 200, {"a@x"}), msg("c@x", 300, {"a@x", "b@x"}),
                                       msg("b@x", 400, {"a@x"})};
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        REQUIRE(t.size() == 1);
        auto labels = [&](size_t i) { return in[i].message_id + std::to_string(i); };
        CHECK(canonical(t, labels) == "{a@x0(b@x1(c@x2 ) b@x3 ) }");
    }
    SECTION("two duplicates without references are two threads with distinct ids") {
        std::vector<ThreadInput> in = {msg("a@x", 100), msg("a@x", 100)};
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        CHECK(t.size() == 2);
    }
    SECTION("In-Reply-To with one id wins over the last References id (notmuch parent priority)") {
        std::vector<ThreadInput> in = {msg("r@x", 100), msg("c@x", 200, {"r@x"}, {"r@x"}),
                                       msg("g@x", 300, {"c@x", "r@x"}, {"c@x"})};
        auto t = thread_messages(in);
        CHECK(canonical_by_id(t, in) == "{r@x(c@x(g@x ) ) }");
    }
    SECTION("empty input and messages without ids never crash") {
        CHECK(thread_messages({}).empty());
        std::vector<ThreadInput> in = {msg("", 0), msg("", 0, {"x@y"}), msg("", 0, {"x@y"})};
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        CHECK(t.size() == 2);  // the two that reference x@y are tied by its placeholder (imaptest thread6)
    }
}

namespace {

// imaptest's THREAD answers: "(3 2)(1)", "(1 (2 4)(3))", "((1)(2))".
struct ImapNode {
    int seq = 0;  // 0 for a dummy
    std::vector<ImapNode> kids;
};

// One parenthesized thread: a chain of numbers, then nested lists that are children of its last node.
ImapNode parse_imap_thread(std::string_view s, size_t& i) {
    ++i;  // '('
    std::vector<int> chain;
    std::vector<ImapNode> branches;
    while (i < s.size() && s[i] != ')') {
        if (s[i] == ' ') { ++i; continue; }
        if (s[i] == '(') {
            branches.push_back(parse_imap_thread(s, i));
            continue;
        }
        int n = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) n = n * 10 + (s[i++] - '0');
        chain.push_back(n);
    }
    ++i;  // ')'
    ImapNode tail;
    if (chain.empty()) {
        tail.kids = std::move(branches);
        return tail;
    }
    tail.seq = chain.back();
    tail.kids = std::move(branches);
    for (size_t k = chain.size() - 1; k-- > 0;) {
        ImapNode up;
        up.seq = chain[k];
        up.kids.push_back(std::move(tail));
        tail = std::move(up);
    }
    return tail;
}

std::string imap_canonical(std::string_view answer, const std::function<std::string(int)>& label) {
    std::vector<std::string> out;
    size_t i = 0;
    std::function<std::string(const ImapNode&)> node = [&](const ImapNode& n) {
        std::vector<std::string> c;
        for (auto& k : n.kids) c.push_back(node(k));
        std::sort(c.begin(), c.end());
        std::string s = label(n.seq);
        if (!c.empty()) {
            s += "(";
            for (auto& x : c) s += x + " ";
            s += ")";
        }
        return s;
    };
    while (i < answer.size()) {
        if (answer[i] != '(') { ++i; continue; }
        ImapNode t = parse_imap_thread(answer, i);
        std::vector<std::string> roots;
        if (t.seq == 0)
            for (auto& k : t.kids) roots.push_back(node(k));
        else
            roots.push_back(node(t));
        std::sort(roots.begin(), roots.end());
        std::string s = "{";
        for (auto& x : roots) s += x + " ";
        out.push_back(s + "}");
    }
    std::sort(out.begin(), out.end());
    std::string s;
    for (auto& x : out) s += x;
    return s;
}

}  // namespace

TEST_CASE("imaptest THREAD cases (Dovecot) are reproduced or documented", "[threading.imaptest]") {
    const std::string dir = std::string(ILC_CORPORA) + "/lists/imaptest-threading/src/tests/";
    // Answers that differ because THREAD REFERENCES merges roots by subject and we do not
    // (docs/THREADING.md, "imaptest"): name#answer-number.
    const std::set<std::string> documented_groups = {"thread3#1", "thread4#1"};
    // Trees that differ: the cycle of "thread" (b and c reference each other) has its oldest
    // message as root here, Dovecot makes the later-delivered one the root.
    const std::set<std::string> documented_trees = {"thread#1", "thread#2", "thread3#1", "thread4#1"};
    std::set<std::string> failed, failed_groups;
    int passed = 0, passed_groups = 0, total = 0;
    // The sorted message numbers of each thread of a canonical forest text.
    auto groups = [](const std::string& c) {
        std::vector<std::string> out;
        std::vector<int> cur;
        int num = -1;
        for (char ch : c) {
            if (std::isdigit(static_cast<unsigned char>(ch))) { num = (num < 0 ? 0 : num * 10) + (ch - '0'); continue; }
            if (num >= 0) cur.push_back(num), num = -1;
            if (ch == '}') {
                std::sort(cur.begin(), cur.end());
                std::string g;
                for (int x : cur) g += std::to_string(x) + ",";
                out.push_back(g);
                cur.clear();
            }
        }
        std::sort(out.begin(), out.end());
        std::string s;
        for (auto& g : out) s += "[" + g + "]";
        return s;
    };
    for (const char* name : {"thread", "thread2", "thread3", "thread4", "thread5", "thread6", "thread7", "thread8"}) {
        auto raw = ilc::testing::read_messages(dir + name + ".mbox");
        REQUIRE(!raw.empty());
        std::vector<ThreadInput> all;
        for (auto& r : raw) all.push_back(ilc::testing::to_thread_input(r));
        std::ifstream script(dir + name);
        REQUIRE(script.good());
        std::vector<size_t> mailbox;  // mbox indices in the mailbox, in sequence order
        size_t next_append = 0;
        std::set<size_t> deleted;
        std::string line;
        int answer = 0;
        bool expect_answer = false;
        while (std::getline(script, line)) {
            std::string low = ilc::testing::lower(line);
            if (low == "messages: all") {
                for (size_t i = 0; i < all.size(); ++i) mailbox.push_back(i);
                next_append = all.size();
            } else if (low == "ok append") {
                mailbox.push_back(next_append++);
            } else if (low.rfind("ok store ", 0) == 0) {
                std::stringstream ss(low.substr(9));
                std::string set;
                ss >> set;
                std::stringstream items(set);
                std::string item;
                while (std::getline(items, item, ',')) deleted.insert(std::stoul(item));
            } else if (low == "ok expunge") {
                std::vector<size_t> kept;
                for (size_t s = 0; s < mailbox.size(); ++s)
                    if (!deleted.count(s + 1)) kept.push_back(mailbox[s]);
                mailbox = kept;
                deleted.clear();
            } else if (low.rfind("ok thread references", 0) == 0) {
                expect_answer = true;
            } else if (expect_answer && low.rfind("* thread", 0) == 0) {
                expect_answer = false;
                ++answer;
                ++total;
                std::vector<ThreadInput> in;
                for (size_t i : mailbox) in.push_back(all[i]);
                auto threads = thread_messages(in);
                check_invariants(threads, in.size());
                auto ours = canonical(threads, [](size_t i) { return std::to_string(i + 1); });
                auto want = imap_canonical(line.substr(8), [](int seq) { return std::to_string(seq); });
                std::string key = std::string(name) + "#" + std::to_string(answer);
                INFO(key << " ours " << ours << " imaptest " << want);
                if (ours == want) ++passed;
                else failed.insert(key);
                if (groups(ours) == groups(want)) ++passed_groups;
                else failed_groups.insert(key);
            }
        }
    }
    WARN("imaptest THREAD REFERENCES answers: same trees " << passed << "/" << total << ", same threads "
                                                             << passed_groups << "/" << total);
    CHECK(total >= 14);
    CHECK(failed == documented_trees);
    CHECK(failed_groups == documented_groups);
}

TEST_CASE("notmuch threading corpora: parent priority and ghost roots", "[threading.notmuch]") {
    const std::string base = std::string(ILC_CORPORA) + "/lists/notmuch/test/corpora/threading/";
    SECTION("parent-priority: In-Reply-To beats a References list in the wrong order") {
        std::vector<ThreadInput> in;
        for (auto& r : ilc::testing::read_messages(base + "parent-priority")) in.push_back(ilc::testing::to_thread_input(r));
        REQUIRE(in.size() == 3);
        std::vector<size_t> order = {0, 1, 2};
        do {
            for (bool same_date : {false, true}) {
                std::vector<ThreadInput> o;
                for (size_t i : order) o.push_back(in[i]);
                if (same_date)
                    for (auto& m : o) m.date = 0;
                auto t = thread_messages(o);
                CHECK(canonical_by_id(t, o) == "{B00-root@example.org(B01-child@example.org(B01-grand-child@example.org ) ) }");
            }
        } while (std::next_permutation(order.begin(), order.end()));
    }
    SECTION("ghost-root: a message whose parent is missing stays under the References ancestor") {
        std::vector<ThreadInput> in;
        for (auto& r : ilc::testing::read_messages(base + "ghost-root")) in.push_back(ilc::testing::to_thread_input(r));
        REQUIRE(in.size() == 9);
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        // The real-root thread holds the six example.org messages; fake-root hangs below child
        // through the missing <nonexistent-message> placeholder.
        const Thread* root = nullptr;
        for (auto& th : t)
            if (th.id == "000-real-root@example.org") root = &th;
        REQUIRE(root != nullptr);
        CHECK(root->members.size() == 6);
        std::string c = canonical({*root}, [&](size_t i) { return in[i].message_id.substr(0, 12); });
        CHECK(c == "{000-real-roo(001-child@ex(001-fake-mes 001-grand-ch 001-grand-ch(001-great-gr ) ) ) }");
    }
}

namespace {

std::vector<ThreadInput> load_corpus(const std::string& path) {
    std::vector<ThreadInput> in;
    for (auto& r : ilc::testing::read_messages(path)) in.push_back(ilc::testing::to_thread_input(r));
    return in;
}

}  // namespace

TEST_CASE("real mailing lists: threads follow references, incremental equals all at once", "[threading.corpus]") {
    for (const char* rel : {"/lists/open-iscsi/cur", "/lists/jwzthreading-fedora-devel/jwzthreading/tests/data/fedora-devel-mailman/2010-January.txt.gz"}) {
        auto in = load_corpus(std::string(ILC_CORPORA) + rel);
        INFO(rel);
        REQUIRE(in.size() > 250);
        auto whole = thread_messages(in);
        check_invariants(whole, in.size());
        // Every message whose parent id is in the corpus sits in its parent's thread.
        std::map<std::string, size_t> thread_of;
        for (size_t k = 0; k < whole.size(); ++k)
            for (size_t m : whole[k].members) thread_of.emplace(in[m].message_id, k);
        size_t checked = 0;
        for (size_t k = 0; k < whole.size(); ++k)
            for (size_t m : whole[k].members) {
                const auto& x = in[m];
                std::string parent = x.in_reply_to.size() == 1 ? x.in_reply_to[0] : !x.references.empty() ? x.references.back() : "";
                auto it = thread_of.find(parent);
                if (parent.empty() || it == thread_of.end()) continue;
                ++checked;
                CHECK(it->second == k);
            }
        CHECK(checked > 100);
        CHECK(whole.size() < in.size());

        // Incremental: random batches of a shuffled copy (late parents included) equal one call.
        std::mt19937 rng(7);
        std::vector<ThreadInput> shuffled = in;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        Threader t;
        size_t pos = 0;
        while (pos < shuffled.size()) {
            size_t n = std::min<size_t>(shuffled.size() - pos, 1 + rng() % 200);
            t.add(std::vector<ThreadInput>(shuffled.begin() + pos, shuffled.begin() + pos + n));
            pos += n;
            if (rng() % 4 == 0) {
                std::vector<ThreadInput> prefix(shuffled.begin(), shuffled.begin() + pos);
                REQUIRE(canonical_by_id(t.threads(), prefix) == canonical_by_id(thread_messages(prefix), prefix));
            }
        }
        CHECK(canonical_by_id(t.threads(), shuffled) == canonical_by_id(thread_messages(shuffled), shuffled));
        CHECK(canonical_by_id(thread_messages(shuffled), shuffled) == canonical_by_id(whole, in));
    }
}

TEST_CASE("incremental: a late parent merges the threads it links", "[threading.incremental]") {
    Threader t;
    t.add({msg("b@x", 200, {"a@x"}, {"a@x"}), msg("c@x", 300, {"q@x"}, {"q@x"})});
    CHECK(t.threads().size() == 2);
    // q arrives late, older than what was processed, and replies to a: b and c now share a thread.
    t.add(msg("q@x", 150, {"a@x"}, {"a@x"}));
    auto threads = t.threads();
    REQUIRE(threads.size() == 1);
    CHECK(t.rebuilds() == 1);
    std::vector<ThreadInput> all = {msg("b@x", 200, {"a@x"}, {"a@x"}), msg("c@x", 300, {"q@x"}, {"q@x"}),
                                    msg("q@x", 150, {"a@x"}, {"a@x"})};
    CHECK(canonical_by_id(threads, all) == canonical_by_id(thread_messages(all), all));
    CHECK(canonical_by_id(threads, all) == "{b@x q@x(c@x ) }");
    // In-order additions do not rebuild.
    t.add(msg("d@x", 400, {"a@x", "b@x"}, {"b@x"}));
    CHECK(t.rebuilds() == 1);
    CHECK(t.threads().size() == 1);
}

TEST_CASE("incremental with short ids: the id table's views survive every addition", "[threading.incremental]") {
    // The id table keeps views of the ids inside the messages (no copies). Ids of a few bytes live
    // inside the string object itself, so the messages a Threader holds must never move: 5,000
    // messages with short ids and references (some to ids never seen), added one by one and in
    // batches, in and out of date order, give what threading them all at once gives.
    std::mt19937 rng(11);
    std::vector<ThreadInput> all;
    for (size_t i = 0; i < 5000; ++i) {
        std::vector<std::string> refs;
        if (i > 0 && rng() % 4 != 0) {
            size_t p = rng() % i;
            if (rng() % 8 == 0) refs.push_back("g" + std::to_string(p) + "@x");  // a missing ancestor
            refs.push_back(std::to_string(p) + "@x");
        }
        std::vector<std::string> irt;
        if (!refs.empty()) irt.push_back(refs.back());
        // Mostly in date order (the incremental case), with a late, older message now and then.
        const int64_t date = i % 500 == 499 ? 1000 + static_cast<int64_t>(rng() % 1000) : 1000 + static_cast<int64_t>(i) * 10;
        all.push_back(msg(std::to_string(i) + "@x", date, refs, irt));
    }
    const std::string want = canonical_by_id(thread_messages(all), all);
    Threader one_by_one;
    for (const auto& m : all) one_by_one.add(m);
    CHECK(canonical_by_id(one_by_one.threads(), all) == want);
    CHECK(one_by_one.rebuilds() > 0);
    Threader batches;
    for (size_t pos = 0; pos < all.size();) {
        size_t n = std::min<size_t>(all.size() - pos, 1 + rng() % 300);
        batches.add(std::vector<ThreadInput>(all.begin() + static_cast<long>(pos), all.begin() + static_cast<long>(pos + n)));
        pos += n;
    }
    CHECK(canonical_by_id(batches.threads(), all) == want);
}

TEST_CASE("subject fallback only for mail without threading headers", "[threading.subject_fallback]") {
    const int64_t day = 86400;
    ThreadingOptions opt;
    opt.owner_addresses = {"owner@corp.com"};
    SECTION("a reply without headers joins when a non-owner participant is shared") {
        std::vector<ThreadInput> in = {msg("1@x", 0, {}, {}, "Budget Q3", {"owner@corp.com", "bob@client.com"}),
                                       msg("2@x", 2 * day, {}, {}, "RE: Budget Q3", {"bob@client.com", "owner@corp.com"})};
        auto t = thread_messages(in, opt);
        REQUIRE(t.size() == 1);
        CHECK(canonical_by_id(t, in) == "{1@x(2@x ) }");
        opt.subject_fallback = false;
        CHECK(thread_messages(in, opt).size() == 2);
    }
    SECTION("sharing only the owner is not enough (Enron 'Re: meeting' between different people)") {
        std::vector<ThreadInput> in = {msg("1@x", 0, {}, {}, "meeting", {"owner@corp.com", "bob@a.com"}),
                                       msg("2@x", day, {}, {}, "Re: meeting", {"carol@b.com", "owner@corp.com"})};
        CHECK(thread_messages(in, opt).size() == 2);
    }
    SECTION("a fresh subject (no reply marker) and mailing-list mail start their own threads") {
        std::vector<ThreadInput> in = {msg("1@x", 0, {}, {}, "Budget Q3", {"owner@corp.com", "bob@client.com"}),
                                       msg("2@x", day, {}, {}, "Budget Q3", {"bob@client.com", "owner@corp.com"}),
                                       msg("3@x", 2 * day, {}, {}, "Re: Budget Q3", {"bob@client.com", "owner@corp.com"})};
        in[2].list_id = "<budget.lists.corp.com>";
        CHECK(thread_messages(in, opt).size() == 3);
        in[2].list_id.clear();
        CHECK(thread_messages(in, opt).size() == 2);
    }
    SECTION("a generic subject needs a conversation between the same people") {
        std::vector<ThreadInput> in = {msg("1@x", 0, {}, {}, "meeting", {"bob@a.com", "owner@corp.com", "dave@a.com"}),
                                       msg("2@x", day, {}, {}, "Re: meeting", {"dave@a.com", "owner@corp.com"}),
                                       msg("3@x", 2 * day, {}, {}, "Re: meeting", {"owner@corp.com", "dave@a.com"})};
        auto t = thread_messages(in, opt);
        // 2 shares dave with 1 but bob (1's sender) is not among 2's participants; 3 answers 2.
        CHECK(canonical_by_id(t, in) == "{1@x }{2@x(3@x ) }");
    }
    SECTION("the window is measured from the latest message of the thread, so chains extend") {
        std::vector<ThreadInput> in;
        for (int k = 0; k < 5; ++k)
            in.push_back(msg(std::to_string(k) + "@x", k * 20 * day, {}, {}, k ? "Re: Weekly plan" : "Weekly plan",
                             {"owner@corp.com", "bob@client.com"}));
        CHECK(thread_messages(in, opt).size() == 1);
        in.push_back(msg("late@x", 4 * 20 * day + 31 * day, {}, {}, "Re: Weekly plan", {"bob@client.com"}));
        CHECK(thread_messages(in, opt).size() == 2);
    }
    SECTION("a message with references never merges by subject, a subject change stays in its thread") {
        std::vector<ThreadInput> in = {msg("1@x", 0, {}, {}, "Offer", {"bob@client.com"}),
                                       msg("2@x", day, {"zz@x"}, {"zz@x"}, "Re: Offer", {"bob@client.com"}),
                                       msg("3@x", 2 * day, {"1@x"}, {"1@x"}, "Totally new topic", {"bob@client.com"})};
        auto t = thread_messages(in, opt);
        CHECK(canonical_by_id(t, in) == "{1@x(3@x ) }{2@x }");
    }
}

namespace {

std::string base64(const std::string& raw) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < raw.size(); i += 3) {
        uint32_t v = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8) | uint8_t(raw[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += tbl[(v >> s) & 63];
    }
    if (i < raw.size()) {
        uint32_t v = uint8_t(raw[i]) << 16;
        if (i + 1 < raw.size()) v |= uint8_t(raw[i + 1]) << 8;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += i + 1 < raw.size() ? tbl[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace

TEST_CASE("Outlook Thread-Index links mail without references", "[threading.thread_index]") {
    const std::string conv(22, '\x11'), other(22, '\x22');
    auto ti = [](const std::string& head, int depth) {
        std::string raw = head;
        for (int d = 0; d < depth; ++d) raw += std::string(5, static_cast<char>(0x30 + d));
        return base64(raw);
    };
    std::vector<ThreadInput> in = {msg("a@x", 100), msg("b@x", 200), msg("c@x", 300), msg("d@x", 400), msg("e@x", 500)};
    in[0].thread_index = ti(conv, 0);
    in[1].thread_index = ti(conv, 1);
    in[2].thread_index = ti(conv, 2);
    in[3].thread_index = ti(other, 1);  // its conversation's first message is not here
    in[4].thread_index = ti(other, 1) + "garbage*";  // undecodable: ignored, alone
    for (int rot = 0; rot < 5; ++rot) {
        std::rotate(in.begin(), in.begin() + 1, in.end());
        auto t = thread_messages(in);
        check_invariants(t, in.size());
        CHECK(canonical_by_id(t, in) == "{a@x(b@x(c@x ) ) }{d@x }{e@x }");
    }
    // Two replies in a conversation whose first message is missing are tied by the conversation.
    std::vector<ThreadInput> two = {msg("p@x", 100), msg("q@x", 200)};
    two[0].thread_index = ti(other, 1);
    two[1].thread_index = base64(other + std::string(5, '\x55'));
    CHECK(thread_messages(two).size() == 1);
}

TEST_CASE("render_thread_text prints an indented tree", "[threading.render]") {
    std::vector<ThreadInput> in = {msg("a@x", 0, {}, {}, "Hello", {"bob@x"}), msg("b@x", 60, {"a@x"}, {}, "Re: Hello", {"eve@x"})};
    auto t = thread_messages(in);
    REQUIRE(t.size() == 1);
    CHECK(ilc::threading::render_thread_text(t[0], in) ==
          "1970-01-01 00:00  bob@x  Hello\n1970-01-01 00:01    eve@x  Re: Hello\n");
}

TEST_CASE("170,000 messages thread quickly", "[threading.perf]") {
    std::vector<ThreadInput> in;
    in.reserve(170000);
    std::mt19937 rng(1);
    // 10,000 interleaved conversations of 17 messages; one message in five carries no threading
    // header and goes through the subject fallback.
    const size_t conversations = 10000;
    for (size_t i = 0; i < 170000; ++i) {
        ThreadInput m;
        size_t conv = i % conversations, k = i / conversations;
        m.message_id = "id" + std::to_string(i) + "@perf";
        m.date = static_cast<int64_t>(i) * 30;
        if (k > 0 && i % 5 != 0) {
            size_t p = conv + conversations * (rng() % k);
            m.in_reply_to = {"id" + std::to_string(p) + "@perf"};
            m.references = {"id" + std::to_string(conv) + "@perf", m.in_reply_to[0]};
        }
        m.subject = (k ? "Re: topic " : "topic ") + std::to_string(conv);
        m.participants = {"user" + std::to_string(conv % 101) + "@a.com", "owner@corp.com"};
        in.push_back(std::move(m));
    }
    ThreadingOptions opt;
    opt.owner_addresses = {"owner@corp.com"};
    auto start = std::chrono::steady_clock::now();
    auto t = thread_messages(in, opt);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    check_invariants(t, in.size());
    WARN("170000 messages threaded in " << secs << " s (this build)");
    CHECK(t.size() < conversations + conversations / 2);
    // Debug builds are several times slower than release; the bound catches a quadratic scan.
    CHECK(secs < 3.0);
}

TEST_CASE("a 30,000-message reply chain is linear, not quadratic", "[threading.perf]") {
    std::vector<ThreadInput> in;
    for (size_t i = 0; i < 30000; ++i) {
        ThreadInput m;
        m.message_id = "c" + std::to_string(i) + "@deep";
        m.date = static_cast<int64_t>(i);
        for (size_t a = i > 10 ? i - 10 : 0; a < i; ++a) m.references.push_back("c" + std::to_string(a) + "@deep");
        if (i) m.in_reply_to = {m.references.back()};
        in.push_back(std::move(m));
    }
    // Delivered newest first, so every message arrives as a placeholder's parent.
    std::reverse(in.begin(), in.end());
    auto start = std::chrono::steady_clock::now();
    auto t = thread_messages(in);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(t.size() == 1);
    CHECK(t[0].id == "c0@deep");
    CHECK(secs < 3.0);
}
