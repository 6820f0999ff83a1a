// Private-app mode: a static bearer token that never refreshes.
#pragma once

#include <string>

#include "core/access_token_source.h"

namespace hubsync {

class StaticTokenSource final : public AccessTokenSource {
  public:
    explicit StaticTokenSource(std::string token);
    Result<std::string> access_token() override;
    // A private app token cannot be refreshed: a 401 means it was rotated or the app deleted.
    Result<std::string> refresh_after_unauthorized(const std::string& rejected) override;

  private:
    std::string token_;
};

}  // namespace hubsync
