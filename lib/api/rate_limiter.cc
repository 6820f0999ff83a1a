// RollingWindowLimiter: remembers the send time of every request still inside the window.
#include "api/rate_limiter.h"

#include <algorithm>

namespace hubsync {

RollingWindowLimiter::RollingWindowLimiter(int budget, Millis window)
    : budget_(std::max(budget, 1)), window_(std::max(window, Millis(1))) {}

void RollingWindowLimiter::set_budget(int budget) {
    budget_ = std::max(budget, 1);
}

void RollingWindowLimiter::set_window(Millis window) {
    window_ = std::max(window, Millis(1));
}

void RollingWindowLimiter::expire(Instant now) {
    // A request sent at t occupies the half-open window [t, t + window).
    while (!sent_.empty() && sent_.front() + window_ <= now)
        sent_.pop_front();
}

Instant RollingWindowLimiter::next_slot(Instant now) {
    expire(now);
    if (static_cast<int>(sent_.size()) < budget_) return now;
    // The oldest request that must leave the window before one more fits.
    return sent_[sent_.size() - static_cast<std::size_t>(budget_)] + window_;
}

void RollingWindowLimiter::record(Instant at) {
    expire(at);
    sent_.push_back(at);
}

int RollingWindowLimiter::in_window(Instant now) {
    expire(now);
    return static_cast<int>(sent_.size());
}

Instant RollingWindowLimiter::nth_newest_leaves(int n, Instant now) {
    expire(now);
    if (n < 1 || n > static_cast<int>(sent_.size())) return now;
    return sent_[sent_.size() - static_cast<std::size_t>(n)] + window_;
}

}  // namespace hubsync
