// The digest verb end to end on the dev corpus: the CLI ingests the mbox files into a temporary
// store and writes the digests; this test reads the store with the library, checks the sections
// against the messages, proves the privacy rule, and checks every .eml with Python's email
// package and with our own parser.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "interlocutor/detect/analyze.h"
#include "interlocutor/detect/business_days.h"
#include "interlocutor/detect/identity.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/digest/date_mentions.h"
#include "interlocutor/digest/digest.h"
#include "interlocutor/parsers/message_parser.h"
#include "interlocutor/store/store.h"
#include "interlocutor/threading/threader.h"

using namespace ilc;

namespace {

const std::string kDev = std::string(ILC_CORPORA) + "/dev";
const std::string kNow = "2026-11-12T10:00:00+01:00";
const std::vector<std::string> kOwners = {"isabelle.charpentier@ardentis.fr", "icharpentier@ardentis.fr"};

struct Run { int status = -1; std::string out; };

Run run(const std::string& cmd) {
    Run r;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string q(const std::string& s) { return "'" + s + "'"; }

// One ingest of the dev corpus per test run, shared by the test cases.
struct Fixture {
    std::string dir, db;
    std::vector<Message> msgs;
    std::vector<Thread> threads;
    detect::AnalysisSettings settings;
    detect::AnalysisResult analysis;
    std::string error;

    Fixture() {
        char tmpl[] = "/tmp/ilc-digest-XXXXXX";
        if (!mkdtemp(tmpl)) { error = "mkdtemp failed"; return; }
        dir = tmpl;
        db = dir + "/dev.db";
        auto r = run(std::string(ILC_BIN) + " ingest " + q(kDev + "/mbox/INBOX.mbox") + " " + q(kDev + "/mbox/Sent.mbox") +
                     " " + q(kDev + "/mbox/Archives.mbox") + " --db " + q(db) + " --me " + kOwners[0] + " --me " +
                     kOwners[1] + " --internal-domain ardentis.fr");
        if (r.status != 0) { error = "ingest failed: " + r.out; return; }
        auto st = store::Store::open(db, store::OpenMode::read_only);
        if (!st) { error = st.error().to_string(); return; }
        auto loaded = st.value()->load_messages(store::LoadOptions{true});
        if (!loaded) { error = loaded.error().to_string(); return; }
        msgs = std::move(loaded.value());
        std::vector<threading::ThreadInput> inputs;
        for (const auto& m : msgs) inputs.push_back(threading::thread_input_from(m));
        threading::ThreadingOptions topts;
        topts.owner_addresses = kOwners;
        threads = threading::thread_messages(inputs, topts);
        settings.owners = kOwners;
        settings.internal_domains = {"ardentis.fr"};
        settings.managers = {"marc.moreau@ardentis.fr"};
        settings.tz = "Europe/Paris";
        settings.now = detect::parse_iso8601(kNow).value();
        auto hol = detect::load_holidays(kDev + "/holidays.txt");
        if (hol) settings.holidays = hol.value();
        analysis = detect::analyze(msgs, threads, settings);
    }
    ~Fixture() {
        if (!dir.empty()) run("rm -rf " + q(dir));
    }
    std::string digest_cmd(const std::string& extra, const std::string& out) const {
        return std::string(ILC_BIN) + " digest --db " + q(db) + " --now " + kNow +
               " --tz Europe/Paris --holidays " + q(kDev + "/holidays.txt") + " " + extra + " --out " + q(out);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

// Python's email package must read the file without a single defect (check_eml.py).
void python_check(const std::string& path, const std::string& subject, const std::string& to_csv) {
    auto r = run(std::string(ILC_PYTHON3) + " " + q(ILC_DIGEST_CHECK_PY) + " " + q(path));
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("SUBJECT:" + subject + "\n") != std::string::npos);
    if (!to_csv.empty()) CHECK(r.out.find("TO:" + to_csv + "\n") != std::string::npos);
}

std::string text_of_html_part(const std::string& raw) {
    // The HTML alternative is the second part; decode it through our own body extractor by
    // rebuilding a one-part message (extract_body prefers text/plain).
    auto start = raw.find("Content-Type: text/html");
    if (start == std::string::npos) return "";
    auto end = raw.find("\r\n--=_ilc_", start);
    return parsers::extract_body("MIME-Version: 1.0\r\n" + raw.substr(start, end - start) + "\r\n").text;
}

}  // namespace

TEST_CASE("weekly digests of the dev corpus: sections, privacy, and well-formed mail", "[digest.corpus]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    REQUIRE(!f.msgs.empty());
    const auto id = detect::Identity::from_settings(f.settings);
    detect::BusinessCalendar cal("Europe/Paris");
    const int64_t today = cal.local_day(f.settings.now);

    // Accounts and, per account, its threads classified by this test on its own: a thread is
    // one-to-one when a single external person appears in it.
    std::map<std::string, std::vector<const Thread*>> group, direct;
    std::map<std::string, std::set<size_t>> account_msgs;
    for (const auto& t : f.threads) {
        std::set<std::string> people, accounts;
        for (size_t i : t.members) {
            const auto& m = f.msgs[i];
            std::vector<const Mailbox*> ps{&m.from};
            for (auto& b : m.to) ps.push_back(&b);
            for (auto& b : m.cc) ps.push_back(&b);
            for (auto* b : ps)
                if (!b->address.empty() && !id.is_internal(b->address)) {
                    people.insert(id.person_key(b->address));
                    accounts.insert(id.account_of(b->address));
                }
        }
        for (const auto& a : accounts)
            for (size_t i : t.members) account_msgs[a].insert(i);
        if (accounts.size() != 1) continue;
        (people.size() == 1 ? direct : group)[*accounts.begin()].push_back(&t);
    }

    int digests = 0, decisions_checked = 0, deadlines_checked = 0, private_sentences = 0;
    for (const std::string week : {"2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46"}) {
        auto w = digest::parse_iso_week(week).value();
        const int64_t first = w.first_day(), last = first + 6;
        for (const auto& [account, gthreads] : group) {
            // Group activity of the week (non-automated messages).
            std::vector<size_t> week_group;
            for (auto* t : gthreads)
                for (size_t i : t->members) {
                    int64_t day = cal.local_day(f.msgs[i].date);
                    if (day >= first && day <= last && !f.msgs[i].automated) week_group.push_back(i);
                }
            if (week_group.empty()) continue;
            {
                INFO(account << " " << week);
                const std::string out = f.dir + "/" + account + "-" + week + ".eml";
                auto r = run(f.digest_cmd("--account " + account + " --week " + week + " --lang fr", out));
                INFO(r.out);
                REQUIRE(r.status == 0);
                const std::string raw = slurp(out);
                REQUIRE(!raw.empty());
                ++digests;

                // Expected headers, from the library on the same store.
                digest::DigestOptions opts;
                opts.account = account;
                opts.week = w;
                opts.lang = "fr";
                auto d = digest::build_weekly(f.msgs, f.threads, f.analysis, f.settings, opts);
                REQUIRE(d);
                const std::string subject = "Point hebdomadaire — " + digest::account_display_name(account) +
                                            " — semaine " + std::to_string(w.week);
                std::string to_csv;
                for (const auto& b : d->to) to_csv += (to_csv.empty() ? "" : ",") + b.address;
                for (const auto& b : d->to) CHECK(id.account_of(b.address) == account);

                // Round trip through our own parser.
                auto m = parsers::parse_message(raw, SourcePos{});
                CHECK(m.subject == subject);
                CHECK(m.from.address == kOwners[0]);
                REQUIRE(m.to.size() == d->to.size());
                for (size_t i = 0; i < m.to.size(); ++i) CHECK(m.to[i].address == d->to[i].address);
                CHECK(m.message_id.size() > 12);
                CHECK(m.message_id.substr(m.message_id.size() - 12) == "@ardentis.fr");
                for (const auto& c : m.cc) CHECK(id.is_internal(c.address));
                python_check(out, subject, to_csv);

                const std::string text = parsers::extract_body(raw).text;
                const std::string html = text_of_html_part(raw);
                REQUIRE(!text.empty());
                CHECK(!html.empty());

                // Decisions of the week: every decision cue of the group's messages is there.
                for (size_t i : week_group)
                    for (const auto& cue : f.msgs[i].cues)
                        if (cue.family == "decision") {
                            INFO("decision cue '" << cue.text << "' of " << f.msgs[i].message_id);
                            CHECK(text.find(cue.text) != std::string::npos);
                            ++decisions_checked;
                        }
                // Next deadlines: every future date the group wrote that week, as an ISO date.
                for (size_t i : week_group) {
                    if (f.msgs[i].date > f.settings.now) continue;
                    for (const auto& dm : digest::find_dates(f.msgs[i].new_text, cal.local_day(f.msgs[i].date), f.msgs[i].lang)) {
                        if (dm.day <= today) continue;
                        INFO("deadline " << detect::iso_date(dm.day) << " in " << f.msgs[i].message_id);
                        CHECK(text.find(detect::iso_date(dm.day)) != std::string::npos);
                        ++deadlines_checked;
                    }
                }

                // Privacy rule: no sentence written in a one-to-one thread of this account (and
                // not also written in a group thread) appears, nor any from another account.
                std::set<std::string> allowed;
                for (auto* t : gthreads)
                    for (size_t i : t->members)
                        for (auto& s : digest::sentences(f.msgs[i].new_text)) allowed.insert(s);
                auto must_not_appear = [&](size_t i) {
                    for (auto& s : digest::sentences(f.msgs[i].new_text)) {
                        if (s.size() < 25 || allowed.count(s)) continue;
                        INFO("private sentence from " << f.msgs[i].message_id << ": " << s);
                        CHECK(text.find(s) == std::string::npos);
                        CHECK(html.find(s) == std::string::npos);
                        ++private_sentences;
                    }
                };
                for (auto* t : direct[account])
                    for (size_t i : t->members) must_not_appear(i);
                for (const auto& [other, idx] : account_msgs)
                    if (other != account)
                        for (size_t i : idx)
                            if (!account_msgs[account].count(i)) must_not_appear(i);
                // One-to-one threads of the week are still listed, by subject.
                for (const auto& topic : d->direct_topics) CHECK(text.find(topic.subject) != std::string::npos);
            }
        }
    }
    WARN("digests " << digests << ", decision cues " << decisions_checked << ", deadlines " << deadlines_checked
                    << ", private sentences checked " << private_sentences);
    CHECK(digests > 0);
    CHECK(decisions_checked > 0);
    CHECK(deadlines_checked > 0);
    CHECK(private_sentences > 0);
}

TEST_CASE("the manager's digest of the dev corpus", "[digest.corpus]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    const std::string out = f.dir + "/team.eml";
    auto r = run(f.digest_cmd("--team --week 2026-W46 --lang en --manager marc.moreau@ardentis.fr", out));
    INFO(r.out);
    REQUIRE(r.status == 0);
    const std::string raw = slurp(out);
    python_check(out, "Team digest — week 46", "marc.moreau@ardentis.fr");
    auto m = parsers::parse_message(raw, SourcePos{});
    CHECK(m.subject == "Team digest — week 46");
    CHECK(m.from.address == kOwners[0]);
    const std::string text = parsers::extract_body(raw).text;
    const std::string html_raw = raw.substr(raw.find("Content-Type: text/html"));
    CHECK(html_raw.find("width:") != std::string::npos);  // the bar chart (quoted-printable keeps it readable)
    REQUIRE(!f.analysis.stalled_deal.empty());
    // Stalled deals in decreasing risk order.
    size_t prev = 0;
    int prev_risk = 101;
    auto stalled = f.analysis.stalled_deal;
    std::stable_sort(stalled.begin(), stalled.end(), [](auto& a, auto& b) { return a.risk > b.risk; });
    for (const auto& s : stalled) {
        // Accounts appear under their display name (docs/CONFIG.md names them; here the domain's).
        auto pos = text.find(digest::account_display_name(s.account) + " — risk " + std::to_string(s.risk));
        INFO(s.account);
        REQUIRE(pos != std::string::npos);
        CHECK(pos >= prev);
        CHECK(s.risk <= prev_risk);
        prev = pos;
        prev_risk = s.risk;
    }
    CHECK(text.find(std::to_string(f.analysis.awaiting_reply.size()) + " awaiting the customer") != std::string::npos);
    for (const auto& a : f.analysis.all_in_copy)
        CHECK(text.find(digest::account_display_name(a.account) + " — ") != std::string::npos);
    CHECK(text.find("Per rep") == std::string::npos);  // no reps configured
}

TEST_CASE("the week defaults to the ISO week of --now", "[digest.corpus]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    const std::string out = f.dir + "/default-week.eml";
    auto r = run(f.digest_cmd("--account Mail.Calloway-MFG.com --lang en", out));  // any spelling of the domain
    INFO(r.out);
    REQUIRE(r.status == 0);
    auto m = parsers::parse_message(slurp(out), SourcePos{});
    CHECK(m.subject == "Weekly update — Calloway Mfg — week 46");  // 2026-11-12 is in 2026-W46
    python_check(out, m.subject, "");
}

TEST_CASE("digest refuses bad input with clear errors", "[digest.corpus]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    const std::string out = f.dir + "/bad.eml";
    auto r = run(f.digest_cmd("--account nowhere.example --week 2026-W46", out));
    CHECK(r.status == 1);
    CHECK(r.out.find("nowhere.example") != std::string::npos);
    r = run(f.digest_cmd("--account acme.com --week 2026-47", out));
    CHECK(r.status == 2);
    CHECK(r.out.find("ISO week") != std::string::npos);
    r = run(f.digest_cmd("--week 2026-W46", out));
    CHECK(r.status == 2);
    r = run(f.digest_cmd("--team --week 2026-W46", out));  // no manager known
    CHECK(r.status != 0);
    CHECK(r.out.find("manager") != std::string::npos);
}

TEST_CASE("the config names accounts and maps the team's reps", "[digest.corpus][issues.7]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    const std::string colleague = "vincent.poirier@ardentis.fr";
    const std::string account = "calloway-mfg.com";
    const std::string config = f.dir + "/names.conf";
    {
        std::ofstream c(config);
        c << "managers = marc.moreau@ardentis.fr\n[accounts]\n" << account << " = Calloway Manufacturing Inc.\n"
          << "[reps]\nIsabelle Charpentier = " << kOwners[0] << ", " << kOwners[1] << "\nVincent Poirier = " << colleague
          << "\n";
    }
    const std::string out = f.dir + "/named.eml";
    auto r = run(f.digest_cmd("--account " + account + " --week 2026-W46 --lang en --config " + q(config), out));
    INFO(r.out);
    REQUIRE(r.status == 0);
    auto m = parsers::parse_message(slurp(out), SourcePos{});
    CHECK(m.subject == "Weekly update — Calloway Manufacturing Inc. — week 46");
    python_check(out, m.subject, "");
    // --account-name still wins over the config.
    r = run(f.digest_cmd("--account " + account + " --week 2026-W46 --lang fr --account-name Calloway --config " + q(config), out));
    REQUIRE(r.status == 0);
    CHECK(parsers::parse_message(slurp(out), SourcePos{}).subject == "Point hebdomadaire — Calloway — semaine 46");
    // analyze reads the same file (names and reps are not the detectors' business, nor an error).
    r = run(std::string(ILC_BIN) + " analyze --db " + q(f.db) + " --now " + kNow + " --config " + q(config) + " --format json");
    CHECK(r.status == 0);

    // The team digest: one line per rep, their findings counted from the analysis with every
    // rep's address as an owner (the store holds the team's mail).
    const std::string team = f.dir + "/team-reps.eml";
    r = run(f.digest_cmd("--team --week 2026-W46 --lang en --config " + q(config), team));
    INFO(r.out);
    REQUIRE(r.status == 0);
    const std::string raw = slurp(team);
    python_check(team, "Team digest — week 46", "marc.moreau@ardentis.fr");
    const std::string text = parsers::extract_body(raw).text;
    auto settings = f.settings;
    settings.owners.push_back(colleague);
    auto analysis = detect::analyze(f.msgs, f.threads, settings);
    std::map<std::string, std::string> from_of;
    for (const auto& msg : f.msgs) from_of[msg.message_id] = msg.from.address;
    int isabelle = 0, vincent = 0;
    for (const auto& a : analysis.awaiting_reply) {
        const auto& from = from_of[a.message_id];
        if (from == colleague) ++vincent;
        else if (from == kOwners[0] || from == kOwners[1]) ++isabelle;
    }
    INFO(text);
    const auto per_rep = text.find("Per rep");
    REQUIRE(per_rep != std::string::npos);
    CHECK(text.find("Isabelle Charpentier — " + std::to_string(isabelle) + " awaiting the customer", per_rep) != std::string::npos);
    CHECK(text.find("Vincent Poirier — " + std::to_string(vincent) + " awaiting the customer", per_rep) != std::string::npos);
    CHECK(isabelle + vincent == (int)analysis.awaiting_reply.size());
    CHECK(text.find("Calloway Mfg") == std::string::npos);  // where the account is named, by the config's name
    CHECK(text.find(account + " — ") == std::string::npos);

    // A bad reps line is a clear error naming the line, not a crash.
    {
        std::ofstream c(config);
        c << "[reps]\nVincent Poirier = vincent.poirier\n";
    }
    r = run(f.digest_cmd("--team --week 2026-W46 --config " + q(config), team));
    CHECK(r.status == 1);
    CHECK(r.out.find("line 2") != std::string::npos);
}

// serve's GET /v1/digest and `interlocutor digest` build the digests without the whole Messages
// of the store: the analysis on detect::Mails, header-only Messages (digest::header_message) and
// the texts of the messages weekly_text_messages names only. Every section must be what the
// whole Messages give.
TEST_CASE("the digests from header-only messages equal the digests from whole messages", "[digest.corpus]") {
    auto& f = fixture();
    REQUIRE(f.error == "");
    auto st = store::Store::open(f.db, store::OpenMode::read_only);
    REQUIRE(st.ok());
    store::Store& store = *st.value();
    auto slim_input = [&](const detect::AnalysisSettings& settings, detect::AnalysisResult& analysis) {
        detect::MailMaker make_mail(&settings);
        store::LoadOptions lo;
        lo.with_text = true;
        lo.with_quoted = false;
        lo.detector_columns_only = true;  // as `interlocutor digest` reads them (cue texts left out)
        std::vector<detect::Mail> mails;
        REQUIRE(store.scan_messages(lo, [&](std::vector<Message>& batch, size_t) {
                         for (auto& m : batch) mails.push_back(make_mail(std::move(m)));
                     }).ok());
        analysis = detect::analyze(mails, f.threads, settings);
        std::vector<Message> msgs;
        for (auto& m : mails) msgs.push_back(digest::header_message(std::move(m)));
        return msgs;
    };
    auto same_mail = [](const digest::OutgoingMail& a, const digest::OutgoingMail& b) {
        auto boxes = [](const std::vector<Mailbox>& v) {
            std::string s;
            for (const auto& x : v) s += x.name + " <" + x.address + ">,";
            return s;
        };
        CHECK(a.subject == b.subject);
        CHECK(boxes({a.from}) == boxes({b.from}));
        CHECK(boxes(a.to) == boxes(b.to));
        CHECK(boxes(a.cc) == boxes(b.cc));
        CHECK(a.text == b.text);
        CHECK(a.html == b.html);
    };

    detect::AnalysisResult analysis;
    auto msgs = slim_input(f.settings, analysis);
    REQUIRE(msgs.size() == f.msgs.size());
    const auto id = detect::Identity::from_settings(f.settings);
    std::set<std::string> accounts;
    for (const auto& m : f.msgs)
        for (const auto* list : {&m.to, &m.cc})
            for (const auto& b : *list)
                if (!b.address.empty() && !id.is_internal(b.address)) accounts.insert(id.account_of(b.address));
    int compared = 0, decisions = 0, deadlines = 0;
    for (const std::string week : {"2026-W40", "2026-W42", "2026-W44", "2026-W45", "2026-W46"}) {
        for (const auto& account : accounts) {
            INFO(account << " " << week);
            digest::DigestOptions opts;
            opts.account = account;
            opts.week = digest::parse_iso_week(week).value();
            auto texts = msgs;  // this account's texts only
            for (size_t i : digest::weekly_text_messages(texts, f.threads, f.settings, opts)) {
                auto full = store.find_message(texts[i].message_id);
                REQUIRE(full.ok());
                REQUIRE(full.value());
                texts[i].new_text = full.value()->new_text;
                texts[i].cues = full.value()->cues;
            }
            auto whole = digest::build_weekly(f.msgs, f.threads, f.analysis, f.settings, opts);
            auto slim = digest::build_weekly(texts, f.threads, analysis, f.settings, opts);
            REQUIRE(whole.ok() == slim.ok());
            if (!whole.ok()) {
                CHECK(whole.error().message == slim.error().message);
                continue;
            }
            ++compared;
            decisions += (int)whole->decisions.size();
            deadlines += (int)whole->deadlines.size();
            same_mail(digest::weekly_mail(whole.value(), f.settings), digest::weekly_mail(slim.value(), f.settings));
        }
    }
    CHECK(compared > 10);
    CHECK(decisions > 0);  // the quoted texts were read
    CHECK(deadlines > 0);

    // The team digest, with the reps' addresses as owners as `interlocutor digest --team` adds them.
    detect::AnalysisSettings team = f.settings;
    team.owners.push_back("marc.moreau@ardentis.fr");
    detect::AnalysisResult team_analysis;
    auto team_msgs = slim_input(team, team_analysis);
    const auto team_whole_analysis = detect::analyze(f.msgs, f.threads, team);
    digest::TeamOptions topts;
    topts.week = digest::parse_iso_week("2026-W46").value();
    topts.reps = {{"Isabelle", {kOwners[0]}}, {"Marc", {"marc.moreau@ardentis.fr"}}};
    auto whole = digest::build_team(f.msgs, team_whole_analysis, team, topts);
    auto slim = digest::build_team(team_msgs, team_analysis, team, topts);
    REQUIRE(whole.ok());
    REQUIRE(slim.ok());
    same_mail(digest::team_mail(whole.value(), team), digest::team_mail(slim.value(), team));
}
