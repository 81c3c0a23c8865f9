#include "interlocutor/service/snapshot.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>
#include <stdexcept>

#include "interlocutor/detect/report.h"
#include "interlocutor/store/store.h"
#include "interlocutor/detect/mail_corpus.h"
#include "interlocutor/threading/threader.h"

// mimalloc, when the executable links it (CMake ILC_MIMALLOC): after a snapshot is built, the
// gigabytes the load and the analysis used go back to the system at once. mimalloc decommits
// freed memory only after a delay and only when the thread that freed it allocates again, which
// the idle thread that built the snapshot never does: without this, a service that keeps ~80 MB
// of data on 100k messages stays at ~220 MB resident. The symbols are weak: a build without
// mimalloc (or another allocator) calls nothing.
#if __has_include(<mimalloc.h>)
#include <mimalloc.h>
#pragma weak mi_collect
#pragma weak mi_option_get
#pragma weak mi_option_set
#pragma weak mi_stats_print
#pragma weak mi_heap_new
#pragma weak mi_heap_set_default
#pragma weak mi_heap_delete
#define ILC_SERVICE_MIMALLOC 1
#endif

namespace ilc::service {

std::string iso_utc(int64_t t) {
    if (t <= 0) return "";
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

bool has_cue(const detect::Mail& m, std::string_view family) { return detect::has_cue_family(m, family); }

// Identity::direction() of the Message the Mail came from: outbound when From is an owner address.
detect::Direction direction(const detect::Identity& id, const detect::Mail& m) {
    return id.is_owner(m.from.address) ? detect::Direction::outbound : detect::Direction::inbound;
}

// Identity::account_of is called for every address of every message by the indexes: the same
// few thousand addresses over and over, so each is worked out once per snapshot.
class AccountMemo {
public:
    explicit AccountMemo(const detect::Identity& id) : id_(id) {}
    // `address` must outlive the memo (the Mails' strings do: they live in their MailText).
    const std::string& operator()(std::string_view address) {
        auto it = memo_.find(address);
        if (it == memo_.end()) it = memo_.emplace(address, id_.account_of(address)).first;
        return it->second;
    }

private:
    const detect::Identity& id_;
    std::unordered_map<std::string_view, std::string> memo_;
};

// The threads are s.threads (filled before: the threader's vector is gone by then).
void build_indexes(Snapshot& s, const std::vector<detect::Mail>& msgs) {
    const ThreadTable& threads = s.threads;
    const auto& id = s.identity;
    const int min_group = s.settings.thresholds.all_in_copy_min_recipients;
    s.thread_info.resize(threads.size());
    const std::string owner = id.owners().empty() ? std::string() : id.person_key(id.owners().front());
    std::unordered_map<std::string, int64_t> rep_date_by_account;
    AccountMemo account_of(id);
    for (size_t ti = 0; ti < threads.size(); ++ti) {
        const auto members = threads.members(ti);
        ThreadInfo& info = s.thread_info[ti];
        if (!members.empty()) {
            info.subject = s.strings.add(msgs[members.front()].subject);
            info.first_date = msgs[members.front()].date;
        }
        std::map<std::string, int> account_hits;
        int64_t rep_date = INT64_MIN;
        std::string rep;
        for (size_t idx : members) {
            const detect::Mail& m = msgs[idx];
            s.messages.set_thread(idx, ti);
            info.last_date = std::max(info.last_date, m.date);
            // The rep: the internal person who wrote last, on the thread and on each account addressed.
            if (!m.automated && id.is_internal(m.from.address)) {
                const std::string who = id.person_key(m.from.address);
                if (m.date >= rep_date) rep_date = m.date, rep = who;
                if (!m.from.name.empty()) s.rep_names[who] = m.from.name;
                else s.rep_names.try_emplace(who, "");
                for (const auto* list : {&m.to, &m.cc})
                    for (const auto& mb : *list) {
                        const auto& acc = account_of(mb.address);
                        if (acc.empty()) continue;
                        auto [it, fresh] = rep_date_by_account.try_emplace(acc, m.date);
                        if (fresh || m.date >= it->second) it->second = m.date, s.rep_by_account[acc] = who;
                    }
            }
            const bool outbound = direction(id, m) == detect::Direction::outbound;
            if (!m.automated && has_cue(m, "recap")) info.last_recap = std::max(info.last_recap, m.date);
            if (outbound) {
                std::map<std::string, int> per_account;
                for (const auto* list : {&m.to, &m.cc})
                    for (const auto& mb : *list) {
                        const auto& acc = account_of(mb.address);
                        if (acc.empty()) continue;
                        ++per_account[acc];
                        ++account_hits[acc];
                    }
                for (const auto& [acc, n] : per_account)
                    if (n >= min_group) info.group = true;
                ++info.trailing_unanswered;
            } else if (!m.automated && !id.is_internal(m.from.address)) {
                info.trailing_unanswered = 0;
                ++account_hits[account_of(m.from.address)];
            }
            // Account activity: every external party of the message.
            for (const auto* list : {&m.to, &m.cc}) {
                for (const auto& mb : *list) {
                    const auto& acc = account_of(mb.address);
                    if (!acc.empty()) s.last_activity_by_account[acc] = std::max(s.last_activity_by_account[acc], m.date);
                }
            }
            const auto& facc = account_of(m.from.address);
            if (!facc.empty()) s.last_activity_by_account[facc] = std::max(s.last_activity_by_account[facc], m.date);
        }
        info.rep = s.strings.add(rep.empty() ? owner : rep);
        account_hits.erase("");
        int best = 0;
        const std::string* account = nullptr;
        for (const auto& [acc, n] : account_hits)
            if (n > best) best = n, account = &acc;
        if (account) info.account = s.strings.add(*account);
    }
    // Each account's weekly timeline: every non-automated dated message from the account
    // (inbound) or to it (outbound, once however many of its people are addressed).
    std::unordered_map<std::string, std::map<int64_t, std::pair<int, int>>> weeks;  // -> Monday -> (in, out)
    for (const auto& m : msgs) {
        if (m.automated || m.date <= 0) continue;
        const bool out = direction(id, m) == detect::Direction::outbound;
        const int64_t day = m.date / 86400;
        const int64_t monday = day - ((day % 7 + 7 + 3) % 7);  // 1970-01-01 was a Thursday
        auto count = [&](const std::string& acc) {
            auto& w = weeks[acc][monday];
            (out ? w.second : w.first)++;
        };
        if (!out) {
            if (const auto& acc = account_of(m.from.address); !acc.empty()) count(acc);
            continue;
        }
        std::vector<const std::string*> hit;
        for (const auto* list : {&m.to, &m.cc})
            for (const auto& mb : *list) {
                const auto& acc = account_of(mb.address);
                if (acc.empty() || std::any_of(hit.begin(), hit.end(), [&](auto* h) { return *h == acc; })) continue;
                hit.push_back(&acc);
                count(acc);
            }
    }
    for (auto& [acc, by_week] : weeks) {
        auto& v = s.timeline_by_account[acc];
        v.reserve(by_week.size());
        for (const auto& [monday, io] : by_week) v.push_back({monday, io.first, io.second});
    }
    // Accounts nobody internal wrote to (inbound only) are the owner's.
    if (!owner.empty()) {
        s.rep_names.try_emplace(owner, "");
        for (const auto& [acc, when] : s.last_activity_by_account) s.rep_by_account.try_emplace(acc, owner);
        for (const auto& a : s.result.accounts) s.rep_by_account.try_emplace(a.account, owner);
    }
    for (size_t i = 0; i < s.result.all_in_copy.size(); ++i) {
        const auto& f = s.result.all_in_copy[i];
        s.all_in_copy_by_account[f.account].push_back(i);
        s.all_in_copy_by_thread[f.thread_id] = i;
    }
    for (size_t i = 0; i < s.result.insists_on_cc.size(); ++i) s.insists_by_thread[s.result.insists_on_cc[i].thread_id].push_back(i);
    for (size_t i = 0; i < s.result.stakeholders.size(); ++i) s.stakeholders_by_account[s.result.stakeholders[i].account].push_back(i);
    for (const auto& f : s.result.stalled_deal) {
        auto& slot = s.stalled_by_account[f.account];
        if (!slot || slot->risk < f.risk) slot = &f;
    }
}

// A finding's date (the thread's latest message, else the account's) and its rep (the thread's,
// else the account's).
int64_t finding_date(const Snapshot& s, const Poco::JSON::Object& f) {
    if (f.has("thread_id")) {
        const long t = s.threads.find(f.getValue<std::string>("thread_id"));
        if (t >= 0) return s.thread_info[static_cast<size_t>(t)].last_date;
    }
    if (f.has("account")) {
        auto it = s.last_activity_by_account.find(f.getValue<std::string>("account"));
        if (it != s.last_activity_by_account.end()) return it->second;
    }
    return 0;
}

std::string finding_rep(const Snapshot& s, const Poco::JSON::Object& f) {
    if (f.has("thread_id") && f.get("thread_id").isString()) {
        std::string r = s.rep_of_thread(f.getValue<std::string>("thread_id"));
        if (!r.empty()) return r;
    }
    if (f.has("account") && f.get("account").isString()) return s.rep_of_account(f.getValue<std::string>("account"));
    return "";
}

// The text of each object of the top-level "findings" array of an analyze JSON document, in
// order: each is parsed on its own, so the whole document never becomes a tree of Poco values.
std::vector<std::string_view> finding_texts(std::string_view json) {
    std::vector<std::string_view> out;
    int depth = 0;
    bool in_string = false, escaped = false, in_findings = false;
    size_t string_start = 0, object_start = 0;
    std::string_view last_string;  // the last string seen at the top level (a key or a value)
    for (size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') {
                in_string = false;
                if (depth == 1) last_string = json.substr(string_start, i - string_start);
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            string_start = i + 1;
        } else if (c == '{' || c == '[') {
            ++depth;
            if (c == '[' && depth == 2 && last_string == "findings") in_findings = true;
            else if (c == '{' && in_findings && depth == 3) object_start = i;
        } else if (c == '}' || c == ']') {
            if (c == '}' && in_findings && depth == 3) out.push_back(json.substr(object_start, i + 1 - object_start));
            if (c == ']' && in_findings && depth == 2) in_findings = false;
            --depth;
        }
    }
    return out;
}

// The findings of an analysis, each serialized once with the service's fields. The analyze JSON
// contract is the one source of the finding fields: each is parsed from it, keeping the order.
std::shared_ptr<const FindingsIndex> index_findings(const Snapshot& snap, const detect::AnalysisResult& result) {
    const std::string analysis_json = detect::to_json(result);
    const auto texts = finding_texts(analysis_json);
    auto index = std::make_shared<FindingsIndex>();
    index->all.reserve(texts.size());
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    std::ostringstream os;
    for (auto text : texts) {
        parser.reset();
        auto f = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
        IndexedFinding x;
        const long kind = finding_kind(f->getValue<std::string>("kind"));
        if (kind < 0) throw std::runtime_error("unknown finding kind " + f->getValue<std::string>("kind"));
        x.kind = static_cast<uint8_t>(kind);
        if (f->has("account") && f->get("account").isString()) x.account = index->names.add(f->getValue<std::string>("account"));
        // ?sort=: stalled deals by risk, the awaiting findings by business days waited.
        for (const char* key : {"risk", "waiting_business_days"})
            if (f->has(key) && f->get(key).isInteger()) x.rank = f->getValue<int32_t>(key);
        x.last_activity = finding_date(snap, *f);
        f->set("last_activity", iso_utc(x.last_activity));
        const std::string rep = finding_rep(snap, *f);
        x.rep = index->names.add(rep);
        f->set("rep", rep);
        auto name = snap.rep_names.find(rep);
        f->set("rep_name", name == snap.rep_names.end() ? std::string() : name->second);
        // The thread's subject, so that a list of findings says what each is about.
        if (!f->has("subject") && f->has("thread_id") && f->get("thread_id").isString()) {
            const long t = snap.threads.find(f->getValue<std::string>("thread_id"));
            if (t >= 0 && !snap.threads.members(static_cast<size_t>(t)).empty())
                f->set("subject", snap.strings.str(snap.thread_info[static_cast<size_t>(t)].subject));
        }
        os.str(std::string());
        f->stringify(os);
        index->add(x, os.view());
    }
    index->finish();
    return index;
}

// The facts GET /v1/message shows of each thread's first awaiting_reply finding, else its first
// awaiting_my_reply one, as it used to find them in result's lists (the first of the thread).
void index_awaiting(Snapshot& s) {
    auto date_of = [&](const std::string& message_id) -> int64_t {
        const long i = s.messages.find(message_id);
        return i < 0 || s.messages.thread(static_cast<size_t>(i)) < 0 ? 0 : s.messages.date(static_cast<size_t>(i));
    };
    std::vector<AwaitingFact> facts;
    std::vector<char> done(s.threads.size(), 0);
    for (const auto& f : s.result.awaiting_reply) {
        const long t = s.threads.find(f.thread_id);
        if (t < 0 || done[static_cast<size_t>(t)]) continue;
        done[static_cast<size_t>(t)] = 1;
        AwaitingFact x;
        x.thread = static_cast<uint32_t>(t);
        x.theirs = true;
        x.over_chasing = f.over_chasing;
        x.business_days = f.waiting_business_days;
        x.unanswered = f.unanswered_count;
        x.since = date_of(f.first_unanswered);
        x.next_follow_up = s.strings.add(f.next_follow_up);
        facts.push_back(x);
    }
    for (const auto& f : s.result.awaiting_my_reply) {
        const long t = s.threads.find(f.thread_id);
        if (t < 0 || done[static_cast<size_t>(t)]) continue;
        done[static_cast<size_t>(t)] = 1;
        AwaitingFact x;
        x.thread = static_cast<uint32_t>(t);
        x.theirs = false;
        x.business_days = f.waiting_business_days;
        x.since = date_of(f.message_id);
        facts.push_back(x);
    }
    std::sort(facts.begin(), facts.end(), [](const AwaitingFact& a, const AwaitingFact& b) { return a.thread < b.thread; });
    s.awaiting = std::move(facts);
}

// While one lives, the calling thread allocates from fresh pages (a new mimalloc heap made its
// default); when it goes, they join the thread's default heap where they are (mi_heap_delete
// moves pages, copies nothing). Nothing happens with another allocator: active() is false.
class FreshPages {
public:
    FreshPages() {
#ifdef ILC_SERVICE_MIMALLOC
        if (mi_heap_new && mi_heap_set_default && mi_heap_delete && (heap_ = mi_heap_new())) previous_ = mi_heap_set_default(heap_);
#endif
    }
    ~FreshPages() {
#ifdef ILC_SERVICE_MIMALLOC
        if (heap_) {
            mi_heap_set_default(previous_);
            mi_heap_delete(heap_);
        }
#endif
    }
    FreshPages(const FreshPages&) = delete;
    FreshPages& operator=(const FreshPages&) = delete;
    bool active() const { return heap_ != nullptr; }

private:
#ifdef ILC_SERVICE_MIMALLOC
    mi_heap_t* heap_ = nullptr;
    mi_heap_t* previous_ = nullptr;
#else
    void* heap_ = nullptr;
#endif
};

// The snapshot's long-lived small objects (the analysis result without its awaiting lists, the
// maps by account and by thread) copied into pages of their own once the load is freed. Made
// during the analysis, they sat scattered among the gigabytes of freed message pages, each block
// keeping its page resident: on 1M messages ~20 MB of them held ~100 MB (bench/SERVICE.md).
void compact_small_objects(Snapshot& s) {
    FreshPages fresh;
    if (!fresh.active()) return;
    auto copy = [](auto& x) {
        auto c = x;         // allocated in the fresh pages
        x = std::move(c);   // the scattered original is freed
    };
    copy(s.result);
    copy(s.settings);
    copy(s.all_in_copy_by_account);
    copy(s.all_in_copy_by_thread);
    copy(s.insists_by_thread);
    copy(s.stakeholders_by_account);
    copy(s.last_activity_by_account);
    copy(s.timeline_by_account);
    copy(s.rep_by_account);
    copy(s.rep_names);
    // Pointers into result.stalled_deal, which moved: made again.
    std::unordered_map<std::string, const detect::StalledDeal*> stalled;
    for (const auto& f : s.result.stalled_deal) {
        auto& slot = stalled[f.account];
        if (!slot || slot->risk < f.risk) slot = &f;
    }
    s.stalled_by_account = std::move(stalled);
}

}  // namespace

