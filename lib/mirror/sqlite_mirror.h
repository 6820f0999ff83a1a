// The SQLite implementation of the mirror: one database file in WAL mode, opened by the
// service for writing and by readers (status, reporting tools) read-only.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"

namespace hubsync {

class Env;

struct MirrorOptions {
    // Read-only mode for `hubsync status` and other readers: never creates, migrates or
    // writes, never takes a write lock, so it never blocks the service.
    bool read_only = false;
    // How long a statement waits for a lock before failing with kTransient.
    std::chrono::milliseconds busy_timeout{10'000};
    // Permissions of a newly created database file; SQLite gives the -wal and -shm files the
    // same mode. 0640 lets a reporting group read the mirror. Existing files are not touched.
    unsigned file_mode = 0640;
    // Time source for synced_at and sync_runs. nullptr = SystemClock::instance().
    Clock* clock = nullptr;
    // The file system SQLite's writes, syncs and truncates go through (see mirror/vfs.h), so
    // tests can fill the disk or fail an fsync. nullptr = Env::posix(). Must outlive the Mirror.
    Env* env = nullptr;
    // Tests only: migrate to this schema version instead of the latest (0 = latest).
    int schema_version = 0;
    // WAL size (16 KiB pages) past which a commit checkpoints and starts the WAL over, even
    // while readers keep arriving (see wal_commit_hook in sqlite_mirror.cc). 2048 = 32 MiB: half
    // the 64 MB the WAL must stay under, and large enough that backfill throughput holds.
    int wal_restart_pages = 2048;
};

class SqliteMirror {
  public:
    // Opens (creating and migrating unless read_only) the database at `path`. Sets WAL mode,
    // busy_timeout and the pragmas documented in sqlite_mirror.cc. A read-only open of a
    // missing file is kNotFound; of a database from a newer hubsync, kIo.
    static Result<std::unique_ptr<Mirror>> open(const std::string& path,
                                                const MirrorOptions& options = {});
    // The schema version this build creates (PRAGMA user_version).
    static int latest_schema_version();
};

}  // namespace hubsync
