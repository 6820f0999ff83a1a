// Retry delays: exponential growth to a cap, and jitter so that clients that failed together
// do not retry together. The scheduler, the token manager and the API client draw from here.
#pragma once

#include <chrono>

namespace hubsync {

// The delay before retry number `failures` (1 = the first retry): initial * 2^(failures-1),
// capped at `max` (and never below `initial`, whatever `max` says).
std::chrono::milliseconds exponential_backoff(int failures, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds max);

// "Equal jitter": a point in [delay/2, delay] chosen by `unit` in [0, 1) (clamped), so a retry
// waits at least half the delay and many clients never converge on one instant.
std::chrono::milliseconds equal_jitter(std::chrono::milliseconds delay, double unit);

}  // namespace hubsync
