#include "interlocutor/detect/analyze.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
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
    std::string subj = fold(m.subject);
    for (const char* s : {"absence du bureau", "reponse automatique", "out of office", "automatic reply",
                          "auto-reply", "autoreply", "abwesenheitsnotiz", "delivery status notification",
                          "undeliverable", "non remis", "mail delivery failed"})
        if (subj.find(s) != std::string::npos) return true;
    return false;
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
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        size_t b = line.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        line.erase(0, b);
        if (line.rfind(">", 0) == 0) continue;
        lines.push_back(line);
    }
    size_t start = lines.size() > 15 ? lines.size() - 15 : 0;
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

// Copies of one mail stored under different Message-IDs: Enron-style exports keep each sent mail
// in "sent", "_sent_mail" and "sent_items", each copy with its own id, and a mailbox merged from
// two clients does the same. Same sender, Date, subject, recipients and new text (whitespace
// ignored) = one mail. The copy kept is the one in the largest thread (replies that reference
// another copy are then still seen), ties to the first stored. Returns true for the others.
std::vector<bool> duplicate_copies(const std::vector<Message>& msgs, const std::vector<Thread>& threads) {
    std::vector<size_t> thread_size(msgs.size(), 1);
    for (const auto& t : threads)
        for (size_t i : t.members)
            if (i < msgs.size()) thread_size[i] = std::max(thread_size[i], t.members.size());
    std::unordered_map<std::string, size_t> keep;  // key -> index of the copy kept
    std::vector<bool> dup(msgs.size(), false);
    for (size_t i = 0; i < msgs.size(); ++i) {
        const Message& m = msgs[i];
        if (m.from.address.empty() || m.date == 0) continue;
        std::vector<std::string> rcpt;
        for (const auto* list : {&m.to, &m.cc})
            for (const auto& mb : *list) rcpt.push_back(lower(mb.address));
        std::sort(rcpt.begin(), rcpt.end());
        rcpt.erase(std::unique(rcpt.begin(), rcpt.end()), rcpt.end());
        // FNV-1a over the new text without whitespace: no copy of every body just to hash it.
        uint64_t body_hash = 14695981039346656037ull;
        for (char c : m.new_text)
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                body_hash = (body_hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        std::string key = lower(m.from.address) + '\x1f' + std::to_string(m.date) + '\x1f' + fold(m.subject) + '\x1f';
        for (const auto& r : rcpt) key += r + ',';
        key += '\x1f' + std::to_string(body_hash);
        auto [it, fresh] = keep.emplace(std::move(key), i);
        if (fresh) continue;
        size_t& kept = it->second;
        if (thread_size[i] > thread_size[kept]) {
            dup[kept] = true;
            kept = i;
        } else {
            dup[i] = true;
        }
    }
    return dup;
}

// Senders who only broadcast: an outside address that wrote in at least `min_threads` different
// threads while the owner never once wrote to it. Conference promoters, vendors' mailings and
// newsletters without any bulk header look like this in real mailboxes (the Enron review); a
// prospect who chases does it in one thread, and one the rep ever answered is a correspondent.
std::unordered_set<std::string> one_way_senders(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                                                const Identity& id, size_t min_threads) {
    std::unordered_set<std::string> written_to;
    std::vector<size_t> thread_of(msgs.size(), static_cast<size_t>(-1));
    for (size_t t = 0; t < threads.size(); ++t)
        for (size_t i : threads[t].members)
            if (i < msgs.size()) thread_of[i] = t;
    std::unordered_map<std::string, std::set<size_t>> sender_threads;
    std::unordered_set<std::string> internal;
    for (size_t i = 0; i < msgs.size(); ++i) {
        const Message& m = msgs[i];
        if (id.is_owner(m.from.address)) {
            for (const auto* list : {&m.to, &m.cc, &m.bcc})
                for (const auto& mb : *list) written_to.insert(lower(mb.address));
            continue;
        }
        std::string from = lower(m.from.address);
        if (from.empty()) continue;
        auto [it, fresh] = sender_threads.try_emplace(from);
        if (fresh && id.is_internal(from)) internal.insert(from);  // one public-suffix look-up per sender
        if (internal.count(from)) continue;
        it->second.insert(thread_of[i] == static_cast<size_t>(-1) ? msgs.size() + i : thread_of[i]);
    }
    std::unordered_set<std::string> out;
    for (const auto& [from, ts] : sender_threads)
        if (ts.size() >= min_threads && !written_to.count(from)) out.insert(from);
    return out;
}

bool writes_to_owner(const Context& ctx, size_t i) {
    for (const auto* list : {&ctx.msgs[i].to, &ctx.msgs[i].cc})
        for (const auto& mb : *list)
            if (ctx.id.is_owner(mb.address)) return true;
    return false;
}

bool is_recap(const Context& ctx, size_t i) {
    if (ctx.has_cue(i, "recap")) return true;
    std::vector<std::string> w = words_of(fold(ctx.msgs[i].subject));
    for (const char* p : {"recap", "recapitulatif", "compte rendu", "point hebdomadaire", "point hebdo",
                          "weekly update", "weekly recap", "weekly summary", "synthese hebdomadaire", "weekly digest"})
        if (has_phrase(w, p)) return true;
    return false;
}

std::vector<size_t> ordered_members(const Context& ctx, const Thread& t) {
    std::vector<size_t> v;
    v.reserve(t.members.size());
    for (size_t i : t.members)
        if (i < ctx.msgs.size()) v.push_back(i);
    std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) {
        return ctx.msgs[a].date != ctx.msgs[b].date ? ctx.msgs[a].date < ctx.msgs[b].date : a < b;
    });
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

