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

// The snapshot's messages, read back from its store (the snapshot keeps only their ids and dates):
// Thread::members index into this vector.
std::vector<Message> snapshot_messages(const service::Snapshot& s) {
    auto msgs = s.load_messages();
    if (!msgs) FAIL(msgs.error().to_string());
    REQUIRE(msgs.value().size() == s.messages.size());
    return std::move(msgs.value());
}

// A second copy of the dev store with no server on it: one `serve` per store is the rule, so the
// tests that start their own servers (the binary, a second Service) use this one, one at a time.
struct DevStore {
    std::string dir, db;
    DevStore() {
        dir = make_temp_dir();
        db = dir + "/dev.db";
        ingest_dev(db);
    }
    ~DevStore() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};
DevStore& spare() {
    static DevStore s;
    return s;
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
    const auto messages = snapshot_messages(*snap);
    // A thread whose last message is an external person's mail to the owner alone.
    const Message* last = nullptr;
    for (size_t ti = 0; ti < snap->threads.size() && !last; ++ti) {
        const auto& info = snap->thread_info[ti];
        if (info.group || snap->insists_by_thread.count(std::string(snap->threads.id(ti)))) continue;
        const Message& m = messages[snap->threads.members(ti).back()];
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
        execl(ILC_BIN, ILC_BIN, "serve", "--db", spare().db.c_str(), "--port", "0", "--token-file", tok.c_str(), "--open",
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

// ---------------------------------------------------------------------------------------------
// The real binary as a ServerApplication, the plugin endpoints, the digest download, the ingest
// trigger, and the compose suggestions on threads that `interlocutor analyze` reports.

namespace {

// `interlocutor serve` started as a child process; its announced port is parsed from stdout.
struct ServeProcess {
    pid_t pid = -1;
    int port = 0;
    std::string out;
    int out_fd = -1;

    // Returns false (with out holding what was printed) when the server exited instead of listening.
    bool start(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
        int p[2];
        REQUIRE(pipe(p) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dup2(p[1], 1);
            dup2(p[1], 2);
            close(p[0]);
            for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
            std::vector<char*> argv{const_cast<char*>(ILC_BIN), const_cast<char*>("serve")};
            for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            execv(ILC_BIN, argv.data());
            _exit(127);
        }
        close(p[1]);
        out_fd = p[0];
        char buf[512];
        while (out.find("Press Ctrl-C") == std::string::npos) {
            ssize_t n = read(out_fd, buf, sizeof buf);
            if (n <= 0) return false;
            out.append(buf, static_cast<size_t>(n));
        }
        auto at = out.find("http://127.0.0.1:");
        if (at == std::string::npos) return false;
        port = std::stoi(out.substr(at + 17));
        return true;
    }
    // Sends sig and returns the exit status (-1 when it did not exit normally within 20 s).
    int stop(int sig = SIGTERM) {
        if (pid <= 0) return -1;
        kill(pid, sig);
        int status = 0;
        for (int i = 0; i < 200; ++i) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                char buf[512];
                ssize_t n;
                while ((n = read(out_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
                close(out_fd);
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        pid = -1;
        close(out_fd);
        return -1;
    }
    // Exit status of a server that was expected to exit by itself.
    int wait_exit() {
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
        char buf[512];
        ssize_t n;
        while ((n = read(out_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        close(out_fd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    ~ServeProcess() {
        if (pid > 0) stop(SIGKILL);
    }
};

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    REQUIRE(pclose(f) == 0);
    return out;
}

// `interlocutor analyze --format json` on the dev store with the dev settings: the findings the
// compose-check tests pick their threads from.
Object::Ptr analyze_dev() {
    static std::string json;
    if (json.empty())
        json = run_capture(std::string(ILC_BIN) + " analyze --db " + dev().db +
                           " --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " + kDev +
                           "/holidays.txt --manager marc.moreau@ardentis.fr --format json");
    Poco::JSON::Parser p;
    return p.parse(json).extract<Object::Ptr>();
}

std::vector<Object::Ptr> findings_of(const std::string& kind) {
    std::vector<Object::Ptr> out;
    auto all = analyze_dev()->getArray("findings");
    for (size_t i = 0; i < all->size(); ++i)
        if (all->getObject(i)->getValue<std::string>("kind") == kind) out.push_back(all->getObject(i));
    return out;
}

std::vector<std::string> strings(const Poco::JSON::Array::Ptr& a) {
    std::vector<std::string> v;
    for (size_t i = 0; a && i < a->size(); ++i) v.push_back(a->getElement<std::string>(i));
    return v;
}

std::string url_encode(const std::string& s) {
    std::string enc;
    Poco::URI::encode(s, "/?#%@+$&=;:<> ", enc);
    return enc;
}

Object::Ptr suggestion(const Poco::JSON::Array::Ptr& a, const std::string& code) {
    for (size_t i = 0; i < a->size(); ++i)
        if (a->getObject(i)->getValue<std::string>("code") == code) return a->getObject(i);
    return nullptr;
}

// The recipients of a stored message, as a draft replying to it would keep them (To + Cc).
std::vector<std::string> recipients_of(const service::Snapshot& s, const std::string& message_id) {
    std::vector<std::string> out;
    const long ti = s.thread_of(message_id);
    REQUIRE(ti >= 0);
    const auto messages = snapshot_messages(s);
    for (size_t idx : s.threads.members(static_cast<size_t>(ti))) {
        const Message& m = messages[idx];
        if (m.message_id != message_id) continue;
        for (const auto* l : {&m.to, &m.cc})
            for (const auto& mb : *l) out.push_back(mb.address);
    }
    return out;
}

}  // namespace

TEST_CASE("compose check: over_chasing on threads analyze reports as chased", "[service.compose][issues.5]") {
    auto& d = dev();
    auto snap = d.svc->cache().get();
    int chased = 0, first = 0;
    for (const auto& f : findings_of("awaiting_reply")) {
        const std::string mid = f->getValue<std::string>("message_id");
        const int unanswered = f->getValue<int>("unanswered_count");
        const std::string draft = R"({"from":"isabelle.charpentier@ardentis.fr","to":)" + json_list(recipients_of(*snap, mid)) +
                                  R"(,"subject":"Re: relance","in_reply_to":"<)" + mid + R"(>","body":"Any news?","lang":"en"})";
        auto sug = check_draft(draft);
        INFO(mid << " unanswered_count=" << unanswered);
        // Sending one more makes unanswered_count + 1 unanswered messages: the third or later is over-chasing.
        if (unanswered + 1 >= 3) {
            auto s = suggestion(sug, "over_chasing");
            REQUIRE(s);
            CHECK(s->getValue<std::string>("message").find("#" + std::to_string(unanswered + 1)) != std::string::npos);
            ++chased;
        } else {
            CHECK_FALSE(suggestion(sug, "over_chasing"));
            ++first;
        }
    }
    // The dev corpus has both kinds; a test that saw none of one kind would prove nothing.
    CHECK(chased >= 1);
    CHECK(first >= 1);
}

TEST_CASE("compose check: recap_due on all-in-copy group threads without a recent recap", "[service.compose][issues.5]") {
    auto& d = dev();
    auto snap = d.svc->cache().get();
    int due = 0;
    for (const auto& f : findings_of("all_in_copy")) {
        const std::string tid = f->getValue<std::string>("thread_id");
        const long ti = snap->threads.find(tid);
        REQUIRE(ti >= 0);
        const auto& info = snap->thread_info[static_cast<size_t>(ti)];
        const auto group = strings(f->getArray("recipients"));
        const auto gm = strings(f->getArray("group_messages"));
        REQUIRE_FALSE(gm.empty());
        const std::string draft = R"({"from":"isabelle.charpentier@ardentis.fr","to":)" + json_list(group) +
                                  R"(,"subject":"Re: point","in_reply_to":")" + gm.back() + R"(","body":"Hello all.","lang":"fr"})";
        auto sug = check_draft(draft);
        const bool stale = snap->now - info.last_recap > 7 * 86400;
        INFO(tid << " last_recap=" << info.last_recap);
        CHECK(static_cast<bool>(suggestion(sug, "recap_due")) == stale);
        if (stale) {
            ++due;
            CHECK(suggestion(sug, "recap_due")->getValue<std::string>("message").find("récapitulatif") != std::string::npos);
            // Writing the recap itself answers the suggestion.
            std::string recap = draft;
            recap.replace(recap.find("Re: point"), 9, "Récapitulatif hebdomadaire");
            CHECK_FALSE(suggestion(check_draft(recap), "recap_due"));
        }
    }
    CHECK(due >= 1);
    // A one-to-one thread is no group: never recap_due.
    const auto mine = findings_of("awaiting_my_reply");
    REQUIRE_FALSE(mine.empty());
    for (const auto& f : mine) {
        const std::string mid = f->getValue<std::string>("message_id");
        const long ti = snap->thread_of(mid);
        REQUIRE(ti >= 0);
        if (snap->thread_info[static_cast<size_t>(ti)].group) continue;
        const std::string draft = R"({"to":[")" + f->getValue<std::string>("from") + R"("],"in_reply_to":")" + mid +
                                  R"(","body":"Thanks","lang":"en"})";
        CHECK_FALSE(suggestion(check_draft(draft), "recap_due"));
    }
}

TEST_CASE("compose check: insists_on_cc_dropped names the person analyze flagged", "[service.compose][issues.5]") {
    auto& d = dev();
    auto snap = d.svc->cache().get();
    const auto messages = snapshot_messages(*snap);
    const auto flagged = findings_of("insists_on_cc");
    REQUIRE_FALSE(flagged.empty());
    for (const auto& f : flagged) {
        const std::string who = f->getValue<std::string>("address");
        const std::string tid = f->getValue<std::string>("thread_id");
        const long ti = snap->threads.find(tid);
        REQUIRE(ti >= 0);
        const std::string last = messages[snap->threads.members(static_cast<size_t>(ti)).back()].message_id;
        if (last.empty()) continue;
        std::vector<std::string> without, with;
        for (const auto& a : recipients_of(*snap, last)) {
            std::string la = a;
            for (auto& c : la) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (la != who && !snap->identity.is_owner(la)) without.push_back(a);
        }
        const std::string sender = messages[snap->threads.members(static_cast<size_t>(ti)).back()].from.address;
        if (!snap->identity.is_owner(sender) && sender != who) without.push_back(sender);
        if (without.empty()) without.push_back("someone@" + f->getValue<std::string>("account"));
        with = without;
        with.push_back(who);
        INFO(tid << " " << who);
        const std::string base = R"({"from":"isabelle.charpentier@ardentis.fr","subject":"Re: suite","in_reply_to":")" + last +
                                 R"(","body":"Voici la suite.","lang":"fr","to":)";
        auto sug = check_draft(base + json_list(without) + "}");
        bool named = false;
        for (size_t i = 0; i < sug->size(); ++i) {
            auto s = sug->getObject(i);
            if (s->getValue<std::string>("code") == "insists_on_cc_dropped" && s->getValue<std::string>("message").find(who) != std::string::npos) {
                named = true;
                CHECK(strings(s->getArray("alternatives")->getObject(0)->getArray("to")) == std::vector<std::string>{who});
            }
        }
        CHECK(named);
        // Keeping the person in Cc (not only To) satisfies them.
        auto kept = check_draft(base + json_list(without) + R"(,"cc":[")" + who + R"("]})");
        for (size_t i = 0; i < kept->size(); ++i)
            if (kept->getObject(i)->getValue<std::string>("code") == "insists_on_cc_dropped")
                CHECK(kept->getObject(i)->getValue<std::string>("message").find(who) == std::string::npos);
    }
}

TEST_CASE("GET /v1/message answers the plugin contract from analyze's findings", "[service.plugin][issues.5]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto snap = d.svc->cache().get();
    const auto awaiting = findings_of("awaiting_reply");
    REQUIRE_FALSE(awaiting.empty());
    for (const auto& f : awaiting) {
        const std::string mid = f->getValue<std::string>("message_id");
        // With angle brackets, URL-encoded, as a mail client holds the header.
        auto r = call(port, "GET", "/v1/message?message_id=" + url_encode("<" + mid + ">"), h);
        REQUIRE(r.status == 200);
        auto j = r.json();
        CHECK(j->getValue<std::string>("message_id") == mid);
        CHECK(j->getValue<std::string>("thread_id") == f->getValue<std::string>("thread_id"));
        REQUIRE_FALSE(j->isNull("awaiting"));
        auto a = j->getObject("awaiting");
        CHECK(a->getValue<std::string>("kind") == "awaiting_their_reply");
        CHECK(a->getValue<int>("business_days") == f->getValue<int>("waiting_business_days"));
        CHECK(a->getValue<int>("chasers") == f->getValue<int>("unanswered_count") - 1);
        CHECK(a->getValue<std::string>("since").size() == 20);
        CHECK_FALSE(j->getValue<std::string>("subject").empty());
    }
    for (const auto& f : findings_of("awaiting_my_reply")) {
        auto r = call(port, "GET", "/v1/message?message_id=" + url_encode(f->getValue<std::string>("message_id")), h);
        REQUIRE(r.status == 200);
        CHECK(r.json()->getObject("awaiting")->getValue<std::string>("kind") == "awaiting_our_reply");
    }
    // A stalled account's thread carries the stall and the account's stakeholders.
    const auto stalled = findings_of("stalled_deal");
    REQUIRE_FALSE(stalled.empty());
    int seen = 0;
    for (const auto& f : stalled) {
        const std::string acc = f->getValue<std::string>("account");
        const std::string ev = strings(f->getArray("evidence")).empty() ? "" : strings(f->getArray("evidence")).front();
        if (ev.empty()) continue;
        auto r = call(port, "GET", "/v1/message?message_id=" + url_encode(ev), h);
        REQUIRE(r.status == 200);
        auto j = r.json();
        if (j->isNull("account") || j->getValue<std::string>("account") != acc) continue;
        ++seen;
        REQUIRE_FALSE(j->isNull("stall"));
        const double risk = j->getObject("stall")->getValue<double>("risk");
        CHECK(risk >= 0.0);
        CHECK(risk <= 1.0);
        CHECK(j->getObject("stall")->getValue<std::string>("reason") == snap->stalled_by_account.at(acc)->reason);
        CHECK_FALSE(j->getObject("stall")->getValue<std::string>("suggested_action").empty());
        auto sh = j->getArray("stakeholders");
        CHECK(sh->size() == snap->stakeholders_by_account.at(acc).size());
        int primary = 0;
        for (size_t i = 0; i < sh->size(); ++i) primary += sh->getObject(i)->getValue<bool>("primary");
        CHECK(primary <= 1);
    }
    CHECK(seen >= 1);
    CHECK(call(port, "GET", "/v1/message?message_id=" + url_encode("<nobody@nowhere.invalid>"), h).status == 404);
    CHECK(call(port, "GET", "/v1/message", h).status == 400);
    CHECK(call(port, "GET", "/v1/message?message_id=x").status == 401);
    CHECK(call(port, "POST", "/v1/message?message_id=x", h, "{}").status == 405);
}

TEST_CASE("POST /v1/sent: the next check on the thread counts the reported chaser", "[service.plugin][issues.5]") {
    // Its own service: the reported mail stays in memory and must not leak into other tests.
    auto s = service::Service::start(dev_options(spare().db));
    REQUIRE(s.ok());
    auto& svc = *s.value();
    const int port = svc.port();
    auto h = auth(svc.token());
    auto snap = svc.cache().get();
    // A thread analyze reports with exactly one unanswered message: a second one is still fine,
    // a third (after a chaser reported as sent) is over-chasing.
    Object::Ptr f;
    for (const auto& x : findings_of("awaiting_reply"))
        if (x->getValue<int>("unanswered_count") == 1) f = x;
    REQUIRE(f);
    const std::string mid = f->getValue<std::string>("message_id");
    const auto to = recipients_of(*snap, mid);
    const std::string draft = R"({"from":"isabelle.charpentier@ardentis.fr","to":)" + json_list(to) +
                              R"(,"in_reply_to":"<)" + mid + R"(>","body":"Any news?","lang":"en"})";
    auto check = [&](const std::string& body) {
        auto r = call(port, "POST", "/v1/compose/check", h, body);
        REQUIRE(r.status == 200);
        return r.json()->getArray("suggestions");
    };
    CHECK_FALSE(suggestion(check(draft), "over_chasing"));

    const std::string sent = R"({"message_id":"<chaser-1@ardentis.fr>","in_reply_to":"<)" + mid + R"(>","references":["<)" + mid +
                             R"(>"],"from":"Isabelle Charpentier <Isabelle.Charpentier@ardentis.fr>","to":)" + json_list(to) +
                             R"(,"cc":[],"subject":"Re: relance","date":"2026-11-12T09:00:00+01:00"})";
    auto r = call(port, "POST", "/v1/sent", h, sent);
    REQUIRE(r.status == 202);
    CHECK(r.json()->getValue<bool>("recorded"));
    auto after = suggestion(check(draft), "over_chasing");
    REQUIRE(after);
    CHECK(after->getValue<std::string>("message").find("#3") != std::string::npos);
    // A draft answering the reported chaser itself (not stored anywhere yet) finds the thread too.
    std::string on_chaser = draft;
    on_chaser.replace(on_chaser.find("<" + mid + ">"), mid.size() + 2, "chaser-1@ardentis.fr");
    CHECK(suggestion(check(on_chaser), "over_chasing"));
    // Reporting the same message twice counts it once.
    REQUIRE(call(port, "POST", "/v1/sent", h, sent).status == 202);
    CHECK(suggestion(check(draft), "over_chasing")->getValue<std::string>("message").find("#3") != std::string::npos);

    // Refusals, each with the exact status and the field named.
    CHECK(call(port, "POST", "/v1/sent", {}, sent).status == 401);
    CHECK(call(port, "POST", "/v1/sent", h, sent, "text/plain").status == 415);
    auto nomid = call(port, "POST", "/v1/sent", h, R"({"from":"a@b.c"})");
    CHECK(nomid.status == 400);
    CHECK(error_message(nomid).find("'message_id'") != std::string::npos);
    auto baddate = call(port, "POST", "/v1/sent", h, R"({"message_id":"x@y","date":"yesterday"})");
    CHECK(baddate.status == 400);
    CHECK(error_message(baddate).find("'date'") != std::string::npos);
    auto extra = call(port, "POST", "/v1/sent", h, R"({"message_id":"x@y","bcc_all":true})");
    CHECK(extra.status == 400);
    CHECK(error_message(extra).find("'bcc_all'") != std::string::npos);
    CHECK(call(port, "POST", "/v1/sent", h, R"({"message_id":"x@y","to":"a@b.c"})").status == 400);
    CHECK(call(port, "POST", "/v1/sent", h, "{\"message_id\":").status == 400);
    CHECK(call(port, "GET", "/v1/sent", h).status == 405);
}

TEST_CASE("GET /v1/digest downloads the weekly recap the digest command writes", "[service.digest][issues.5]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    const auto aic = findings_of("all_in_copy");
    REQUIRE_FALSE(aic.empty());
    const std::string acc = aic.front()->getValue<std::string>("account");
    auto r = call(port, "GET", "/v1/digest?account=" + acc + "&week=2026-W46&lang=fr", h);
    REQUIRE(r.status == 200);
    CHECK(r.head.getContentType() == "message/rfc822");
    CHECK(r.head.get("Content-Disposition").find("attachment; filename=\"" + acc + "-2026-W46.eml\"") == 0);
    CHECK(r.body.find("MIME-Version: 1.0") != std::string::npos);
    CHECK(r.body.find("multipart/alternative") != std::string::npos);
    // The same recap as `interlocutor digest` (Message-ID and Date aside): compare the Subject.
    const std::string eml = d.dir + "/cli-digest.eml";
    REQUIRE(std::system((std::string(ILC_BIN) + " digest --db " + d.db + " --account " + acc +
                         " --week 2026-W46 --lang fr --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " + kDev +
                         "/holidays.txt --manager marc.moreau@ardentis.fr --out " + eml + " 2>/dev/null")
                            .c_str()) == 0);
    auto subject = [](const std::string& m) {
        auto a = m.find("\r\nSubject: ");
        if (a == std::string::npos) return std::string();
        auto b = m.find("\r\n", a + 2);
        while (b != std::string::npos && b + 2 < m.size() && (m[b + 2] == ' ' || m[b + 2] == '\t')) b = m.find("\r\n", b + 2);
        return m.substr(a, b - a);
    };
    CHECK_FALSE(subject(r.body).empty());
    CHECK(subject(r.body) == subject(read_text(eml)));

    auto team = call(port, "GET", "/v1/digest?team=1&week=2026-W46&lang=en", h);
    CHECK(team.status == 200);
    CHECK(team.head.getContentType() == "message/rfc822");
    CHECK(team.body.find("Subject: ") != std::string::npos);

    auto badweek = call(port, "GET", "/v1/digest?account=" + acc + "&week=2026-W99", h);
    CHECK(badweek.status == 400);
    CHECK(error_message(badweek).find("week") != std::string::npos);
    CHECK(call(port, "GET", "/v1/digest?account=" + acc + "&team=1", h).status == 400);
    CHECK(call(port, "GET", "/v1/digest?week=2026-W46", h).status == 400);
    CHECK(call(port, "GET", "/v1/digest?account=" + acc + "&lang=de", h).status == 400);
    CHECK(call(port, "GET", "/v1/digest?account=no-such-account.example&week=2026-W46", h).status == 404);
    CHECK(call(port, "GET", "/v1/digest?account=" + acc).status == 401);
}

TEST_CASE("serve as a ServerApplication: config file, log file, SIGINT and SIGTERM", "[service.cli][issues.5]") {
    const std::string dir = make_temp_dir();
    const std::string log = dir + "/service.log";
    {
        std::ofstream cfg(dir + "/serve.ini");
        cfg << "; the service's own settings\n[serve]\nport = 0\nlog_file = " << log << "\ntoken_file = " << dir << "/tok\n";
    }
    ServeProcess p;
    REQUIRE(p.start({"--db", spare().db, "--service-config", dir + "/serve.ini"}));
    INFO(p.out);
    CHECK(p.out.find("token file: " + dir + "/tok") != std::string::npos);
    auto t = service::load_or_create_token(dir + "/tok");
    REQUIRE(t.ok());
    CHECK(call(p.port, "GET", "/v1/accounts", auth(t.value())).status == 200);
    CHECK(p.stop(SIGINT) == 0);
    const std::string text = read_text(log);
    INFO(text);
    CHECK(text.find("started on http://127.0.0.1:" + std::to_string(p.port)) != std::string::npos);
    CHECK(text.find("GET /v1/accounts 200") != std::string::npos);
    CHECK(text.find("stopped") != std::string::npos);
    CHECK(text.find(t.value()) == std::string::npos);  // the token never reaches the log

    // SIGTERM, with the log in its default place next to the store.
    ServeProcess q;
    REQUIRE(q.start({"--db", spare().db, "--port", "0", "--token-file", dir + "/tok"}));
    CHECK(call(q.port, "GET", "/v1/health").status == 200);
    CHECK(q.stop(SIGTERM) == 0);
    CHECK(read_text(spare().dir + "/serve.log").find("stopped") != std::string::npos);

    // Bad configuration is a clear error and a non-zero exit, never a hang.
    {
        std::ofstream cfg(dir + "/bad.ini");
        cfg << "[serve]\nport = many\n";
    }
    ServeProcess bad;
    CHECK_FALSE(bad.start({"--db", spare().db, "--service-config", dir + "/bad.ini"}));
    CHECK(bad.wait_exit() != 0);
    CHECK(bad.out.find("interlocutor serve:") != std::string::npos);
    ServeProcess missing;
    CHECK_FALSE(missing.start({"--db", spare().db, "--port", "0", "--service-config", dir + "/none.ini"}));
    CHECK(missing.wait_exit() != 0);
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("the dashboard directory: --static-dir, then ILC_STATIC_DIR, then the compiled-in one", "[service.dashboard][issues.5]") {
    const std::string dir = make_temp_dir();
    fs::create_directories(dir + "/a");
    fs::create_directories(dir + "/b");
    {
        std::ofstream(dir + "/a/index.html") << "<!doctype html><title>from a</title>";
        std::ofstream(dir + "/b/index.html") << "<!doctype html><title>from b</title>";
    }
    const std::string tok = dir + "/tok";
    auto page = [&](ServeProcess& p) {
        auto t = service::load_or_create_token(tok);
        REQUIRE(t.ok());
        return call(p.port, "GET", "/", auth(t.value())).body;
    };
    {
        ServeProcess p;
        REQUIRE(p.start({"--db", spare().db, "--port", "0", "--token-file", tok, "--static-dir", dir + "/a"}, {{"ILC_STATIC_DIR", dir + "/b"}}));
        CHECK(page(p).find("from a") != std::string::npos);
        CHECK(p.stop() == 0);
    }
    {
        ServeProcess p;
        REQUIRE(p.start({"--db", spare().db, "--port", "0", "--token-file", tok}, {{"ILC_STATIC_DIR", dir + "/b"}}));
        CHECK(page(p).find("from b") != std::string::npos);
        CHECK(p.stop() == 0);
    }
    {
        ServeProcess p;  // the build tree: the compiled-in source directory
        REQUIRE(p.start({"--db", spare().db, "--port", "0", "--token-file", tok}));
        CHECK(page(p).find("manager dashboard") != std::string::npos);
        CHECK(p.stop() == 0);
    }
    ServeProcess wrong;
    CHECK_FALSE(wrong.start({"--db", spare().db, "--port", "0", "--token-file", tok, "--static-dir", dir + "/nothing"}));
    CHECK(wrong.wait_exit() != 0);
    CHECK(wrong.out.find("--static-dir") != std::string::npos);
    CHECK(service::resolve_static_dir(dir + "/a") == dir + "/a");
    CHECK(service::resolve_static_dir(dir + "/nothing").empty());
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("POST /v1/ingest reads the sources in the background; reads go on; one at a time", "[service.ingest][issues.5]") {
    const std::string dir = make_temp_dir();
    const std::string db = dir + "/ingest.db";
    ingest_dev(db);  // records the three dev mboxes as the store's sources
    const std::string e = std::string(ILC_CORPORA) + "/enron-mbox/";
    ServeProcess p;
    REQUIRE(p.start({"--db", db, "--port", "0", "--token-file", dir + "/tok", "--now", "2026-11-12T10:00:00+01:00", "--source",
                     e + "enron.allen-p.deleted_items", "--source", e + "enron.allen-p._sent_mail", "--source",
                     e + "enron.allen-p.sent"}));
    INFO(p.out);
    auto t = service::load_or_create_token(dir + "/tok");
    REQUIRE(t.ok());
    auto h = auth(t.value());
    const int before = call(p.port, "GET", "/v1/health").json()->getValue<int>("messages");
    CHECK(before == 568);
    auto idle = call(p.port, "GET", "/v1/ingest", h);
    REQUIRE(idle.status == 200);
    CHECK_FALSE(idle.json()->getValue<bool>("running"));
    CHECK(idle.json()->isNull("summary"));

    CHECK(call(p.port, "POST", "/v1/ingest", h, "", "text/plain").status == 415);
    CHECK(call(p.port, "POST", "/v1/ingest", h, R"({"now":true})").status == 400);
    CHECK(call(p.port, "POST", "/v1/ingest", {}, "").status == 401);
    auto started = call(p.port, "POST", "/v1/ingest", h, "");
    REQUIRE(started.status == 202);
    CHECK(started.json()->getValue<bool>("running"));
    auto srcs = strings(started.json()->getArray("sources"));
    CHECK(srcs.size() == 6);  // three configured + three recorded
    auto again = call(p.port, "POST", "/v1/ingest", h, "{}");
    CHECK(again.status == 409);
    // Reads keep working while it runs, and progress moves.
    int reads = 0, running_seen = 0;
    Object::Ptr last;
    for (int i = 0; i < 600; ++i) {
        CHECK(call(p.port, "GET", "/v1/findings?kind=stalled_deal", h).status == 200);
        ++reads;
        last = call(p.port, "GET", "/v1/ingest", h).json();
        if (!last->getValue<bool>("running")) break;
        ++running_seen;
        CHECK(last->getValue<long long>("bytes_done") <= last->getValue<long long>("bytes_total"));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(last);
    REQUIRE_FALSE(last->getValue<bool>("running"));
    INFO((last->isNull("error") ? std::string() : last->getValue<std::string>("error")));
    CHECK(last->isNull("error"));
    REQUIRE_FALSE(last->isNull("summary"));
    auto sum = last->getObject("summary");
    CHECK(sum->getValue<long long>("stored") > 500);
    CHECK(sum->getValue<long long>("total_messages") == before + sum->getValue<long long>("stored"));
    CHECK_FALSE(last->getValue<std::string>("finished_at").empty());
    CHECK(reads >= 1);
    // The snapshot reloads with the new messages.
    // (a reload may have caught a batch half-way: wait for the final count)
    const long long total = sum->getValue<long long>("total_messages");
    long long after = before;
    for (int i = 0; i < 120 && after != total; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        after = call(p.port, "GET", "/v1/health").json()->getValue<int>("messages");
    }
    CHECK(after == total);
    // A second run finds every source unchanged and stores nothing new.
    REQUIRE(call(p.port, "POST", "/v1/ingest", h, "").status == 202);
    for (int i = 0; i < 600; ++i) {
        last = call(p.port, "GET", "/v1/ingest", h).json();
        if (!last->getValue<bool>("running")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(last->getValue<int>("runs") == 2);
    CHECK(last->getObject("summary")->getValue<long long>("stored") == 0);
    CHECK(p.stop() == 0);
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("GET /v1/accounts/{account}: the account page's stall, stakeholders and weekly timeline", "[service.api][issues.5]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto snap = d.svc->cache().get();
    const auto stalled = findings_of("stalled_deal");
    REQUIRE_FALSE(stalled.empty());
    const std::string acc = stalled.front()->getValue<std::string>("account");
    auto r = call(port, "GET", "/v1/accounts/" + url_encode(acc), h);
    REQUIRE(r.status == 200);
    auto j = r.json();
    CHECK(j->getValue<int>("risk") == snap->stalled_by_account.at(acc)->risk);
    CHECK(j->getObject("stalled")->getValue<std::string>("reason") == stalled.front()->getValue<std::string>("reason"));
    CHECK(j->getArray("stakeholders")->size() == snap->stakeholders_by_account.at(acc).size());
    // The timeline counts every non-automated message from or to the account once.
    int expected = 0;
    for (const auto& m : snapshot_messages(*snap)) {
        if (m.automated || m.date <= 0) continue;
        bool hit = snap->identity.account_of(m.from.address) == acc;
        if (snap->identity.direction(m) == detect::Direction::outbound) {
            hit = false;
            for (const auto* l : {&m.to, &m.cc})
                for (const auto& mb : *l) hit = hit || snap->identity.account_of(mb.address) == acc;
        }
        expected += hit;
    }
    int total = 0;
    std::string prev;
    auto tl = j->getArray("timeline");
    for (size_t i = 0; i < tl->size(); ++i) {
        auto w = tl->getObject(i);
        total += w->getValue<int>("in") + w->getValue<int>("out");
        CHECK(w->getValue<std::string>("week") > prev);  // weeks ascending, each once
        prev = w->getValue<std::string>("week");
    }
    CHECK(expected > 0);
    CHECK(total == expected);
    CHECK(call(port, "GET", "/v1/accounts/no-such-account.example", h).status == 404);
    // A Service started without an ingest runner (a library user's) says so instead of pretending.
    auto none = call(port, "POST", "/v1/ingest", h, "");
    CHECK(none.status == 501);
    CHECK(error_message(none).find("no ingest runner") != std::string::npos);
    CHECK(call(port, "GET", "/v1/ingest", h).json()->getValue<bool>("running") == false);
    CHECK(call(port, "DELETE", "/v1/ingest", h).status == 405);
    for (const char* p : {"/v1/accounts/x", "/v1/message?message_id=x", "/v1/digest?team=1", "/v1/ingest"}) {
        INFO(p);
        CHECK(call(port, "GET", p).status == 401);
    }
}

TEST_CASE("one serve per store: a second one gets a clear error", "[service.cli][issues.5]") {
    auto& d = dev();  // served by the shared test server
    auto second = service::Service::start(dev_options(d.db));
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == ErrorCode::db_locked);
    CHECK(second.error().message.find("already serving") != std::string::npos);
    CHECK(second.error().message.find("(pid " + std::to_string(getpid()) + ")") != std::string::npos);
    ServeProcess p;
    CHECK_FALSE(p.start({"--db", d.db, "--port", "0", "--token-file", d.dir + "/tok2"}));
    CHECK(p.wait_exit() != 0);
    CHECK(p.out.find("another `interlocutor serve` is already serving") != std::string::npos);
    // The lock goes with the server: once stopped, the store can be served again.
    {
        auto a = service::Service::start(dev_options(spare().db));
        REQUIRE(a.ok());
    }
    auto b = service::Service::start(dev_options(spare().db));
    CHECK(b.ok());
}

TEST_CASE("the IPv6 loopback serves too, with the same checks", "[service.security][issues.5]") {
    auto& d = dev();
    // Containers without IPv6 have no ::1: the service then serves 127.0.0.1 alone (by design).
    const std::string if6 = read_text("/proc/net/if_inet6");
    if (if6.find("00000000000000000000000000000001") == std::string::npos) {
        WARN("no IPv6 loopback on this machine");
        return;
    }
    Poco::Net::HTTPClientSession cs("::1", static_cast<Poco::UInt16>(d.svc->port()));
    cs.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("GET", "/v1/accounts", Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Host", "[::1]:" + std::to_string(d.svc->port()));
    req.set("Authorization", "Bearer " + d.svc->token());
    cs.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(cs.receiveResponse(resp), body);
    CHECK(resp.getStatus() == 200);
    Poco::Net::HTTPClientSession cs2("::1", static_cast<Poco::UInt16>(d.svc->port()));
    Poco::Net::HTTPRequest bad("GET", "/v1/accounts", Poco::Net::HTTPMessage::HTTP_1_1);
    bad.setHost("evil.example", static_cast<Poco::UInt16>(d.svc->port()));
    bad.set("Authorization", "Bearer " + d.svc->token());
    cs2.sendRequest(bad);
    Poco::Net::HTTPResponse r2;
    Poco::StreamCopier::copyToString(cs2.receiveResponse(r2), body);
    CHECK(r2.getStatus() == 421);
}

TEST_CASE("findings carry their rep; /v1/reps; ?rep= on findings and accounts", "[service.api][issues.5]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto reps = call(port, "GET", "/v1/reps", h);
    REQUIRE(reps.status == 200);
    auto list = reps.json()->getArray("reps");
    std::vector<std::string> addresses;
    for (size_t i = 0; i < list->size(); ++i) addresses.push_back(list->getObject(i)->getValue<std::string>("address"));
    // The owner's two addresses are one person, under the first; the dev corpus's colleagues write too.
    CHECK(std::count(addresses.begin(), addresses.end(), "isabelle.charpentier@ardentis.fr") == 1);
    CHECK(std::count(addresses.begin(), addresses.end(), "icharpentier@ardentis.fr") == 0);
    for (const auto& a : addresses) CHECK(a.ends_with("@ardentis.fr"));

    auto all = call(port, "GET", "/v1/findings", h).json()->getArray("findings");
    REQUIRE(all->size() > 20);
    // Every thread finding's rep is the internal person who wrote last in the thread, as the
    // thread endpoint shows it (the owner's second address counts as the owner).
    int checked = 0;
    for (size_t i = 0; i < all->size(); ++i) {
        auto f = all->getObject(i);
        const std::string rep = f->getValue<std::string>("rep");
        CHECK(std::find(addresses.begin(), addresses.end(), rep) != addresses.end());
        if (!f->has("thread_id") || checked >= 15) continue;
        auto th = call(port, "GET", "/v1/threads/" + url_encode(f->getValue<std::string>("thread_id")), h);
        REQUIRE(th.status == 200);
        auto msgs = th.json()->getArray("messages");
        std::string last, last_date;
        for (size_t k = 0; k < msgs->size(); ++k) {
            auto m = msgs->getObject(k);
            std::string from = m->getObject("from")->getValue<std::string>("address");
            if (m->getValue<bool>("automated") || !from.ends_with("@ardentis.fr")) continue;
            if (m->getValue<std::string>("date") >= last_date) last_date = m->getValue<std::string>("date"), last = from;
        }
        if (last.empty() || last == "icharpentier@ardentis.fr") last = "isabelle.charpentier@ardentis.fr";
        CHECK(rep == last);
        ++checked;
    }
    CHECK(checked >= 10);

    // The reps split the findings: each rep's filtered list, together, is the whole list.
    size_t total = 0;
    for (const auto& r : addresses) {
        auto mine = call(port, "GET", "/v1/findings?rep=" + url_encode(r), h).json()->getArray("findings");
        for (size_t i = 0; i < mine->size(); ++i) CHECK(mine->getObject(i)->getValue<std::string>("rep") == r);
        total += mine->size();
        auto accs = call(port, "GET", "/v1/accounts?rep=" + url_encode(r), h).json()->getArray("accounts");
        for (size_t i = 0; i < accs->size(); ++i) CHECK(accs->getObject(i)->getValue<std::string>("rep") == r);
    }
    CHECK(total == all->size());
    CHECK(call(port, "GET", "/v1/findings?rep=nobody%40example.com", h).json()->getArray("findings")->size() == 0);
    // Upper case is the same address.
    auto upper = call(port, "GET", "/v1/findings?rep=ISABELLE.CHARPENTIER%40ARDENTIS.FR", h).json()->getArray("findings");
    CHECK(upper->size() > 0);
}

TEST_CASE("?lang=fr|en rewrites the suggestion texts as analyze --lang writes them", "[service.api][issues.5]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    const std::string base = std::string(ILC_BIN) + " analyze --db " + dev().db +
                             " --now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays " + kDev +
                             "/holidays.txt --manager marc.moreau@ardentis.fr --format json --lang ";
    for (const std::string lang : {"fr", "en"}) {
        Poco::JSON::Parser p;
        auto want = p.parse(run_capture(base + lang)).extract<Object::Ptr>()->getArray("findings");
        auto got = call(port, "GET", "/v1/findings?lang=" + lang, h);
        REQUIRE(got.status == 200);
        CHECK(got.json()->getValue<std::string>("lang") == lang);
        auto gf = got.json()->getArray("findings");
        REQUIRE(gf->size() == want->size());
        for (size_t i = 0; i < gf->size(); ++i) {
            auto w = want->getObject(i), g = gf->getObject(i);
            CHECK(g->getValue<std::string>("kind") == w->getValue<std::string>("kind"));
            if (w->has("suggestion")) CHECK(g->getValue<std::string>("suggestion") == w->getValue<std::string>("suggestion"));
        }
        // The account pages and the plugin's stall carry the same language's text.
        for (size_t i = 0; i < want->size(); ++i) {
            auto w = want->getObject(i);
            if (w->getValue<std::string>("kind") != "stalled_deal") continue;
            const std::string acc = w->getValue<std::string>("account");
            auto page = call(port, "GET", "/v1/accounts/" + url_encode(acc) + "?lang=" + lang, h).json();
            auto stalled = page->getObject("stalled");
            REQUIRE(stalled);
            if (page->getValue<int>("risk") == w->getValue<int>("risk"))
                CHECK(stalled->getValue<std::string>("suggestion") == w->getValue<std::string>("suggestion"));
        }
    }
    // The two languages really differ on the stalled deals.
    auto fr = call(port, "GET", "/v1/findings?kind=stalled_deal&lang=fr", h).json()->getArray("findings");
    auto en = call(port, "GET", "/v1/findings?kind=stalled_deal&lang=en", h).json()->getArray("findings");
    REQUIRE(fr->size() == en->size());
    REQUIRE(fr->size() > 0);
    CHECK(fr->getObject(0)->getValue<std::string>("suggestion") != en->getObject(0)->getValue<std::string>("suggestion"));
    for (const char* uri : {"/v1/findings?lang=de", "/v1/accounts?lang=xx", "/v1/accounts/x.com?lang=FR"}) {
        auto bad = call(port, "GET", uri, h);
        CHECK(bad.status == 400);
        CHECK(error_message(bad).find("lang") != std::string::npos);
    }
}

// A finding named by what tells it apart in the analyze contract, to compare lists.
std::string finding_key(const Object::Ptr& f) {
    std::string k = f->getValue<std::string>("kind");
    for (const char* field : {"thread_id", "account", "address", "message_id", "suggestion"})
        if (f->has(field) && f->get(field).isString()) k += "|" + f->getValue<std::string>(field);
    return k;
}

TEST_CASE("GET /v1/findings pages: limit, offset, total = analyze's counts, sort; bad values are 400", "[service.api][service.paging]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto want = analyze_dev()->getArray("findings");
    REQUIRE(want->size() > 20);
    std::vector<std::string> want_keys;
    std::map<std::string, size_t> per_kind;
    for (size_t i = 0; i < want->size(); ++i) {
        want_keys.push_back(finding_key(want->getObject(i)));
        ++per_kind[want->getObject(i)->getValue<std::string>("kind")];
    }

    // limit=0: only the counts. The totals are analyze's, in all and per kind.
    auto head = call(port, "GET", "/v1/findings?limit=0", h);
    REQUIRE(head.status == 200);
    CHECK(head.json()->getValue<size_t>("total") == want->size());
    CHECK(head.json()->getValue<size_t>("count") == 0);
    CHECK(head.json()->getArray("findings")->size() == 0);
    for (const char* k : {"awaiting_reply", "awaiting_my_reply", "all_in_copy", "insists_on_cc", "stalled_deal", "many_internal_contacts"}) {
        auto r = call(port, "GET", std::string("/v1/findings?limit=1&kind=") + k, h).json();
        INFO(k);
        CHECK(r->getValue<size_t>("total") == per_kind[k]);
        CHECK(r->getValue<size_t>("count") == std::min<size_t>(1, per_kind[k]));
    }

    // The default page (500) holds the whole dev list; it says so.
    auto first = call(port, "GET", "/v1/findings", h).json();
    CHECK(first->getValue<size_t>("limit") == 500);
    CHECK(first->getValue<size_t>("offset") == 0);
    CHECK(first->getValue<size_t>("count") == std::min<size_t>(500, want->size()));

    // Pages of 7, one after the other, are analyze's list in its order, each finding once.
    std::vector<std::string> paged;
    for (size_t off = 0; off <= want->size(); off += 7) {
        auto r = call(port, "GET", "/v1/findings?limit=7&offset=" + std::to_string(off), h).json();
        CHECK(r->getValue<size_t>("offset") == off);
        CHECK(r->getValue<size_t>("limit") == 7);
        CHECK(r->getValue<size_t>("total") == want->size());
        auto f = r->getArray("findings");
        CHECK(f->size() == std::min<size_t>(7, want->size() - off));
        CHECK(r->getValue<size_t>("count") == f->size());
        for (size_t i = 0; i < f->size(); ++i) paged.push_back(finding_key(f->getObject(i)));
    }
    CHECK(paged == want_keys);
    // Past the end: an empty page with the total, not an error.
    auto past = call(port, "GET", "/v1/findings?offset=100000", h);
    CHECK(past.status == 200);
    CHECK(past.json()->getArray("findings")->size() == 0);
    CHECK(past.json()->getValue<size_t>("total") == want->size());

    // The filters page too: a rep's awaiting findings, 3 at a time, are that rep's whole list.
    auto reps = call(port, "GET", "/v1/reps", h).json()->getArray("reps");
    REQUIRE(reps->size() >= 2);
    for (size_t ri = 0; ri < reps->size(); ++ri) {
        const std::string rep = url_encode(reps->getObject(ri)->getValue<std::string>("address"));
        auto whole = call(port, "GET", "/v1/findings?kind=awaiting_reply&rep=" + rep, h).json();
        std::vector<std::string> all_of_rep, pages;
        auto wf = whole->getArray("findings");
        for (size_t i = 0; i < wf->size(); ++i) all_of_rep.push_back(finding_key(wf->getObject(i)));
        for (size_t off = 0; off < all_of_rep.size() + 3; off += 3) {
            auto r = call(port, "GET", "/v1/findings?kind=awaiting_reply&limit=3&rep=" + rep + "&offset=" + std::to_string(off), h).json();
            CHECK(r->getValue<size_t>("total") == all_of_rep.size());
            auto f = r->getArray("findings");
            for (size_t i = 0; i < f->size(); ++i) pages.push_back(finding_key(f->getObject(i)));
        }
        CHECK(pages == all_of_rep);
    }

    // ?sort=waiting_business_days: highest first, ties in analyze's order (a stable sort, as the
    // dashboard used to do in the page); paged, the same order.
    for (const char* k : {"awaiting_reply", "awaiting_my_reply"}) {
        std::vector<Object::Ptr> expect;
        for (size_t i = 0; i < want->size(); ++i)
            if (want->getObject(i)->getValue<std::string>("kind") == k) expect.push_back(want->getObject(i));
        std::stable_sort(expect.begin(), expect.end(), [](const Object::Ptr& a, const Object::Ptr& b) {
            return a->getValue<int>("waiting_business_days") > b->getValue<int>("waiting_business_days");
        });
        std::vector<std::string> expect_keys, got;
        for (const auto& f : expect) expect_keys.push_back(finding_key(f));
        for (size_t off = 0; off < expect.size() + 4; off += 4) {
            auto r = call(port, "GET", std::string("/v1/findings?sort=waiting_business_days&limit=4&kind=") + k + "&offset=" + std::to_string(off), h).json();
            auto f = r->getArray("findings");
            for (size_t i = 0; i < f->size(); ++i) got.push_back(finding_key(f->getObject(i)));
        }
        INFO(k);
        CHECK(got == expect_keys);
    }
    auto risk = call(port, "GET", "/v1/findings?kind=stalled_deal&sort=risk&limit=1000", h).json()->getArray("findings");
    REQUIRE(risk->size() == per_kind["stalled_deal"]);
    for (size_t i = 1; i < risk->size(); ++i)
        CHECK(risk->getObject(i - 1)->getValue<int>("risk") >= risk->getObject(i)->getValue<int>("risk"));

    // Bad values: 400 naming the parameter and what is allowed.
    for (const char* uri : {"/v1/findings?limit=-1", "/v1/findings?limit=abc", "/v1/findings?limit=", "/v1/findings?limit=1001",
                            "/v1/findings?limit=1e3", "/v1/findings?offset=-3", "/v1/findings?offset=x", "/v1/findings?sort=date",
                            "/v1/threads?limit=1001", "/v1/threads?offset=-1"}) {
        auto bad = call(port, "GET", uri, h);
        INFO(uri);
        CHECK(bad.status == 400);
        const std::string param = std::string(uri).substr(std::string(uri).find('?') + 1, std::string(uri).find('=') - std::string(uri).find('?') - 1);
        CHECK(error_message(bad).find(param) != std::string::npos);
    }
    CHECK(error_message(call(port, "GET", "/v1/findings?limit=1001", h)).find("1000") != std::string::npos);
    CHECK(call(port, "GET", "/v1/findings?limit=1000", h).status == 200);
}

TEST_CASE("GET /v1/threads?account=: the total counts that account's threads", "[service.api][service.paging]") {
    auto& d = dev();
    const int port = d.svc->port();
    auto h = auth(d.svc->token());
    auto all = call(port, "GET", "/v1/threads?limit=1000", h).json()->getArray("threads");
    std::map<std::string, size_t> per_account;
    for (size_t i = 0; i < all->size(); ++i) ++per_account[all->getObject(i)->getValue<std::string>("account")];
    per_account.erase("");
    REQUIRE_FALSE(per_account.empty());
    const auto& [acc, n] = *std::max_element(per_account.begin(), per_account.end(), [](auto& a, auto& b) { return a.second < b.second; });
    auto r = call(port, "GET", "/v1/threads?limit=1&account=" + url_encode(acc), h).json();
    CHECK(r->getValue<size_t>("total") == n);
    CHECK(r->getArray("threads")->size() == 1);
    CHECK(call(port, "GET", "/v1/threads?account=no-such-account.example", h).json()->getValue<size_t>("total") == 0);
}
