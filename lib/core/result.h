// Errors as values: every fallible engine call returns Result<T> (or Status) with a kind
// that decides retry policy and exit code, and a message that tells a person what to do.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hubsync {

enum class ErrorKind {
    kTransient,     // network, timeout, 5xx: retry later
    kRateLimited,   // 429: wait for the window
    kUnauthorized,  // 401 that survived a refresh
    kAuthRequired,  // invalid_grant, no tokens: a person must run `hubsync authorize`
    kForbidden,     // 403: missing scope
    kBadData,       // HubSpot sent something we cannot handle
    kConfig,        // configuration problem
    kUsage,         // bad command line
    kIo,            // local file system / database failure
    kNotFound,      // a looked-up thing does not exist
    kCancelled,     // stop requested (signal)
    kInternal,      // a bug
};

const char* to_string(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::kInternal;
    std::string message;  // what happened, one line, no secrets
    std::string hint;     // what to do about it, may be empty

    // The full line shown to a person: "message (hint)".
    std::string describe() const;
    // The sysexits code a command exits with for this error.
    int exit_code() const;
    bool retryable() const {
        return kind == ErrorKind::kTransient || kind == ErrorKind::kRateLimited;
    }
};

inline Error make_error(ErrorKind kind, std::string message, std::string hint = {}) {
    return Error{kind, std::move(message), std::move(hint)};
}

// Result<T> holds a value or an Error. Callers must look at ok() before value().
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

  private:
    std::variant<T, Error> v_;
};

// Status is Result<void>: ok, or an Error.
class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
    static Status Ok() { return {}; }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const& { return error_; }
    Error&& error() && { return std::move(error_); }

  private:
    Error error_;
    bool ok_ = true;
};

}  // namespace hubsync

#define HS_CONCAT_INNER(a, b) a##b
#define HS_CONCAT(a, b) HS_CONCAT_INNER(a, b)

// Propagate an error from an expression yielding Status or Result<T>.
#define HS_RETURN_IF_ERROR(expr) HS_RETURN_IF_ERROR_IMPL(HS_CONCAT(hs_status_, __COUNTER__), expr)
#define HS_RETURN_IF_ERROR_IMPL(tmp, expr)            \
    do {                                              \
        auto tmp = (expr);                            \
        if (!tmp.ok()) return std::move(tmp).error(); \
    } while (0)

// Evaluate a Result<T>, return its error, or move its value into `lhs`.
#define HS_ASSIGN_OR_RETURN(lhs, expr) \
    HS_ASSIGN_OR_RETURN_IMPL(HS_CONCAT(hs_result_, __COUNTER__), lhs, expr)
#define HS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)  \
    auto tmp = (expr);                            \
    if (!tmp.ok()) return std::move(tmp).error(); \
    lhs = std::move(tmp).value()
