#pragma once
// Private: what every detector reads, computed once per analysis (one pass over the messages,
// one over each thread), so no detector rescans the mailbox.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/business_days.h"
#include "interlocutor/detect/identity.h"

namespace ilc::detect {

struct MsgInfo {
    bool automated = false;
    bool duplicate = false;  // another copy of the same mail under another Message-ID (also sets automated)
    bool outbound = false;
    bool sender_internal = false;
    bool expects = false;
    std::string from;                         // lower-case address
    std::string from_account;                 // "" when the sender is internal
    std::vector<std::string> recipients;      // To + Cc, distinct, without the sender
    std::vector<std::string> ext_recipients;  // the external ones
    std::vector<std::string> ext_accounts;    // parallel to ext_recipients
    std::vector<std::string> accounts;        // distinct accounts among recipients
};

struct Context {
    const std::vector<Message>& msgs;
    const AnalysisSettings& settings;
    Identity id;
    BusinessCalendar cal;
    int64_t now = 0;
    std::string lang;
    std::vector<MsgInfo> info;
    // Per account: non-automated messages from it or from internal people to it, by date.
    std::unordered_map<std::string, std::vector<size_t>> account_msgs;
    // Per external person: the latest display name and signature title seen.
    std::unordered_map<std::string, std::string> names, titles, roles;
    // Two-way exchanges between the rep and each external person.
    std::unordered_map<std::string, int> exchanges;

    // What Identity says about each address, computed once per address (the public suffix
    // lookup is the costly part on large mailboxes).
    struct AddressFacts {
        bool internal = false;
        std::string account;  // "" for internal addresses
    };
    std::unordered_map<std::string, AddressFacts> address_facts;
    const AddressFacts& facts(const std::string& lower_address);

    // threads: used to pick which copy of a duplicated mail stands for it (the one in the
    // largest thread, so replies threaded to any copy are seen).
    Context(const std::vector<Message>& m, const AnalysisSettings& s, const std::vector<Thread>& threads);
    bool has_cue(size_t i, std::string_view family) const;
    std::string name_of(const std::string& address) const;
};

void build_stakeholders(Context& ctx, AnalysisResult& out);

}  // namespace ilc::detect
