#pragma once
// The detectors of SPEC "Findings" and the stakeholder map, run over normalized messages and
// the threads the threader built from them.
#include <cstdint>
#include <string>
#include <vector>

#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"
#include "interlocutor/thread.h"

namespace ilc::detect {

struct AwaitingReply {
    std::string thread_id, message_id, first_unanswered;
    int unanswered_count = 0;
    int waiting_business_days = 0;
    bool over_chasing = false;
    std::string next_follow_up;  // ISO date
    std::string account;
    std::vector<std::string> recipients;
    std::string suggestion;
};

struct AwaitingMyReply {
    std::string thread_id, message_id;
    int waiting_business_days = 0;
    std::string account, from, subject;
    std::string suggestion;
};

struct TopicContact {
    std::string topic;    // "technical", "budget", "planning", "scope"
    std::string address;  // whom to take it with directly ("" when nobody is known)
    std::string name;
};

struct AllInCopy {
    std::string thread_id, account;
    std::vector<std::string> recipients;      // the account's people addressed by the group mails
    std::vector<std::string> group_messages;  // message ids
    int outbound_messages = 0;
    int recap_messages = 0;
    double group_reply_rate = 0, direct_reply_rate = 0;
    int direct_messages = 0;                  // the rep's direct messages with the account
    std::vector<TopicContact> topics;
    std::string suggestion;
};

struct InsistsOnCc {
    std::string address, thread_id, account;
    std::string cause;       // "cue" | "reappeared"
    std::string message_id;  // the message that shows it
    std::string suggestion;
};

struct StalledDeal {
    std::string account;
    std::string path;        // "quiet" | "reschedule"
    std::string since;       // ISO 8601 of the last inbound message L, in the owner's zone
    std::string last_inbound;
    int quiet_business_days = 0;
    std::string reason;      // budget | technical | champion_hesitant | consensus_impossible | not_urgent | unknown
    bool escalate = false;
    int risk = 0;            // 0-100
    std::vector<std::string> evidence;
    std::string suggestion;
};

struct ManyInternalContacts {
    std::string account;
    std::vector<std::string> internal_people;
    std::string suggestion;
};

struct Strength {
    std::string internal;  // an internal person (the owner under their first address)
    int strength = 1;      // 1-5
};

struct Stakeholder {
    std::string account, address, name, role, title;
    bool primary = false;
    int two_way = 0;             // two-way exchanges with the rep
    int messages_from = 0, messages_to = 0;
    std::vector<Strength> strength;
};

struct AccountSummary {
    std::string account;
    int people = 0, engaged = 0;
    std::vector<std::string> warnings;  // "single_threaded", "no_decision_maker"
};

struct AnalysisResult {
    std::string lang;  // language the suggestions are written in
    std::vector<AwaitingReply> awaiting_reply;
    std::vector<AwaitingMyReply> awaiting_my_reply;
    std::vector<AllInCopy> all_in_copy;
    std::vector<InsistsOnCc> insists_on_cc;
    std::vector<StalledDeal> stalled_deal;
    std::vector<ManyInternalContacts> many_internal_contacts;
    std::vector<Stakeholder> stakeholders;
    std::vector<AccountSummary> accounts;
};

// Runs every detector. Thread::members index into msgs. Settings.now = 0 means the current time.
AnalysisResult analyze(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                       const AnalysisSettings& settings);

// The stakeholder role for a signature title (FR/EN), "unknown" when none applies.
std::string role_from_title(std::string_view title);

}  // namespace ilc::detect
