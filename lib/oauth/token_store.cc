// Token store file handling: JSON format, atomic replacement and the cross-process lock.
#include "oauth/token_store.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <sstream>

#include "core/redact.h"

namespace hubsync {
namespace {

constexpr int kFormatVersion = 1;

constexpr unsigned kDirMode = 0700;
// state_dir itself may hold the group-readable mirror: 0750 at most.
constexpr unsigned kStateDirMode = 0750;
constexpr unsigned kFileMode = 0600;

std::string parent_of(const std::string& dir) {
    const auto slash = dir.find_last_of('/');
    return slash == std::string::npos || slash == 0 ? std::string() : dir.substr(0, slash);
}

// `hubsync authorize` run as root for a service running as its own user: the files must stay
// usable by the owner of the directory, or the service could neither read the tokens nor lock.
void give_to_dir_owner(Env& env, const std::string& dir, const std::string& path) {
    if (::geteuid() != 0) return;
    auto info = env.stat(dir);
    if (!info.ok() || !info->exists || info->uid == 0) return;
    // Best effort: the file stays root's, and the service says it cannot read it.
    (void)env.set_owner(path, info->uid, info->gid);
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

TokenStore::TokenStore(std::string state_dir, Env& env) : dir_(std::move(state_dir)), env_(env) {
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
    HS_ASSIGN_OR_RETURN(const FileInfo info, env_.stat(dir_));
    if (!info.exists) {
        const std::string parent = parent_of(dir_);
        if (!parent.empty()) HS_RETURN_IF_ERROR(env_.create_dir(parent, kStateDirMode));
        return env_.create_dir(dir_, kDirMode);
    }
    if (!info.is_directory)
        return make_error(ErrorKind::kConfig, "state_dir " + dir_ + " is not a directory",
                          "point state_dir at a directory only hubsync uses");
    if ((info.mode & 022) != 0)
        return make_error(
            ErrorKind::kConfig,
            "state_dir " + dir_ + " is writable by other users, who could replace the tokens",
            "chmod 700 " + dir_);
    if ((info.mode & 077) != 0) return env_.set_permissions(dir_, kDirMode);
    return Status::Ok();
}

Result<std::optional<StoredTokens>> TokenStore::load() const {
    auto text = env_.read_file(path());
    if (!text.ok()) {
        if (text.error().kind == ErrorKind::kNotFound) return std::optional<StoredTokens>();
        return std::move(text).error();
    }
    auto parsed = parse_tokens(*text);
    if (!parsed.ok()) {
        Error e = std::move(parsed).error();
        e.message += " (" + path() + ")";
        return e;
    }
    return std::optional<StoredTokens>(std::move(parsed).value());
}

Status TokenStore::save(const StoredTokens& tokens) const {
    const std::string final_path = path();
    // A temp file left by a crash is simply overwritten: only the lock holder writes.
    const std::string tmp = final_path + ".tmp";
    if (Status written = write_temp(tmp, serialize_tokens(tokens)); !written.ok()) {
        (void)env_.remove_file(tmp);  // best effort: the next save truncates it anyway
        return written;
    }
    if (Status renamed = env_.rename_file(tmp, final_path); !renamed.ok()) {
        (void)env_.remove_file(tmp);
        return renamed;
    }
    // Without this the rename itself may be lost on power failure.
    return env_.sync_dir(dir_);
}

Status TokenStore::write_temp(const std::string& tmp, const std::string& text) const {
    HS_ASSIGN_OR_RETURN(auto file, env_.new_writable_file(tmp, kFileMode));
    give_to_dir_owner(env_, dir_, tmp);
    HS_RETURN_IF_ERROR(file->append(text));
    HS_RETURN_IF_ERROR(file->sync());
    return file->close();
}

Status TokenStore::remove() const {
    if (Status removed = env_.remove_file(path());
        !removed.ok() && removed.error().kind != ErrorKind::kNotFound)
        return removed;
    (void)env_.sync_dir(dir_);  // the removal is done; durability of it is best effort
    return Status::Ok();
}

FileStamp TokenStore::stamp() const {
    return file_stamp(path(), env_);
}

FileStamp file_stamp(const std::string& path, Env& env) {
    FileStamp s;
    auto info = env.stat(path);
    if (!info.ok() || !info->exists) return s;
    s.exists = true;
    s.dev = info->dev;
    s.ino = info->ino;
    s.mtime_ns = info->mtime_ns;
    s.size = info->size;
    return s;
}

Result<StoreLock> StoreLock::lock(const TokenStore& store, Env::LockWait wait) {
    HS_RETURN_IF_ERROR(store.prepare());
    auto lock = store.env().lock_file(store.lock_path(), wait);
    if (!lock.ok()) {
        if (lock.error().kind == ErrorKind::kTransient)
            return make_error(ErrorKind::kTransient,
                              "the token store is locked by another hubsync process",
                              "try again in a moment");
        return std::move(lock).error();
    }
    give_to_dir_owner(store.env(), store.dir(), store.lock_path());
    return StoreLock(std::move(lock).value());
}

Result<StoreLock> StoreLock::acquire(const TokenStore& store) {
    return lock(store, Env::LockWait::kWait);
}
Result<StoreLock> StoreLock::try_acquire(const TokenStore& store) {
    return lock(store, Env::LockWait::kTryOnce);
}

}  // namespace hubsync