namespace {
std::mutex release_mu;
int release_depth = 0;
[[maybe_unused]] long saved_delay = 0, saved_segment_delay = 0;
}  // namespace

ReleaseFreedMemory::ReleaseFreedMemory() {
#if defined(ILC_SERVICE_MIMALLOC) && MI_MALLOC_VERSION < 210
    if (!mi_collect || !mi_option_get || !mi_option_set) return;
    std::lock_guard lk(release_mu);
    if (release_depth++ == 0) {
        saved_delay = mi_option_get(mi_option_decommit_delay);
        saved_segment_delay = mi_option_get(mi_option_segment_decommit_delay);
        mi_option_set(mi_option_decommit_delay, 0);
        mi_option_set(mi_option_segment_decommit_delay, 0);
    }
#endif
}

ReleaseFreedMemory::~ReleaseFreedMemory() {
#if defined(ILC_SERVICE_MIMALLOC) && MI_MALLOC_VERSION < 210
    if (!mi_collect || !mi_option_get || !mi_option_set) return;
    mi_collect(true);
    std::lock_guard lk(release_mu);
    if (--release_depth == 0) {
        mi_option_set(mi_option_decommit_delay, saved_delay);
        mi_option_set(mi_option_segment_decommit_delay, saved_segment_delay);
    }
#elif defined(ILC_SERVICE_MIMALLOC)
    if (mi_collect) mi_collect(true);  // mimalloc >= 2.1 purges on a forced collection
#endif
}

