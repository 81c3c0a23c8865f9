#include "team_test_helpers.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "interlocutor/team/sql_connection.h"

namespace ilc::test {

// run, quote, bin, corpora and temp_dir come from tests/cli/cli_helpers.cpp.

std::string pg_url() {
    const char* u = std::getenv("ILC_TEAM_PG_URL");
    INFO("ILC_TEAM_PG_URL is not set: run the tests through tests/team/with_pg.sh (ctest does)");
    REQUIRE(u != nullptr);
    return u;
}

std::vector<std::string> team_urls() {
    std::vector<std::string> urls = {temp_dir() + "/team.db"};
    // Each case starts from an empty PostgreSQL database: drop what an earlier case created.
    const std::string pg = pg_url();
    auto c = team::open_connection(pg);
    REQUIRE(c.ok());
    auto tables = c.value()->query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    REQUIRE(tables.ok());
    for (const auto& row : tables.value()) REQUIRE(c.value()->exec_script("DROP TABLE \"" + *row[0] + "\" CASCADE").ok());
    urls.push_back(pg);
    return urls;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

bool wait_for(const std::function<bool()>& cond, int timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
}

Child::Child(const std::string& command) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
}

Child::~Child() {
    if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
}

int Child::terminate(int timeout_s) {
    ::kill(pid, SIGTERM);
    int result = -1;
    wait_for(
        [&] {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) != pid) return false;
            pid = -1;
            result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return true;
        },
        timeout_s);
    return result;
}

}  // namespace ilc::test
