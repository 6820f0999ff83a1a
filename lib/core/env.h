// The file system seam, after LevelDB's Env: the engine's own files (the token store, the
// lock files, the store watcher's stat) go through an Env, so tests can swap in FaultEnv
// (core/fault_env.h) and fail a write, an fsync or a rename on purpose. Production uses
// Env::posix(); the choice is made in one place (daemon/wiring.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hubsync {

// The operations an Env can be asked to fail, also used by file I/O that does not go through
// an Env (SQLite's, see injected_error()).
enum class FileOp { kCreate, kWrite, kSync, kTruncate, kRename, kRemove, kCreateDir, kRead, kLock };
const char* to_string(FileOp op);

// What stat() found. A replaced file (written to a temp file and renamed) always has a new
// (dev, ino) pair, which is how watchers tell versions apart.
struct FileInfo {
    bool exists = false;
    bool is_directory = false;
    unsigned mode = 0;  // permission bits (07777)
    uid_t uid = 0;
    gid_t gid = 0;
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
};

// A file being written, from new_writable_file(). Not thread-safe. Destroying it without
// close() closes it and drops any error.
class WritableFile {
  public:
    virtual ~WritableFile() = default;
    virtual Status append(std::string_view data) = 0;
    // fsync: the data is on disk when this returns ok.
    virtual Status sync() = 0;
    virtual Status close() = 0;
};

// An exclusive lock on a file, from lock_file(). Held until unlock_file() or destruction;
// the operating system also releases it when the process dies.
class FileLock {
  public:
    virtual ~FileLock() = default;
};

// Thread-safe: any thread may call any method. Errors are kIo and name the file, except where
// a method says otherwise.
class Env {
  public:
    virtual ~Env() = default;

    // The POSIX file system. Lives as long as the process.
    static Env& posix();

    // Creates `path` (or truncates an existing file) for writing, with permissions exactly
    // `mode` whatever the umask. Never follows a symlink at `path`.
    virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path,
                                                                    unsigned mode) = 0;
    // The whole file. kNotFound when there is none.
    virtual Result<std::string> read_file(const std::string& path) = 0;
    // Atomically replaces `to` with `from` (same directory, same file system).
    virtual Status rename_file(const std::string& from, const std::string& to) = 0;
    // kNotFound when there is no such file.
    virtual Status remove_file(const std::string& path) = 0;
    // Creates `path` and any missing parents, each new one with permissions exactly `mode`.
    // Ok when it already is a directory (its permissions are left alone).
    virtual Status create_dir(const std::string& path, unsigned mode) = 0;
    // fsync of a directory: makes a rename or a removal in it durable.
    virtual Status sync_dir(const std::string& path) = 0;
    virtual Status set_permissions(const std::string& path, unsigned mode) = 0;
    virtual Status set_owner(const std::string& path, uid_t uid, gid_t gid) = 0;
    // exists = false when nothing is at `path`; an error only when it cannot be looked at.
    virtual Result<FileInfo> stat(const std::string& path) = 0;

    // LevelDB's LockFile: an exclusive lock on `path` (created 0600 when missing). Excludes
    // other processes and other holders in this process alike. With kTryOnce a lock someone
    // holds is kTransient at once; with kWait this blocks until it is free.
    enum class LockWait { kTryOnce, kWait };
    virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockWait wait) = 0;
    // LevelDB's UnlockFile: releases the lock now (destroying it does the same).
    virtual Status unlock_file(std::unique_ptr<FileLock> lock) = 0;

    // The fault points of file I/O that does not go through an Env: SQLite does its own, and
    // the mirror's VFS shim asks before each write, sync and truncate. Returns the errno the
    // operation is to fail with (ENOSPC: disk full, EIO), or 0 to let it proceed. The POSIX
    // Env lets everything proceed.
    virtual int injected_error(FileOp /*op*/, std::string_view /*path*/) { return 0; }
};

// The error for `op` on `path` failing with `err` (an errno): kIo ("cannot write PATH: No
// space left on device"), kNotFound for ENOENT.
Error file_error(FileOp op, const std::string& path, int err);

}  // namespace hubsync