void MessageIndex::reserve(size_t messages, size_t id_bytes) {
    ids_.reserve(id_bytes);
    start_.reserve(messages + 1);
    date_.reserve(messages);
    thread_.reserve(messages);
}

void MessageIndex::add(std::string_view message_id, int64_t date) {
    ids_.append(message_id);
    if (ids_.size() > UINT32_MAX) throw std::length_error("more than 4 GB of Message-IDs in one snapshot");
    start_.push_back(static_cast<uint32_t>(ids_.size()));
    date_.push_back(date);
    thread_.push_back(kNone);
}

void MessageIndex::set_thread(size_t message, size_t thread) { thread_[message] = static_cast<uint32_t>(thread); }

void MessageIndex::finish() {
    by_id_.resize(size());
    for (size_t i = 0; i < by_id_.size(); ++i) by_id_[i] = static_cast<uint32_t>(i);
    std::stable_sort(by_id_.begin(), by_id_.end(), [&](uint32_t a, uint32_t b) { return id(a) < id(b); });
}

long MessageIndex::find(std::string_view message_id) const {
    if (message_id.empty()) return -1;
    auto it = std::lower_bound(by_id_.begin(), by_id_.end(), message_id,
                               [&](uint32_t i, std::string_view want) { return id(i) < want; });
    return it != by_id_.end() && id(*it) == message_id ? static_cast<long>(*it) : -1;
}

