// The local service (SPEC "Local service", "Compose-time check"): every endpoint, every refusal
// with its exact status, the compose check on dev threads, reads during an ingest.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "interlocutor/detect/settings.h"
#include "interlocutor/service/service.h"

namespace fs = std::filesystem;
using namespace ilc;
using Poco::JSON::Object;

namespace {

const std::string kDev = std::string(ILC_CORPORA) + "/dev";

std::string make_temp_dir() {
    std::string t = (fs::temp_directory_path() / "ilc-service-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    return t;
}

void ingest_dev(const std::string& db) {
    std::string cmd = std::string(ILC_BIN) + " ingest " + kDev + "/mbox/INBOX.mbox " + kDev + "/mbox/Sent.mbox " + kDev +
                      "/mbox/Archives.mbox --db " + db +
                      " --me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr"
                      " > /dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
}

service::ServiceOptions dev_options(const std::string& db) {
    service::ServiceOptions o;
    o.snapshot.db_path = db;
    auto& s = o.snapshot.settings;
    s.now = detect::parse_iso8601("2026-11-12T10:00:00+01:00").value();
    s.tz = "Europe/Paris";
    auto hol = detect::load_holidays(kDev + "/holidays.txt");
    REQUIRE(hol.ok());
    s.holidays = hol.value();
    s.managers = {"marc.moreau@ardentis.fr"};
    return o;
}

// One server over the dev store for the whole run (loading and analyzing takes a second).
struct DevServer {
    std::string dir, db;
    std::unique_ptr<service::Service> svc;
    DevServer() {
        dir = make_temp_dir();
        db = dir + "/dev.db";
        ingest_dev(db);
        auto s = service::Service::start(dev_options(db));
        if (!s) FAIL(s.error().to_string());
        svc = std::move(s.value());
    }
    ~DevServer() {
        svc.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

DevServer& dev() {
    static DevServer d;
    return d;
}

struct Reply {
    int status = 0;
    std::string body;
    Poco::Net::HTTPResponse head;
    Object::Ptr json() const {
        Poco::JSON::Parser p;
        return p.parse(body).extract<Object::Ptr>();
    }
};

Reply call(int port, const std::string& method, const std::string& uri, const std::map<std::string, std::string>& headers = {},
           const std::string& body = "", const std::string& content_type = "application/json") {
    Poco::Net::HTTPClientSession cs("127.0.0.1", static_cast<Poco::UInt16>(port));
    cs.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (method == "POST") {
        if (!content_type.empty()) req.setContentType(content_type);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        cs.sendRequest(req) << body;
    } else {
        cs.sendRequest(req);
    }
    Reply r;
    std::istream& in = cs.receiveResponse(r.head);
    Poco::StreamCopier::copyToString(in, r.body);
    r.status = r.head.getStatus();
    return r;
}

std::map<std::string, std::string> auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string error_message(const Reply& r) { return r.json()->getObject("error")->getValue<std::string>("message"); }

}  // namespace

TEST_CASE("health answers without a token, the rest needs it", "[service.auth]") {
    auto& d = dev();
    const int port = d.svc->port();
    REQUIRE(port > 0);
    auto h = call(port, "GET", "/v1/health");
    REQUIRE(h.status == 200);
    CHECK(h.json()->getValue<int>("messages") == 568);
    CHECK(h.json()->getValue<std::string>("version") == "0.1.0");

    for (const char* p : {"/v1/findings", "/v1/accounts", "/v1/threads", "/v1/stakeholders", "/"}) {
        INFO(p);
        auto none = call(port, "GET", p);
        CHECK(none.status == 401);
        auto wrong = call(port, "GET", p, auth(std::string(64, 'a')));
        CHECK(wrong.status == 403);
        auto notbearer = call(port, "GET", p, {{"Authorization", "Basic " + d.svc->token()}});
        CHECK(notbearer.status == 401);
    }
    auto ok = call(port, "GET", "/v1/findings", auth(d.svc->token()));
    CHECK(ok.status == 200);
}

TEST_CASE("the token file is private and holds 32 random bytes in hex", "[service.auth]") {
    auto& d = dev();
    struct stat sb {};
    REQUIRE(::stat(d.svc->token_file().c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0600);
    CHECK(d.svc->token().size() == 64);
    CHECK(d.svc->token().find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(fs::path(d.svc->token_file()).parent_path() == fs::path(d.db).parent_path());
    // The same file gives the same token; a world-readable one is refused.
    auto again = service::load_or_create_token(d.svc->token_file());
    REQUIRE(again.ok());
    CHECK(again.value() == d.svc->token());
    const std::string other = d.dir + "/open-token";
    { std::ofstream(other) << std::string(64, 'b') << "\n"; }
    ::chmod(other.c_str(), 0644);
    auto refused = service::load_or_create_token(other);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("readable by other users") != std::string::npos);
}

TEST_CASE("foreign Host and Origin are refused; the plugin origin gets CORS", "[service.security]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    for (const std::string& host : std::vector<std::string>{"evil.example:" + std::to_string(port), "127.0.0.1:1", "localhost",
                                                             "attacker.127.0.0.1.nip.io"}) {
        auto hh = h;
        hh["Host"] = host;
        auto r = call(port, "GET", "/v1/findings", hh);
        INFO(host);
        CHECK(r.status == 421);
        CHECK(error_message(r).find("is not this service") != std::string::npos);
    }
    for (const std::string& host : std::vector<std::string>{"localhost:" + std::to_string(port), "[::1]:" + std::to_string(port)}) {
        auto hh = h;
        hh["Host"] = host;
        CHECK(call(port, "GET", "/v1/findings", hh).status == 200);
    }
    auto evil = h;
    evil["Origin"] = "https://evil.example";
    auto r = call(port, "GET", "/v1/findings", evil);
    CHECK(r.status == 403);
    CHECK_FALSE(r.head.has("Access-Control-Allow-Origin"));

    auto moz = h;
    moz["Origin"] = "moz-extension://1234-abcd";
    r = call(port, "GET", "/v1/findings", moz);
    CHECK(r.status == 200);
    CHECK(r.head.get("Access-Control-Allow-Origin", "") == "moz-extension://1234-abcd");

    auto self = h;
    self["Origin"] = "http://127.0.0.1:" + std::to_string(port);
    r = call(port, "GET", "/v1/accounts", self);
    CHECK(r.status == 200);
    CHECK(r.head.get("Access-Control-Allow-Origin", "") == self["Origin"]);

    auto pre = call(port, "OPTIONS", "/v1/compose/check", {{"Origin", "moz-extension://1234-abcd"}});
    CHECK(pre.status == 204);
    CHECK(pre.head.get("Access-Control-Allow-Headers", "").find("Authorization") != std::string::npos);
    CHECK(call(port, "OPTIONS", "/v1/compose/check", {{"Origin", "http://localhost:9999"}}).status == 403);
}

TEST_CASE("unknown paths, wrong methods and traversal", "[service.routing]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto r = call(port, "GET", "/v1/nope", h);
    CHECK(r.status == 404);
    CHECK(r.json()->getObject("error")->getValue<std::string>("code") == "not_found");
    CHECK(call(port, "GET", "/nope.html", h).status == 404);
    CHECK(call(port, "POST", "/v1/findings", h, "{}").status == 405);
    CHECK(call(port, "GET", "/v1/compose/check", h).status == 405);
    for (const char* p : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2Fservice.h", "/app.js/..%2f..%2fCMakeLists.txt",
                          "/..\\..\\etc\\passwd", "/static/%2e%2e/CMakeLists.txt"}) {
        INFO(p);
        auto t = call(port, "GET", p, h);
        CHECK((t.status == 400 || t.status == 404));
        CHECK(t.body.find("add_library") == std::string::npos);
        CHECK(t.body.find("root:") == std::string::npos);
    }
}

TEST_CASE("findings, filtered by kind, account and since", "[service.api]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto all = call(port, "GET", "/v1/findings", h);
    REQUIRE(all.status == 200);
    auto fa = all.json()->getArray("findings");
    REQUIRE(fa->size() > 20);
    std::map<std::string, int> kinds;
    for (size_t i = 0; i < fa->size(); ++i) ++kinds[fa->getObject(i)->getValue<std::string>("kind")];
    CHECK(kinds["all_in_copy"] > 0);
    CHECK(kinds["stalled_deal"] > 0);
    CHECK(kinds["awaiting_reply"] > 0);

    auto aic = call(port, "GET", "/v1/findings?kind=all_in_copy", h).json()->getArray("findings");
    CHECK(static_cast<int>(aic->size()) == kinds["all_in_copy"]);
    const std::string acc = aic->getObject(0)->getValue<std::string>("account");
    auto by_acc = call(port, "GET", "/v1/findings?account=" + acc, h).json()->getArray("findings");
    REQUIRE(by_acc->size() >= 1);
    for (size_t i = 0; i < by_acc->size(); ++i) CHECK(by_acc->getObject(i)->getValue<std::string>("account") == acc);

    auto recent = call(port, "GET", "/v1/findings?since=2026-11-01T00:00:00Z", h).json()->getArray("findings");
    CHECK(recent->size() < fa->size());
    for (size_t i = 0; i < recent->size(); ++i) CHECK(recent->getObject(i)->getValue<std::string>("last_activity") >= "2026-11-01");
    CHECK(call(port, "GET", "/v1/findings?since=2030-01-01T00:00:00Z", h).json()->getArray("findings")->size() == 0);

    auto bad = call(port, "GET", "/v1/findings?kind=bogus", h);
    CHECK(bad.status == 400);
    CHECK(error_message(bad).find("kind") != std::string::npos);
    auto bad_since = call(port, "GET", "/v1/findings?since=yesterday", h);
    CHECK(bad_since.status == 400);
    CHECK(error_message(bad_since).find("since") != std::string::npos);
}

TEST_CASE("accounts by risk with stakeholders; stakeholders; threads", "[service.api]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto acc = call(port, "GET", "/v1/accounts", h);
    REQUIRE(acc.status == 200);
    auto list = acc.json()->getArray("accounts");
    REQUIRE(list->size() >= 20);
    int prev = 101;
    bool any_stalled = false;
    for (size_t i = 0; i < list->size(); ++i) {
        auto a = list->getObject(i);
        int risk = a->getValue<int>("risk");
        CHECK(risk <= prev);
        prev = risk;
        if (!a->isNull("stalled")) {
            any_stalled = true;
            CHECK_FALSE(a->getObject("stalled")->getValue<std::string>("reason").empty());
        }
        CHECK_FALSE(a->getValue<std::string>("last_activity").empty());
    }
    CHECK(any_stalled);
    CHECK(list->getObject(0)->getArray("stakeholders")->size() > 0);

    const std::string first = list->getObject(0)->getValue<std::string>("account");
    auto sh = call(port, "GET", "/v1/stakeholders?account=" + first, h).json()->getArray("stakeholders");
    REQUIRE(sh->size() > 0);
    for (size_t i = 0; i < sh->size(); ++i) CHECK(sh->getObject(i)->getValue<std::string>("account") == first);
    CHECK(call(port, "GET", "/v1/stakeholders", h).json()->getArray("stakeholders")->size() > sh->size());

    auto th = call(port, "GET", "/v1/threads", h);
    REQUIRE(th.status == 200);
    auto tl = th.json()->getArray("threads");
    CHECK(th.json()->getValue<int>("total") == static_cast<int>(tl->size()));
    REQUIRE(tl->size() > 100);
    CHECK(call(port, "GET", "/v1/threads?limit=5&offset=3", h).json()->getArray("threads")->size() == 5);
    CHECK(call(port, "GET", "/v1/threads?limit=-1", h).status == 400);

    // The biggest thread, its id URL-encoded (ids hold '@', '$', '+' ...).
    std::string id;
    int most = 0;
    for (size_t i = 0; i < tl->size(); ++i)
        if (tl->getObject(i)->getValue<int>("messages") > most)
            most = tl->getObject(i)->getValue<int>("messages"), id = tl->getObject(i)->getValue<std::string>("id");
    std::string enc;
    Poco::URI::encode(id, "/?#%@+$&=;:", enc);
    auto one = call(port, "GET", "/v1/threads/" + enc, h);
    REQUIRE(one.status == 200);
    auto msgs = one.json()->getArray("messages");
    REQUIRE(static_cast<int>(msgs->size()) == most);
    auto m0 = msgs->getObject(0);
    CHECK(m0->has("new_text"));
    CHECK_FALSE(m0->has("quoted"));
    CHECK_FALSE(m0->getObject("from")->getValue<std::string>("address").empty());
    CHECK(call(port, "GET", "/v1/threads/no-such-thread%40x", h).status == 404);
}

TEST_CASE("compose check refuses bad bodies with the exact status", "[service.compose]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    const std::string ok = R"({"to":["a@example.com"],"body":"hi"})";
    CHECK(call(port, "POST", "/v1/compose/check", {}, ok).status == 401);
    CHECK(call(port, "POST", "/v1/compose/check", h, ok, "text/plain").status == 415);
    CHECK(call(port, "POST", "/v1/compose/check", h, ok, "application/x-www-form-urlencoded").status == 415);
    CHECK(call(port, "POST", "/v1/compose/check", h, ok, "application/json; charset=utf-8").status == 200);
    std::string huge = R"({"to":["a@example.com"],"body":")" + std::string(1100000, 'x') + "\"}";
    auto big = call(port, "POST", "/v1/compose/check", h, huge);
    CHECK(big.status == 413);

