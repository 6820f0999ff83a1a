// The token manager an OAuth config describes, built from the same parts as the daemon's
// wiring (which the tests do not link): the config's token store, endpoint and schedule.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/clock.h"
#include "http/transport.h"
#include "oauth/authorize.h"
#include "oauth/token_client.h"
#include "oauth/token_manager.h"
#include "oauth/token_store.h"

namespace hubsync::testing {

// `transport` must be used by nothing else while the manager refreshes.
inline std::unique_ptr<TokenManager> token_manager_for(const Config& config,
                                                       HttpTransport& transport, Clock& clock) {
    return std::make_unique<TokenManager>(TokenStore(token_store_dir(config)),
                                          TokenClient(transport, token_endpoint(config)), clock,
                                          token_manager_options(config));
}

}  // namespace hubsync::testing
