// The run-loop scheduler under virtual time: a day of service life, refreshes when the token
// manager asks, reconcile cadence, backoff and recovery, reloads, wake-ups and stops.
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "core/log.h"
#include "service/scheduler.h"
#include "support/scripted_clock.h"

namespace hubsync {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::ScriptedClock;

// Failure warnings are expected by the hundred here; keep the test output readable.
class QuietLogs : public ::testing::Environment {
  public:
    void SetUp() override {
        set_log_sink([](LogLevel, std::string_view) {});
    }
    void TearDown() override { set_log_sink(nullptr); }
};
[[maybe_unused]] ::testing::Environment* const quiet_logs =
    ::testing::AddGlobalTestEnvironment(new QuietLogs);

Millis gap(Instant a, Instant b) {
    return std::chrono::duration_cast<Millis>(b - a);
}

SchedulerOptions options_5m() {
    SchedulerOptions options;
    options.cadence = Cadence{minutes(5), hours(24)};
    options.jitter_seed = 42;
    return options;
}

Error transient() {
    return make_error(ErrorKind::kTransient, "HubSpot unreachable");
}

TEST(Backoff, ExponentialBoundedAndJittered) {
    const Millis initial = seconds(30), max = minutes(30);
    EXPECT_EQ(backoff_delay(1, initial, max, 0.0), seconds(15));
    EXPECT_EQ(backoff_delay(1, initial, max, 0.999999), seconds(30) - Millis(1));
    EXPECT_EQ(backoff_delay(2, initial, max, 0.0), seconds(30));
    EXPECT_EQ(backoff_delay(3, initial, max, 0.0), seconds(60));
    EXPECT_EQ(backoff_delay(7, initial, max, 0.0), minutes(15));
    EXPECT_EQ(backoff_delay(1000, initial, max, 1.0), max);
    EXPECT_LE(backoff_delay(1000, initial, max, 0.5), max);
    // What only a person can fix is not hammered.
    EXPECT_GE(backoff_delay(1, initial, max, 0.0, ErrorKind::kAuthRequired), minutes(15));
    EXPECT_GE(backoff_delay(1, initial, max, 0.0, ErrorKind::kConfig), minutes(15));
}

TEST(Scheduler, DayOfSyncsWithOneReconcile) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start() - hours(1);  // persisted: next sweep at 23:00
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + hours(24), [&] { stop.request_stop(); });

    std::vector<Instant> syncs, reconciles;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        syncs.push_back(clock.now());
        return Status::Ok();
    };
    hooks.reconcile = [&] {
        reconciles.push_back(clock.now());
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());

    ASSERT_EQ(reconciles.size(), 1u);
    EXPECT_EQ(reconciles[0], clock.start() + hours(23));
    // 00:00..22:55 every 5 minutes, the sweep at 23:00 stands in for one, then 23:05..23:55.
    EXPECT_EQ(syncs.size(), 23u * 12u + 11u);
    EXPECT_EQ(syncs.front(), clock.start());
    for (std::size_t i = 1; i < syncs.size(); ++i) {
        const Millis g = gap(syncs[i - 1], syncs[i]);
        if (syncs[i] == clock.start() + hours(23) + minutes(5)) {
            EXPECT_EQ(g, minutes(10));
        } else {
            EXPECT_EQ(g, minutes(5)) << "sync " << i;
        }
    }
    EXPECT_EQ(scheduler.snapshot().last_reconcile, clock.start() + hours(23));
}

TEST(Scheduler, NeverReconciledSweepsFirstThenDaily) {
    ScriptedClock clock;
    StopSource stop;
    Scheduler scheduler(clock, stop, options_5m());
    clock.at(clock.start() + hours(72), [&] { stop.request_stop(); });
    std::vector<Instant> reconciles;
    int syncs = 0;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        ++syncs;
        return Status::Ok();
    };
    hooks.reconcile = [&] {
        reconciles.push_back(clock.now());
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    ASSERT_EQ(reconciles.size(), 3u);
    EXPECT_EQ(reconciles[0], clock.start());
    EXPECT_EQ(reconciles[1], clock.start() + hours(24));
    EXPECT_EQ(reconciles[2], clock.start() + hours(48));
    EXPECT_EQ(syncs, 72 * 12 - 3);
}

// A token manager stand-in: 30-minute tokens refreshed 5 minutes before expiry.
struct FakeTokens {
    ScriptedClock& clock;
    Instant expires_at;
    std::vector<Instant> refreshed_at;

    std::optional<Instant> next_refresh_at() const { return expires_at - minutes(5); }
    Status refresh() {
        refreshed_at.push_back(clock.now());
        expires_at = clock.now() + minutes(30);
        return Status::Ok();
    }
};

