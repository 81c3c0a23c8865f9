// Stakeholders per account (SPEC "Findings", Stakeholders): each external person with a role
// from their signature titles, the primary contact, relationship strength per internal person,
// and the single-threaded / no-decision-maker warnings.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "context.h"

namespace ilc::detect {
namespace {

struct PairStats {
    int from_internal = 0, from_external = 0;
    int64_t last = 0;
};

}  // namespace

void build_stakeholders(Context& ctx, AnalysisResult& out) {
    const auto& msgs = ctx.msgs;
    const auto& info = ctx.info;
    // Everyone of each account: senders of real mail and recipients of internal mail.
    std::map<std::string, std::set<std::string>> people;   // account -> addresses
    std::map<std::string, int> from_count, to_count;        // person -> messages from / to the rep
    // (internal person, external person) -> stats; the key joins both with a newline.
    std::unordered_map<std::string, PairStats> pairs;
    std::map<std::string, std::set<std::string>> engaged;  // account -> external senders
    for (size_t i = 0; i < msgs.size(); ++i) {
        const MsgInfo& mi = info[i];
        if (mi.automated || mi.from.empty()) continue;
        if (!mi.from_account.empty()) {
            people[mi.from_account].insert(mi.from);
            engaged[mi.from_account].insert(mi.from);
            ++from_count[mi.from];
            for (const auto& r : mi.recipients) {
                if (!ctx.facts(r).internal) continue;
                auto& p = pairs[ctx.id.person_key(r) + '\n' + mi.from];
                ++p.from_external;
                p.last = std::max(p.last, msgs[i].date);
            }
        } else if (mi.sender_internal) {
            std::string me = ctx.id.person_key(mi.from);
            for (size_t r = 0; r < mi.ext_recipients.size(); ++r) {
                const std::string& a = mi.ext_recipients[r];
                if (a.find('@') == std::string::npos) continue;
                people[mi.ext_accounts[r]].insert(a);
                if (mi.outbound) ++to_count[a];
                auto& p = pairs[me + '\n' + a];
                ++p.from_internal;
                p.last = std::max(p.last, msgs[i].date);
            }
        }
    }
    // Strengths grouped by external person.
    std::map<std::string, std::vector<Strength>> strengths;
    for (const auto& [key, p] : pairs) {
        size_t nl = key.find('\n');
        std::string internal = key.substr(0, nl), external = key.substr(nl + 1);
        int total = p.from_internal + p.from_external;
        int s = 1;
        if (total >= 3) ++s;
        if (total >= 10) ++s;
        if (p.from_internal > 0 && p.from_external > 0) ++s;
        int64_t age = ctx.now - p.last;
        if (age <= 30 * 86400) ++s;
        else if (age > 180 * 86400 && s > 1) --s;
        strengths[external].push_back({internal, std::clamp(s, 1, 5)});
    }

    for (auto& [person, v] : strengths)
        std::sort(v.begin(), v.end(), [](const Strength& a, const Strength& b) { return a.internal < b.internal; });

    for (const auto& [acct, addrs] : people) {
        AccountSummary sum;
        sum.account = acct;
        sum.people = static_cast<int>(addrs.size());
        sum.engaged = static_cast<int>(engaged[acct].size());
        std::vector<Stakeholder> list;
        for (const auto& a : addrs) {
            Stakeholder s;
            s.account = acct;
            s.address = a;
            s.name = ctx.name_of(a);
            auto t = ctx.titles.find(a);
            if (t != ctx.titles.end()) s.title = t->second;
            s.role = role_from_title(s.title);
            auto e = ctx.exchanges.find(a);
            s.two_way = e == ctx.exchanges.end() ? 0 : e->second;
            s.messages_from = from_count.count(a) ? from_count[a] : 0;
            s.messages_to = to_count.count(a) ? to_count[a] : 0;
            auto st = strengths.find(a);
            if (st != strengths.end()) s.strength = st->second;
            list.push_back(std::move(s));
        }
        // The primary contact: most two-way exchanges with the rep, then most messages written.
        long best = -1;
        for (size_t k = 0; k < list.size(); ++k) {
            const auto& s = list[k];
            if (s.two_way == 0 && s.messages_from == 0) continue;
            if (best < 0) { best = static_cast<long>(k); continue; }
            const auto& b = list[static_cast<size_t>(best)];
            if (std::tie(s.two_way, s.messages_from, s.messages_to) > std::tie(b.two_way, b.messages_from, b.messages_to))
                best = static_cast<long>(k);
        }
        if (best >= 0) list[static_cast<size_t>(best)].primary = true;
        bool dm = false;
        for (const auto& s : list)
            if (s.role == "decision_maker" && engaged[acct].count(s.address)) dm = true;
        if (sum.engaged == 1) sum.warnings.push_back("single_threaded");
        if (sum.engaged >= 1 && !dm) sum.warnings.push_back("no_decision_maker");
        for (auto& s : list) {
            ctx.roles[s.address] = s.role;
            out.stakeholders.push_back(std::move(s));
        }
        out.accounts.push_back(std::move(sum));
    }
}

}  // namespace ilc::detect
