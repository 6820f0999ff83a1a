// An in-memory stand-in for HubSpot's token endpoints (an HttpTransport) on a ManualClock, for
// unit tests of the token client and manager. Also answers "API calls" to count 401s. It serves
// the dated OAuth paths of every version in the endpoint table (POST with a form body) and
// answers 404 on anything else, legacy /oauth/v1 and /oauth/v3 paths included, as HubSpot will
// once they retire.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "http/transport.h"
#include "http/url.h"
#include "model/endpoints.h"
#include "oauth/authorize_request.h"

namespace hubsync::testing {

inline constexpr const char* kOrigin = "http://hubspot.test";
inline constexpr const char* kTokenUrl = "http://hubspot.test/oauth/2026-09/token";
inline constexpr const char* kClientId = "client-id-1234";
inline constexpr const char* kClientSecret = "client-secret-SECRET-5678";

class FakeHubSpot final : public HttpTransport {
  public:
    explicit FakeHubSpot(Clock& clock) : clock_(clock) {}

    // Overrides the answer to a request when it returns a value (outages, odd bodies).
    using Fault = std::function<std::optional<Result<HttpResponse>>(const HttpRequest&)>;

    Result<HttpResponse> send(const HttpRequest& request) override {
        Fault fault;
        {
            std::lock_guard lock(mu_);
            requests.push_back(request);
            fault = fault_;
        }
        if (fault) {
            if (auto r = fault(request)) return *r;
        }
        std::lock_guard lock(mu_);
        const Params form = parse_query(request.body);
        for (const ApiVersion& v : api_versions()) {
            if (request.method != "POST") break;
            const auto is = [&](Endpoint e) {
                return request.url == kOrigin + endpoint_path(e, v.name);
            };
            if (is(Endpoint::kOAuthToken)) return token(form);
            if (!client_ok(form) && (is(Endpoint::kOAuthIntrospect) || is(Endpoint::kOAuthRevoke)))
                return bad_client();
            if (is(Endpoint::kOAuthIntrospect)) return introspect(form);
            if (is(Endpoint::kOAuthRevoke)) {
                // RFC 7009: an unknown token is no error.
                refresh_tokens_.erase(param(form, "token"));
                return json(200, "{}");
            }
        }
        return json(404, R"({"status":"error","message":"not found"})");
    }

    void set_fault(Fault fault) {
        std::lock_guard lock(mu_);
        fault_ = std::move(fault);
    }

    // A code the authorize page would hand out for `redirect_uri` with PKCE `challenge`.
    std::string issue_code(const std::string& redirect_uri, const std::string& challenge = {}) {
        std::lock_guard lock(mu_);
        const std::string code = "code-" + std::to_string(++counter_) + "-abcdef";
        issued.push_back(code);
        codes_[code] = Code{redirect_uri, challenge, clock_.now() + std::chrono::minutes(5)};
        return code;
    }

    // Seeds a valid refresh token (as if authorized earlier).
    std::string issue_refresh_token() {
        std::lock_guard lock(mu_);
        return new_refresh_locked();
    }

    // An API request with `token`: true when HubSpot would accept it; counts 401s.
    bool api_call(const std::string& token) {
        std::lock_guard lock(mu_);
        ++api_calls;
        const auto it = access_tokens_.find(token);
        if (it == access_tokens_.end() || clock_.now() >= it->second) {
            ++unauthorized;
            return false;
        }
        return true;
    }

    void revoke_all_refresh_tokens() {
        std::lock_guard lock(mu_);
        refresh_tokens_.clear();
    }
    bool refresh_token_valid(const std::string& t) {
        std::lock_guard lock(mu_);
        return refresh_tokens_.count(t) > 0;
    }
    int count(const std::string& grant_type) {
        std::lock_guard lock(mu_);
        int n = 0;
        for (const auto& r : requests)
            if (param(parse_query(r.body), "grant_type") == grant_type) ++n;
        return n;
    }

