#pragma once
// Shared by the team tests: the back ends to run on, temp dirs, running the CLI.
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "../cli/cli_helpers.h"  // run, quote, bin, corpora, temp_dir

namespace ilc::test {

// The PostgreSQL URL with_pg.sh exported; a test that needs it fails when it is missing.
std::string pg_url();
// A fresh team database URL on each back end: an SQLite file, and a fresh PostgreSQL schema-less
// database (every table dropped) on the with_pg.sh cluster.
std::vector<std::string> team_urls();

std::string read_file(const std::string& path);
size_t count_of(const std::string& text, const std::string& what);
// Polls cond every 100 ms until it holds or timeout_s passed; true when it held. Tests wait for
// what they need this way, never a fixed sleep: two busy cores make any fixed delay too short.
bool wait_for(const std::function<bool()>& cond, int timeout_s = 60);

// A child process running `sh -c command`, killed (SIGKILL) if the test leaves before it stopped.
struct Child {
    pid_t pid = -1;
    explicit Child(const std::string& command);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    // The exit status after SIGTERM, or -1 when it did not exit within the timeout.
    int terminate(int timeout_s);
};

}  // namespace ilc::test