uint32_t StringPool::add(std::string_view s) {
    auto [it, fresh] = building_.try_emplace(std::string(s), static_cast<uint32_t>(size()));
    if (fresh) {
        chars_.append(s);
        start_.push_back(static_cast<uint32_t>(chars_.size()));
    }
    return it->second;
}

void StringPool::finish() {
    std::unordered_map<std::string, uint32_t>().swap(building_);
    chars_.shrink_to_fit();
    start_.shrink_to_fit();
    sorted_.resize(size());
    for (size_t i = 0; i < sorted_.size(); ++i) sorted_[i] = static_cast<uint32_t>(i);
    std::sort(sorted_.begin(), sorted_.end(), [&](uint32_t a, uint32_t b) { return (*this)[a] < (*this)[b]; });
}

long StringPool::find(std::string_view s) const {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), s, [&](uint32_t i, std::string_view want) { return (*this)[i] < want; });
    return it != sorted_.end() && (*this)[*it] == s ? static_cast<long>(*it) : -1;
}

size_t StringPool::bytes() const {
    return chars_.capacity() + (start_.capacity() + sorted_.capacity()) * sizeof(uint32_t);
}

void ThreadTable::reserve(size_t threads, size_t members, size_t id_bytes) {
    ids_.reserve(id_bytes);
    id_start_.reserve(threads + 1);
    member_start_.reserve(threads + 1);
    members_.reserve(members);
    parents_.reserve(members);
}

