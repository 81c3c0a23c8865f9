// The fast paths of core/text (issue 13) must decide exactly as the straightforward code they
// replaced. The reference versions are kept here, written the simple way, and both are run on
// real mail (the dev mailbox, an Enron mailbox, the open-iscsi list) cut into many pieces,
// including cuts inside UTF-8 sequences, plus hand-picked awkward inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "interlocutor/message.h"
#include "interlocutor/text/automated.h"
#include "interlocutor/text/cues.h"
#include "interlocutor/text/lang.h"
#include "interlocutor/text/normalize.h"
#include "interlocutor/text/split.h"

namespace fs = std::filesystem;
using namespace ilc::text;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Real mail bytes: whole files, capped so the test stays fast.
std::vector<std::string> corpus_texts() {
    std::vector<std::string> out;
    const fs::path root = ILC_CORPORA;
    for (const char* rel : {"dev/mbox/INBOX.mbox", "dev/mbox/Sent.mbox", "enron-mbox/enron.allen-p.inbox"}) {
        fs::path p = root / rel;
        REQUIRE(fs::exists(p));
        out.push_back(read_file(p).substr(0, 600'000));
    }
    fs::path list = root / "lists/open-iscsi/cur";
    REQUIRE(fs::is_directory(list));
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(list)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string joined;
    for (std::size_t k = 0; k < files.size() && k < 150; ++k) joined += read_file(files[k]);
    out.push_back(joined);
    return out;
}

// Pieces of every text: every line, and windows of odd sizes at odd offsets (which cut words and
// multi-byte characters anywhere).
std::vector<std::string_view> pieces(const std::vector<std::string>& texts) {
    std::vector<std::string_view> out;
    for (const std::string& t : texts) {
        std::string_view v(t);
        std::size_t pos = 0;
        while (pos < v.size()) {
            std::size_t nl = v.find('\n', pos);
            if (nl == std::string_view::npos) nl = v.size();
            out.push_back(v.substr(pos, nl - pos));
            pos = nl + 1;
        }
        for (std::size_t len : {7u, 61u, 333u, 1499u, 5003u})
            for (std::size_t at = 0; at + len <= v.size(); at += len * 3 + 1) out.push_back(v.substr(at, len));
    }
    static const std::array<std::string_view, 12> awkward = {
        "", " ", "\xC3", "e\xCC\x81t\xC3\xA9", "\xCC\x81 a", "a \xCC\x81 b", "J\xE2\x80\x99" "attends  votre\nretour",
        "\xEF\xBF\xBD\xFF\xFE" "abc", "STRASSE stra\xC3\x9F" "e \xC5\x93uvre", "\xE4\xB8\xAD\xE6\x96\x87 x",
        "---- Original Message ----", "ABC-def_GHI 123"};
    for (auto a : awkward) out.push_back(a);
    return out;
}

std::string reference_fold(std::string_view text) {
    std::string out;
    for (const Token& t : tokenize(text)) {
        if (!out.empty()) out += ' ';
        out += t.norm;
    }
    return out;
}

// Tokenizer written code point by code point through the public fold_code_point().
std::vector<Token> reference_tokenize(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    Token cur{{}, 0, 0};
    bool in_word = false;
    while (i < text.size()) {
        std::size_t start = i;
        char32_t c = next_code_point(text, i);
        std::string piece;
        if (fold_code_point(c, piece)) {
            if (!in_word) { cur = Token{{}, start, start}; in_word = true; }
            cur.norm += piece;
            cur.end = i;
        } else if (in_word) {
            tokens.push_back(std::move(cur));
            in_word = false;
        }
    }
    if (in_word) tokens.push_back(std::move(cur));
    return tokens;
}

bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// is_ooo_body as first written: one find per phrase over the folded head of the body.
bool reference_ooo_body(std::string_view body) {
    std::string f = " " + reference_fold(body.substr(0, 1500)) + " ";
    static const std::array<std::string_view, 26> phrases = {
        " je suis absent ", " je suis absente ", " je serai absent ", " je serai absente ",
        " actuellement absent ", " actuellement absente ", " absent du bureau ", " absente du bureau ",
        " en conges ", " je suis en deplacement ", " sans acces a mes mails ", " sans acces a ma messagerie ",
        " out of the office ", " out of office ", " i am away ", " i m away ", " i will be away ",
        " i am currently away ", " i am on vacation ", " i m on vacation ", " on annual leave ",
        " on leave until ", " limited access to email ", " limited access to my email ",
        " ich bin bis ", " abwesend "};
    int hits = 0;
    for (auto p : phrases) if (contains(f, p)) ++hits;
    if (hits == 0) return false;
    static const std::array<std::string_view, 10> returns = {
        " jusqu au ", " de retour ", " retour le ", " until ", " back on ", " return on ", " returning on ",
        " back in the office ", " je reviendrai ", " i will return "};
    return std::any_of(returns.begin(), returns.end(), [&](std::string_view r) { return contains(f, r); });
}

}  // namespace

TEST_CASE("tokenize and fold agree with the code-point-by-code-point reference on real mail", "[text][perf]") {
    const std::vector<std::string> texts = corpus_texts();
    std::size_t checked = 0;
    for (std::string_view p : pieces(texts)) {
        std::vector<Token> fast = tokenize(p), ref = reference_tokenize(p);
        REQUIRE(fast.size() == ref.size());
        for (std::size_t k = 0; k < fast.size(); ++k) {
            REQUIRE(fast[k].norm == ref[k].norm);
            REQUIRE(fast[k].begin == ref[k].begin);
            REQUIRE(fast[k].end == ref[k].end);
        }
        REQUIRE(fold(p) == reference_fold(p));
        ++checked;
    }
    CHECK(checked > 10000);
}

TEST_CASE("fold of a byte prefix is a prefix of the fold of the whole", "[text][perf]") {
    // split.cpp folds only the head of long lines for its prefix tests; this is what makes it exact.
    const std::vector<std::string> texts = corpus_texts();
    for (const std::string& t : texts) {
        for (std::size_t at = 0; at + 400 < t.size(); at += 997) {
            std::string_view line = std::string_view(t).substr(at, 400);
            std::string whole = fold(line);
            for (std::size_t cut : {1u, 17u, 63u, 64u, 65u, 200u}) {
                std::string head = fold(line.substr(0, cut));
                REQUIRE(whole.compare(0, head.size(), head) == 0);
            }
        }
    }
}

TEST_CASE("is_ooo_body decides as the phrase-by-phrase reference", "[text][perf]") {
    const std::vector<std::string> texts = corpus_texts();
    std::size_t positives = 0;
    for (std::string_view p : pieces(texts)) {
        bool ref = reference_ooo_body(p);
        REQUIRE(is_ooo_body(p) == ref);
        positives += ref;
    }
    // Made-up notices, so that the positive branch is exercised whatever the corpora hold.
    for (std::string_view notice : {"Bonjour, je suis absente du bureau jusqu'au 17 novembre.",
                                    "I am out of the office until Monday, back on November 17th.",
                                    "Je suis ABSENT, de retour le 3/11", "I'm away. I will return soon."}) {
        REQUIRE(is_ooo_body(notice) == reference_ooo_body(notice));
        CHECK(is_ooo_body(notice));
        ++positives;
    }
    CHECK(positives >= 4);
    CHECK_FALSE(is_ooo_body("I will be out of the office next week, can we meet after?"));
}

TEST_CASE("fold_words and fold_append agree with tokenize and fold", "[text][perf]") {
    // understand() folds a message's new text once (fold_words) and hands the result to the cue
    // matcher, detect_lang and bulk_reason, which used to fold or tokenize their own copies.
    const std::vector<std::string> texts = corpus_texts();
    std::vector<std::string_view> all = pieces(texts);
    // Tricky French / UTF-8 input: NFD accents, ligatures, apostrophes, lone marks, a cut
    // sequence, a code point that folds longer than it is written (U+023A -> U+2C65).
    for (std::string_view extra : {"C\xE2\x80\x99" "est d\xC3\xA9j\xC3\xA0 l\xE2\x80\x99\xC5\x92UVRE  \xC3\xA9t\xC3\xA9 ",
                                   "\xC8\xBA\xC8\xBA\xC8\xBA \xC8\xBA", "e\xCC\x81\xCC\x81 \xCC\x81\xCC\x81 x\xE2\x80",
                                   "\xCC\x81", "a\n\xCC\x81", "Stra\xC3\x9F" "e-\xEF\xAC\x81n \xF0\x9F\x98\x80 ok"})
        all.push_back(extra);
    for (std::string_view p : all) {
        FoldedText f = fold_words(p);
        REQUIRE(f.text == fold(p));
        REQUIRE(f.text == reference_fold(p));
        std::vector<Token> ref = reference_tokenize(p);
        REQUIRE(f.words.size() == ref.size());
        for (std::size_t k = 0; k < ref.size(); ++k) {
            REQUIRE(f.norm(k) == ref[k].norm);
            REQUIRE(f.words[k].begin == ref[k].begin);
            REQUIRE(f.words[k].end == ref[k].end);
        }
    }
    // Folding in pieces: fold(a + "\n" + b) == fold_append(fold(a), b, 0), also behind a prefix.
    for (std::size_t k = 0; k + 1 < all.size(); k += 7) {
        std::string_view a = all[k], b = all[k + 1];
        std::string joined = std::string(a) + "\n" + std::string(b);
        std::string pieces_fold = fold(a);
        fold_append(pieces_fold, b, 0);
        REQUIRE(pieces_fold == fold(joined));
        std::string padded = " " + fold(a);
        fold_append(padded, b, 1);
        REQUIRE(padded == " " + fold(joined));
    }
}

namespace {

// has_question_mark as first written: every whitespace-separated chunk in turn.
bool reference_has_question_mark(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < text.size() && !(text[j] == ' ' || text[j] == '\n' || text[j] == '\r' || text[j] == '\t')) ++j;
        std::string_view chunk = text.substr(i, j - i);
        i = j;
        if (chunk.empty()) continue;
        bool url = contains(chunk, "://") || contains(chunk, "www.") || contains(chunk, "mailto:") ||
                   (contains(chunk, "@") && contains(chunk, "="));
        if (url) continue;
        if (contains(chunk, "?") || contains(chunk, "\xEF\xBC\x9F") || contains(chunk, "\xC2\xBF")) return true;
    }
    return false;
}