    auto bad = call(port, "POST", "/v1/compose/check", h, R"({"to": ["a@example.com"], "body": )");
    CHECK(bad.status == 400);
    CHECK(error_message(bad).find("not valid JSON") != std::string::npos);
    auto arr = call(port, "POST", "/v1/compose/check", h, "[1,2]");
    CHECK(arr.status == 400);
    CHECK(error_message(arr).find("JSON object") != std::string::npos);
    auto type = call(port, "POST", "/v1/compose/check", h, R"({"to":"a@example.com"})");
    CHECK(type.status == 400);
    CHECK(error_message(type).find("'to'") != std::string::npos);
    auto unknown = call(port, "POST", "/v1/compose/check", h, R"({"to":["a@example.com"],"bodyy":"x"})");
    CHECK(unknown.status == 400);
    CHECK(error_message(unknown).find("'bodyy'") != std::string::npos);
    auto nul = call(port, "POST", "/v1/compose/check", h, R"({"to":["a@example.com"],"body":"a\u0000b"})");
    CHECK(nul.status == 400);
    CHECK(error_message(nul).find("NUL") != std::string::npos);
    auto lang = call(port, "POST", "/v1/compose/check", h, R"({"to":["a@example.com"],"lang":"de"})");
    CHECK(lang.status == 400);
    CHECK(error_message(lang).find("'lang'") != std::string::npos);
    auto norcpt = call(port, "POST", "/v1/compose/check", h, R"({"body":"x"})");
    CHECK(norcpt.status == 400);
}

