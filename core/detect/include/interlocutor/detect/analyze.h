#pragma once
// The detectors of SPEC "Findings" and the stakeholder map, run over normalized messages and
// the threads the threader built from them.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"
#include "interlocutor/thread.h"
#include "interlocutor/threading/threader.h"

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

// A mailbox of a Mail: its address and display name in the Mails' MailText.
using MailAddress = threading::MailboxView;
// A string of a Mail, in the Mails' MailText (reads as a std::string_view).
using MailString = threading::TextRef;
// A To/Cc/Bcc list of a Mail, in the Mails' MailText (iterates as a span of MailAddress).
using MailAddressList = threading::MailboxList;

// Where the strings of a set of Mails live (docs/PERFORMANCE.md "Service on a large store"): one
// block of text instead of a std::string per field (a heap block each when longer than 15
// bytes), addresses, names, subjects and the other repeated strings stored once, and the
// To/Cc/Bcc lists end to end as arrays of pointers to mailboxes (each distinct address and name
// pair stored once: 8 bytes a recipient instead of two views, 32, which were 75 MB at 1M).
// Nothing moves once added, so the refs handed out stay valid as long as the MailText lives.
class MailText {
public:
    MailText() = default;
    MailText(const MailText&) = delete;
    MailText& operator=(const MailText&) = delete;
    // A copy of s ("" stays no string).
    MailString add(std::string_view s);
    // The one copy of s (repeated strings: addresses, names, subjects, titles, languages).
    MailString intern(std::string_view s);
    // The mailboxes of `list`, interned.
    MailAddressList add_list(const std::vector<Mailbox>& list);
    MailAddress mailbox(const Mailbox& m) { return {intern(m.address), intern(m.name)}; }
    // Nothing more will be interned: the tables that find the copies go (the strings and lists
    // stay). After it, intern() and add_list() still work but store repeats again.
    void seal();

private:
    struct PairHash {
        size_t operator()(const std::pair<const void*, const void*>& p) const {
            return std::hash<const void*>()(p.first) * 31 + std::hash<const void*>()(p.second);
        }
    };
    char* reserve(size_t n);
    const MailAddress* interned_mailbox(const Mailbox& m);
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* at_ = nullptr;
    size_t left_ = 0;
    std::unordered_set<std::string_view> interned_;  // views of the strings' bytes (after their length)
    // Each distinct (address, name) once, by the identity of its two interned strings.
    std::unordered_map<std::pair<const void*, const void*>, const MailAddress*, PairHash> mailbox_ids_;
    std::vector<std::unique_ptr<MailAddress[]>> mailboxes_;  // blocks of 4096
    size_t mailboxes_left_ = 0;
    // The lists (MailAddressList): blocks, never grown past their capacity.
    std::vector<std::vector<const MailAddress*>> lists_;
};

// What the detectors read of one message, slim (docs/PERFORMANCE.md "Large stores"): an
// ilc::Message is 1,216 bytes before its strings, and on a large store the loaded messages were
// most of the peak of `analyze` and of the service's start-up. The fields the detectors read keep
// their Message names (MailString and MailAddressList: in the MailText of the MailMaker that made the
// Mail, which must outlive it); what they only read in a first per-message step (the texts, the
// cue list, the automated-mail headers) is replaced by that step's result, computed by MailMaker
// while the store is read, so those parts never sit in memory for the whole store. Threading
// headers are not kept: callers thread first (MailCorpus::thread()).
// A Mail is 120 bytes (216 with views and spans: docs/PERFORMANCE.md "Service on a large
// store"): its strings and lists are one pointer each into the MailText.
struct Mail {
    MailString message_id;
    int64_t rowid = 0;
    int64_t date = 0;
    MailString subject;
    MailAddress from;
    MailAddressList to, cc, bcc;
    MailString signature_name, signature_title;
    MailString lang;
    // The title found in the new text and signature (the sender's name, then a title naming a
    // role), when the message has no signature_title; "" otherwise.
    MailString text_title;
    uint64_t body_hash = 0;  // the new text without whitespace, hashed (duplicate copies)
    uint16_t cues = 0;       // the families of Message::cues, as bits
    // One bit each (a byte each made the Mail 8 bytes longer).
    bool automated : 1 = false;  // as stored (Message::automated)
    bool is_report : 1 = false;
    bool expects_reply : 1 = false;
    // The header tests of the automated-mail rules, done once: automated for a reason other than
    // the bulk shapes; Auto-Submitted present and not "no"; Precedence bulk/list/junk or a list or
    // auto-reply header present; a bulk shape (text::bulk_reason without the recipient count).
    bool automated_not_bulk : 1 = false;
    bool auto_submitted : 1 = false;
    bool list_or_autoreply_headers : 1 = false;
    bool bulk_shape : 1 = false;
};
static_assert(sizeof(Mail) <= 120, "a Mail per message: keep it small (docs/PERFORMANCE.md)");

// Makes the Mails of one analysis: mail(m) is the Mail of `m` (moved from: `m` is left
// unspecified), its strings in text() (shared by the copies of this MailMaker: keep one alive as
// long as the Mails); analyze() on the Mails gives what it gives on the Messages. Given the
// analysis's settings (owners known), it skips what the detectors never read of a message: the
// title in the text of mail from inside (titles are only taken from outside senders; looking for
// one costs more than the rest of the step), and the bulk shape of mail already automated or from
// an owner.
class MailMaker {
public:
    explicit MailMaker(const AnalysisSettings* settings = nullptr);
    Mail operator()(Message&& m);
    const std::shared_ptr<MailText>& text() const { return text_; }

private:
    std::optional<Identity> id_;
    std::unordered_map<std::string, bool> internal_;  // lower-case From -> Identity::is_internal
    std::string lower_;
    std::shared_ptr<MailText> text_ = std::make_shared<MailText>();
};
// Whether the message had a cue of `family` (one of the families the detectors test).
bool has_cue_family(const Mail& m, std::string_view family);

// The same analysis on slim records: identical results to analyze() on the Messages they came from.
AnalysisResult analyze(const std::vector<Mail>& msgs, const std::vector<Thread>& threads,
                       const AnalysisSettings& settings);

// The stakeholder role for a signature title (FR/EN), "unknown" when none applies.
std::string role_from_title(std::string_view title);

}  // namespace ilc::detect
