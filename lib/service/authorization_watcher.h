// Notices a new authorization, so a service paused for want of one resumes at once instead of
// at its next backoff: a new `hubsync authorize` (OAuth) or a rotated access token file (a
// service key or a private app's token).
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/env.h"
#include "oauth/token_store.h"

namespace hubsync {

// Not thread-safe: the scheduler's watch hook calls it, on one thread.
class AuthorizationWatcher final {
  public:
    // OAuth: the token store. A new authorized_at counts; the service's own refreshes, which
    // rewrite the store too (every refresh, every failed attempt) but keep the authorization's
    // time, do not: they are no reason to cut a backoff short.
    static AuthorizationWatcher token_store(TokenStore store);
    // A static token: any replacement of the file counts (a rotated key). `env` must outlive
    // the watcher.
    static AuthorizationWatcher access_token_file(std::string path, Env& env);

    // True when the authorization changed since the last call (or since construction). Costs
    // one stat while nothing changed.
    bool new_authorization();
    // The change new_authorization() saw, for the log: "token store holds a new
    // authorization" or "access token file PATH changed".
    std::string change() const;

  private:
    AuthorizationWatcher(std::string path, Env& env, std::optional<TokenStore> store);
    std::optional<Instant> authorized_at() const;

    std::string path_;
    Env* env_;
    std::optional<TokenStore> store_;  // set for OAuth
    FileStamp stamp_;
    std::optional<Instant> authorization_;
};

}  // namespace hubsync