std::string majority(const std::map<std::string, int>& counts) {
    std::string best;
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

// Per-account facts gathered while walking the threads.
struct AccountStats {
    std::vector<int> reply_delays;  // business days from an outbound message to the account's answer
    int direct_sent = 0, direct_replied = 0;
    std::map<std::string, std::map<std::string, int>> topic_people;  // topic -> person -> messages
};

const std::pair<const char*, const char*> kTopics[] = {
    {"technical", "topic_technical"}, {"budget", "topic_budget"}, {"planning", "topic_planning"}, {"scope", "topic_scope"}};

}  // namespace

Context::Context(const std::vector<Message>& m, const AnalysisSettings& s, const std::vector<Thread>& threads)
    : msgs(m),
      settings(s),
      id(s.owners, s.internal_domains, s.managers, s.account_merges),
      cal(s.tz, [&] {
          std::set<int64_t> days;
          for (const auto& h : s.holidays)
              if (int64_t d = parse_iso_date(h); d >= 0) days.insert(d);
          return days;
      }()) {
    now = s.now ? s.now : static_cast<int64_t>(std::time(nullptr));
    info.resize(msgs.size());
    const std::vector<bool> dup = duplicate_copies(msgs, threads);
    const auto broadcasters = s.thresholds.one_way_sender_min_threads > 0
                                  ? one_way_senders(msgs, threads, id, static_cast<size_t>(s.thresholds.one_way_sender_min_threads))
                                  : std::unordered_set<std::string>{};
    std::map<std::string, int> langs_out, langs_all;
    for (size_t i = 0; i < msgs.size(); ++i) {
        const Message& msg = msgs[i];
        MsgInfo& mi = info[i];
        mi.from = lower(msg.from.address);
        mi.outbound = id.is_owner(mi.from);
        // The rep's own mail is a person writing, whatever its shape: a mail to 20 people or sent
        // from a campaign tool is the strongest all-in-copy case and counts as outbound activity.
        // Only the header rules (auto-replies, reports...) can make it automated.
        mi.automated = mi.outbound ? owner_mail_automated(msg) : looks_automated(msg, s.thresholds);
        // A second copy counts nowhere: treated as automated mail, which every detector skips.
        if (dup[i] && !mi.automated) mi.duplicate = mi.automated = true;
        if (!mi.automated && broadcasters.count(mi.from)) mi.automated = true;
        const AddressFacts& ff = facts(mi.from);
        mi.sender_internal = ff.internal;
        mi.from_account = ff.account;
        mi.expects = msg.expects_reply;  // decided by core/text on new text (closings neutralize request cues)
        // Every address seen is the sender or already in mi.recipients: a short list is searched
        // there (no set built per message, a million times over), a long one goes through a set.
        const bool many = msg.to.size() + msg.cc.size() > 32;
        std::unordered_set<std::string> seen;
        if (many) seen.insert(mi.from);
        auto first_time = [&](const std::string& a) {
            if (many) return seen.insert(a).second;
            return a != mi.from && std::find(mi.recipients.begin(), mi.recipients.end(), a) == mi.recipients.end();
        };
        std::set<std::string> accts;
        for (const auto* list : {&msg.to, &msg.cc}) {
            for (const auto& mb : *list) {
                std::string a = lower(mb.address);
                if (a.empty() || !first_time(a)) continue;
                mi.recipients.push_back(a);
                const AddressFacts& f = facts(a);
                if (f.internal) continue;
                mi.ext_recipients.push_back(a);
                mi.ext_accounts.push_back(f.account);
                accts.insert(mi.ext_accounts.back());
            }
        }
        mi.accounts.assign(accts.begin(), accts.end());
        if (!msg.lang.empty()) {
            ++langs_all[msg.lang];
            if (mi.outbound) ++langs_out[msg.lang];
        }
        if (mi.automated) continue;
        if (!mi.from_account.empty()) {
            account_msgs[mi.from_account].push_back(i);
            if (!msg.from.name.empty()) names[mi.from] = msg.from.name;
            if (!msg.signature_name.empty() && names[mi.from].empty()) names[mi.from] = msg.signature_name;
            if (!msg.signature_title.empty()) {
                titles[mi.from] = msg.signature_title;
            } else if (!titles.count(mi.from)) {
                // Looked for once per person: a title found in an earlier message stays.
                if (std::string t = title_from_text(msg); !t.empty() && role_from_title(t) != "unknown")
                    titles[mi.from] = t;
            }
        } else if (mi.sender_internal) {
            for (const auto& a : mi.accounts) account_msgs[a].push_back(i);
        }
        for (const auto* list : {&msg.to, &msg.cc})
            for (const auto& mb : *list) {
                if (mb.name.empty()) continue;
                std::string a = lower(mb.address);
                if (!facts(a).internal && !names.count(a)) names[a] = mb.name;
            }
    }
    for (auto& [acct, v] : account_msgs)
        std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) { return msgs[a].date < msgs[b].date; });
    lang = s.lang;
    if (lang.empty()) lang = majority(langs_out.empty() ? langs_all : langs_out);
    if (lang != "fr" && lang != "en") lang = "en";
}