// detect_lang as first written: the folded head split on spaces, two hash sets.
std::string reference_detect_lang(std::string_view text) {
    static const std::unordered_set<std::string> fr = {
        "le", "la", "les", "des", "du", "un", "une", "et", "est", "je", "vous", "nous", "pour", "avec",
        "sur", "dans", "pas", "que", "qui", "ce", "cette", "au", "aux", "mais", "ou", "votre", "vos",
        "notre", "nos", "merci", "bonjour", "cordialement", "tres", "bien", "sont", "etre", "avons",
        "avez", "ai", "mon", "ma", "mes", "il", "elle", "c", "j", "d", "l", "qu", "n", "s", "y"};
    static const std::unordered_set<std::string> en = {
        "the", "and", "is", "are", "you", "we", "for", "with", "this", "that", "of", "to", "in", "it",
        "be", "have", "has", "will", "would", "can", "could", "please", "thanks", "thank", "hi",
        "hello", "regards", "our", "your", "my", "i", "not", "from", "at", "as", "if", "do", "was",
        "what", "when", "on", "an"};
    std::string folded = reference_fold(text.substr(0, std::min<std::size_t>(text.size(), 4096)));
    int f = 0, e = 0;
    std::size_t p = 0;
    while (p <= folded.size()) {
        std::size_t q = folded.find(' ', p);
        if (q == std::string::npos) q = folded.size();
        std::string w = folded.substr(p, q - p);
        if (fr.count(w)) ++f;
        else if (en.count(w)) ++e;
        p = q + 1;
    }
    if (f < 2 && e < 2) return "";
    if (f == e) return "";
    return f > e ? "fr" : "en";
}

}  // namespace

