// interlocutor native-host: pairs the Thunderbird extension with the local service without
// copy-paste. Thunderbird starts this program and speaks the WebExtension native-messaging
// protocol on stdin/stdout: each message is a 32-bit length in native byte order followed by that
// many bytes of UTF-8 JSON. To any request object we answer {url, token, running}.
// `--install` writes the host manifest Thunderbird looks for; `--uninstall` removes it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.h"
#include "interlocutor/json_writer.h"

namespace ilc::cli {

namespace {

namespace fs = std::filesystem;

// The host name the extension passes to runtime.connectNative / sendNativeMessage, and the
// extension allowed to start us (the gecko id in plugin/thunderbird/manifest.json).
constexpr const char* kHostName = "interlocutor";
constexpr const char* kExtensionId = "interlocutor@interlocutor.dev";
// Firefox caps messages to a host at 4 GiB and from a host at 1 MiB; our requests are tiny, so a
// larger length means a confused peer and we stop instead of allocating it.
constexpr uint32_t kMaxRequest = 1 << 20;

bool read_exact(std::FILE* in, char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        size_t r = std::fread(buf + got, 1, n - got, in);
        if (r == 0) return false;
        got += r;
    }
    return true;
}

void write_message(const std::string& json) {
    uint32_t len = static_cast<uint32_t>(json.size());
    std::fwrite(&len, sizeof len, 1, stdout);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
}

std::string error_message(const std::string& text) {
    JsonWriter w(false);
    w.begin_object().kv("error", text).end_object();
    return w.str();
}

// Whether something listens on 127.0.0.1:port (the service), waiting at most 300 ms.
bool service_listening(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        ok = true;
    } else if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, 300) == 1) {
            int err = 0;
            socklen_t l = sizeof err;
            ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0;
        }
    }
    ::close(fd);
    return ok;
}

struct HostConfig {
    int port = 8765;
    std::string token_file;
};

