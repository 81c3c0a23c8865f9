#include "interlocutor/team/team_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "interlocutor/json_writer.h"
#include "interlocutor/team/team_store.h"
#include "interlocutor/team/token.h"

namespace ilc::team {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// A few database connections shared by the request threads (one libpq connection must not be
// used by two threads at once). A connection whose server went away (PostgreSQL restarted) is
// dropped when it comes back, with the idle ones (they lost the same server), and the next
// request opens a new one: the service recovers without a restart.
class StorePool {
public:
    Status fill(const std::string& url, int n) {
        url_ = url;
        for (int i = 0; i < n; ++i) {
            auto s = TeamStore::open(url);
            if (!s) return s.error();
            free_.push_back(std::move(s.value()));
        }
        return ok_status();
    }
    Result<std::unique_ptr<TeamStore>> take() {
        std::unique_ptr<TeamStore> s;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !free_.empty(); });
            s = std::move(free_.back());
            free_.pop_back();
        }
        if (s) return s;
        // An empty slot: its connection was lost. Connect outside the lock (it may take a while).
        auto opened = TeamStore::open(url_);
        if (!opened) {
            give(nullptr);
            return opened.error();
        }
        return std::move(opened.value());
    }
    // Returns a leased store (or an empty slot); true when its connection was found lost.
    bool give(std::unique_ptr<TeamStore> s) {
        bool lost = false;
        {
            std::lock_guard lock(mu_);
            if (s && s->connection().connection_lost()) {
                lost = true;
                s.reset();
                for (auto& idle : free_) idle.reset();
            }
            free_.push_back(std::move(s));
        }
        cv_.notify_one();
        return lost;
    }

private:
    std::string url_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<TeamStore>> free_;  // an empty pointer is a slot to reconnect
};

// Verified tokens, keyed by their SHA-256 (never the token itself), so PBKDF2 runs once per
// token and minute rather than on every request.
class TokenCache {
public:
    std::optional<User> get(const std::string& key) {
        std::lock_guard lock(mu_);
        auto it = map_.find(key);
        if (it == map_.end() || std::chrono::steady_clock::now() - it->second.second > std::chrono::seconds(60))
            return std::nullopt;
        return it->second.first;
    }
    void put(const std::string& key, const User& u) {
        std::lock_guard lock(mu_);
        if (map_.size() > 10000) map_.clear();
        map_[key] = {u, std::chrono::steady_clock::now()};
    }

private:
    std::mutex mu_;
    std::map<std::string, std::pair<User, std::chrono::steady_clock::time_point>> map_;
};

struct Shared {
    StorePool pool;
    TokenCache tokens;
    int port = 0;
};

std::string quoted(const std::string& s) {
    std::string out = "\"";
    JsonWriter::append_escaped(out, s);
    return out + "\"";
}
std::string opt_quoted(const std::optional<std::string>& s) { return s ? quoted(*s) : "null"; }

const char* kPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>Interlocutor team view</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>
</head><body><h1>Team view</h1>
<p><label>Token <input id="token" type="password" size="60"></label> <button id="go">Show</button></p>
<h2>Stalled deals by risk</h2><table id="stalled"></table>
<h2>Accounts several reps talk to</h2><table id="shared"></table>
<script>
async function get(path){const r=await fetch(path,{headers:{Authorization:'Bearer '+document.getElementById('token').value}});
 if(!r.ok) throw new Error(path+': '+r.status); return r.json();}
function fill(id,rows,cols){const t=document.getElementById(id);t.textContent='';
 const h=t.insertRow();cols.forEach(c=>{const th=document.createElement('th');th.textContent=c;h.appendChild(th);});
 rows.forEach(r=>{const tr=t.insertRow();cols.forEach(c=>{tr.insertCell().textContent=Array.isArray(r[c])?r[c].join(', '):String(r[c]);});});}
document.getElementById('go').onclick=async()=>{try{
 fill('stalled',(await get('/v1/team/stalled')).stalled_deals,['risk','account','rep','reason','escalate','since']);
 fill('shared',(await get('/v1/team/accounts')).shared_accounts,['account','reps','threads']);
}catch(e){alert(e.message);}};
</script></body></html>
)HTML";

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(Shared& s) : s_(s) {}

    void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
        // Nothing may escape a handler: an exception would close the connection without answer.
        try {
            // The answer is built first and sent at the end, so that a request that met a lost
            // database connection (the server restarted since the last request) can run once
            // more on a new connection instead of answering 503. Every endpoint is a GET.
            for (int attempt = 0; attempt < 2; ++attempt) {
                reply_ = Reply{};
                lost_connection_ = false;
                route(req, resp);
                if (!lost_connection_) break;
            }
        } catch (const Poco::Exception& e) {
            reply_ = Reply{};
            send(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, error_json("internal error: " + e.displayText()));
        } catch (const std::exception& e) {
            reply_ = Reply{};
            send(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, error_json(std::string("internal error: ") + e.what()));
        }
        if (resp.sent()) return;
        resp.setStatus(reply_.status);
        resp.setContentType(reply_.type);
        resp.set("Cache-Control", "no-store");
        if (reply_.challenge) resp.set("WWW-Authenticate", "Bearer");
        resp.setContentLength(std::streamsize(reply_.body.size()));
        resp.send() << reply_.body;
    }

