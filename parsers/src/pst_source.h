#pragma once
// Outlook .pst / .ost files through libpst: every mail item of every folder becomes a RawMessage
// whose bytes are an RFC 5322 message, so PST mail goes through the same parse_message as all
// other mail.
//
// libpst is C code that reads untrusted structures with little checking: on damaged files it
// dereferences wild pointers (SIGSEGV seen on corrupted copies of the corpus samples), calls
// exit() when an absurd size makes malloc fail, and prints to stdout/stderr. So libpst never runs
// in the caller's process: a forked worker walks the file, builds each message and streams it
// back through a pipe. When the worker dies or stalls on an item, that item is counted as
// damaged and a new worker resumes the walk after it (see docs/PST.md).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "interlocutor/parsers/options.h"
#include "interlocutor/parsers/source.h"
#include "interlocutor/result.h"

namespace ilc::parsers {

// The properties of one PST mail item that the RFC 5322 message is rebuilt from, already in
// UTF-8. Kept separate from libpst's structures so the rebuild is tested without a .pst file.
struct PstMailFields {
    std::string transport_headers;      // PR_TRANSPORT_MESSAGE_HEADERS, as stored (may be empty or junk)
    std::string sender_name;            // PR_SENT_REPRESENTING_NAME (else PR_SENDER_NAME)
    std::string sender_address;         // SMTP address when the item has one, else empty
    std::string display_to, display_cc; // PR_DISPLAY_TO / PR_DISPLAY_CC: "Name; Name" (no addresses in libpst)
    std::string subject;                // PR_SUBJECT
    bool has_date = false;
    int64_t date = 0;                   // PR_CLIENT_SUBMIT_TIME, else PR_MESSAGE_DELIVERY_TIME, UTC seconds
    std::string message_id;             // PR_INTERNET_MESSAGE_ID, as stored ("<id>")
    std::string in_reply_to;            // PR_IN_REPLY_TO_ID
    std::string references;             // PR_INTERNET_REFERENCES (libpst 0.6 does not read it: usually empty)
    std::string conversation_index;     // PR_CONVERSATION_INDEX, raw bytes
    std::string conversation_topic;     // PR_CONVERSATION_TOPIC
    std::string body_text, body_html;   // PR_BODY, PR_HTML (UTF-8)
    std::string report_text;            // PR_REPORT_TEXT of delivery reports
    bool is_report = false;             // REPORT.IPM.* message class
    std::vector<std::string> attachment_names;  // attachments are not extracted: named empty parts
};

// True when `headers` looks like a real RFC 5322 header block: Outlook sometimes stores
// fragments of the body in PR_TRANSPORT_MESSAGE_HEADERS (readpst's valid_headers() says so too).
bool pst_transport_headers_usable(const std::string& headers);

// Builds the RFC 5322 message (CRLF line ends) for one item: the transport headers when usable
// (MIME fields dropped, since the body is rebuilt), completed with the fields they lack from the
// properties, then text/plain and/or text/html (multipart/alternative when both), attachments
// as empty named parts in a multipart/mixed.
std::string build_pst_message(const PstMailFields& f);

// A PST/OST file as a Source. next() yields RawMessages with pos.path = the file,
// pos.offset = the item's descriptor id (d_id), pos.folder = the folder path below the top of
// the personal folders ("Inbox/sub1", "Sent Items", "Éléments envoyés").
class PstSource : public Source {
public:
    ~PstSource() override;
    std::optional<RawMessage> next() override;
    std::optional<Error> error() const override;
    int64_t bytes_done() const override;
    int64_t bytes_total() const override;

    // Items skipped because libpst could not read them or its worker crashed or stalled on them,
    // each with the item's d_id as offset. The same warnings are also attached to the next
    // message yielded (code "pst_item_skipped"), so an ingest summary that only sees messages
    // counts them.
    const std::vector<Warning>& skipped() const;
    int64_t skipped_count() const { return static_cast<int64_t>(skipped().size()); }
    // Number of worker restarts after a crash or a stall.
    int restarts() const;

    struct Impl;
    explicit PstSource(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

// Opens a .pst/.ost file. Errors: io (cannot read), parse (not a PST file, or its index or
// root record is damaged), auth (password-protected: Outlook's password is only a checksum, but
// we honour the owner's choice instead of bypassing it), unsupported (no libpst in this build is
// reported by open_source, not here).
Result<std::unique_ptr<Source>> open_pst_source(const std::string& path, const ParserOptions& opts = {});

}  // namespace ilc::parsers
