// libFuzzer harness for core/text, which reads every message's untrusted text: understand() must
// return (no crash, no hang, no sanitizer report) on any body and subject, and the folding and
// cue entry points must agree with each other as their headers promise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "interlocutor/message.h"
#include "interlocutor/text/cues.h"
#include "interlocutor/text/normalize.h"
#include "interlocutor/text/understand.h"

using namespace ilc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    // fold_words(s): text == fold(s), and words[i] is tokenize(s)[i] (normalize.h). The fold has
    // a 16-byte ASCII fast path: its block edges fall anywhere in fuzzed text.
    const text::FoldedText folded = text::fold_words(in);
    if (folded.text != text::fold(in)) std::abort();
    const auto tokens = text::tokenize(in);
    if (tokens.size() != folded.words.size()) std::abort();
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i].norm != folded.norm(i) || tokens[i].begin != folded.words[i].begin ||
            tokens[i].end != folded.words[i].end || tokens[i].end > in.size() || tokens[i].begin >= tokens[i].end)
            std::abort();

    // The cue matcher from the text and from its fold give the same cues, inside the text.
    const auto cues = text::find_cues(in);
    const auto again = text::find_cues(in, text::fold_words(text::cue_scan_span(in)));
    if (cues.size() != again.size()) std::abort();
    for (size_t i = 0; i < cues.size(); ++i) {
        if (cues[i].family != again[i].family || cues[i].begin != again[i].begin || cues[i].end != again[i].end ||
            cues[i].text != again[i].text)
            std::abort();
        if (cues[i].family.empty() || cues[i].begin >= cues[i].end || cues[i].end > in.size()) std::abort();
    }

    // A whole message: the first line is the subject, the rest the body.
    Message m;
    const size_t nl = in.find('\n');
    m.subject = std::string(in.substr(0, nl == std::string_view::npos ? in.size() : nl));
    m.body_text = nl == std::string_view::npos ? std::string() : std::string(in.substr(nl + 1));
    m.from = {"Zoé Vidal", "zoe.vidal@example.fr"};
    m.to = {{"", "achats@example.com"}};
    text::understand(m);
    if (m.lang != "" && m.lang != "fr" && m.lang != "en") std::abort();
    if (m.new_text.size() + m.quoted.size() + m.signature.size() > 2 * m.body_text.size() + 16) std::abort();
    return 0;
}
