// Env::posix(): the Env over open/write/fsync/rename and flock.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/env.h"

namespace hubsync {
namespace {

std::string parent_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return {};
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Status fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return file_error(FileOp::kSync, path, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return file_error(FileOp::kSync, path, err);
    return Status::Ok();
}

class PosixWritableFile final : public WritableFile {
  public:
    PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    ~PosixWritableFile() override {
        if (fd_ >= 0) ::close(fd_);
    }

    Status append(std::string_view data) override {
        while (!data.empty()) {
            const ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return file_error(FileOp::kWrite, path_, errno);
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return Status::Ok();
    }

    Status sync() override {
        if (::fsync(fd_) != 0) return file_error(FileOp::kSync, path_, errno);
        return Status::Ok();
    }

    Status close() override {
        const int fd = fd_;
        fd_ = -1;
        if (fd >= 0 && ::close(fd) != 0) return file_error(FileOp::kWrite, path_, errno);
        return Status::Ok();
    }

  private:
    std::string path_;
    int fd_;
};

// flock locks belong to the open file description, so two descriptors of one process
// exclude each other just as two processes do; closing the descriptor releases the lock.
class PosixFileLock final : public FileLock {
  public:
    explicit PosixFileLock(int fd) : fd_(fd) {}
    ~PosixFileLock() override { ::close(fd_); }

  private:
    int fd_;
};

class PosixEnv final : public Env {
  public:
    Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path,
                                                            unsigned mode) override {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                              static_cast<mode_t>(mode));
        if (fd < 0) return file_error(FileOp::kCreate, path, errno);
        // open()'s mode is reduced by the umask and ignored for an existing file.
        if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
            const int err = errno;
            ::close(fd);
            return file_error(FileOp::kCreate, path, err);
        }
        return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
    }

    Result<std::string> read_file(const std::string& path) override {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return file_error(FileOp::kRead, path, errno);
        std::string text;
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                ::close(fd);
                return file_error(FileOp::kRead, path, err);
            }
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        return text;
    }

    Status rename_file(const std::string& from, const std::string& to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) return file_error(FileOp::kRename, to, errno);
        return Status::Ok();
    }

    Status remove_file(const std::string& path) override {
        if (::unlink(path.c_str()) != 0) return file_error(FileOp::kRemove, path, errno);
        return Status::Ok();
    }

    Status create_dir(const std::string& path, unsigned mode) override {
        HS_ASSIGN_OR_RETURN(const FileInfo info, stat(path));
        if (info.exists) {
            if (info.is_directory) return Status::Ok();
            return file_error(FileOp::kCreateDir, path, ENOTDIR);
        }
        const std::string parent = parent_of(path);
        if (!parent.empty() && parent != path) HS_RETURN_IF_ERROR(create_dir(parent, mode));
        if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
            if (errno == EEXIST) return Status::Ok();  // made by someone else meanwhile
            return file_error(FileOp::kCreateDir, path, errno);
        }
        // mkdir's mode is reduced by the umask, never widened; set it exactly.
        return set_permissions(path, mode);
    }

    Status sync_dir(const std::string& path) override {
        return fsync_path(path, O_RDONLY | O_DIRECTORY);
    }

    Status set_permissions(const std::string& path, unsigned mode) override {
        if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
            return make_error(
                ErrorKind::kIo,
                "cannot change the permissions of " + path + ": " + std::strerror(errno),
                "check that it belongs to the user hubsync runs as");
        return Status::Ok();
    }

    Status set_owner(const std::string& path, uid_t uid, gid_t gid) override {
        if (::chown(path.c_str(), uid, gid) != 0)
            return make_error(ErrorKind::kIo,
                              "cannot change the owner of " + path + ": " + std::strerror(errno),
                              "run as root or as the owner of the directory");
        return Status::Ok();
    }

    Result<FileInfo> stat(const std::string& path) override {
        struct stat st {};
        FileInfo info;
        if (::stat(path.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) return info;
            return make_error(ErrorKind::kIo,
                              "cannot inspect " + path + ": " + std::strerror(errno),
                              "check the permissions of the directories above it");
        }
        info.exists = true;
        info.is_directory = S_ISDIR(st.st_mode);
        info.mode = st.st_mode & 07777;
        info.uid = st.st_uid;
        info.gid = st.st_gid;
        info.dev = static_cast<std::uint64_t>(st.st_dev);
        info.ino = static_cast<std::uint64_t>(st.st_ino);
        info.mtime_ns =
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        info.size = static_cast<std::int64_t>(st.st_size);
        return info;
    }

    Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockWait wait) override {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) return file_error(FileOp::kLock, path, errno);
        const int operation = LOCK_EX | (wait == LockWait::kTryOnce ? LOCK_NB : 0);
        while (::flock(fd, operation) != 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            if (err == EWOULDBLOCK)
                return make_error(ErrorKind::kTransient, path + " is locked by another holder",
                                  "try again once it is released");
            return file_error(FileOp::kLock, path, err);
        }
        return std::unique_ptr<FileLock>(new PosixFileLock(fd));
    }

    Status unlock_file(std::unique_ptr<FileLock> lock) override {
        lock.reset();
        return Status::Ok();
    }
};

const char* verb(FileOp op) {
    switch (op) {
        case FileOp::kCreate:
            return "cannot create";
        case FileOp::kWrite:
            return "cannot write";
        case FileOp::kSync:
            return "cannot fsync";
        case FileOp::kTruncate:
            return "cannot truncate";
        case FileOp::kRename:
            return "cannot rename a file to";
        case FileOp::kRemove:
            return "cannot remove";
        case FileOp::kCreateDir:
            return "cannot create the directory";
        case FileOp::kRead:
            return "cannot read";
        case FileOp::kLock:
            return "cannot lock";
    }
    return "cannot use";
}

}  // namespace

const char* to_string(FileOp op) {
    switch (op) {
        case FileOp::kCreate:
            return "create";
        case FileOp::kWrite:
            return "write";
        case FileOp::kSync:
            return "sync";
        case FileOp::kTruncate:
            return "truncate";
        case FileOp::kRename:
            return "rename";
        case FileOp::kRemove:
            return "remove";
        case FileOp::kCreateDir:
            return "create_dir";
        case FileOp::kRead:
            return "read";
        case FileOp::kLock:
            return "lock";
    }
    return "unknown";
}

Error file_error(FileOp op, const std::string& path, int err) {
    const std::string message = std::string(verb(op)) + " " + path + ": " + std::strerror(err);
    if (err == ENOENT) return make_error(ErrorKind::kNotFound, message);
    if (err == ENOSPC || err == EDQUOT)
        return make_error(ErrorKind::kIo, message, "free space on that file system and retry");
    return make_error(ErrorKind::kIo, message,
                      "check that the directory exists and belongs to the user hubsync runs as");
}

Env& Env::posix() {
    static PosixEnv env;
    return env;
}

}  // namespace hubsync
