#pragma once
// The team service: a Poco HTTP JSON API on 127.0.0.1 over the team database (docs/TEAM.md).
// Every request but /v1/health needs "Authorization: Bearer <token>" of a user made with
// `interlocutor team user add`; a rep sees their own findings and the team view, a manager the
// team view and the per-rep summary.
#include <memory>
#include <string>

#include "interlocutor/result.h"

namespace ilc::team {

struct TeamServerOptions {
    std::string url;       // the team database
    int port = 8766;       // 0 = any free port
    int connections = 4;   // database connections shared by the request threads
};

class TeamServer {
public:
    static Result<std::unique_ptr<TeamServer>> start(const TeamServerOptions& opts);
    virtual ~TeamServer() = default;
    virtual int port() const = 0;
    virtual void stop() = 0;
};

}  // namespace ilc::team
