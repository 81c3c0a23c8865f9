// MIME body extraction (mimetic adapter), html_to_text, parse_message, and the corpora:
// the three dev formats agree on every Message-ID; every torture/lists message parses.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "interlocutor/parsers/message_parser.h"
#include "../../parsers/src/eml_source.h"
#include "mime_test_util.h"

using namespace ilc;
using namespace ilc::parsers;
using namespace ilc::test;
namespace fs = std::filesystem;

TEST_CASE("html_to_text: entities, blocks, dropped elements, blockquotes", "[parsers.mime]") {
    CHECK(html_to_text("<p>Caf&eacute; &amp; th&eacute;&nbsp;?</p>") == "Café & thé ?\n");
    CHECK(html_to_text("It&rsquo;s &#233;t&#xE9; &#8364;") == "It’s été €\n");
    CHECK(html_to_text("a<br>b<br/>c") == "a\nb\nc\n");
    CHECK(html_to_text("<head><title>T</title><style>p{}</style></head><body><script>x<y</script>Hi</body>") == "Hi\n");
    CHECK(html_to_text("<div>one</div><div>two</div><ul><li>x</li><li>y</li></ul>") == "one\ntwo\nx\ny\n");
    CHECK(html_to_text("  lots   of\n\n spaces  ") == "lots of spaces\n");
    CHECK(html_to_text("New text<blockquote>Old line 1<br>Old line 2</blockquote>After") ==
          "New text\n> Old line 1\n> Old line 2\nAfter\n");
    CHECK(html_to_text("Merci<div id=\"divRplyFwdMsg\"><b>De :</b> Jean</div>") == "Merci\n\nDe : Jean\n");
    CHECK(html_to_text("Thanks<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\"><p>From: Ann</p></div>")
              .find("\nFrom: Ann") != std::string::npos);
    CHECK(html_to_text("1 < 2 &unknown; <!-- c --> ok") == "1 < 2 &unknown; ok\n");
    // Linear time on hostile input: a million unclosed tags and quotes.
    std::string evil;
    for (int i = 0; i < 200000; ++i) evil += "<a \"x";
    auto t0 = std::chrono::steady_clock::now();
    html_to_text(evil);
    html_to_text(std::string(1000000, '<'));
    html_to_text(std::string(1000000, '&'));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));  // generous for sanitizer builds
}

TEST_CASE("extract_body: text/plain preferred, html fallback, attachments, encodings", "[parsers.mime]") {
    for (Eol eol : {Eol::lf, Eol::crlf}) {
        std::string alt = with_eol(
            "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
            "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
            "--inner\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
            "Caf=E9 cr=E8me=\n soft\n"
            "--inner\nContent-Type: text/html; charset=utf-8\n\n<p>HTML</p>\n"
            "--inner--\n"
            "--outer\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0x\n"
            "--outer\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nnot the body\n"
            "--outer--\n", eol);
        BodyText b = extract_body(alt);
        CHECK(b.text.rfind("Café crème soft", 0) == 0);
        CHECK_FALSE(b.from_html);
        CHECK(b.attachment_count == 2);
        CHECK_FALSE(b.is_report);

        std::string html = with_eol(
            "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n\nPHA+Qm9uam91ciAmYW1wOyBtZXJjaTwvcD4=\n--b--\n", eol);
        BodyText h = extract_body(html);
        CHECK(h.text == "Bonjour & merci\n");
        CHECK(h.from_html);

        std::string report = with_eol(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
            "--r\nContent-Type: text/plain\n\nDelivery failed.\n--r\nContent-Type: message/delivery-status\n\n"
            "Status: 5.0.0\n--r--\n", eol);
        BodyText r = extract_body(report);
        CHECK(r.is_report);
        CHECK(r.text.rfind("Delivery failed.", 0) == 0);
    }
}

TEST_CASE("parse_message: fields from a real dev message", "[parsers.mime]") {
    auto s = open_source(ILC_CORPORA "/dev/mbox/INBOX.mbox");
    REQUIRE(s.ok());
    auto raw = (*s)->next();
    REQUIRE(raw);
    Message m = parse_message(*raw);
    CHECK(!m.message_id.empty());
    CHECK(m.message_id.find('<') == std::string::npos);
    CHECK_FALSE(m.synthetic_id);
    CHECK(!m.from.address.empty());
    CHECK(!m.to.empty());
    CHECK(!m.subject.empty());
    CHECK(m.date_source == DateSource::header);
    CHECK(m.date > 1700000000);
    CHECK(!m.body_text.empty());
    CHECK(m.source.path == raw->pos.path);
    CHECK(m.source.folder == "INBOX");
}

namespace {

std::map<std::string, int> ids_of(const std::string& path, size_t* synthetic) {
    std::map<std::string, int> ids;  // id -> how many messages carry it
    auto s = open_source(path);
    REQUIRE(s.ok());
    while (auto raw = (*s)->next()) {
        Message m = parse_message(*raw);
        if (m.synthetic_id) ++*synthetic;
        ++ids[m.message_id];
    }
    return ids;
}

}  // namespace

TEST_CASE("dev corpus: mbox, Maildir and .eml give the same Message-IDs, synthetic ones included",
          "[parsers.mime][corpora]") {
    size_t syn_mbox = 0, syn_md = 0, syn_eml = 0;
    std::map<std::string, int> mbox;
    for (const char* f : {"INBOX.mbox", "Sent.mbox", "Archives.mbox"})
        for (const auto& [id, n] : ids_of(std::string(ILC_CORPORA "/dev/mbox/") + f, &syn_mbox)) mbox[id] += n;
    auto md = ids_of(ILC_CORPORA "/dev/maildir", &syn_md);
    auto eml = ids_of(ILC_CORPORA "/dev/eml", &syn_eml);
    size_t total = 0;
    for (const auto& [id, n] : mbox) total += static_cast<size_t>(n);
    CHECK(total == 570);
    CHECK(syn_mbox == 3);
    CHECK(syn_md == 3);
    CHECK(syn_eml == 3);
    CHECK(mbox == md);
    CHECK(mbox == eml);
}

TEST_CASE("torture and lists corpora: every message parses without a crash", "[parsers.mime][corpora]") {
    size_t files = 0, messages = 0, with_warnings = 0, sources_failed = 0;
    for (const char* root : {ILC_CORPORA "/torture", ILC_CORPORA "/lists"}) {
        auto s = open_source(root);
        REQUIRE(s.ok());
        while (auto raw = (*s)->next()) {
            // Files that are themselves mboxes (mailing list archives) are split by the tree source.
            CHECK(raw->bytes.compare(0, 5, "From ") != 0);
            Message m = parse_message(*raw);
            ++messages;
            if (!m.warnings.empty()) ++with_warnings;
            CHECK(!m.message_id.empty());
        }
        sources_failed += (*s)->error() ? 1 : 0;
        auto* eml = dynamic_cast<EmlSource*>(s->get());
        REQUIRE(eml);
        std::printf("%s: %zu files skipped as not mail (content check), %zu mbox files, %zu Maildirs\n", root,
                    eml->skipped_files(), eml->mbox_files(), eml->maildirs());
        files += eml->mbox_files();
    }
    std::printf("torture+lists: %zu mbox files, %zu messages parsed, %zu with warnings\n", files, messages,
                with_warnings);
    CHECK(sources_failed == 0);
    CHECK(messages > 1000);
}