namespace {
Poco::JSON::Array::Ptr check_draft(const std::string& draft) {
    auto& d = dev();
    auto r = call(d.svc->port(), "POST", "/v1/compose/check", auth(d.svc->token()), draft);
    REQUIRE(r.status == 200);
    return r.json()->getArray("suggestions");
}
bool has_code(const Poco::JSON::Array::Ptr& a, const std::string& code) {
    for (size_t i = 0; i < a->size(); ++i)
        if (a->getObject(i)->getValue<std::string>("code") == code) return true;
    return false;
}
std::string json_list(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ",\"" : "\"") + v[i] + "\"";
    return s + "]";
}
}  // namespace

TEST_CASE("compose check: an all-in-copy thread's group gets named direct contacts", "[service.compose]") {
    auto& d = dev();
    auto snap = d.svc->cache().get();
    REQUIRE_FALSE(snap->result.all_in_copy.empty());
    const auto& f = snap->result.all_in_copy.front();
    REQUIRE(f.recipients.size() >= 4);
    const std::string draft = R"({"from":"isabelle.charpentier@ardentis.fr","to":)" + json_list(f.recipients) +
                              R"(,"subject":"Re: licences","in_reply_to":")" + f.group_messages.back() +
                              R"(","body":"Hello all, where are we on this?","lang":"en"})";
    auto t0 = std::chrono::steady_clock::now();
    auto sug = check_draft(draft);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    CHECK(ms < 200);  // network round trip included; the check itself is microseconds
    REQUIRE(has_code(sug, "all_in_copy"));
    Object::Ptr aic;
    for (size_t i = 0; i < sug->size(); ++i)
        if (sug->getObject(i)->getValue<std::string>("code") == "all_in_copy") aic = sug->getObject(i);
    const std::string msg = aic->getValue<std::string>("message");
    int named = 0;
    for (const auto& t : f.topics)
        if (!t.address.empty()) {
            INFO(t.topic << " " << t.address);
            CHECK(msg.find(t.address) != std::string::npos);
            ++named;
        }
    CHECK(named >= 1);
    auto alts = aic->getArray("alternatives");
    CHECK(alts->size() >= static_cast<size_t>(named) + 1);
    CHECK(alts->getObject(0)->getArray("to")->size() == 1);

    // The same draft in French, and as a recap: no all_in_copy for a recap.
    std::string fr = draft;
    fr.replace(fr.find("\"lang\":\"en\""), 11, "\"lang\":\"fr\"");
    auto sfr = check_draft(fr);
    for (size_t i = 0; i < sfr->size(); ++i)
        if (sfr->getObject(i)->getValue<std::string>("code") == "all_in_copy")
            CHECK(sfr->getObject(i)->getValue<std::string>("message").find("personnes de") != std::string::npos);
    std::string recap = draft;
    recap.replace(recap.find("Re: licences"), 12, "Weekly recap");
    CHECK_FALSE(has_code(check_draft(recap), "all_in_copy"));
}

