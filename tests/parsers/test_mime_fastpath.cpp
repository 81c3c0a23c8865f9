// extract_body() reads the common MIME shapes without mimetic (FastMime in mime_adapter.cpp, which
// reproduces mimetic's parse on views) and gives everything else to mimetic. This checks that both
// paths give the same BodyText on every message of the corpora and on mutated copies of them
// (truncated anywhere, line ends changed, bytes inserted around boundaries and header lines).
// ILC_FASTPATH_EXTRA=path[:path...] adds sources (e.g. the generated 100k mbox) for a manual run.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>

#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/parsers/source.h"

using namespace ilc::parsers;
namespace fs = std::filesystem;

namespace {

std::string describe(const BodyText& b) {
    std::ostringstream o;
    o << "from_html=" << b.from_html << " is_report=" << b.is_report << " attachments=" << b.attachment_count
      << " text(" << b.text.size() << ")=[" << b.text.substr(0, 200) << "]";
    for (const auto& w : b.warnings) o << " warning " << w.code << ": " << w.detail << " @" << w.offset;
    return o.str();
}

// Both paths on one message; a failure prints the message.
size_t compare(std::string_view raw, const ParserOptions& opts = {}) {
    const BodyText fast = extract_body(raw, opts);
    const BodyText ref = extract_body_mimetic(raw, opts);
    if (fast != ref) {
        INFO("message (" << raw.size() << " bytes): " << std::string(raw.substr(0, 3000)));
        INFO("fast path: " << describe(fast));
        INFO("mimetic:   " << describe(ref));
        CHECK(false);
        return 1;
    }
    return 0;
}

// Mutations around what the fast path decides on: line ends, blanks, boundaries, truncation.
std::vector<std::string> mutations(const std::string& raw, std::mt19937& rng) {
    std::vector<std::string> out;
    if (raw.empty()) return out;
    auto at = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n)(rng); };
    out.push_back(raw.substr(0, at(raw.size())));  // truncated anywhere
    const size_t hdr = std::min(raw.size(), raw.find("\n\n") == std::string::npos ? raw.size() : raw.find("\n\n") + 2);
    out.push_back(raw.substr(0, at(hdr)));  // truncated in the header
    static const char* inserts[] = {"\r", "\n", "\r\n", "\n\r", " ", "\t", ":", "--", "\0", "\x80", " \n", "-", ";",
                                    "\"", "=", "/"};
    for (int k = 0; k < 6; ++k) {
        std::string m = raw;
        const size_t i = at(std::size(inserts) - 1);
        const std::string ins = inserts[i][0] == '\0' ? std::string(1, '\0') : std::string(inserts[i]);
        // Near a line start or a boundary-ish place half of the time.
        size_t p = at(m.size());
        if (k % 2 == 0) {
            size_t q = m.find(k == 2 ? "--" : "\n", p);
            if (q != std::string::npos) p = q + (k == 2 ? 0 : 1);
        }
        m.insert(std::min(p, m.size()), ins);
        out.push_back(std::move(m));
    }
    {  // every LF as CRLF, or every CRLF as LF
        std::string m;
        for (char c : raw) {
            if (c == '\n') m += '\r';
            m += c;
        }
        out.push_back(std::move(m));
        std::string l;
        for (size_t i = 0; i < raw.size(); ++i)
            if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n')) l += raw[i];
        out.push_back(std::move(l));
    }
    {  // a byte deleted anywhere
        std::string m = raw;
        m.erase(at(m.size() - 1), 1);
        out.push_back(std::move(m));
    }
    return out;
}

size_t run_source(const std::string& path, size_t& messages, bool mutate, std::mt19937& rng) {
    auto src = open_source(path);
    if (!src) return 0;
    size_t failures = 0;
    while (auto m = src.value()->next()) {
        ++messages;
        failures += compare(m->bytes);
        if (mutate)
            for (const std::string& v : mutations(m->bytes, rng)) failures += compare(v);
        if (failures > 5) break;
    }
    return failures;
}

}  // namespace