void ThreadTable::add(const Thread& t) {
    ids_.append(t.id);
    id_start_.push_back(static_cast<uint32_t>(ids_.size()));
    for (size_t m : t.members) members_.push_back(static_cast<uint32_t>(m));
    for (int p : t.parent) parents_.push_back(static_cast<int32_t>(p));
    parents_.resize(members_.size(), -1);  // parent is parallel to members (kept so if it ever is not)
    member_start_.push_back(static_cast<uint32_t>(members_.size()));
}

void ThreadTable::finish() {
    by_id_.resize(size());
    for (size_t i = 0; i < by_id_.size(); ++i) by_id_[i] = static_cast<uint32_t>(i);
    // Stable, so that among threads of one id (the threader should not make them) find() gives
    // the last, as the hash map by id this replaces did.
    std::stable_sort(by_id_.begin(), by_id_.end(), [&](uint32_t a, uint32_t b) { return id(a) < id(b); });
}

long ThreadTable::find(std::string_view thread_id) const {
    auto it = std::upper_bound(by_id_.begin(), by_id_.end(), thread_id,
                               [&](std::string_view want, uint32_t i) { return want < id(i); });
    if (it == by_id_.begin()) return -1;
    --it;
    return id(*it) == thread_id ? static_cast<long>(*it) : -1;
}

std::vector<Thread> ThreadTable::to_threads() const {
    std::vector<Thread> out(size());
    for (size_t t = 0; t < out.size(); ++t) {
        out[t].id = std::string(id(t));
        const auto m = members(t);
        const auto p = parents(t);
        out[t].members.assign(m.begin(), m.end());
        out[t].parent.assign(p.begin(), p.end());
    }
    return out;
}

size_t ThreadTable::bytes() const {
    return ids_.capacity() + (id_start_.capacity() + member_start_.capacity() + members_.capacity() + by_id_.capacity()) * 4 +
           parents_.capacity() * 4;
}

long finding_kind(std::string_view kind) {
    for (size_t k = 0; k < kKindCount; ++k)
        if (kind == kFindingKinds[k]) return static_cast<long>(k);
    return -1;
}

void FindingsIndex::add(IndexedFinding f, std::string_view json) {
    f.json_start = json_.size();
    f.json_size = static_cast<uint32_t>(json.size());
    json_.append(json);
    const auto at = static_cast<uint32_t>(all.size());
    if (f.account) by_account[f.account].push_back(at);
    by_kind[f.kind].push_back(at);
    all.push_back(f);
}

bool FindingsIndex::has_rank(const IndexedFinding& f, bool risk) {
    if (f.rank == INT32_MIN) return false;
    const std::string_view k = kFindingKinds[f.kind];
    return risk ? k == "stalled_deal" : (k == "awaiting_reply" || k == "awaiting_my_reply");
}

void FindingsIndex::finish() {
    json_.shrink_to_fit();
    all.shrink_to_fit();
    names.finish();
    for (const bool risk : {true, false}) {
        auto& order = risk ? by_risk : by_waiting;
        order.resize(all.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
        std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
            const bool ha = has_rank(all[a], risk), hb = has_rank(all[b], risk);
            if (ha != hb) return ha;
            return ha && all[a].rank > all[b].rank;
        });
    }
}

size_t FindingsIndex::bytes() const {
    size_t n = json_.capacity() + all.capacity() * sizeof(IndexedFinding) + names.bytes();
    for (const auto& [a, v] : by_account) n += v.capacity() * 4 + 64;
    for (const auto& v : by_kind) n += v.capacity() * 4;
    return n + (by_risk.capacity() + by_waiting.capacity()) * 4;
}

long Snapshot::thread_of(std::string_view message_id) const {
    const long i = messages.find(message_id);
    return i < 0 ? -1 : messages.thread(static_cast<size_t>(i));
}

namespace {
// ILC_SERVE_MEMORY=1: the process's resident and peak memory after each step of the load, on
// stderr (where the start-up peak is: bench/SERVICE.md).
void report_step(const char* step) {
    static const bool on = [] { const char* m = std::getenv("ILC_SERVE_MEMORY"); return m && *m == '1'; }();
    if (!on) return;
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    long rss = 0, hwm = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "VmRSS: %ld", &rss) == 1) continue;
        std::sscanf(line, "VmHWM: %ld", &hwm);
    }
    std::fclose(f);
    std::fprintf(stderr, "serve load: %-12s rss %4ld MB, peak %4ld MB\n", step, rss / 1024, hwm / 1024);
}
}  // namespace

