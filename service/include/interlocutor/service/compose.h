#pragma once
// The compose-time check (SPEC "Compose-time check"): suggestions for a draft, from the
// precomputed snapshot indexes only, so it answers in well under a millisecond.
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

std::vector<Suggestion> compose_check(const Snapshot& snap, const Draft& draft);

}  // namespace ilc::service
