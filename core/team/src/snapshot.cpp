#include "interlocutor/team/snapshot.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

#include "interlocutor/detect/identity.h"
#include "interlocutor/json_writer.h"

namespace ilc::team {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The sharing policy, normalized once: what may leave the rep's machine.
class Filter {
public:
    Filter(const SharingPolicy& p, const detect::Identity& id) : id_(id) {
        for (const auto& a : p.private_accounts) private_.insert(lower(a));
        for (const auto& a : p.exclusive_contacts) exclusive_.insert(lower(a));
    }
    bool private_account(const std::string& account) const { return !account.empty() && private_.count(lower(account)); }
    bool exclusive(const std::string& address) const { return exclusive_.count(lower(address)) > 0; }
    // An address may appear in the team database: not exclusive, not of a private account.
    bool shareable(const std::string& address) const {
        return !address.empty() && !exclusive(address) && !private_account(account_of(address));
    }
    // The account of an address, computed once: Identity::account_of asks the public suffix list
    // (libpsl) each time, and an address recurs in every mail of every thread it is in (it was
    // most of the time of a 100,000-message publish).
    const std::string& account_of(const std::string& address) const {
        auto it = accounts_.find(address);
        if (it == accounts_.end()) it = accounts_.emplace(address, id_.account_of(address)).first;
        return it->second;
    }
    std::vector<std::string> scrub(const std::vector<std::string>& addresses) const {
        std::vector<std::string> out;
        for (const auto& a : addresses)
            if (shareable(a)) out.push_back(a);
        return out;
    }

private:
    const detect::Identity& id_;
    std::set<std::string> private_, exclusive_;
    mutable std::unordered_map<std::string, std::string> accounts_;
};

void write_list(JsonWriter& w, const char* key, const std::vector<std::string>& v) {
    w.key(key).begin_array();
    for (const auto& s : v) w.value(s);
    w.end_array();
}

// What build_snapshot withheld because it involves a private account: those threads and their
// messages. A finding of another account may still point into them (a private person in Cc of
// an acme.com thread), so findings are filtered on these too, not only on their own account.
struct Withheld {
    std::set<std::string> threads, messages;
    bool thread(const std::string& id) const { return !id.empty() && threads.count(id) > 0; }
    bool message(const std::string& id) const { return !id.empty() && messages.count(id) > 0; }
};

// Only ids, counts, dates and addresses that passed the filter: no suggestion text (it may name
// a contact) and no words of any mail.
void add_findings(TeamSnapshot& snap, const detect::AnalysisResult& r, const Filter& f, const Withheld& held) {
    for (const auto& a : r.awaiting_reply) {
        if (f.private_account(a.account) || held.thread(a.thread_id) || held.message(a.message_id) ||
            held.message(a.first_unanswered))
            continue;
        JsonWriter w;
        w.begin_object().kv("thread_id", a.thread_id).kv("message_id", a.message_id)
            .kv("first_unanswered", a.first_unanswered).kv("unanswered_count", a.unanswered_count)
            .kv("waiting_business_days", a.waiting_business_days).kv("over_chasing", a.over_chasing)
            .kv("next_follow_up", a.next_follow_up).kv("account", a.account);
        write_list(w, "recipients", f.scrub(a.recipients));
        w.end_object();
        snap.findings.push_back({"awaiting_reply", a.account, a.thread_id, 0, "", "", false, w.take()});
    }
    for (const auto& a : r.awaiting_my_reply) {
        if (f.private_account(a.account) || held.thread(a.thread_id) || held.message(a.message_id)) continue;
        JsonWriter w;
        w.begin_object().kv("thread_id", a.thread_id).kv("message_id", a.message_id)
            .kv("waiting_business_days", a.waiting_business_days).kv("account", a.account);
        if (f.shareable(a.from)) w.kv("from", a.from);
        else w.kv_null("from");
        w.kv("subject", a.subject).end_object();
        snap.findings.push_back({"awaiting_my_reply", a.account, a.thread_id, 0, "", "", false, w.take()});
    }
    for (const auto& a : r.all_in_copy) {
        if (f.private_account(a.account) || held.thread(a.thread_id)) continue;
        JsonWriter w;
        w.begin_object().kv("thread_id", a.thread_id).kv("account", a.account)
            .kv("group_messages", int(a.group_messages.size())).kv("outbound_messages", a.outbound_messages)
            .kv("recap_messages", a.recap_messages).kv("group_reply_rate", a.group_reply_rate)
            .kv("direct_reply_rate", a.direct_reply_rate);
        write_list(w, "recipients", f.scrub(a.recipients));
        w.end_object();
        snap.findings.push_back({"all_in_copy", a.account, a.thread_id, 0, "", "", false, w.take()});
    }
    for (const auto& a : r.insists_on_cc) {
        if (f.private_account(a.account) || !f.shareable(a.address) || held.thread(a.thread_id) ||
            held.message(a.message_id))
            continue;
        JsonWriter w;
        w.begin_object().kv("address", a.address).kv("thread_id", a.thread_id).kv("account", a.account)
            .kv("cause", a.cause).kv("message_id", a.message_id).end_object();
        snap.findings.push_back({"insists_on_cc", a.account, a.thread_id, 0, a.cause, "", false, w.take()});
    }
    for (const auto& a : r.stalled_deal) {
        if (f.private_account(a.account)) continue;
        JsonWriter w;
        w.begin_object().kv("account", a.account).kv("path", a.path).kv("since", a.since)
            .kv("quiet_business_days", a.quiet_business_days).kv("reason", a.reason).kv("escalate", a.escalate)
            .kv("risk", a.risk);
        // The deal itself is of a shared account; only its evidence messages that sit in a
        // withheld thread are left out.
        std::vector<std::string> evidence;
        for (const auto& id : a.evidence)
            if (!held.message(id)) evidence.push_back(id);
        write_list(w, "evidence", evidence);
        w.end_object();
        snap.findings.push_back({"stalled_deal", a.account, "", a.risk, a.reason, a.since, a.escalate, w.take()});
    }
    for (const auto& a : r.many_internal_contacts) {
        if (f.private_account(a.account)) continue;
        JsonWriter w;
        w.begin_object().kv("account", a.account);
        write_list(w, "internal_people", a.internal_people);
        w.end_object();
        snap.findings.push_back({"many_internal_contacts", a.account, "", 0, "", "", false, w.take()});
    }
}

}  // namespace

