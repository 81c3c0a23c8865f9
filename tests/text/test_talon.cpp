// Talon's reply fixtures (mailgun/talon tests/fixtures). Talon's test_standard_replies reads the
// text/plain part of each standard_replies/*.eml, runs quotations.extract_from_plain() and
// expects the content of <name>_reply_text when that file exists, else "Hello". Talon keeps the
// signature in the reply, so our equivalent is new_text followed by signature.
// The signature fixtures (signature/emails/stripped/<name>_body and <name>_signature) are
// talon's expected signature extraction; talon's signature starts at the closing line
// ("Thank you,\nNoam") while ours starts after it, so a leading closing line is ignored.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "interlocutor/text/split.h"
#include "mini_mime.h"

namespace fs = std::filesystem;

namespace {

const fs::path kTalon = fs::path(ILC_CORPORA) / "torture/talon-reply-fixtures/tests/fixtures";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Trailing spaces and '\r' on each line, and blank lines at both ends, do not count.
std::string canon(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    while (i <= s.size()) {
        std::size_t j = s.find('\n', i);
        if (j == std::string_view::npos) j = s.size();
        std::string_view line = s.substr(i, j - i);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.remove_suffix(1);
        out.append(line);
        out += '\n';
        if (j == s.size()) break;
        i = j + 1;
    }
    std::size_t a = out.find_first_not_of('\n');
    if (a == std::string::npos) return {};
    std::size_t b = out.find_last_not_of('\n');
    return out.substr(a, b - a + 1);
}

// The body lines classified as new text or signature, in order, blank lines kept.
std::string reply_of(const std::string& body) {
    ilc::text::BodySplit s = ilc::text::split_body(body);
    std::string r;
    std::size_t i = 0, k = 0;
    while (i <= body.size() && k < s.lines.size()) {
        std::size_t j = body.find('\n', i);
        if (j == std::string::npos) j = body.size();
        if (s.lines[k] != ilc::text::LineKind::quoted) r += body.substr(i, j - i) + "\n";
        ++k;
        i = j + 1;
    }
    return canon(r);
}

}  // namespace

TEST_CASE("talon standard replies: the reply text is new_text + signature", "[text.split][talon]") {
    int checked = 0;
    for (const auto& e : fs::directory_iterator(kTalon / "standard_replies")) {
        if (e.path().extension() != ".eml") continue;
        std::string name = e.path().stem().string();
        SECTION(name) {
            ilc::Message m = ilc::test::read_eml_file(e.path().string());
            REQUIRE_FALSE(m.body_text.empty());
            fs::path expected_file = e.path().parent_path() / (name + "_reply_text");
            std::string expected = fs::exists(expected_file) ? canon(slurp(expected_file)) : "Hello";
            INFO("fixture " << name << "\nbody:\n" << m.body_text);
            CHECK(reply_of(m.body_text) == expected);
        }
        ++checked;
    }
    CHECK(checked >= 12);
}

TEST_CASE("talon reply-quotations-share-block.eml keeps only the reply", "[text.split][talon]") {
    ilc::Message m = ilc::test::read_eml_file((kTalon / "reply-quotations-share-block.eml").string());
    REQUIRE_FALSE(m.body_text.empty());
    ilc::text::BodySplit s = ilc::text::split_body(m.body_text);
    INFO(m.body_text);
    CHECK_FALSE(s.quoted.empty());
    CHECK(s.new_text.find("wrote:") == std::string::npos);
    CHECK(s.new_text.find('>') == std::string::npos);
}

TEST_CASE("talon signature fixtures", "[text.split][talon][signature]") {
    int total = 0, ok = 0;
    for (const auto& e : fs::directory_iterator(kTalon / "signature/emails/stripped")) {
        std::string fn = e.path().filename().string();
        if (fn.size() < 6 || fn.substr(fn.size() - 5) != "_body") continue;
        std::string name = fn.substr(0, fn.size() - 5);
        std::string body = slurp(e.path());
        fs::path sig_file = e.path().parent_path() / (name + "_signature");
        std::string expected = fs::exists(sig_file) ? canon(slurp(sig_file)) : "";
        // Talon's signature starts at the closing line; ours starts after it.
        std::size_t nl = expected.find('\n');
        if (nl != std::string::npos && ilc::text::is_closing_line(expected.substr(0, nl)))
            expected = canon(expected.substr(nl + 1));
        std::string got = canon(ilc::text::split_body(body).signature);
        ++total;
        if (got == expected) ++ok;
        else std::printf("talon signature fixture %s: expected [%s] got [%s]\n", name.c_str(), expected.c_str(), got.c_str());
    }
    std::printf("talon signature fixtures: %d/%d exact\n", ok, total);
    CHECK(total >= 6);
    CHECK(ok >= total - 2);
}
