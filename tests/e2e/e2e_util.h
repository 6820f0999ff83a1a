// Helpers for the end-to-end tests that run the real hubsync executable as a child process:
// spawning with captured output, a systemd notify socket and hard test timeouts.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

extern char** environ;

namespace hubsync::e2e {

using SteadyClock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;
using namespace std::chrono_literals;

inline const std::string kHubsync = std::string(HUBSYNC_BINARY_DIR) + "/daemon/hubsync";

inline int millis_until(SteadyClock::time_point deadline) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - SteadyClock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left);
}

using testing::TempDir;

// A TCP port on 127.0.0.1 that was free a moment ago (for a listener the test starts next).
inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        return -1;
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline void write_file(const std::string& path, const std::string& text,
                       std::filesystem::perms mode) {
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + path);
    }
    std::filesystem::permissions(path, mode);
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Polls `done` until it is true or `timeout` passes. For state only observable by looking
// (the simulator's request log, a file), not for anything that can be waited on directly.
inline bool poll_until(const std::function<bool()>& done, Duration timeout, Duration every = 10ms) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
        if (SteadyClock::now() >= deadline) return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

// Ends the whole test binary when one test runs longer than `limit`, so a hang fails CI
// instead of stalling it. Children die with it (they are spawned with PR_SET_PDEATHSIG).
class HardTimeout final {
  public:
    HardTimeout(Duration limit, std::string what) : what_(std::move(what)) {
        thread_ = std::thread([this, limit] {
            std::unique_lock lock(mu_);
            if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
                std::fprintf(stderr, "FATAL: %s exceeded its hard timeout of %lld ms\n",
                             what_.c_str(), static_cast<long long>(limit.count()));
                std::fflush(stderr);
                std::_Exit(124);
            }
        });
    }
    ~HardTimeout() {
        {
            std::lock_guard lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    HardTimeout(const HardTimeout&) = delete;
    HardTimeout& operator=(const HardTimeout&) = delete;

  private:
    std::string what_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

// This process's environment without anything that would make a child behave as if it ran
// under systemd or with an overridden hubsync config, plus `extra`.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        const std::string key = entry.substr(0, entry.find('='));
        if (key.rfind("HUBSYNC_", 0) == 0 || key == "NOTIFY_SOCKET" || key == "WATCHDOG_USEC" ||
            key == "WATCHDOG_PID" || key == "JOURNAL_STREAM" || key == "CREDENTIALS_DIRECTORY" ||
            extra.count(key) != 0)
            continue;
        env.push_back(entry);
    }
    for (const auto& [k, v] : extra)
        env.push_back(k + "=" + v);
    return env;
}

struct SpawnOptions {
    std::map<std::string, std::string> env;  // added to the cleaned environment
    // Puts the child in its own process group, killed as a whole (for browsers that fork).
    bool own_process_group = false;
    // Extra descriptors for the child: {descriptor in this process, number in the child}.
    std::vector<std::pair<int, int>> fds;
};

