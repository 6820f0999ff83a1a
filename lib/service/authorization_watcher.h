// Notices a new authorization in the token store, so a service paused for `hubsync authorize`
// resumes at once instead of at its next backoff.
#pragma once

#include <optional>

#include "core/clock.h"
#include "oauth/token_store.h"

namespace hubsync {

// Not thread-safe: the scheduler's watch hook calls it, on one thread.
class AuthorizationWatcher final {
  public:
    // Remembers the store's current version and authorization.
    explicit AuthorizationWatcher(TokenStore store);

    // True when the store was replaced since the last call and holds another authorization
    // (authorized_at) than before, or none any more. The service's own refreshes rewrite the
    // store too (every refresh, every failed attempt), but keep the authorization's time:
    // those are no reason to cut a backoff short. Costs one stat while nothing changed.
    bool new_authorization();

  private:
    std::optional<Instant> authorized_at() const;

    TokenStore store_;
    FileStamp stamp_;
    std::optional<Instant> authorization_;
};

}  // namespace hubsync
