#pragma once
// core/text entry point, run on every message at ingest. Fills the "understood" part of an
// ilc::Message from body_text and the headers the parsers filled:
//   new_text, signature, quoted   split_body(body_text)              (split.h)
//   signature_name, _title        parse_signature(signature, from.name) (signature.h)
//   automated, automated_reason,  classify_automated(m)               (automated.h)
//   ooo_until
//   cues                          find_cues(new_text); empty for automated mail
//   expects_reply                 expects_reply(new_text); always false for automated mail
//   lang                          detect_lang(new_text, else body_text) (lang.h)
// Linear in the body size; at most the first 64 KiB are scanned. Never throws on bad input.
#include "interlocutor/message.h"
#include "interlocutor/text/automated.h"
#include "interlocutor/text/cues.h"
#include "interlocutor/text/lang.h"
#include "interlocutor/text/normalize.h"
#include "interlocutor/text/signature.h"
#include "interlocutor/text/split.h"

namespace ilc::text {

void understand(Message& m);

}  // namespace ilc::text

namespace ilc {
using text::understand;
}  // namespace ilc
