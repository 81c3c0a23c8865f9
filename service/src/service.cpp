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
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>


#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>
#include <fstream>
#include <istream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "interlocutor/civil_date.h"
#include "interlocutor/detect/report.h"
#include "interlocutor/detect/settings.h"
#include "interlocutor/json_writer.h"
#include "interlocutor/service/compose.h"
#include "interlocutor/store/store.h"
#if ILC_SERVICE_HAVE_DIGEST
#include "interlocutor/detect/business_days.h"
#include "interlocutor/digest/digest.h"
#endif

namespace ilc::service {

namespace fs = std::filesystem;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr size_t kMaxBody = 1 << 20;  // 1 MiB
// Paging of the lists (findings, threads): the default page and the largest one. A finding is
// ~550 bytes of JSON on the generated 1M store: 500 are ~280 KB, 1,000 ~550 KB (5,000, 2.7 MB,
// took 15 ms p50 and 77 ms p99 to answer there: no page is megabytes).
constexpr size_t kDefaultPage = 500;
constexpr size_t kMaxPage = 1000;
constexpr size_t kMaxOffset = 999999999;
const char* kCookie = "ilc_token";

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

// ?lang=fr|en on the endpoints that carry suggestion texts; "" = the analysis language.
std::string lower(std::string v) {
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
}

std::string query_lang(const Poco::Net::NameValueCollection& q) {
    const std::string lang = q.get("lang", "");
    if (!lang.empty() && lang != "fr" && lang != "en") throw HttpError{400, "bad_query", "lang: must be fr or en"};
    return lang;
}

// The stalled-deal finding of an account, with its texts in lang: the same finding (same index)
// in that language's analysis.
const detect::StalledDeal* stalled_in(const Snapshot& s, const std::string& account, const std::string& lang) {
    auto it = s.stalled_by_account.find(account);
    if (it == s.stalled_by_account.end()) return nullptr;
    const auto& other = s.result_in(lang).stalled_deal;
    const size_t i = static_cast<size_t>(it->second - s.result.stalled_deal.data());
    return i < other.size() && other[i].account == account ? &other[i] : it->second;
}

}  // namespace

// One `serve` per store: an flock on <db>.serve.lock, held for the service's life (closing the
// descriptor, or the process dying, releases it).
struct ServeLock {
    int fd = -1;
    ~ServeLock() {
        if (fd >= 0) ::close(fd);
    }
};

struct Service::Impl {
    ServeLock serve_lock;  // first: released last
    ServiceOptions opts;
    std::string token, token_file, log_file, static_dir;
    std::unique_ptr<SnapshotCache> cache;
    int port = 0;
    std::mutex log_mu;
    std::ofstream log;
    bool stopped = false;

    // Messages reported by POST /v1/sent and not stored yet (oldest first, bounded).
    std::mutex sent_mu;
    std::deque<SentRecord> sent;
    std::shared_ptr<const Snapshot> sent_pruned_for;  // the snapshot the list was last pruned against

    // The background ingest (POST /v1/ingest, --sync-every): one at a time.
    mutable std::mutex ingest_mu;
    std::condition_variable ingest_cv;
    bool ingest_running = false, ingest_stopping = false;
    IngestProgress progress;
    int64_t ingest_started_at = 0, ingest_finished_at = 0;
    int ingest_runs = 0;
    std::vector<std::string> ingest_sources;
    std::optional<IngestOutcome> ingest_summary;
    std::string ingest_error;
    std::thread ingest_thread, sync_thread;

    std::vector<SentRecord> sent_records(const Snapshot& snap) {
        std::lock_guard lk(sent_mu);
        // Once an ingest brought the real copy, the snapshot counts it: drop the record.
        if (sent_pruned_for.get() != &snap) {
            std::erase_if(sent, [&](const SentRecord& r) { return snap.thread_of(r.message_id) >= 0; });
            // Held, so that a later snapshot cannot reuse this address and skip its pruning.
            auto current = cache->get();
            sent_pruned_for = current.get() == &snap ? current : nullptr;
        }
        return {sent.begin(), sent.end()};
    }

    void record_sent(SentRecord r) {
        std::lock_guard lk(sent_mu);
        std::erase_if(sent, [&](const SentRecord& x) { return x.message_id == r.message_id; });
        sent.push_back(std::move(r));
        while (sent.size() > 10000) sent.pop_front();
    }

    // The configured sources first, then the store's recorded ones, each once.
    std::vector<std::string> sources_to_ingest() {
        std::vector<std::string> out = opts.sources;
        auto st = store::Store::open(opts.snapshot.db_path, store::OpenMode::read_only);
        if (st) {
            auto list = st.value()->list_sources();
            if (list)
                for (const auto& p : list.value())
                    if (std::find(out.begin(), out.end(), p.path) == out.end()) out.push_back(p.path);
        }
        return out;
    }