TEST_CASE("has_question_mark, detect_lang and find_cues decide as before", "[text][perf]") {
    const std::vector<std::string> texts = corpus_texts();
    std::vector<std::string_view> all = pieces(texts);
    for (std::string_view extra : {"Ça vous va ?", "mailto:a@b.fr?subject=x", "x https://a/?b=1 y?", "?", "\xC2\xBF" "Qué",
                                   "a\xEF\xBC\x9F", "\xC2\xA0?\xC2", "a@b=c? d", "www.x.fr? ok"})
        all.push_back(extra);
    std::size_t questions = 0, langs = 0;
    for (std::string_view p : all) {
        const bool q = reference_has_question_mark(p);
        REQUIRE(has_question_mark(p) == q);
        questions += q;
        const std::string lang = reference_detect_lang(p);
        REQUIRE(detect_lang(p) == lang);
        langs += !lang.empty();
        // Folded once and shared (understand()): the same as folding inside.
        const std::string_view span = cue_scan_span(p);
        const FoldedText folded = fold_words(span);
        REQUIRE(detect_lang(p, folded) == lang);
        if (p.size() < 20000) {
            std::vector<Cue> a = find_cues(p), b = find_cues(p, folded);
            REQUIRE(a.size() == b.size());
            for (std::size_t k = 0; k < a.size(); ++k) {
                REQUIRE(a[k].family == b[k].family);
                REQUIRE(a[k].pattern == b[k].pattern);
                REQUIRE(a[k].begin == b[k].begin);
                REQUIRE(a[k].end == b[k].end);
            }
            // understand()'s cue step: the same cues (family, text) and the same expects_reply.
            std::vector<ilc::Message::Cue> kept = {{"stale", "entry"}};
            const bool expects = find_message_cues(p, folded, kept);
            REQUIRE(expects == expects_reply(p, b));
            REQUIRE(kept.size() == b.size());
            for (std::size_t k = 0; k < b.size(); ++k) {
                REQUIRE(kept[k].family == b[k].family);
                REQUIRE(kept[k].text == b[k].text);
            }
        }
    }
    CHECK(questions > 100);
    CHECK(langs > 100);
    // A head cut inside a word, and inside a multi-byte character, at the 4 KiB boundary.
    for (std::size_t pad : {4090u, 4093u, 4094u, 4095u, 4096u, 4097u}) {
        for (std::string_view tail : {" merci beaucoup et bonne journ\xC3\xA9" "e", "\xC3\xA9t\xC3\xA9 tr\xC3\xA8s bien", "the and you"}) {
            std::string t = std::string(pad - pad % 3, ' ').substr(0, pad) + std::string(tail) + " le la les the";
            for (std::size_t k = 0; k + 6 < pad; k += 40) t.replace(k, 5, k % 80 ? "je tu" : "I the");
            REQUIRE(detect_lang(t, fold_words(cue_scan_span(t))) == reference_detect_lang(t));
            REQUIRE(detect_lang(t) == reference_detect_lang(t));
        }
    }
}

