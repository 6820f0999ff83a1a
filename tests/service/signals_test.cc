// Real signals sent to this process: SIGTERM/SIGINT stop, SIGHUP asks for a reload, and a
// scheduler sleeping on the real clock ends at once. Signals go to the process (kill), not
// to a thread (raise), because that is how systemd and a terminal send them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "service/scheduler.h"
#include "service/signals.h"

namespace hubsync {
namespace {

using std::chrono::seconds;

bool blocked_here(int signo) {
    sigset_t current;
    pthread_sigmask(SIG_BLOCK, nullptr, &current);
    return sigismember(&current, signo) == 1;
}

// Starts a handler that reports each handled signal.
struct Harness {
    StopSource stop;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int> handled;  // guarded by mu
    // Last, so it (and its thread, which calls back into the members above) ends first.
    std::unique_ptr<SignalHandler> handler;

    explicit Harness(bool second_stop_exits = false) {
        SignalHandler::Options options;
        options.on_signal = [this](int signo) {
            {
                std::lock_guard lock(mu);
                handled.push_back(signo);
            }
            cv.notify_all();
        };
        options.second_stop_exits = second_stop_exits;
        auto started = SignalHandler::start(stop, std::move(options));
        if (started.ok()) handler = std::move(started).value();
    }

    // Sends `signo` to the whole process and waits (bounded) until the handler took it.
    // Returns the signal handled, 0 when none was within 10 s.
    int send_and_wait(int signo) {
        std::unique_lock lock(mu);
        const std::size_t before = handled.size();
        ::kill(::getpid(), signo);
        if (!cv.wait_for(lock, seconds(10), [&] { return handled.size() > before; })) return 0;
        return handled[before];
    }
};

TEST(Signals, SigtermRequestsStop) {
    Harness h;
    ASSERT_TRUE(h.handler);
    EXPECT_TRUE(blocked_here(SIGTERM));
    EXPECT_FALSE(h.stop.stop_requested());
    ASSERT_EQ(h.send_and_wait(SIGTERM), SIGTERM);
    EXPECT_TRUE(h.stop.stop_requested());
    EXPECT_EQ(h.handler->stop_signal(), SIGTERM);
    EXPECT_FALSE(h.handler->take_reload());
}

TEST(Signals, SigintRequestsStop) {
    Harness h;
    ASSERT_TRUE(h.handler);
    ASSERT_EQ(h.send_and_wait(SIGINT), SIGINT);
    EXPECT_TRUE(h.stop.stop_requested());
    EXPECT_EQ(h.handler->stop_signal(), SIGINT);
}

TEST(Signals, SighupRequestsOneReloadAndWakesWithoutStopping) {
    Harness h;
    ASSERT_TRUE(h.handler);
    const auto generation = h.stop.generation();
    ASSERT_EQ(h.send_and_wait(SIGHUP), SIGHUP);
    EXPECT_FALSE(h.stop.stop_requested());
    EXPECT_GT(h.stop.generation(), generation);
    EXPECT_TRUE(h.handler->take_reload());
    EXPECT_FALSE(h.handler->take_reload());
    ASSERT_EQ(h.send_and_wait(SIGHUP), SIGHUP);
    EXPECT_TRUE(h.handler->take_reload());
}

TEST(Signals, MaskIsRestoredWhenTheHandlerEnds) {
    ASSERT_FALSE(blocked_here(SIGHUP));
    {
        Harness h;
        ASSERT_TRUE(h.handler);
        EXPECT_TRUE(blocked_here(SIGHUP));
        EXPECT_TRUE(blocked_here(SIGINT));
    }
    EXPECT_FALSE(blocked_here(SIGHUP));
    EXPECT_FALSE(blocked_here(SIGTERM));
}

TEST(Signals, SigpipeIsIgnoredWhileRunning) {
    auto disposition = [] {
        struct sigaction current {};
        ::sigaction(SIGPIPE, nullptr, &current);
        return current.sa_handler;
    };
    ASSERT_EQ(disposition(), SIG_DFL);
    {
        Harness h;
        ASSERT_TRUE(h.handler);
        EXPECT_EQ(disposition(), SIG_IGN);
        // Writing to a pipe nobody reads fails with EPIPE instead of ending the process.
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        ::close(fds[0]);
        EXPECT_EQ(::write(fds[1], "x", 1), -1);
        EXPECT_EQ(errno, EPIPE);
        ::close(fds[1]);
    }
    EXPECT_EQ(disposition(), SIG_DFL);
}

TEST(Signals, SigtermEndsASchedulerSleepingOnTheRealClock) {
    Harness h;
    ASSERT_TRUE(h.handler);
    SchedulerOptions options;
    options.cadence = Cadence{std::chrono::hours(1), std::chrono::hours(24)};
    options.last_reconcile = SystemClock::instance().now();
    Scheduler scheduler(SystemClock::instance(), h.stop, options);
    std::promise<void> first_sync;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        first_sync.set_value();
        return Status::Ok();
    };
    // Started after the handler, so the thread inherits the blocked mask.
    std::promise<Status> done;
    auto finished = done.get_future();
    std::thread runner([&] { done.set_value(scheduler.run(hooks)); });
    ASSERT_EQ(first_sync.get_future().wait_for(seconds(10)), std::future_status::ready);

    const auto sent = std::chrono::steady_clock::now();
    ::kill(::getpid(), SIGTERM);
    ASSERT_EQ(finished.wait_for(seconds(10)), std::future_status::ready);
    EXPECT_LT(std::chrono::steady_clock::now() - sent, seconds(2));
    EXPECT_TRUE(finished.get().ok());
    runner.join();
}

TEST(Signals, SecondStopSignalExitsAtOnceWhenAsked) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(20);  // a broken handler must not leave the child hanging
        Harness h(/*second_stop_exits=*/true);
        if (!h.handler) ::_exit(2);
        if (h.send_and_wait(SIGINT) != SIGINT) ::_exit(3);
        ::kill(::getpid(), SIGINT);
        for (;;)
            ::pause();  // SIGALRM is not blocked; the handler thread exits first
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "child ended by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
}

}  // namespace
}  // namespace hubsync
