#pragma once
// The compose-time check (SPEC "Compose-time check"): suggestions for a draft, from the
// precomputed snapshot indexes only, so it answers in well under a millisecond.
#include <cstdint>
#include <string>
#include <vector>

#include "interlocutor/service/snapshot.h"

namespace ilc::service {

struct Draft {
    std::string from;
    std::vector<std::string> to, cc, bcc;
    std::string subject, in_reply_to;
    std::vector<std::string> references;
    std::string body;
    std::string lang;  // "fr", "en" or "" (= the mailbox's language)
};

struct Alternative {
    std::string label;               // for a person: "Budget: take it directly with Ana (ana@acme.com)"
    std::string topic;               // technical | budget | planning | scope | recap | "" 
    std::vector<std::string> to;     // the recipients this alternative proposes
};

struct Suggestion {
    std::string code;      // all_in_copy | insists_on_cc_dropped | over_chasing | many_internal_contacts |
                           // sensitive_topic_direct | recap_due
    std::string severity;  // "warning" | "info"
    std::string message;
    std::vector<Alternative> alternatives;
};

// A message the mail client reports as sent (POST /v1/sent) that no ingest has stored yet. The
// service keeps it in memory so the next check on its thread already counts it.
struct SentRecord {
    std::string message_id, in_reply_to;  // bare (no angle brackets)
    std::vector<std::string> references;  // bare
    std::string from;
    std::vector<std::string> to, cc;
    std::string subject;
    int64_t date = 0;                     // UTC seconds
};

// The index of the snapshot thread that ids (In-Reply-To first, then References last first)
// point to, following sent records that are not stored yet; -1 when none is known.
long find_thread(const Snapshot& snap, const std::vector<std::string>& ids, const std::vector<SentRecord>& sent = {});

std::vector<Suggestion> compose_check(const Snapshot& snap, const Draft& draft, const std::vector<SentRecord>& sent = {});

}  // namespace ilc::service
