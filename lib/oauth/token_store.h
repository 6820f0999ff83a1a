// The token store: tokens.json in state_dir (directory 0700, file 0600), replaced atomically,
// with a locked tokens.lock serialising writers across processes (authorize, sync, service).
// Every file operation goes through an Env, so tests fail writes, fsyncs and renames at will.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"

namespace hubsync {

// Everything known about the authorization. Secrets: access_token and refresh_token only.
struct StoredTokens {
    enum class State { kOk, kAuthRequired };

    std::string access_token;
    std::string refresh_token;
    Instant access_expires_at{};
    Instant obtained_at{};  // when access_token was issued (start of its lifetime)
    std::int64_t hub_id = 0;
    std::string hub_domain;
    std::vector<std::string> scopes;
    std::string token_url;  // the endpoint that issued these tokens
    Instant authorized_at{};
    State state = State::kOk;
    std::string auth_required_reason;  // why a person must authorize again
    Instant auth_required_since{};
    std::string last_refresh_error;  // empty after a successful refresh
    Instant last_refresh_error_at{};
    int refresh_failures = 0;  // consecutive
};

// Identifies one version of the file: an atomic replace always yields a new inode.
struct FileStamp {
    bool exists = false;
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    bool operator==(const FileStamp&) const = default;
};

// The stamp of any file; `exists` is false when it cannot be stat'ed.
FileStamp file_stamp(const std::string& path, Env& env = Env::posix());

// Thread-safe (no mutable state of its own). `env` must outlive the store.
class TokenStore final {
  public:
    explicit TokenStore(std::string state_dir, Env& env = Env::posix());

    const std::string& dir() const { return dir_; }
    Env& env() const { return env_; }
    std::string path() const;       // state_dir/tokens.json
    std::string lock_path() const;  // state_dir/tokens.lock

    // Creates state_dir (0700) when missing; refuses a directory others can write to.
    Status prepare() const;
    // nullopt when there is no stored authorization. Never blocks: readers see the old or the
    // new file, never a mix.
    Result<std::optional<StoredTokens>> load() const;
    // Writes atomically: temp file (0600) in the same directory, fsync, rename, fsync directory.
    // When any step fails the stored file is the previous one, whole. Callers hold a StoreLock.
    Status save(const StoredTokens& tokens) const;
    // Deletes the stored tokens (callers hold a StoreLock).
    Status remove() const;
    FileStamp stamp() const;

  private:
    Status write_temp(const std::string& tmp, const std::string& text) const;

    std::string dir_;
    Env& env_;
};

// An exclusive lock on tokens.lock (Env::lock_file), released on destruction. Several
// processes and threads (each acquire is its own lock) exclude one another.
class StoreLock final {
  public:
    // Blocks until the lock is free.
    static Result<StoreLock> acquire(const TokenStore& store);
    // Returns kTransient immediately when someone else holds it.
    static Result<StoreLock> try_acquire(const TokenStore& store);

  private:
    explicit StoreLock(std::unique_ptr<FileLock> lock) : lock_(std::move(lock)) {}
    static Result<StoreLock> lock(const TokenStore& store, Env::LockWait wait);
    std::unique_ptr<FileLock> lock_;
};

// The JSON text of the store (exposed for tests).
std::string serialize_tokens(const StoredTokens& tokens);
Result<StoredTokens> parse_tokens(const std::string& text);

}  // namespace hubsync
