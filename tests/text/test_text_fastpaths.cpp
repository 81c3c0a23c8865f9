// The fast paths of core/text (issue 13) must decide exactly as the straightforward code they
// replaced. The reference versions are kept here, written the simple way, and both are run on
// real mail (the dev mailbox, an Enron mailbox, the open-iscsi list) cut into many pieces,
// including cuts inside UTF-8 sequences, plus hand-picked awkward inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "interlocutor/text/automated.h"
#include "interlocutor/text/normalize.h"

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