    bool start_ingest(std::string* why) {
        std::unique_lock lk(ingest_mu);
        if (!opts.ingest_runner) {
            if (why) *why = "this service has no ingest runner";
            return false;
        }
        if (ingest_running || ingest_stopping) {
            if (why) *why = "an ingest is already running (" + progress.source + ")";
            return false;
        }
        lk.unlock();
        auto sources = sources_to_ingest();
        lk.lock();
        if (ingest_running) {
            if (why) *why = "an ingest is already running";
            return false;
        }
        if (sources.empty()) {
            if (why) *why = "no source to ingest: list them in the service config (serve.sources) or ingest one first";
            return false;
        }
        ingest_running = true;
        ingest_sources = sources;
        progress = IngestProgress{};
        progress.source = sources.front();
        ingest_started_at = static_cast<int64_t>(std::time(nullptr));
        ingest_summary.reset();
        ingest_error.clear();
        if (ingest_thread.joinable()) ingest_thread.join();  // the previous run has finished
        ingest_thread = std::thread([this, sources] { run_ingest(sources); });
        return true;
    }

    void run_ingest(const std::vector<std::string>& sources) {
        Result<IngestOutcome> r = Error{ErrorCode::internal, "the ingest did not run", ""};
        try {
            r = opts.ingest_runner(opts.snapshot.db_path, sources, [this](const IngestProgress& p) {
                std::lock_guard lk(ingest_mu);
                progress = p;
            });
        } catch (const std::exception& e) {
            r = Error{ErrorCode::internal, std::string("the ingest failed: ") + e.what(), ""};
        } catch (...) {
            r = Error{ErrorCode::internal, "the ingest failed", ""};
        }
        std::lock_guard lk(ingest_mu);
        ingest_running = false;
        ingest_finished_at = static_cast<int64_t>(std::time(nullptr));
        ++ingest_runs;
        if (r) ingest_summary = r.value();
        else ingest_error = r.error().to_string();
        ingest_cv.notify_all();
    }

    void sync_loop(int minutes) {
        std::unique_lock lk(ingest_mu);
        while (!ingest_stopping) {
            ingest_cv.wait_for(lk, std::chrono::minutes(minutes), [this] { return ingest_stopping; });
            if (ingest_stopping) break;
            lk.unlock();
            start_ingest(nullptr);  // a run already going is fine: this period is covered
            lk.lock();
        }
    }

    void stop_ingest() {
        {
            std::lock_guard lk(ingest_mu);
            ingest_stopping = true;
        }
        ingest_cv.notify_all();
        if (sync_thread.joinable()) sync_thread.join();
        // An ingest commits in batches and resumes where it stopped: waiting for it keeps the
        // store consistent and the next run short.
        if (ingest_thread.joinable()) ingest_thread.join();
    }