TEST_CASE("detect_lang's 64-byte masks: words across the blocks, at every offset", "[text][perf]") {
    // detect_lang(text) walks its head's words from bit masks of 64 bytes at a time (the last
    // partial block byte by byte). Stop words balanced so that one word counted twice, lost or
    // cut in two changes the answer ("le la the and": two each, no language), at every offset
    // across two block boundaries, behind ASCII and accented filler, and with accented words
    // (folded alone) and runs of separators astride the boundaries.
    for (std::string_view filler : {"x", "\xC3\xA9", " ", "-", "ab\xC3\xA9"})
        for (std::string_view words : {"le la the and", "le, la; the and", "\xC3\xA9t\xC3\xA9 le la the and",
                                       "le    la...the\t\tand", "les tr\xC3\xA8s the is", "LE La THE And"})
            for (std::size_t pad = 0; pad < 140; ++pad) {
                std::string t;
                while (t.size() < pad) t += filler;
                t += ' ';
                t += words;
                REQUIRE(detect_lang(t) == reference_detect_lang(t));
                t += " le";  // one more French word: "fr" unless it was miscounted
                REQUIRE(detect_lang(t) == reference_detect_lang(t));
                t += " the you";
                REQUIRE(detect_lang(t) == reference_detect_lang(t));
            }
}

