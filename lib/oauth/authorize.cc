// `hubsync authorize`, `revoke` and `status` as library calls.
#include "oauth/authorize.h"

#include <algorithm>
#include <istream>
#include <memory>
#include <ostream>

#include "core/duration.h"
#include "core/log.h"
#include "core/redact.h"
#include "http/url.h"
#include "model/object_type.h"
#include "oauth/authorize_request.h"
#include "oauth/loopback_listener.h"
#include "oauth/token_client.h"
#include "oauth/token_store.h"

namespace hubsync {

std::string token_store_dir(const Config& config) {
    return config.sync.state_dir + "/tokens";
}

TokenEndpoint token_endpoint(const Config& config) {
    const HubSpotConfig& h = config.hubspot;
    return TokenEndpoint{effective_token_url(h.token_url, h.api_base_url, h.api_version),
                         h.client_id, h.client_secret, h.api_version};
}

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

Status check_oauth_config(const Config& config) {
    if (config.hubspot.static_token())
        return make_error(ErrorKind::kUsage,
                          "this configuration uses the access token in " +
                              config.hubspot.access_token_file + ", which needs no authorization",
                          "remove access_token_file to use OAuth instead");
    if (config.hubspot.client_id.empty())
        return make_error(ErrorKind::kConfig, "client_id is not set",
                          "copy it from the app's Auth settings into [hubspot] client_id");
    if (config.hubspot.client_secret.empty())
        return make_error(ErrorKind::kConfig, "the client secret is not set",
                          "put it in the file named by [hubspot] client_secret_file");
    return Status::Ok();
}

Result<std::string> read_pasted_line(AuthorizeIo& io) {
    std::string line;
    while (std::getline(io.in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
    }
    return make_error(ErrorKind::kUsage, "no redirect URL was pasted (end of input)",
                      "paste the full address the browser shows after you approve");
}

}  // namespace

ScopeRequest requested_scopes(const Config& config) {
    ScopeRequest out;
    out.required = split_scopes(config.hubspot.scopes);
    auto add = [&](std::vector<std::string>& list, const std::string& scope) {
        if (!contains(out.required, scope) && !contains(out.optional, scope)) list.push_back(scope);
    };
    const auto& objects = config.sync.objects;
    const bool every = contains(objects, "*");
    std::vector<const ObjectType*> mirrored;
    for (const std::string& name : objects) {
        if (name == "*") continue;
        if (const ObjectType* type = find_standard_type(name)) {
            add(out.required, type->read_scope);
            mirrored.push_back(type);
        } else {
            add(out.required, kCustomObjectsReadScope);
            add(out.required, kCustomSchemasReadScope);
        }
    }
    if (every) {
        for (const ObjectType& type : standard_object_types()) {
            add(out.optional, type.read_scope);
            mirrored.push_back(&type);
        }
        add(out.optional, kCustomObjectsReadScope);
        add(out.optional, kCustomSchemasReadScope);
    }
    if (config.sync.sensitive_properties)
        for (const ObjectType* type : mirrored)
            if (!type->sensitive_scope.empty()) add(out.optional, type->sensitive_scope);
    // Owner names in reports; the sync goes on without them when the scope is not granted.
    if (config.sync.owners) add(out.optional, kOwnersReadScope);
    return out;
}

Result<AuthorizeOutcome> run_authorize(const Config& config, HttpTransport& transport,
                                       AuthorizeIo& io, Clock& clock,
                                       const AuthorizeOptions& options) {
    HS_RETURN_IF_ERROR(check_oauth_config(config));
    add_secret(config.hubspot.client_secret);
    TokenStore store(token_store_dir(config));
    // Fail before the person clicks anything when the tokens could not be saved afterwards.
    HS_RETURN_IF_ERROR(store.prepare());
    HS_ASSIGN_OR_RETURN(Url redirect, parse_url(config.hubspot.redirect_uri));

    std::unique_ptr<LoopbackListener> listener;
    std::string redirect_uri = config.hubspot.redirect_uri;
    if (!options.paste) {
        HS_ASSIGN_OR_RETURN(listener, LoopbackListener::start(
                                          redirect, ListenerOptions{options.listen_on_any_port}));
        if (options.listen_on_any_port) redirect_uri = listener->redirect_uri();
    }
    const ScopeRequest scopes = requested_scopes(config);
    const std::vector<std::string>& optional_scopes = scopes.optional;
    const AuthorizeRequest request =
        make_authorize_request(config.hubspot.authorize_url, config.hubspot.client_id,
                               join(scopes.required), redirect_uri, join(optional_scopes));

    io.out << "Open this URL in a browser and approve access for hubsync:\n\n  " << request.url
           << "\n\n";
    std::string code;
    if (listener) {
        listener->set_expected_state(request.state);
        io.out << "Waiting up to " << format_duration(options.timeout)
               << " for the browser to come back to " << redirect_uri << " ...\n";
        io.out.flush();
        if (io.open_url) io.open_url(request.url);
        HS_ASSIGN_OR_RETURN(code, listener->wait(options.timeout, options.stop));
        listener.reset();
    } else {
        io.out << "After you approve, the browser is sent to " << redirect_uri
               << "?code=... (an error page there is expected on a server without a listener).\n"
               << "Copy that full address from the address bar and paste it here:\n";
        io.out.flush();
        if (io.open_url) io.open_url(request.url);
        HS_ASSIGN_OR_RETURN(std::string pasted, read_pasted_line(io));
        HS_ASSIGN_OR_RETURN(code, parse_pasted_redirect(pasted, redirect, request.state));
    }
    io.out << "Approved. Exchanging the authorization code ...\n";

    TokenClient client(transport, token_endpoint(config));
    const Instant sent_at = clock.now();
    HS_ASSIGN_OR_RETURN(TokenResponse tokens,
                        client.exchange_code(code, redirect_uri, request.code_verifier));
    if (tokens.refresh_token.empty())
        return make_error(ErrorKind::kBadData, "HubSpot's token answer has no refresh_token",
                          "check token_url; hubsync needs the authorization code grant");

    StoredTokens stored;
    stored.access_token = tokens.access_token;
    stored.refresh_token = tokens.refresh_token;
    stored.obtained_at = sent_at;
    stored.access_expires_at = sent_at + tokens.expires_in;
    stored.hub_id = tokens.hub_id;
    stored.scopes = tokens.scopes;
    stored.token_url = client.endpoint().token_url;
    stored.authorized_at = clock.now();

    bool scopes_known = !tokens.scopes.empty();
    auto info = client.introspect(tokens.access_token);
    if (info.ok()) {
        if (info->hub_id != 0) stored.hub_id = info->hub_id;
        stored.hub_domain = info->hub_domain;
        if (!info->scopes.empty()) {
            stored.scopes = info->scopes;
            scopes_known = true;
        }
    } else {
        io.out << "Warning: could not look up the hub and granted scopes ("
               << redact(info.error().describe()) << "); continuing.\n";
    }

    {
        HS_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
        HS_RETURN_IF_ERROR(store.save(stored));
    }
    HS_LOG_INFO("authorized hub {}; tokens saved in {}", stored.hub_id, store.path());

    AuthorizeOutcome outcome;
    outcome.hub_id = stored.hub_id;
    outcome.hub_domain = stored.hub_domain;
    outcome.scopes = stored.scopes;
    outcome.access_expires_at = stored.access_expires_at;
    outcome.store_path = store.path();
    if (scopes_known) {
        for (const auto& wanted : scopes.required)
            if (!contains(stored.scopes, wanted)) outcome.missing_scopes.push_back(wanted);
        for (const auto& wanted : optional_scopes)
            if (!contains(stored.scopes, wanted)) outcome.missing_optional_scopes.push_back(wanted);
    }

    io.out << "Authorized hub " << stored.hub_id;
    if (!stored.hub_domain.empty()) io.out << " (" << stored.hub_domain << ")";
    io.out << ".\n";
    if (scopes_known) io.out << "Granted scopes: " << join(stored.scopes) << "\n";
    if (scopes_known && std::find(stored.scopes.begin(), stored.scopes.end(), kContactsReadScope) ==
                            stored.scopes.end()) {
        io.out << "WARNING: the scope " << kContactsReadScope
               << " was not granted, so hubsync cannot read contacts. Add it to the app's scopes "
                  "and to `scopes` in the config, then run `hubsync authorize` again.\n";
    } else if (!outcome.missing_scopes.empty()) {
        io.out << "Note: not granted: " << join(outcome.missing_scopes) << "\n";
    }
    if (!outcome.missing_optional_scopes.empty()) {
        io.out << "Note: the optional scopes " << join(outcome.missing_optional_scopes)
               << " were not granted, so the object types or sensitive properties they read are "
                  "not mirrored. Add them to the app's optional scopes and run `hubsync "
                  "authorize` again to include them.\n";
    }
    io.out << "Tokens saved in " << store.path() << " (readable only by this user).\n"
           << "Next: run `hubsync sync` for a first sync, or start the service "
              "(`systemctl start hubsync`). A service that is already running picks up this "
              "authorization by itself.\n";
    io.out.flush();
    return outcome;
}

Status revoke(const Config& config, HttpTransport& transport, std::ostream& out,
              const RevokeOptions& options) {
    if (config.hubspot.static_token())
        return make_error(ErrorKind::kUsage,
                          "the access token in " + config.hubspot.access_token_file +
                              " cannot be revoked by hubsync",
                          "rotate or delete the service key in HubSpot under Settings > "
                          "Integrations > Service keys (a legacy private app's token under "
                          "Private Apps)");
    TokenStore store(token_store_dir(config));
    HS_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
    HS_ASSIGN_OR_RETURN(auto stored, store.load());
    if (!stored || stored->refresh_token.empty()) {
        HS_RETURN_IF_ERROR(store.remove());
        out << "No stored authorization in " << store.path() << "; nothing to revoke.\n";
        return Status::Ok();
    }
    // Revoked where it was issued (the host of the stored token_url), on the dated path.
    TokenEndpoint endpoint = token_endpoint(config);
    if (!stored->token_url.empty()) endpoint.token_url = stored->token_url;
    TokenClient client(transport, endpoint);
    const Status revoked = client.revoke(stored->refresh_token);
    if (!revoked.ok()) {
        if (!options.local_only) {
            Error e = revoked.error();
            e.hint =
                "the local tokens were kept so revoking can be retried; --local-only deletes "
                "them anyway (then remove the app in HubSpot's Connected Apps settings)";
            return e;
        }
        out << "Warning: HubSpot did not confirm the revocation ("
            << redact(revoked.error().message) << "); deleting the local tokens anyway.\n";
    }
    HS_RETURN_IF_ERROR(store.remove());
    HS_LOG_NOTICE("authorization revoked; tokens deleted from {}", store.path());
    out << (revoked.ok() ? "Revoked the refresh token at HubSpot and deleted " : "Deleted ")
        << store.path() << ". Run `hubsync authorize` to authorize again.\n";
    return Status::Ok();
}

const char* to_string(TokenStatus::State state) {
    switch (state) {
        case TokenStatus::State::kNotAuthorized:
            return "not-authorized";
        case TokenStatus::State::kOk:
            return "ok";
        case TokenStatus::State::kRetrying:
            return "retrying";
        case TokenStatus::State::kAuthRequired:
            return "authorization-required";
    }
    return "unknown";
}

const char* to_string(TokenStatus::Mode mode) {
    switch (mode) {
        case TokenStatus::Mode::kOAuth:
            return "oauth";
        case TokenStatus::Mode::kStaticToken:
            return "access_token";
    }
    return "unknown";
}

Result<TokenStatus> read_token_status(const Config& config, const Clock& clock) {
    TokenStatus status;
    if (config.hubspot.static_token()) {
        status.mode = TokenStatus::Mode::kStaticToken;
        status.state = TokenStatus::State::kOk;
        status.authorized = true;
        status.access_token_file = config.hubspot.access_token_file;
        return status;
    }
    TokenStore store(token_store_dir(config));
    status.store_path = store.path();
    HS_ASSIGN_OR_RETURN(auto stored, store.load());
    if (!stored) return status;
    status.hub_id = stored->hub_id;
    status.hub_domain = stored->hub_domain;
    status.scopes = stored->scopes;
    status.authorized_at = stored->authorized_at;
    status.access_expires_at = stored->access_expires_at;
    status.access_token_valid = stored->access_expires_at > clock.now();
    status.refresh_failures = stored->refresh_failures;
    status.last_refresh_error = redact(stored->last_refresh_error);
    status.last_refresh_error_at = stored->last_refresh_error_at;
    status.auth_required_reason = redact(stored->auth_required_reason);
    if (stored->state == StoredTokens::State::kAuthRequired) {
        status.state = TokenStatus::State::kAuthRequired;
    } else {
        status.state =
            stored->refresh_failures > 0 ? TokenStatus::State::kRetrying : TokenStatus::State::kOk;
        status.authorized = true;
    }
    return status;
}

TokenManagerOptions token_manager_options(const Config& config) {
    TokenManagerOptions options;
    options.refresh_margin = config.token.refresh_margin;
    // The service's retry keys may shorten the refresh backoff, never lengthen it: an access
    // token lives 30 minutes, so more than 5 minutes between refresh attempts risks expiry.
    options.initial_backoff = std::min(options.initial_backoff, config.sync.retry_initial);
    options.max_backoff = std::min(options.max_backoff, config.sync.retry_max);
    return options;
}

}  // namespace hubsync
