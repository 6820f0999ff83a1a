// The run-loop scheduler of `hubsync run`.
#include "service/scheduler.h"

#include <algorithm>

#include "core/backoff.h"
#include "core/duration.h"
#include "core/log.h"
#include "service/status_line.h"

namespace hubsync {
namespace {

// Failures that retrying soon cannot fix: a person has to act first.
bool needs_a_person(ErrorKind kind) {
    return kind == ErrorKind::kAuthRequired || kind == ErrorKind::kConfig ||
           kind == ErrorKind::kForbidden || kind == ErrorKind::kUnauthorized;
}

}  // namespace

const char* to_string(Task task) {
    switch (task) {
        case Task::kRefresh:
            return "token refresh";
        case Task::kSync:
            return "sync";
        case Task::kReconcile:
            return "reconcile";
    }
    return "task";
}

Millis backoff_delay(int failures, Millis initial, Millis max, double unit, ErrorKind kind) {
    const Millis delay =
        needs_a_person(kind) ? std::max(max, initial) : exponential_backoff(failures, initial, max);
    return equal_jitter(delay, unit);
}

Scheduler::Scheduler(Clock& clock, StopSource& stop, SchedulerOptions options)
    : clock_(clock),
      stop_(stop),
      options_(options),
      rng_(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {}

Millis Scheduler::next_backoff(int failures, ErrorKind kind) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff_delay(failures, options_.cadence.retry_initial, options_.cadence.retry_max,
                         unit(rng_), kind);
}

SchedulerSnapshot Scheduler::snapshot() const {
    std::lock_guard lock(mu_);
    SchedulerSnapshot snap;
    snap.next_sync = sync_.next;
    snap.next_reconcile = reconcile_.next;
    snap.last_sync = last_sync_;
    snap.last_reconcile = last_reconcile_;
    snap.sync_failures = sync_.failures;
    snap.reconcile_failures = reconcile_.failures;
    snap.refresh_failures = refresh_.failures;
    snap.watchdog_last = watchdog_last_;
    return snap;
}

void Scheduler::progress() {
    std::function<void()> ping;
    {
        std::lock_guard lock(mu_);
        if (!options_.watchdog_interval || !watchdog_) return;
        const Instant now = clock_.now();
        if (watchdog_last_ && now - *watchdog_last_ < *options_.watchdog_interval / 2) return;
        watchdog_last_ = now;
        ping = watchdog_;
    }
    ping();
}

std::optional<Instant> Scheduler::refresh_due_at(const SchedulerHooks& hooks) const {
    if (!hooks.refresh || !hooks.next_refresh_at) return std::nullopt;
    const std::optional<Instant> wanted = hooks.next_refresh_at();
    if (!wanted) return std::nullopt;
    std::lock_guard lock(mu_);
    return std::max(*wanted, refresh_.next);
}

Instant Scheduler::next_deadline(const SchedulerHooks& hooks) const {
    const std::optional<Instant> refresh_at = refresh_due_at(hooks);
    std::lock_guard lock(mu_);
    Instant deadline = Instant::max();
    if (hooks.sync) deadline = std::min(deadline, sync_.next);
    if (hooks.reconcile) deadline = std::min(deadline, reconcile_.next);
    if (refresh_at) deadline = std::min(deadline, *refresh_at);
    if (options_.watchdog_interval && watchdog_) {
        const Instant base = watchdog_last_.value_or(clock_.now());
        deadline = std::min(deadline, base + *options_.watchdog_interval / 2);
    }
    if (hooks.watch) deadline = std::min(deadline, next_watch_);
    return deadline;
}

bool Scheduler::watch_if_due(const SchedulerHooks& hooks) {
    if (!hooks.watch) return false;
    const Instant now = clock_.now();
    {
        std::lock_guard lock(mu_);
        if (now < next_watch_) return false;
        next_watch_ = now + std::max(options_.watch_interval, Millis(1));
    }
    hooks.watch();
    return true;
}

void Scheduler::retry_failed_now(Instant now) {
    std::lock_guard lock(mu_);
    if (sync_.failures > 0) sync_.next = std::min(sync_.next, now);
    if (reconcile_.failures > 0) reconcile_.next = std::min(reconcile_.next, now);
    if (refresh_.failures > 0) refresh_.next = std::min(refresh_.next, now);
}

void Scheduler::reload(const SchedulerHooks& hooks) {
    if (!hooks.on_reload) return;
    const std::optional<Cadence> cadence = hooks.on_reload();
    const Instant now = clock_.now();
    if (cadence) {
        std::lock_guard lock(mu_);
        options_.cadence = *cadence;
        if (sync_.failures == 0 && last_sync_) {
            sync_.next = std::max(*last_sync_ + cadence->sync_interval, now);
        }
        if (reconcile_.failures == 0 && last_reconcile_) {
            reconcile_.next = std::max(*last_reconcile_ + cadence->reconcile_interval, now);
        }
        HS_LOG_INFO("configuration reloaded: sync every {}, reconcile every {}",
                    format_duration(cadence->sync_interval),
                    format_duration(cadence->reconcile_interval));
    }
    // A new configuration may have fixed what was failing.
    retry_failed_now(now);
    if (hooks.on_rescheduled) hooks.on_rescheduled();
}

void Scheduler::finish(const SchedulerHooks& hooks, Task task, TaskState& state, Instant started,
                       const Status& result, Millis interval, Status& fatal) {
    const Instant now = clock_.now();
    std::optional<Instant> retry_at;
    if (result.ok()) {
        std::lock_guard lock(mu_);
        state.failures = 0;
        state.next = std::max(started + interval, now);
    } else {
        int failures = 0;
        {
            std::lock_guard lock(mu_);
            failures = ++state.failures;
        }
        const Millis delay = next_backoff(failures, result.error().kind);
        retry_at = now + delay;
        {
            std::lock_guard lock(mu_);
            state.next = *retry_at;
        }
        HS_LOG_WARN("{} failed ({} in a row): {}; retrying in {}", to_string(task), failures,
                    result.error().describe(), format_age(delay));
        if (hooks.is_fatal && hooks.is_fatal(result.error())) fatal = result;
    }
    if (hooks.on_result) hooks.on_result(task, result, retry_at);
}

bool Scheduler::run_due_task(const SchedulerHooks& hooks, Status& fatal) {
    const Instant now = clock_.now();

    if (const auto refresh_at = refresh_due_at(hooks); refresh_at && *refresh_at <= now) {
        Status result = hooks.refresh();
        if (result.ok()) {
            // A token manager that still wants a refresh right after one would make the loop
            // spin; treat that as a failure so it backs off.
            const auto again = hooks.next_refresh_at();
            if (again && *again <= clock_.now()) {
                result = make_error(ErrorKind::kInternal,
                                    "the token refresh succeeded but the token is still due for "
                                    "refresh",
                                    "check refresh_margin against the token lifetime");
            }
        }
        finish(hooks, Task::kRefresh, refresh_, now, result, Millis::zero(), fatal);
        return true;
    }

    bool reconcile_due = false;
    bool sync_due = false;
    {
        std::lock_guard lock(mu_);
        reconcile_due = hooks.reconcile && reconcile_.next <= now;
        sync_due = hooks.sync && sync_.next <= now;
    }
    if (reconcile_due) {
        HS_LOG_INFO("starting the reconcile sweep");
        const Status result = hooks.reconcile();
        finish(hooks, Task::kReconcile, reconcile_, now, result,
               options_.cadence.reconcile_interval, fatal);
        if (result.ok()) {
            std::lock_guard lock(mu_);
            // A reconcile reads everything, so the next incremental sync counts from it.
            last_reconcile_ = now;
            last_sync_ = now;
            sync_.failures = 0;
            sync_.next = std::max(now + options_.cadence.sync_interval, clock_.now());
        }
        return true;
    }
    if (sync_due) {
        const Status result = hooks.sync();
        finish(hooks, Task::kSync, sync_, now, result, options_.cadence.sync_interval, fatal);
        if (result.ok()) {
            std::lock_guard lock(mu_);
            last_sync_ = now;
        }
        return true;
    }
    return false;
}

Status Scheduler::run(const SchedulerHooks& hooks) {
    const Instant start = clock_.now();
    {
        std::lock_guard lock(mu_);
        watchdog_ = hooks.watchdog;
        watchdog_last_.reset();
        last_reconcile_ = options_.last_reconcile;
        sync_ = TaskState{start, 0};
        reconcile_ = TaskState{options_.last_reconcile
                                   ? *options_.last_reconcile + options_.cadence.reconcile_interval
                                   : start,
                               0};
        refresh_ = TaskState{Instant::min(), 0};
        next_watch_ = start + options_.watch_interval;
    }
    std::uint64_t seen_generation = stop_.generation();
    Status fatal;

    while (!stop_.stop_requested()) {
        if (const auto generation = stop_.generation(); generation != seen_generation) {
            // Woken by notify(): a reload, a new authorization. Failed tasks get another try
            // now instead of after their backoff.
            seen_generation = generation;
            retry_failed_now(clock_.now());
        }
        if (hooks.should_reload && hooks.should_reload()) reload(hooks);
        progress();
        // Back to the top after a watch: a notify from it retries failed tasks first.
        if (watch_if_due(hooks)) continue;
        if (run_due_task(hooks, fatal)) {
            if (!fatal.ok()) break;
            continue;
        }
        // Nothing scheduled: wait for a stop or a notify. A notify since the top of the loop
        // (a SIGHUP while a reload or task ran) ends the sleep at once instead of being lost.
        const Instant deadline = next_deadline(hooks);
        clock_.sleep_until_since(
            deadline == Instant::max() ? clock_.now() + std::chrono::hours(24 * 365) : deadline,
            stop_, seen_generation);
    }

    {
        std::lock_guard lock(mu_);
        watchdog_ = nullptr;
    }
    return fatal;
}

}  // namespace hubsync
