// Production wiring of the sync parts.
#include "wiring.h"

#include <filesystem>

#include "core/redact.h"
#include "mirror/sqlite_mirror.h"
#include "oauth/authorize.h"
#include "oauth/static_token_source.h"
#include "oauth/token_client.h"
#include "oauth/token_store.h"

namespace hubsync {

namespace {

// The token manager for an OAuth config. `transport` must be used by nothing else.
std::unique_ptr<TokenManager> make_token_manager(const Config& config, HttpTransport& transport,
                                                 Clock& clock) {
    add_secret(config.hubspot.client_secret);
    return std::make_unique<TokenManager>(TokenStore(token_store_dir(config)),
                                          TokenClient(transport, token_endpoint(config)), clock,
                                          token_manager_options(config));
}

}  // namespace

std::unique_ptr<AccessTokenSource> make_access_token_source(const Config& config,
                                                            HttpTransport& transport,
                                                            Clock& clock) {
    if (config.hubspot.static_token())
        return std::make_unique<StaticTokenSource>(config.hubspot.access_token,
                                                   config.hubspot.access_token_file);
    return make_token_manager(config, transport, clock);
}

TransportOptions transport_options(const Config& config, const EngineHooks& hooks) {
    TransportOptions t;
    t.ca_file = config.hubspot.ca_file;
    t.io_timeout = config.sync.http_timeout;
    if (hooks.max_http_timeout && *hooks.max_http_timeout < t.io_timeout)
        t.io_timeout = *hooks.max_http_timeout;
    t.connect_timeout = std::min(t.connect_timeout, t.io_timeout);
    return t;
}

SyncOptions sync_options(const Config& config, const EngineHooks& hooks) {
    SyncOptions o;
    o.objects = config.sync.objects;
    o.properties = config.sync.properties;
    o.type_properties = config.sync.type_properties;
    o.sensitive_properties = config.sync.sensitive_properties;
    o.track_changes = config.sync.track_changes;
    o.lookback = config.sync.lookback;
    o.reconcile_interval = config.sync.reconcile_interval;
    o.archived_interval = config.sync.archived_interval;
    o.links.associations = config.sync.associations;
    o.links.associations_interval = config.sync.associations_interval;
    o.links.owners = config.sync.owners;
    o.links.reference_interval = config.sync.reference_interval;
    o.max_url_length = config.sync.max_url_length;
    o.searches_per_second = config.sync.searches_per_second;
    o.range_reads = config.sync.range_reads;
    o.stop = hooks.stop;
    o.on_progress = hooks.on_progress;
    o.on_page = hooks.on_page;
    return o;
}

Result<std::unique_ptr<SyncParts>> make_sync_parts(const Config& config, Clock& clock,
                                                   const EngineHooks& hooks) {
    auto parts = std::make_unique<SyncParts>();
    const TransportOptions topts = transport_options(config, hooks);
    // No keep-alive for the token endpoint: a silently resent refresh on a stale connection
    // could replay a rotated refresh token, and refreshes are 25 minutes apart anyway.
    TransportOptions token_opts = topts;
    token_opts.keep_alive = false;
    parts->token_transport = make_poco_transport(token_opts);
    parts->api_transport = make_poco_transport(topts);
    parts->tokens = make_access_token_source(config, *parts->token_transport, clock);
    parts->token_manager = dynamic_cast<TokenManager*>(parts->tokens.get());

    ApiOptions api;
    api.base_url = config.hubspot.api_base_url;
    api.api_version = config.hubspot.api_version;
    api.requests_per_10s = config.sync.requests_per_10s;
    api.searches_per_second = config.sync.searches_per_second;
    api.max_url_length = config.sync.max_url_length;
    api.stop = hooks.stop;
    // One transport per request in flight, each kept alive for the next request.
    api.make_transport = [topts] { return make_poco_transport(topts); };
    parts->api = make_hubspot_api(*parts->api_transport, *parts->tokens, clock, api);

    std::error_code ec;
    const auto db_dir = std::filesystem::path(config.sync.database).parent_path();
    if (!db_dir.empty()) std::filesystem::create_directories(db_dir, ec);
    MirrorOptions mopts;
    mopts.clock = &clock;
    HS_ASSIGN_OR_RETURN(parts->mirror, SqliteMirror::open(config.sync.database, mopts));
    SyncOptions sync = sync_options(config, hooks);
    // What the authorization granted, when the token store knows it (OAuth), decides "*" and
    // turns a missing scope into a clear error before any request.
    if (parts->token_manager) {
        if (auto status = read_token_status(config, clock); status.ok() && !status->scopes.empty())
            sync.granted_scopes = status->scopes;
    }
    parts->engine =
        std::make_unique<SyncEngine>(*parts->api, *parts->mirror, clock, std::move(sync));
    return parts;
}

ServiceOptions service_options(const std::string& config_path, const Environment& env,
                               std::function<bool()> take_reload) {
    ServiceOptions o;
    o.clock = &SystemClock::instance();
    o.env = &Env::posix();
    o.build_parts = make_sync_parts;
    o.reload_config = [config_path, &env] { return load_config(config_path, env); };
    o.config_path = config_path;
    o.take_reload = std::move(take_reload);
    o.notifier = Notifier::from_environment();
    if (auto watchdog = watchdog_interval_from_environment())
        o.watchdog_interval = std::chrono::duration_cast<Millis>(*watchdog);
    return o;
}

}  // namespace hubsync
