// team_bench: N simulated reps publish M messages' worth of team data each, all at once, into a
// team database, while a manager queries the team service; then the same queries on an idle
// server. Prints publish times and query latency percentiles (bench/team_bench.sh runs it).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "interlocutor/team/team_server.h"
#include "interlocutor/team/team_store.h"

using namespace ilc::team;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A rep's publish for `messages` messages: a thread per 4 messages, an account per 200, drawn
// from a pool shared by the team so that several reps talk to some accounts.
TeamSnapshot simulate(int rep, int messages, int account_pool) {
    std::mt19937 rng(unsigned(rep) * 7919u + 1u);
    TeamSnapshot s;
    s.rep = "rep" + std::to_string(rep);
    s.published_at = 1790000000;
    s.message_count = messages;
    const int threads = std::max(1, messages / 4), accounts = std::max(1, messages / 200);
    std::vector<std::string> mine;
    for (int a = 0; a < accounts; ++a) mine.push_back("account" + std::to_string(rng() % unsigned(account_pool)) + ".com");
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    for (const auto& a : mine) {
        s.accounts.push_back({a, 6, 3, threads / int(mine.size()), 1790000000});
        for (int c = 0; c < 5; ++c)
            s.contacts.push_back({a, "p" + std::to_string(c) + "@" + a, std::string("prescriber"), s.rep + "@team.fr",
                                  int(rng() % 5) + 1, false});
        if (rng() % 4 == 0)
            s.findings.push_back({"stalled_deal", a, "", int(rng() % 100), "not_urgent", "2026-10-01T10:00:00+02:00",
                                  true, "{}"});
    }
    for (int t = 0; t < threads; ++t) {
        ThreadMeta m;
        m.thread_id = s.rep + "." + std::to_string(t) + "@bench";
        m.account = mine[size_t(t) % mine.size()];
        m.subject = "Proposal " + std::to_string(t);
        m.first_date = 1780000000 + t;
        m.last_date = m.first_date + 86400;
        m.message_count = 4;
        m.participants = {s.rep + "@team.fr", "p" + std::to_string(t % 5) + "@" + m.account};
        s.threads.push_back(std::move(m));
        if (t % 20 == 0) s.findings.push_back({"awaiting_reply", mine[size_t(t) % mine.size()], s.rep + "." + std::to_string(t) + "@bench", 0, "", "", false, "{}"});
    }
    return s;
}

struct Latencies {
    std::vector<double> ms;
    double pct(double p) {
        if (ms.empty()) return 0;
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1, size_t(p * double(ms.size())))];
    }
};

int query(Poco::Net::HTTPClientSession& s, int port, const std::string& path, const std::string& token) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost("127.0.0.1:" + std::to_string(port));
    req.set("Authorization", "Bearer " + token);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    return resp.getStatus();
}

}  // namespace

