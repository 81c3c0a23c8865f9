#pragma once
// Helpers shared by the container-reader and MIME tests (mime's test files).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../../parsers/src/gzip_stream.h"
#include "../../parsers/src/mbox_reader.h"
#include "interlocutor/parsers/source.h"

namespace ilc::test {

inline std::string to_crlf(const std::string& s) {
    std::string out;
    out.reserve(s.size() + s.size() / 16);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
        out += s[i];
    }
    return out;
}

// Line-ending variants every malformed case runs with.
enum class Eol { lf, crlf };
inline std::string with_eol(const std::string& s, Eol e) { return e == Eol::crlf ? to_crlf(s) : s; }

inline std::vector<parsers::RawMessage> read_mbox_buffer(const std::string& data, size_t block = 1 << 20,
                                                        const parsers::ParserOptions& opts = {}) {
    parsers::MboxReader r(parsers::memory_input(data), "mem.mbox", "mem", opts, block);
    std::vector<parsers::RawMessage> out;
    while (auto m = r.next()) out.push_back(std::move(*m));
    return out;
}

inline std::vector<parsers::RawMessage> read_all(parsers::Source& s) {
    std::vector<parsers::RawMessage> out;
    while (auto m = s.next()) out.push_back(std::move(*m));
    return out;
}

inline bool has_warning(const std::vector<Warning>& w, const std::string& code) {
    for (const auto& x : w)
        if (x.code == code) return true;
    return false;
}

inline std::string slurp(const std::string& path) {
    std::string out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return out;
    char buf[65536];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, k);
    std::fclose(f);
    return out;
}

inline std::string temp_dir(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() / ("ilc-mime-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p.string();
}

inline void write_file(const std::string& path, const std::string& data) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(data.data(), 1, data.size(), f);
    std::fclose(f);
}

// Runs a command and returns its standard output.
inline std::string run_command(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
    ::pclose(p);
    return out;
}

}  // namespace ilc::test
