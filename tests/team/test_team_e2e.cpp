// Three reps publish the dev corpus split three ways (by account) into a real PostgreSQL; the
// team view must equal the single-store analysis of the whole corpus. Then privacy (queried in
// PostgreSQL directly), no body text anywhere, an interrupted publish, and the service's roles.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "interlocutor/detect/identity.h"
#include "interlocutor/store/store.h"
#include "interlocutor/team/team_server.h"
#include "interlocutor/team/team_store.h"
#include "interlocutor/threading/threader.h"
#include "team_test_helpers.h"

using namespace ilc;
namespace fs = std::filesystem;

namespace {

const std::string kMe = "--me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr";

std::string analysis_flags() {
    return " --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " +
           test::quote(test::corpora() + "/dev/holidays.txt") + " --manager marc.moreau@ardentis.fr";
}

using StalledKey = std::tuple<std::string, std::string, bool, int>;  // account, reason, escalate, risk

std::set<StalledKey> stalled_of_analyze_json(const std::string& json) {
    Poco::JSON::Parser p;
    auto root = p.parse(json).extract<Poco::JSON::Object::Ptr>();
    std::set<StalledKey> out;
    auto findings = root->getArray("findings");
    for (size_t i = 0; i < findings->size(); ++i) {
        auto f = findings->getObject(unsigned(i));
        if (f->getValue<std::string>("kind") != "stalled_deal") continue;
        out.insert({f->getValue<std::string>("account"), f->getValue<std::string>("reason"), f->getValue<bool>("escalate"),
                    f->getValue<int>("risk")});
    }
    return out;
}

// Every value of every team table for one rep (all reps when rep is empty), as one text.
std::string dump_team_db(team::SqlConnection& c, const std::string& rep) {
    std::string all;
    for (const char* t : {"team_reps", "team_accounts", "team_threads", "team_participants", "team_contacts",
                          "team_findings"}) {
        auto r = rep.empty() ? c.query(std::string("SELECT * FROM ") + t)
                             : c.query(std::string("SELECT * FROM ") + t + " WHERE rep = $1", {rep});
        REQUIRE(r.ok());
        for (const auto& row : r.value())
            for (const auto& v : row)
                if (v) all += *v + "\n";
    }
    return all;
}

struct Http {
    int status = 0;
    std::string body;
};

Http get(int port, const std::string& path, const std::string& token, const std::string& host = "") {
    Poco::Net::HTTPClientSession s("127.0.0.1", Poco::UInt16(port));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
    if (!token.empty()) req.set("Authorization", "Bearer " + token);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    Http h;
    h.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, h.body);
    return h;
}

}  // namespace