// A running child process with stdout and stderr captured by a reader thread. The destructor
// kills (SIGKILL) and reaps a child that is still running.
class ChildProcess final {
  public:
    ChildProcess(const std::string& program, const std::vector<std::string>& args,
                 SpawnOptions options = {})
        : group_(options.own_process_group) {
        std::signal(SIGPIPE, SIG_IGN);
        if (group_) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
            ::pipe2(wake_, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        // Move the extra descriptors above any child number so the dup2 calls cannot clobber
        // one another.
        std::vector<std::pair<int, int>> fds;
        for (const auto& [parent_fd, child_fd] : options.fds)
            fds.emplace_back(::fcntl(parent_fd, F_DUPFD_CLOEXEC, 100), child_fd);

        std::vector<std::string> argv_storage = {program};
        argv_storage.insert(argv_storage.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_storage)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_storage = child_environment(options.env);
        std::vector<char*> envp;
        for (auto& e : env_storage)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        const pid_t parent = ::getpid();

        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            // Only async-signal-safe calls from here to exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            if (group_) ::setpgid(0, 0);
            ::dup2(devnull, STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(err[1], STDERR_FILENO);
            for (const auto& [from, to] : fds)
                ::dup2(from, to);
            ::execve(program.c_str(), argv.data(), envp.data());
            ::_exit(127);
        }
        if (group_) ::setpgid(pid_, pid_);  // no race with the first kill()
        ::close(devnull);
        ::close(out[1]);
        ::close(err[1]);
        for (const auto& [from, to] : fds)
            ::close(from);
        out_fd_ = out[0];
        err_fd_ = err[0];
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        reader_ = std::thread([this] { read_loop(); });
    }

    ~ChildProcess() {
        if (!exit_code_) {
            kill_now(SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        } else if (group_) {
            kill_now(SIGKILL);  // helpers a browser left behind
        }
        if (group_) reap_group();
        [[maybe_unused]] const ssize_t n = ::write(wake_[1], "x", 1);
        reader_.join();
        for (int fd : {out_fd_, err_fd_, wake_[0], wake_[1], pidfd_})
            if (fd >= 0) ::close(fd);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }

    void signal(int signo) {
        if (!exit_code_) ::kill(pid_, signo);
    }

    // The exit code (128 + signal number when a signal ended it), or nullopt when the child
    // is still running after `timeout`.
    std::optional<int> wait_exit(Duration timeout) {
        if (exit_code_) return exit_code_;
        const auto deadline = SteadyClock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return exit_code_;
            }
            if (r < 0 && errno != EINTR) return std::nullopt;
            const int left = millis_until(deadline);
            if (left == 0) return std::nullopt;
            if (pidfd_ >= 0) {
                pollfd p{pidfd_, POLLIN, 0};
                ::poll(&p, 1, left);
            } else {
                // Kernels without pidfd_open: no descriptor to wait on.
                std::this_thread::sleep_for(std::min(Duration(left), Duration(10)));
            }
        }
    }

    // wait_exit() and then the end of both output streams, so out() and err() are complete.
    std::optional<int> finish(Duration timeout) {
        const auto deadline = SteadyClock::now() + timeout;
        const auto code = wait_exit(timeout);
        if (!code) return std::nullopt;
        std::unique_lock lock(mu_);
        if (!cv_.wait_until(lock, deadline + 2s, [this] { return out_eof_ && err_eof_; }))
            return std::nullopt;
        return code;
    }

    std::string out() const {
        std::lock_guard lock(mu_);
        return out_;
    }
    std::string err() const {
        std::lock_guard lock(mu_);
        return err_;
    }
    std::size_t err_size() const {
        std::lock_guard lock(mu_);
        return err_.size();
    }

    // Waits until stdout (or stderr) holds `needle` at or after byte `from`; returns the
    // position just past it, or nullopt on timeout or end of output.
    std::optional<std::size_t> wait_for_out(const std::string& needle, Duration timeout,
                                            std::size_t from = 0) {
        return wait_for(out_, out_eof_, needle, timeout, from);
    }
    std::optional<std::size_t> wait_for_err(const std::string& needle, Duration timeout,
                                            std::size_t from = 0) {
        return wait_for(err_, err_eof_, needle, timeout, from);
    }

  private:
    // Helpers orphaned by the group's leader were reparented to this process (a subreaper);
    // collect them so they do not linger as zombies.
    void reap_group() {
        const auto deadline = SteadyClock::now() + 5s;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(-pid_, &status, WNOHANG);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 || SteadyClock::now() >= deadline) return;  // ECHILD: all collected
            if (r == 0) std::this_thread::sleep_for(10ms);        // SIGKILLed, about to exit
        }
    }

    void kill_now(int signo) {
        if (group_)
            ::kill(-pid_, signo);
        else
            ::kill(pid_, signo);
    }

    std::optional<std::size_t> wait_for(const std::string& text, const bool& eof,
                                        const std::string& needle, Duration timeout,
                                        std::size_t from) {
        std::unique_lock lock(mu_);
        std::optional<std::size_t> found;
        cv_.wait_for(lock, timeout, [&] {
            if (from <= text.size()) {
                const auto at = text.find(needle, from);
                if (at != std::string::npos) found = at + needle.size();
            }
            return found.has_value() || eof;
        });
        return found;
    }

    void read_loop() {
        pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        int open_fds = 2;
        while (open_fds > 0) {
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (fds[2].revents != 0) break;
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || fds[i].revents == 0) continue;
                char buf[8192];
                const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                std::lock_guard lock(mu_);
                if (n > 0) {
                    (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    fds[i].fd = -1;  // closed in the destructor
                    (i == 0 ? out_eof_ : err_eof_) = true;
                    --open_fds;
                }
                cv_.notify_all();
            }
        }
        std::lock_guard lock(mu_);
        out_eof_ = err_eof_ = true;
        cv_.notify_all();
    }

    bool group_ = false;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int out_fd_ = -1, err_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::optional<int> exit_code_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string out_, err_;
    bool out_eof_ = false, err_eof_ = false;
    std::thread reader_;
};

