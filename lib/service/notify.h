// The systemd notify protocol, spoken directly: one datagram per message to $NOTIFY_SOCKET
// (a path or an abstract '@' socket). Without NOTIFY_SOCKET every call is a no-op.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hubsync {

// Sends state changes to the service manager. Never blocks: the datagram socket is
// non-blocking, and a full or missing receiver yields an error, not a wait. Thread-safe
// (each message opens, sends and closes its own socket).
class Notifier final {
  public:
    // Disabled: every call succeeds without doing anything.
    Notifier() = default;
    // `socket` as systemd passes it: an absolute path, or "@name" for an abstract socket.
    // An empty string disables the notifier.
    explicit Notifier(std::string socket);
    // Reads $NOTIFY_SOCKET.
    static Notifier from_environment();

    bool enabled() const { return !socket_.empty(); }
    const std::string& socket() const { return socket_; }

    // READY=1: startup finished (or a reload finished, after reloading()).
    Status ready() const;
    // STATUS=<line>: a one-line summary shown by `systemctl status`. Newlines are replaced.
    Status status(std::string_view line) const;
    // READY=1 and STATUS= in one datagram.
    Status ready(std::string_view status_line) const;
    // WATCHDOG=1: the service is alive and making progress.
    Status watchdog() const;
    // STOPPING=1: shutdown has begun.
    Status stopping() const;
    // RELOADING=1 with MONOTONIC_USEC= (newer systemd matches the reload with it); send
    // ready() once the reload is done.
    Status reloading() const;
    // EXTEND_TIMEOUT_USEC=: asks for more time to finish starting or stopping.
    Status extend_timeout(std::chrono::microseconds extra) const;

    // Sends `message` ("KEY=value\nKEY=value") as one datagram.
    Status send(std::string_view message) const;

  private:
    std::string socket_;
};

// The watchdog interval systemd expects pings within, from WATCHDOG_USEC and WATCHDOG_PID as
// passed in the environment. nullopt when the watchdog is off: WATCHDOG_USEC unset, not a
// positive integer, or WATCHDOG_PID set and naming another process.
std::optional<std::chrono::microseconds> parse_watchdog_interval(const char* watchdog_usec,
                                                                 const char* watchdog_pid,
                                                                 pid_t self);
// parse_watchdog_interval() on this process's environment and pid.
std::optional<std::chrono::microseconds> watchdog_interval_from_environment();

// The longest a single blocking step (an HTTP request) may take so that a ping still goes
// out in time: `configured`, capped below half the watchdog interval. Without a watchdog,
// `configured` unchanged.
std::chrono::milliseconds cap_for_watchdog(std::chrono::milliseconds configured,
                                           std::optional<std::chrono::microseconds> watchdog);

}  // namespace hubsync
