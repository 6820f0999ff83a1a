// The injectable clock: production code asks a Clock for the time and sleeps through it, so
// tests can run hours of virtual time in milliseconds without a single real sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace hubsync {

using Instant = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

// A stop request shared between a signal handler thread and sleepers. Thread-safe.
class StopSource final {
  public:
    void request_stop();
    bool stop_requested() const { return stop_.load(std::memory_order_acquire); }
    // Wakes sleepers without stopping (e.g. a reload or a new authorization).
    void notify();

    // Waits until `deadline` on the real clock, a stop, or a notify. Returns true when the
    // deadline passed, false when woken early. With `since` (a generation() read earlier), a
    // notify that came after that read and before the wait began wakes it too, at once.
    bool wait_until(std::chrono::steady_clock::time_point deadline,
                    std::optional<std::uint64_t> since = std::nullopt);
    std::uint64_t generation() const;

  private:
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t generation_ = 0;
};

class Clock {
  public:
    virtual ~Clock() = default;
    // The current wall-clock time.
    virtual Instant now() const = 0;
    // Sleeps until `deadline`. Returns true when the deadline was reached, false when `stop`
    // (if given) was requested or notified first. Never sleeps past a stop request.
    virtual bool sleep_until(Instant deadline, StopSource* stop = nullptr) = 0;

    bool sleep_for(Millis d, StopSource* stop = nullptr) { return sleep_until(now() + d, stop); }
    // Like sleep_until, but also returns false at once when `stop` was notified after
    // `generation` (a StopSource::generation() read earlier): a loop that decides to sleep
    // cannot miss a wake that came while it was deciding.
    virtual bool sleep_until_since(Instant deadline, StopSource& stop, std::uint64_t generation) {
        if (stop.generation() != generation) return false;
        return sleep_until(deadline, &stop);
    }
    std::int64_t now_ms() const;
};

// Real time. Thread-safe.
class SystemClock final : public Clock {
  public:
    Instant now() const override;
    bool sleep_until(Instant deadline, StopSource* stop = nullptr) override;
    bool sleep_until_since(Instant deadline, StopSource& stop, std::uint64_t generation) override;
    // The process-wide instance.
    static SystemClock& instance();
};

// Virtual time for tests. sleep_until() jumps the clock forward to the deadline at once, so a
// component that waits 20 minutes does so instantly; advance() moves time from the test.
// Thread-safe: several threads (a simulator and a client) may share one ManualClock.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(Instant start = default_start());
    Instant now() const override;
    bool sleep_until(Instant deadline, StopSource* stop = nullptr) override;
    void advance(Millis d);
    void set(Instant t);
    // Total virtual time spent inside sleep_until, for tests that check waiting happened.
    Millis slept() const;

    // 2026-01-01T00:00:00Z: a fixed, readable start for deterministic tests.
    static Instant default_start();

  private:
    mutable std::mutex mu_;
    Instant now_;
    Millis slept_{0};
};

// Epoch milliseconds <-> Instant.
std::int64_t to_epoch_ms(Instant t);
Instant from_epoch_ms(std::int64_t ms);

// ISO-8601 UTC with milliseconds, as HubSpot writes it: 2024-09-11T13:27:39.356Z.
std::string format_iso8601(Instant t);
// Parses ISO-8601 UTC ("2024-09-11T13:27:39.356Z", "2024-09-11T13:27:39Z", "2024-09-11",
// "+00:00" offsets). Returns false on anything else.
bool parse_iso8601(std::string_view text, Instant& out);

}  // namespace hubsync
