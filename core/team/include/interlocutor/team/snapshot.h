#pragma once
// What one rep shares with the team (SPEC "Team scale"): findings and the metadata a team view
// needs (accounts, threads' subjects and dates, participants, relationship strengths), built
// from the rep's own analysis. Bodies, new text, quotes and signatures are never copied here.
// The rep's sharing policy is applied while building: a private account leaves no trace, an
// exclusive contact appears only as "a colleague knows someone at X".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/message.h"
#include "interlocutor/thread.h"

namespace ilc::team {

struct SharingPolicy {
    std::vector<std::string> private_accounts;    // organizations ("acme.com"), compared lower-case
    std::vector<std::string> exclusive_contacts;  // addresses, compared lower-case
};

struct AccountMeta {
    std::string account;
    int people = 0, engaged = 0, threads = 0;
    int64_t last_activity = 0;  // UTC seconds of the account's latest message
};

struct ThreadMeta {
    std::string thread_id, account, subject;
    int64_t first_date = 0, last_date = 0;
    int message_count = 0;
    std::vector<std::string> participants;  // addresses, exclusive contacts removed
};

struct ContactLink {
    std::string account;
    std::optional<std::string> contact;  // nullopt for an exclusive contact
    std::optional<std::string> role;     // nullopt for an exclusive contact
    std::string colleague;               // the internal person who knows them
    int strength = 1;                    // 1-5
    bool exclusive = false;
};

struct FindingRow {
    std::string kind, account, thread_id;
    int risk = 0;
    std::string reason, since;
    bool escalate = false;
    std::string detail_json;  // the finding's fields that may leave the machine (no text, no names)
};

struct TeamSnapshot {
    std::string rep;
    int64_t published_at = 0;
    int message_count = 0;
    std::vector<AccountMeta> accounts;
    std::vector<ThreadMeta> threads;
    std::vector<ContactLink> contacts;
    std::vector<FindingRow> findings;
};

// Builds what the rep publishes. msgs/threads/settings are those the analysis ran on.
TeamSnapshot build_snapshot(const std::string& rep, const std::vector<Message>& msgs,
                            const std::vector<Thread>& threads, const detect::AnalysisResult& result,
                            const detect::AnalysisSettings& settings, const SharingPolicy& policy);

}  // namespace ilc::team