private:
    static std::string error_json(const std::string& m) { return "{\"error\":" + quoted(m) + "}"; }

    struct Reply {
        HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
        std::string body = "{\"error\":\"no answer\"}";
        std::string type = "application/json; charset=utf-8";
        bool challenge = false;  // a 401 carries WWW-Authenticate: Bearer
    };

    // Records the answer; handleRequest sends it (see there why).
    void send(HTTPServerResponse&, HTTPResponse::HTTPStatus status, const std::string& body,
              const std::string& type = "application/json; charset=utf-8") {
        reply_.status = status;
        reply_.body = body;
        reply_.type = type;
    }

    // DNS rebinding: a page of another site that resolves its name to 127.0.0.1 must not reach us.
    bool host_ok(const HTTPServerRequest& req) const {
        const std::string host = req.getHost();
        const std::string port = std::to_string(s_.port);
        return host == "127.0.0.1:" + port || host == "localhost:" + port || host == "[::1]:" + port;
    }

    void route(HTTPServerRequest& req, HTTPServerResponse& resp) {
        if (!host_ok(req)) return send(resp, HTTPResponse::HTTP_FORBIDDEN, error_json("unexpected Host header"));
        if (req.getMethod() != "GET") return send(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, error_json("only GET is served"));
        Poco::URI uri(req.getURI());
        const std::string path = uri.getPath();
        std::map<std::string, std::string> q;
        for (const auto& [k, v] : uri.getQueryParameters()) q[k] = v;

        if (path == "/" || path == "/index.html") return send(resp, HTTPResponse::HTTP_OK, kPage, "text/html; charset=utf-8");

        auto leased = s_.pool.take();
        if (!leased) return send(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, error_json(leased.error().to_string()));
        struct Lease {
            StorePool& pool;
            std::unique_ptr<TeamStore> store;
            bool& lost;
            ~Lease() {
                if (pool.give(std::move(store))) lost = true;
            }
        } lease{s_.pool, std::move(leased.value()), lost_connection_};
        TeamStore& db = *lease.store;

        if (path == "/v1/health") {
            auto v = db.schema_version();
            if (!v) return send(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, error_json(v.error().to_string()));
            return send(resp, HTTPResponse::HTTP_OK, "{\"ok\":true,\"schema_version\":" + std::to_string(v.value()) + "}");
        }

        auto checked = authenticate(req, db);
        if (!checked) return send(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, error_json(checked.error().to_string()));
        const auto& user = checked.value();
        if (!user) {
            reply_.challenge = true;
            return send(resp, HTTPResponse::HTTP_UNAUTHORIZED,
                        error_json("a valid token is required: 'Authorization: Bearer <token>' "
                                   "(made by 'interlocutor team user add')"));
        }
        auto db_error = [&](const Error& e) { send(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, error_json(e.to_string())); };

        if (path == "/v1/me") {
            return send(resp, HTTPResponse::HTTP_OK,
                        "{\"name\":" + quoted(user->name) + ",\"role\":" + quoted(to_string(user->role)) + "}");
        }
        if (path == "/v1/team/stalled") {
            auto r = db.stalled_deals(q["rep"], q["account"]);
            if (!r) return db_error(r.error());
            std::string out = "{\"stalled_deals\":[";
            for (size_t i = 0; i < r->size(); ++i) {
                const auto& d = r.value()[i];
                out += (i ? "," : "") + std::string("{\"rep\":") + quoted(d.rep) + ",\"account\":" + quoted(d.account) +
                       ",\"risk\":" + std::to_string(d.risk) + ",\"reason\":" + quoted(d.reason) +
                       ",\"escalate\":" + (d.escalate ? "true" : "false") + ",\"since\":" + quoted(d.since) + "}";
            }
            return send(resp, HTTPResponse::HTTP_OK, out + "]}");
        }
        if (path == "/v1/team/accounts") {
            auto r = db.shared_accounts(2);
            if (!r) return db_error(r.error());
            std::string out = "{\"shared_accounts\":[";
            for (size_t i = 0; i < r->size(); ++i) {
                const auto& a = r.value()[i];
                out += (i ? "," : "") + std::string("{\"account\":") + quoted(a.account) + ",\"reps\":[";
                for (size_t k = 0; k < a.reps.size(); ++k) out += (k ? "," : "") + quoted(a.reps[k]);
                out += "],\"threads\":" + std::to_string(a.threads) + "}";
            }
            return send(resp, HTTPResponse::HTTP_OK, out + "]}");
        }
        if (path == "/v1/team/who-knows") {
            if (q["account"].empty())
                return send(resp, HTTPResponse::HTTP_BAD_REQUEST, error_json("the 'account' query parameter is required"));
            auto r = db.who_knows(q["account"]);
            if (!r) return db_error(r.error());
            std::string out = "{\"account\":" + quoted(q["account"]) + ",\"links\":[";
            for (size_t i = 0; i < r->size(); ++i) {
                const auto& w = r.value()[i];
                out += (i ? "," : "") + std::string("{\"rep\":") + quoted(w.rep) + ",\"colleague\":" + quoted(w.colleague) +
                       ",\"contact\":" + opt_quoted(w.contact) + ",\"role\":" + opt_quoted(w.role) +
                       ",\"strength\":" + std::to_string(w.strength) + ",\"exclusive\":" + (w.contact ? "false" : "true") + "}";
            }
            return send(resp, HTTPResponse::HTTP_OK, out + "]}");
        }
        if (path == "/v1/team/reps") {
            if (user->role != Role::manager)
                return send(resp, HTTPResponse::HTTP_FORBIDDEN, error_json("the per-rep summary is for managers"));
            auto r = db.reps();
            if (!r) return db_error(r.error());
            std::string out = "{\"reps\":[";
            for (size_t i = 0; i < r->size(); ++i) {
                const auto& x = r.value()[i];
                out += (i ? "," : "") + std::string("{\"rep\":") + quoted(x.rep) +
                       ",\"published_at\":" + std::to_string(x.published_at) + ",\"messages\":" + std::to_string(x.messages) +
                       ",\"threads\":" + std::to_string(x.threads) + ",\"stalled_deal\":" + std::to_string(x.stalled) +
                       ",\"awaiting_reply\":" + std::to_string(x.awaiting_reply) +
                       ",\"awaiting_my_reply\":" + std::to_string(x.awaiting_my_reply) +
                       ",\"all_in_copy\":" + std::to_string(x.all_in_copy) + "}";
            }
            return send(resp, HTTPResponse::HTTP_OK, out + "]}");
        }
        if (path == "/v1/me/findings") {
            if (user->role != Role::rep)
                return send(resp, HTTPResponse::HTTP_FORBIDDEN, error_json("own findings are a rep's; managers use /v1/team/*"));
            auto r = db.findings_of(user->name);
            if (!r) return db_error(r.error());
            std::string out = "{\"rep\":" + quoted(user->name) + ",\"findings\":[";
            for (size_t i = 0; i < r->size(); ++i) {
                const auto& f = r.value()[i];
                // detail is JSON this program wrote at publish time (snapshot.cpp).
                out += (i ? "," : "") + std::string("{\"kind\":") + quoted(f.kind) + ",\"account\":" + quoted(f.account) +
                       ",\"thread_id\":" + quoted(f.thread_id) + ",\"detail\":" + (f.detail_json.empty() ? "null" : f.detail_json) + "}";
            }
            return send(resp, HTTPResponse::HTTP_OK, out + "]}");
        }
        send(resp, HTTPResponse::HTTP_NOT_FOUND, error_json("no such endpoint: " + path));
    }

    // The user of the request's token; nullopt for a missing or wrong token; an error when the
    // database could not be asked (that is a 503, not a 401).
    Result<std::optional<User>> authenticate(const HTTPServerRequest& req, TeamStore& db) {
        const std::string auth = req.get("Authorization", "");
        const std::string prefix = "Bearer ";
        if (auth.rfind(prefix, 0) != 0) return std::optional<User>{};
        const std::string token = auth.substr(prefix.size());
        const std::string key = sha256_hex(token);
        if (auto u = s_.tokens.get(key)) return u;
        auto r = db.authenticate(token);
        if (!r) return r.error();
        if (r.value()) s_.tokens.put(key, *r.value());
        return r.value();
    }

    Shared& s_;
    Reply reply_;
    bool lost_connection_ = false;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(Shared& s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override { return new Handler(s_); }

private:
    Shared& s_;
};

