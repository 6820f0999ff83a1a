// RollingWindowLimiter: remembers the send time of every request still inside the window (and,
// with a history, a while longer).
#include "api/rate_limiter.h"

#include <algorithm>

namespace hubsync {

RollingWindowLimiter::RollingWindowLimiter(int budget, Millis window, Millis history)
    : budget_(std::max(budget, 1)),
      window_(std::max(window, Millis(1))),
      history_(std::max(history, Millis(0))) {}

void RollingWindowLimiter::set_budget(int budget) {
    budget_ = std::max(budget, 1);
}

void RollingWindowLimiter::set_window(Millis window) {
    window_ = std::max(window, Millis(1));
}

std::size_t RollingWindowLimiter::expire(Instant now) {
    while (!sent_.empty() && sent_.front() + window_ + history_ <= now)
        sent_.pop_front();
    // A request sent at t occupies the half-open window [t, t + window).
    const auto first = std::upper_bound(sent_.begin(), sent_.end(), now - window_);
    return static_cast<std::size_t>(first - sent_.begin());
}

Instant RollingWindowLimiter::next_slot(Instant now) {
    const std::size_t outside = expire(now);  // first: it drops old sends
    const std::size_t counted = sent_.size() - outside;
    if (static_cast<int>(counted) < budget_) return now;
    // The oldest request that must leave the window before one more fits.
    return sent_[sent_.size() - static_cast<std::size_t>(budget_)] + window_;
}

void RollingWindowLimiter::record(Instant at) {
    expire(at);
    sent_.push_back(at);
}

int RollingWindowLimiter::in_window(Instant now) {
    const std::size_t outside = expire(now);  // first: it drops old sends
    return static_cast<int>(sent_.size() - outside);
}

Instant RollingWindowLimiter::nth_newest_leaves(int n, Instant now) {
    const std::size_t outside = expire(now);  // first: it drops old sends
    const std::size_t counted = sent_.size() - outside;
    if (n < 1 || n > static_cast<int>(counted)) return now;
    return sent_[sent_.size() - static_cast<std::size_t>(n)] + window_;
}

int RollingWindowLimiter::sent_since(Instant from, Instant now) {
    expire(now);
    return static_cast<int>(sent_.end() - std::upper_bound(sent_.begin(), sent_.end(), from));
}

}  // namespace hubsync