TeamSnapshot build_snapshot(const std::string& rep, const std::vector<Message>& msgs,
                            const std::vector<Thread>& threads, const detect::AnalysisResult& result,
                            const detect::AnalysisSettings& settings, const SharingPolicy& policy) {
    const auto id = detect::Identity::from_settings(settings);
    const Filter filter(policy, id);
    TeamSnapshot snap;
    snap.rep = rep;
    snap.published_at = std::time(nullptr);

    std::map<std::string, AccountMeta> accounts;
    std::set<std::string> thread_ids;
    Withheld withheld;
    for (const auto& t : threads) {
        if (t.members.empty() || !thread_ids.insert(t.id).second) continue;
        // The thread's account is the external organization it involves most often; a thread
        // touching a private account is not shared at all, whatever else it involves.
        std::map<std::string, int> account_count;
        std::vector<std::string> people;
        std::set<std::string> seen;
        bool touches_private = false;
        for (size_t i : t.members) {
            const Message& m = msgs[i];
            auto visit = [&](const Mailbox& mb) {
                if (mb.address.empty()) return;
                const std::string& acc = filter.account_of(mb.address);
                if (filter.private_account(acc)) touches_private = true;
                if (!acc.empty()) ++account_count[acc];
                if (seen.insert(mb.address).second && filter.shareable(mb.address)) people.push_back(mb.address);
            };
            visit(m.from);
            for (const auto& mb : m.to) visit(mb);
            for (const auto& mb : m.cc) visit(mb);
        }
        if (touches_private) {
            withheld.threads.insert(t.id);
            for (size_t i : t.members) withheld.messages.insert(msgs[i].message_id);
            continue;
        }
        if (account_count.empty()) continue;
        std::string account;
        int best = 0;
        for (const auto& [acc, n] : account_count)
            if (n > best) best = n, account = acc;
        ThreadMeta tm;
        tm.thread_id = t.id;
        tm.account = account;
        tm.subject = msgs[t.members.front()].subject;
        tm.first_date = msgs[t.members.front()].date;
        tm.last_date = msgs[t.members.front()].date;
        for (size_t i : t.members) {
            tm.first_date = std::min(tm.first_date, msgs[i].date);
            tm.last_date = std::max(tm.last_date, msgs[i].date);
        }
        tm.message_count = int(t.members.size());
        snap.message_count += tm.message_count;
        std::sort(people.begin(), people.end());
        tm.participants = std::move(people);
        auto& am = accounts[account];
        am.account = account;
        ++am.threads;
        am.last_activity = std::max(am.last_activity, tm.last_date);
        snap.threads.push_back(std::move(tm));
    }
    for (const auto& a : result.accounts) {
        if (filter.private_account(a.account)) continue;
        auto& am = accounts[a.account];
        am.account = a.account;
        am.people = a.people;
        am.engaged = a.engaged;
    }
    for (auto& [_, am] : accounts) snap.accounts.push_back(am);

    for (const auto& s : result.stakeholders) {
        if (filter.private_account(s.account)) continue;
        const bool exclusive = filter.exclusive(s.address);
        for (const auto& st : s.strength) {
            ContactLink c;
            c.account = s.account;
            c.colleague = st.internal;
            c.strength = std::clamp(st.strength, 1, 5);
            c.exclusive = exclusive;
            if (!exclusive) {
                c.contact = s.address;
                c.role = s.role;
            }
            snap.contacts.push_back(std::move(c));
        }
    }
    add_findings(snap, result, filter, withheld);
    return snap;
}

}  // namespace ilc::team