TEST_CASE("three reps publish the dev corpus split three ways: the team view equals the whole analysis",
          "[team.e2e]") {
    const std::string pg = test::team_urls().back();
    const std::string dev = test::corpora() + "/dev";
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();

    // 1. The whole corpus in one store, analyzed as a single rep would.
    const std::string whole = dir + "/whole.db";
    REQUIRE(test::run(B + " ingest " + test::quote(dev + "/eml") + " --db " + test::quote(whole) + " " + kMe +
                      " > /dev/null").status == 0);
    auto single = test::run(B + " analyze --db " + test::quote(whole) + analysis_flags() + " --format json");
    REQUIRE(single.status == 0);
    const auto expected = stalled_of_analyze_json(single.out);
    REQUIRE(expected.size() >= 3);  // the dev set has stalled deals of several accounts

    // 2. Split the .eml files by the account of their thread, accounts dealt round robin.
    auto st = store::Store::open(whole, store::OpenMode::read_only);
    REQUIRE(st.ok());
    auto msgs = st.value()->load_messages(store::LoadOptions{true});
    REQUIRE(msgs.ok());
    auto owners = st.value()->owner_addresses().value();
    std::vector<threading::ThreadInput> inputs;
    for (const auto& m : msgs.value()) inputs.push_back(threading::thread_input_from(m));
    threading::ThreadingOptions topts;
    topts.owner_addresses = owners;
    auto threads = threading::thread_messages(inputs, topts);
    detect::Identity id(owners, {"ardentis.fr"}, {"marc.moreau@ardentis.fr"});
    std::map<std::string, int> rep_of_account;
    std::vector<std::string> bodies;
    int copied = 0;
    for (const auto& t : threads) {
        std::map<std::string, int> counts;
        for (size_t i : t.members) {
            const auto& m = msgs.value()[i];
            for (const auto* list : {&m.to, &m.cc})
                for (const auto& mb : *list)
                    if (auto a = id.account_of(mb.address); !a.empty()) ++counts[a];
            if (auto a = id.account_of(m.from.address); !a.empty()) ++counts[a];
        }
        std::string account;
        int best = 0;
        for (const auto& [a, n] : counts)
            if (n > best) best = n, account = a;
        if (!rep_of_account.count(account)) rep_of_account[account] = int(rep_of_account.size() % 3);
        const int rep = rep_of_account[account];
        for (size_t i : t.members) {
            const auto& m = msgs.value()[i];
            fs::path src(m.source.path);
            fs::path dst = fs::path(dir) / ("rep" + std::to_string(rep)) / src.parent_path().filename() / src.filename();
            fs::create_directories(dst.parent_path());
            fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
            ++copied;
            if (m.new_text.size() >= 60) bodies.push_back(m.new_text.substr(10, 40));
        }
    }
    REQUIRE(copied == int(msgs->size()));

    // 3. Each rep ingests their share into their own store and publishes it.
    for (int r = 0; r < 3; ++r) {
        const std::string rdb = dir + "/rep" + std::to_string(r) + ".db";
        REQUIRE(test::run(B + " ingest " + test::quote(dir + "/rep" + std::to_string(r)) + " --db " + test::quote(rdb) +
                          " " + kMe + " > /dev/null").status == 0);
        auto p = test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(rdb) + " --rep rep" +
                           std::to_string(r) + analysis_flags());
        INFO(p.out);
        REQUIRE(p.status == 0);
    }
    auto db = team::TeamStore::open(pg);
    REQUIRE(db.ok());
    std::multiset<StalledKey> team_view;
    std::set<std::string> reps_with_stalled;
    const auto team_rows = db.value()->stalled_deals().value();
    for (const auto& s : team_rows) {
        team_view.insert({s.account, s.reason, s.escalate, s.risk});
        reps_with_stalled.insert(s.rep);
    }
    CHECK(team_view == std::multiset<StalledKey>(expected.begin(), expected.end()));  // once each, no duplicates
    CHECK(reps_with_stalled.size() >= 2);  // the deals really come from several reps
    // Ordered by risk, highest first.
    auto rows = db.value()->stalled_deals().value();
    CHECK(std::is_sorted(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.risk > b.risk; }));

    // 4. No body text in any column: 40 characters from inside each message's new text.
    const std::string everything = dump_team_db(db.value()->connection(), "");
    REQUIRE(bodies.size() > 100);
    int leaked = 0;
    for (const auto& b : bodies)
        if (everything.find(b) != std::string::npos) ++leaked, UNSCOPED_INFO("body text found: " << b);
    CHECK(leaked == 0);

    // 5. rep0 keeps one account private and one contact exclusive: republish, then look in
    // PostgreSQL directly. Both were there before, so the check can fail.
    auto who_rows = db.value()->connection().query(
        "SELECT account, contact FROM team_contacts WHERE rep = 'rep0' AND contact IS NOT NULL ORDER BY strength DESC, account, contact");
    REQUIRE(who_rows.ok());
    REQUIRE(who_rows->size() >= 2);
    const std::string exclusive_account = *who_rows->at(0)[0], exclusive_contact = *who_rows->at(0)[1];
    std::string private_account;
    for (const auto& row : who_rows.value())
        if (*row[0] != exclusive_account) private_account = *row[0];
    REQUIRE_FALSE(private_account.empty());
    std::string before = dump_team_db(db.value()->connection(), "rep0");
    REQUIRE(before.find(private_account) != std::string::npos);
    REQUIRE(before.find(exclusive_contact) != std::string::npos);
    auto p = test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(dir + "/rep0.db") +
                       " --rep rep0 --private-account " + private_account + " --exclusive-contact " +
                       test::quote(exclusive_contact) + analysis_flags());
    REQUIRE(p.status == 0);
    std::string after = dump_team_db(db.value()->connection(), "rep0");
    CHECK(after.find(private_account) == std::string::npos);
    CHECK(after.find(exclusive_contact) == std::string::npos);
    auto someone = db.value()->who_knows(exclusive_account).value();
    CHECK(std::any_of(someone.begin(), someone.end(), [](auto& w) { return w.rep == "rep0" && !w.contact; }));

    // 6. An interrupted publish (the process dies mid-transaction) leaves rep1's rows as they
    // were; publishing again completes.
    auto rep1_rows = [&] { return dump_team_db(db.value()->connection(), "rep1"); };
    const std::string rep1_before = rep1_rows();
    auto rep1_threads = db.value()->connection().query("SELECT account FROM team_threads WHERE rep = 'rep1'").value();
    REQUIRE(rep1_threads.size() > 20);
    const std::string rep1_private = *rep1_threads.front()[0];
    auto crashed = test::run("ILC_TESTING_FAULTS=1 ILC_TEAM_CRASH_AFTER_ROWS=20 " + B + " publish --team " +
                             test::quote(pg) + " --db " + test::quote(dir + "/rep1.db") + " --rep rep1 --private-account " +
                             rep1_private + analysis_flags() + " 2>&1");
    CHECK(crashed.status == 70);
    CHECK(rep1_rows() == rep1_before);
    // Publishing again is the resume. The fault variable alone, without ILC_TESTING_FAULTS=1, is
    // ignored: a production publish never dies of a stray environment variable.
    auto resumed = test::run("ILC_TEAM_CRASH_AFTER_ROWS=20 " + B + " publish --team " + test::quote(pg) + " --db " +
                             test::quote(dir + "/rep1.db") + " --rep rep1 --private-account " + rep1_private +
                             analysis_flags());
    CHECK(resumed.status == 0);
    CHECK(rep1_rows().find(rep1_private) == std::string::npos);

    // 7. The service: tokens from the CLI, roles, Host check.
    auto rep_token = test::run(B + " team user add rep0 --role rep --team " + test::quote(pg));
    auto mgr_token = test::run(B + " team user add marc --role manager --team " + test::quote(pg));
    REQUIRE(rep_token.status == 0);
    REQUIRE(mgr_token.status == 0);
    const std::string rt = rep_token.out.substr(0, rep_token.out.find('\n'));
    const std::string mt = mgr_token.out.substr(0, mgr_token.out.find('\n'));
    // team_users itself, every column of every row: the secret part of neither token is there,
    // and the rows read are really the two users just added.
    auto users = db.value()->connection().query("SELECT * FROM team_users");
    REQUIRE(users.ok());
    std::string user_values;
    for (const auto& row : users.value())
        for (const auto& v : row)
            if (v) user_values += *v + "\n";
    REQUIRE(users->size() >= 2);
    REQUIRE(user_values.find("rep0") != std::string::npos);
    REQUIRE(user_values.find("marc") != std::string::npos);
    for (const auto& token : {rt, mt}) {
        const std::string secret = token.substr(token.rfind('.') + 1);
        REQUIRE(secret.size() == 64);
        CHECK(user_values.find(secret) == std::string::npos);
        CHECK(user_values.find(secret.substr(0, 16)) == std::string::npos);
    }
    CHECK(test::run(B + " team user add x --role admin --team " + test::quote(pg) + " 2>/dev/null").status == 2);

    auto srv = team::TeamServer::start({pg, 0, 2});
    REQUIRE(srv.ok());
    const int port = srv.value()->port();
    CHECK(get(port, "/v1/health", "").status == 200);
    CHECK(get(port, "/v1/team/stalled", "").status == 401);
    CHECK(get(port, "/v1/team/stalled", rt + "x").status == 401);
    CHECK(get(port, "/v1/team/stalled", rt, "evil.example:" + std::to_string(port)).status == 403);
    auto stalled = get(port, "/v1/team/stalled", mt);
    REQUIRE(stalled.status == 200);
    Poco::JSON::Parser parser;
    auto arr = parser.parse(stalled.body).extract<Poco::JSON::Object::Ptr>()->getArray("stalled_deals");
    CHECK(arr->size() == db.value()->stalled_deals().value().size());
    CHECK(get(port, "/v1/team/stalled", rt).status == 200);             // reps see the team view
    CHECK(get(port, "/v1/team/reps", rt).status == 403);                // the per-rep summary is a manager's
    auto reps = get(port, "/v1/team/reps", mt);
    CHECK(reps.status == 200);
    CHECK(reps.body.find("\"rep2\"") != std::string::npos);
    auto mine = get(port, "/v1/me/findings", rt);
    REQUIRE(mine.status == 200);
    parser.reset();
    auto mine_obj = parser.parse(mine.body).extract<Poco::JSON::Object::Ptr>();
    CHECK(mine_obj->getValue<std::string>("rep") == "rep0");
    CHECK(mine_obj->getArray("findings")->size() == db.value()->findings_of("rep0").value().size());
    CHECK(get(port, "/v1/me/findings", mt).status == 403);
    auto who = get(port, "/v1/team/who-knows?account=" + exclusive_account, mt);
    CHECK(who.status == 200);
    CHECK(who.body.find("\"contact\":null") != std::string::npos);
    CHECK(who.body.find(exclusive_contact) == std::string::npos);
    CHECK(get(port, "/v1/team/who-knows", mt).status == 400);
    CHECK(get(port, "/v1/nope", mt).status == 404);
    CHECK(get(port, "/", "").body.find("<html") != std::string::npos);
    srv.value()->stop();
}

