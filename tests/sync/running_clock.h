// A clock for tests at HubSpot's latency: virtual time that also runs with real time.
#pragma once

#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace hubsync::testing {

// Virtual time that also runs with real time: the simulator's latency holds (real time) show
// up in the API client's latency measurement, while every wait (rate limits, backoff) jumps
// instead of sleeping. Thread-safe.
class RunningClock final : public Clock {
  public:
    Instant now() const override {
        std::lock_guard lock(mu_);
        return now_locked();
    }
    bool sleep_until(Instant deadline, StopSource* stop) override {
        if (stop && stop->stop_requested()) return false;
        std::lock_guard lock(mu_);
        const Instant now = now_locked();
        if (deadline > now) offset_ += deadline - now;
        return true;
    }
    void advance(Millis d) {
        std::lock_guard lock(mu_);
        offset_ += d;
    }

  private:
    Instant now_locked() const {
        return start_ + offset_ +
               std::chrono::duration_cast<Instant::duration>(std::chrono::steady_clock::now() -
                                                             real_start_);
    }
    mutable std::mutex mu_;
    const Instant start_ = ManualClock::default_start();
    const std::chrono::steady_clock::time_point real_start_ = std::chrono::steady_clock::now();
    Instant::duration offset_{0};
};

}  // namespace hubsync::testing
