// Stamp first, then the file: the store is read only when it was replaced.
#include "service/authorization_watcher.h"

namespace hubsync {

AuthorizationWatcher::AuthorizationWatcher(TokenStore store)
    : store_(std::move(store)), stamp_(store_.stamp()), authorization_(authorized_at()) {}

bool AuthorizationWatcher::new_authorization() {
    const FileStamp stamp = store_.stamp();
    if (stamp == stamp_) return false;
    stamp_ = stamp;
    const std::optional<Instant> current = authorized_at();
    if (current == authorization_) return false;
    authorization_ = current;
    return true;
}

std::optional<Instant> AuthorizationWatcher::authorized_at() const {
    auto loaded = store_.load();
    if (!loaded.ok() || !*loaded) return std::nullopt;
    return (*loaded)->authorized_at;
}

}  // namespace hubsync
