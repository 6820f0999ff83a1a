// Static-token mode: a service key (or a legacy private app's token) that never refreshes, read
// from access_token_file and read again whenever an admin replaces the file.
#pragma once

#include <mutex>
#include <string>

#include "core/access_token_source.h"
#include "oauth/token_store.h"

namespace hubsync {

// Thread-safe. Holds no secret beyond the current token, which is registered for redaction.
class StaticTokenSource final : public AccessTokenSource {
  public:
    // `token` as the config loader read it from `file`. Without a file the token never changes
    // (tests, benchmarks).
    explicit StaticTokenSource(std::string token, std::string file = {});

    // The token; the file is read again first when its stamp (inode, size, mtime) changed, so a
    // rotated key is used from the next request on. An unreadable or empty file is a kConfig
    // error naming the file; the next call tries again.
    Result<std::string> access_token() override;
    // A static token cannot be refreshed: the file is read again, and a token other than the
    // rejected one is returned for the retry. The same token again is kAuthRequired: the key was
    // revoked or rotated and the file still holds the old one.
    Result<std::string> refresh_after_unauthorized(const std::string& rejected) override;

    const std::string& file() const { return file_; }

  private:
    Status reload_locked(bool always);

    std::mutex mu_;
    std::string token_;
    const std::string file_;
    FileStamp stamp_;  // of the file when token_ was read; exists = false forces a read
};

}  // namespace hubsync