TEST_CASE("the MIME fast path gives what mimetic gives", "[parsers.mime.fastpath]") {
    std::mt19937 rng(13);
    const fs::path root(ILC_CORPORA);
    size_t messages = 0, failures = 0;
    for (const char* dir : {"dev", "torture", "lists/open-iscsi"}) {
        const fs::path p = root / dir;
        if (!fs::exists(p)) {
            WARN("corpus missing: " << p);
            continue;
        }
        failures += run_source(p.string(), messages, true, rng);
    }
    const fs::path enron = root / "enron-mbox";
    if (fs::exists(enron))
        for (const auto& e : fs::directory_iterator(enron))
            if (e.path().filename().string().rfind("enron.", 0) == 0) failures += run_source(e.path().string(), messages, false, rng);
    if (const char* extra = std::getenv("ILC_FASTPATH_EXTRA")) {
        std::string s = extra;
        for (size_t p = 0; p <= s.size();) {
            size_t e = s.find(':', p);
            if (e == std::string::npos) e = s.size();
            if (e > p) failures += run_source(s.substr(p, e - p), messages, false, rng);
            p = e + 1;
        }
        std::fprintf(stderr, "test_mime_fastpath: %zu messages compared\n", messages);
    }
    INFO(messages << " messages");
    CHECK(messages > 1000);
    CHECK(failures == 0);
}

TEST_CASE("the MIME fast path: hand-made shapes", "[parsers.mime.fastpath]") {
    const std::string cases[] = {
        "Subject: a\n\nbody\n",
        "Subject: a\r\n\r\nbody\r\n",
        "Subject: a\n\n\rbody\n",
        "Subject: a\n folded\n\t twice\n  \n\nbody",
        "content-type: TEXT/HTML ; charset = \"utf-8\" ;\n\n<p>x</p>",
        "Content-Type: text/plain;;charset=latin1;x\n\nb\xe9",
        "Content-Type:\n\nbody",
        "Content-Type: text\n\nbody",
        "Content-Type: /plain\n\nbody",
        "Content-Type: multipart/alternative; boundary=\"b\"\n\npre\n--b\nContent-Type: text/plain\n\nplain\n--b\n"
        "Content-Type: text/html\n\n<b>x</b>\n--b--\nepilogue",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno header\n--b\nContent-Type: application/pdf; "
        "name=x.pdf\nContent-Transfer-Encoding: base64\n\nAAAA\n--b--",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n"
        "Content-Type: text/plain\n\ninner\n--c--\n--b\nContent-Type: image/png\n\nxx\n--b--\n",
        "Content-Type: multipart/mixed; boundary=b\n\nxx--b\nContent-Type: text/plain\n\nmid-line boundary--b--",
        "Content-Type: multipart/mixed; boundary=b\n\n--b \nContent-Type: text/plain\n\nblank after\n--b--",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nunclosed\n",
        "Content-Type: multipart/mixed; boundary=b\n\n--b--\n",
        "Content-Type: multipart/mixed; BOUNDARY=\"b\"; boundary=c\n\n--b\n\nx\n--b--",
        "Content-Type: multipart/mixed\n\n--\n\nno boundary",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\r\nContent-Type: text/plain\r\n\r\ncrlf\r\n--b--\r\n",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n\r--b\n\ny\r--b--",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nSubject: inner\n\nhi\n--b--",
        "Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: d\n\nx\n--b--",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n\nfailed\n--b--",
        "From nobody Mon Jan 1 00:00:00 2001\nSubject: x\n\nbody",
        "Subject: no body",
        "Subject: no body\n",
        "",
        "\n\nbody only",
        "Bad Header: x\n\nbody",
        "Content-Type: multipart/mixed; boundary=" + std::string(300, 'b') + "\n\n--" + std::string(300, 'b') +
            "\nContent-Type: text/plain\n\nlong boundary\n--" + std::string(300, 'b') + "--\n",
        "Content-Type: multipart/mixed; boundary=\"b\xe9\"\n\n--b\xe9\nContent-Type: text/plain\n\n8-bit boundary\n--b\xe9--",
    };
    for (const std::string& c : cases) {
        INFO(c);
        CHECK(compare(c) == 0);
    }
}
