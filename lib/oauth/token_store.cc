// Token store file handling: JSON format, atomic replacement and the cross-process lock.
#include "oauth/token_store.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/redact.h"

namespace hubsync {
namespace {

constexpr int kFormatVersion = 1;

std::string errno_text(int err) {
    return std::strerror(err);
}

Error io_error(const std::string& what, const std::string& path, int err) {
    return make_error(ErrorKind::kIo, what + " " + path + ": " + errno_text(err),
                      "check that state_dir exists and belongs to the user hubsync runs as");
}

void put_time(Poco::JSON::Object& obj, const std::string& key, Instant t) {
    if (t != Instant{}) obj.set(key, format_iso8601(t));
}

Instant get_time(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
    Instant t{};
    if (obj->has(key)) {
        const std::string text = obj->optValue<std::string>(key, "");
        if (!parse_iso8601(text, t)) t = Instant{};
    }
    return t;
}

bool fsync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// `hubsync authorize` run as root for a service running as its own user: the files must stay
// usable by the owner of state_dir, or the service could neither read the tokens nor lock.
void give_to_dir_owner(int fd, const std::string& dir) {
    if (::geteuid() != 0) return;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return;
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
        // Best effort: the file stays root's; the service reports it cannot read it.
    }
}

}  // namespace

std::string serialize_tokens(const StoredTokens& t) {
    Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
    obj.set("version", kFormatVersion);
    obj.set("state", t.state == StoredTokens::State::kOk ? "ok" : "auth_required");
    obj.set("access_token", t.access_token);
    obj.set("refresh_token", t.refresh_token);
    put_time(obj, "access_expires_at", t.access_expires_at);
    put_time(obj, "obtained_at", t.obtained_at);
    obj.set("hub_id", static_cast<Poco::Int64>(t.hub_id));
    obj.set("hub_domain", t.hub_domain);
    Poco::JSON::Array::Ptr scopes = new Poco::JSON::Array;
    for (const auto& s : t.scopes)
        scopes->add(s);
    obj.set("scopes", scopes);
    obj.set("token_url", t.token_url);
    put_time(obj, "authorized_at", t.authorized_at);
    obj.set("auth_required_reason", t.auth_required_reason);
    put_time(obj, "auth_required_since", t.auth_required_since);
    obj.set("last_refresh_error", t.last_refresh_error);
    put_time(obj, "last_refresh_error_at", t.last_refresh_error_at);
    obj.set("refresh_failures", t.refresh_failures);
    std::ostringstream out;
    obj.stringify(out, 2);
    out << '\n';
    return out.str();
}

Result<StoredTokens> parse_tokens(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        auto var = parser.parse(text);
        if (var.type() != typeid(Poco::JSON::Object::Ptr))
            return make_error(ErrorKind::kIo, "the token store is not a JSON object");
        auto obj = var.extract<Poco::JSON::Object::Ptr>();
        StoredTokens t;
        t.state = obj->optValue<std::string>("state", "ok") == "auth_required"
                      ? StoredTokens::State::kAuthRequired
                      : StoredTokens::State::kOk;
        t.access_token = obj->optValue<std::string>("access_token", "");
        t.refresh_token = obj->optValue<std::string>("refresh_token", "");
        t.access_expires_at = get_time(obj, "access_expires_at");
        t.obtained_at = get_time(obj, "obtained_at");
        t.hub_id = obj->optValue<Poco::Int64>("hub_id", 0);
        t.hub_domain = obj->optValue<std::string>("hub_domain", "");
        if (auto scopes = obj->getArray("scopes"))
            for (std::size_t i = 0; i < scopes->size(); ++i)
                t.scopes.push_back(scopes->getElement<std::string>(i));
        t.token_url = obj->optValue<std::string>("token_url", "");
        t.authorized_at = get_time(obj, "authorized_at");
        t.auth_required_reason = obj->optValue<std::string>("auth_required_reason", "");
        t.auth_required_since = get_time(obj, "auth_required_since");
        t.last_refresh_error = obj->optValue<std::string>("last_refresh_error", "");
        t.last_refresh_error_at = get_time(obj, "last_refresh_error_at");
        t.refresh_failures = obj->optValue<int>("refresh_failures", 0);
        set_secret(kAccessTokenSlot, t.access_token);
        set_secret(kRefreshTokenSlot, t.refresh_token);
        return t;
    } catch (const Poco::Exception& e) {
        return make_error(ErrorKind::kIo, "the token store is not valid JSON",
                          "run `hubsync authorize` to write a new one");
    }
}

TokenStore::TokenStore(std::string state_dir) : dir_(std::move(state_dir)) {
    while (dir_.size() > 1 && dir_.back() == '/')
        dir_.pop_back();
}