TEST(Scheduler, RefreshesWhenTheTokenManagerAsksAndNeverSyncsWithAnExpiredToken) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + hours(24), [&] { stop.request_stop(); });

    FakeTokens tokens{clock, clock.start() + minutes(30), {}};
    int syncs = 0;
    SchedulerHooks hooks;
    hooks.next_refresh_at = [&] { return tokens.next_refresh_at(); };
    hooks.refresh = [&] {
        EXPECT_EQ(clock.now(), *tokens.next_refresh_at()) << "refresh at the asked time";
        return tokens.refresh();
    };
    hooks.sync = [&] {
        EXPECT_LT(clock.now(), tokens.expires_at);
        ++syncs;
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());

    // 00:25, 00:50, ... every 25 minutes within the day.
    ASSERT_EQ(tokens.refreshed_at.size(), 57u);
    for (std::size_t i = 0; i < tokens.refreshed_at.size(); ++i) {
        EXPECT_EQ(tokens.refreshed_at[i], clock.start() + minutes(25) * (i + 1));
    }
    EXPECT_EQ(syncs, 24 * 12);
}

TEST(Scheduler, RefreshThatDoesNotMoveTheScheduleBacksOff) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + hours(1), [&] { stop.request_stop(); });
    int refreshes = 0;
    SchedulerHooks hooks;
    hooks.next_refresh_at = [&] { return std::optional<Instant>(clock.start()); };
    hooks.refresh = [&] {
        ++refreshes;
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    EXPECT_GE(refreshes, 3);
    EXPECT_LE(refreshes, 12);
    EXPECT_GT(scheduler.snapshot().refresh_failures, 0);
}

TEST(Scheduler, FailingSyncBacksOffExponentiallyAndRecovers) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + hours(3), [&] { stop.request_stop(); });

    std::vector<Instant> attempts;
    std::vector<std::optional<Instant>> retry_at;
    SchedulerHooks hooks;
    hooks.sync = [&]() -> Status {
        attempts.push_back(clock.now());
        if (attempts.size() <= 6) return transient();
        return Status::Ok();
    };
    hooks.on_result = [&](Task task, const Status& status, std::optional<Instant> retry) {
        EXPECT_EQ(task, Task::kSync);
        EXPECT_EQ(status.ok(), !retry.has_value());
        retry_at.push_back(retry);
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());

    ASSERT_GT(attempts.size(), 8u);
    Millis previous{0};
    for (std::size_t i = 1; i <= 6; ++i) {
        const Millis g = gap(attempts[i - 1], attempts[i]);
        const Millis base = seconds(30) * (1 << (i - 1));
        EXPECT_GE(g, base / 2) << "retry " << i;
        EXPECT_LE(g, base) << "retry " << i;
        EXPECT_GE(g, previous) << "backoff grows";
        EXPECT_EQ(retry_at[i - 1], attempts[i]) << "reported retry time is kept";
        previous = g;
    }
    // Recovered: back to the 5-minute cadence.
    for (std::size_t i = 7; i < attempts.size(); ++i) {
        EXPECT_EQ(gap(attempts[i - 1], attempts[i]), minutes(5));
    }
    EXPECT_EQ(scheduler.snapshot().sync_failures, 0);
}

// Runs a scheduler whose every sync fails (transiently) for `run_for` of virtual time and
// returns when each attempt started.
std::vector<Instant> attempts_of_a_failing_sync(SchedulerOptions options, Millis run_for) {
    ScriptedClock clock;
    StopSource stop;
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + run_for, [&] { stop.request_stop(); });
    std::vector<Instant> attempts;
    SchedulerHooks hooks;
    hooks.sync = [&]() -> Status {
        attempts.push_back(clock.now());
        return transient();
    };
    EXPECT_TRUE(scheduler.run(hooks).ok());
    return attempts;
}

TEST(Scheduler, RetryDelaysComeFromTheCadence) {
    // [sync] retry_initial = 2s, retry_max = 10s: 1-2 s, 2-4 s, 4-8 s, then never above 10 s.
    SchedulerOptions options = options_5m();
    options.cadence.retry_initial = seconds(2);
    options.cadence.retry_max = seconds(10);
    const std::vector<Instant> attempts = attempts_of_a_failing_sync(options, minutes(2));
    ASSERT_GT(attempts.size(), 10u);
    for (std::size_t i = 1; i < attempts.size(); ++i) {
        const Millis g = gap(attempts[i - 1], attempts[i]);
        const Millis base =
            std::min<Millis>(seconds(2) * (1 << std::min<std::size_t>(i - 1, 8)), seconds(10));
        EXPECT_GE(g, base / 2) << "retry " << i;
        EXPECT_LE(g, base) << "retry " << i;
    }
}