    // Last: destroyed first, so no handler outlives the cache and the log it uses.
    std::unique_ptr<Poco::Net::HTTPServer> server;
    std::unique_ptr<Poco::Net::HTTPServer> server6;  // [::1]:port, when the machine has IPv6 loopback

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
        if (path == "/v1/accounts") return accounts(resp, method, *snap, q);
        if (path.rfind("/v1/accounts/", 0) == 0) return account(resp, method, *snap, path.substr(13), q);
        if (path == "/v1/reps") return reps(resp, method, *snap);
        if (path == "/v1/stakeholders") return stakeholders(resp, method, *snap, q);
        if (path == "/v1/threads") return threads(resp, method, *snap, q);
        if (path.rfind("/v1/threads/", 0) == 0) return thread(resp, method, *snap, path.substr(12));
        if (path == "/v1/compose/check") return compose(req, resp, method, *snap);
        if (path == "/v1/message") return message(resp, method, *snap, q);
        if (path == "/v1/sent") return sent(req, resp, method);
        if (path == "/v1/ingest") return ingest(req, resp, method);
        if (path == "/v1/digest") return digest(resp, method, *snap, q);
        throw HttpError{404, "not_found", "no such endpoint: " + path};
    }

    // GET /v1/findings: filtered, optionally sorted, one page at a time (limit/offset, with the
    // total of the filtered list). On a million messages the whole list is 135,000 findings and
    // 84 MB of JSON: a page of the default 500 is ~300 KB.
    int findings(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const std::string kind = q.get("kind", ""), account = q.get("account", ""), rep = lower(q.get("rep", ""));
        const std::string lang = query_lang(q), sort = q.get("sort", "");
        int64_t since = 0;
        if (q.has("since")) {
            auto t = detect::parse_iso8601(q.get("since"));
            if (!t) throw HttpError{400, "bad_query", "since: " + t.error().message};
            since = t.value();
        }
        const long kind_index = kind.empty() ? -1 : finding_kind(kind);
        if (!kind.empty() && kind_index < 0) throw HttpError{400, "bad_query", "kind: unknown finding kind '" + kind + "'"};
        if (!sort.empty() && sort != "risk" && sort != "waiting_business_days")
            throw HttpError{400, "bad_query", "sort: must be risk or waiting_business_days (highest first)"};
        const size_t offset = parse_count(q, "offset", 0, kMaxOffset);
        const size_t limit = parse_count(q, "limit", kDefaultPage, kMaxPage);
        // Each finding is serialized once per snapshot and language (Snapshot::findings); a request
        // only picks, pages and joins.
        auto index = s.findings_in(lang);
        // An account or a kind narrows the scan to its findings (in order): the account page asks
        // for a few of 135,000. Accounts and reps are compared by their id in the index's names.
        static const std::vector<uint32_t> none;
        const std::vector<uint32_t>* only = nullptr;
        const long account_id = account.empty() ? 0 : index->names.find(account);
        const long rep_id = rep.empty() ? 0 : index->names.find(rep);
        // A sort without an account scans the index's order for it (made once per snapshot); an
        // account's few findings are sorted here.
        bool sorted = false;
        if (!account.empty()) {
            auto it = account_id > 0 ? index->by_account.find(static_cast<uint32_t>(account_id)) : index->by_account.end();
            only = it == index->by_account.end() ? &none : &it->second;
        } else if (!sort.empty()) {
            only = sort == "risk" ? &index->by_risk : &index->by_waiting;
            sorted = true;
        } else if (kind_index >= 0) {
            only = &index->by_kind[kind_index];
        }
        if (!rep.empty() && rep_id < 0) only = &none;  // nobody's findings: no rep of that address
        std::vector<uint32_t> picked;
        auto pick = [&](uint32_t i) {
            const IndexedFinding& f = index->all[i];
            if (kind_index >= 0 && f.kind != kind_index) return;
            if (!rep.empty() && f.rep != static_cast<uint32_t>(rep_id)) return;
            if (since && f.last_activity < since) return;
            picked.push_back(i);
        };
        if (only)
            for (uint32_t i : *only) pick(i);
        else
            for (uint32_t i = 0; i < index->all.size(); ++i) pick(i);
        // Highest first; ties (and findings without that field, last) keep the contract's order.
        // Only the kind of the sort key has it: stalled deals a risk, awaiting findings days.
        if (!sort.empty() && !sorted)
            std::stable_sort(picked.begin(), picked.end(), [&](uint32_t a, uint32_t b) {
                const bool risk = sort == "risk";
                const bool ha = FindingsIndex::has_rank(index->all[a], risk), hb = FindingsIndex::has_rank(index->all[b], risk);
                if (ha != hb) return ha;
                return ha && index->all[a].rank > index->all[b].rank;
            });
        const size_t first = std::min(offset, picked.size()), last = first + std::min(limit, picked.size() - first);
        size_t bytes = 0;
        for (size_t i = first; i < last; ++i) bytes += index->all[picked[i]].json_size + 1;
        JsonWriter head;
        head.begin_object().kv("lang", lang.empty() ? s.result.lang : lang).kv("count", static_cast<long long>(last - first))
            .kv("total", static_cast<long long>(picked.size())).kv("offset", static_cast<long long>(offset))
            .kv("limit", static_cast<long long>(limit)).end_object();
        std::string out = head.str();
        out.pop_back();  // reopen the object to append the findings array
        out.reserve(out.size() + bytes + 16);
        out += ",\"findings\":[";
        for (size_t i = first; i < last; ++i) {
            if (i > first) out += ',';
            out += index->json(index->all[picked[i]]);
        }
        out += "]}";
        return send(resp, 200, out);
    }

    static void stakeholder_json(JsonWriter& w, const detect::Stakeholder& sh) {
        w.begin_object().kv("account", sh.account).kv("address", sh.address).kv("name", sh.name).kv("role", sh.role)
            .kv("title", sh.title).kv("primary", sh.primary).kv("two_way_exchanges", sh.two_way)
            .kv("messages_from", sh.messages_from).kv("messages_to", sh.messages_to).end_object();
    }

    // GET /v1/reps: the reps the findings and accounts are attributed to, for the dashboard's selector.
    int reps(HTTPServerResponse& resp, const std::string& method, const Snapshot& s) {
        require_method(method, "GET");
        std::map<std::string, std::pair<int, int>> counts;  // rep -> (threads, accounts)
        std::unordered_map<uint32_t, int> threads_of;  // by rep id in s.strings
        for (const auto& t : s.thread_info) ++threads_of[t.rep];
        for (const auto& [r, n] : threads_of) counts[s.strings.str(r)].first += n;
        for (const auto& [acc, r] : s.rep_by_account) ++counts[r].second;
        counts.erase("");
        JsonWriter w;
        w.begin_object().key("reps").begin_array();
        for (const auto& [r, n] : counts) {
            auto name = s.rep_names.find(r);
            w.begin_object().kv("address", r).kv("name", name == s.rep_names.end() ? std::string() : name->second)
                .kv("owner", s.identity.is_owner(r)).kv("threads", n.first).kv("accounts", n.second).end_object();
        }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    int accounts(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const std::string lang = query_lang(q), rep = lower(q.get("rep", ""));
        // Each account's entry is written once per snapshot and language (accounts_in); a request
        // only picks the rep's and joins.
        const auto list = accounts_in(s, lang);
        size_t bytes = 0;
        for (const auto& j : list->json) bytes += j.size() + 1;
        std::string out;
        out.reserve(bytes + 32);
        out += "{\"accounts\":[";
        bool first = true;
        for (size_t i = 0; i < list->json.size(); ++i) {
            if (!rep.empty() && list->rep[i] != rep) continue;
            if (!first) out += ',';
            first = false;
            out += list->json[i];
        }
        out += "]}";
        return send(resp, 200, out);
    }

    // The entries of GET /v1/accounts in lang, by risk (highest first, ties in the analysis's
    // order), made on the first request of the snapshot in that language.
    static std::shared_ptr<const AccountsJson> accounts_in(const Snapshot& s, const std::string& lang) {
        const std::string key = lang.empty() ? s.result.lang : lang;
        {
            std::lock_guard lk(s.accounts_json->mu);
            if (auto it = s.accounts_json->by_lang.find(key); it != s.accounts_json->by_lang.end()) return it->second;
        }
        std::vector<const detect::AccountSummary*> list;
        for (const auto& a : s.result.accounts) list.push_back(&a);
        auto risk = [&](const std::string& acc) {
            auto it = s.stalled_by_account.find(acc);
            return it == s.stalled_by_account.end() ? -1 : it->second->risk;
        };
        std::stable_sort(list.begin(), list.end(), [&](auto* a, auto* b) { return risk(a->account) > risk(b->account); });
        auto made = std::make_shared<AccountsJson>();
        made->json.reserve(list.size());
        made->rep.reserve(list.size());
        for (const auto* a : list) {
            JsonWriter w;
            w.begin_object().kv("account", a->account).kv("rep", s.rep_of_account(a->account)).kv("people", a->people)
                .kv("engaged", a->engaged);
            auto la = s.last_activity_by_account.find(a->account);
            w.kv("last_activity", la == s.last_activity_by_account.end() ? std::string() : iso_utc(la->second));
            if (const auto* st = stalled_in(s, a->account, lang)) {
                w.kv("risk", st->risk).key("stalled").begin_object().kv("reason", st->reason)
                    .kv("escalate", st->escalate).kv("since", st->since)
                    .kv("suggestion", st->suggestion).end_object();
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
            made->json.push_back(w.str());
            made->rep.push_back(s.rep_of_account(a->account));
        }
        std::lock_guard lk(s.accounts_json->mu);
        return s.accounts_json->by_lang.try_emplace(key, std::move(made)).first->second;
    }

    // GET /v1/accounts/{account}: one account's page: its summary, stall, stakeholders with
    // relationship strengths, and messages in and out per week (UTC weeks starting on Monday).
    int account(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const std::string& acc,
                const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const std::string lang = query_lang(q);
        const detect::AccountSummary* a = nullptr;
        for (const auto& x : s.result.accounts)
            if (x.account == acc) a = &x;
        if (!a && !s.last_activity_by_account.count(acc)) throw HttpError{404, "not_found", "no account '" + acc + "'"};
        // Messages in and out per week: counted once per snapshot (Snapshot::timeline_by_account).
        static const std::vector<WeekCount> no_weeks;
        auto tl = s.timeline_by_account.find(acc);
        const auto& weeks = tl == s.timeline_by_account.end() ? no_weeks : tl->second;
        JsonWriter w;
        w.begin_object().kv("account", acc).kv("rep", s.rep_of_account(acc)).kv("people", a ? a->people : 0)
            .kv("engaged", a ? a->engaged : 0);
        auto la = s.last_activity_by_account.find(acc);
        w.kv("last_activity", la == s.last_activity_by_account.end() ? std::string() : iso_utc(la->second));
        if (const auto* st = stalled_in(s, acc, lang))
            w.kv("risk", st->risk).key("stalled").begin_object().kv("reason", st->reason)
                .kv("escalate", st->escalate).kv("since", st->since).kv("suggestion", st->suggestion)
                .end_object();
        else
            w.kv("risk", 0).kv_null("stalled");
        w.key("warnings").begin_array();
        if (a)
            for (const auto& x : a->warnings) w.value(x);
        w.end_array().key("stakeholders").begin_array();
        auto it = s.stakeholders_by_account.find(acc);
        if (it != s.stakeholders_by_account.end())
            for (size_t i : it->second) {
                const auto& sh = s.result.stakeholders[i];
                w.begin_object().kv("address", sh.address).kv("name", sh.name).kv("role", sh.role).kv("title", sh.title)
                    .kv("primary", sh.primary).kv("two_way_exchanges", sh.two_way).kv("messages_from", sh.messages_from)
                    .kv("messages_to", sh.messages_to).key("strength").begin_array();
                for (const auto& x : sh.strength) w.begin_object().kv("internal", x.internal).kv("strength", x.strength).end_object();
                w.end_array().end_object();
            }
        w.end_array().key("timeline").begin_array();
        for (const auto& wk : weeks) {
            int64_t y;
            unsigned mo, d;
            civil_from_days(wk.monday, y, mo, d);
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), mo, d);
            w.begin_object().kv("week", std::string(buf)).kv("in", wk.in).kv("out", wk.out).end_object();
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

    // A paging parameter: absent = def; else digits only, at most max (400 saying so otherwise).
    static size_t parse_count(const Poco::Net::NameValueCollection& q, const char* name, size_t def, size_t max = 999999999) {
        if (!q.has(name)) return def;
        const std::string v = q.get(name);
        if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
            throw HttpError{400, "bad_query", std::string(name) + ": expected an integer from 0 to " + std::to_string(max) + ", got '" + v + "'"};
        const size_t n = static_cast<size_t>(std::stoul(v));
        if (n > max) throw HttpError{400, "bad_query", std::string(name) + ": at most " + std::to_string(max) + ", got " + v};
        return n;
    }

    int threads(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        const size_t offset = parse_count(q, "offset", 0, kMaxOffset), limit = parse_count(q, "limit", kDefaultPage, kMaxPage);
        const std::string account = q.get("account", "");
        // The account compared by its id in the snapshot's strings; an unknown one matches nothing.
        const long account_id = account.empty() ? 0 : s.strings.find(account);
        auto matches = [&](size_t i) { return account.empty() || static_cast<long>(s.thread_info[i].account) == account_id; };
        size_t total = s.threads.size();
        if (!account.empty()) {
            total = 0;
            for (size_t i = 0; i < s.threads.size(); ++i) total += matches(i);
        }
        JsonWriter w;
        w.begin_object().kv("total", static_cast<long long>(total)).key("threads").begin_array();
        size_t seen = 0, written = 0;
        for (size_t i = 0; i < s.threads.size() && written < limit; ++i) {
            const auto& info = s.thread_info[i];
            if (!matches(i)) continue;
            if (seen++ < offset) continue;
            ++written;
            const std::string id(s.threads.id(i));
            w.begin_object().kv("id", id).kv("subject", s.strings.str(info.subject)).kv("account", s.strings.str(info.account))
                .kv("messages", static_cast<long long>(s.threads.members(i).size())).kv("first_date", iso_utc(info.first_date))
                .kv("last_date", iso_utc(info.last_date)).kv("group", info.group)
                .kv("all_in_copy", s.all_in_copy_by_thread.count(id) > 0).end_object();
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
        const long ti = s.threads.find(id);
        if (ti < 0) throw HttpError{404, "not_found", "no thread with id '" + id + "'"};
        const auto members = s.threads.members(static_cast<size_t>(ti));
        const auto parents = s.threads.parents(static_cast<size_t>(ti));
        // The snapshot keeps no texts: the thread's messages are read back from the store.
        std::vector<Message> msgs;
        for (size_t idx : members) {
            const std::string mid(s.messages.id(idx));
            auto m = s.load_message(mid);
            if (!m) throw HttpError{503, "store", m.error().to_string()};
            if (!m.value()) throw HttpError{503, "store", "message '" + mid + "' is no longer in the store"};
            msgs.push_back(std::move(*m.value()));
        }
        JsonWriter w;
        w.begin_object().kv("id", std::string(s.threads.id(static_cast<size_t>(ti)))).key("messages").begin_array();
        for (size_t k = 0; k < members.size(); ++k) {
            const Message& m = msgs[k];
            w.begin_object().kv("message_id", m.message_id);
            w.kv("parent", parents[k] < 0 ? std::string() : msgs[static_cast<size_t>(parents[k])].message_id);
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

        auto sug = compose_check(s, d, s_.sent_records(s));
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

    // The body as a JSON object whose fields are all in known (400 naming the first other one).
    static Poco::JSON::Object::Ptr parse_object(const std::string& body, const std::set<std::string>& known) {
        Poco::Dynamic::Var parsed;
        try {
            Poco::JSON::Parser parser;
            parsed = parser.parse(body);
        } catch (const Poco::Exception& e) {
            throw HttpError{400, "bad_json", "the body is not valid JSON: " + e.message()};
        }
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw HttpError{400, "bad_json", "the body must be a JSON object"};
        auto o = parsed.extract<Poco::JSON::Object::Ptr>();
        for (const auto& [k, v] : *o)
            if (!known.count(k)) throw HttpError{400, "bad_field", "unknown field '" + k + "'"};
        return o;
    }

    static std::string address_only(std::string a) {
        auto lt = a.rfind('<');
        auto gt = a.rfind('>');
        if (lt != std::string::npos && gt != std::string::npos && gt > lt) a = a.substr(lt + 1, gt - lt - 1);
        while (!a.empty() && std::isspace(static_cast<unsigned char>(a.front()))) a.erase(0, 1);
        while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.pop_back();
        for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return a;
    }

    static std::string bare_id(std::string id) {
        while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.erase(0, 1);
        while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.pop_back();
        if (id.size() > 1 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
        return id;
    }

    // GET /v1/message: what the plugin shows beside an open message (docs/API.md).
    int message(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
        if (!q.has("message_id") || bare_id(q.get("message_id")).empty())
            throw HttpError{400, "bad_query", "message_id: the Message-ID is required"};
        const std::string mid = bare_id(q.get("message_id"));
        const std::string lang = query_lang(q);
        const long ti = s.thread_of(mid);
        if (ti < 0) throw HttpError{404, "not_found", "no stored message with Message-ID '" + mid + "'"};
        const std::string thread_id(s.threads.id(static_cast<size_t>(ti)));
        const ThreadInfo& info = s.thread_info[static_cast<size_t>(ti)];
        const std::string account = s.strings.str(info.account);
        // The subject is the one text this answer needs: read from the store (the snapshot keeps none).
        auto m = s.load_message(mid);
        if (!m) throw HttpError{503, "store", m.error().to_string()};
        JsonWriter w;
        w.begin_object().kv("message_id", mid).kv("thread_id", thread_id).kv("subject", m.value() ? m.value()->subject : std::string());
        if (account.empty()) w.kv_null("account");
        else w.kv("account", account);
        // Awaiting: the thread's finding, either way. chasers = the unanswered messages after the first one.
        // (Looked up by the thread's id, as the findings name their thread.)
        const long by_id = s.threads.find(thread_id);
        const AwaitingFact* f = by_id < 0 ? nullptr : s.awaiting_of(static_cast<size_t>(by_id));
        const bool awaiting = f != nullptr;
        if (f && f->theirs)
            w.key("awaiting").begin_object().kv("kind", "awaiting_their_reply").kv("since", iso_utc(f->since))
                .kv("business_days", f->business_days).kv("chasers", std::max(0, f->unanswered - 1))
                .kv("over_chasing", f->over_chasing).kv("next_follow_up", s.strings.str(f->next_follow_up)).end_object();
        else if (f)
            w.key("awaiting").begin_object().kv("kind", "awaiting_our_reply").kv("since", iso_utc(f->since))
                .kv("business_days", f->business_days).kv("chasers", 0).end_object();
        if (!awaiting) w.kv_null("awaiting");
        const detect::StalledDeal* stall = account.empty() ? nullptr : stalled_in(s, account, lang);
        if (stall)
            w.key("stall").begin_object().kv("risk", stall->risk / 100.0).kv("reason", stall->reason)
                .kv("suggested_action", stall->suggestion).kv("escalate", stall->escalate).end_object();
        else
            w.kv_null("stall");
        w.key("stakeholders").begin_array();
        auto sh = account.empty() ? s.stakeholders_by_account.end() : s.stakeholders_by_account.find(account);
        if (sh != s.stakeholders_by_account.end())
            for (size_t i : sh->second) {
                const auto& x = s.result.stakeholders[i];
                w.begin_object().kv("name", x.name).kv("email", x.address).kv("role", x.role).kv("primary", x.primary).end_object();
            }
        w.end_array().end_object();
        return send(resp, 200, w.str());
    }

    // POST /v1/sent: the plugin reports a mail it just sent, so the next check counts it.
    int sent(HTTPServerRequest& req, HTTPServerResponse& resp, const std::string& method) {
        require_method(method, "POST");
        const auto o = parse_object(read_body(req), {"message_id", "in_reply_to", "references", "from", "to", "cc", "subject", "date"});
        SentRecord r;
        r.message_id = bare_id(str_field(*o, "message_id"));
        if (r.message_id.empty()) throw HttpError{400, "bad_field", "field 'message_id' is required"};
        r.in_reply_to = bare_id(str_field(*o, "in_reply_to"));
        for (auto& x : list_field(*o, "references"))
            if (auto b = bare_id(x); !b.empty()) r.references.push_back(b);
        // Mail clients report "Name <addr>"; the compose check compares bare addresses.
        r.from = address_only(str_field(*o, "from"));
        for (auto& a : list_field(*o, "to")) r.to.push_back(address_only(a));
        for (auto& a : list_field(*o, "cc")) r.cc.push_back(address_only(a));
        r.subject = str_field(*o, "subject");
        const std::string date = str_field(*o, "date");
        if (!date.empty()) {
            auto t = detect::parse_iso8601(date);
            if (!t) throw HttpError{400, "bad_field", "field 'date': " + t.error().message};
            r.date = t.value();
        } else {
            r.date = static_cast<int64_t>(std::time(nullptr));
        }
        s_.record_sent(std::move(r));
        return send(resp, 202, R"({"recorded":true})");
    }

    // POST /v1/ingest starts a background ingest; GET /v1/ingest tells how it goes.
    int ingest(HTTPServerRequest& req, HTTPServerResponse& resp, const std::string& method) {
        if (method == "POST") {
            // An empty body is fine; a body must be a JSON object (none of its fields is defined yet).
            const bool has_body = (req.hasContentLength() && req.getContentLength64() > 0) || req.getChunkedTransferEncoding();
            if (has_body || req.has("Content-Type")) {
                const std::string body = read_body(req);  // 415 for anything but JSON, 413 past the limit
                if (!body.empty()) parse_object(body, {});
            }
            std::string why;
            if (!s_.opts.ingest_runner) throw HttpError{501, "not_implemented", "this service has no ingest runner"};
            if (!s_.start_ingest(&why))
                throw HttpError{why.rfind("no source", 0) == 0 ? 400 : 409, why.rfind("no source", 0) == 0 ? "no_source" : "busy", why};
            return send(resp, 202, ingest_status());
        }
        require_method(method, "GET");
        return send(resp, 200, ingest_status());
    }

    std::string ingest_status() {
        std::lock_guard lk(s_.ingest_mu);
        JsonWriter w;
        w.begin_object().kv("running", s_.ingest_running).kv("source", s_.progress.source)
            .kv("bytes_done", static_cast<long long>(s_.progress.bytes_done))
            .kv("bytes_total", static_cast<long long>(s_.progress.bytes_total))
            .kv("messages", static_cast<long long>(s_.progress.messages)).kv("runs", s_.ingest_runs)
            .kv("started_at", iso_utc(s_.ingest_started_at)).kv("finished_at", iso_utc(s_.ingest_finished_at));
        w.key("sources").begin_array();
        for (const auto& x : s_.ingest_sources) w.value(x);
        w.end_array();
        if (s_.ingest_summary) {
            const auto& o = *s_.ingest_summary;
            w.key("summary").begin_object().kv("read", static_cast<long long>(o.read)).kv("stored", static_cast<long long>(o.stored))
                .kv("duplicates", static_cast<long long>(o.duplicates)).kv("repaired", static_cast<long long>(o.repaired))
                .kv("skipped", static_cast<long long>(o.skipped)).kv("total_messages", static_cast<long long>(o.total_messages));
            w.key("source_errors").begin_array();
            for (const auto& e : o.source_errors) w.value(e);
            w.end_array().end_object();
        } else {
            w.kv_null("summary");
        }
        if (s_.ingest_error.empty()) w.kv_null("error");
        else w.kv("error", s_.ingest_error);
        w.end_object();
        return w.str();
    }

    // GET /v1/digest: the weekly summary mail of an account (or the team digest) as an .eml download.
    int digest(HTTPServerResponse& resp, const std::string& method, const Snapshot& s, const Poco::Net::NameValueCollection& q) {
        require_method(method, "GET");
#if ILC_SERVICE_HAVE_DIGEST
        const bool team = q.has("team") && q.get("team") != "0" && q.get("team") != "false";
        const std::string account = q.get("account", "");
        if (team == !account.empty()) throw HttpError{400, "bad_query", "give either account=ORG or team=1"};
        const std::string lang = q.get("lang", "");
        if (!lang.empty() && lang != "fr" && lang != "en") throw HttpError{400, "bad_query", "lang: must be fr or en"};
        detect::AnalysisSettings settings = s.settings;
        settings.now = s.now;
        if (!lang.empty()) settings.lang = lang;
        digest::IsoWeek week;
        if (q.has("week")) {
            auto pw = digest::parse_iso_week(q.get("week"));
            if (!pw) throw HttpError{400, "bad_query", "week: " + pw.error().message + " (expected YYYY-Www, e.g. 2026-W46)"};
            week = pw.value();
        } else {
            week = digest::iso_week_of_day(detect::BusinessCalendar(settings.tz).local_day(settings.now));
        }
        // The snapshot keeps no texts: the digest reads the messages back from the store, as
        // header-only Messages with the full analysis made on slim records (the whole Messages
        // of a 1M store were ~3 GB per request); the texts a weekly digest quotes are read after.
        struct Input {
            detect::AnalysisResult analysis;
            std::vector<Message> messages;
        };
        auto load = [&s] {
            auto in = s.load_digest_input();
            if (!in) throw HttpError{503, "store", in.error().to_string()};
            Input out{std::move(in->analysis), {}};
            out.messages.reserve(in->mails.size());
            // Copies of the Mails' strings: the Mails and their MailText go with `in` below.
            for (auto& m : in->mails) out.messages.push_back(digest::header_message(std::move(m)));
            return out;
        };
        std::string eml, name;
        ReleaseFreedMemory release;  // the messages read back are freed on leaving
        if (team) {
            digest::TeamOptions o;
            o.week = week;
            o.lang = lang;
            // Without an owner or a manager build_team refuses before reading any message: that
            // answer needs no read of the whole store.
            const bool refused = settings.owners.empty() || settings.managers.empty();
            // The snapshot's result lacks the awaiting lists (AwaitingFact): analyzed again.
            // build_team reads no text of the messages.
            const auto in = refused ? Input() : load();
            auto d = digest::build_team(in.messages, refused ? s.result : in.analysis, settings, o);
            if (!d) throw HttpError{d.error().code == ErrorCode::not_found ? 404 : 400, "digest", d.error().message};
            eml = digest::render_mail(digest::team_mail(d.value(), settings));
            name = "team-" + week.to_string() + ".eml";
        } else {
            if (!s.stakeholders_by_account.count(account) && !s.last_activity_by_account.count(account))
                throw HttpError{404, "not_found", "no account '" + account + "' in this mailbox"};
            digest::DigestOptions o;
            o.account = account;
            o.week = week;
            o.lang = lang;
            auto in = load();  // with the awaiting lists the snapshot drops
            const auto threads = s.threads.to_threads();
            // build_weekly quotes the new text and cues of a few messages: only those are read
            // back whole.
            if (auto st = s.load_digest_texts(in.messages, digest::weekly_text_messages(in.messages, threads, settings, o)); !st)
                throw HttpError{503, "store", st.error().to_string()};
            auto d = digest::build_weekly(in.messages, threads, in.analysis, settings, o);
            if (!d) throw HttpError{d.error().code == ErrorCode::not_found ? 404 : 400, "digest", d.error().message};
            eml = digest::render_mail(digest::weekly_mail(d.value(), settings));
            name = account + "-" + week.to_string() + ".eml";
        }
        for (auto& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
        resp.set("Content-Disposition", "attachment; filename=\"" + name + "\"");
        return send(resp, 200, eml, "message/rfc822");
#else
        (void)s;
        (void)q;
        throw HttpError{501, "not_implemented", "this build has no digest (ilc_digest)"};
#endif
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
    impl->static_dir = resolve_static_dir(opts.static_dir);
    if (impl->static_dir.empty())
        return Error{ErrorCode::not_found, "the dashboard files (index.html) were not found" +
                         (opts.static_dir.empty() ? std::string() : " in " + opts.static_dir),
                     "pass --static-dir DIR or set ILC_STATIC_DIR to the folder holding index.html"};
    {
        const std::string lock = opts.snapshot.db_path + ".serve.lock";
        impl->serve_lock.fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        // A store in a read-only place cannot hold the lock file: serving it read-only is still fine.
        if (impl->serve_lock.fd >= 0) {
            if (::flock(impl->serve_lock.fd, LOCK_EX | LOCK_NB) != 0) {
                char buf[32] = {};
                ssize_t n = ::pread(impl->serve_lock.fd, buf, sizeof buf - 1, 0);
                std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
                while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
                return Error{ErrorCode::db_locked,
                             "another `interlocutor serve` is already serving " + opts.snapshot.db_path +
                                 (pid.empty() ? std::string() : " (pid " + pid + ")"),
                             "use that one (its URL is in its log), stop it first, or pass --db FILE for another store"};
            }
            const std::string me = std::to_string(::getpid()) + "\n";
            if (::ftruncate(impl->serve_lock.fd, 0) == 0) (void)!::pwrite(impl->serve_lock.fd, me.data(), me.size(), 0);
        }
    }
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
        if (impl->server) impl->server->stopAll(true);
        return Error{ErrorCode::network, "cannot listen on 127.0.0.1:" + std::to_string(opts.port) + ": " + e.displayText(),
                     "is another `interlocutor serve` running? pass --port N"};
    }
    // The IPv6 loopback too, on the same port ("localhost" may resolve to ::1 first). Best effort:
    // without IPv6, or with that port taken on ::1, 127.0.0.1 alone serves.
    try {
        Poco::Net::ServerSocket socket6(Poco::Net::SocketAddress("::1", static_cast<Poco::UInt16>(impl->port)));
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(opts.max_threads);
        params->setMaxQueued(64);
        params->setKeepAlive(true);
        params->setTimeout(Poco::Timespan(10, 0));
        impl->server6 = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), socket6, params);
        impl->server6->start();
    } catch (const Poco::Exception&) {
        impl->server6.reset();
    }
    if (opts.sync_every_minutes > 0 && opts.ingest_runner)
        impl->sync_thread = std::thread([p = impl.get(), m = opts.sync_every_minutes] { p->sync_loop(m); });
    return std::unique_ptr<Service>(new Service(std::move(impl)));
}

void Service::stop() {
    if (!impl_ || impl_->stopped) return;
    impl_->stopped = true;
    if (impl_->server6) impl_->server6->stopAll(true);
    if (impl_->server) impl_->server->stopAll(true);
    impl_->stop_ingest();
}

bool Service::start_ingest(std::string* why) { return impl_->start_ingest(why); }
bool Service::ingest_running() const {
    std::lock_guard lk(impl_->ingest_mu);
    return impl_->ingest_running;
}
const std::string& Service::static_dir() const { return impl_->static_dir; }

std::string resolve_static_dir(const std::string& explicit_dir) {
    auto usable = [](const fs::path& d) {
        std::error_code ec;
        return !d.empty() && fs::is_regular_file(d / "index.html", ec);
    };
    // An explicit directory is the user's choice: no silent fallback when it is wrong.
    if (!explicit_dir.empty()) return usable(explicit_dir) ? explicit_dir : std::string();
    if (const char* env = std::getenv("ILC_STATIC_DIR"); env && *env) return usable(env) ? std::string(env) : std::string();
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = exe.parent_path().parent_path() / "share" / "interlocutor" / "static";
        if (usable(installed)) return installed.lexically_normal().string();
    }
    if (usable(ILC_STATIC_DIR)) return ILC_STATIC_DIR;
    return "";
}

int Service::port() const { return impl_->port; }
const std::string& Service::token() const { return impl_->token; }
const std::string& Service::token_file() const { return impl_->token_file; }
const std::string& Service::log_file() const { return impl_->log_file; }
std::string Service::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/"; }
SnapshotCache& Service::cache() { return *impl_->cache; }

}  // namespace ilc::service
