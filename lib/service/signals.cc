// SignalHandler: a signalfd read on a dedicated thread.
#include "service/signals.h"

#include <fmt/core.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/log.h"

namespace hubsync {
namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

Error signal_error(std::string_view what, int err) {
    return make_error(
        ErrorKind::kInternal,
        fmt::format("cannot set up signal handling: {}: {}", what, std::strerror(err)),
        "this is a bug or a too-strict system call filter; report it");
}

}  // namespace

SignalHandler::SignalHandler(StopSource& stop, Options options)
    : stop_(stop), options_(std::move(options)), owner_(std::this_thread::get_id()) {}

Result<std::unique_ptr<SignalHandler>> SignalHandler::start(StopSource& stop, Options options) {
    std::unique_ptr<SignalHandler> handler(new SignalHandler(stop, std::move(options)));
    const sigset_t set = handled_signals();
    if (const int err = pthread_sigmask(SIG_BLOCK, &set, &handler->old_mask_); err != 0) {
        return signal_error("pthread_sigmask", err);
    }
    handler->signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
    if (handler->signal_fd_ < 0) {
        const int err = errno;
        pthread_sigmask(SIG_SETMASK, &handler->old_mask_, nullptr);
        return signal_error("signalfd", err);
    }
    handler->wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (handler->wake_fd_ < 0) {
        const int err = errno;
        ::close(handler->signal_fd_);
        pthread_sigmask(SIG_SETMASK, &handler->old_mask_, nullptr);
        return signal_error("eventfd", err);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &handler->old_sigpipe_);
    handler->thread_ = std::thread([h = handler.get()] { h->loop(); });
    return handler;
}

SignalHandler::~SignalHandler() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
        }
        thread_.join();
    }
    // Signals that arrived after the handler thread ended would take their default action
    // (ending the process) once unblocked; they were meant for this handler, so drop them.
    const sigset_t set = handled_signals();
    const timespec zero{0, 0};
    while (::sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    ::sigaction(SIGPIPE, &old_sigpipe_, nullptr);
    if (std::this_thread::get_id() == owner_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    ::close(signal_fd_);
    ::close(wake_fd_);
}

void SignalHandler::loop() {
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (;;) {
        const int ready = ::poll(fds, 2, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            HS_LOG_ERROR("signal handling stopped: poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents != 0) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        signalfd_siginfo info{};
        const ssize_t n = ::read(signal_fd_, &info, sizeof info);
        if (n != static_cast<ssize_t>(sizeof info)) continue;
        const int signo = static_cast<int>(info.ssi_signo);
        if (signo == SIGHUP) {
            HS_LOG_INFO("received SIGHUP: reloading the configuration");
            reload_.store(true, std::memory_order_release);
            stop_.notify();
        } else {
            int expected = 0;
            if (stop_signal_.compare_exchange_strong(expected, signo)) {
                HS_LOG_INFO("received SIG{}: stopping", sigabbrev_np(signo));
                stop_.request_stop();
            } else if (options_.second_stop_exits) {
                HS_LOG_WARN("received SIG{} again: exiting now", sigabbrev_np(signo));
                std::_Exit(128 + signo);
            }
        }
        if (options_.on_signal) options_.on_signal(signo);
    }
}

}  // namespace hubsync
