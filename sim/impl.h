// The simulator's internals shared by its route files: request/response values, OAuth state,
// rate limiters, faults and the request log. Not part of the public API.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/simulator.h"
#include "sim/store.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace hubsync::sim {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct SimRequest {
    std::string method;
    std::string target;  // raw request target
    std::string path;    // decoded path, no query
    std::string query;   // raw query
    QueryParams params;  // decoded query parameters, in order
    std::string body;
    std::string content_type;
    std::string authorization;

    std::string param(std::string_view name) const;
    bool has_param(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
};

struct SimResponse {
    int status = 200;
    std::string content_type = "application/json;charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool expired_token = false;
    bool reset_mid_body = false;  // set by a fault: send half the body, then reset
};

// Percent-decoding and form parsing, written here (not shared with the client) so a client
// encoding bug is caught rather than mirrored.
std::string percent_decode(std::string_view text, bool plus_is_space);
QueryParams parse_form(std::string_view text);
std::string percent_encode(std::string_view text);

class Simulator::Impl final {
  public:
    explicit Impl(SimOptions options);
    ~Impl();

    Status start();
    void stop();
    void handle(SimRequest& req, SimResponse& resp);

    // -- shared helpers
    std::int64_t now_ms() const { return to_epoch_ms(clock_->now()); }
    std::string correlation_id();
    void error_body(SimResponse& resp, int status, std::string_view category,
                    std::string_view message);
    // 403 MISSING_SCOPES naming the granular scopes the call needs, as HubSpot sends it.
    void missing_scopes(SimResponse& resp, const std::vector<std::string_view>& scopes,
                        std::string_view message = {});
    // OAuth endpoints' errors: RFC 6749 `error`/`error_description` and HubSpot's legacy
    // `status`/`message`.
    void oauth_error(SimResponse& resp, int status, std::string_view error,
                     std::string_view hs_status, std::string_view message);

    // -- OAuth (oauth_routes.cc)
    struct AccessToken {
        std::int64_t expires_ms = 0;
        std::vector<std::string> scopes;
        std::string refresh_token;
        bool app_level = false;  // client_credentials: the app's own, no account behind it
    };
    struct RefreshToken {
        std::vector<std::string> scopes;
    };
    struct AuthCode {
        std::string redirect_uri;
        std::vector<std::string> scopes;
        std::int64_t expires_ms = 0;
        std::string challenge, challenge_method;
    };
    struct Consent {
        std::string redirect_uri, state, challenge, challenge_method;
        std::vector<std::string> scopes;
    };
    Tokens mint_tokens(const std::vector<std::string>& scopes);
    Tokens mint_app_token(const std::vector<std::string>& scopes);
    std::string mint_code(const std::string& redirect_uri, const std::vector<std::string>& scopes,
                          const std::string& challenge, const std::string& method);
    bool route_oauth(SimRequest& req, SimResponse& resp);
    enum class OAuthCall { kToken, kIntrospect, kRevoke };
    void token_grant(const QueryParams& form, SimResponse& resp);
    void introspect(const QueryParams& form, SimResponse& resp);
    void revoke(const QueryParams& form, SimResponse& resp);
    void legacy_token_lookup(const SimRequest& req, SimResponse& resp);
    // `token` and `token_type_hint` of an introspect or revoke form; false (and a 400) when
    // the token is missing or the hint unknown.
    bool token_form(const QueryParams& form, SimResponse& resp, std::string& token,
                    std::string& hint);
    void append_account(std::string& out) const;           // hub and user facts of a token
    void revoke_refresh_locked(const std::string& token);  // with auth_mu_ held
    // Checks the bearer token; fills resp with 401/403 and returns nullptr-like false.
    bool authenticate(const SimRequest& req, SimResponse& resp, std::string_view scope,
                      std::string& token_out);
    bool token_has_scope(const std::string& token, std::string_view scope) const;
    bool redirect_uri_registered(const std::string& uri) const;
    void revoke_all_refresh_tokens();

    // -- CRM (crm_routes.cc)
    bool route_crm(SimRequest& req, SimResponse& resp);
    // -- admin (admin_routes.cc)
    void route_admin(SimRequest& req, SimResponse& resp);

    // -- rate limits: false (and a 429 in resp) when over the limit. Both buckets are the
    // account's (one installed app on one account), whichever token asks.
    bool take_ten_secondly(SimResponse& resp);
    bool take_secondly(SimResponse& resp);

    // -- retired API generations: false when `req` may go on; else resp is the 404.
    bool answer_if_retired(const SimRequest& req, SimResponse& resp);

    // -- faults
    std::optional<FaultRule> match_fault(const SimRequest& req);
    // Answers a fault that stands in for the real answer (status, 429, HTML page).
    void answer_fault(const FaultRule& fault, SimResponse& resp);
    void add_fault(FaultRule rule);
    void clear_faults();
    std::vector<FaultRule> faults() const;

    // -- request log
    void log_request(const SimRequest& req, const SimResponse& resp, Instant received);

    SimOptions opts_;
    Clock* clock_;
    ContactStore store_;
    std::atomic<bool> rate_limits_;
    std::atomic<bool> rotate_;
    std::atomic<bool> legacy_off_;
    // rotation_grace: new refresh token -> the old one it replaces, retired on first use.
    std::map<std::string, std::string> retire_on_use_;

    mutable std::mutex auth_mu_;
    std::unordered_map<std::string, AccessToken> access_;
    std::unordered_map<std::string, RefreshToken> refresh_;
    std::unordered_map<std::string, AuthCode> codes_;
    std::unordered_map<std::string, Consent> consents_;
    std::mt19937_64 token_rng_;

    std::mutex rate_mu_;
    std::deque<std::int64_t> ten_secondly_;
    std::deque<std::int64_t> secondly_;

    mutable std::mutex fault_mu_;
    std::vector<FaultRule> faults_;
    std::uint64_t fault_rolls_ = 0;

    mutable std::mutex log_mu_;
    std::deque<RequestRecord> log_;
    std::uint64_t served_ = 0;  // requests logged since start, kept past clear and trimming

    std::atomic<std::uint64_t> correlation_counter_{0};
    std::unique_ptr<Poco::ThreadPool> pool_;  // own pool: stop() waits for every handler
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    int port_ = 0;
    bool tls_ = false;
};

}  // namespace hubsync::sim
