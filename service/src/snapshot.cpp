#include "interlocutor/service/snapshot.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <ctime>
#include <map>

#include "interlocutor/detect/report.h"
#include "interlocutor/store/store.h"
#include "interlocutor/threading/threader.h"

namespace ilc::service {

namespace {

bool has_cue(const Message& m, std::string_view family) {
    for (const auto& c : m.cues)
        if (c.family == family) return true;
    return false;
}

void build_indexes(Snapshot& s) {
    const auto& id = s.identity;
    const int min_group = s.settings.thresholds.all_in_copy_min_recipients;
    s.thread_info.resize(s.threads.size());
    const std::string owner = id.owners().empty() ? std::string() : id.person_key(id.owners().front());
    std::unordered_map<std::string, int64_t> rep_date_by_account;
    for (size_t ti = 0; ti < s.threads.size(); ++ti) {
        const Thread& t = s.threads[ti];
        s.thread_by_id[t.id] = ti;
        ThreadInfo& info = s.thread_info[ti];
        std::map<std::string, int> account_hits;
        int64_t rep_date = INT64_MIN;
        for (size_t idx : t.members) {
            const Message& m = s.messages[idx];
            if (!m.message_id.empty()) s.thread_of_message[m.message_id] = ti;
            info.last_date = std::max(info.last_date, m.date);
            // The rep: the internal person who wrote last, on the thread and on each account addressed.
            if (!m.automated && id.is_internal(m.from.address)) {
                const std::string who = id.person_key(m.from.address);
                if (m.date >= rep_date) rep_date = m.date, info.rep = who;
                if (!m.from.name.empty()) s.rep_names[who] = m.from.name;
                else s.rep_names.try_emplace(who, "");
                for (const auto* list : {&m.to, &m.cc})
                    for (const auto& mb : *list) {
                        auto acc = id.account_of(mb.address);
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
                        auto acc = id.account_of(mb.address);
                        if (acc.empty()) continue;
                        ++per_account[acc];
                        ++account_hits[acc];
                    }
                for (const auto& [acc, n] : per_account)
                    if (n >= min_group) info.group = true;
                ++info.trailing_unanswered;
            } else if (!m.automated && !id.is_internal(m.from.address)) {
                info.trailing_unanswered = 0;
                ++account_hits[id.account_of(m.from.address)];
            }
            // Account activity: every external party of the message.
            for (const auto* list : {&m.to, &m.cc}) {
                for (const auto& mb : *list) {
                    auto acc = id.account_of(mb.address);
                    if (!acc.empty()) s.last_activity_by_account[acc] = std::max(s.last_activity_by_account[acc], m.date);
                }
            }
            auto facc = id.account_of(m.from.address);
            if (!facc.empty()) s.last_activity_by_account[facc] = std::max(s.last_activity_by_account[facc], m.date);
        }
        if (info.rep.empty()) info.rep = owner;
        account_hits.erase("");
        int best = 0;
        for (const auto& [acc, n] : account_hits)
            if (n > best) best = n, info.account = acc;
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

}  // namespace

Result<std::shared_ptr<const Snapshot>> load_snapshot(const SnapshotOptions& opts) {
    auto st = store::Store::open(opts.db_path, store::OpenMode::read_only);
    if (!st) {
        Error e = st.error();
        if (e.hint.empty()) e.hint = "run 'interlocutor ingest SOURCE...' first, or pass --db FILE";
        return e;
    }
    auto snap = std::make_shared<Snapshot>();
    auto msgs = st.value()->load_messages(store::LoadOptions{/*with_text=*/true, /*with_quoted=*/false});
    if (!msgs) return msgs.error();
    snap->messages = std::move(msgs.value());
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

    std::vector<threading::ThreadInput> inputs;
    inputs.reserve(snap->messages.size());
    for (const auto& m : snap->messages) inputs.push_back(threading::thread_input_from(m));
    threading::ThreadingOptions topts;
    topts.owner_addresses = snap->settings.owners;
    snap->threads = threading::thread_messages(inputs, topts);

    snap->now = snap->settings.now ? snap->settings.now : static_cast<int64_t>(std::time(nullptr));
    snap->identity = detect::Identity::from_settings(snap->settings);
    snap->result = detect::analyze(snap->messages, snap->threads, snap->settings);
    snap->analysis_json = detect::to_json(snap->result);
    snap->loaded_at = static_cast<int64_t>(std::time(nullptr));
    build_indexes(*snap);
    return std::shared_ptr<const Snapshot>(std::move(snap));
}

const detect::AnalysisResult& Snapshot::result_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return result;
    std::lock_guard lk(languages->mu);
    auto& slot = languages->results[lang];
    if (!slot) {
        // Same messages, threads and settings: the detectors find the same things in the same
        // order, and only write their texts in the other language.
        detect::AnalysisSettings other = settings;
        other.lang = lang;
        other.now = now;  // the same instant as the snapshot's own analysis, not the clock's
        slot = std::make_unique<detect::AnalysisResult>(detect::analyze(messages, threads, other));
        languages->json[lang] = detect::to_json(*slot);
    }
    return *slot;
}

const std::string& Snapshot::analysis_json_in(const std::string& lang) const {
    if (lang.empty() || lang == result.lang) return analysis_json;
    result_in(lang);
    std::lock_guard lk(languages->mu);
    return languages->json[lang];
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
