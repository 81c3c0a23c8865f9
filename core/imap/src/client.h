#pragma once
// Private: one IMAP connection on Poco sockets (TLS through NetSSL_OpenSSL). Commands are sent
// with their own tags and may be pipelined; responses are read whole (line plus literals) and
// handed to parse_response. Every Poco exception is caught here and becomes an Error.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "interlocutor/imap/imap.h"
#include "interlocutor/imap/response.h"

namespace ilc::imap {

class Client {
public:
    Client();
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects (TLS or STARTTLS, certificate verified), reads the greeting and logs in.
    Status open(const Url& url, const ConnectOptions& options);

    // Sends one command (without tag and CRLF) and returns its tag; nothing is read.
    Result<std::string> send(const std::string& command);
    // Reads responses until the tagged completion of `tag`; untagged ones go to on_untagged.
    // A NO or BAD completion is an Error naming `what`.
    Result<Response> wait(const std::string& tag, const std::string& what,
                          const std::function<void(Response&)>& on_untagged = {});
    // send + wait.
    Result<Response> run(const std::string& command, const std::string& what,
                         const std::function<void(Response&)>& on_untagged = {});
    // APPEND with a synchronizing literal (RFC 3501 section 6.3.11).
    Result<Response> append(const std::string& mailbox_arg, const std::string& flags, const std::string& data);

    bool has_capability(const std::string& cap) const;
    int64_t bytes_received() const { return bytes_in_; }
    void close();

private:
    Result<Response> read_response();
    Status read_more();
    Status write_all(const std::string& data);
    Status login(const Url& url, const ConnectOptions& options);
    Status refresh_capabilities(const Response* hint);
    Error io_error(const std::string& what, const std::string& detail) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string rbuf_;
    size_t rpos_ = 0;
    int64_t bytes_in_ = 0;
    unsigned next_tag_ = 1;
    std::set<std::string> caps_;
    std::map<std::string, Response> early_completions_;  // tagged answers read while waiting for another tag
    std::string peer_;   // host:port for messages
    std::string doing_;  // the command being answered, for "closed the connection during ..."
};

// The password for user@host: ConnectOptions.password, ILC_IMAP_PASSWORD, ~/.netrc, a prompt.
Result<std::string> resolve_password(const Url& url, const ConnectOptions& options);

// "quoted" IMAP string with \ and " escaped (RFC 3501 section 4.3).
std::string quote(const std::string& s);

}  // namespace ilc::imap
