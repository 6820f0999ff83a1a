// Production wiring, in one place: the real clock and file system, POCO transports, the token
// source, the API client, the mirror and the sync engine, built from a Config; and the service
// around them.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/hubspot_api.h"
#include "config/config.h"
#include "core/access_token_source.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/transport.h"
#include "mirror/mirror.h"
#include "oauth/token_manager.h"
#include "service/service.h"
#include "service/sync_lock.h"
#include "sync/sync_engine.h"

namespace hubsync {

// A StaticTokenSource following access_token_file, or, for an OAuth config, a TokenManager on
// the token store with `transport` (which must be used by nothing else).
std::unique_ptr<AccessTokenSource> make_access_token_source(const Config& config,
                                                            HttpTransport& transport, Clock& clock);

TransportOptions transport_options(const Config& config, const EngineHooks& hooks);
SyncOptions sync_options(const Config& config, const EngineHooks& hooks);

// Opens the mirror (creating it and its directory) and builds the token source, API client
// and engine.
Result<std::unique_ptr<SyncParts>> make_sync_parts(const Config& config, Clock& clock,
                                                   const EngineHooks& hooks);

// The service's outside world: the real clock and file system, make_sync_parts, the config
// file at `config_path` (with `env`, which must outlive the service) for reloads, and
// systemd's notify socket and watchdog from the process environment.
ServiceOptions service_options(const std::string& config_path, const Environment& env,
                               std::function<bool()> take_reload);

}  // namespace hubsync