    std::chrono::seconds ttl{1800};
    bool rotate = false;
    std::vector<std::string> granted_scopes = {"oauth", "crm.objects.contacts.read"};
    std::vector<HttpRequest> requests;
    int api_calls = 0;
    int unauthorized = 0;
    std::string last_issued_refresh;
    std::string last_issued_access;
    std::vector<std::string> issued;     // every code and token handed out
    std::vector<Instant> refresh_times;  // when each refresh grant arrived

  private:
    struct Code {
        std::string redirect_uri;
        std::string challenge;
        Instant expires;
    };

    static HttpResponse json(int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = std::move(body);
        return r;
    }

    std::string new_refresh_locked() {
        const std::string t = "refresh-" + std::to_string(++counter_) + "-xyzxyz";
        issued.push_back(t);
        refresh_tokens_.insert(t);
        last_issued_refresh = t;
        return t;
    }

    HttpResponse issue_locked(const std::string& refresh) {
        const std::string access = "access-" + std::to_string(++counter_) + "-qwerty";
        issued.push_back(access);
        last_issued_access = access;
        access_tokens_[access] = clock_.now() + ttl;
        return json(200, R"({"token_type":"bearer","refresh_token":")" + refresh +
                             R"(","access_token":")" + access + R"(","expires_in":)" +
                             std::to_string(ttl.count()) + "}");
    }

    static bool client_ok(const Params& form) {
        return param(form, "client_id") == kClientId &&
               param(form, "client_secret") == kClientSecret;
    }
    static HttpResponse bad_client() {
        return json(
            400,
            R"({"status":"BAD_CLIENT_ID","message":"missing or unknown client id","error":"invalid_client"})");
    }

    HttpResponse token(const Params& form) {
        if (!client_ok(form)) return bad_client();
        const std::string grant = param(form, "grant_type");
        if (grant == "authorization_code") {
            const auto it = codes_.find(param(form, "code"));
            if (it == codes_.end() || clock_.now() >= it->second.expires ||
                it->second.redirect_uri != param(form, "redirect_uri")) {
                if (it != codes_.end()) codes_.erase(it);
                return json(
                    400,
                    R"({"status":"BAD_AUTH_CODE","message":"auth code not found","error":"invalid_grant","error_description":"auth code not found"})");
            }
            const bool pkce_ok =
                it->second.challenge.empty() ||
                pkce_challenge(param(form, "code_verifier")) == it->second.challenge;
            codes_.erase(it);  // single use
            if (!pkce_ok)
                return json(
                    400,
                    R"({"error":"invalid_grant","error_description":"code_verifier does not match"})");
            return issue_locked(new_refresh_locked());
        }
        if (grant == "refresh_token") {
            refresh_times.push_back(clock_.now());
            const std::string refresh = param(form, "refresh_token");
            if (refresh_tokens_.count(refresh) == 0)
                return json(
                    400,
                    R"({"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token","error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked"})");
            if (rotate) {
                refresh_tokens_.erase(refresh);
                return issue_locked(new_refresh_locked());
            }
            return issue_locked(refresh);
        }
        return json(400, R"({"error":"unsupported_grant_type"})");
    }

    HttpResponse introspect(const Params& form) {
        const auto it = access_tokens_.find(param(form, "token"));
        if (it == access_tokens_.end()) return json(200, R"({"active":false})");
        std::string scopes;
        for (const auto& s : granted_scopes)
            scopes += (scopes.empty() ? "\"" : ",\"") + s + "\"";
        return json(
            200,
            R"({"active":true,"hub_id":4242,"hub_domain":"demo.hubspot.test","scopes":[)" + scopes +
                R"(],"expires_in":1700,"app_id":7,"user":"admin@example.com","token_use":"access_token"})");
    }

    Clock& clock_;
    std::mutex mu_;
    Fault fault_;
    int counter_ = 0;
    std::map<std::string, Code> codes_;
    std::set<std::string> refresh_tokens_;
    std::map<std::string, Instant> access_tokens_;
};

}  // namespace hubsync::testing
