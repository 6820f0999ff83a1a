// The OAuth token endpoints over an HttpTransport: code exchange, refresh, introspection and
// revocation, with HubSpot's error bodies classified into error kinds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/transport.h"
#include "http/url.h"

namespace hubsync {

// A successful response of the token endpoint (snake_case wire format).
struct TokenResponse {
    std::string access_token;
    std::string refresh_token;  // may be empty: HubSpot does not promise one on refresh
    std::chrono::seconds expires_in{0};
    std::string token_type;
    std::int64_t hub_id = 0;  // 0 when absent
    std::vector<std::string> scopes;
};

// What introspection says about an access token.
struct TokenInfo {
    bool active = false;
    std::int64_t hub_id = 0;
    std::string hub_domain;
    std::vector<std::string> scopes;
    std::chrono::seconds expires_in{0};
    std::string user;
    std::int64_t app_id = 0;
};

struct TokenEndpoint {
    std::string token_url;  // e.g. https://api.hubapi.com/oauth/2026-03/token
    std::string client_id;
    std::string client_secret;
};

// The token URL a config names: token_url, or api_base_url + /oauth/2026-03/token.
std::string effective_token_url(const std::string& token_url, const std::string& api_base_url);

// Thread-compatible (as its transport). Error kinds:
//  - kAuthRequired: invalid_grant, BAD_REFRESH_TOKEN, BAD_AUTH_CODE (a person must authorize);
//  - kConfig: client credentials or redirect_uri rejected;
//  - kRateLimited: 429; kTransient: 5xx and network failures; kBadData: unreadable answers.
class TokenClient final {
  public:
    TokenClient(HttpTransport& transport, TokenEndpoint endpoint);

    Result<TokenResponse> exchange_code(const std::string& code, const std::string& redirect_uri,
                                        const std::string& code_verifier);
    Result<TokenResponse> refresh(const std::string& refresh_token);
    Result<TokenInfo> introspect(const std::string& access_token);
    // Revokes a refresh token. A token HubSpot no longer knows counts as revoked.
    Status revoke(const std::string& refresh_token);

    const TokenEndpoint& endpoint() const { return endpoint_; }

  private:
    Result<HttpResponse> post_form(const std::string& url, const Params& form);
    bool legacy_v1() const;
    std::string origin() const;

    HttpTransport& transport_;
    TokenEndpoint endpoint_;
};

// Classifies a non-2xx answer of a token endpoint; `what` names the operation for messages.
Error classify_token_error(const HttpResponse& response, const std::string& what);

}  // namespace hubsync