TEST_CASE("split_body: a disclaimer word at every offset of the last line", "[text][perf]") {
    // is_disclaimer's byte test (sixteen bytes at a time, then the last bytes one by one) must let
    // through every line holding a key, wherever the key starts: a last paragraph that is only a
    // disclaimer becomes the signature; the same line without the key stays new text.
    for (std::string_view key : {"CONFIDENTIAL", "Strictly prohibited", "before printing", "a virus"})
        for (std::size_t pad = 0; pad < 60; ++pad) {
            std::string line;
            while (line.size() < pad) line += (line.size() % 6 == 5) ? ' ' : 'q';
            line += ' ';
            line += key;
            line += " note";
            const BodySplit with = split_body("Hello,\n\nPlease send the file.\n\n" + line + "\n");
            CHECK(with.signature == line);
            std::string plain = line;
            plain.replace(plain.size() - key.size() - 5, key.size(), std::string(key.size(), 'z'));
            const BodySplit without = split_body("Hello,\n\nPlease send the file.\n\n" + plain + "\n");
            CHECK(without.signature.empty());
            CHECK(without.new_text.find(plain) != std::string::npos);
        }
}

TEST_CASE("has_question_mark's 16-byte skip: a mark at every offset", "[text][perf]") {
    // The SSE2 walk jumps to the first '?', 0xEF or 0xC2 byte of each 16-byte block: marks (and
    // URL chunks, and lone lead bytes) at every offset of texts of 1 to 70 bytes.
    for (std::string_view mark : {"?", "\xEF\xBC\x9F", "\xC2\xBF", "\xC2\xA0", "\xEF", "http://a/?b", "a@b=c?"})
        for (std::size_t len = 1; len <= 70; ++len)
            for (std::size_t at = 0; at < len; ++at) {
                std::string t(len, 'x');
                for (std::size_t k = 5; k < len; k += 7) t[k] = ' ';
                t.replace(at, std::min(mark.size(), len - at), mark.substr(0, len - at));
                REQUIRE(has_question_mark(t) == reference_has_question_mark(t));
            }
}

TEST_CASE("detect_lang_either counts the heads' common beginning once", "[text][perf]") {
    // understand() asks detect_lang_either(new text, body) for automated mail: detect_lang(new
    // text), else detect_lang(body). Texts that share a beginning cut anywhere (inside a word,
    // inside an accented letter, right after a separator), with one a prefix of the other, equal,
    // or past the 4 KiB heads.
    auto either = [](std::string_view a, std::string_view b) {
        std::string l = detect_lang(a);
        return l.empty() ? detect_lang(b) : l;
    };
    const std::vector<std::string> texts = {
        "le la the and", "Patch: fix the \xC3\xA9t\xC3\xA9 build le la", "les tr\xC3\xA8s bien, the is and you",
        std::string(5000, 'x') + " le la les", "xx " + std::string(4090, ' ') + "le the and"};
    const std::vector<std::string> tails = {"", " the and you", "\n-- \nle la les du", "s the", "\xC3\xA9 le le le", " "};
    std::size_t decided = 0;
    for (const std::string& t : texts)
        for (std::size_t cut = 0; cut <= t.size(); cut += cut < 40 ? 1 : 97)
            for (const std::string& tail : tails) {
                const std::string a = t.substr(0, cut), b = t.substr(0, cut) + tail, c = t + tail;
                REQUIRE(detect_lang_either(a, b) == either(a, b));
                REQUIRE(detect_lang_either(b, a) == either(b, a));
                REQUIRE(detect_lang_either(a, c) == either(a, c));
                REQUIRE(detect_lang_either(c, a) == either(c, a));
                REQUIRE(detect_lang_either(a, a) == either(a, a));
                decided += !either(a, b).empty();
            }
    CHECK(decided > 100);
}

TEST_CASE("split_body on Lotus Notes two-column headers (the eight-space gap search)", "[text][perf]") {
    // line_key() looks for "To:", "cc:", "Subject:" after a gap of eight spaces or more; the gap
    // search probes every eighth byte. Runs of 7, 8 and 9 spaces at every offset.
    for (std::size_t lead = 0; lead < 10; ++lead)
        for (std::size_t gap : {7u, 8u, 9u, 15u, 16u}) {
            std::string pad(lead, 'x');
            std::string body = "Hello,\nsee below.\n\n" + pad + "John Doe" + std::string(gap, ' ') + "To: Jane <j@x.com>\n" +
                               pad + "10/09/2000 09:48 AM" + std::string(gap, ' ') + "cc: Bob <b@x.com>\n" + pad +
                               std::string(gap + lead, ' ') + "Subject: Re: plan\n\nold text\n";
            BodySplit s = split_body(body);
            const bool lotus = gap >= 8;
            CHECK((s.new_text == "Hello,\nsee below.") == lotus);
            CHECK((s.quote_header_line < s.lines.size()) == lotus);
        }
}

