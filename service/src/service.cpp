// The HTTP layer: one factory routing on the path, thin handlers, every refusal a JSON answer.
// Poco exceptions stop here (the adapter): they become an HTTP error, never an escaped throw.
#include "interlocutor/service/service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <istream>
#include <mutex>
#include <set>
#include <sstream>

#include "interlocutor/detect/report.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/json_writer.h"
#include "interlocutor/service/compose.h"

namespace ilc::service {

namespace fs = std::filesystem;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr size_t kMaxBody = 1 << 20;  // 1 MiB
const char* kCookie = "ilc_token";

std::string iso_utc(int64_t t) {
    if (t <= 0) return "";
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Constant time: the comparison must not tell how many leading characters were right.
bool same_secret(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

std::string dir_of(const std::string& db) {
    auto p = fs::path(db).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

struct HttpError {
    int status;
    std::string code, message;
};

}  // namespace

struct Service::Impl {
    ServiceOptions opts;
    std::string token, token_file, log_file, static_dir;
    std::unique_ptr<SnapshotCache> cache;
    int port = 0;
    std::mutex log_mu;
    std::ofstream log;
    bool stopped = false;
    // Last: destroyed first, so no handler outlives the cache and the log it uses.
    std::unique_ptr<Poco::Net::HTTPServer> server;

    void log_request(const HTTPServerRequest& req, int status) {
        std::lock_guard lk(log_mu);
        if (!log) return;
        // The query may carry ?token=: never write it to the log.
        std::string uri = req.getURI();
        if (auto q = uri.find('?'); q != std::string::npos) uri = uri.substr(0, q) + "?…";
        log << iso_utc(std::time(nullptr)) << " " << req.clientAddress().toString() << " " << req.getMethod() << " " << uri
            << " " << status << "\n";
        log.flush();
    }
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(Service::Impl& s) : s_(s) {}

    void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
        int status = 500;
        try {
            status = route(req, resp);
        } catch (const HttpError& e) {
            status = send_error(resp, e.status, e.code, e.message);
        } catch (const Poco::Exception& e) {
            status = try_send_error(resp, 500, "internal", e.displayText());
        } catch (const std::exception& e) {
            status = try_send_error(resp, 500, "internal", e.what());
        } catch (...) {
            status = try_send_error(resp, 500, "internal", "unexpected error");
        }
        try {
            s_.log_request(req, status);
        } catch (...) {
        }
    }

private:
    Service::Impl& s_;
    std::string allowed_origin_;

    int try_send_error(HTTPServerResponse& resp, int status, const std::string& code, const std::string& msg) {
        try {
            if (!resp.sent()) return send_error(resp, status, code, msg);
        } catch (...) {
        }
        return status;
    }

    void cors(HTTPServerResponse& resp) {
        if (allowed_origin_.empty()) return;
        resp.set("Access-Control-Allow-Origin", allowed_origin_);
        resp.set("Vary", "Origin");
        resp.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        resp.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        resp.set("Access-Control-Max-Age", "600");
    }

    static void set_status(HTTPServerResponse& resp, int status) {
        if (status == 421) resp.setStatusAndReason(HTTPResponse::HTTPStatus(421), "Misdirected Request");
        else resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    }

    int send(HTTPServerResponse& resp, int status, const std::string& body, const std::string& type = "application/json; charset=utf-8") {
        set_status(resp, status);
        resp.setContentType(type);
        resp.set("Cache-Control", "no-store");
        resp.set("X-Content-Type-Options", "nosniff");
        cors(resp);
        resp.setContentLength(static_cast<std::streamsize>(body.size()));
        resp.send() << body;
        return status;
    }

    int send_error(HTTPServerResponse& resp, int status, const std::string& code, const std::string& msg) {
        JsonWriter w;
        w.begin_object().key("error").begin_object().kv("status", status).kv("code", code).kv("message", msg).end_object().end_object();
        return send(resp, status, w.str());
    }

    static std::string host_allowed_for(int port, const std::string& host) {
        const std::string p = ":" + std::to_string(port);
        for (const char* h : {"127.0.0.1", "localhost", "[::1]"})
            if (host == h + p) return host;
        return "";
    }

    int route(HTTPServerRequest& req, HTTPServerResponse& resp) {
        // 1. DNS rebinding: only the loopback names with our port (RFC 9110 §7.2 Host).
        const std::string host = req.get("Host", "");
        if (host_allowed_for(s_.port, host).empty())
            throw HttpError{421, "bad_host", "Host '" + host + "' is not this service: use http://127.0.0.1:" + std::to_string(s_.port) + "/"};
        // 2. CORS: the mail-client plugin (moz-extension://) and our own origin only.
        if (req.has("Origin")) {
            const std::string origin = req.get("Origin");
            if (origin.rfind("moz-extension://", 0) == 0 || origin == "http://" + host) allowed_origin_ = origin;
            else throw HttpError{403, "bad_origin", "Origin '" + origin + "' is not allowed"};
        }
        const std::string method = req.getMethod();
        if (method == "OPTIONS") {  // CORS preflight: carries no credentials by design
            resp.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
            cors(resp);
            resp.setContentLength(0);
            resp.send();
            return 204;
        }

        const std::string raw = req.getURI();
        const std::string raw_path = raw.substr(0, raw.find('?'));
        Poco::URI uri(raw);
        const std::string path = uri.getPath();
        Poco::Net::NameValueCollection query;
        for (const auto& [k, v] : uri.getQueryParameters()) query.add(k, v);

        if (path == "/v1/health") {
            require_method(method, "GET");
            auto snap = s_.cache->get();
            JsonWriter w;
            w.begin_object().kv("status", "ok").kv("version", ILC_SERVICE_VERSION)
                .kv("messages", static_cast<long long>(snap->messages.size()))
                .kv("threads", static_cast<long long>(snap->threads.size()))
                .kv("loaded_at", iso_utc(snap->loaded_at)).kv("reloads", s_.cache->reloads()).end_object();
            return send(resp, 200, w.str());
        }

        // The dashboard's login: ?token= is swapped for an HttpOnly cookie and dropped from the URL.
        if ((path == "/" || path == "/index.html") && query.has("token")) {
            require_method(method, "GET");
            if (!same_secret(query.get("token"), s_.token)) throw HttpError{403, "bad_token", "wrong token"};
            resp.setStatusAndReason(HTTPResponse::HTTP_FOUND);
            resp.set("Location", "/");
            resp.set("Set-Cookie", std::string(kCookie) + "=" + s_.token + "; Path=/; HttpOnly; SameSite=Strict");
            resp.set("Cache-Control", "no-store");
            resp.setContentLength(0);
            resp.send();
            return 302;
        }

        authorize(req);

        if (path.rfind("/v1/", 0) == 0) return api(req, resp, method, path, query);
        return static_file(resp, method, raw_path, path);
    }

    static void require_method(const std::string& method, const char* want) {
        if (method != want) throw HttpError{405, "method_not_allowed", std::string("use ") + want};
    }

    void authorize(HTTPServerRequest& req) {
        std::string presented;
        bool have = false;
        if (req.has("Authorization")) {
            const std::string a = req.get("Authorization");
            if (a.rfind("Bearer ", 0) != 0) throw HttpError{401, "no_token", "Authorization must be 'Bearer <token>'"};
            presented = a.substr(7);
            have = true;
        } else {
            Poco::Net::NameValueCollection cookies;
            req.getCookies(cookies);
            if (cookies.has(kCookie)) presented = cookies.get(kCookie), have = true;
        }
        if (!have) throw HttpError{401, "no_token", "missing 'Authorization: Bearer <token>' (the token is in " + s_.token_file + ")"};
        if (!same_secret(presented, s_.token)) throw HttpError{403, "bad_token", "wrong token"};
    }

    int static_file(HTTPServerResponse& resp, const std::string& method, const std::string& raw_path, const std::string& path) {
        require_method(method, "GET");
        // Traversal: refuse dot segments however they are spelled (../, %2e%2e, encoded slashes).
        std::string lowraw = raw_path;
        for (auto& c : lowraw) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lowraw.find("..") != std::string::npos || lowraw.find("%2e") != std::string::npos ||
            lowraw.find("%2f") != std::string::npos || lowraw.find("%5c") != std::string::npos ||
            lowraw.find('\\') != std::string::npos || path.find("..") != std::string::npos)
            throw HttpError{400, "bad_path", "path traversal refused"};
        static const std::pair<const char*, const char*> files[] = {
            {"/", "index.html"}, {"/index.html", "index.html"}, {"/app.js", "app.js"}, {"/style.css", "style.css"}};
        for (const auto& [route, file] : files) {
            if (path != route) continue;
            std::ifstream in(fs::path(s_.static_dir) / file, std::ios::binary);
            if (!in) throw HttpError{500, "static_missing", std::string("dashboard file missing: ") + file};
            std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            std::string f = file;
            std::string type = f.ends_with(".html") ? "text/html; charset=utf-8"
                               : f.ends_with(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            resp.set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:");
            return send(resp, 200, body, type);
        }
        throw HttpError{404, "not_found", "no such page: " + path};
    }

    int api(HTTPServerRequest& req, HTTPServerResponse& resp, const std::string& method, const std::string& path,
            const Poco::Net::NameValueCollection& q) {
        auto snap = s_.cache->get();
        if (path == "/v1/findings") return findings(resp, method, *snap, q);
        if (path == "/v1/accounts") return accounts(resp, method, *snap);
        if (path == "/v1/stakeholders") return stakeholders(resp, method, *snap, q);
        if (path == "/v1/threads") return threads(resp, method, *snap, q);
        if (path.rfind("/v1/threads/", 0) == 0) return thread(resp, method, *snap, path.substr(12));
        if (path == "/v1/compose/check") return compose(req, resp, method, *snap);
        throw HttpError{404, "not_found", "no such endpoint: " + path};
    }

    static int64_t finding_date(const Snapshot& s, const Poco::JSON::Object& f) {
        if (f.has("thread_id")) {
            auto it = s.thread_by_id.find(f.getValue<std::string>("thread_id"));
            if (it != s.thread_by_id.end()) return s.thread_info[it->second].last_date;
        }
        if (f.has("account")) {
            auto it = s.last_activity_by_account.find(f.getValue<std::string>("account"));
            if (it != s.last_activity_by_account.end()) return it->second;
        }
        return 0;
    }

    int findings(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const std::string kind = q.get("kind", ""), account = q.get("account", "");
        int64_t since = 0;
        if (q.has("since")) {
            auto t = detect::parse_iso8601(q.get("since"));
            if (!t) throw HttpError{400, "bad_query", "since: " + t.error().message};
            since = t.value();
        }
        static const std::set<std::string> kinds = {"awaiting_reply", "awaiting_my_reply", "all_in_copy", "insists_on_cc",
                                                    "stalled_deal", "many_internal_contacts"};
        if (!kind.empty() && !kinds.count(kind)) throw HttpError{400, "bad_query", "kind: unknown finding kind '" + kind + "'"};
        // The analyze JSON contract is the one source of the finding fields: parse it, keep the order.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        auto root = parser.parse(s.analysis_json).extract<Poco::JSON::Object::Ptr>();
        auto all = root->getArray("findings");
        Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
        for (size_t i = 0; i < all->size(); ++i) {
            auto f = all->getObject(static_cast<unsigned>(i));
            if (!kind.empty() && f->getValue<std::string>("kind") != kind) continue;
            if (!account.empty() && (!f->has("account") || f->getValue<std::string>("account") != account)) continue;
            int64_t d = finding_date(s, *f);
            if (since && d < since) continue;
            f->set("last_activity", iso_utc(d));
            kept->add(f);
        }
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        out.set("lang", s.result.lang);
        out.set("count", static_cast<int>(kept->size()));
        out.set("findings", kept);
        std::ostringstream os;
        out.stringify(os);
        return send(resp, 200, os.str());
    }

    static void stakeholder_json(JsonWriter& w, const detect::Stakeholder& sh) {
        w.begin_object().kv("account", sh.account).kv("address", sh.address).kv("name", sh.name).kv("role", sh.role)
            .kv("title", sh.title).kv("primary", sh.primary).kv("two_way_exchanges", sh.two_way)
            .kv("messages_from", sh.messages_from).kv("messages_to", sh.messages_to).end_object();
    }

    int accounts(HTTPServerResponse& resp, const std::string& method, const Snapshot& s) {
        require_method(method, "GET");
        std::vector<const detect::AccountSummary*> list;
        for (const auto& a : s.result.accounts) list.push_back(&a);
        auto risk = [&](const std::string& acc) {
            auto it = s.stalled_by_account.find(acc);
            return it == s.stalled_by_account.end() ? -1 : it->second->risk;
        };
        std::stable_sort(list.begin(), list.end(), [&](auto* a, auto* b) { return risk(a->account) > risk(b->account); });
        JsonWriter w;
        w.begin_object().key("accounts").begin_array();
        for (const auto* a : list) {
            w.begin_object().kv("account", a->account).kv("people", a->people).kv("engaged", a->engaged);
            auto la = s.last_activity_by_account.find(a->account);
            w.kv("last_activity", la == s.last_activity_by_account.end() ? std::string() : iso_utc(la->second));
            auto st = s.stalled_by_account.find(a->account);
            if (st != s.stalled_by_account.end()) {
                w.kv("risk", st->second->risk).key("stalled").begin_object().kv("reason", st->second->reason)
                    .kv("escalate", st->second->escalate).kv("since", st->second->since)
                    .kv("suggestion", st->second->suggestion).end_object();
            } else {
                w.kv("risk", 0).kv_null("stalled");
            }
            w.key("warnings").begin_array();
            for (const auto& x : a->warnings) w.value(x);
            w.end_array().key("stakeholders").begin_array();
            auto it = s.stakeholders_by_account.find(a->account);
            if (it != s.stakeholders_by_account.end())
                for (size_t i : it->second) stakeholder_json(w, s.result.stakeholders[i]);
            w.end_array().end_object();
        }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    int stakeholders(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const std::string account = q.get("account", "");
        JsonWriter w;
        w.begin_object().key("stakeholders").begin_array();
        for (const auto& sh : s.result.stakeholders)
            if (account.empty() || sh.account == account) stakeholder_json(w, sh);
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    static size_t parse_count(const Poco::Net::NameValueCollection& q, const char* name, size_t def) {
        if (!q.has(name)) return def;
        const std::string v = q.get(name);
        if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
            throw HttpError{400, "bad_query", std::string(name) + ": expected a non-negative integer"};
        return static_cast<size_t>(std::stoul(v));
    }

    int threads(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const size_t offset = parse_count(q, "offset", 0), limit = parse_count(q, "limit", 500);
        const std::string account = q.get("account", "");
        JsonWriter w;
        w.begin_object().kv("total", static_cast<long long>(s.threads.size())).key("threads").begin_array();
        size_t seen = 0, written = 0;
        for (size_t i = 0; i < s.threads.size() && written < limit; ++i) {
            const auto& t = s.threads[i];
            const auto& info = s.thread_info[i];
            if (!account.empty() && info.account != account) continue;
            if (seen++ < offset) continue;
            ++written;
            const Message& first = s.messages[t.members.front()];
            w.begin_object().kv("id", t.id).kv("subject", first.subject).kv("account", info.account)
                .kv("messages", static_cast<long long>(t.members.size())).kv("first_date", iso_utc(first.date))
                .kv("last_date", iso_utc(info.last_date)).kv("group", info.group)
                .kv("all_in_copy", s.all_in_copy_by_thread.count(t.id) > 0).end_object();
        }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    static void mailboxes(JsonWriter& w, const char* key, const std::vector<Mailbox>& v) {
        w.key(key).begin_array();
        for (const auto& m : v) w.begin_object().kv("name", m.name).kv("address", m.address).end_object();
        w.end_array();
    }

    int thread(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const std::string& id) {
        require_method(method, "GET");
        auto it = s.thread_by_id.find(id);
        if (it == s.thread_by_id.end()) throw HttpError{404, "not_found", "no thread with id '" + id + "'"};
        const Thread& t = s.threads[it->second];
        JsonWriter w;
        w.begin_object().kv("id", t.id).key("messages").begin_array();
        for (size_t k = 0; k < t.members.size(); ++k) {
            const Message& m = s.messages[t.members[k]];
            w.begin_object().kv("message_id", m.message_id);
            w.kv("parent", t.parent[k] < 0 ? std::string() : s.messages[t.members[static_cast<size_t>(t.parent[k])]].message_id);
            w.key("from").begin_object().kv("name", m.from.name).kv("address", m.from.address).end_object();
            mailboxes(w, "to", m.to);
            mailboxes(w, "cc", m.cc);
            w.kv("date", iso_utc(m.date)).kv("subject", m.subject)
                .kv("direction", s.identity.direction(m) == detect::Direction::outbound ? "outbound" : "inbound")
                .kv("automated", m.automated).kv("new_text", m.new_text).end_object();
        }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    // Lingering read: a client still sending a refused body would otherwise get a connection
    // reset instead of our 413. Bounded, so a refused upload cannot keep a thread for long.
    static void discard(std::istream& in) {
        char buf[8192];
        size_t total = 0;
        while (total < 8 * kMaxBody && (in.read(buf, sizeof buf) || in.gcount() > 0)) total += static_cast<size_t>(in.gcount());
    }

    static std::string read_body(HTTPServerRequest& req) {
        const auto type = req.getContentType();
        const std::string base = type.substr(0, type.find(';'));
        std::string lb = base;
        for (auto& c : lb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        while (!lb.empty() && lb.back() == ' ') lb.pop_back();
        if (lb != "application/json") {
            discard(req.stream());
            throw HttpError{415, "unsupported_media_type", "Content-Type must be application/json, got '" + type + "'"};
        }
        std::istream& in = req.stream();
        if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(kMaxBody)) {
            discard(in);
            throw HttpError{413, "too_large", "body larger than 1 MiB"};
        }
        std::string body;
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            body.append(buf, static_cast<size_t>(in.gcount()));
            if (body.size() > kMaxBody) {
                discard(in);
                throw HttpError{413, "too_large", "body larger than 1 MiB"};
            }
        }
        return body;
    }

    static std::string str_field(const Poco::JSON::Object& o, const char* k) {
        if (!o.has(k) || o.isNull(k)) return "";
        auto v = o.get(k);
        if (!v.isString()) throw HttpError{400, "bad_field", std::string("field '") + k + "' must be a string"};
        std::string s = v.extract<std::string>();
        if (s.find('\0') != std::string::npos) throw HttpError{400, "bad_field", std::string("field '") + k + "' contains a NUL byte"};
        return s;
    }

    static std::vector<std::string> list_field(const Poco::JSON::Object& o, const char* k) {
        std::vector<std::string> out;
        if (!o.has(k) || o.isNull(k)) return out;
        if (!o.isArray(k)) throw HttpError{400, "bad_field", std::string("field '") + k + "' must be an array of strings"};
        auto a = o.getArray(k);
        for (size_t i = 0; i < a->size(); ++i) {
            auto v = a->get(static_cast<unsigned>(i));
            if (!v.isString())
                throw HttpError{400, "bad_field", std::string("field '") + k + "[" + std::to_string(i) + "]' must be a string"};
            std::string s = v.extract<std::string>();
            if (s.find('\0') != std::string::npos) throw HttpError{400, "bad_field", std::string("field '") + k + "' contains a NUL byte"};
            out.push_back(std::move(s));
        }
        return out;
    }

    int compose(HTTPServerRequest& req, HTTPServerResponse& resp, const std::string& method, const Snapshot& s) {
        require_method(method, "POST");
        const std::string body = read_body(req);
        Poco::Dynamic::Var parsed;
        try {
            Poco::JSON::Parser parser;
            parsed = parser.parse(body);
        } catch (const Poco::Exception& e) {
            throw HttpError{400, "bad_json", "the body is not valid JSON: " + e.message()};
        }
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw HttpError{400, "bad_json", "the body must be a JSON object"};
        const auto& o = *parsed.extract<Poco::JSON::Object::Ptr>();
        static const std::set<std::string> known = {"from", "to", "cc", "bcc", "subject", "in_reply_to", "references", "body", "lang"};
        for (const auto& [k, v] : o)
            if (!known.count(k)) throw HttpError{400, "bad_field", "unknown field '" + k + "'"};
        Draft d;
        d.from = str_field(o, "from");
        d.to = list_field(o, "to");
        d.cc = list_field(o, "cc");
        d.bcc = list_field(o, "bcc");
        d.subject = str_field(o, "subject");
        d.in_reply_to = str_field(o, "in_reply_to");
        d.references = list_field(o, "references");
        d.body = str_field(o, "body");
        d.lang = str_field(o, "lang");
        if (!d.lang.empty() && d.lang != "fr" && d.lang != "en") throw HttpError{400, "bad_field", "field 'lang' must be \"fr\" or \"en\""};
        if (d.to.empty() && d.cc.empty() && d.bcc.empty()) throw HttpError{400, "bad_field", "field 'to' must name at least one recipient"};

        auto sug = compose_check(s, d);
        JsonWriter w;
        w.begin_object().key("suggestions").begin_array();
        for (const auto& x : sug) {
            w.begin_object().kv("code", x.code).kv("severity", x.severity).kv("message", x.message).key("alternatives").begin_array();
            for (const auto& a : x.alternatives) {
                w.begin_object().kv("label", a.label).kv("topic", a.topic).key("to").begin_array();
                for (const auto& t : a.to) w.value(t);
                w.end_array().end_object();
            }
            w.end_array().end_object();
        }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(Service::Impl& s) : s_(s) {}
    // Stateless per request: safe from every server thread.
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override { return new Handler(s_); }

private:
    Service::Impl& s_;
};

}  // namespace

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() { stop(); }

Result<std::unique_ptr<Service>> Service::start(const ServiceOptions& opts) {
    auto impl = std::make_unique<Impl>();
    impl->opts = opts;
    const std::string dir = dir_of(opts.snapshot.db_path);
    impl->token_file = opts.token_file.empty() ? dir + "/token" : opts.token_file;
    impl->log_file = opts.log_file.empty() ? dir + "/serve.log" : opts.log_file;
    impl->static_dir = opts.static_dir.empty() ? ILC_STATIC_DIR : opts.static_dir;
    auto tok = load_or_create_token(impl->token_file);
    if (!tok) return tok.error();
    impl->token = tok.value();
    auto cache = SnapshotCache::open(opts.snapshot);
    if (!cache) return cache.error();
    impl->cache = std::move(cache.value());
    impl->log.open(impl->log_file, std::ios::app);
    if (!impl->log) return Error{ErrorCode::io, "cannot open the request log " + impl->log_file, ""};
    try {
        // 127.0.0.1 explicitly: a bare port would bind every interface.
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(opts.port)));
        impl->port = socket.address().port();
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(opts.max_threads);
        params->setMaxQueued(64);
        params->setKeepAlive(true);
        params->setTimeout(Poco::Timespan(10, 0));
        impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), socket, params);
        impl->server->start();
    } catch (const Poco::Exception& e) {
        return Error{ErrorCode::network, "cannot listen on 127.0.0.1:" + std::to_string(opts.port) + ": " + e.displayText(),
                     "is another `interlocutor serve` running? pass --port N"};
    }
    return std::unique_ptr<Service>(new Service(std::move(impl)));
}

void Service::stop() {
    if (!impl_ || impl_->stopped) return;
    impl_->stopped = true;
    if (impl_->server) impl_->server->stopAll(true);
}

int Service::port() const { return impl_->port; }
const std::string& Service::token() const { return impl_->token; }
const std::string& Service::token_file() const { return impl_->token_file; }
const std::string& Service::log_file() const { return impl_->log_file; }
std::string Service::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/"; }
SnapshotCache& Service::cache() { return *impl_->cache; }

}  // namespace ilc::service
