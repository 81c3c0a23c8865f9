// default_db_path(): where the per-user database lives when --db is not given.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "interlocutor/store/store.h"

namespace ilc::store {

namespace {

// mkdir -p with mode 0700 for the directories it creates; existing ones keep their mode.
void make_dirs(const std::string& dir) {
    for (size_t pos = 1; pos <= dir.size(); ++pos) {
        if (pos == dir.size() || dir[pos] == '/') {
            std::string part = dir.substr(0, pos);
            ::mkdir(part.c_str(), 0700);  // EEXIST is the common case; other errors show at open
        }
    }
}

std::string home_dir() {
    const char* home = std::getenv("HOME");
    if (home && *home) return home;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
    return ".";
}

}  // namespace

std::string default_db_path() {
    // XDG Base Directory Specification: "If $XDG_DATA_HOME is either not set or empty, a default
    // equal to $HOME/.local/share should be used" and relative paths "should be ignored".
    std::string base;
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && xdg[0] == '/') base = xdg;
    else base = home_dir() + "/.local/share";
    std::string dir = base + "/interlocutor";
    make_dirs(dir);
    return dir + "/interlocutor.db";
}

}  // namespace ilc::store
