// Signals for `hubsync run`: SIGTERM/SIGINT become a stop request, SIGHUP a reload request.
// They are blocked in every thread and handled on one dedicated thread, so no code runs in
// async-signal context and no sleeping thread misses a stop.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include <signal.h>

#include "core/clock.h"
#include "core/result.h"

namespace hubsync {

class SignalHandler final {
  public:
    struct Options {
        // Called on the handler thread after each signal was translated (for logging).
        std::function<void(int signo)> on_signal;
        // A second SIGTERM/SIGINT while stopping ends the process at once with 128+signo,
        // for a person pressing Ctrl-C twice at a terminal.
        bool second_stop_exits = false;
    };

    // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, which every thread started
    // afterwards inherits, and starts the handler thread. Call it from main() before starting
    // any other thread. SIGTERM/SIGINT call stop.request_stop(); SIGHUP sets the reload flag
    // and calls stop.notify(). SIGPIPE is ignored meanwhile: a peer closing a connection
    // must surface as an EPIPE error, not end the service. `stop` must outlive the handler.
    static Result<std::unique_ptr<SignalHandler>> start(StopSource& stop, Options options);
    static Result<std::unique_ptr<SignalHandler>> start(StopSource& stop) {
        return start(stop, Options{});
    }

    // Stops the handler thread, discards signals still pending, restores SIGPIPE, and
    // restores the previous signal mask of the thread that called start() (only if it is the
    // one destroying).
    ~SignalHandler();
    SignalHandler(const SignalHandler&) = delete;
    SignalHandler& operator=(const SignalHandler&) = delete;

    // True once per SIGHUP (several SIGHUPs before a take count as one reload).
    bool take_reload() { return reload_.exchange(false, std::memory_order_acq_rel); }
    // The signal that requested the stop, 0 while none did.
    int stop_signal() const { return stop_signal_.load(std::memory_order_acquire); }

  private:
    SignalHandler(StopSource& stop, Options options);
    void loop();

    StopSource& stop_;
    Options options_;
    sigset_t old_mask_{};
    struct sigaction old_sigpipe_ {};
    std::thread::id owner_;
    int signal_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: tells the handler thread to end
    std::atomic<bool> reload_{false};
    std::atomic<int> stop_signal_{0};
    std::thread thread_;
};

}  // namespace hubsync
