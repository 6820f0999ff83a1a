// The simulator's internals shared by its route files: request/response values, the account's
// data, OAuth state, rate limiters, faults and the request log. Not part of the public API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/portal.h"
#include "sim/simulator.h"

namespace Poco {
class ThreadPool;
namespace Net {
class StreamSocket;
class TCPServer;
}  // namespace Net
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
    // The HTTP parser refused the request line because the target is too long: method, path
    // and query are unknown, and the answer is 414.
    bool target_over_parser_limit = false;

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
    // Set by a rate limit that counted the request: the limiter's instant, which the request
    // log records as its arrival.
    std::optional<Instant> counted_at;
    std::chrono::microseconds hold{0};  // real time to wait before answering (latency)
};

// Percent-decoding and form parsing, written here (not shared with the client) so a client
// encoding bug is caught rather than mirrored.
std::string percent_decode(std::string_view text, bool plus_is_space);
QueryParams parse_form(std::string_view text);
std::string percent_encode(std::string_view text);

// Opaque list cursors (base64url of "sim:" + id), so clients cannot mistake them for ids.
std::string encode_cursor(std::int64_t id);
bool decode_cursor(std::string_view cursor, std::int64_t& id);
// core/text's parse_int, kept in the out-parameter form the route handlers use.
bool parse_int(std::string_view text, std::int64_t& out);

class Simulator::Impl final {
  public:
    explicit Impl(SimOptions options);
    ~Impl();

    Status start();
    void stop();
    // Answers `req` into `resp` and logs it; resp.hold says how long to wait before sending.
    void handle(SimRequest& req, SimResponse& resp);
    // Waits `hold` of real time, or less when the server stops.
    void hold(std::chrono::microseconds hold);
    // Connections register while they run so stop() can end idle keep-alive waits at once.
    // track() is false when the server is stopping (the connection should close).
    bool track(Poco::Net::StreamSocket& socket);
    void untrack(Poco::Net::StreamSocket& socket);
    bool stopping() const;

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
    // Checks the bearer token; fills resp with 401/403 and returns false. The token needs
    // `scope`, or `alternative` when one is given (the 403 names `scope`).
    bool authenticate(const SimRequest& req, SimResponse& resp, std::string_view scope,
                      std::string& token_out, std::string_view alternative = {});
    bool token_has_scope(const std::string& token, std::string_view scope) const;
    bool redirect_uri_registered(const std::string& uri) const;
    void revoke_all_refresh_tokens();

    // -- CRM objects and properties of every type (crm_routes.cc); owners, pipelines and
    // custom object schemas (account_routes.cc)
    bool route_crm(SimRequest& req, SimResponse& resp);
    bool route_account(SimRequest& req, SimResponse& resp);
    // -- admin (admin_routes.cc)
    void route_admin(SimRequest& req, SimResponse& resp);

    // -- associations (association_routes.cc): the endpoints, the admin routes, and the checks
    // behind the C++ API (unknown types or records throw std::invalid_argument)
    bool route_associations(SimRequest& req, SimResponse& resp);
    bool route_admin_associations(SimRequest& req, SimResponse& resp);
    // A record's links to `to` as the batch read answers them: to active records only.
    std::vector<AssociationLink> visible_links(const RecordStore& from, std::int64_t id,
                                               const RecordStore& to) const;
    std::pair<std::string, std::string> link_types(std::string_view from, std::int64_t& from_id,
                                                   std::string_view to, std::int64_t& to_id) const;
    void associate(std::string_view from, std::int64_t from_id, std::string_view to,
                   std::int64_t to_id, const std::vector<std::string>& labels);
    void remove_association(std::string_view from, std::int64_t from_id, std::string_view to,
                            std::int64_t to_id);
    void relabel_association(std::string_view from, std::int64_t from_id, std::string_view to,
                             std::int64_t to_id, const std::vector<std::string>& labels);

    // -- rate limits: false (and a 429 in resp) when over the limit. Both buckets and the daily
    // cap are the account's (one installed app on one account), whichever token asks. A
    // request counts when it arrives, before any latency hold; checking and recording it is
    // one step under rate_mu_, on the simulator clock read under that lock.
    bool take_ten_secondly(SimResponse& resp);
    bool take_secondly(SimResponse& resp);
    enum class Policy { kNone, kTenSecondly, kSecondly, kDaily };
    struct Verdict {
        Policy refused = Policy::kNone;
        int remaining = 0;  // left in the window
        std::int64_t daily_limit = 0, daily_remaining = 0;
    };
    Verdict take(std::deque<std::int64_t>& window, std::int64_t window_ms, int max, Policy policy,
                 SimResponse& resp);
    void rate_limited(SimResponse& resp, Policy policy);

    // -- retired API generations: false when `req` may go on; else resp is the 404.
    bool answer_if_retired(const SimRequest& req, SimResponse& resp);

    // -- faults
    std::optional<FaultRule> match_fault(const SimRequest& req);
    // Answers a fault that stands in for the real answer (status, 429, HTML page).
    void answer_fault(const FaultRule& fault, SimResponse& resp);
    void add_fault(FaultRule rule);
    void clear_faults();
    std::vector<FaultRule> faults() const;

    // -- answering: the routes, then the latency hold the answer waits for
    void answer(SimRequest& req, SimResponse& resp);
    void answer_uri_too_long(SimResponse& resp);
    std::chrono::microseconds latency_for(std::size_t body_bytes);

    // -- request log
    void log_request(const SimRequest& req, const SimResponse& resp, Instant received);

    SimOptions opts_;
    Clock* clock_;
    Portal portal_;
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

    std::atomic<int> rate_limit_;
    std::atomic<std::int64_t> daily_limit_;
    std::mutex rate_mu_;
    std::int64_t limiter_ms_ = 0;  // the limiter's last instant: its timeline never runs back
    std::deque<std::int64_t> ten_secondly_;
    std::deque<std::int64_t> secondly_;
    std::int64_t day_ = 0;  // the simulator clock's UTC day that day_used_ counts
    std::int64_t day_used_ = 0;

    // Latency in microseconds (SimOptions::latency, latency_jitter, latency_per_kb_ms).
    std::atomic<std::int64_t> latency_us_, jitter_us_, per_kib_us_;
    std::atomic<std::uint64_t> latency_rolls_{0};

    mutable std::mutex fault_mu_;
    std::vector<FaultRule> faults_;
    std::uint64_t fault_rolls_ = 0;

    mutable std::mutex log_mu_;
    std::deque<RequestRecord> log_;
    std::uint64_t served_ = 0;  // requests logged since start, kept past clear and trimming

    std::atomic<std::uint64_t> correlation_counter_{0};
    std::unique_ptr<Poco::ThreadPool> pool_;  // own pool: stop() waits for every handler
    std::unique_ptr<Poco::Net::TCPServer> server_;
    mutable std::mutex conn_mu_;  // guards stopping_ and connections_; stop_cv_ ends holds
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    bool closing_ = false;  // close_connections() is waiting for the connections to close
    std::unordered_set<Poco::Net::StreamSocket*> connections_;
    int port_ = 0;
    bool tls_ = false;
};

}  // namespace hubsync::sim
