// The sd_notify datagram protocol without libsystemd.
#include "service/notify.h"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "core/text.h"

namespace hubsync {
namespace {

Error notify_error(const std::string& socket, std::string_view what, int err) {
    return make_error(ErrorKind::kIo,
                      fmt::format("cannot notify the service manager at {}: {}: {}", socket, what,
                                  std::strerror(err)),
                      "check NOTIFY_SOCKET; the service keeps running without notifications");
}

// Closes the descriptor however the send ends.
class FdGuard final {
  public:
    explicit FdGuard(int fd) : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return out;
}

}  // namespace

Notifier::Notifier(std::string socket) : socket_(std::move(socket)) {}

Notifier Notifier::from_environment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return Notifier(socket ? socket : "");
}

Status Notifier::send(std::string_view message) const {
    if (!enabled()) return Status::Ok();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const bool abstract = socket_.front() == '@';
    if (!abstract && socket_.front() != '/') {
        return make_error(ErrorKind::kConfig,
                          fmt::format("NOTIFY_SOCKET '{}' is neither an absolute path nor an "
                                      "abstract '@' socket",
                                      socket_),
                          "run the service from systemd or unset NOTIFY_SOCKET");
    }
    if (socket_.size() > sizeof addr.sun_path) {
        return make_error(
            ErrorKind::kConfig,
            fmt::format("NOTIFY_SOCKET '{}' is longer than a socket path can be", socket_),
            "use a shorter socket path");
    }
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    // Abstract names start with a NUL byte and are not NUL-terminated; their length is
    // exactly what the address length says.
    if (abstract) addr.sun_path[0] = '\0';
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                                 (abstract ? 0 : 1));

    FdGuard fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return notify_error(socket_, "socket", errno);
    ssize_t sent = -1;
    do {
        sent = ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&addr), addr_len);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return notify_error(socket_, "send", errno);
    if (static_cast<std::size_t>(sent) != message.size()) {
        return notify_error(socket_, "short send", EMSGSIZE);
    }
    return Status::Ok();
}

Status Notifier::ready() const {
    return send("READY=1");
}

Status Notifier::status(std::string_view line) const {
    if (!enabled()) return Status::Ok();
    return send("STATUS=" + one_line(line));
}

Status Notifier::ready(std::string_view status_line) const {
    if (!enabled()) return Status::Ok();
    return send("READY=1\nSTATUS=" + one_line(status_line));
}

Status Notifier::watchdog() const {
    return send("WATCHDOG=1");
}

Status Notifier::stopping() const {
    return send("STOPPING=1");
}

Status Notifier::reloading() const {
    if (!enabled()) return Status::Ok();
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000LL + ts.tv_nsec / 1000;
    return send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

Status Notifier::extend_timeout(std::chrono::microseconds extra) const {
    if (!enabled()) return Status::Ok();
    return send(fmt::format("EXTEND_TIMEOUT_USEC={}", extra.count()));
}

std::optional<std::chrono::microseconds> parse_watchdog_interval(const char* watchdog_usec,
                                                                 const char* watchdog_pid,
                                                                 pid_t self) {
    if (watchdog_usec == nullptr) return std::nullopt;
    const auto usec = parse_int<std::chrono::microseconds::rep>(watchdog_usec);
    if (!usec || *usec <= 0) return std::nullopt;
    if (watchdog_pid != nullptr) {
        // The watchdog belongs to the process systemd started; a child that inherited the
        // environment must not ping on its behalf.
        const auto pid = parse_int<long long>(watchdog_pid);
        if (!pid || *pid <= 0 || *pid != static_cast<long long>(self)) return std::nullopt;
    }
    return std::chrono::microseconds(*usec);
}

std::optional<std::chrono::microseconds> watchdog_interval_from_environment() {
    return parse_watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                   ::getpid());
}

std::chrono::milliseconds cap_for_watchdog(std::chrono::milliseconds configured,
                                           std::optional<std::chrono::microseconds> watchdog) {
    if (!watchdog) return configured;
    // Keep a tenth of the half-interval for the work around the step (parsing, the write).
    const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog / 2);
    const auto cap = std::max(std::chrono::milliseconds(1), half - half / 10);
    return std::min(configured, cap);
}

}  // namespace hubsync