// The receiving end of $NOTIFY_SOCKET, as systemd holds it: a datagram socket at a path, or
// an abstract one ("@name"). A thread records each datagram with its arrival time, so the
// sender never finds the queue full and the cadence of pings is measured as it happened.
class NotifyReceiver final {
  public:
    struct Datagram {
        std::string text;
        SteadyClock::time_point at;
        bool has(const std::string& line) const {
            return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
        }
        // The value of KEY= in this datagram, or nullopt.
        std::optional<std::string> value(const std::string& key) const {
            const std::string wrapped = "\n" + text + "\n";
            const auto pos = wrapped.find("\n" + key + "=");
            if (pos == std::string::npos) return std::nullopt;
            const auto start = pos + key.size() + 2;
            return wrapped.substr(start, wrapped.find('\n', start) - start);
        }
    };

    explicit NotifyReceiver(std::string address) : address_(std::move(address)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (address_.size() >= sizeof addr.sun_path)
            throw std::runtime_error("socket path too long");
        std::memcpy(addr.sun_path, address_.data(), address_.size());
        const bool abstract = address_.front() == '@';
        if (abstract) addr.sun_path[0] = '\0';
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                                (abstract ? 0 : 1));
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
            throw std::runtime_error("bind " + address_ + ": " + std::strerror(errno));
        if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        thread_ = std::thread([this] { receive_loop(); });
    }
    ~NotifyReceiver() {
        [[maybe_unused]] const ssize_t n = ::write(wake_[1], "x", 1);
        thread_.join();
        ::close(fd_);
        ::close(wake_[0]);
        ::close(wake_[1]);
        if (address_.front() == '/') ::unlink(address_.c_str());
    }
    NotifyReceiver(const NotifyReceiver&) = delete;
    NotifyReceiver& operator=(const NotifyReceiver&) = delete;

    const std::string& address() const { return address_; }

    std::vector<Datagram> datagrams() const {
        std::lock_guard lock(mu_);
        return datagrams_;
    }

    // Waits for a datagram at index >= `from` for which `match` holds; returns its index.
    std::optional<std::size_t> wait_for(const std::function<bool(const Datagram&)>& match,
                                        Duration timeout, std::size_t from = 0) {
        std::unique_lock lock(mu_);
        std::optional<std::size_t> found;
        cv_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < datagrams_.size(); ++i) {
                if (match(datagrams_[i])) {
                    found = i;
                    return true;
                }
            }
            from = std::max(from, datagrams_.size());
            return false;
        });
        return found;
    }
    // Waits for a datagram holding the line `line` (e.g. "READY=1").
    std::optional<std::size_t> wait_for(const std::string& line, Duration timeout,
                                        std::size_t from = 0) {
        return wait_for([&](const Datagram& d) { return d.has(line); }, timeout, from);
    }

  private:
    void receive_loop() {
        pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        for (;;) {
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[1].revents != 0) return;
            char buf[4096];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) continue;
            std::lock_guard lock(mu_);
            datagrams_.push_back(
                {std::string(buf, static_cast<std::size_t>(n)), SteadyClock::now()});
            cv_.notify_all();
        }
    }

    std::string address_;
    int fd_ = -1;
    int wake_[2] = {-1, -1};
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Datagram> datagrams_;
    std::thread thread_;
};

}  // namespace hubsync::e2e
