// The mirror's file system seam. SQLite does its own file I/O, so the mirror opens its
// databases through a VFS shim that forwards everything to SQLite's default VFS but asks an
// Env (Env::injected_error) before each write, sync and truncate: FaultEnv fills the disk or
// fails an fsync under SQLite exactly as it does under the token store.
#pragma once

#include "core/env.h"

namespace hubsync {

// The name of the VFS to open a mirror database with, for `env` (nullptr: Env::posix()).
// Registered with SQLite on first use: "hubsync" for the POSIX Env (whose fault points never
// fire, so production pays one virtual call per write), "hubsync-N" for each other Env.
// Thread-safe. A database opened with it must be closed before `env` is destroyed.
const char* mirror_vfs(Env* env);

}  // namespace hubsync
