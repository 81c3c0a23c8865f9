#pragma once
// Shared by the team tests: the back ends to run on, temp dirs, running the CLI.
#include <string>
#include <vector>

namespace ilc::test {

struct RunResult {
    int status = -1;
    std::string out;
};

// Runs a shell command, capturing stdout (stderr goes to the test log).
RunResult run(const std::string& command);
std::string quote(const std::string& s);
std::string bin();
std::string corpora();
// A fresh temporary directory, removed when the test process exits.
std::string temp_dir();
// The PostgreSQL URL with_pg.sh exported; a test that needs it fails when it is missing.
std::string pg_url();
// A fresh team database URL on each back end: an SQLite file, and a fresh PostgreSQL schema-less
// database (every table dropped) on the with_pg.sh cluster.
std::vector<std::string> team_urls();

}  // namespace ilc::test
