#include "cli_helpers.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace ilc::test {

RunResult run(const std::string& command) {
    RunResult r;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return r;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    return q + "'";
}

std::string bin() { return quote(ILC_BIN); }
std::string corpora() { return std::string(ILC_SHARED) + "/corpora"; }

namespace {
struct TempDirs {
    std::vector<std::string> dirs;
    ~TempDirs() {
        std::error_code ec;
        for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
};
TempDirs g_dirs;
}  // namespace

std::string temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ilc-cli-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* d = ::mkdtemp(buf.data());
    // A test must never write into "" (the current directory): no temp dir is a hard failure.
    if (!d) throw std::runtime_error("cannot create a temporary directory under " + tmpl);
    g_dirs.dirs.push_back(d);
    return g_dirs.dirs.back();
}

std::set<std::string> thread_message_ids(const std::string& json) {
    // The ids are the strings inside each "message_ids": [...] array.
    std::set<std::string> ids;
    size_t pos = 0;
    while ((pos = json.find("\"message_ids\":[", pos)) != std::string::npos) {
        pos += 15;
        size_t end = json.find(']', pos);
        while (pos < end) {
            size_t a = json.find('"', pos);
            if (a == std::string::npos || a > end) break;
            size_t b = a + 1;
            std::string id;
            while (b < json.size() && json[b] != '"') {
                if (json[b] == '\\') ++b;
                id += json[b++];
            }
            ids.insert(id);
            pos = b + 1;
        }
        pos = end;
    }
    return ids;
}

long long json_int(const std::string& json, const std::string& key) {
    std::string k = "\"" + key + "\":";
    auto p = json.find(k);
    if (p == std::string::npos) return -1;
    p += k.size();
    while (p < json.size() && json[p] == ' ') ++p;
    return std::atoll(json.c_str() + p);
}

}  // namespace ilc::test