Result<std::shared_ptr<const Snapshot>> load_snapshot(const SnapshotOptions& opts) {
    // A store of an older schema version (after a package upgrade) is upgraded once, here.
    auto st = store::Store::open_for_reading(opts.db_path, 600, [](const std::string& what) {
        std::fprintf(stderr, "interlocutor serve: %s\n", what.c_str());
    });
    if (!st) {
        Error e = st.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    auto snap = std::make_shared<Snapshot>();
    snap->db_path = opts.db_path;
    // The settings first: the first per-message step skips what they leave unread (MailMaker).
    auto owners = st.value()->owner_addresses();
    if (!owners) return owners.error();
    auto internal = st.value()->internal_domains();
    if (!internal) return internal.error();
    snap->settings = opts.settings;
    if (snap->settings.owners.empty()) snap->settings.owners = owners.value();
    if (snap->settings.internal_domains.empty()) snap->settings.internal_domains = internal.value();
    if (snap->settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown",
                     "ingest a sent folder, or pass --me ADDRESS to ingest or serve"};
    detect::MailMaker make_mail(&snap->settings);
    // The messages as slim analysis records (detect::Mail) and their threading headers, converted batch
    // by batch as the store is read: the whole Messages were 2.5 GB at the start-up peak on 1M.
    detect::MailCorpus corpus(std::move(make_mail));
    auto scanned = st.value()->scan_messages(store::LoadOptions::for_analysis(),
                                             [&](std::vector<Message>& batch, size_t total) { corpus.add(batch, total); });
    if (!scanned.ok()) return scanned.error();
    st.value().reset();  // release the read transaction and the file before the long analysis
    report_step("scanned");

    // As the threader returns them, until the flat table is built. The threading headers, which
    // no detector reads, go once the threads are built.
    threading::ThreadingOptions topts;
    topts.owner_addresses = snap->settings.owners;
    std::vector<Thread> threads;
    {
        // What the threader and the headers held goes back to the system before the analysis
        // starts, instead of under its peak.
        ReleaseFreedMemory release;
        threads = corpus.thread(topts);
    }
    report_step("threaded");
    std::vector<detect::Mail>& messages = corpus.mails;

    snap->now = snap->settings.now ? snap->settings.now : static_cast<int64_t>(std::time(nullptr));
    snap->identity = detect::Identity::from_settings(snap->settings);
    snap->result = detect::analyze(messages, threads, snap->settings);
    report_step("analyzed");
    snap->loaded_at = static_cast<int64_t>(std::time(nullptr));
    {
        // The threads into flat arrays (ThreadTable) now: the threader's vector (~60 MB at 1M)
        // goes before the indexes below are allocated, not after.
        size_t members = 0, thread_id_bytes = 0;
        for (const auto& t : threads) members += t.members.size(), thread_id_bytes += t.id.size();
        snap->threads.reserve(threads.size(), members, thread_id_bytes);
        for (const auto& t : threads) snap->threads.add(t);
        std::vector<Thread>().swap(threads);
        snap->threads.finish();
    }

    size_t id_bytes = 0;
    for (const auto& m : messages) id_bytes += m.message_id.size();
    snap->messages.reserve(messages.size(), id_bytes);
    for (const auto& m : messages) {
        snap->messages.add(m.message_id, m.date);
        snap->max_rowid = std::max(snap->max_rowid, m.rowid);
    }
    build_indexes(*snap, messages);
    snap->messages.finish();
    report_step("indexed");
    {
        ReleaseFreedMemory release;
        corpus.release();  // the Mails and the text their strings are in
        for (const auto& f : snap->result.all_in_copy)
            if (const long t = snap->threads.find(f.thread_id); t >= 0) snap->thread_info[static_cast<size_t>(t)].group = true;
        snap->findings = index_findings(*snap, snap->result);
        // GET /v1/message's facts of the awaiting findings, then their lists go (see AwaitingFact).
        index_awaiting(*snap);
        snap->strings.finish();
        snap->awaiting_reply_count = snap->result.awaiting_reply.size();
        snap->awaiting_my_reply_count = snap->result.awaiting_my_reply.size();
        std::vector<detect::AwaitingReply>().swap(snap->result.awaiting_reply);
        std::vector<detect::AwaitingMyReply>().swap(snap->result.awaiting_my_reply);
        compact_small_objects(*snap);
    }
    report_step("done");
    // ILC_SERVE_MEMORY=1: what the snapshot holds, and the allocator's view, on stderr (bench/SERVICE.md).
    if (const char* m = std::getenv("ILC_SERVE_MEMORY"); m && *m == '1') {
        std::fprintf(stderr, "serve snapshot: %s\n", snap->memory_report().c_str());
#ifdef ILC_SERVICE_MIMALLOC
        if (mi_stats_print) mi_stats_print(nullptr);
#endif
    }
    return std::shared_ptr<const Snapshot>(std::move(snap));
}

Result<std::vector<Message>> Snapshot::load_messages() const {
    auto st = store::Store::open(db_path, store::OpenMode::read_only);
    if (!st) return st.error();
    // As the snapshot used to keep them: every column, texts without the quoted part.
    auto msgs = st.value()->load_messages(store::LoadOptions{/*with_text=*/true, /*with_quoted=*/false});
    if (!msgs) return msgs.error();
    std::vector<Message> out = std::move(msgs.value());
    std::erase_if(out, [&](const Message& m) { return m.rowid > max_rowid; });
    bool same = out.size() == messages.size();
    for (size_t i = 0; same && i < out.size(); ++i) same = out[i].message_id == messages.id(i);
    if (!same)
        return Error{ErrorCode::db, "the store no longer holds the messages of the loaded snapshot",
                     "retry in a few seconds: the service reloads the store when it changes"};
    return out;
}

Result<std::optional<Message>> Snapshot::load_message(const std::string& message_id) const {
    auto st = store::Store::open(db_path, store::OpenMode::read_only);
    if (!st) return st.error();
    return st.value()->find_message(message_id);
}

namespace {

// The snapshot's messages read back from the store as analysis records, read and checked as
// Snapshot::load_messages() does (every column, so the analysis is the one it made on those
// Messages), but converted batch by batch: the whole Messages of a 1M store were ~3.8 GB at the
// peak of the first request in another language.
// The Mails' strings are in `text`, which must outlive them.
struct LoadedMails {
    std::vector<detect::Mail> mails;
    std::shared_ptr<detect::MailText> text;
};
Result<LoadedMails> load_mails(const Snapshot& s) {
    auto st = store::Store::open(s.db_path, store::OpenMode::read_only);
    if (!st) return st.error();
    std::vector<detect::Mail> out;
    detect::MailMaker make_mail(&s.settings);  // the snapshot's owners and domains
    bool same = true;
    auto scanned = st.value()->scan_messages(store::LoadOptions{/*with_text=*/true, /*with_quoted=*/false},
                                             [&](std::vector<Message>& batch, size_t total) {
                                                 if (out.empty()) out.reserve(std::min(total, s.messages.size()));
                                                 for (auto& m : batch) {
                                                     if (m.rowid > s.max_rowid) continue;  // stored after the snapshot
                                                     if (out.size() >= s.messages.size() ||
                                                         m.message_id != s.messages.id(out.size())) {
                                                         same = false;
                                                         continue;
                                                     }
                                                     out.push_back(make_mail(std::move(m)));
                                                 }
                                             });
    if (!scanned.ok()) return scanned.error();
    if (!same || out.size() != s.messages.size())
        return Error{ErrorCode::db, "the store no longer holds the messages of the loaded snapshot",
                     "retry in a few seconds: the service reloads the store when it changes"};
    return LoadedMails{std::move(out), make_mail.text()};
}

}  // namespace

const detect::AnalysisResult& Snapshot::result_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return result;
    std::lock_guard lk(languages->mu);
    auto& slot = languages->results[lang];
    if (!slot) {
        // Same messages, threads and settings: the detectors find the same things in the same
        // order, and only write their texts in the other language.
        auto msgs = load_mails(*this);
        if (!msgs) throw std::runtime_error("the analysis in '" + lang + "': " + msgs.error().to_string());
        detect::AnalysisSettings other = settings;
        other.lang = lang;
        other.now = now;  // the same instant as the snapshot's own analysis, not the clock's
        auto r = std::make_unique<detect::AnalysisResult>(detect::analyze(msgs->mails, threads.to_threads(), other));
        ReleaseFreedMemory release;
        msgs.value() = LoadedMails();
        languages->findings[lang] = index_findings(*this, *r);
        // Of the other language's result only the stalled deals are read again (their texts, by
        // stalled_in in the service): the rest is in its findings index already.
        auto kept = std::make_unique<detect::AnalysisResult>();
        kept->lang = r->lang;
        kept->stalled_deal = std::move(r->stalled_deal);
        r.reset();
        slot = std::move(kept);
    }
    return *slot;
}