Result<std::string> read_token(const std::string& path) {
    std::ifstream f(path);
    if (!f)
        return Error{ErrorCode::io, "cannot read the token file " + path,
                     "start 'interlocutor serve' once: it creates the token"};
    std::string tok;
    std::getline(f, tok);
    while (!tok.empty() && (tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
    if (tok.empty()) return Error{ErrorCode::io, "the token file " + path + " is empty", ""};
    return tok;
}

std::string answer(const HostConfig& c) {
    auto tok = read_token(c.token_file);
    if (!tok) return error_message(tok.error().message + (tok.error().hint.empty() ? "" : " (" + tok.error().hint + ")"));
    JsonWriter w(false);
    w.begin_object()
        .kv("url", "http://127.0.0.1:" + std::to_string(c.port) + "/")
        .kv("token", tok.value())
        .kv("running", service_listening(c.port))
        .end_object();
    return w.str();
}

// The protocol loop: one answer per request, until Thunderbird closes our stdin.
int serve_stdio(const HostConfig& c) {
    for (;;) {
        uint32_t len = 0;
        if (!read_exact(stdin, reinterpret_cast<char*>(&len), sizeof len)) return kExitOk;
        if (len > kMaxRequest) {
            write_message(error_message("request of " + std::to_string(len) + " bytes refused (limit 1 MiB)"));
            return kExitError;
        }
        std::string body(len, '\0');
        if (!read_exact(stdin, body.data(), len)) {
            std::cerr << "interlocutor native-host: truncated request (" << len << " bytes announced)\n";
            return kExitError;
        }
        size_t first = body.find_first_not_of(" \t\r\n");
        if (first == std::string::npos || body[first] != '{') write_message(error_message("a request must be a JSON object"));
        else write_message(answer(c));
    }
}

std::string self_path() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("interlocutor") : p.string();
}

// Thunderbird on Linux reads user-level host manifests from ~/.mozilla/native-messaging-hosts, the
// folder it shares with Firefox (measured with Thunderbird 153: a manifest only in
// ~/.thunderbird/native-messaging-hosts is not found).
std::vector<fs::path> manifest_dirs(const Args& args) {
    if (auto d = args.get("dir")) return {fs::path(*d)};
    const char* home = std::getenv("HOME");
    fs::path h = home && *home ? fs::path(home) : fs::path(".");
    return {h / ".mozilla" / "native-messaging-hosts"};
}

std::string shell_quote(const std::string& s) {
    std::string o = "'";
    for (char ch : s) o += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return o + "'";
}

int install(const Args& args, const HostConfig& c) {
    // The manifest's "path" takes no arguments, so a small launcher script carries our options.
    fs::path data_dir = fs::path(db_path(args)).parent_path();
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    fs::path launcher = data_dir / "native-host.sh";
    {
        std::ofstream f(launcher, std::ios::trunc);
        if (!f) return runtime_error(Error{ErrorCode::io, "cannot write " + launcher.string(), ""});
        f << "#!/bin/sh\n# Written by 'interlocutor native-host --install': Thunderbird starts this to pair the extension.\n"
          << "exec " << shell_quote(self_path()) << " native-host --port " << c.port << " --token-file "
          << shell_quote(c.token_file) << " \"$@\"\n";
    }
    ::chmod(launcher.c_str(), 0755);
    JsonWriter w(true);
    w.begin_object().kv("name", kHostName)
        .kv("description", "Interlocutor: gives the Thunderbird extension the local service's URL and token")
        .kv("path", fs::absolute(launcher).string()).kv("type", "stdio");
    w.key("allowed_extensions").begin_array().value(kExtensionId).end_array().end_object();
    for (const auto& dir : manifest_dirs(args)) {
        fs::create_directories(dir, ec);
        fs::path m = dir / (std::string(kHostName) + ".json");
        std::ofstream f(m, std::ios::trunc);
        if (!f) return runtime_error(Error{ErrorCode::io, "cannot write " + m.string(), "check the folder's permissions"});
        f << w.str() << "\n";
        std::cout << "installed " << m.string() << "\n";
    }
    std::cout << "launcher " << launcher.string() << " (service port " << c.port << ", token " << c.token_file << ")\n";
    return kExitOk;
}

int uninstall(const Args& args) {
    for (const auto& dir : manifest_dirs(args)) {
        fs::path m = dir / (std::string(kHostName) + ".json");
        std::error_code ec;
        if (fs::remove(m, ec)) std::cout << "removed " << m.string() << "\n";
    }
    std::error_code ec;
    fs::remove(fs::path(db_path(args)).parent_path() / "native-host.sh", ec);
    return kExitOk;
}

}  // namespace

int cmd_native_host(int argc, char** argv) {
    const std::vector<OptionSpec> specs = {
        db_option(),
        {"port", true, false, "the service's port on 127.0.0.1 (default: 8765)", "N"},
        {"token-file", true, false, "the service's token file (default: <db dir>/token)", "FILE"},
        {"install", false, false, "write the host manifest for Thunderbird (per user)", ""},
        {"uninstall", false, false, "remove the host manifest", ""},
        {"dir", true, false, "the native-messaging-hosts folder to use instead of the user's", "DIR"},
        {"help", false, false, "show this help", ""},
    };
    Args args;
    if (!args.parse(specs, argc, argv, 2)) return usage_error("native-host", args.error());
    if (args.has("help")) {
        std::cout << format_help("interlocutor native-host [--install|--uninstall] [--port N] [--token-file F] [--dir DIR]",
                                 "Started by Thunderbird (native messaging): answers the extension with the\n"
                                 "service's URL and token. '--install' registers it for the current user.",
                                 specs);
        return 0;
    }
    HostConfig c;
    if (auto p = args.get("port")) {
        char* end = nullptr;
        long v = std::strtol(p->c_str(), &end, 10);
        if (p->empty() || *end || v < 1 || v > 65535) return usage_error("native-host", "--port must be a number from 1 to 65535");
        c.port = static_cast<int>(v);
    }
    c.token_file = args.get_or("token-file", (fs::path(db_path(args)).parent_path() / "token").string());
    if (args.has("install") && args.has("uninstall")) return usage_error("native-host", "--install or --uninstall, not both");
    if (args.has("install")) return install(args, c);
    if (args.has("uninstall")) return uninstall(args);
    // Thunderbird passes the manifest path and the extension id as arguments: nothing to do with them.
    return serve_stdio(c);
}

}  // namespace ilc::cli