TEST(Scheduler, PermanentFailureIsBoundedNotSpinning) {
    const std::vector<Instant> attempts = attempts_of_a_failing_sync(options_5m(), hours(24));
    // Ramp of 7 retries, then between 15 and 30 minutes apart: roughly 50 to 100 a day.
    EXPECT_GE(attempts.size(), 48u);
    EXPECT_LE(attempts.size(), 110u);
    for (std::size_t i = 1; i < attempts.size(); ++i) {
        EXPECT_LE(gap(attempts[i - 1], attempts[i]), minutes(30));
        EXPECT_GE(gap(attempts[i - 1], attempts[i]), seconds(15));
    }
}

TEST(Scheduler, FailingReconcileDoesNotStopIncrementalSyncs) {
    ScriptedClock clock;
    StopSource stop;
    Scheduler scheduler(clock, stop, options_5m());
    clock.at(clock.start() + hours(2), [&] { stop.request_stop(); });
    int syncs = 0, reconciles = 0;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        ++syncs;
        return Status::Ok();
    };
    hooks.reconcile = [&]() -> Status {
        ++reconciles;
        return transient();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    EXPECT_EQ(syncs, 24);
    EXPECT_GE(reconciles, 4);
    EXPECT_LE(reconciles, 12);
}

TEST(Scheduler, AuthorizationNeededWaitsLongUntilNotified) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    bool authorized = false;
    // `hubsync authorize` finished one minute in; the service is told through notify().
    clock.at(clock.start() + minutes(1), [&] {
        authorized = true;
        stop.notify();
    });
    clock.at(clock.start() + minutes(30), [&] { stop.request_stop(); });
    std::vector<Instant> attempts;
    SchedulerHooks hooks;
    hooks.sync = [&]() -> Status {
        attempts.push_back(clock.now());
        if (!authorized) {
            return make_error(ErrorKind::kAuthRequired, "not authorized", "run hubsync authorize");
        }
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    ASSERT_GE(attempts.size(), 2u);
    EXPECT_EQ(attempts[0], clock.start());
    EXPECT_EQ(attempts[1], clock.start() + minutes(1)) << "retried as soon as notified";
    EXPECT_EQ(attempts.size(), 7u);  // then 00:06, 00:11, ..., 00:26
}

TEST(Scheduler, ReloadAppliesTheNewCadenceAndKeepsTheOldOnABadConfig) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    Scheduler scheduler(clock, stop, options);
    bool reload_pending = false;
    std::optional<Cadence> next_config;
    auto sighup = [&](std::optional<Cadence> config) {
        next_config = config;
        reload_pending = true;
        stop.notify();
    };
    clock.at(clock.start() + minutes(32), [&] { sighup(std::nullopt); });  // invalid file
    clock.at(clock.start() + minutes(61), [&] { sighup(Cadence{minutes(1), hours(24)}); });
    clock.at(clock.start() + minutes(70), [&] { stop.request_stop(); });

    std::vector<Instant> syncs;
    int reloads = 0;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        syncs.push_back(clock.now());
        return Status::Ok();
    };
    hooks.should_reload = [&] { return std::exchange(reload_pending, false); };
    hooks.on_reload = [&] {
        ++reloads;
        return next_config;
    };
    // What a status line would show right after each reload: the re-planned next sync.
    std::vector<Instant> next_sync_after_reload;
    hooks.on_rescheduled = [&] {
        next_sync_after_reload.push_back(scheduler.snapshot().next_sync);
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    EXPECT_EQ(reloads, 2);
    EXPECT_EQ(next_sync_after_reload,
              (std::vector<Instant>{clock.start() + minutes(35), clock.start() + minutes(61)}));
    std::vector<Instant> expected;
    for (int m = 0; m <= 60; m += 5)
        expected.push_back(clock.start() + minutes(m));
    // The new 1-minute interval counts from the last sync at 01:00, so 01:01 is due at once.
    for (int m = 61; m < 70; ++m)
        expected.push_back(clock.start() + minutes(m));
    EXPECT_EQ(syncs, expected);
}

TEST(Scheduler, WatchdogPingsAtHalfTheIntervalAndThroughProgress) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    options.watchdog_interval = seconds(60);
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + hours(1), [&] { stop.request_stop(); });

    std::vector<Instant> pings;
    int syncs = 0;
    SchedulerHooks hooks;
    hooks.watchdog = [&] { pings.push_back(clock.now()); };
    hooks.sync = [&] {
        // Each sync takes 4 minutes of pages; each page reports progress.
        for (int page = 0; page < 24; ++page) {
            clock.advance(seconds(10));
            scheduler.progress();
        }
        ++syncs;
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    EXPECT_EQ(syncs, 12);
    ASSERT_GT(pings.size(), 100u);
    EXPECT_EQ(pings.front(), clock.start());
    for (std::size_t i = 1; i < pings.size(); ++i) {
        EXPECT_LE(gap(pings[i - 1], pings[i]), seconds(30)) << "ping " << i;
    }
}

