// Virtual time with events, for tests of loops that sleep on a Clock (the scheduler, the
// service): sleep_until() runs the events scheduled up to the deadline, in order, each at its
// time, and ends early when one of them stops or notifies the StopSource, just as a signal
// would wake the real clock. Hooks may advance() to simulate slow work.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "core/clock.h"

namespace hubsync::testing {

// Thread-safe: other threads (an in-process simulator's) may read now() meanwhile. Events
// run on the thread that sleeps, one at a time, without the clock's lock held.
class ScriptedClock final : public Clock {
  public:
    Instant now() const override {
        std::lock_guard lock(mu_);
        return now_;
    }

    bool sleep_until(Instant deadline, StopSource* stop) override {
        if (stop && stop->stop_requested()) return false;
        const std::uint64_t generation = stop ? stop->generation() : 0;
        for (;;) {
            std::function<void()> event;
            {
                std::lock_guard lock(mu_);
                if (events_.empty() || events_.begin()->first > deadline) {
                    now_ = std::max(now_, deadline);
                    return true;
                }
                auto next = events_.extract(events_.begin());
                now_ = std::max(now_, next.key());
                event = std::move(next.mapped());
            }
            event();
            if (stop && (stop->stop_requested() || stop->generation() != generation)) return false;
        }
    }

    // Runs `fn` when virtual time reaches `t` inside a sleep.
    void at(Instant t, std::function<void()> fn) {
        std::lock_guard lock(mu_);
        events_.emplace(t, std::move(fn));
    }
    void advance(Millis d) {
        std::lock_guard lock(mu_);
        now_ += d;
    }
    Instant start() const { return start_; }

  private:
    const Instant start_ = ManualClock::default_start();
    mutable std::mutex mu_;
    Instant now_ = start_;
    std::multimap<Instant, std::function<void()>> events_;
};

}  // namespace hubsync::testing
