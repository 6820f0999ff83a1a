// One writer of the mirror at a time: an exclusive lock on state_dir/sync.lock, held by the
// service or by a `hubsync sync` for as long as it may write.
#pragma once

#include <memory>
#include <string>

#include "core/env.h"
#include "core/result.h"

namespace hubsync {

// Released on destruction, or by the operating system when the holder dies.
class SyncLock final {
  public:
    // Creates state_dir (0750: the mirror there may be group-readable) when missing. kTransient
    // right away when another holder has the lock, in another process or in this one.
    static Result<std::unique_ptr<SyncLock>> try_acquire(const std::string& state_dir,
                                                         Env& env = Env::posix());

  private:
    explicit SyncLock(std::unique_ptr<FileLock> lock) : lock_(std::move(lock)) {}
    std::unique_ptr<FileLock> lock_;
};

}  // namespace hubsync
