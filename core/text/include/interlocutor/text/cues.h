#pragma once
// Text cues: the FR/EN phrase lists the detectors read, as data in one place (cue_families()),
// and the matcher that finds them in a message's new text.
//
// Pattern syntax (one string per pattern, written as people write, accents and all):
//   - words are matched after fold(): case, accents, apostrophes (' ’ ʼ), hyphens and line
//     breaks do not matter ("pourriez-vous" matches "Pourriez vous" and "POURRIEZ-\nVOUS");
//   - matches fall on word boundaries ("cost" does not match "costume", "api" not "rapide");
//   - a word ending in '*' matches any word starting with it ("décal*" matches "décalons");
//   - a standalone "..." matches 0 to 3 arbitrary words ("garde* ... en copie" matches
//     "gardez-moi bien en copie").
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "interlocutor/message.h"
#include "interlocutor/text/normalize.h"

namespace ilc::text {

// One family of cues. Family names are stable identifiers (they land in JSON and the store):
//   request            a request or question that expects an answer (drives expects_reply)
//   keep_in_copy       "keep me in copy", "merci de me laisser en copie"
//   reschedule         a meeting pushed back / cancelled / moved
//   waiting_management waiting for a superior's approval, "run it by my boss"
//   consensus          internal disagreement, several departments to align
//   not_urgent         "pas prioritaire", "next quarter", "back-burner"
//   budget             money as a constraint ("trop cher", "budget freeze", "no budget", "cost")
//   technical          a technical constraint (integration, security review, SSO, compatibility)
//   recap              a recap / minutes / weekly update mail
//   decision           a decision taken ("validé", "we agreed", "go ahead")
//   topic_technical    technical subject matter (for routing topics to people)
//   topic_budget       budget and contract subject matter (price, quote, contract, purchasing)
//   topic_planning     planning subject matter (dates, deadlines, roll-out)
//   topic_scope        scope subject matter (requirements, users, features, sites)
//   thanks_closing     thanks and polite closings; a request cue inside one of these
//                      ("let me know if you have any questions") does not expect a reply
struct CueFamily {
    std::string name;
    std::string description;
    std::vector<std::string> patterns;  // FR and EN, syntax above
};

// A cue found in a text.
struct Cue {
    std::string family;    // CueFamily::name
    std::string text;      // the original text that matched (accents, case and wraps as written)
    std::string pattern;   // the pattern that matched, as written in cue_families()
    std::size_t begin = 0; // byte offsets of the match in the scanned text
    std::size_t end = 0;
};

// Every family, in a fixed order. Built once; safe to call from several threads.
const std::vector<CueFamily>& cue_families();

// All cues in text, ordered by position; within one family, overlapping matches are reported
// once (the longest at the earliest position). Families may overlap each other ("budget" is
// both budget and topic_budget). Scans at most the first 64 KiB. Linear in the text length
// times the longest pattern; no regex.
std::vector<Cue> find_cues(std::string_view text);

// The part of text find_cues() scans: text itself, or its first 64 KiB cut on a UTF-8 boundary.
std::string_view cue_scan_span(std::string_view text);

// find_cues(text) from folded = fold_words(cue_scan_span(text)), when the caller has folded it
// already (understand() folds a message's new text once for several matchers).
std::vector<Cue> find_cues(std::string_view text, const FoldedText& folded);

// Only the cues of one family (same rules as find_cues).
std::vector<Cue> find_cues(std::string_view text, std::string_view family);

// True when text contains a question mark outside URLs, or a request cue that is not part of a
// thanks/closing formula. Meant for new text only (quoted history and signature excluded).
bool expects_reply(std::string_view new_text);

// Same decision from cues already found by find_cues(new_text), to avoid a second scan.
bool expects_reply(std::string_view new_text, const std::vector<Cue>& cues);

// understand()'s cue step: out = the cues of find_cues(new_text, folded) as a message keeps them
// (family and text, in the same order), and returns expects_reply(new_text, those cues), without
// making the Cue records (a copy of each cue's pattern) the two calls would.
bool find_message_cues(std::string_view new_text, const FoldedText& folded, std::vector<Message::Cue>& out);

// True when text has a '?' (or '？' / '¿') that is not inside a URL or an e-mail address.
bool has_question_mark(std::string_view text);

}  // namespace ilc::text