TEST_CASE("publish --every republishes on a schedule and stops cleanly on SIGTERM", "[team.e2e]") {
    const std::string pg = test::team_urls().back();
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    const std::string rdb = dir + "/sent.db";
    REQUIRE(test::run(B + " ingest " + test::quote(test::corpora() + "/dev/eml/Sent") + " --db " + test::quote(rdb) + " " +
                      kMe + " > /dev/null").status == 0);
    CHECK(test::run(B + " publish --every 0s --team " + test::quote(pg) + " --db " + test::quote(rdb) + " 2>/dev/null")
              .status == 2);
    CHECK(test::run(B + " publish --every 999999999h --team " + test::quote(pg) + " --db " + test::quote(rdb) +
                    " 2>/dev/null").status == 2);
    // The publisher runs in the background until two rounds are logged (polled, 60 s at most:
    // the cores are shared), then gets SIGTERM and must exit 0.
    const std::string out = dir + "/out";
    test::Child publisher("exec " + B + " publish --every 1s --rep sched --team " + test::quote(pg) + " --db " +
                          test::quote(rdb) + analysis_flags() + " > " + test::quote(out));
    const bool two_rounds = test::wait_for([&] { return test::count_of(test::read_file(out), "published for sched") >= 2; });
    INFO(test::read_file(out));
    CHECK(two_rounds);
    CHECK(publisher.terminate(60) == 0);
    auto db = team::TeamStore::open(pg);
    REQUIRE(db.ok());
    auto reps = db.value()->reps().value();
    REQUIRE(reps.size() == 1);
    CHECK(reps[0].rep == "sched");
    CHECK(reps[0].threads > 0);
}

