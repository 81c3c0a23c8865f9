// Automated-mail classification on real files checked by hand (automated_checked.txt), on the
// whole dev mailbox (no person mail flagged), and on hand-written header cases.
#include <catch2/catch.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "interlocutor/text/understand.h"
#include "mini_mime.h"

namespace fs = std::filesystem;
using namespace ilc::text;

namespace {

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    return s;
}

std::string iso_day(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

int64_t day(int y, int m, int d) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

TEST_CASE("automated verdicts on hand-checked corpus files", "[text.automated]") {
    std::ifstream list(std::string(ILC_TEST_DATA) + "/../text/automated_checked.txt");
    REQUIRE(list.good());
    std::string line;
    int checked = 0;
    while (std::getline(list, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, '|')) f.push_back(trim(field));
        REQUIRE(f.size() >= 3);
        fs::path path = fs::path(ILC_CORPORA) / f[0];
        INFO("file " << f[0]);
        REQUIRE(fs::exists(path));
        ilc::Message m = ilc::test::read_eml_file(path.string());
        understand(m);
        INFO("reason " << m.automated_reason << " subject " << m.subject);
        if (f[1] == "person") {
            CHECK_FALSE(m.automated);
        } else {
            CHECK(m.automated);
            CHECK(m.automated_reason == f[1]);
            CHECK(m.cues.empty());
            CHECK_FALSE(m.expects_reply);
        }
        if (f[2] != "-") {
            REQUIRE(m.ooo_until.has_value());
            CHECK(iso_day(*m.ooo_until) == f[2]);
        }
        ++checked;
    }
    CHECK(checked >= 12);
}

TEST_CASE("no false automated verdict on the dev mailbox's person mail", "[text.automated][dev]") {
    // In the dev mailbox, automated mail carries Auto-Submitted, List-* or a no-reply sender; a
    // message without any of these (nor an out-of-office subject) is person mail and must not be flagged.
    int person = 0, flagged = 0;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(ILC_CORPORA) / "dev/eml")) {
        if (!e.is_regular_file()) continue;
        ilc::Message m = ilc::test::read_eml_file(e.path().string());
        bool header_says = !m.auto_submitted.empty() || !m.list_id.empty() || !m.list_unsubscribe.empty() ||
                           !m.precedence.empty() || is_noreply_address(m.from.address) || m.is_report ||
                           is_ooo_subject(m.subject);
        understand(m);
        if (header_says) { CHECK(m.automated); continue; }
        ++person;
        if (m.automated) {
            ++flagged;
            FAIL_CHECK(e.path().string() << " flagged " << m.automated_reason << ": " << m.subject);
        }
    }
    CHECK(person > 400);
    CHECK(flagged == 0);
}

TEST_CASE("automated: headers, senders, subjects", "[text.automated]") {
    auto verdict = [](auto setup) {
        ilc::Message m;
        m.from.address = "jean@client.fr";
        m.subject = "Re: devis";
        m.body_text = "Bonjour, pouvez-vous m'envoyer le devis ?";
        setup(m);
        return classify_automated(m);
    };
    CHECK_FALSE(verdict([](ilc::Message&) {}).automated);
    CHECK_FALSE(verdict([](ilc::Message& m) { m.auto_submitted = "no"; }).automated);
    CHECK(verdict([](ilc::Message& m) { m.auto_submitted = "auto-generated"; }).reason == "auto_submitted");
    CHECK(verdict([](ilc::Message& m) { m.precedence = "bulk"; }).reason == "precedence");
    CHECK(verdict([](ilc::Message& m) { m.list_unsubscribe = "<mailto:x@y>"; }).reason == "list");
    CHECK(verdict([](ilc::Message& m) { m.is_report = true; }).reason == "report");
    CHECK(verdict([](ilc::Message& m) { m.x_autoreply = "yes"; }).reason == "autoreply");
    for (const char* a : {"noreply@x.com", "no-reply@x.com", "donotreply@x.fr", "MAILER-DAEMON@x.org",
                          "postmaster@x.org", "notifications@github.com", "bounce-123@list.x.com"}) {
        INFO(a);
        CHECK(verdict([&](ilc::Message& m) { m.from.address = a; }).reason == "noreply");
    }
    for (const char* s : {"Absence du bureau", "Réponse automatique : devis", "Out of Office: RE: quote",
                          "Automatic reply: demo", "Auto: Proposition", "Abwesenheitsnotiz: Angebot"}) {
        INFO(s);
        CHECK(verdict([&](ilc::Message& m) { m.subject = s; }).reason == "ooo");
    }
    CHECK(verdict([](ilc::Message& m) { m.subject = "Undeliverable: devis"; }).reason == "bounce");
    // A person mentioning an absence in a real mail is not an auto-reply.
    CHECK_FALSE(verdict([](ilc::Message& m) {
        m.body_text = "Je serai absent la semaine prochaine, pouvons-nous faire le point lundi ?";
    }).automated);
    CHECK(verdict([](ilc::Message& m) {
        m.subject = "Re: devis";
        m.body_text = "Bonjour,\nJe suis absente du bureau jusqu'au 15 novembre.\nCordialement";
    }).reason == "ooo");
}

