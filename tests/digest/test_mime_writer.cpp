// RFC 2047 headers, folding and quoted-printable, read back by our own parser.
#include <catch2/catch.hpp>

#include <sstream>

#include "interlocutor/digest/mime_writer.h"
#include "interlocutor/parsers/message_parser.h"

using namespace ilc;

namespace {
std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t p = s.find("\r\n"); p != std::string::npos; start = p + 2, p = s.find("\r\n", start))
        out.push_back(s.substr(start, p - start));
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
}
void check_encoded_words(const std::string& header) {
    for (const auto& line : lines_of(header)) {
        CHECK(line.size() <= 78);
        for (size_t p = line.find("=?"); p != std::string::npos; p = line.find("=?", p + 2)) {
            size_t e = line.find("?=", p + 10);
            REQUIRE(e != std::string::npos);
            CHECK(e + 2 - p <= 75);
            p = e;
        }
    }
}
}  // namespace

TEST_CASE("ASCII subjects stay readable and fold between words", "[digest.mime]") {
    CHECK(digest::unstructured_header("Subject", "Weekly update") == "Subject: Weekly update\r\n");
    std::string long_subject;
    for (int i = 0; i < 30; ++i) long_subject += "word" + std::to_string(i) + " ";
    auto h = digest::unstructured_header("Subject", long_subject);
    for (const auto& l : lines_of(h)) CHECK(l.size() <= 78);
    CHECK(lines_of(h).size() > 2);
}

TEST_CASE("non-ASCII subjects become short encoded-words that decode back", "[digest.mime]") {
    const std::vector<std::string> subjects = {
        "Point hebdomadaire — Acme — semaine 47",
        "Réunion équipe : décisions prises à l'unanimité, échéances de décembre et de février, "
        "questions ouvertes côté achats — très long sujet pour forcer plusieurs mots encodés",
        "日本語のテキストを含む件名はとても長くなることがありますので分割が必要です。さらに続きます。",
        "=?UTF-8?B?not really?= looks encoded",
    };
    for (const auto& s : subjects) {
        auto h = digest::unstructured_header("Subject", s);
        INFO(h);
        check_encoded_words(h);
        std::string raw = "From: a@b.c\r\nTo: d@e.f\r\n" + h + "Message-ID: <x@y>\r\n\r\nbody\r\n";
        auto m = parsers::parse_message(raw, SourcePos{});
        CHECK(m.subject == s);
    }
}

TEST_CASE("display names are encoded, quoted or left as atoms", "[digest.mime]") {
    std::vector<Mailbox> to = {{"Héloïse Dupré-Laval", "heloise@acme.com"},
                               {"Smith, John", "john@acme.com"},
                               {"", "bare@acme.com"},
                               {"Paul Martin", "paul@acme.com"}};
    auto h = digest::address_header("To", to);
    INFO(h);
    check_encoded_words(h);
    auto m = parsers::parse_message("From: a@b.c\r\n" + h + "Subject: s\r\n\r\nx\r\n", SourcePos{});
    REQUIRE(m.to.size() == 4);
    CHECK(m.to[0].name == "Héloïse Dupré-Laval");
    CHECK(m.to[0].address == "heloise@acme.com");
    CHECK(m.to[1].name == "Smith, John");
    CHECK(m.to[2].address == "bare@acme.com");
    CHECK(m.to[3].name == "Paul Martin");
}

TEST_CASE("quoted-printable keeps lines short and encodes what it must", "[digest.mime]") {
    auto qp = digest::quoted_printable("café = 1 \nline\n" + std::string(200, 'x') + "\n");
    for (const auto& l : lines_of(qp)) CHECK(l.size() <= 76);
    CHECK(qp.find("caf=C3=A9 =3D 1=20\r\n") == 0);
    CHECK(qp.find("\r\nline\r\n") != std::string::npos);
    CHECK(qp.find("=\r\n") != std::string::npos);  // the long line got soft breaks
}

TEST_CASE("a rendered mail parses back with its headers and its text", "[digest.mime]") {
    digest::OutgoingMail mail;
    mail.from = {"Isabelle Charpentier", "isabelle@ardentis.fr"};
    mail.to = {{"Zoé Lefèvre", "zoe@acme.com"}};
    mail.cc = {{"Hugo Colin", "hugo@ardentis.fr"}};
    mail.subject = "Point hebdomadaire — Acme — semaine 47";
    mail.date = 1763370000;
    mail.date_offset = 3600;
    mail.message_id = digest::new_message_id("t", "ardentis.fr");
    mail.text = "Décisions : on signe le 28 novembre.\n";
    mail.html = "<p>Décisions</p>";
    auto raw = digest::render_mail(mail);
    CHECK(raw.find("\n") == raw.find("\r\n") + 1);
    auto m = parsers::parse_message(raw, SourcePos{});
    CHECK(m.subject == mail.subject);
    CHECK(m.from.address == "isabelle@ardentis.fr");
    REQUIRE(m.to.size() == 1);
    CHECK(m.to[0].name == "Zoé Lefèvre");
    CHECK(m.message_id == mail.message_id);
    auto body = parsers::extract_body(raw);
    CHECK(body.text.find("on signe le 28 novembre.") != std::string::npos);
    CHECK(digest::new_message_id("t", "ardentis.fr") != digest::new_message_id("t", "ardentis.fr"));
    CHECK(mail.message_id.substr(mail.message_id.size() - 12) == "@ardentis.fr");
}

TEST_CASE("RFC 5322 dates carry the offset", "[digest.mime]") {
    // 2026-11-12T10:00:00+01:00 = 2026-11-12T09:00:00Z
    CHECK(digest::rfc5322_date(1794474000, 3600) == "Thu, 12 Nov 2026 10:00:00 +0100");
    CHECK(digest::rfc5322_date(1794474000, -5 * 3600) == "Thu, 12 Nov 2026 04:00:00 -0500");
}
