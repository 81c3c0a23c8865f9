// Where the IMAP password comes from: never the command line (it would show in `ps` and in the
// shell history). In order: the API caller, ILC_IMAP_PASSWORD, ~/.netrc, a no-echo prompt.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "client.h"

namespace ilc::imap {

namespace {

// ~/.netrc (ftp(1) format): "machine HOST login USER password PASS" tokens, "default" last.
// A machine entry without login matches any user.
std::optional<std::string> netrc_password(const std::string& host, const std::string& user) {
    const char* home = std::getenv("HOME");
    if (!home) return std::nullopt;
    std::ifstream in(std::string(home) + "/.netrc");
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> tok;
    for (std::string t; ss >> t;) tok.push_back(t);
    struct Entry { std::string machine, login, password; bool is_default = false; };
    std::vector<Entry> entries;
    for (size_t i = 0; i < tok.size(); ++i) {
        if (tok[i] == "machine" && i + 1 < tok.size()) entries.push_back({tok[++i], "", "", false});
        else if (tok[i] == "default") entries.push_back({"", "", "", true});
        else if (tok[i] == "login" && i + 1 < tok.size() && !entries.empty()) entries.back().login = tok[++i];
        else if (tok[i] == "password" && i + 1 < tok.size() && !entries.empty()) entries.back().password = tok[++i];
    }
    for (const auto& e : entries)
        if (!e.is_default && e.machine == host && (e.login.empty() || e.login == user) && !e.password.empty())
            return e.password;
    for (const auto& e : entries)
        if (e.is_default && (e.login.empty() || e.login == user) && !e.password.empty()) return e.password;
    return std::nullopt;
}

std::optional<std::string> prompt_password(const std::string& who) {
    if (!isatty(STDIN_FILENO)) return std::nullopt;
    std::fprintf(stderr, "IMAP password for %s: ", who.c_str());
    std::fflush(stderr);
    termios old {};
    const bool have_term = tcgetattr(STDIN_FILENO, &old) == 0;
    if (have_term) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (have_term) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    return line;
}

}  // namespace

Result<std::string> resolve_password(const Url& url, const ConnectOptions& options) {
    if (!options.password.empty()) return options.password;
    if (const char* env = std::getenv("ILC_IMAP_PASSWORD"); env && *env) return std::string(env);
    if (auto p = netrc_password(url.host, url.user)) return *p;
    if (auto p = prompt_password(url.user + "@" + url.host)) return *p;
    return Error{ErrorCode::auth, "no IMAP password for " + url.user + "@" + url.host,
                 "set ILC_IMAP_PASSWORD, add 'machine " + url.host + " login " + url.user +
                     " password ...' to ~/.netrc, or run on a terminal to be asked"};
}

}  // namespace ilc::imap
