// The service's one scheduler: decides what `hubsync run` does next (refresh the token, sync,
// reconcile, ping the watchdog) and sleeps on the injectable Clock until then, so a test
// drives a day of service life in milliseconds with a ManualClock.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>

#include "core/clock.h"
#include "core/result.h"

namespace hubsync {

enum class Task { kRefresh, kSync, kReconcile };
const char* to_string(Task task);

// How often the periodic work runs; replaced on reload.
struct Cadence {
    Millis sync_interval{5 * 60'000};
    Millis reconcile_interval{24 * 3'600'000};
    // Retry delays after a failure: initial * 2^(n-1), capped at max, each drawn uniformly
    // from [delay/2, delay] so several services that failed together do not retry together.
    Millis retry_initial{30'000};
    Millis retry_max{30 * 60'000};
};

struct SchedulerOptions {
    Cadence cadence;
    // When the last reconcile sweep started, as persisted by the mirror. nullopt (never) makes
    // the first reconcile due at once.
    std::optional<Instant> last_reconcile;
    // systemd's watchdog interval (WATCHDOG_USEC); pings go out at half of it. nullopt: off.
    std::optional<Millis> watchdog_interval;
    // Seed for the jitter; 0 picks a random seed. Tests fix it.
    std::uint64_t jitter_seed = 0;
    // How often the watch hook looks for outside changes (a new authorization).
    Millis watch_interval{2'000};
};

// What the scheduler calls. Every hook is optional; a missing task hook means that task never
// runs. Hooks run on the thread that called run(), one at a time.
struct SchedulerHooks {
    // When the access token should be refreshed next (e.g. the token manager's
    // next_refresh_at()); nullopt when no refresh is pending (private-app token).
    std::function<std::optional<Instant>()> next_refresh_at;
    std::function<Status()> refresh;
    // An incremental sync cycle.
    std::function<Status()> sync;
    // A full sync with the reconcile sweep; it counts as a sync too.
    std::function<Status()> reconcile;
    // Sends WATCHDOG=1.
    std::function<void()> watchdog;
    // Looks for outside changes every watch_interval, between tasks; calls
    // StopSource::notify() to have failed tasks retried now (e.g. the token store holds a new
    // authorization). Runs on the scheduler's clock, so tests drive it in virtual time.
    std::function<void()> watch;
    // True (once) when a reload was requested, e.g. by SIGHUP.
    std::function<bool()> should_reload;
    // Reloads the configuration. Returns the new cadence, or nullopt when the new
    // configuration was refused and the old one stays.
    std::function<std::optional<Cadence>()> on_reload;
    // After a reload was applied and the next runs re-planned (for a fresh status line).
    std::function<void()> on_rescheduled;
    // After every task: its outcome and, after a failure, when it is retried.
    std::function<void(Task, const Status&, std::optional<Instant> retry_at)> on_result;
    // A failure for which run() should give up and return it (e.g. authorization revoked,
    // when the service should exit for a person to act). Default: never give up.
    std::function<bool(const Error&)> is_fatal;
};

// What the scheduler plans, for status lines and tests.
struct SchedulerSnapshot {
    Instant next_sync;
    Instant next_reconcile;
    std::optional<Instant> last_sync;       // start of the last successful sync or reconcile
    std::optional<Instant> last_reconcile;  // start of the last successful reconcile
    int sync_failures = 0;                  // consecutive failures of each task
    int reconcile_failures = 0;
    int refresh_failures = 0;
    std::optional<Instant> watchdog_last;  // last WATCHDOG ping
};

// The delay before retry number `failures` (1 = first retry): initial * 2^(failures-1) capped
// at max, scaled into [delay/2, delay] by `unit` in [0, 1). Failures a person must fix
// (authorization, configuration, permissions) wait `max` at once.
Millis backoff_delay(int failures, Millis initial, Millis max, double unit,
                     ErrorKind kind = ErrorKind::kTransient);

class Scheduler final {
  public:
    // `clock` and `stop` must outlive the scheduler.
    Scheduler(Clock& clock, StopSource& stop, SchedulerOptions options);

    // Runs until `stop` is requested (returns ok) or a hook fails fatally (returns that
    // error). Sleeps until the earliest due task; StopSource::request_stop() ends the sleep
    // and the loop at once, StopSource::notify() wakes it to look at reloads and to retry
    // failed tasks now (e.g. after a new authorization).
    Status run(const SchedulerHooks& hooks);

    // Progress from inside a long task (a page written): pings the watchdog when a ping is
    // due. Thread-safe; a no-op without a watchdog or outside run().
    void progress();

    SchedulerSnapshot snapshot() const;

  private:
    struct TaskState {
        Instant next;
        int failures = 0;
    };

    bool run_due_task(const SchedulerHooks& hooks, Status& fatal);
    bool watch_if_due(const SchedulerHooks& hooks);
    void finish(const SchedulerHooks& hooks, Task task, TaskState& state, Instant started,
                const Status& result, Millis interval, Status& fatal);
    void retry_failed_now(Instant now);
    void reload(const SchedulerHooks& hooks);
    Instant next_deadline(const SchedulerHooks& hooks) const;
    std::optional<Instant> refresh_due_at(const SchedulerHooks& hooks) const;
    Millis next_backoff(int failures, ErrorKind kind);

    Clock& clock_;
    StopSource& stop_;
    SchedulerOptions options_;
    std::mt19937_64 rng_;

    mutable std::mutex mu_;  // guards everything below for progress() and snapshot()
    TaskState sync_;
    TaskState reconcile_;
    TaskState refresh_;  // refresh_.next: earliest retry after a failure
    std::optional<Instant> last_sync_;
    std::optional<Instant> last_reconcile_;
    std::optional<Instant> watchdog_last_;
    std::function<void()> watchdog_;
    Instant next_watch_{};
};

}  // namespace hubsync
