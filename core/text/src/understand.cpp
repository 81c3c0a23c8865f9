#include "interlocutor/text/understand.h"

#include <algorithm>
#include <string_view>

namespace ilc::text {

void understand(Message& m) {
    BodySplit split = split_body(m.body_text);
    // The body's lines in part order (new text, then signature, then quote): a top-posted mail.
    const bool in_part_order = !split.truncated && std::is_sorted(split.lines.begin(), split.lines.end());
    m.new_text = std::move(split.new_text);
    m.signature = std::move(split.signature);
    m.quoted = std::move(split.quoted);

    Signature sig = parse_signature(m.signature, m.from.name);
    m.signature_name = std::move(sig.name);
    m.signature_title = std::move(sig.title);

    // The new text folded once, with its words: the bulk-mail footer scan, the language guess and
    // the cue matcher all read it (each used to fold or tokenize its own copy). Folded on first
    // use: an automated mail's cues are never looked for, and its header verdict usually skips
    // the body scans, so a list message's long new text is then not folded whole.
    LazyFoldedText folded(cue_scan_span(m.new_text));

    AutomatedVerdict verdict = classify_automated(m, folded, in_part_order);
    m.automated = verdict.automated;
    m.automated_reason = std::move(verdict.reason);
    m.ooo_until = verdict.ooo_until;

    // detect_lang(text) folds the first 4 KiB only and answers as detect_lang(text, fold_words(
    // cue_scan_span(text))) (test_text_fastpaths): the whole fold is made here only when the cue
    // matcher below needs it anyway.
    if (folded.ready() || !m.automated) {
        m.lang = detect_lang(m.new_text, folded.get());
        // detect_lang reads the first 4 KiB only: when the body starts with the same 4 KiB as the
        // new text (no quote and no signature above that point), asking again gives the same "".
        auto head = [](std::string_view t) { return t.substr(0, std::min<std::size_t>(t.size(), 4096)); };
        if (m.lang.empty() && head(m.body_text) != head(m.new_text)) m.lang = detect_lang(m.body_text);
    } else {
        // The same two questions, the words the body's head shares with the new text's (often
        // all of the new text: a list message less its signature) counted once.
        m.lang = detect_lang_either(m.new_text, m.body_text);
    }

    m.cues.clear();
    m.expects_reply = false;
    // SPEC: automated mail never counts as a request; its cues would only mislead the detectors.
    if (m.automated) return;
    // find_cues then expects_reply, without the Cue records' copies of their patterns.
    m.expects_reply = find_message_cues(m.new_text, folded.get(), m.cues);
}

}  // namespace ilc::text
