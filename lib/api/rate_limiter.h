// The client-side rate limiter: a rolling window that admits at most `budget` requests in
// any `window`, so hubsync stays below HubSpot's own limits instead of collecting 429s.
#pragma once

#include <deque>

#include "core/clock.h"

namespace hubsync {

// Not thread-safe; the RateBudget that owns it locks around it.
class RollingWindowLimiter final {
  public:
    // `history`: how much longer than the window send times are kept, for sent_since().
    RollingWindowLimiter(int budget, Millis window, Millis history = Millis(0));

    // The earliest instant at or after `now` at which one more request fits the window.
    Instant next_slot(Instant now);
    // Counts a request sent at `at` (call with non-decreasing times).
    void record(Instant at);
    // Requests counted in the window ending at `now`.
    int in_window(Instant now);
    // When the n-th newest request counted at `now` (n >= 1) leaves the window; `now` when
    // fewer than n are counted.
    Instant nth_newest_leaves(int n, Instant now);
    // Requests sent after `from` (at most window + history before `now`).
    int sent_since(Instant from, Instant now);

    int budget() const { return budget_; }
    Millis window() const { return window_; }
    // Changes the size of the window or its budget; requests already counted stay counted.
    void set_budget(int budget);
    void set_window(Millis window);

  private:
    // Forgets sends older than window + history; returns how many of the rest are outside the
    // window (the oldest ones).
    std::size_t expire(Instant now);

    int budget_;
    Millis window_;
    Millis history_;
    std::deque<Instant> sent_;
};

}  // namespace hubsync
