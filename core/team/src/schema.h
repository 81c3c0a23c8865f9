#pragma once
// The team schema and its migrations (described in docs/TEAM.md).
#include <vector>

namespace ilc::team::detail {

struct Migration {
    int version;
    const char* sql;  // statements separated by ';', the same text for SQLite and PostgreSQL
};

const std::vector<Migration>& migrations();

}  // namespace ilc::team::detail
