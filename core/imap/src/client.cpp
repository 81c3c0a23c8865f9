// One IMAP connection (see client.h). Poco's socket, TLS and timeout exceptions are caught in
// this file only and turned into Errors a person can act on.
#include "client.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>

namespace ilc::imap {

namespace {

// Lines without a literal longer than this are refused: no real server sends them, and an
// endless line from a broken peer must not eat the memory.
constexpr size_t kMaxLine = 8u << 20;
constexpr uint64_t kMaxLiteral = 256u << 20;

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string base64(const std::string& s) {
    std::ostringstream o;
    Poco::Base64Encoder enc(o);
    enc.rdbuf()->setLineLength(0);
    enc << s;
    enc.close();
    return o.str();
}

void init_ssl_once() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

struct Client::Impl {
    Poco::Net::StreamSocket plain;
    std::unique_ptr<Poco::Net::SecureStreamSocket> tls;
    Poco::Net::StreamSocket& sock() { return tls ? static_cast<Poco::Net::StreamSocket&>(*tls) : plain; }
};

Client::Client() : impl_(std::make_unique<Impl>()) {}
Client::~Client() { close(); }

void Client::close() {
    try {
        if (impl_->tls) impl_->tls->close();
        else impl_->plain.close();
    } catch (...) {
        // Closing a socket the peer already dropped is not worth reporting.
    }
}

std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o + "\"";
}

Error Client::io_error(const std::string& what, const std::string& detail) const {
    return Error{ErrorCode::network, "IMAP " + peer_ + ": " + what + (doing_.empty() ? "" : " during " + doing_) +
                                         (detail.empty() ? "" : ": " + detail),
                 "check that the server is reachable and retry; what was stored so far is kept"};
}

Status Client::write_all(const std::string& data) {
    try {
        impl_->sock().sendBytes(data.data(), static_cast<int>(data.size()));
        return ok_status();
    } catch (const Poco::TimeoutException&) {
        return io_error("timed out sending", "");
    } catch (const Poco::Exception& e) {
        return io_error("cannot send", e.displayText());
    }
}

Status Client::read_more() {
    if (rpos_ > 0 && rpos_ >= rbuf_.size() / 2) {
        rbuf_.erase(0, rpos_);
        rpos_ = 0;
    }
    char buf[65536];
    int n = 0;
    try {
        n = impl_->sock().receiveBytes(buf, sizeof buf);
    } catch (const Poco::TimeoutException&) {
        return io_error("the server did not answer in time", "");
    } catch (const Poco::Exception& e) {
        // A TLS peer that drops the TCP connection without close_notify shows up as an OpenSSL
        // "unexpected eof": to a person that is the server closing the connection.
        std::string text = e.displayText();
        std::string low = text;
        for (auto& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (low.find("unexpected eof") != std::string::npos) return io_error("the server closed the connection", "");
        return io_error("connection lost", text);
    }
    if (n <= 0) return io_error("the server closed the connection", "");
    rbuf_.append(buf, static_cast<size_t>(n));
    bytes_in_ += n;
    return ok_status();
}

Result<Response> Client::read_response() {
    std::string resp;
    for (;;) {
        size_t eol;
        while ((eol = rbuf_.find('\n', rpos_)) == std::string::npos) {
            if (rbuf_.size() - rpos_ > kMaxLine)
                return Error{ErrorCode::protocol, "IMAP " + peer_ + ": a response line longer than 8 MB",
                             "the server is not speaking IMAP"};
            if (auto st = read_more(); !st) return st.error();
        }
        // Lines end with CRLF; a bare LF is tolerated (a quirk of some test servers).
        std::string_view line(rbuf_.data() + rpos_, eol - rpos_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        resp.append(line);
        resp += "\r\n";
        rpos_ = eol + 1;
        auto lit = trailing_literal_size(line);
        if (!lit) break;
        if (*lit > kMaxLiteral)
            return Error{ErrorCode::protocol,
                         "IMAP " + peer_ + ": the server announced a literal of " + std::to_string(*lit) + " bytes",
                         "larger than the 256 MB this client accepts"};
        while (rbuf_.size() - rpos_ < *lit)
            if (auto st = read_more(); !st) return st.error();
        resp.append(rbuf_, rpos_, *lit);
        rpos_ += *lit;
    }
    auto r = parse_response(resp);
    if (!r) {
        Error e = r.error();
        e.message = "IMAP " + peer_ + (doing_.empty() ? "" : " (" + doing_ + ")") + ": " + e.message;
        return e;
    }
    return r;
}

Result<std::string> Client::send(const std::string& command) {
    std::string tag = "a" + std::to_string(next_tag_++);
    if (auto st = write_all(tag + " " + command + "\r\n"); !st) return st.error();
    return tag;
}

Result<Response> Client::wait(const std::string& tag, const std::string& what,
                              const std::function<void(Response&)>& on_untagged) {
    doing_ = what;
    for (;;) {
        Result<Response> r = Error{};
        if (auto early = early_completions_.find(tag); early != early_completions_.end()) {
            r = std::move(early->second);
            early_completions_.erase(early);
        } else {
            r = read_response();
        }
        if (!r) return r.error();
        Response& resp = r.value();
        if (resp.type == ResponseType::tagged) {
            if (resp.tag != tag) {
                // Pipelined commands may complete out of order (RFC 3501 section 5.5): keep the
                // completion for the wait() of its own tag.
                early_completions_.emplace(resp.tag, std::move(resp));
                continue;
            }
            if (resp.status == Condition::ok) {
                doing_.clear();
                return r;
            }
            return Error{ErrorCode::protocol,
                         "IMAP " + peer_ + ": " + what + " failed: " + (resp.status == Condition::no ? "NO " : "BAD ") +
                             resp.text,
                         ""};
        }
        if (resp.type == ResponseType::untagged && resp.status == Condition::bye)
            return Error{ErrorCode::network, "IMAP " + peer_ + ": the server ended the session during " + what + ": " +
                                                 resp.text, "retry later; what was stored so far is kept"};
        if (resp.type == ResponseType::untagged && resp.code == "CAPABILITY") {
            caps_.clear();
            for (auto& v : resp.code_args) caps_.insert(upper(v.text));
        }
        if (resp.type == ResponseType::untagged && resp.name == "CAPABILITY") {
            caps_.clear();
            for (auto& v : resp.data) caps_.insert(upper(v.text));
        }
        if (on_untagged) on_untagged(resp);
    }
}

Result<Response> Client::run(const std::string& command, const std::string& what,
                             const std::function<void(Response&)>& on_untagged) {
    auto tag = send(command);
    if (!tag) return tag.error();
    return wait(tag.value(), what, on_untagged);
}

bool Client::has_capability(const std::string& cap) const { return caps_.count(upper(cap)) > 0; }

Status Client::refresh_capabilities(const Response* hint) {
    if (hint && hint->code == "CAPABILITY") {
        caps_.clear();
        for (auto& v : hint->code_args) caps_.insert(upper(v.text));
        return ok_status();
    }
    auto r = run("CAPABILITY", "CAPABILITY");
    if (!r) return r.error();
    return ok_status();
}

Result<Response> Client::append(const std::string& mailbox_arg, const std::string& flags, const std::string& data) {
    std::string cmd = "APPEND " + mailbox_arg + (flags.empty() ? "" : " (" + flags + ")") + " {" +
                      std::to_string(data.size()) + "}";
    auto tag = send(cmd);
    if (!tag) return tag.error();
    doing_ = "APPEND";
    // The server answers the literal announcement with a continuation, or refuses at once.
    for (;;) {
        auto r = read_response();
        if (!r) return r.error();
        if (r->type == ResponseType::continuation) break;
        if (r->type == ResponseType::tagged && r->tag == tag.value())
            return Error{ErrorCode::protocol, "IMAP " + peer_ + ": APPEND refused: " + r->text, r->code};
    }
    if (auto st = write_all(data + "\r\n"); !st) return st.error();
    return wait(tag.value(), "APPEND");
}

Status Client::open(const Url& url, const ConnectOptions& options) {
    using namespace Poco::Net;
    peer_ = url.host + ":" + std::to_string(url.port);
    const Poco::Timespan timeout(options.timeout_seconds, 0);
    Context::Ptr ctx;
    try {
        init_ssl_once();
        Context::Params params;
        params.caLocation = options.ca_file;
        params.loadDefaultCAs = options.ca_file.empty();
        // STRICT, not RELAXED: Poco skips the host name check for a loopback host unless the mode
        // is strict (SecureSocketImpl::verifyPeerCertificateImpl), and a name check is never optional.
        params.verificationMode = Context::VERIFY_STRICT;
        ctx = new Context(Context::TLS_CLIENT_USE, params);
    } catch (const Poco::Exception& e) {
        return Error{ErrorCode::tls, "cannot load the CA file '" + options.ca_file + "': " + e.displayText(),
                     "give a PEM file of CA certificates with --imap-ca or ILC_IMAP_CA"};
    }
    try {
        SocketAddress addr(url.host, url.port);
        impl_->plain.connect(addr, timeout);
        impl_->plain.setReceiveTimeout(timeout);
        impl_->plain.setSendTimeout(timeout);
    } catch (const Poco::Exception& e) {
        return Error{ErrorCode::network, "cannot connect to IMAP server " + peer_ + ": " + e.displayText(),
                     "check the host and port in the URL"};
    }
    auto start_tls = [&]() -> Status {
        try {
            impl_->tls = std::make_unique<SecureStreamSocket>(SecureStreamSocket::attach(impl_->plain, url.host, ctx));
            impl_->tls->completeHandshake();
            impl_->tls->verifyPeerCertificate();
            impl_->tls->setReceiveTimeout(timeout);
            impl_->tls->setSendTimeout(timeout);
            return ok_status();
        } catch (const CertificateValidationException& e) {
            // Poco's post-handshake check: the chain is trusted but the names do not match.
            impl_->tls.reset();
            return Error{ErrorCode::tls,
                         "TLS with IMAP server " + peer_ + " failed: its certificate, though signed by a trusted CA, "
                         "is not for the host name '" + url.host + "' (" + e.displayText() + ")",
                         "connect with the name the certificate was issued for"};
        } catch (const Poco::Exception& e) {
            impl_->tls.reset();
            return Error{ErrorCode::tls,
                         "TLS with IMAP server " + peer_ + " failed, its certificate is not trusted: " + e.displayText(),
                         options.ca_file.empty() ? "if the server uses a private CA, give its certificate with --imap-ca FILE (or ILC_IMAP_CA)"
                                                 : "the certificate is not signed by the CA in " + options.ca_file};
        }
    };
    if (url.security == Security::implicit_tls)
        if (auto st = start_tls(); !st) return st;

    doing_ = "the greeting";
    auto greet = read_response();
    if (!greet) return greet.error();
    if (greet->type != ResponseType::untagged || (greet->status != Condition::ok && greet->status != Condition::preauth))
        return Error{ErrorCode::protocol, "IMAP " + peer_ + ": unexpected greeting: " + greet->name + " " + greet->text,
                     "is this an IMAP port?"};
    doing_.clear();
    const bool preauth = greet->status == Condition::preauth;
    if (auto st = refresh_capabilities(&greet.value()); !st) return st;

    if (url.security == Security::starttls) {
        // STARTTLS is required for imap://: credentials never travel in clear text.
        if (!has_capability("STARTTLS"))
            return Error{ErrorCode::tls, "IMAP server " + peer_ + " does not offer STARTTLS",
                         "use imaps:// if the server has implicit TLS; plain-text IMAP is refused"};
        if (auto r = run("STARTTLS", "STARTTLS"); !r) return r.error();
        rbuf_.clear();
        rpos_ = 0;  // RFC 3501 section 6.2.1: nothing read before the handshake may be trusted
        if (auto st = start_tls(); !st) return st;
        if (auto st = refresh_capabilities(nullptr); !st) return st;
    }
    if (preauth) return ok_status();
    return login(url, options);
}

Status Client::login(const Url& url, const ConnectOptions& options) {
    auto pw = resolve_password(url, options);
    if (!pw) return pw.error();
    const bool plain_ok = has_capability("AUTH=PLAIN");
    const bool use_plain = options.auth == AuthMechanism::plain || (options.auth == AuthMechanism::automatic && plain_ok);
    Result<Response> r = Error{};
    if (use_plain) {
        // RFC 4616: authzid NUL authcid NUL passwd, base64; sent after the continuation (no SASL-IR
        // needed). The command text never reaches a log or an error message.
        std::string token = base64(std::string("\0", 1) + url.user + std::string("\0", 1) + pw.value());
        auto tag = send("AUTHENTICATE PLAIN");
        if (!tag) return tag.error();
        doing_ = "AUTHENTICATE";
        auto cont = read_response();
        if (!cont) return cont.error();
        if (cont->type == ResponseType::continuation) {
            if (auto st = write_all(token + "\r\n"); !st) return st;
            r = wait(tag.value(), "AUTHENTICATE PLAIN");
        } else if (cont->type == ResponseType::tagged) {
            r = Error{ErrorCode::auth, "IMAP " + peer_ + ": AUTHENTICATE PLAIN refused: " + cont->text, ""};
        } else {
            r = wait(tag.value(), "AUTHENTICATE PLAIN");
        }
    } else {
        if (has_capability("LOGINDISABLED"))
            return Error{ErrorCode::auth, "IMAP server " + peer_ + " refuses LOGIN (LOGINDISABLED)",
                         "the server wants another mechanism; try --imap-auth plain"};
        r = run("LOGIN " + quote(url.user) + " " + quote(pw.value()), "LOGIN");
    }
    if (!r) {
        if (r.error().code == ErrorCode::network) return r.error();
        return Error{ErrorCode::auth,
                     "IMAP login as " + url.user + " at " + peer_ + " refused by the server",
                     "check the password (ILC_IMAP_PASSWORD, ~/.netrc machine " + url.host + ")"};
    }
    return refresh_capabilities(&r.value());
}

}  // namespace ilc::imap
