// Where API calls get their bearer token: the seam between the API client and its credentials.
// Implemented by the OAuth token manager (refreshing 30-minute tokens) and by a static token
// (a service key or a legacy private app's token).
#pragma once

#include <string>

#include "core/result.h"

namespace hubsync {

class AccessTokenSource {
  public:
    virtual ~AccessTokenSource() = default;
    // A token valid for at least the refresh margin, refreshing first when needed.
    // kAuthRequired when a person must run `hubsync authorize`. Thread-safe.
    virtual Result<std::string> access_token() = 0;
    // Called once after a 401 for `rejected`: refresh (unless another thread already did) and
    // return the new token. The caller retries once, then treats a second 401 as an error.
    virtual Result<std::string> refresh_after_unauthorized(const std::string& rejected) = 0;
};

}  // namespace hubsync
