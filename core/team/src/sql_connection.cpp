#include "interlocutor/team/sql_connection.h"

#include "backends.h"

namespace ilc::team {

namespace {
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

Result<std::unique_ptr<SqlConnection>> open_connection(const std::string& url) {
    if (url.empty())
        return Error{ErrorCode::usage, "no team database given",
                     "pass --team postgresql://user@host/dbname (or an SQLite file path)"};
    if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) return detail::open_postgresql(url);
    if (starts_with(url, "sqlite:")) return detail::open_sqlite(url.substr(7));
    if (url.find("://") != std::string::npos)
        return Error{ErrorCode::usage, "unsupported team database URL '" + redact_url(url) + "'",
                     "use postgresql://user@host/dbname or an SQLite file path"};
    return detail::open_sqlite(url);
}

std::string redact_url(const std::string& url) {
    // postgresql://user:secret@host/db -> postgresql://user:***@host/db; a password may also be
    // a "password=" query parameter.
    std::string out = url;
    auto scheme = out.find("://");
    if (scheme != std::string::npos) {
        auto at = out.find('@', scheme + 3);
        auto colon = out.find(':', scheme + 3);
        if (at != std::string::npos && colon != std::string::npos && colon < at)
            out.replace(colon + 1, at - colon - 1, "***");
    }
    auto pw = out.find("password=");
    if (pw != std::string::npos) {
        auto end = out.find('&', pw);
        out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
    }
    return out;
}

}  // namespace ilc::team