std::shared_ptr<const FindingsIndex> Snapshot::findings_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return findings;
    result_in(lang);
    std::lock_guard lk(languages->mu);
    return languages->findings[lang];
}

const AwaitingFact* Snapshot::awaiting_of(size_t thread) const {
    auto it = std::lower_bound(awaiting.begin(), awaiting.end(), thread, [](const AwaitingFact& a, size_t t) { return a.thread < t; });
    return it != awaiting.end() && it->thread == thread ? &*it : nullptr;
}

detect::AnalysisResult Snapshot::full_result(const std::vector<Message>& msgs) const {
    detect::AnalysisSettings same = settings;
    same.now = now;  // the snapshot's instant, not the clock's
    return detect::analyze(msgs, threads.to_threads(), same);
}

Result<Snapshot::DigestInput> Snapshot::load_digest_input() const {
    auto mails = load_mails(*this);  // read and checked as load_messages() does
    if (!mails) return mails.error();
    DigestInput in;
    detect::AnalysisSettings same = settings;
    same.now = now;  // the snapshot's instant, not the clock's
    // analyze() on the Mails gives what it gives on the Messages (detect::MailMaker).
    in.analysis = detect::analyze(mails->mails, threads.to_threads(), same);
    in.mails = std::move(mails->mails);
    in.text = std::move(mails->text);
    return in;
}