TEST_CASE("split_body's parts are its lines joined one by one", "[text][perf]") {
    // split_body appends runs of contiguous lines of one part as one slice of the body: the parts
    // must be what joining each line with '\n' gives (then trailing blanks trimmed), also with
    // "\r\n" line ends and empty lines at the head of a part.
    const std::vector<std::string> texts = corpus_texts();
    std::vector<std::string> bodies;
    for (std::string_view p : pieces(texts)) {
        bodies.emplace_back(p);
        std::string crlf;  // every other line break as "\r\n", and a blank head
        crlf += "\n \n";
        for (std::size_t k = 0; k < p.size(); ++k) {
            if (p[k] == '\n' && k % 2) crlf += '\r';
            crlf += p[k];
        }
        bodies.push_back(std::move(crlf));
    }
    std::size_t checked = 0;
    for (const std::string& body : bodies) {
        BodySplit s = split_body(body);
        if (s.truncated) continue;
        std::string parts[3];
        std::size_t pos = 0, line = 0;
        while (pos < body.size()) {
            std::size_t nl = body.find('\n', pos);
            if (nl == std::string::npos) nl = body.size();
            std::string_view l = std::string_view(body).substr(pos, nl - pos);
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            REQUIRE(line < s.lines.size());
            std::string& part = parts[static_cast<int>(s.lines[line++])];
            if (!part.empty()) part += '\n';
            part.append(l);
            pos = nl + 1;
        }
        REQUIRE(line == s.lines.size());
        for (std::string& p : parts)
            while (!p.empty() && (p.back() == '\n' || p.back() == ' ' || p.back() == '\r')) p.pop_back();
        REQUIRE(s.new_text == parts[static_cast<int>(LineKind::new_text)]);
        REQUIRE(s.signature == parts[static_cast<int>(LineKind::signature)]);
        REQUIRE(s.quoted == parts[static_cast<int>(LineKind::quoted)]);
        ++checked;
    }
    CHECK(checked > 1000);
}

TEST_CASE("classify_automated with understand()'s shared folds decides as without them", "[text][perf]") {
    // understand() hands classify_automated the new text folded once and whether the body's lines
    // are in new text, signature, quote order; then the out-of-office and bulk scans reuse those
    // folds instead of folding the body again. Same verdict either way, on real mail.
    const std::vector<std::string> texts = corpus_texts();
    std::vector<std::string_view> all = pieces(texts);
    for (std::string_view extra : {"Je suis absente du bureau jusqu'au 17 novembre.\n\nCordialement,\nMarie\n\n> Bonjour",
                                   "I am out of the office until Monday.\n-- \nJohn\n\nOn Mon, X wrote:\n> hi",
                                   "Hello\n\n--\nTo unsubscribe, click here\n"})
        all.push_back(extra);
    std::size_t in_order = 0, automated = 0;
    for (std::size_t k = 0; k < all.size(); ++k) {
        ilc::Message m;
        m.body_text = std::string(all[k]);
        if (k % 3 == 0) m.auto_submitted = "auto-replied";  // the out-of-office scan then runs on long bodies too
        BodySplit split = split_body(m.body_text);
        const bool ordered = !split.truncated && std::is_sorted(split.lines.begin(), split.lines.end());
        m.new_text = split.new_text;
        m.signature = split.signature;
        m.quoted = split.quoted;
        const FoldedText folded = fold_words(cue_scan_span(m.new_text));
        AutomatedVerdict a = classify_automated(m), b = classify_automated(m, &folded, ordered);
        REQUIRE(a.automated == b.automated);
        REQUIRE(a.reason == b.reason);
        REQUIRE(a.ooo_until == b.ooo_until);
        // The fold made on demand (understand()): the same verdict, and when it was made, the same fold.
        LazyFoldedText lazy(cue_scan_span(m.new_text));
        AutomatedVerdict c = classify_automated(m, lazy, ordered);
        REQUIRE(a.automated == c.automated);
        REQUIRE(a.reason == c.reason);
        REQUIRE(a.ooo_until == c.ooo_until);
        REQUIRE(lazy.get().text == folded.text);
        REQUIRE(lazy.get().words.size() == folded.words.size());
        in_order += ordered;
        automated += a.automated && a.reason != "auto_submitted";
    }
    CHECK(in_order > 1000);
    CHECK(automated > 0);
}

