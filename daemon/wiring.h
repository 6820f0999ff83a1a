// Production wiring, in one place: the real clock, POCO transports, the token source, the
// API client, the mirror and the sync engine, built from a Config.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/hubspot_api.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/transport.h"
#include "mirror/mirror.h"
#include "oauth/token_manager.h"
#include "service/sync_lock.h"
#include "sync/sync_engine.h"

namespace hubsync {

struct EngineHooks {
    StopSource* stop = nullptr;
    std::function<void(const SyncProgress&)> on_progress;
    std::function<void()> on_page;
    // Upper bound for HTTP timeouts (half the watchdog interval under systemd).
    std::optional<Millis> max_http_timeout;
};

// Everything one process needs to sync. Members are destroyed in reverse order.
struct SyncParts {
    std::unique_ptr<HttpTransport> token_transport;
    std::unique_ptr<HttpTransport> api_transport;
    std::unique_ptr<AccessTokenSource> tokens;
    TokenManager* token_manager = nullptr;  // null in private-app mode
    std::unique_ptr<HubSpotApi> api;
    std::unique_ptr<Mirror> mirror;
    std::unique_ptr<SyncEngine> engine;
};

TransportOptions transport_options(const Config& config, const EngineHooks& hooks);
SyncOptions sync_options(const Config& config, const EngineHooks& hooks);

// Opens the mirror (creating it and its directory) and builds the token source, API client
// and engine.
Result<std::unique_ptr<SyncParts>> make_sync_parts(const Config& config, Clock& clock,
                                                   const EngineHooks& hooks);

}  // namespace hubsync
