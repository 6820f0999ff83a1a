// FaultEnv: an Env for tests that forwards to another Env (POSIX by default) and fails chosen
// operations with a chosen errno, as LevelDB's fault-injection tests do: a full disk on write,
// an fsync that fails, a rename that fails. The same faults reach SQLite through the mirror's
// VFS shim (injected_error()), so one object breaks the token store and the mirror alike.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"

namespace hubsync {

// Thread-safe.
class FaultEnv final : public Env {
  public:
    explicit FaultEnv(Env& base = Env::posix());

    // From now on, `op` on a path containing `path_part` (any path when empty) fails with `err`
    // (ENOSPC for a full disk, EIO for a failing device): after `skip` more operations that
    // succeed, for `times` operations (-1: until clear()).
    void inject(FileOp op, int err, std::string path_part = {}, int times = -1, int skip = 0);
    // Every fault is gone: the file system works again.
    void clear();
    // How many operations of this kind were asked for, and how many of them a fault failed.
    int count(FileOp op) const;
    int failed(FileOp op) const;
    // Syncs report success without reaching the disk: for tests that write a store thousands
    // of times and care about what is written, not about durability.
    void skip_syncs(bool skip);

    Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path,
                                                            unsigned mode) override;
    Result<std::string> read_file(const std::string& path) override;
    Status rename_file(const std::string& from, const std::string& to) override;
    Status remove_file(const std::string& path) override;
    Status create_dir(const std::string& path, unsigned mode) override;
    Status sync_dir(const std::string& path) override;
    Status set_permissions(const std::string& path, unsigned mode) override;
    Status set_owner(const std::string& path, uid_t uid, gid_t gid) override;
    Result<FileInfo> stat(const std::string& path) override;
    Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockWait wait) override;
    Status unlock_file(std::unique_ptr<FileLock> lock) override;
    int injected_error(FileOp op, std::string_view path) override;

    // A sync that skip_syncs() turned into a no-op counts, but does not reach the base Env.
    bool syncs_skipped() const;

  private:
    struct Fault {
        FileOp op;
        int err;
        std::string path_part;
        int times;
        int skip;
    };
    static constexpr std::size_t kOps = static_cast<std::size_t>(FileOp::kLock) + 1;

    Env& base_;
    mutable std::mutex mu_;
    std::vector<Fault> faults_;
    std::array<int, kOps> counts_{};
    std::array<int, kOps> failed_{};
    bool skip_syncs_ = false;
};

}  // namespace hubsync