class TeamServerImpl final : public TeamServer {
public:
    TeamServerImpl(std::unique_ptr<Shared> shared, std::unique_ptr<Poco::Net::HTTPServer> server)
        : shared_(std::move(shared)), server_(std::move(server)) {}
    ~TeamServerImpl() override { stop(); }
    int port() const override { return shared_->port; }
    void stop() override {
        if (server_) {
            server_->stopAll(true);
            server_.reset();
        }
    }

private:
    std::unique_ptr<Shared> shared_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace

Result<std::unique_ptr<TeamServer>> TeamServer::start(const TeamServerOptions& opts) {
    auto shared = std::make_unique<Shared>();
    if (auto s = shared->pool.fill(opts.url, std::max(1, opts.connections)); !s) return s.error();
    try {
        // Bind the loopback address only: a bare port would listen on every interface.
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", Poco::UInt16(opts.port)));
        shared->port = socket.address().port();
        auto params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(std::max(4, opts.connections * 2));
        params->setKeepAlive(true);
        auto server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*shared), socket, params);
        server->start();
        return std::unique_ptr<TeamServer>(new TeamServerImpl(std::move(shared), std::move(server)));
    } catch (const Poco::Exception& e) {
        return Error{ErrorCode::network, "cannot listen on 127.0.0.1:" + std::to_string(opts.port) + ": " + e.displayText(),
                     "is another 'interlocutor team serve' running? pick another --port"};
    }
}

}  // namespace ilc::team