const Context::AddressFacts& Context::facts(const std::string& a) {
    auto it = address_facts.find(a);
    if (it != address_facts.end()) return it->second;
    AddressFacts f;
    f.internal = id.is_internal(a);
    if (!f.internal && !a.empty()) f.account = id.account_of(a);
    return address_facts.emplace(a, std::move(f)).first->second;
}

bool Context::has_cue(size_t i, std::string_view family) const {
    for (const auto& c : msgs[i].cues)
        if (c.family == family) return true;
    return false;
}

std::string Context::name_of(const std::string& address) const {
    auto it = names.find(address);
    if (it == names.end()) return {};
    std::string n = it->second;
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

AnalysisResult analyze(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                       const AnalysisSettings& settings) {
    Context ctx(msgs, settings, threads);
    const Thresholds& th = settings.thresholds;
    AnalysisResult out;
    out.lang = ctx.lang;
    const auto& info = ctx.info;
    std::unordered_map<std::string, AccountStats> stats;

    // Pass 1 over each thread: reply delays, direct-message reply rates, exchanges, topics.
    std::vector<std::vector<size_t>> ordered(threads.size());
    for (size_t t = 0; t < threads.size(); ++t) {
        ordered[t] = ordered_members(ctx, threads[t]);
        const auto& ord = ordered[t];
        // The latest outbound message before the current one, and which accounts answered it.
        long last_out = -1;
        std::set<std::string> answered;
        long prev = -1;
        for (size_t k = 0; k < ord.size(); ++k) {
            size_t i = ord[k];
            const MsgInfo& mi = info[i];
            if (mi.automated) continue;
            if (mi.outbound) {
                // One-to-one with an account: one external recipient, nobody else outside.
                if (mi.ext_recipients.size() == 1) ++stats[mi.ext_accounts[0]].direct_sent;
                // A reply to the previous inbound message of the same person counts as an exchange.
                if (prev >= 0 && !info[prev].outbound && !info[prev].from_account.empty()) {
                    const auto& r = msgs[i].to;
                    if (std::any_of(r.begin(), r.end(), [&](const Mailbox& mb) { return lower(mb.address) == info[prev].from; }))
                        ++ctx.exchanges[info[prev].from];
                }
                last_out = static_cast<long>(i);
                answered.clear();
            } else if (!mi.from_account.empty()) {
                const std::string& acct = mi.from_account;
                for (const auto& [topic, family] : kTopics) {
                    if (ctx.has_cue(i, family) || (std::string_view(topic) == "budget" && ctx.has_cue(i, "budget")) ||
                        (std::string_view(topic) == "technical" && ctx.has_cue(i, "technical")))
                        ++stats[acct].topic_people[topic][mi.from];
                }
                if (last_out >= 0) {
                    const MsgInfo& lo = info[static_cast<size_t>(last_out)];
                    bool to_them = std::find(lo.ext_accounts.begin(), lo.ext_accounts.end(), acct) != lo.ext_accounts.end();
                    if (to_them && answered.insert(acct).second) {
                        stats[acct].reply_delays.push_back(
                            ctx.cal.business_days(msgs[static_cast<size_t>(last_out)].date, msgs[i].date));
                        if (lo.ext_recipients.size() == 1) ++stats[acct].direct_replied;
                    }
                    if (std::find(lo.ext_recipients.begin(), lo.ext_recipients.end(), mi.from) != lo.ext_recipients.end())
                        ++ctx.exchanges[mi.from];
                }
            }
            prev = static_cast<long>(i);
        }
    }

    // Roles and stakeholders first: the all-in-copy suggestion names people by role.
    build_stakeholders(ctx, out);
    std::unordered_map<std::string, std::string> role_of;
    for (const auto& s : out.stakeholders) role_of[s.address] = s.role;

    for (size_t t = 0; t < threads.size(); ++t) {
        const auto& ord = ordered[t];
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
            if (!mi.ext_recipients.empty() && mi.expects && !stale) {
                std::set<std::string> addrs(mi.ext_recipients.begin(), mi.ext_recipients.end());
                std::set<std::string> orgs(mi.ext_accounts.begin(), mi.ext_accounts.end());
                bool answered = false;
                for (size_t k = static_cast<size_t>(mpos) + 1; k < ord.size() && !answered; ++k) {
                    const MsgInfo& x = info[ord[k]];
                    if (x.automated || x.outbound) continue;
                    answered = addrs.count(x.from) || (!x.from_account.empty() && orgs.count(x.from_account));
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
                        if (xi.ext_recipients.empty()) continue;
                        ++f.unanswered_count;
                        f.first_unanswered = msgs[x].message_id;
                    }
                    f.waiting_business_days = wbd;
                    f.over_chasing = f.unanswered_count >= th.over_chasing_count;
                    std::map<std::string, int> acc_count;
                    for (const auto& a : mi.ext_accounts) ++acc_count[a];
                    f.account = majority(acc_count);
                    f.recipients = mi.ext_recipients;
                    // Chasers space out as they pile up, never sooner than the contact's usual delay.
                    int usual = median(stats[f.account].reply_delays);
                    // When that date is already past, the same spacing counts from today instead.
                    int base = std::max(usual, th.awaiting_reply_business_days);
                    int gap = base * std::min(f.unanswered_count, 4);
                    int from_now = f.unanswered_count <= 1 ? 1 : base * (std::min(f.unanswered_count, 4) - 1);
                    if (f.over_chasing) gap *= 2, from_now *= 2;
                    int64_t day = ctx.cal.add_business_days(msgs[M].date, gap);
                    int64_t floor_day = ctx.cal.add_business_days(ctx.now, from_now);
                    f.next_follow_up = iso_date(std::max(day, floor_day));
                    // The first outside recipient, To before Cc, is the person to chase.
                    std::string contact = ctx.name_of(mi.ext_recipients.front());
                    f.suggestion = suggest_awaiting_reply(f, contact, ctx.lang);
                    out.awaiting_reply.push_back(std::move(f));
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
                                           [&](const Mailbox& mb) { return ctx.id.is_owner(mb.address); });
            const bool stale = th.awaiting_max_age_days > 0 && msgs[M].date < ctx.now - th.awaiting_max_age_days * kDay;
            if (!mi.sender_internal && !mi.from.empty() && owner_in_to && mi.expects && !later_out && !stale) {
                int wbd = ctx.cal.business_days(msgs[M].date, ctx.now);
                if (wbd >= th.awaiting_my_reply_business_days) {
                    AwaitingMyReply f;
                    f.thread_id = tid;
                    f.message_id = msgs[M].message_id;
                    f.waiting_business_days = wbd;
                    f.account = mi.from_account;
                    f.from = mi.from;
                    f.subject = msgs[M].subject;
                    f.suggestion = suggest_awaiting_my_reply(f, ctx.name_of(mi.from), ctx.lang);
                    out.awaiting_my_reply.push_back(std::move(f));
                }
            }
        }

        // ---- all_in_copy: most outbound messages go to >= 4 people of one organization.
        std::vector<size_t> outs;
        for (size_t i : ord)
            if (info[i].outbound && !info[i].automated) outs.push_back(i);
        if (static_cast<int>(outs.size()) >= th.all_in_copy_min_group_messages) {
            std::map<std::string, std::vector<size_t>> groups;
            for (size_t i : outs) {
                std::map<std::string, int> per;
                for (const auto& a : info[i].ext_accounts) ++per[a];
                for (const auto& [a, n] : per)
                    if (n >= th.all_in_copy_min_recipients) groups[a].push_back(i);
            }
            const std::vector<size_t>* best = nullptr;
            std::string acct;
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
                    f.account = acct;
                    f.outbound_messages = static_cast<int>(outs.size());
                    f.recap_messages = recaps;
                    std::set<std::string> people;
                    for (size_t i : g) {
                        f.group_messages.push_back(msgs[i].message_id);
                        for (size_t r = 0; r < info[i].ext_recipients.size(); ++r)
                            if (info[i].ext_accounts[r] == acct && people.insert(info[i].ext_recipients[r]).second)
                                f.recipients.push_back(info[i].ext_recipients[r]);
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
                    const AccountStats& st = stats[acct];
                    f.direct_messages = st.direct_sent;
                    f.direct_reply_rate = st.direct_sent ? static_cast<double>(st.direct_replied) / st.direct_sent : 0.0;
                    // Whom to take each topic with: who talked about it, else the role that owns it.
                    static const std::map<std::string, std::string> kTopicRole = {
                        {"technical", "prescriber"}, {"budget", "signatory"}, {"planning", "influencer"}, {"scope", "decision_maker"}};
                    for (const auto& [topic, family] : kTopics) {
                        TopicContact tc;
                        tc.topic = topic;
                        auto it = st.topic_people.find(topic);
                        if (it != st.topic_people.end()) {
                            int n = 0;
                            for (const auto& [p, c] : it->second)
                                if (c > n) tc.address = p, n = c;
                        }
                        if (tc.address.empty())
                            for (const auto& p : f.recipients)
                                if (role_of.count(p) && role_of[p] == kTopicRole.at(topic)) {
                                    tc.address = p;
                                    break;
                                }
                        tc.name = ctx.name_of(tc.address);
                        f.topics.push_back(tc);
                    }
                    f.suggestion = suggest_all_in_copy(f, ctx.lang);
                    out.all_in_copy.push_back(std::move(f));
                }
            }
        }

        // ---- insists_on_cc: a keep-me-in-copy cue, or writing again after being dropped from copy.
        std::set<std::string> ever_included, latest, latest_accounts;
        bool have_latest = false;
        std::set<std::string> flagged;
        for (size_t i : ord) {
            const MsgInfo& x = info[i];
            if (x.automated) continue;
            if (x.outbound) {
                // A forward to colleagues inside the thread drops nobody outside.
                if (x.ext_recipients.empty()) continue;
                latest.clear();
                latest_accounts.clear();
                latest_accounts.insert(x.accounts.begin(), x.accounts.end());
                for (const auto& r : x.recipients) {
                    latest.insert(r);
                    ever_included.insert(r);
                }
                have_latest = true;
                continue;
            }
            if (x.sender_internal || x.from.empty() || flagged.count(x.from)) continue;
            std::string cause;
            if (ctx.has_cue(i, "keep_in_copy"))
                cause = "cue";
            else if (have_latest && ever_included.count(x.from) && !latest.count(x.from) &&
                     latest_accounts.count(x.from_account) && writes_to_owner(ctx, i))
                // Dropped while the rep went on with their organization, and writing back to the
                // rep: a person stepping back into a deal. A friend who answers an old group mail
                // with reply-all after the rep answered someone else (another organization) is
                // only choosing reply-all, not insisting.
                cause = "reappeared";
            if (cause.empty()) continue;
            flagged.insert(x.from);
            InsistsOnCc f;
            f.address = x.from;
            f.thread_id = tid;
            f.account = x.from_account;
            f.cause = cause;
            f.message_id = msgs[i].message_id;
            f.suggestion = suggest_insists_on_cc(f, ctx.name_of(x.from), ctx.lang);
            out.insists_on_cc.push_back(std::move(f));
        }
    }

    // ---- account-level findings.
    std::unordered_set<std::string> managers;
    for (const auto& m : settings.managers) managers.insert(lower(m));
    std::vector<std::string> accounts;
    for (const auto& [a, v] : ctx.account_msgs) accounts.push_back(a);
    std::sort(accounts.begin(), accounts.end());
    for (const auto& acct : accounts) {
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
                    ctx.has_cue(i, "reschedule"))
                    resched.push_back(i);
            bool resched_path = static_cast<int>(resched.size()) >= th.reschedule_min_messages;
            if (quiet_path || resched_path) {
                StalledDeal f;
                f.account = acct;
                f.path = quiet_path ? "quiet" : "reschedule";
                f.since = ctx.cal.iso_local(msgs[L].date);
                f.last_inbound = msgs[L].message_id;
                f.quiet_business_days = quiet;
                // The reason, from the last five inbound messages; first match wins.
                size_t from = inbound.size() > static_cast<size_t>(th.reason_last_inbound)
                                  ? inbound.size() - static_cast<size_t>(th.reason_last_inbound) : 0;
                std::vector<size_t> last5(inbound.begin() + static_cast<long>(from), inbound.end());
                auto with = [&](const char* fam) {
                    std::vector<size_t> r;
                    for (size_t i : last5)
                        if (ctx.has_cue(i, fam)) r.push_back(i);
                    return r;
                };
                std::set<std::string> engaged;
                for (size_t i : inbound)
                    if (msgs[i].date >= ctx.now - th.champion_window_days * kDay) engaged.insert(info[i].from);
                std::vector<size_t> cue_msgs;
                if (auto b = with("budget"); !b.empty()) f.reason = "budget", cue_msgs = b;
                else if (auto t2 = with("technical"); !t2.empty()) f.reason = "technical", cue_msgs = t2;
                else if (auto w = with("waiting_management"); !w.empty() && engaged.size() <= 1) f.reason = "champion_hesitant", cue_msgs = w;
                else if (auto c = with("consensus"); !c.empty() && static_cast<int>(engaged.size()) >= th.consensus_min_people) f.reason = "consensus_impossible", cue_msgs = c;
                else if (auto n = with("not_urgent"); !n.empty()) f.reason = "not_urgent", cue_msgs = n;
                else f.reason = "unknown";
                bool manager_wrote = false;
                for (size_t i : v)
                    if (managers.count(info[i].from) && msgs[i].date >= ctx.now - th.manager_window_days * kDay)
                        manager_wrote = true;
                bool organisational = f.reason == "champion_hesitant" || f.reason == "consensus_impossible" || f.reason == "not_urgent";
                f.escalate = organisational && !manager_wrote;
                std::set<std::string> seen;
                auto add = [&](size_t i) {
                    if (seen.insert(msgs[i].message_id).second) f.evidence.push_back(msgs[i].message_id);
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
                std::string usual;
                int best = -1;
                for (size_t i : inbound) {
                    auto it = ctx.exchanges.find(info[i].from);
                    int n = it == ctx.exchanges.end() ? 0 : it->second;
                    if (n > best) best = n, usual = info[i].from;
                }
                std::string uname = ctx.name_of(usual);
                f.suggestion = suggest_stalled_deal(f, uname.empty() ? usual : uname, ctx.lang);
                out.stalled_deal.push_back(std::move(f));
            }
        }

        // many_internal_contacts: distinct internal people (the owner once) who wrote lately.
        std::vector<std::string> people;
        std::set<std::string> seen;
        for (size_t i : v) {
            if (!info[i].sender_internal) continue;
            if (msgs[i].date < ctx.now - th.many_internal_window_days * kDay || msgs[i].date > ctx.now + kDay) continue;
            std::string p = ctx.id.person_key(info[i].from);
            if (seen.insert(p).second) people.push_back(p);
        }
        if (static_cast<int>(people.size()) >= th.many_internal_min_people) {
            ManyInternalContacts f;
            f.account = acct;
            f.internal_people = people;
            f.suggestion = suggest_many_internal(f, ctx.lang);
            out.many_internal_contacts.push_back(std::move(f));
        }
    }
    std::sort(out.stalled_deal.begin(), out.stalled_deal.end(),
              [](const StalledDeal& a, const StalledDeal& b) { return a.risk != b.risk ? a.risk > b.risk : a.account < b.account; });
    return out;
}

}  // namespace ilc::detect