TEST_CASE("compose check: a normal one-to-one reply gets no suggestion", "[service.compose]") {
    auto& d = dev();
    auto snap = d.svc->cache().get();
    // A thread whose last message is an external person's mail to the owner alone.
    const Message* last = nullptr;
    for (size_t ti = 0; ti < snap->threads.size() && !last; ++ti) {
        const auto& t = snap->threads[ti];
        const auto& info = snap->thread_info[ti];
        if (info.group || snap->insists_by_thread.count(t.id)) continue;
        const Message& m = snap->messages[t.members.back()];
        if (m.automated || m.message_id.empty() || snap->identity.account_of(m.from.address).empty()) continue;
        if (m.to.size() != 1 || !m.cc.empty() || !snap->identity.is_owner(m.to[0].address)) continue;
        last = &m;
    }
    REQUIRE(last != nullptr);
    const std::string draft = R"({"from":"isabelle.charpentier@ardentis.fr","to":[")" + last->from.address +
                              R"("],"subject":"Re: )" + "thanks" + R"(","in_reply_to":")" + last->message_id +
                              R"(","body":"Thank you, that works for me.","lang":"en"})";
    auto sug = check_draft(draft);
    INFO(last->message_id);
    CHECK(sug->size() == 0);

    // The same one-to-one mail talking budget is a sensitive topic to document in the recap.
    std::string budget = draft;
    budget.replace(budget.find("Thank you, that works for me."), 29, "About the budget and the price of the licences.");
    CHECK(has_code(check_draft(budget), "sensitive_topic_direct"));
}

