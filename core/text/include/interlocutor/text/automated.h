#pragma once
// Automated mail (SPEC "Normalization"): such mail never counts as a reply, a request or
// activity. Reason codes are short and stable (they are stored and shown):
//   auto_submitted  Auto-Submitted other than "no" (RFC 3834 section 5)
//   precedence      Precedence: bulk | list | junk
//   list            List-Id or List-Unsubscribe present (RFC 2919, RFC 2369)
//   report          multipart/report: delivery status or disposition notification (RFC 6522)
//   autoreply       X-Autoreply / X-Autorespond header
//   ooo             out-of-office subject or body (FR/EN/DE)
//   bounce          a bounce by its subject ("Undeliverable:", "Delivery Status Notification", …)
//   noreply         a no-reply sender (noreply, donotreply, mailer-daemon, postmaster, notifications@, bounce…)
//   bulk_mailer     sent by mass-mailing software (X-Mailer: L-Soft, Lyris, Mailchimp, …)
//   bulk_sender     a role address that only broadcasts (newsletter@, marketing@, announce@, …)
//   undisclosed     addressed to "undisclosed-recipients" (the real list is hidden in Bcc)
//   broadcast       addressed to 20 people or more (To + Cc): an announcement, not a conversation
//   marketing       a newsletter or promotion by its footer ("to unsubscribe", "pour vous désinscrire", …)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "interlocutor/message.h"
#include "interlocutor/text/normalize.h"

namespace ilc::text {

struct AutomatedVerdict {
    bool automated = false;
    std::string reason;                 // one code above, empty when not automated
    std::optional<int64_t> ooo_until;   // out-of-office return date (UTC midnight), when stated
};

// Reads headers (auto_submitted, precedence, list_id, list_unsubscribe, x_autoreply,
// x_autorespond, is_report), from.address, subject and the start of body_text.
AutomatedVerdict classify_automated(const Message& m);

// The same when new_text_folded = fold_words(cue_scan_span(m.new_text)) is at hand (understand()
// folds the new text once for several matchers); null folds what is needed. body_in_part_order:
// split_body(m.body_text) put the body's lines in new text, signature, quote order, nothing
// truncated (then the body folds as its three parts one after the other).
AutomatedVerdict classify_automated(const Message& m, const FoldedText* new_text_folded,
                                    bool body_in_part_order = false);

// The same with the fold made on demand: new_text_folded.source() is cue_scan_span(m.new_text),
// and it is folded only when a body scan that reads it runs (the same verdict either way).
AutomatedVerdict classify_automated(const Message& m, LazyFoldedText& new_text_folded, bool body_in_part_order);

// True when the subject is an out-of-office or auto-reply subject ("Absence du bureau",
// "Réponse automatique", "Out of Office", "Automatic reply", "Auto:", "Abwesenheit", …).
bool is_ooo_subject(std::string_view subject);

// True when the body reads like an out-of-office notice ("je suis absent(e) du … au …",
// "I am out of the office until …").
bool is_ooo_body(std::string_view body);

// Bulk and marketing mail that carries none of the list headers (common in real mailboxes: old
// list servers, marketing senders, announcements to hundreds of people). Reads x_mailer,
// from.address, to/cc and the body (body_text, or new_text + signature when the body is not
// loaded); returns one of the bulk reason codes above, or "" for mail from a person.
// broadcast_min_recipients: the To+Cc count from which a mail is a broadcast. BodyScan::skip
// looks at headers and addresses only (the detectors' cheap second look over a whole mailbox).
enum class BodyScan { scan, skip };
std::string bulk_reason(const Message& m, int broadcast_min_recipients = 20, BodyScan body_scan = BodyScan::scan);

// True for no-reply style addresses.
bool is_noreply_address(std::string_view address);

// Finds a return date in an out-of-office text: "jusqu'au 15 novembre", "de retour le lundi 17/11",
// "back on November 17th", "until 11/17", "du 3 au 14 novembre", "until 2025-11-17". The year is
// taken from the text when written, else the first such date on or after `reference` (the
// message's Date, UTC seconds; 0 = unknown, then the reference year is the date's own). Returns
// UTC midnight of that day.
std::optional<int64_t> parse_return_date(std::string_view text, int64_t reference);

}  // namespace ilc::text
