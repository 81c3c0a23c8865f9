#pragma once
// Body segmentation: what the sender wrote now (new text), their signature, and the quoted
// history (replies, forwards) below or around it.
//
// Every line of the body belongs to exactly one part. Each part is the concatenation of its
// lines in body order (lines joined with '\n'). In the usual top-posted reply the body is
// exactly  new_text, signature, quoted  in that order: the signature closes the new part, before
// the quote. In a bottom-posted or interleaved reply ("> question" then the answer) the quoted
// lines come first and the answer's lines go to new_text, so the parts are not contiguous.
//
// Recognized quoted history (FR and EN): '>' lines; attribution lines "On … wrote:",
// "Le … a écrit :" (also wrapped over two lines, Gmail "Le lun. 3 nov. 2025 à 10:12, X <x@y> a
// écrit :"); "-----Original Message-----", "-----Message d'origine-----", "---------- Forwarded
// message ---------", "Début du message réexpédié :", "Begin forwarded message:"; Outlook header
// blocks "De : … Envoyé : … À : … Objet :" / "From: … Sent: … To: … Subject:" (also with Date :,
// after a "____" rule); Lotus Notes "---- Forwarded by …" lines and "Name@ORG / MM/DD/YYYY HH:MM AM /
// To: … cc: … Subject:" blocks (Enron). Everything after the first such header is quoted.
//
// Signature: the block after a "-- " line, or after a closing line ("Cordialement", "Bien à
// vous", "Best regards", "Thanks,", …) at the end of the new text when what follows is a short
// block of name/title/company/phone lines, or from a mobile footer ("Sent from my iPhone",
// "Envoyé de mon iPhone"), or a trailing contact block (phone, e-mail, web lines). The closing
// line itself stays in new_text; a "-- " delimiter goes with the signature.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ilc::text {

enum class LineKind { new_text, signature, quoted };

struct BodySplit {
    std::string new_text;
    std::string signature;
    std::string quoted;
    // One entry per scanned line of the input ('\n'-separated; a trailing '\r' is dropped).
    std::vector<LineKind> lines;
    // Index in `lines` of the first quoted-history header, or lines.size() when none.
    std::size_t quote_header_line = 0;
    // True when the input was longer than the scan cap (64 KiB): the unscanned tail went to
    // quoted when a quote header was found, else to new_text.
    bool truncated = false;
};

BodySplit split_body(std::string_view text);

// True when the line (without its '\n') is a mobile/app footer ("Sent from my iPhone",
// "Envoyé de mon iPhone", "Get Outlook for Android", …).
bool is_mobile_footer(std::string_view line);

// True when the line is a closing formula ("Cordialement,", "Best regards", "Thanks, John").
bool is_closing_line(std::string_view line);

}  // namespace ilc::text
