#pragma once
// Result<T>: the error type used at every library boundary (std::expected-style, as in mu).
// Exceptions of Poco, mimetic and SQLite are caught at one adapter each and turned into Error.
#include <string>
#include <utility>
#include <variant>

namespace ilc {

enum class ErrorCode {
    ok = 0,
    io,             // cannot open/read/write a file
    parse,          // input not understood at all (a single message is never an error: it gets warnings)
    db,             // SQLite/PostgreSQL failure
    db_locked,      // another writer holds the store
    schema,         // store written by a newer/unknown schema
    usage,          // bad command-line or API argument
    not_found,
    network,
    auth,
    tls,
    protocol,
    unsupported,
    internal,
};

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;  // what went wrong, for a person
    std::string hint;     // what to do about it ("is another `interlocutor serve` running?")

    std::string to_string() const { return hint.empty() ? message : message + " (" + hint + ")"; }
};

template <typename T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
    Result(Error e) : v_(std::move(e)) {}      // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace ilc