namespace {

// find_cues written the simple way: every pattern tried at every word, in the order the indexed
// matcher considers them (patterns whose first word is exact, in table order, then those whose
// first word is "word*", grouped by that prefix's length in the order the lengths first appear),
// with the same longest-match, overlap and negation rules. No index, no filter, no word ids.
struct RefWord {
    std::string norm;
    enum Kind { exact, prefix, gap } kind = exact;
};
struct RefPattern {
    std::size_t family_index;
    std::string family;
    std::string source;
    std::vector<RefWord> words;
};

std::vector<RefPattern> reference_patterns() {
    std::vector<RefPattern> exact_first, prefix_first;
    std::vector<std::size_t> prefix_lengths;
    for (std::size_t fi = 0; fi < cue_families().size(); ++fi)
        for (const CueFamily& f = cue_families()[fi]; const std::string& src : f.patterns) {
            RefPattern p{fi, f.name, src, {}};
            std::istringstream in(src);
            std::string piece;
            while (in >> piece) {
                if (piece == "...") { p.words.push_back({{}, RefWord::gap}); continue; }
                std::vector<Token> toks = tokenize(piece);
                for (std::size_t k = 0; k < toks.size(); ++k)
                    p.words.push_back({toks[k].norm, piece.back() == '*' && k + 1 == toks.size() ? RefWord::prefix : RefWord::exact});
            }
            while (!p.words.empty() && p.words.back().kind == RefWord::gap) p.words.pop_back();
            while (!p.words.empty() && p.words.front().kind == RefWord::gap) p.words.erase(p.words.begin());
            if (p.words.empty()) continue;
            if (p.words[0].kind == RefWord::prefix) {
                if (std::find(prefix_lengths.begin(), prefix_lengths.end(), p.words[0].norm.size()) == prefix_lengths.end())
                    prefix_lengths.push_back(p.words[0].norm.size());
                prefix_first.push_back(std::move(p));
            } else {
                exact_first.push_back(std::move(p));
            }
        }
    for (std::size_t len : prefix_lengths)
        for (const RefPattern& p : prefix_first)
            if (p.words[0].norm.size() == len) exact_first.push_back(p);
    return exact_first;
}

std::size_t reference_match(const std::vector<RefWord>& words, std::size_t wi, const std::vector<Token>& toks, std::size_t ti) {
    if (wi == words.size()) return ti;
    const RefWord& w = words[wi];
    if (w.kind == RefWord::gap) {
        for (std::size_t skip = 0; skip <= 3 && ti + skip <= toks.size(); ++skip)
            if (std::size_t end = reference_match(words, wi + 1, toks, ti + skip)) return end;
        return 0;
    }
    if (ti >= toks.size()) return 0;
    const std::string& t = toks[ti].norm;
    const bool ok = w.kind == RefWord::exact ? t == w.norm : t.compare(0, w.norm.size(), w.norm) == 0 && t.size() >= w.norm.size();
    return ok ? reference_match(words, wi + 1, toks, ti + 1) : 0;
}

std::vector<Cue> reference_find_cues(std::string_view text) {
    static const std::vector<RefPattern> patterns = reference_patterns();
    text = cue_scan_span(text);
    const std::vector<Token> toks = tokenize(text);
    std::vector<Cue> out;
    std::vector<std::size_t> covered(cue_families().size(), 0);
    for (std::size_t ti = 0; ti < toks.size(); ++ti) {
        std::vector<std::pair<const RefPattern*, std::size_t>> best;  // per family, in first-match order
        for (const RefPattern& p : patterns) {
            if (ti < covered[p.family_index]) continue;
            std::size_t end = reference_match(p.words, 0, toks, ti);
            if (!end) continue;
            if (p.family == "decision") {
                bool neg = false;
                for (std::size_t back = 1; back <= 2 && back <= ti; ++back)
                    for (const char* n : {"pas", "non", "not", "never", "jamais", "no", "yet", "encore", "toujours"})
                        neg = neg || toks[ti - back].norm == n;
                if (neg) continue;
            }
            auto it = std::find_if(best.begin(), best.end(), [&](const auto& b) { return b.first->family == p.family; });
            if (it == best.end()) best.push_back({&p, end});
            else if (end > it->second) *it = {&p, end};
        }
        for (const auto& [p, end] : best) {
            Cue c;
            c.family = p->family;
            c.pattern = p->source;
            c.begin = toks[ti].begin;
            c.end = toks[end - 1].end;
            covered[p->family_index] = end;
            out.push_back(std::move(c));
        }
    }
    return out;
}

void require_same_cues(std::string_view text) {
    const std::vector<Cue> fast = find_cues(text), ref = reference_find_cues(text);
    INFO("text: " << text);
    REQUIRE(fast.size() == ref.size());
    for (std::size_t k = 0; k < fast.size(); ++k) {
        REQUIRE(fast[k].family == ref[k].family);
        REQUIRE(fast[k].pattern == ref[k].pattern);
        REQUIRE(fast[k].begin == ref[k].begin);
        REQUIRE(fast[k].end == ref[k].end);
    }
}

// A pattern written out as a text that should match it: gaps as two filler words, "word*" with an
// ending added.
std::string spell(const std::string& pattern) {
    std::istringstream in(pattern);
    std::string piece, out;
    while (in >> piece) {
        if (!out.empty()) out += ' ';
        if (piece == "...") out += "bien vite";
        else if (piece.back() == '*') out += piece.substr(0, piece.size() - 1) + "ons";
        else out += piece;
    }
    return out;
}

}  // namespace

