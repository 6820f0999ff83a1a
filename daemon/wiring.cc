// Production wiring of the sync parts.
#include "wiring.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mirror/sqlite_mirror.h"
#include "oauth/authorize.h"

namespace hubsync {

Result<std::unique_ptr<SyncLock>> SyncLock::try_acquire(const std::string& state_dir) {
    std::error_code ec;
    if (!std::filesystem::exists(state_dir, ec)) {
        std::filesystem::create_directories(state_dir, ec);
        // Group-readable (the mirror lives here by default); the tokens get their own 0700
        // subdirectory from the token store.
        std::filesystem::permissions(state_dir, std::filesystem::perms(0750), ec);
    }
    const std::string path = state_dir + "/sync.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return make_error(ErrorKind::kIo, "cannot open " + path + ": " + std::strerror(errno),
                          "check that state_dir is writable by this user");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return make_error(ErrorKind::kTransient, "another hubsync process is syncing this mirror",
                          "wait for it to finish, or stop the service first");
    }
    return std::unique_ptr<SyncLock>(new SyncLock(fd));
}

SyncLock::~SyncLock() {
    if (fd_ >= 0) ::close(fd_);
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
    o.lookback = config.sync.lookback;
    o.reconcile_interval = config.sync.reconcile_interval;
    o.archived_interval = config.sync.archived_interval;
    o.max_url_length = config.sync.max_url_length;
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

}  // namespace hubsync
