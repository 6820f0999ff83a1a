// StaticTokenSource: the private app's token, as configured.
#include "oauth/static_token_source.h"

#include "core/redact.h"

namespace hubsync {

StaticTokenSource::StaticTokenSource(std::string token) : token_(std::move(token)) {
    add_secret(token_);
}

Result<std::string> StaticTokenSource::access_token() {
    if (token_.empty())
        return make_error(ErrorKind::kConfig, "the private app token is empty",
                          "put the token in private_app_token_file");
    return token_;
}

Result<std::string> StaticTokenSource::refresh_after_unauthorized(const std::string& /*rejected*/) {
    return make_error(ErrorKind::kUnauthorized,
                      "HubSpot rejected the private app access token (HTTP 401)",
                      "the token may have been rotated or the private app deleted; put a current "
                      "token in private_app_token_file and restart hubsync");
}

}  // namespace hubsync