namespace {

struct Corpus {
    std::vector<Message> msgs;
    std::vector<Thread> threads;
    std::vector<std::string> owners;
};

Corpus load_corpus(const std::string& db) {
    auto st = store::Store::open(db, store::OpenMode::read_only);
    REQUIRE(st.ok());
    auto msgs = st.value()->load_messages(store::LoadOptions{true});
    REQUIRE(msgs.ok());
    Corpus c;
    c.msgs = std::move(msgs.value());
    c.owners = st.value()->owner_addresses().value();
    std::vector<threading::ThreadInput> inputs;
    for (const auto& m : c.msgs) inputs.push_back(threading::thread_input_from(m));
    threading::ThreadingOptions topts;
    topts.owner_addresses = c.owners;
    c.threads = threading::thread_messages(inputs, topts);
    return c;
}

}  // namespace

TEST_CASE("a private account's threads leave no trace, not even in another account's findings", "[team.e2e]") {
    const std::string pg = test::team_urls().back();
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    const std::string dev = test::corpora() + "/dev/eml";
    const std::string original = dir + "/original.db";
    REQUIRE(test::run(B + " ingest " + test::quote(dev) + " --db " + test::quote(original) + " " + kMe + " > /dev/null")
                .status == 0);
    REQUIRE(test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(original) + " --rep solo" +
                      analysis_flags() + " > /dev/null").status == 0);
    auto conn = team::open_connection(pg);
    REQUIRE(conn.ok());

    // The dev mailbox has no thread shared by two accounts that carries a finding, so make the
    // reviewer's case from its real mail: the messages awaiting the rep's reply get a person of
    // another account in Cc (a copy of the corpus, one header added to each).
    const Corpus orig = load_corpus(original);
    detect::Identity id(orig.owners, {"ardentis.fr"}, {"marc.moreau@ardentis.fr"});
    auto awaiting = conn.value()->query("SELECT account, detail FROM team_findings WHERE rep = 'solo' AND kind = 'awaiting_my_reply'");
    REQUIRE(awaiting.ok());
    REQUIRE(awaiting->size() >= 2);
    std::set<std::string> finding_accounts;
    for (const auto& row : awaiting.value()) finding_accounts.insert(*row[0]);
    // The private account: the one with most messages that has no awaiting_my_reply of its own.
    std::map<std::string, int> volume;
    std::map<std::string, std::string> an_address;
    for (const auto& m : orig.msgs)
        if (auto a = id.account_of(m.from.address); !a.empty() && !finding_accounts.count(a)) {
            ++volume[a];
            an_address[a] = m.from.address;
        }
    std::string private_account;
    for (const auto& [a, n] : volume)
        if (private_account.empty() || n > volume[private_account]) private_account = a;
    REQUIRE_FALSE(private_account.empty());
    const std::string private_person = an_address[private_account];
    INFO("private account " << private_account << ", put in Cc: " << private_person);

    const std::string copy = dir + "/eml";
    fs::copy(dev, copy, fs::copy_options::recursive);
    int modified = 0;
    for (const auto& row : awaiting.value()) {
        Poco::JSON::Parser parser;
        const std::string message_id =
            parser.parse(*row[1]).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("message_id");
        for (const auto& m : orig.msgs) {
            if (m.message_id != message_id || !m.cc.empty()) continue;
            const std::string path = copy + "/" + fs::relative(m.source.path, dev).string();
            std::string text = test::read_file(path);
            REQUIRE_FALSE(text.empty());
            const std::string eol = text.find("\r\n") != std::string::npos ? "\r\n" : "\n";
            std::ofstream(path, std::ios::binary) << "Cc: <" << private_person << ">" << eol << text;
            ++modified;
        }
    }
    REQUIRE(modified >= 1);
    const std::string whole = dir + "/whole.db";
    REQUIRE(test::run(B + " ingest " + test::quote(copy) + " --db " + test::quote(whole) + " " + kMe + " > /dev/null")
                .status == 0);
    const Corpus c = load_corpus(whole);

    // What must not reach the team database: the private threads' ids and message ids, their
    // subjects (those no shared thread also has), the account and its people's addresses.
    std::set<std::string> private_threads, private_messages, shared_subjects, private_subjects, private_addresses;
    for (const auto& t : c.threads) {
        bool is_private = false;
        for (size_t i : t.members) {
            const auto& m = c.msgs[i];
            std::vector<const Mailbox*> all = {&m.from};
            for (const auto& mb : m.to) all.push_back(&mb);
            for (const auto& mb : m.cc) all.push_back(&mb);
            for (const auto* mb : all)
                if (id.account_of(mb->address) == private_account) is_private = true, private_addresses.insert(mb->address);
        }
        if (is_private) private_threads.insert(t.id);
        for (size_t i : t.members) {
            const auto& m = c.msgs[i];
            if (is_private) {
                private_messages.insert(m.message_id);
                if (m.subject.size() >= 12) private_subjects.insert(m.subject);
            } else {
                shared_subjects.insert(m.subject);
            }
        }
    }
    std::vector<std::string> forbidden(private_threads.begin(), private_threads.end());
    forbidden.insert(forbidden.end(), private_messages.begin(), private_messages.end());
    for (const auto& s : private_subjects)
        if (std::none_of(shared_subjects.begin(), shared_subjects.end(),
                         [&](const std::string& o) { return o.find(s) != std::string::npos; }))
            forbidden.push_back(s);
    forbidden.push_back(private_account);
    forbidden.insert(forbidden.end(), private_addresses.begin(), private_addresses.end());

    // Without the policy the modified threads' findings are published (so the check below can
    // fail); with it, nothing of the private account's threads is left in any row.
    REQUIRE(test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(whole) + " --rep solo" +
                      analysis_flags() + " > /dev/null").status == 0);
    auto before = conn.value()->query("SELECT thread_id FROM team_findings WHERE rep = 'solo' AND account <> $1",
                                      {private_account});
    REQUIRE(before.ok());
    int foreign_findings = 0;
    for (const auto& row : before.value())
        if (private_threads.count(*row[0])) ++foreign_findings;
    REQUIRE(foreign_findings >= modified);
    REQUIRE(test::run(B + " publish --team " + test::quote(pg) + " --db " + test::quote(whole) + " --rep solo" +
                      " --private-account " + private_account + analysis_flags() + " > /dev/null").status == 0);
    const std::string after = dump_team_db(*conn.value(), "solo");
    int leaked = 0;
    for (const auto& f : forbidden)
        if (after.find(f) != std::string::npos) ++leaked, UNSCOPED_INFO("left in the team database: " << f);
    CHECK(leaked == 0);
    // The rest of the rep's publish is still there, the other accounts' findings included.
    CHECK(test::count_of(after, "@") > 10);
    auto kept = conn.value()->query("SELECT count(*) FROM team_findings WHERE rep = 'solo' AND kind = 'awaiting_my_reply'");
    REQUIRE(kept.ok());
    CHECK(std::stoi(*kept->at(0)[0]) > 0);
}

