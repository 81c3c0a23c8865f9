#pragma once
// The weekly summary mail of one account and the manager's digest of the team
// (SPEC "Weekly summary mail"), built from stored messages, their threads and analyze().
//
// Privacy rule: nothing written in a one-to-one exchange (a thread whose only external person
// is one person) is quoted in a recap; such threads appear by subject only. Nothing from another
// account ever appears: a thread is the account's only when every external person in it belongs
// to that account.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/digest/digest_config.h"
#include "interlocutor/digest/mime_writer.h"
#include "interlocutor/message.h"
#include "interlocutor/result.h"
#include "interlocutor/thread.h"

namespace ilc::digest {

struct IsoWeek {
    int year = 0, week = 0;
    int64_t first_day() const;  // the Monday (day number)
    std::string to_string() const;  // "2026-W47"
};
// "2026-W47" (also "2026W47", "2026-w47"); weeks past the year's last are an error.
Result<IsoWeek> parse_iso_week(std::string_view s);
IsoWeek iso_week_of_day(int64_t day);

// "acme.com" -> "Acme", "groupe-durand.fr" -> "Groupe Durand".
std::string account_display_name(std::string_view account);
// The account's name: the config's name for it (or for any organization merged into it), else
// account_display_name().
std::string account_name_for(const std::string& account, const std::map<std::string, std::string>& names,
                             const detect::Identity& id);

enum class ThreadKind { one_to_one, group, other_account, none };

struct DigestOptions {
    std::string account;        // the account's organization ("acme.com")
    std::string account_name;   // display name; "" = from account_names, else from the domain
    std::map<std::string, std::string> account_names;  // the config's names (DigestConfig)
    IsoWeek week;
    std::string lang;           // "fr" | "en"; "" = the mailbox's language
    int active_window_days = 30;
};

struct Decision { std::string date, from, subject, sentence, message_id; };
struct Deadline { std::string date, sentence, subject, message_id; };
struct OpenQuestion { std::string kind, subject, who; int business_days = 0; std::string thread_id; };
struct DirectTopic { std::string subject, with; int messages = 0; };
struct WeekNumbers {
    int messages = 0, inbound = 0, outbound = 0, threads = 0, people = 0, direct_threads = 0, group_threads = 0;
};

struct WeeklyDigest {
    std::string account, account_name, lang;
    IsoWeek week;
    Mailbox owner;
    std::vector<Mailbox> to, cc;
    std::vector<Decision> decisions;
    std::vector<Deadline> deadlines;
    std::vector<OpenQuestion> open_questions;
    std::vector<DirectTopic> direct_topics;
    WeekNumbers numbers;
};

// Collects the sections. settings gives owners, internal domains, managers, tz, holidays, now.
Result<WeeklyDigest> build_weekly(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                                  const detect::AnalysisResult& analysis, const detect::AnalysisSettings& settings,
                                  const DigestOptions& opts);
// The mail of a weekly digest (subject "Point hebdomadaire — Acme — semaine 47" / "Weekly update — ...").
OutgoingMail weekly_mail(const WeeklyDigest& d, const detect::AnalysisSettings& settings);

// What one rep of the team accounts for in the manager's digest (config [reps]).
struct RepSummary {
    Rep rep;
    int awaiting_reply = 0, awaiting_my_reply = 0;  // findings whose message the rep sent / received
    int all_in_copy = 0;                            // threads whose group mails the rep sent
    std::vector<std::string> stalled;               // stalled accounts the rep wrote to most
    std::vector<std::string> accounts;              // accounts the rep wrote to in the week
    int sent_in_week = 0;
};

struct TeamOptions {
    IsoWeek week;
    std::string lang;                                   // "" = the mailbox's
    std::map<std::string, std::string> account_names;   // the config's names
    std::vector<Rep> reps;                              // empty = the owner is the only rep
};

struct TeamDigest {
    std::string lang;
    IsoWeek week;
    Mailbox owner;
    std::vector<Mailbox> managers;
    std::vector<detect::StalledDeal> stalled;           // by risk, highest first
    int awaiting_reply = 0, awaiting_my_reply = 0;      // the rep's counts, both ways
    std::vector<std::pair<std::string, std::pair<int, int>>> awaiting_by_account;  // account -> (theirs, mine)
    std::vector<detect::AllInCopy> all_in_copy;
    std::vector<std::string> all_in_copy_subjects;      // parallel to all_in_copy
    std::vector<detect::ManyInternalContacts> many_internal;
    std::map<std::string, std::string> account_names;   // account -> name shown (every account named above)
    std::vector<RepSummary> reps;                       // one per configured rep, in config order
    const std::string& name_of(const std::string& account) const;
};
// With reps configured, every rep's address should be an owner in settings (the store holds the
// team's mail), so that each rep's mail is outbound and their findings exist.
Result<TeamDigest> build_team(const std::vector<Message>& msgs, const detect::AnalysisResult& analysis,
                              const detect::AnalysisSettings& settings, const TeamOptions& opts);
OutgoingMail team_mail(const TeamDigest& d, const detect::AnalysisSettings& settings);

// How a thread reads for an account: one_to_one (one external person, of the account), group
// (two or more, all of the account), other_account (someone of another account), none.
ThreadKind thread_kind(const std::vector<Message>& msgs, const Thread& t, const detect::Identity& id,
                       const std::string& account);

// Making a digest without the whole Messages of a large store (serve's GET /v1/digest,
// `interlocutor digest`): build_weekly and build_team read of every message only what a
// detect::Mail keeps, and build_weekly reads new_text and cues of a few messages only.
// header_message: a Message with the Mail's fields (copied: its MailText must still be alive;
// no texts, no raw headers).
Message header_message(detect::Mail&& m);
// The indexes of the messages whose new_text and cues build_weekly reads (with these arguments):
// the non-automated members of the account's group threads dated from 30 days before the week
// to its end (a day of margin either side). Reads only what header_message keeps.
std::vector<size_t> weekly_text_messages(const std::vector<Message>& msgs, const std::vector<Thread>& threads,
                                         const detect::AnalysisSettings& settings, const DigestOptions& opts);

}  // namespace ilc::digest
