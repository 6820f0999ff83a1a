// What the `authorize`, `revoke` and `status` commands call, and what a Config says about the
// token endpoint and the token manager's schedule. The command layer owns argument parsing and
// exit codes; daemon/wiring.cc builds the token source from these.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/transport.h"
#include "oauth/token_client.h"
#include "oauth/token_manager.h"

namespace hubsync {

inline constexpr const char* kContactsReadScope = "crm.objects.contacts.read";

// The scopes `hubsync authorize` asks for.
struct ScopeRequest {
    // `scopes` from the config, then the read scope of every object type named in
    // [sync] objects (tickets: "tickets"; a custom object: crm.objects.custom.read and
    // crm.schemas.custom.read).
    std::vector<std::string> required;
    // With objects = *: every type's read scope not already required, so an app that lacks
    // some of them can still be installed. With sensitive_properties: the sensitive-data
    // read scope of each mirrored type that has one (e.g.
    // crm.objects.contacts.sensitive.read.v2).
    std::vector<std::string> optional;
};
ScopeRequest requested_scopes(const Config& config);

// Where the token store lives: state_dir/tokens, a 0700 directory of its own, so state_dir
// (which holds the mirror by default) can be group-readable for reporting tools while the
// tokens stay owner-only.
std::string token_store_dir(const Config& config);

// The terminal side of `hubsync authorize`.
struct AuthorizeIo {
    std::ostream& out;  // the URL, progress and next steps
    std::istream& in;   // --paste: the redirect URL
    // Best effort: try to open the URL in a browser (e.g. xdg-open). May be empty. Called in
    // --paste mode too; leave it empty there when the browser is on another machine.
    std::function<void(const std::string& url)> open_url;
};

struct AuthorizeOptions {
    bool paste = false;               // read the redirect URL from `in` instead of listening
    Millis timeout{5 * 60'000};       // how long the listener waits for the browser
    bool listen_on_any_port = false;  // tests: a free port instead of redirect_uri's
    StopSource* stop = nullptr;
};

struct AuthorizeOutcome {
    std::int64_t hub_id = 0;
    std::string hub_domain;
    std::vector<std::string> scopes;                   // granted
    std::vector<std::string> missing_scopes;           // configured but not granted
    std::vector<std::string> missing_optional_scopes;  // asked for as optional, not granted
    Instant access_expires_at{};
    std::string store_path;
};

// The whole one-time consent: URL, listener (or paste), code exchange, introspection, store.
// Nothing is stored unless every check passed. `transport` talks to the token endpoints.
Result<AuthorizeOutcome> run_authorize(const Config& config, HttpTransport& transport,
                                       AuthorizeIo& io, Clock& clock,
                                       const AuthorizeOptions& options = {});

struct RevokeOptions {
    bool local_only = false;  // delete the local tokens even when HubSpot cannot be reached
};

// Revokes the refresh token at HubSpot, then deletes the local tokens. When HubSpot cannot be
// reached the local tokens are kept (so revoking can be retried) unless local_only.
Status revoke(const Config& config, HttpTransport& transport, std::ostream& out,
              const RevokeOptions& options = {});

// The authorization as `hubsync status` shows it. Holds no secret.
struct TokenStatus {
    enum class Mode { kOAuth, kStaticToken };
    enum class State { kNotAuthorized, kOk, kRetrying, kAuthRequired };
    Mode mode = Mode::kOAuth;
    State state = State::kNotAuthorized;
    bool authorized = false;  // a usable authorization exists (kOk or kRetrying, or a static token)
    std::int64_t hub_id = 0;
    std::string hub_domain;
    std::vector<std::string> scopes;
    Instant authorized_at{};
    Instant access_expires_at{};
    bool access_token_valid = false;  // not yet expired at the time of reading
    int refresh_failures = 0;
    std::string last_refresh_error;
    Instant last_refresh_error_at{};
    std::string auth_required_reason;
    std::string store_path;         // OAuth: the token store
    std::string access_token_file;  // static token: the file it is read from
};

const char* to_string(TokenStatus::State state);
// "oauth" or "access_token", as `hubsync status --json` names the mode.
const char* to_string(TokenStatus::Mode mode);

// Reads the token store without locking and without network access.
Result<TokenStatus> read_token_status(const Config& config, const Clock& clock);

// The token endpoint a Config names: token_url (or the dated path on api_base_url), the app's
// client_id and client_secret, and the API version of the introspection and revocation paths.
TokenEndpoint token_endpoint(const Config& config);

// The token manager's schedule from the config: refresh_margin, and a refresh backoff of
// 10 s doubling to 5 min, shortened by [sync] retry_initial / retry_max when those are shorter.
TokenManagerOptions token_manager_options(const Config& config);

}  // namespace hubsync