TEST_CASE("out-of-office return dates FR/EN", "[text.automated][text.ooo]") {
    const int64_t ref = day(2025, 11, 3);
    CHECK(parse_return_date("Je suis absent jusqu'au 15 novembre.", ref) == day(2025, 11, 15));
    CHECK(parse_return_date("Je serai de retour le lundi 17/11.", ref) == day(2025, 11, 17));
    CHECK(parse_return_date("I am out of the office, back on November 17th.", ref) == day(2025, 11, 17));
    CHECK(parse_return_date("I'm away until 11/17.", ref) == day(2025, 11, 17));
    CHECK(parse_return_date("absente du 3 au 14 novembre 2025 inclus", ref) == day(2025, 11, 14));
    CHECK(parse_return_date("until 2026-01-05", ref) == day(2026, 1, 5));
    // Late December reference, January return: next year.
    CHECK(parse_return_date("de retour le 5 janvier", day(2025, 12, 20)) == day(2026, 1, 5));
    CHECK_FALSE(parse_return_date("Je suis absent.", ref).has_value());
    ilc::Message m;
    m.subject = "Réponse automatique : Proposition";
    m.date = ref;
    m.body_text = "Bonjour,\nJe suis absente jusqu'au 15 novembre. Pour toute urgence, contactez Paul.";
    understand(m);
    CHECK(m.automated);
    CHECK(m.automated_reason == "ooo");
    REQUIRE(m.ooo_until.has_value());
    CHECK(*m.ooo_until == day(2025, 11, 15));
}

TEST_CASE("bulk mail without list headers", "[text.automated][issues.3]") {
    auto msg = [](const std::string& from, const std::string& text) {
        ilc::Message m;
        m.from.address = from;
        m.to.push_back({"", "rep@vendor.fr"});
        m.body_text = text;
        m.new_text = text;
        return m;
    };
    CHECK(ilc::text::bulk_reason(msg("newsletter@acme.com", "Hello")) == "bulk_sender");
    CHECK(ilc::text::bulk_reason(msg("exclusive_offers@sportsline.com", "Win!")) == "bulk_sender");
    CHECK(ilc::text::bulk_reason(msg("deals@lists.em5000.com", "Hi")) == "bulk_sender");
    CHECK(ilc::text::bulk_reason(msg("a@acme.com", "News.\nTo unsubscribe, click here.")) == "marketing");
    CHECK(ilc::text::bulk_reason(msg("a@acme.fr", "Actualités.\nPour vous désinscrire, cliquez ici.")) == "marketing");
    CHECK(ilc::text::bulk_reason(msg("info@conf.com", "<HTML><HEAD><META NAME=x></HEAD>Register")) == "marketing");
    ilc::Message x = msg("a@acme.com", "Hi");
    x.x_mailer = "L-Soft list server at LISTSERV.EXAMPLE.COM (1.8d)";
    CHECK(ilc::text::bulk_reason(x) == "bulk_mailer");
    ilc::Message u = msg("a@acme.com", "Hi");
    u.to = {{"", "undisclosed-recipients:;"}};
    CHECK(ilc::text::bulk_reason(u) == "undisclosed");
    ilc::Message many = msg("a@acme.com", "Hi all");
    for (int k = 0; k < 25; ++k) many.cc.push_back({"", "p" + std::to_string(k) + "@acme.com"});
    CHECK(ilc::text::bulk_reason(many) == "broadcast");
    // People: a request to unsubscribe them, an offer mentioned once, a small group mail.
    CHECK(ilc::text::bulk_reason(msg("a@acme.com", "Please unsubscribe me from your list.")).empty());
    CHECK(ilc::text::bulk_reason(msg("a@acme.com", "Is your special offer still valid? Thanks")).empty());
    CHECK(ilc::text::bulk_reason(msg("info@acme.com", "Can you send me the quote?")).empty());
    CHECK(ilc::text::bulk_reason(msg("jean.martin@orange.fr", "Pouvez-vous me rappeler ?")).empty());
}
