#include "interlocutor/service/snapshot.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <ctime>
#include <map>
#include <sstream>
#include <stdexcept>

#include "interlocutor/detect/report.h"
#include "interlocutor/store/store.h"
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
#define ILC_SERVICE_MIMALLOC 1
#endif

namespace ilc::service {

namespace {

bool has_cue(const Message& m, std::string_view family) {
    for (const auto& c : m.cues)
        if (c.family == family) return true;
    return false;
}

std::string iso_utc(int64_t t) {
    if (t <= 0) return "";
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Identity::account_of is called for every address of every message by the indexes: the same
// few thousand addresses over and over, so each is worked out once per snapshot.
class AccountMemo {
public:
    explicit AccountMemo(const detect::Identity& id) : id_(id) {}
    const std::string& operator()(const std::string& address) {
        auto it = memo_.find(address);
        if (it == memo_.end()) it = memo_.emplace(address, id_.account_of(address)).first;
        return it->second;
    }

private:
    const detect::Identity& id_;
    std::unordered_map<std::string, std::string> memo_;
};

void build_indexes(Snapshot& s, const std::vector<Message>& msgs) {
    const auto& id = s.identity;
    const int min_group = s.settings.thresholds.all_in_copy_min_recipients;
    s.thread_info.resize(s.threads.size());
    const std::string owner = id.owners().empty() ? std::string() : id.person_key(id.owners().front());
    std::unordered_map<std::string, int64_t> rep_date_by_account;
    AccountMemo account_of(id);
    for (size_t ti = 0; ti < s.threads.size(); ++ti) {
        const Thread& t = s.threads[ti];
        s.thread_by_id[t.id] = ti;
        ThreadInfo& info = s.thread_info[ti];
        if (!t.members.empty()) {
            info.subject = msgs[t.members.front()].subject;
            info.first_date = msgs[t.members.front()].date;
        }
        std::map<std::string, int> account_hits;
        int64_t rep_date = INT64_MIN;
        for (size_t idx : t.members) {
            const Message& m = msgs[idx];
            s.messages.set_thread(idx, ti);
            info.last_date = std::max(info.last_date, m.date);
            // The rep: the internal person who wrote last, on the thread and on each account addressed.
            if (!m.automated && id.is_internal(m.from.address)) {
                const std::string who = id.person_key(m.from.address);
                if (m.date >= rep_date) rep_date = m.date, info.rep = who;
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
            const bool outbound = id.direction(m) == detect::Direction::outbound;
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
        if (info.rep.empty()) info.rep = owner;
        account_hits.erase("");
        int best = 0;
        for (const auto& [acc, n] : account_hits)
            if (n > best) best = n, info.account = acc;
    }
    // Each account's weekly timeline: every non-automated dated message from the account
    // (inbound) or to it (outbound, once however many of its people are addressed).
    std::unordered_map<std::string, std::map<int64_t, std::pair<int, int>>> weeks;  // -> Monday -> (in, out)
    for (const auto& m : msgs) {
        if (m.automated || m.date <= 0) continue;
        const bool out = id.direction(m) == detect::Direction::outbound;
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
        auto it = s.thread_by_id.find(f.thread_id);
        if (it != s.thread_by_id.end()) s.thread_info[it->second].group = true;
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
        auto it = s.thread_by_id.find(f.getValue<std::string>("thread_id"));
        if (it != s.thread_by_id.end()) return s.thread_info[it->second].last_date;
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
    for (auto text : texts) {
        parser.reset();
        auto f = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
        IndexedFinding x;
        x.kind = f->getValue<std::string>("kind");
        x.account = f->has("account") && f->get("account").isString() ? f->getValue<std::string>("account") : "";
        x.last_activity = finding_date(snap, *f);
        f->set("last_activity", iso_utc(x.last_activity));
        x.rep = finding_rep(snap, *f);
        f->set("rep", x.rep);
        auto name = snap.rep_names.find(x.rep);
        f->set("rep_name", name == snap.rep_names.end() ? std::string() : name->second);
        // The thread's subject, so that a list of findings says what each is about.
        if (!f->has("subject") && f->has("thread_id") && f->get("thread_id").isString()) {
            auto t = snap.thread_by_id.find(f->getValue<std::string>("thread_id"));
            if (t != snap.thread_by_id.end() && !snap.threads[t->second].members.empty())
                f->set("subject", snap.thread_info[t->second].subject);
        }
        std::ostringstream os;
        f->stringify(os);
        x.json = os.str();
        const auto at = static_cast<uint32_t>(index->all.size());
        if (!x.account.empty()) index->by_account[x.account].push_back(at);
        index->by_kind[x.kind].push_back(at);
        index->all.push_back(std::move(x));
    }
    return index;
}

// What a snapshot loads: the detectors' columns, texts without the quoted part (as `analyze`).
store::LoadOptions analysis_load_options() {
    store::LoadOptions lo;
    lo.with_text = true;
    lo.with_quoted = false;
    lo.detector_columns_only = true;
    return lo;
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
    start_.push_back(ids_.size());
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

long Snapshot::thread_of(std::string_view message_id) const {
    const long i = messages.find(message_id);
    return i < 0 ? -1 : messages.thread(static_cast<size_t>(i));
}

Result<std::shared_ptr<const Snapshot>> load_snapshot(const SnapshotOptions& opts) {
    auto st = store::Store::open(opts.db_path, store::OpenMode::read_only);
    if (!st) {
        Error e = st.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    auto snap = std::make_shared<Snapshot>();
    snap->db_path = opts.db_path;
    auto msgs = st.value()->load_messages(analysis_load_options());
    if (!msgs) return msgs.error();
    std::vector<Message> messages = std::move(msgs.value());
    auto owners = st.value()->owner_addresses();
    if (!owners) return owners.error();
    auto internal = st.value()->internal_domains();
    if (!internal) return internal.error();
    st.value().reset();  // release the read transaction and the file before the long analysis

    snap->settings = opts.settings;
    if (snap->settings.owners.empty()) snap->settings.owners = owners.value();
    if (snap->settings.internal_domains.empty()) snap->settings.internal_domains = internal.value();
    if (snap->settings.owners.empty())
        return Error{ErrorCode::usage, "the mailbox owner is unknown",
                     "ingest a sent folder, or pass --me ADDRESS to ingest or serve"};

    {
        // The threading headers move into the threader's inputs (no detector reads them), so they
        // are never held twice; the inputs go once the threads are built (as `analyze` does).
        std::vector<threading::ThreadInput> inputs;
        inputs.reserve(messages.size());
        for (auto& m : messages) {
            auto in_reply_to = std::move(m.in_reply_to);
            auto references = std::move(m.references);
            auto thread_index = std::move(m.thread_index);
            auto thread_topic = std::move(m.thread_topic);
            m.in_reply_to.clear();
            m.references.clear();
            m.thread_index.clear();
            m.thread_topic.clear();
            threading::ThreadInput& in = inputs.emplace_back(threading::thread_input_from(m));
            in.in_reply_to = std::move(in_reply_to);
            in.references = std::move(references);
            in.thread_index = std::move(thread_index);
            in.thread_topic = std::move(thread_topic);
        }
        threading::ThreadingOptions topts;
        topts.owner_addresses = snap->settings.owners;
        snap->threads = threading::thread_messages(inputs, topts);
    }

    snap->now = snap->settings.now ? snap->settings.now : static_cast<int64_t>(std::time(nullptr));
    snap->identity = detect::Identity::from_settings(snap->settings);
    snap->result = detect::analyze(messages, snap->threads, snap->settings);
    snap->loaded_at = static_cast<int64_t>(std::time(nullptr));

    size_t id_bytes = 0;
    for (const auto& m : messages) id_bytes += m.message_id.size();
    snap->messages.reserve(messages.size(), id_bytes);
    for (const auto& m : messages) {
        snap->messages.add(m.message_id, m.date);
        snap->max_rowid = std::max(snap->max_rowid, m.rowid);
    }
    build_indexes(*snap, messages);
    snap->messages.finish();
    {
        ReleaseFreedMemory release;
        std::vector<Message>().swap(messages);  // the texts stay in the store from here on
        snap->findings = index_findings(*snap, snap->result);
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

const detect::AnalysisResult& Snapshot::result_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return result;
    std::lock_guard lk(languages->mu);
    auto& slot = languages->results[lang];
    if (!slot) {
        // Same messages, threads and settings: the detectors find the same things in the same
        // order, and only write their texts in the other language.
        auto msgs = load_messages();
        if (!msgs) throw std::runtime_error("the analysis in '" + lang + "': " + msgs.error().to_string());
        detect::AnalysisSettings other = settings;
        other.lang = lang;
        other.now = now;  // the same instant as the snapshot's own analysis, not the clock's
        auto r = std::make_unique<detect::AnalysisResult>(detect::analyze(msgs.value(), threads, other));
        ReleaseFreedMemory release;
        std::vector<Message>().swap(msgs.value());
        languages->findings[lang] = index_findings(*this, *r);
        slot = std::move(r);
    }
    return *slot;
}

std::shared_ptr<const FindingsIndex> Snapshot::findings_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return findings;
    result_in(lang);
    std::lock_guard lk(languages->mu);
    return languages->findings[lang];
}

std::string Snapshot::rep_of_thread(const std::string& thread_id) const {
    auto it = thread_by_id.find(thread_id);
    return it == thread_by_id.end() ? std::string() : thread_info[it->second].rep;
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