TEST_CASE("team serve recovers when PostgreSQL restarts under it", "[team.e2e]") {
    const std::string pg = test::team_urls().back();
    const char* ctl = std::getenv("ILC_PG_CTL");
    const char* data = std::getenv("ILC_PG_DATA");
    const char* sock = std::getenv("ILC_PG_SOCKET_DIR");
    INFO("ILC_PG_CTL / ILC_PG_DATA / ILC_PG_SOCKET_DIR come from with_pg.sh (ctest runs the tests through it)");
    REQUIRE(ctl != nullptr);
    REQUIRE(data != nullptr);
    REQUIRE(sock != nullptr);
    const std::string dir = test::temp_dir();
    const std::string B = test::bin();
    auto token = test::run(B + " team user add boss --role manager --team " + test::quote(pg));
    REQUIRE(token.status == 0);
    const std::string tk = token.out.substr(0, token.out.find('\n'));

    const std::string out = dir + "/serve.out";
    test::Child serve("exec " + B + " team serve --team " + test::quote(pg) + " --port 0 > " + test::quote(out) + " 2>&1");
    std::smatch m;
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
    std::string text;
    REQUIRE(test::wait_for([&] {
        text = test::read_file(out);
        return std::regex_search(text, m, listening);
    }));
    const int port = std::stoi(m[1].str());
    // More requests than the service has connections, so that every pooled connection is used.
    auto all_ok = [&] {
        for (int i = 0; i < 6; ++i)
            if (get(port, "/v1/team/stalled", tk).status != 200 || get(port, "/v1/health", "").status != 200) return false;
        return true;
    };
    REQUIRE(all_ok());

    // Server down: a clear 503, not a hang and not a 401 (the token is fine, the database is not).
    const std::string pgctl = std::string(ctl) + " -D " + test::quote(data) + " -w -t 60 ";
    REQUIRE(test::run(pgctl + "-m fast stop > /dev/null").status == 0);
    auto down = get(port, "/v1/team/stalled", tk);
    CHECK(down.status == 503);
    CHECK(get(port, "/v1/health", "").status == 503);
    // Back up (same socket dir, no TCP; the log goes to the cluster's dir, which the server's
    // user may write): the very next requests work on new connections.
    REQUIRE(test::run(pgctl + "-l " + test::quote(std::string(sock) + "/restart.log") + " -o \"-k " + std::string(sock) +
                      " -h '' -F\" start > /dev/null").status == 0);
    CHECK(all_ok());
    // A restart without a request in between (connections die while idle) heals the same way.
    REQUIRE(test::run(pgctl + "-m fast -l " + test::quote(std::string(sock) + "/restart2.log") + " restart > /dev/null").status == 0);
    CHECK(all_ok());
    CHECK(serve.terminate(30) >= 0);
}
