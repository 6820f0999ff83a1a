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
#include "model/endpoints.h"

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
    // Code exchange and refresh, e.g. https://api.hubapi.com/oauth/2026-09/token.
    std::string token_url;
    std::string client_id;
    std::string client_secret;
    // The dated version of the introspection and revocation paths (endpoint table).
    std::string api_version = std::string(default_api_version());
};

// A scope string as RFC 6749 writes it (and as the config's scopes key takes it): names
// separated by spaces (or tabs), in order.
std::vector<std::string> split_scopes(const std::string& text);

// The token URL a config names: token_url, or api_base_url + /oauth/{api_version}/token.
std::string effective_token_url(const std::string& token_url, const std::string& api_base_url,
                                const std::string& api_version);

// Where the OAuth paths hang: token_url up to its /oauth/ segment (keeping a proxy's path
// prefix), or its scheme, host and port when it has none.
std::string oauth_base_url(const std::string& token_url);

// Thread-compatible (as its transport). Code exchange and refresh go to token_url (which an
// admin may point elsewhere); introspection and revocation always go to the dated
// POST {base}/oauth/{version}/token/introspect and .../revoke with a form body, never to the
// legacy /oauth/v1 paths that carry the token in the URL. Error kinds:
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
    // The introspection and revocation URLs.
    std::string url_of(Endpoint endpoint) const;

  private:
    Result<HttpResponse> post_form(const std::string& url, const Params& form);
    // client_id, client_secret, token, token_type_hint: the body of introspect and revoke.
    Params token_form(const std::string& token, const char* type_hint) const;

    HttpTransport& transport_;
    TokenEndpoint endpoint_;
};

// Classifies a non-2xx answer of a token endpoint; `what` names the operation for messages.
// HubSpot's error bodies carry the RFC 6749 fields (`error`, `error_description`) and the
// legacy ones (`status`, `message`); any of them may be missing, and either family alone
// decides the kind.
Error classify_token_error(const HttpResponse& response, const std::string& what);

}  // namespace hubsync