Status Snapshot::load_digest_texts(std::vector<Message>& messages, const std::vector<size_t>& which) const {
    if (which.empty()) return ok_status();
    auto st = store::Store::open(db_path, store::OpenMode::read_only);
    if (!st) return st.error();
    for (size_t i : which) {
        Message& m = messages[i];
        auto full = st.value()->find_message(m.message_id);
        if (!full) return full.error();
        if (!full.value() || full.value()->rowid != m.rowid)
            return Error{ErrorCode::db, "the store no longer holds the messages of the loaded snapshot",
                         "retry in a few seconds: the service reloads the store when it changes"};
        m.new_text = std::move(full.value()->new_text);
        m.cues = std::move(full.value()->cues);
    }
    return ok_status();
}

std::string Snapshot::rep_of_thread(std::string_view thread_id) const {
    const long t = threads.find(thread_id);
    return t < 0 ? std::string() : strings.str(thread_info[static_cast<size_t>(t)].rep);
}

std::string Snapshot::memory_report() const {
    // Capacities of the flat structures; the maps by account are estimated per entry (a node,
    // its key and the bucket: ~100 bytes). The analysis result is counted by its findings' texts.
    auto mb = [](size_t b) { return std::to_string((b + 512 * 1024) / (1024 * 1024)); };
    size_t result_bytes = 0;
    auto str = [](const std::string& x) { return sizeof(std::string) + (x.capacity() > 15 ? x.capacity() + 1 : 0); };
    auto strs = [&](const std::vector<std::string>& v) { size_t n = sizeof v; for (const auto& x : v) n += str(x); return n; };
    result_bytes += awaiting.capacity() * sizeof(AwaitingFact);
    for (const auto& f : result.awaiting_reply)
        result_bytes += sizeof f + str(f.thread_id) + str(f.message_id) + str(f.first_unanswered) + str(f.next_follow_up) +
                        str(f.account) + strs(f.recipients) + str(f.suggestion) - 7 * sizeof(std::string) - sizeof(std::vector<std::string>);
    for (const auto& f : result.awaiting_my_reply)
        result_bytes += sizeof f + str(f.thread_id) + str(f.message_id) + str(f.account) + str(f.from) + str(f.subject) +
                        str(f.suggestion) - 6 * sizeof(std::string);
    result_bytes += result.stakeholders.size() * (sizeof(detect::Stakeholder) + 150) + result.all_in_copy.size() * 1000 +
                    result.insists_on_cc.size() * 400 + result.stalled_deal.size() * 800 + result.accounts.size() * 150;
    size_t maps = (last_activity_by_account.size() + rep_by_account.size() + stakeholders_by_account.size() +
                   timeline_by_account.size() + stalled_by_account.size() + all_in_copy_by_account.size() +
                   all_in_copy_by_thread.size() + insists_by_thread.size() + rep_names.size()) * 100;
    for (const auto& [a, v] : timeline_by_account) maps += v.capacity() * sizeof(WeekCount);
    return "messages=" + mb(messages.bytes()) + "MB threads=" + mb(threads.bytes()) + "MB thread_info=" +
           mb(thread_info.capacity() * sizeof(ThreadInfo)) + "MB strings=" + mb(strings.bytes()) + "MB (" +
           std::to_string(strings.size()) + ") findings=" + mb(findings ? findings->bytes() : 0) + "MB result~" +
           mb(result_bytes) + "MB maps~" + mb(maps) + "MB";
}

std::string Snapshot::rep_of_account(const std::string& account) const {
    auto it = rep_by_account.find(account);
    return it == rep_by_account.end() ? std::string() : it->second;
}

SnapshotCache::SnapshotCache(SnapshotOptions opts) : opts_(std::move(opts)) {}

Result<std::unique_ptr<SnapshotCache>> SnapshotCache::open(const SnapshotOptions& opts) {
    std::unique_ptr<SnapshotCache> c(new SnapshotCache(opts));
    auto s = load_snapshot(opts);
    if (!s) return s.error();
    // Taken after the first load: opening the store may create its -wal file.
    c->stamp_ = c->stamp();
    c->current_ = s.value();
    c->watcher_ = std::thread([p = c.get()] { p->watch(); });
    return c;
}

SnapshotCache::~SnapshotCache() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const Snapshot> SnapshotCache::get() const {
    std::lock_guard lk(mu_);
    return current_;
}

std::string SnapshotCache::last_error() const {
    std::lock_guard lk(mu_);
    return last_error_;
}

// The database and its WAL: a commit changes the WAL's size or mtime, a checkpoint the main file's.
std::string SnapshotCache::stamp() const {
    std::string out;
    for (const std::string& p : {opts_.db_path, opts_.db_path + "-wal"}) {
        struct stat sb {};
        if (::stat(p.c_str(), &sb) == 0)
            out += std::to_string(sb.st_size) + ":" + std::to_string(sb.st_mtim.tv_sec) + "." +
                   std::to_string(sb.st_mtim.tv_nsec) + ";";
        else
            out += "-;";
    }
    return out;
}

void SnapshotCache::watch() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
        cv_.wait_for(lk, std::chrono::seconds(1));
        if (stopping_) break;
        std::string now_stamp = stamp();
        if (now_stamp == stamp_) continue;
        lk.unlock();
        auto s = load_snapshot(opts_);
        lk.lock();
        stamp_ = now_stamp;
        if (s) {
            current_ = s.value();
            last_error_.clear();
            ++reloads_;
        } else {
            last_error_ = s.error().to_string();
        }
    }
}

}  // namespace ilc::service
