// The fault table of FaultEnv and the forwarding around it.
#include "core/fault_env.h"

namespace hubsync {
namespace {

std::size_t index(FileOp op) {
    return static_cast<std::size_t>(op);
}

class FaultWritableFile final : public WritableFile {
  public:
    FaultWritableFile(FaultEnv& env, std::string path, std::unique_ptr<WritableFile> base)
        : env_(env), path_(std::move(path)), base_(std::move(base)) {}

    Status append(std::string_view data) override {
        if (const int err = env_.injected_error(FileOp::kWrite, path_))
            return file_error(FileOp::kWrite, path_, err);
        return base_->append(data);
    }

    Status sync() override {
        if (const int err = env_.injected_error(FileOp::kSync, path_))
            return file_error(FileOp::kSync, path_, err);
        if (env_.syncs_skipped()) return Status::Ok();
        return base_->sync();
    }

    Status close() override { return base_->close(); }

  private:
    FaultEnv& env_;
    std::string path_;
    std::unique_ptr<WritableFile> base_;
};

}  // namespace

FaultEnv::FaultEnv(Env& base) : base_(base) {}

void FaultEnv::inject(FileOp op, int err, std::string path_part, int times, int skip) {
    std::lock_guard lock(mu_);
    faults_.push_back(Fault{op, err, std::move(path_part), times, skip});
}

void FaultEnv::clear() {
    std::lock_guard lock(mu_);
    faults_.clear();
}

int FaultEnv::count(FileOp op) const {
    std::lock_guard lock(mu_);
    return counts_[index(op)];
}

int FaultEnv::failed(FileOp op) const {
    std::lock_guard lock(mu_);
    return failed_[index(op)];
}

void FaultEnv::skip_syncs(bool skip) {
    std::lock_guard lock(mu_);
    skip_syncs_ = skip;
}

bool FaultEnv::syncs_skipped() const {
    std::lock_guard lock(mu_);
    return skip_syncs_;
}

int FaultEnv::injected_error(FileOp op, std::string_view path) {
    std::lock_guard lock(mu_);
    ++counts_[index(op)];
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->op != op || path.find(it->path_part) == std::string_view::npos) continue;
        if (it->skip > 0) {
            --it->skip;
            return 0;
        }
        const int err = it->err;
        if (it->times > 0 && --it->times == 0) faults_.erase(it);
        ++failed_[index(op)];
        return err;
    }
    return 0;
}

Result<std::unique_ptr<WritableFile>> FaultEnv::new_writable_file(const std::string& path,
                                                                  unsigned mode) {
    if (const int err = injected_error(FileOp::kCreate, path))
        return file_error(FileOp::kCreate, path, err);
    HS_ASSIGN_OR_RETURN(auto file, base_.new_writable_file(path, mode));
    return std::unique_ptr<WritableFile>(new FaultWritableFile(*this, path, std::move(file)));
}

Result<std::string> FaultEnv::read_file(const std::string& path) {
    if (const int err = injected_error(FileOp::kRead, path))
        return file_error(FileOp::kRead, path, err);
    return base_.read_file(path);
}

Status FaultEnv::rename_file(const std::string& from, const std::string& to) {
    if (const int err = injected_error(FileOp::kRename, to))
        return file_error(FileOp::kRename, to, err);
    return base_.rename_file(from, to);
}

Status FaultEnv::remove_file(const std::string& path) {
    if (const int err = injected_error(FileOp::kRemove, path))
        return file_error(FileOp::kRemove, path, err);
    return base_.remove_file(path);
}

Status FaultEnv::create_dir(const std::string& path, unsigned mode) {
    if (const int err = injected_error(FileOp::kCreateDir, path))
        return file_error(FileOp::kCreateDir, path, err);
    return base_.create_dir(path, mode);
}

Status FaultEnv::sync_dir(const std::string& path) {
    if (const int err = injected_error(FileOp::kSync, path))
        return file_error(FileOp::kSync, path, err);
    if (syncs_skipped()) return Status::Ok();
    return base_.sync_dir(path);
}

Status FaultEnv::set_permissions(const std::string& path, unsigned mode) {
    return base_.set_permissions(path, mode);
}

Status FaultEnv::set_owner(const std::string& path, uid_t uid, gid_t gid) {
    return base_.set_owner(path, uid, gid);
}

Result<FileInfo> FaultEnv::stat(const std::string& path) {
    return base_.stat(path);
}

Result<std::unique_ptr<FileLock>> FaultEnv::lock_file(const std::string& path, LockWait wait) {
    if (const int err = injected_error(FileOp::kLock, path))
        return file_error(FileOp::kLock, path, err);
    return base_.lock_file(path, wait);
}

Status FaultEnv::unlock_file(std::unique_ptr<FileLock> lock) {
    return base_.unlock_file(std::move(lock));
}

}  // namespace hubsync
