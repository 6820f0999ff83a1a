// The mirror's writer lock, on the Env's file lock.
#include "service/sync_lock.h"

namespace hubsync {

Result<std::unique_ptr<SyncLock>> SyncLock::try_acquire(const std::string& state_dir, Env& env) {
    // Group-readable: the mirror lives here by default; the tokens get their own 0700
    // subdirectory from the token store.
    HS_RETURN_IF_ERROR(env.create_dir(state_dir, 0750));
    auto lock = env.lock_file(state_dir + "/sync.lock", Env::LockWait::kTryOnce);
    if (!lock.ok()) {
        if (lock.error().kind == ErrorKind::kTransient)
            return make_error(ErrorKind::kTransient,
                              "another hubsync process is syncing this mirror",
                              "wait for it to finish, or stop the service first");
        return std::move(lock).error();
    }
    return std::unique_ptr<SyncLock>(new SyncLock(std::move(lock).value()));
}

}  // namespace hubsync