TEST(Scheduler, HungTaskStarvesTheWatchdog) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.start();
    options.watchdog_interval = seconds(60);
    Scheduler scheduler(clock, stop, options);
    std::vector<Instant> pings;
    SchedulerHooks hooks;
    hooks.watchdog = [&] { pings.push_back(clock.now()); };
    hooks.sync = [&] {
        clock.advance(minutes(10));  // a request that hangs without progress
        stop.request_stop();
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    // Only the ping before the sync: systemd would have seen the silence and restarted us.
    ASSERT_EQ(pings.size(), 1u);
    EXPECT_EQ(pings[0], clock.start());
}

TEST(Scheduler, StopInsideATaskEndsTheLoopWithoutWaiting) {
    ManualClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.now();
    Scheduler scheduler(clock, stop, options);
    int syncs = 0;
    SchedulerHooks hooks;
    hooks.sync = [&] {
        ++syncs;
        stop.request_stop();
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    EXPECT_EQ(syncs, 1);
    EXPECT_EQ(clock.slept(), Millis(0));
}

TEST(Scheduler, FatalFailureEndsTheRunWithThatError) {
    ManualClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.last_reconcile = clock.now();
    Scheduler scheduler(clock, stop, options);
    SchedulerHooks hooks;
    hooks.sync = []() -> Status {
        return make_error(ErrorKind::kAuthRequired, "refresh token revoked");
    };
    hooks.is_fatal = [](const Error& e) { return e.kind == ErrorKind::kAuthRequired; };
    const Status status = scheduler.run(hooks);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, ErrorKind::kAuthRequired);
}

// With the real clock: a stop request from another thread (as the signal thread does) ends
// a sleep of an hour at once, and notify() wakes it to retry.
// The watch runs every watch_interval on the scheduler's own clock; a notify from it (a new
// authorization) retries a task that waits for a person at once, instead of after retry_max.
TEST(Scheduler, TheWatchRunsEveryIntervalAndItsNotifyRetriesFailedTasksAtOnce) {
    ScriptedClock clock;
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.cadence.retry_max = minutes(30);
    options.last_reconcile = clock.start();
    options.watch_interval = seconds(2);
    Scheduler scheduler(clock, stop, options);
    clock.at(clock.start() + minutes(20), [&] { stop.request_stop(); });
    const Instant fixed = clock.start() + minutes(10) + Millis(500);

    std::vector<Instant> syncs, watches;
    SchedulerHooks hooks;
    hooks.sync = [&]() -> Status {
        syncs.push_back(clock.now());
        if (clock.now() < fixed)
            return make_error(ErrorKind::kAuthRequired, "authorization required");
        return Status::Ok();
    };
    hooks.watch = [&] {
        watches.push_back(clock.now());
        if (clock.now() >= fixed && watches.size() >= 2 && watches[watches.size() - 2] < fixed)
            stop.notify();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());

    ASSERT_GE(syncs.size(), 2u);
    EXPECT_EQ(syncs[0], clock.start());
    EXPECT_EQ(syncs[1], clock.start() + minutes(10) + seconds(2))
        << "the first watch after the fix";
    ASSERT_GT(watches.size(), 2u);
    for (std::size_t i = 1; i < watches.size(); ++i)
        EXPECT_EQ(watches[i] - watches[i - 1], seconds(2)) << "watch " << i;
}

TEST(Scheduler, RealClockStopAndNotifyWakeTheSleepAtOnce) {
    StopSource stop;
    SchedulerOptions options = options_5m();
    options.cadence.sync_interval = hours(1);
    options.last_reconcile = SystemClock::instance().now();
    Scheduler scheduler(SystemClock::instance(), stop, options);

    std::promise<void> first, second;
    int calls = 0;
    SchedulerHooks hooks;
    hooks.sync = [&]() -> Status {
        ++calls;
        if (calls == 1) {
            first.set_value();
            return transient();  // next try in 15-30 s of real time
        }
        if (calls == 2) second.set_value();
        return Status::Ok();  // next sync in an hour
    };
    std::promise<Status> done;
    auto finished = done.get_future();
    std::thread runner([&] { done.set_value(scheduler.run(hooks)); });

    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(first.get_future().wait_for(seconds(10)), std::future_status::ready);
    // The retry is 15 s or more away; notify() makes it happen now. The loop may be between
    // the failure and its sleep, so notify until it has been heard.
    auto second_done = second.get_future();
    while (second_done.wait_for(Millis(50)) != std::future_status::ready &&
           std::chrono::steady_clock::now() - started < seconds(10)) {
        stop.notify();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));

    stop.request_stop();
    ASSERT_EQ(finished.wait_for(seconds(10)), std::future_status::ready);
    EXPECT_TRUE(finished.get().ok());
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
    runner.join();
    EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace hubsync
