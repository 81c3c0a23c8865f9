#pragma once
// Private: the sentences written for the rep, in French or English, one function per finding.
// They follow the practice behind each finding (SPEC introduction): a weekly recap plus direct
// exchanges per topic; after the third unanswered chaser change the approach; escalate manager
// to manager only for organisational blockers, after briefing the manager and telling the usual
// contact first; never for budget or technical blockers.
#include <string>

#include "interlocutor/detect/analyze.h"

namespace ilc::detect {

std::string suggest_awaiting_reply(const AwaitingReply& f, const std::string& contact_name, const std::string& lang);
std::string suggest_awaiting_my_reply(const AwaitingMyReply& f, const std::string& sender_name, const std::string& lang);
std::string suggest_all_in_copy(const AllInCopy& f, const std::string& lang);
std::string suggest_insists_on_cc(const InsistsOnCc& f, const std::string& name, const std::string& lang);
std::string suggest_stalled_deal(const StalledDeal& f, const std::string& usual_contact, const std::string& lang);
std::string suggest_many_internal(const ManyInternalContacts& f, const std::string& lang);

}  // namespace ilc::detect