int main(int argc, char** argv) {
    std::string url;
    int reps = 5, messages = 2000, queries = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--team") url = v;
        else if (k == "--reps") reps = std::atoi(v.c_str());
        else if (k == "--messages") messages = std::atoi(v.c_str());
        else if (k == "--queries") queries = std::atoi(v.c_str());
    }
    if (url.empty() || reps < 1 || messages < 1 || queries < 1) {
        std::cerr << "usage: team_bench --team URL [--reps N] [--messages M] [--queries Q]\n";
        return 2;
    }
    auto admin = TeamStore::open(url);
    if (!admin) {
        std::cerr << "team_bench: " << admin.error().to_string() << "\n";
        return 1;
    }
    auto token = admin.value()->add_user("bench-manager", Role::manager);
    if (!token) {
        std::cerr << "team_bench: " << token.error().to_string() << "\n";
        return 1;
    }
    auto srv = TeamServer::start({url, 0, 4});
    if (!srv) {
        std::cerr << "team_bench: " << srv.error().to_string() << "\n";
        return 1;
    }
    const int port = srv.value()->port();
    const int pool = std::max(10, reps * 2);
    const std::vector<std::string> paths = {"/v1/team/stalled", "/v1/team/accounts", "/v1/team/reps",
                                            "/v1/team/who-knows?account=account1.com", "/v1/team/stalled?account=account3.com"};

    std::vector<TeamSnapshot> snaps;
    for (int r = 0; r < reps; ++r) snaps.push_back(simulate(r, messages, pool));
    std::atomic<int> failures{0}, done{0};
    std::vector<double> publish_ms(size_t(reps), 0.0);
    Latencies idle;
    int bad_status = 0;

    // One round: every rep publishes at once while the manager keeps querying the service.
    auto round = [&](Latencies& during) {
        done = 0;
        auto t0 = Clock::now();
        std::vector<std::thread> workers;
        for (int r = 0; r < reps; ++r)
            workers.emplace_back([&, r] {
                auto t = Clock::now();
                auto db = TeamStore::open(url);
                if (!db) {
                    std::cerr << "rep" << r << ": " << db.error().to_string() << "\n";
                    ++failures;
                } else if (auto st = db.value()->publish(snaps[size_t(r)]); !st) {
                    std::cerr << "rep" << r << ": " << st.error().to_string() << "\n";
                    ++failures;
                }
                publish_ms[size_t(r)] = ms_since(t);
                ++done;
            });
        Poco::Net::HTTPClientSession s("127.0.0.1", Poco::UInt16(port));
        size_t i = 0;
        while (done.load() < reps) {
            auto t = Clock::now();
            if (query(s, port, paths[i++ % paths.size()], token.value()) != 200) ++bad_status;
            during.ms.push_back(ms_since(t));
        }
        for (auto& w : workers) w.join();
        return ms_since(t0);
    };
    Latencies busy, rebusy;
    const double wall = round(busy);
    Latencies pub{publish_ms};
    {
        Poco::Net::HTTPClientSession s("127.0.0.1", Poco::UInt16(port));
        for (int q = 0; q < queries; ++q) {
            auto t = Clock::now();
            if (query(s, port, paths[size_t(q) % paths.size()], token.value()) != 200) ++bad_status;
            idle.ms.push_back(ms_since(t));
        }
    }
    // The same publishes again over a full database: the manager now reads the previous round.
    const double rewall = round(rebusy);
    Latencies repub{publish_ms};
    srv.value()->stop();
    auto counts = admin.value()->connection().query("SELECT (SELECT COUNT(*) FROM team_threads), (SELECT COUNT(*) FROM team_participants), (SELECT COUNT(*) FROM team_findings)");
    std::printf("reps=%d messages_per_rep=%d backend=%s\n", reps, messages, url.rfind("postgres", 0) == 0 ? "postgresql" : "sqlite");
    if (counts) std::printf("rows: threads=%s participants=%s findings=%s\n", counts->at(0)[0]->c_str(), counts->at(0)[1]->c_str(), counts->at(0)[2]->c_str());
    std::printf("publish: all %d reps concurrently in %.0f ms wall; per rep p50 %.0f ms p99 %.0f ms; failures %d\n", reps, wall,
                pub.pct(0.5), pub.pct(0.99), failures.load());
    std::printf("manager queries during publish: n=%zu p50 %.1f ms p99 %.1f ms\n", busy.ms.size(), busy.pct(0.5), busy.pct(0.99));
    std::printf("re-publish: all %d reps concurrently in %.0f ms wall; per rep p50 %.0f ms p99 %.0f ms\n", reps, rewall,
                repub.pct(0.5), repub.pct(0.99));
    std::printf("manager queries during re-publish: n=%zu p50 %.1f ms p99 %.1f ms\n", rebusy.ms.size(), rebusy.pct(0.5),
                rebusy.pct(0.99));
    std::printf("manager queries idle: n=%zu p50 %.1f ms p99 %.1f ms\n", idle.ms.size(), idle.pct(0.5), idle.pct(0.99));
    std::printf("non-200 answers: %d\n", bad_status);
    return failures.load() == 0 && bad_status == 0 ? 0 : 1;
}
