#include "interlocutor/detect/report.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <ostream>

#include "interlocutor/json_writer.h"

namespace ilc::detect {
namespace {

void strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
    w.key(key).begin_array();
    for (const auto& s : v) w.value(s);
    w.end_array();
}

// The JSON of r into w. `sink`, when given, receives what w holds (w.take()) once it passes 1 MiB,
// after a finding, a stakeholder or an account: a caller writing to a stream never holds the
// whole text (70 MB on a 1M-message store, and twice that while the string grew).
void json_into(JsonWriter& w, const AnalysisResult& r, const std::function<void(std::string&&)>& sink) {
    auto flush = [&] {
        if (sink && w.str().size() >= (size_t{1} << 20)) sink(w.take());
    };
    w.begin_object();
    w.kv("lang", r.lang);
    w.key("findings").begin_array();
    for (const auto& f : r.awaiting_reply) {
        w.begin_object().kv("kind", "awaiting_reply").kv("thread_id", f.thread_id).kv("message_id", f.message_id)
            .kv("first_unanswered", f.first_unanswered).kv("unanswered_count", static_cast<long long>(f.unanswered_count))
            .kv("waiting_business_days", static_cast<long long>(f.waiting_business_days)).kv("over_chasing", f.over_chasing)
            .kv("next_follow_up", f.next_follow_up).kv("account", f.account);
        strings(w, "recipients", f.recipients);
        w.kv("suggestion", f.suggestion).end_object();
        flush();
    }
    for (const auto& f : r.awaiting_my_reply) {
        w.begin_object().kv("kind", "awaiting_my_reply").kv("thread_id", f.thread_id).kv("message_id", f.message_id)
            .kv("waiting_business_days", static_cast<long long>(f.waiting_business_days)).kv("account", f.account).kv("from", f.from)
            .kv("subject", f.subject).kv("suggestion", f.suggestion).end_object();
        flush();
    }
    for (const auto& f : r.all_in_copy) {
        w.begin_object().kv("kind", "all_in_copy").kv("thread_id", f.thread_id).kv("account", f.account);
        strings(w, "recipients", f.recipients);
        strings(w, "group_messages", f.group_messages);
        w.kv("outbound_messages", static_cast<long long>(f.outbound_messages)).kv("recap_messages", static_cast<long long>(f.recap_messages))
            .kv("group_reply_rate", f.group_reply_rate).kv("direct_reply_rate", f.direct_reply_rate)
            .kv("direct_messages", static_cast<long long>(f.direct_messages));
        w.key("topics").begin_array();
        for (const auto& t : f.topics)
            w.begin_object().kv("topic", t.topic).kv("address", t.address).kv("name", t.name).end_object();
        w.end_array();
        w.kv("suggestion", f.suggestion).end_object();
        flush();
    }
    for (const auto& f : r.insists_on_cc) {
        w.begin_object().kv("kind", "insists_on_cc").kv("address", f.address).kv("thread_id", f.thread_id)
            .kv("account", f.account).kv("cause", f.cause).kv("message_id", f.message_id)
            .kv("suggestion", f.suggestion).end_object();
        flush();
    }
    for (const auto& f : r.stalled_deal) {
        w.begin_object().kv("kind", "stalled_deal").kv("account", f.account).kv("path", f.path).kv("since", f.since)
            .kv("last_inbound", f.last_inbound).kv("quiet_business_days", static_cast<long long>(f.quiet_business_days))
            .kv("reason", f.reason).kv("escalate", f.escalate).kv("risk", static_cast<long long>(f.risk));
        strings(w, "evidence", f.evidence);
        w.kv("suggestion", f.suggestion).end_object();
        flush();
    }
    for (const auto& f : r.many_internal_contacts) {
        w.begin_object().kv("kind", "many_internal_contacts").kv("account", f.account);
        strings(w, "internal_people", f.internal_people);
        w.kv("suggestion", f.suggestion).end_object();
        flush();
    }
    w.end_array();
    w.key("stakeholders").begin_array();
    for (const auto& s : r.stakeholders) {
        w.begin_object().kv("account", s.account).kv("address", s.address).kv("name", s.name).kv("role", s.role)
            .kv("title", s.title).kv("primary", s.primary).kv("two_way_exchanges", static_cast<long long>(s.two_way));
        w.key("strength").begin_array();
        for (const auto& st : s.strength) w.begin_object().kv("internal", st.internal).kv("strength", static_cast<long long>(st.strength)).end_object();
        w.end_array().end_object();
        flush();
    }
    w.end_array();
    w.key("accounts").begin_array();
    for (const auto& a : r.accounts) {
        w.begin_object().kv("account", a.account).kv("people", static_cast<long long>(a.people)).kv("engaged", static_cast<long long>(a.engaged));
        strings(w, "warnings", a.warnings);
        w.end_object();
        flush();
    }
    w.end_array();
    w.end_object();
}

}  // namespace

std::string to_json(const AnalysisResult& r, bool pretty) {
    JsonWriter w(pretty);
    json_into(w, r, {});
    std::string s = w.take();
    s += '\n';
    return s;
}

