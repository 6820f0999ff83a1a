// StaticTokenSource: the configured access token, followed through rotations of its file.
#include "oauth/static_token_source.h"

#include "config/config.h"
#include "core/log.h"
#include "core/redact.h"

namespace hubsync {

StaticTokenSource::StaticTokenSource(std::string token, std::string file)
    : token_(std::move(token)), file_(std::move(file)) {
    add_secret(token_);
}

Status StaticTokenSource::reload_locked(bool always) {
    if (file_.empty()) return Status::Ok();
    const FileStamp now = file_stamp(file_);
    if (!always && now.exists && now == stamp_) return Status::Ok();
    HS_ASSIGN_OR_RETURN(SecretFile secret, read_secret_file(file_, "access_token_file"));
    if (secret.value != token_ && stamp_.exists)
        HS_LOG_NOTICE("access token file {} holds a new token; using it from now on", file_);
    token_ = std::move(secret.value);
    stamp_ = now;
    return Status::Ok();
}

Result<std::string> StaticTokenSource::access_token() {
    std::lock_guard lock(mu_);
    HS_RETURN_IF_ERROR(reload_locked(false));
    if (token_.empty())
        return make_error(ErrorKind::kConfig, "no access token is configured",
                          "set access_token_file to the file holding a service key");
    return token_;
}

Result<std::string> StaticTokenSource::refresh_after_unauthorized(const std::string& rejected) {
    std::lock_guard lock(mu_);
    HS_RETURN_IF_ERROR(reload_locked(true));
    if (!token_.empty() && token_ != rejected) return token_;
    const std::string where = file_.empty() ? std::string("access_token_file") : file_;
    return make_error(ErrorKind::kAuthRequired,
                      "HubSpot rejected the access token in " + where +
                          " (401): the key was revoked or rotated: update " + where,
                      "put the current service key in it, from HubSpot's Settings > "
                      "Integrations > Service keys; hubsync reads the file again without a "
                      "restart");
}

}  // namespace hubsync