TEST_CASE("find_cues finds what the pattern-by-pattern reference finds", "[text][perf][text.cues]") {
    // Real mail, cut anywhere.
    std::size_t with_cues = 0;
    const std::vector<std::string> texts = corpus_texts();
    for (std::string_view p : pieces(texts)) {
        if (p.size() >= 1500) continue;  // lines and short windows: the reference is slow
        require_same_cues(p);
        with_cues += !find_cues(p).empty();
    }
    CHECK(with_cues > 1000);
    // Every pattern spelt out: alone (a phrase at the very start and end), upper-cased (ASCII),
    // inside a sentence, cut short by its last byte, glued to its neighbours (overlapping
    // phrases of the same and other families), and after a negation.
    std::vector<std::string> spelt;
    for (const CueFamily& f : cue_families())
        for (const std::string& src : f.patterns) spelt.push_back(spell(src));
    for (std::size_t k = 0; k < spelt.size(); ++k) {
        const std::string& s = spelt[k];
        std::string upper = s;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        require_same_cues(s);
        require_same_cues(upper);
        require_same_cues("Bonjour, " + s + " ?\nMerci");
        require_same_cues(std::string_view(s).substr(0, s.size() - 1));
        require_same_cues(s + " " + spelt[(k + 1) % spelt.size()] + " " + spelt[(k + 7) % spelt.size()]);
        require_same_cues("pas " + s + ", not " + upper);
    }
}

TEST_CASE("fold's 16-byte runs: letters and digits at every range edge and block boundary", "[text][perf]") {
    // '@' '[' '`' '{' '/' ':' sit just outside A-Z, a-z and 0-9; 0x80 and 0xFF are no ASCII.
    const std::string run = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789zyxwvutsrqponmlkjihgfedcba";
    for (std::string_view edge : {"@", "[", "`", "{", "/", ":", " ", "\xC3\xA9", "\xE2\x80\x99", "\x80", "\xFF", "-"})
        for (std::size_t len = 1; len <= run.size(); len += len < 20 ? 1 : 7)
            for (std::size_t pad = 0; pad < 3; ++pad) {
                const std::string t = std::string(pad, ' ') + run.substr(0, len) + std::string(edge) + run.substr(0, len / 2 + 1) +
                                      std::string(edge) + std::string(pad * 9, 'Q');
                std::vector<Token> fast = tokenize(t), ref = reference_tokenize(t);
                REQUIRE(fast.size() == ref.size());
                for (std::size_t k = 0; k < fast.size(); ++k) {
                    REQUIRE(fast[k].norm == ref[k].norm);
                    REQUIRE(fast[k].begin == ref[k].begin);
                    REQUIRE(fast[k].end == ref[k].end);
                }
                REQUIRE(fold(t) == reference_fold(t));
            }
}
