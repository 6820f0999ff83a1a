// The VFS shim: a file object that wraps the default VFS's, with fault points on the way in.
#include "mirror/vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hubsync {
namespace {

// One registered VFS (its pAppData points back here).
struct ShimVfs {
    sqlite3_vfs vfs;
    sqlite3_vfs* base;
    Env* env;
    std::string name;
};

// SQLite allocates szOsFile bytes per open file: this header, then the base VFS's file.
struct ShimFile {
    sqlite3_file file;
    sqlite3_file* base;
    Env* env;
    const char* path;  // valid until xClose (SQLite guarantees it for xOpen's name)
};

constexpr int kBaseOffset = (static_cast<int>(sizeof(ShimFile)) + 7) & ~7;

ShimFile* shim(sqlite3_file* f) {
    return reinterpret_cast<ShimFile*>(f);
}
sqlite3_file* base(sqlite3_file* f) {
    return shim(f)->base;
}
ShimVfs* shim(sqlite3_vfs* v) {
    return static_cast<ShimVfs*>(v->pAppData);
}
sqlite3_vfs* base(sqlite3_vfs* v) {
    return shim(v)->base;
}

// 0, or the SQLite code the operation fails with. errno is set as the system would have, so
// the mirror's error messages name the cause (disk full, I/O error).
int fault(sqlite3_file* f, FileOp op, int io_error) {
    const ShimFile* s = shim(f);
    const int err = s->env->injected_error(op, s->path ? s->path : "");
    if (err == 0) return 0;
    errno = err;
    if (op == FileOp::kWrite && (err == ENOSPC || err == EDQUOT)) return SQLITE_FULL;
    return io_error;
}

// --- the file methods ------------------------------------------------------------------------

int shim_close(sqlite3_file* f) {
    return base(f)->pMethods->xClose(base(f));
}
int shim_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
    return base(f)->pMethods->xRead(base(f), buf, amount, offset);
}
int shim_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
    if (const int rc = fault(f, FileOp::kWrite, SQLITE_IOERR_WRITE)) return rc;
    return base(f)->pMethods->xWrite(base(f), buf, amount, offset);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (const int rc = fault(f, FileOp::kTruncate, SQLITE_IOERR_TRUNCATE)) return rc;
    return base(f)->pMethods->xTruncate(base(f), size);
}
int shim_sync(sqlite3_file* f, int flags) {
    if (const int rc = fault(f, FileOp::kSync, SQLITE_IOERR_FSYNC)) return rc;
    return base(f)->pMethods->xSync(base(f), flags);
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return base(f)->pMethods->xFileSize(base(f), size);
}
int shim_lock(sqlite3_file* f, int level) {
    return base(f)->pMethods->xLock(base(f), level);
}
int shim_unlock(sqlite3_file* f, int level) {
    return base(f)->pMethods->xUnlock(base(f), level);
}
int shim_check_reserved_lock(sqlite3_file* f, int* out) {
    return base(f)->pMethods->xCheckReservedLock(base(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
    return base(f)->pMethods->xFileControl(base(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) {
    return base(f)->pMethods->xSectorSize(base(f));
}
int shim_device_characteristics(sqlite3_file* f) {
    return base(f)->pMethods->xDeviceCharacteristics(base(f));
}
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return base(f)->pMethods->xShmMap(base(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return base(f)->pMethods->xShmLock(base(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) {
    base(f)->pMethods->xShmBarrier(base(f));
}
int shim_shm_unmap(sqlite3_file* f, int delete_flag) {
    return base(f)->pMethods->xShmUnmap(base(f), delete_flag);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    return base(f)->pMethods->xFetch(base(f), offset, amount, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
    return base(f)->pMethods->xUnfetch(base(f), offset, p);
}

// One table per version of the base file's methods, so SQLite sees exactly the abilities
// (shared memory for WAL, memory mapping) the base file has.
sqlite3_io_methods methods_for(int version) {
    sqlite3_io_methods m{};
    m.iVersion = version;
    m.xClose = shim_close;
    m.xRead = shim_read;
    m.xWrite = shim_write;
    m.xTruncate = shim_truncate;
    m.xSync = shim_sync;
    m.xFileSize = shim_file_size;
    m.xLock = shim_lock;
    m.xUnlock = shim_unlock;
    m.xCheckReservedLock = shim_check_reserved_lock;
    m.xFileControl = shim_file_control;
    m.xSectorSize = shim_sector_size;
    m.xDeviceCharacteristics = shim_device_characteristics;
    if (version >= 2) {
        m.xShmMap = shim_shm_map;
        m.xShmLock = shim_shm_lock;
        m.xShmBarrier = shim_shm_barrier;
        m.xShmUnmap = shim_shm_unmap;
    }
    if (version >= 3) {
        m.xFetch = shim_fetch;
        m.xUnfetch = shim_unfetch;
    }
    return m;
}

const sqlite3_io_methods* shim_methods(int version) {
    static const sqlite3_io_methods v1 = methods_for(1);
    static const sqlite3_io_methods v2 = methods_for(2);
    static const sqlite3_io_methods v3 = methods_for(3);
    if (version >= 3) return &v3;
    return version == 2 ? &v2 : &v1;
}

// --- the VFS methods -------------------------------------------------------------------------

int shim_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    ShimFile* s = shim(f);
    s->base = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kBaseOffset);
    s->env = shim(vfs)->env;
    s->path = name;
    s->file.pMethods = nullptr;
    const int rc = base(vfs)->xOpen(base(vfs), name, s->base, flags, out_flags);
    // SQLite calls xClose only when pMethods is set, which the base does on success.
    if (s->base->pMethods != nullptr) s->file.pMethods = shim_methods(s->base->pMethods->iVersion);
    return rc;
}

int shim_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    return base(vfs)->xDelete(base(vfs), name, sync_dir);
}
int shim_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    return base(vfs)->xAccess(base(vfs), name, flags, out);
}
int shim_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
    return base(vfs)->xFullPathname(base(vfs), name, size, out);
}
void* shim_dl_open(sqlite3_vfs* vfs, const char* name) {
    return base(vfs)->xDlOpen(base(vfs), name);
}
void shim_dl_error(sqlite3_vfs* vfs, int size, char* out) {
    base(vfs)->xDlError(base(vfs), size, out);
}
void (*shim_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
    return base(vfs)->xDlSym(base(vfs), handle, symbol);
}
void shim_dl_close(sqlite3_vfs* vfs, void* handle) {
    base(vfs)->xDlClose(base(vfs), handle);
}
int shim_randomness(sqlite3_vfs* vfs, int size, char* out) {
    return base(vfs)->xRandomness(base(vfs), size, out);
}
int shim_sleep(sqlite3_vfs* vfs, int micros) {
    return base(vfs)->xSleep(base(vfs), micros);
}
int shim_current_time(sqlite3_vfs* vfs, double* out) {
    return base(vfs)->xCurrentTime(base(vfs), out);
}
int shim_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
    return base(vfs)->xGetLastError(base(vfs), size, out);
}
int shim_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    return base(vfs)->xCurrentTimeInt64(base(vfs), out);
}
int shim_set_system_call(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
    return base(vfs)->xSetSystemCall(base(vfs), name, call);
}
sqlite3_syscall_ptr shim_get_system_call(sqlite3_vfs* vfs, const char* name) {
    return base(vfs)->xGetSystemCall(base(vfs), name);
}
const char* shim_next_system_call(sqlite3_vfs* vfs, const char* name) {
    return base(vfs)->xNextSystemCall(base(vfs), name);
}

std::unique_ptr<ShimVfs> make_vfs(sqlite3_vfs* default_vfs, Env* env, std::string name) {
    auto s = std::make_unique<ShimVfs>();
    s->base = default_vfs;
    s->env = env;
    s->name = std::move(name);
    sqlite3_vfs& v = s->vfs;
    v.iVersion = std::min(default_vfs->iVersion, 3);
    v.szOsFile = kBaseOffset + default_vfs->szOsFile;
    v.mxPathname = default_vfs->mxPathname;
    v.zName = s->name.c_str();
    v.pAppData = s.get();
    v.xOpen = shim_open;
    v.xDelete = shim_delete;
    v.xAccess = shim_access;
    v.xFullPathname = shim_full_pathname;
    v.xDlOpen = shim_dl_open;
    v.xDlError = shim_dl_error;
    v.xDlSym = shim_dl_sym;
    v.xDlClose = shim_dl_close;
    v.xRandomness = shim_randomness;
    v.xSleep = shim_sleep;
    v.xCurrentTime = shim_current_time;
    v.xGetLastError = shim_get_last_error;
    if (v.iVersion >= 2) v.xCurrentTimeInt64 = shim_current_time_int64;
    if (v.iVersion >= 3) {
        v.xSetSystemCall = shim_set_system_call;
        v.xGetSystemCall = shim_get_system_call;
        v.xNextSystemCall = shim_next_system_call;
    }
    return s;
}

}  // namespace

const char* mirror_vfs(Env* env) {
    if (env == nullptr) env = &Env::posix();
    static std::mutex mu;
    // Never unregistered: an Env created later at the same address reuses its entry, which
    // points at that address. Tests create a few; production one.
    static std::map<Env*, std::unique_ptr<ShimVfs>> registered;
    std::lock_guard lock(mu);
    auto& entry = registered[env];
    if (!entry) {
        sqlite3_vfs* default_vfs = sqlite3_vfs_find(nullptr);
        std::string name = env == &Env::posix() ? std::string("hubsync")
                                                : "hubsync-" + std::to_string(registered.size());
        entry = make_vfs(default_vfs, env, std::move(name));
        sqlite3_vfs_register(&entry->vfs, 0);
    }
    return entry->name.c_str();
}

}  // namespace hubsync
