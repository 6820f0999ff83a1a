// Stamp first, then the file: the token store is read only when it was replaced.
#include "service/authorization_watcher.h"

namespace hubsync {

AuthorizationWatcher AuthorizationWatcher::token_store(TokenStore store) {
    std::string path = store.path();
    Env& env = store.env();
    return AuthorizationWatcher(std::move(path), env, std::move(store));
}

AuthorizationWatcher AuthorizationWatcher::access_token_file(std::string path, Env& env) {
    return AuthorizationWatcher(std::move(path), env, std::nullopt);
}

AuthorizationWatcher::AuthorizationWatcher(std::string path, Env& env,
                                           std::optional<TokenStore> store)
    : path_(std::move(path)),
      env_(&env),
      store_(std::move(store)),
      stamp_(file_stamp(path_, env)),
      authorization_(authorized_at()) {}

bool AuthorizationWatcher::new_authorization() {
    const FileStamp stamp = file_stamp(path_, *env_);
    if (stamp == stamp_) return false;
    stamp_ = stamp;
    if (!store_) return true;
    const std::optional<Instant> current = authorized_at();
    if (current == authorization_) return false;
    authorization_ = current;
    return true;
}

std::string AuthorizationWatcher::change() const {
    return store_ ? std::string("token store holds a new authorization")
                  : "access token file " + path_ + " changed";
}

std::optional<Instant> AuthorizationWatcher::authorized_at() const {
    if (!store_) return std::nullopt;
    auto loaded = store_->load();
    if (!loaded.ok() || !*loaded) return std::nullopt;
    return (*loaded)->authorized_at;
}

}  // namespace hubsync