void write_json(std::ostream& out, const AnalysisResult& r, bool pretty) {
    JsonWriter w(pretty);
    json_into(w, r, [&](std::string&& chunk) { out << chunk; });
    out << w.take() << '\n';
}

namespace {

struct Line {
    int weight;
    std::string text;
};

}  // namespace

std::string to_text(const AnalysisResult& r) {
    // Per account, the findings as lines and a weight so the worst accounts come first.
    std::map<std::string, std::vector<Line>> by;
    std::map<std::string, int> score;
    auto add = [&](const std::string& acct, int weight, std::string text) {
        std::string a = acct.empty() ? "(no account)" : acct;
        score[a] += weight;
        by[a].push_back({weight, std::move(text)});
    };
    for (const auto& f : r.stalled_deal)
        add(f.account, f.risk, "stalled deal since " + f.since + ", reason " + f.reason + (f.escalate ? ", escalate" : "") +
                                   ", risk " + std::to_string(f.risk) + "\n      " + f.suggestion);
    for (const auto& f : r.awaiting_reply)
        add(f.account, 20 + (f.over_chasing ? 20 : 0),
            "awaiting reply: " + std::to_string(f.unanswered_count) + " unanswered, " +
                std::to_string(f.waiting_business_days) + " business days, next follow-up " + f.next_follow_up +
                "  <" + f.message_id + ">\n      " + f.suggestion);
    for (const auto& f : r.awaiting_my_reply)
        add(f.account.empty() ? f.from : f.account, 30,
            "you owe an answer to " + f.from + " (" + std::to_string(f.waiting_business_days) + " business days): " +
                f.subject + "\n      " + f.suggestion);
    for (const auto& f : r.all_in_copy)
        add(f.account, 15, "all in copy: " + std::to_string(f.group_messages.size()) + " group mails to " +
                               std::to_string(f.recipients.size()) + " people\n      " + f.suggestion);
    for (const auto& f : r.insists_on_cc)
        add(f.account, 10, "insists on cc: " + f.address + " (" + f.cause + ")\n      " + f.suggestion);
    for (const auto& f : r.many_internal_contacts)
        add(f.account, 10, "many internal contacts: " + std::to_string(f.internal_people.size()) + " people\n      " + f.suggestion);
    std::vector<std::pair<int, std::string>> order;
    for (const auto& [a, s] : score) order.push_back({-s, a});
    std::sort(order.begin(), order.end());
    std::string out;
    for (const auto& [neg, a] : order) {
        out += a + "\n";
        auto lines = by[a];
        std::stable_sort(lines.begin(), lines.end(), [](const Line& x, const Line& y) { return x.weight > y.weight; });
        for (const auto& l : lines) out += "  - " + l.text + "\n";
        out += "\n";
    }
    if (out.empty()) out = "No findings.\n";
    return out;
}

namespace {

// RFC 4180 section 2: fields with commas, quotes or line breaks are quoted, quotes doubled.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) {
        if (c == '"') o += '"';
        o += c;
    }
    return o + "\"";
}

}  // namespace

std::string to_csv(const AnalysisResult& r) {
    std::string out = "kind,account,thread_id,message_id,address,detail,suggestion\r\n";
    auto row = [&](const std::string& kind, const std::string& acct, const std::string& tid, const std::string& mid,
                   const std::string& addr, const std::string& detail, const std::string& sug) {
        out += csv_field(kind) + "," + csv_field(acct) + "," + csv_field(tid) + "," + csv_field(mid) + "," +
               csv_field(addr) + "," + csv_field(detail) + "," + csv_field(sug) + "\r\n";
    };
    for (const auto& f : r.awaiting_reply)
        row("awaiting_reply", f.account, f.thread_id, f.message_id, "",
            "unanswered_count=" + std::to_string(f.unanswered_count) + " waiting_business_days=" +
                std::to_string(f.waiting_business_days) + " next_follow_up=" + f.next_follow_up,
            f.suggestion);
    for (const auto& f : r.awaiting_my_reply)
        row("awaiting_my_reply", f.account, f.thread_id, f.message_id, f.from,
            "waiting_business_days=" + std::to_string(f.waiting_business_days), f.suggestion);
    for (const auto& f : r.all_in_copy)
        row("all_in_copy", f.account, f.thread_id, f.group_messages.empty() ? "" : f.group_messages.front(), "",
            "group_messages=" + std::to_string(f.group_messages.size()), f.suggestion);
    for (const auto& f : r.insists_on_cc)
        row("insists_on_cc", f.account, f.thread_id, f.message_id, f.address, "cause=" + f.cause, f.suggestion);
    for (const auto& f : r.stalled_deal)
        row("stalled_deal", f.account, "", f.last_inbound, "",
            "reason=" + f.reason + " escalate=" + (f.escalate ? "true" : "false") + " risk=" + std::to_string(f.risk) +
                " since=" + f.since,
            f.suggestion);
    for (const auto& f : r.many_internal_contacts) {
        std::string people;
        for (const auto& p : f.internal_people) people += (people.empty() ? "" : " ") + p;
        row("many_internal_contacts", f.account, "", "", "", "internal_people=" + people, f.suggestion);
    }
    return out;
}

}  // namespace ilc::detect
