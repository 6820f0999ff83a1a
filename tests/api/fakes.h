// Test doubles for the API client: a scripted HttpTransport that records what was sent and
// when (in virtual time), and an AccessTokenSource that counts refreshes.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/access_token_source.h"
#include "core/clock.h"
#include "http/transport.h"

namespace hubsync::testing {

inline HttpResponse response(int status, std::string body, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
}

struct SentRequest {
    HttpRequest request;
    Instant at;
    std::string authorization() const {
        for (const auto& [k, v] : request.headers)
            if (k == "Authorization") return v;
        return {};
    }
};

class ScriptedTransport final : public HttpTransport {
  public:
    using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

    explicit ScriptedTransport(Clock& clock) : clock_(clock) {}

    // Queued answers are used first, in order; then the handler, if any.
    void push(Result<HttpResponse> r) { queue_.push_back(std::move(r)); }
    void push(int status, std::string body, Headers headers = {}) {
        queue_.push_back(response(status, std::move(body), std::move(headers)));
    }
    void set_handler(Handler h) { handler_ = std::move(h); }

    Result<HttpResponse> send(const HttpRequest& request) override {
        sent.push_back({request, clock_.now()});
        if (!queue_.empty()) {
            auto r = std::move(queue_.front());
            queue_.pop_front();
            return r;
        }
        if (handler_) return handler_(request);
        return make_error(ErrorKind::kInternal, "test script exhausted");
    }

    std::vector<SentRequest> sent;

  private:
    Clock& clock_;
    std::deque<Result<HttpResponse>> queue_;
    Handler handler_;
};

class FakeTokens final : public AccessTokenSource {
  public:
    Result<std::string> access_token() override {
        ++access_calls;
        return current;
    }
    Result<std::string> refresh_after_unauthorized(const std::string& rejected) override {
        rejected_tokens.push_back(rejected);
        if (refresh_error) return *refresh_error;
        current = "fresh-token-" + std::to_string(rejected_tokens.size());
        return current;
    }

    std::string current = "first-token-abcdef";
    int access_calls = 0;
    std::vector<std::string> rejected_tokens;
    std::optional<Error> refresh_error;
};

}  // namespace hubsync::testing
