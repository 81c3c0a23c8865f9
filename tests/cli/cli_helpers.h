#pragma once
#include <set>
#include <string>

namespace ilc::test {

struct RunResult {
    int status = -1;
    std::string out;
};

// Runs a shell command, capturing stdout (stderr goes to the test log).
RunResult run(const std::string& command);
std::string quote(const std::string& s);
std::string bin();
// A fresh temporary directory, removed at exit of the test process.
std::string temp_dir();
std::string corpora();
// Message ids of a `threads --format json` output.
std::set<std::string> thread_message_ids(const std::string& threads_json);
// Integer value of "key": N in a JSON text (first occurrence), -1 when absent.
long long json_int(const std::string& json, const std::string& key);

}  // namespace ilc::test