TEST_CASE("compose check: many internal colleagues on a client mail", "[service.compose]") {
    auto sug = check_draft(R"({"from":"isabelle.charpentier@ardentis.fr","to":["someone@peregrine-aviation.com"],)"
                           R"("cc":["vincent.poirier@ardentis.fr","hugo.colin@ardentis.fr","frederic.brunet@ardentis.fr"],)"
                           R"("body":"Hello","lang":"fr"})");
    REQUIRE(has_code(sug, "many_internal_contacts"));
    CHECK(sug->getObject(0)->getValue<std::string>("message").find("collègues") != std::string::npos);
}

TEST_CASE("the dashboard: token in the URL becomes an HttpOnly cookie", "[service.dashboard]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto bad = call(port, "GET", "/?token=" + std::string(64, 'c'));
    CHECK(bad.status == 403);
    auto r = call(port, "GET", "/?token=" + d.svc->token());
    REQUIRE(r.status == 302);
    CHECK(r.head.get("Location") == "/");
    const std::string cookie = r.head.get("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    const std::string kv = cookie.substr(0, cookie.find(';'));
    auto page = call(port, "GET", "/", {{"Cookie", kv}});
    REQUIRE(page.status == 200);
    CHECK(page.head.getContentType().find("text/html") != std::string::npos);
    CHECK(page.body.find("app.js") != std::string::npos);
    CHECK(page.body.find("http://") == std::string::npos);  // no external resources
    CHECK(call(port, "GET", "/app.js", {{"Cookie", kv}}).status == 200);
    CHECK(call(port, "GET", "/style.css", {{"Cookie", kv}}).status == 200);
    CHECK(call(port, "GET", "/v1/accounts", {{"Cookie", kv}}).status == 200);
    CHECK(call(port, "GET", "/v1/accounts", {{"Cookie", "ilc_token=" + std::string(64, 'd')}}).status == 403);
    // Every request is logged, the token never.
    std::ifstream log(d.svc->log_file());
    std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    CHECK(all.find("GET /v1/accounts 200") != std::string::npos);
    CHECK(all.find(d.svc->token()) == std::string::npos);
}

TEST_CASE("reads keep working while an ingest runs in another process", "[service.concurrency]") {
    const std::string dir = make_temp_dir();
    const std::string db = dir + "/busy.db";
    ingest_dev(db);
    auto s = service::Service::start(dev_options(db));
    REQUIRE(s.ok());
    auto& svc = *s.value();
    const int port = svc.port();
    const int before = call(port, "GET", "/v1/health").json()->getValue<int>("messages");

    std::atomic<bool> done{false};
    std::atomic<int> ingest_rc{-1};
    const std::string e = std::string(ILC_CORPORA) + "/enron-mbox/";
    std::thread ingest([&] {
        std::string cmd = std::string(ILC_BIN) + " ingest " + e + "enron.allen-p.inbox " + e + "enron.allen-p.sent " + e +
                          "enron.giron-d.inbox --db " + db + " > " + dir + "/ingest.log 2>&1";
        ingest_rc = std::system(cmd.c_str());
        done = true;
    });
    std::atomic<int> ok{0}, errors{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c)
        clients.emplace_back([&] {
            while (!done) {
                try {
                    auto r = call(port, "GET", "/v1/findings", auth(svc.token()));
                    if (r.status == 200 && r.json()->getArray("findings")->size() > 0) ++ok;
                    else ++errors;
                } catch (...) {
                    ++errors;
                }
            }
        });
    ingest.join();
    for (auto& t : clients) t.join();
    CHECK(ingest_rc == 0);
    CHECK(errors == 0);
    CHECK(ok > 4);
    // The watcher notices the new data within a few seconds and serves it.
    int after = before;
    for (int i = 0; i < 60 && after == before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        after = call(port, "GET", "/v1/health").json()->getValue<int>("messages");
    }
    CHECK(after > before);
    CHECK(svc.cache().last_error().empty());
    s.value().reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("interlocutor serve prints its URL and stops cleanly on SIGTERM", "[service.cli]") {
    auto& d = dev();
    const std::string tok = d.dir + "/cli-token";
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(ILC_BIN, ILC_BIN, "serve", "--db", d.db.c_str(), "--port", "0", "--token-file", tok.c_str(), "--open",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    std::string text;
    char buf[512];
    while (text.find("Press Ctrl-C") == std::string::npos) {
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    INFO(text);
    auto at = text.find("http://127.0.0.1:");
    REQUIRE(at != std::string::npos);
    const int port = std::stoi(text.substr(at + 17));
    CHECK(call(port, "GET", "/v1/health").status == 200);
    CHECK(text.find("?token=") != std::string::npos);
    auto t = service::load_or_create_token(tok);
    REQUIRE(t.ok());
    CHECK(call(port, "GET", "/v1/findings", auth(t.value())).status == 200);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    close(out[0]);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
