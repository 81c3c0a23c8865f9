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
    Atom internal, external;
    int from_internal = 0, from_external = 0;
    int64_t last = 0;
};

}  // namespace

void build_stakeholders(Context& ctx, AnalysisResult& out) {
    const auto& dates = ctx.dates;  // one per message
    const auto& info = ctx.info;
    // Per address (atom id). An address belongs to one account (its facts' account), so "the
    // people of each account" is a flag per address, grouped by account at the end.
    const size_t n = ctx.atoms.size();
    std::vector<char> is_person(n, 0);  // senders of real mail and recipients of internal mail
    std::vector<char> engaged(n, 0);    // external senders
    std::vector<int> from_count(n, 0), to_count(n, 0);  // messages from / to the rep
    std::vector<std::pair<Atom, Atom>> people;          // (account, address), once per address
    // (internal person, external person) -> stats, keyed by both atom ids.
    std::unordered_map<uint64_t, PairStats> pairs;
    auto pair_stats = [&](Atom internal, Atom external) -> PairStats& {
        auto& p = pairs[(static_cast<uint64_t>(internal.id()) << 32) | external.id()];
        p.internal = internal;
        p.external = external;
        return p;
    };
    for (size_t i = 0; i < info.size(); ++i) {
        const MsgInfo& mi = info[i];
        if (mi.automated || mi.from.empty()) continue;
        if (!mi.from_account.empty()) {
            if (!is_person[mi.from.id()]) is_person[mi.from.id()] = 1, people.emplace_back(mi.from_account, mi.from);
            engaged[mi.from.id()] = 1;
            ++from_count[mi.from.id()];
            for (Atom r : mi.recipients()) {
                if (!ctx.facts(r).internal) continue;
                auto& p = pair_stats(ctx.person_key(r), mi.from);
                ++p.from_external;
                p.last = std::max(p.last, dates[i]);
            }
        } else if (mi.sender_internal) {
            Atom me = ctx.person_key(mi.from);
            for (size_t r = 0; r < mi.ext_recipients().size(); ++r) {
                Atom a = mi.ext_recipients()[r];
                if (a.str().find('@') == std::string::npos) continue;
                if (!is_person[a.id()]) is_person[a.id()] = 1, people.emplace_back(mi.ext_accounts()[r], a);
                if (mi.outbound) ++to_count[a.id()];
                auto& p = pair_stats(me, a);
                ++p.from_internal;
                p.last = std::max(p.last, dates[i]);
            }
        }
    }
    // Strengths grouped by external person.
    std::unordered_map<Atom, std::vector<Strength>, AtomHash> strengths;
    for (const auto& [key, p] : pairs) {
        int total = p.from_internal + p.from_external;
        int s = 1;
        if (total >= 3) ++s;
        if (total >= 10) ++s;
        if (p.from_internal > 0 && p.from_external > 0) ++s;
        int64_t age = ctx.now - p.last;
        if (age <= 30 * 86400) ++s;
        else if (age > 180 * 86400 && s > 1) --s;
        strengths[p.external].push_back({p.internal.str(), std::clamp(s, 1, 5)});
    }

    for (auto& [person, v] : strengths)
        std::sort(v.begin(), v.end(), [](const Strength& a, const Strength& b) { return a.internal < b.internal; });

    // Accounts by name, each one's people by address.
    std::sort(people.begin(), people.end());
    ctx.roles.resize(ctx.atoms.size());
    for (size_t b = 0; b < people.size();) {
        const Atom acct = people[b].first;
        size_t e = b;
        while (e < people.size() && people[e].first == acct) ++e;
        AccountSummary sum;
        sum.account = acct.str();
        sum.people = static_cast<int>(e - b);
        sum.engaged = 0;
        for (size_t k = b; k < e; ++k) sum.engaged += engaged[people[k].second.id()];
        std::vector<Stakeholder> list;
        for (size_t k = b; k < e; ++k) {
            const Atom a = people[k].second;
            Stakeholder s;
            s.account = acct.str();
            s.address = a.str();
            s.name = ctx.name_of(a);
            if (const std::string_view t = ctx.titles[a.id()]; !t.empty()) s.title = t;
            s.role = role_from_title(s.title);
            s.two_way = ctx.exchanges_of(a);
            s.messages_from = from_count[a.id()];
            s.messages_to = to_count[a.id()];
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
            const auto& bs = list[static_cast<size_t>(best)];
            if (std::tie(s.two_way, s.messages_from, s.messages_to) > std::tie(bs.two_way, bs.messages_from, bs.messages_to))
                best = static_cast<long>(k);
        }
        if (best >= 0) list[static_cast<size_t>(best)].primary = true;
        bool dm = false;
        for (size_t k = 0; k < list.size(); ++k)
            if (list[k].role == "decision_maker" && engaged[people[b + k].second.id()]) dm = true;
        if (sum.engaged == 1) sum.warnings.push_back("single_threaded");
        if (sum.engaged >= 1 && !dm) sum.warnings.push_back("no_decision_maker");
        for (size_t k = 0; k < list.size(); ++k) {
            ctx.roles[people[b + k].second.id()] = list[k].role;
            out.stakeholders.push_back(std::move(list[k]));
        }
        out.accounts.push_back(std::move(sum));
        b = e;
    }
}

}  // namespace ilc::detect