std::string TokenStore::path() const {
    return dir_ + "/tokens.json";
}
std::string TokenStore::lock_path() const {
    return dir_ + "/tokens.lock";
}

Status TokenStore::prepare() const {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0) {
        if (errno != ENOENT) return io_error("cannot inspect state_dir", dir_, errno);
        // The parent (state_dir itself) may hold the group-readable mirror: 0750 at most.
        const std::string parent = std::filesystem::path(dir_).parent_path().string();
        if (!parent.empty() && ::access(parent.c_str(), F_OK) != 0) {
            std::error_code ec;
            std::filesystem::create_directories(parent, ec);
            if (ec) return io_error("cannot create state_dir", parent, ec.value());
            std::filesystem::permissions(parent, std::filesystem::perms(0750), ec);
        }
        if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
            return io_error("cannot create state_dir", dir_, errno);
        // mkdir's mode is reduced by the umask, never widened; set it exactly.
        if (::chmod(dir_.c_str(), 0700) != 0)
            return io_error("cannot chmod state_dir", dir_, errno);
        return Status::Ok();
    }
    if (!S_ISDIR(st.st_mode))
        return make_error(ErrorKind::kConfig, "state_dir " + dir_ + " is not a directory",
                          "point state_dir at a directory only hubsync uses");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return make_error(
            ErrorKind::kConfig,
            "state_dir " + dir_ + " is writable by other users, who could replace the tokens",
            "chmod 700 " + dir_);
    if ((st.st_mode & 077) != 0 && ::chmod(dir_.c_str(), 0700) != 0)
        return io_error("cannot chmod the token directory to 0700", dir_, errno);
    return Status::Ok();
}

Result<std::optional<StoredTokens>> TokenStore::load() const {
    std::ifstream in(path(), std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return std::optional<StoredTokens>();
        return io_error("cannot read the token store", path(), errno);
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return io_error("cannot read the token store", path(), errno);
    auto parsed = parse_tokens(text.str());
    if (!parsed.ok()) {
        Error e = std::move(parsed).error();
        e.message += " (" + path() + ")";
        return e;
    }
    return std::optional<StoredTokens>(std::move(parsed).value());
}

Status TokenStore::save(const StoredTokens& tokens) const {
    if (fault_ == StoreFault::kFailBeforeWrite)
        return make_error(ErrorKind::kIo, "cannot write the token store (injected fault)");
    const std::string final_path = path();
    const std::string tmp = final_path + ".tmp";
    // A temp file left by a crash is simply overwritten: O_TRUNC, and only the lock holder writes.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("cannot create", tmp, errno);
    const std::string text = serialize_tokens(tokens);
    std::size_t written = 0;
    int err = 0;
    if (::fchmod(fd, 0600) != 0) err = errno;
    give_to_dir_owner(fd, dir_);
    while (err == 0 && written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        written += static_cast<std::size_t>(n);
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        return io_error("cannot write", tmp, err);
    }
    if (fault_ == StoreFault::kCrashAfterTempWrite)
        return make_error(ErrorKind::kIo, "cannot write the token store (injected crash)");
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        err = errno;
        ::unlink(tmp.c_str());
        return io_error("cannot replace", final_path, err);
    }
    // Without this the rename itself may be lost on power failure.
    if (!fsync_dir(dir_)) return io_error("cannot fsync", dir_, errno);
    return Status::Ok();
}

Status TokenStore::remove() const {
    if (::unlink(path().c_str()) != 0 && errno != ENOENT)
        return io_error("cannot delete", path(), errno);
    fsync_dir(dir_);
    return Status::Ok();
}

FileStamp TokenStore::stamp() const {
    struct stat st {};
    FileStamp s;
    if (::stat(path().c_str(), &st) != 0) return s;
    s.exists = true;
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.size = st.st_size;
    return s;
}

Result<StoreLock> StoreLock::lock(const TokenStore& store, bool wait) {
    HS_RETURN_IF_ERROR(store.prepare());
    const std::string path = store.lock_path();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("cannot open", path, errno);
    give_to_dir_owner(fd, store.dir());
    while (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK)
            return make_error(ErrorKind::kTransient,
                              "the token store is locked by another hubsync process",
                              "try again in a moment");
        return io_error("cannot lock", path, err);
    }
    return StoreLock(fd);
}

Result<StoreLock> StoreLock::acquire(const TokenStore& store) {
    return lock(store, true);
}
Result<StoreLock> StoreLock::try_acquire(const TokenStore& store) {
    return lock(store, false);
}

StoreLock::StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

StoreLock::~StoreLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace hubsync
