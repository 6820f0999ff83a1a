// The authorize URL (client_id, scope, redirect_uri, state, PKCE S256) and the checks applied to
// the redirect that comes back, shared by the loopback listener and --paste mode.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "http/url.h"

namespace hubsync {

// One authorization attempt: what goes into the URL and what must come back.
struct AuthorizeRequest {
    std::string url;            // the full authorize URL to open in a browser
    std::string redirect_uri;   // exactly as sent; the code exchange must repeat it
    std::string state;          // CSRF value the redirect must echo
    std::string code_verifier;  // PKCE secret sent with the code exchange
    std::string code_challenge;
};

// `bytes` random bytes from the operating system's CSPRNG, base64url without padding.
std::string random_urlsafe(std::size_t bytes);
// RFC 4648 section 5 base64url without padding.
std::string base64url(std::string_view data);
// base64url(SHA-256(verifier)): the PKCE S256 challenge.
std::string pkce_challenge(std::string_view verifier);

// Builds a fresh attempt: 256-bit state, 43..128-character verifier (RFC 7636), S256 challenge.
// `scopes` is space separated and sent as %20. `optional_scopes` (same form; HubSpot's
// `optional_scope` parameter) are granted when the account allows them and skipped otherwise;
// the parameter is left out when there are none.
AuthorizeRequest make_authorize_request(const std::string& authorize_url,
                                        const std::string& client_id, const std::string& scopes,
                                        const std::string& redirect_uri,
                                        const std::string& optional_scopes = {});

// Checks the query of a redirect: an `error=` parameter, a missing or different state, a missing
// code. Returns the code. Errors are kAuthRequired (nothing was authorized) with a message for
// a person. The state comparison takes constant time.
Result<std::string> check_redirect_params(const Params& params, const std::string& expected_state);

// --paste mode: the admin pastes the full URL the browser ended at (or just its query).
// Checks that it is the redirect_uri's path, then check_redirect_params.
Result<std::string> parse_pasted_redirect(std::string_view pasted, const Url& redirect_uri,
                                          const std::string& expected_state);

// True when a and b are equal, in time that depends only on their lengths.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace hubsync
