// RateBudget: the two buckets, the waits HubSpot's headers ask for, the learned limits and
// the latency, under one lock; waiting happens outside it.
#include "api/rate_budget.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "core/text.h"

namespace hubsync {
namespace {

constexpr Millis kTenSeconds{10'000};
constexpr Millis kOneSecond{1'000};
// Before the first answer names the account's limit: HubSpot's smallest 10-second bucket.
constexpr int kAssumedMax = 100;
// Requests kept free of HubSpot's bucket: HubSpot counts a request when it arrives, this
// process when it sends it, so requests sent close together may arrive in another order and
// window; and a command next to the service may send one.
constexpr int kMargin = 2;
// When X-HubSpot-RateLimit-Remaining, less what was sent since, drops to this, wait: the
// headroom covers another process (a command next to the service) using the same account.
constexpr long kLowRemaining = 1;
// HubSpot counts a request when it arrives: when waiting for one of our own requests to leave
// HubSpot's window, wait this much longer.
constexpr Millis kWindowMargin{250};
// Our own window is longer than HubSpot's by this share of it (250 ms of 10 s): see
// apply_limit_locked().
constexpr int kArrivalSkewShare = 40;
// How long past its window a send time is kept for reading Remaining headers (answers slower
// than this are compared with fewer of our requests than HubSpot counted: a needless wait).
constexpr Millis kLatencyKept{60'000};
// Below these shares of the daily cap left: half rate, then no requests until it resets.
constexpr double kDailySlowdownShare = 0.20;
constexpr double kDailyPauseShare = 0.05;
// Weight of the newest answer in the latency average.
constexpr double kLatencyWeight = 0.2;

std::optional<long long> header_number(const HttpResponse& response, std::string_view name) {
    return parse_int<long long>(trim(response.header(name)));
}

}  // namespace

RateBudget::RateBudget(Clock& clock, const RateBudgetOptions& options, StopSource* stop)
    : clock_(clock),
      options_(options),
      stop_(stop),
      general_(kAssumedMax - kMargin, kTenSeconds + kTenSeconds / kArrivalSkewShare, kLatencyKept),
      search_(std::max(options.searches_per_second, 1), kOneSecond),
      exempt_(kAssumedMax - kMargin, kTenSeconds + kTenSeconds / kArrivalSkewShare),
      search_spacing_(kOneSecond / std::max(options.searches_per_second, 1)) {
    options_.max_in_flight = std::max(options_.max_in_flight, 1);
    std::lock_guard lock(mu_);
    apply_limit_locked();
}

// The limit this process allows itself: HubSpot's (or the assumed) less the margin, never
// above the configured cap, halved when the daily cap is near.
void RateBudget::apply_limit_locked() {
    // Until HubSpot names its limit, a configured cap is taken at its word; auto assumes the
    // smallest bucket.
    int limit = hubspot_max_ > 0 ? hubspot_max_ - kMargin
                                 : (options_.requests_per_10s > 0 ? options_.requests_per_10s
                                                                  : kAssumedMax - kMargin);
    if (options_.requests_per_10s > 0) {
        // The configured cap is per 10 seconds; scale it to HubSpot's interval.
        const auto scaled = static_cast<int>(static_cast<double>(options_.requests_per_10s) *
                                             static_cast<double>(interval_.count()) / 10'000.0);
        limit = std::min(limit, std::max(scaled, 1));
    }
    if (daily_limit_ > 0 && daily_remaining_ >= 0 &&
        static_cast<double>(daily_remaining_) <
            kDailySlowdownShare * static_cast<double>(daily_limit_))
        limit = std::max(limit / 2, 1);
    general_.set_budget(std::max(limit, 1));
    exempt_.set_budget(std::max(limit, 1));
    // Our window runs from when a request is let go; HubSpot's from when it arrives, which is
    // later by a connection's setup for the first requests of a burst and less for the ones on
    // kept-alive connections: a request let go a window after one of those can arrive inside
    // HubSpot's window with it (three 429s at 190 per 10 s with 19 in flight). The margin
    // keeps them apart.
    general_.set_window(interval_ + interval_ / kArrivalSkewShare);
    exempt_.set_window(interval_ + interval_ / kArrivalSkewShare);
}

Result<RateBudget::Ticket> RateBudget::acquire(Bucket bucket, const std::string& what) {
    for (;;) {
        Instant slot;
        const char* why = nullptr;
        {
            std::lock_guard lock(mu_);
            if (bucket == Bucket::kExempt && exempt_counted_) bucket = Bucket::kGeneral;
            // The daily cap counts every request but searches.
            if (bucket != Bucket::kSearch && daily_limit_ > 0 && daily_remaining_ >= 0 &&
                static_cast<double>(daily_remaining_) <
                    kDailyPauseShare * static_cast<double>(daily_limit_)) {
                return make_error(
                    ErrorKind::kRateLimited,
                    fmt::format("{}: HubSpot's daily API limit for this account is nearly used up "
                                "({} of {} left); hubsync pauses so the rest stays for other "
                                "integrations",
                                what, daily_remaining_, daily_limit_),
                    "syncing resumes after the daily limit resets at midnight in the account's "
                    "time zone; lower the sync frequency or raise the account's limit");
            }
            const Instant now = clock_.now();
            RollingWindowLimiter& limiter = bucket == Bucket::kSearch   ? search_
                                            : bucket == Bucket::kExempt ? exempt_
                                                                        : general_;
            slot = limiter.next_slot(now);
            why = bucket == Bucket::kSearch   ? "search rate limit"
                  : bucket == Bucket::kExempt ? "association read pace"
                                              : "10-second rate limit";
            if (bucket == Bucket::kGeneral && quiet_until_ > slot) {
                slot = quiet_until_;
                why = "HubSpot reported its rate-limit window nearly used up";
            }
            // Searches go out evenly spaced, never in a burst: HubSpot counts a search when it
            // arrives, and a burst let go the moment this window frees up can arrive a few
            // milliseconds later inside HubSpot's second, still full (seen with four search
            // chains at 800 ms latency). Spaced 1/rate apart, a search must arrive a whole
            // spacing late (250 ms at 4/s) to make one too many; the rate stays the same.
            if (bucket == Bucket::kSearch && last_search_ != Instant{} &&
                last_search_ + search_spacing_ > slot)
                slot = last_search_ + search_spacing_;
            if (slot <= now) {
                limiter.record(now);
                if (bucket == Bucket::kSearch) last_search_ = now;
                ++in_flight_;
                in_flight_peak_ = std::max(in_flight_peak_, in_flight_);
                return Ticket{bucket, bucket == Bucket::kGeneral ? ++sent_ : 0, now};
            }
        }
        HS_RETURN_IF_ERROR(wait_until(slot, what, why));
    }
}

void RateBudget::finished(Bucket bucket, std::uint64_t seq, const HttpResponse* response,
                          Millis latency) {
    std::lock_guard lock(mu_);
    in_flight_ = std::max(in_flight_ - 1, 0);
    const double ms = static_cast<double>(latency.count());
    latency_ms_ = latency_ms_ == 0 ? ms : (1 - kLatencyWeight) * latency_ms_ + kLatencyWeight * ms;
    if (bucket == Bucket::kGeneral && response != nullptr) {
        learn_limits_locked(*response);
        observe_locked(seq, *response, clock_.now(), latency);
    }
}

void RateBudget::learn_limits_locked(const HttpResponse& response) {
    if (const auto max = header_number(response, "X-HubSpot-RateLimit-Max"); max && *max > 0)
        hubspot_max_ = static_cast<int>(std::min<long long>(*max, 1'000'000));
    if (const auto interval = header_number(response, "X-HubSpot-RateLimit-Interval-Milliseconds");
        interval && *interval > 0)
        interval_ = std::min(Millis(*interval), std::max(options_.max_wait, kTenSeconds));
    if (const auto daily = header_number(response, "X-HubSpot-RateLimit-Daily"); daily)
        daily_limit_ = *daily;
    if (const auto left = header_number(response, "X-HubSpot-RateLimit-Daily-Remaining"); left)
        daily_remaining_ = *left;
    apply_limit_locked();
}

// Follows X-HubSpot-RateLimit-Remaining: when the account's window is almost used up (by this
// process or any other), the next general request waits for room. The header tells the state
// when request `seq` arrived; the requests sent after it will arrive too, so they count against
// what it says is left. Unless our own requests in the window explain all the account has
// used: then the limiter (HubSpot's maximum less a margin) already keeps them inside it, and
// the header must add no wait. (With a dozen requests in flight, those sent after `seq` that
// arrived before it were counted twice, read as a full window, and stalled every reader.)
int RateBudget::ours_counted_locked(Instant now, Millis latency) {
    return general_.sent_since(now - latency - interval_, now);
}

void RateBudget::observe_locked(std::uint64_t seq, const HttpResponse& response, Instant now,
                                Millis latency) {
    const auto reported = header_number(response, "X-HubSpot-RateLimit-Remaining");
    if (!reported) return;
    const auto max = header_number(response, "X-HubSpot-RateLimit-Max");
    if (max && *max > 0 && *max - *reported <= ours_counted_locked(now, latency) + kMargin) return;
    const int ours = general_.in_window(now);
    const long long sent_since = static_cast<long long>(sent_ - std::min(seq, sent_));
    const long long remaining = *reported - sent_since;
    if (remaining > kLowRemaining) return;
    const Millis window = interval_;
    Instant until = now + window;
    // When this process's own requests account for all the account has used, the window frees
    // up as they age out: wait for just enough of them to leave (keeping the kLowRemaining
    // headroom), not a whole window from now. Otherwise someone else shares the account and
    // only a whole window is known to be safe.
    if (max && *max > 0) {
        const long long used = *max - remaining;
        const long long need = used - (*max - 1 - kLowRemaining);  // requests that must leave
        if (used > 0 && ours >= used && need >= 1 && need <= used) {
            const int n = static_cast<int>(used - need + 1);
            until = std::min(until, general_.nth_newest_leaves(n, now) + kWindowMargin);
        }
    }
    quiet_until_ = std::max(quiet_until_, until);
}

bool RateBudget::quiet_for(Bucket bucket, Millis delay) {
    if (bucket == Bucket::kSearch) return false;
    std::lock_guard lock(mu_);
    const bool learned = bucket == Bucket::kExempt && !exempt_counted_;
    exempt_counted_ = exempt_counted_ || bucket == Bucket::kExempt;
    quiet_until_ = std::max(quiet_until_, clock_.now() + std::min(delay, kTenSeconds));
    return learned;
}

int RateBudget::suggested_in_flight() const {
    std::lock_guard lock(mu_);
    const double per_ms = static_cast<double>(general_.budget()) /
                          static_cast<double>(std::max<std::int64_t>(interval_.count(), 1));
    const int wanted = static_cast<int>(std::ceil(per_ms * latency_ms_)) + 1;
    return std::clamp(wanted, 1, options_.max_in_flight);
}

BudgetSnapshot RateBudget::snapshot() const {
    std::lock_guard lock(mu_);
    BudgetSnapshot s;
    s.limit = general_.budget();
    s.interval = interval_;
    s.hubspot_max = hubspot_max_;
    s.daily_limit = daily_limit_;
    s.daily_remaining = daily_remaining_;
    s.daily_slowdown = daily_limit_ > 0 && daily_remaining_ >= 0 &&
                       static_cast<double>(daily_remaining_) <
                           kDailySlowdownShare * static_cast<double>(daily_limit_);
    s.daily_paused = daily_limit_ > 0 && daily_remaining_ >= 0 &&
                     static_cast<double>(daily_remaining_) <
                         kDailyPauseShare * static_cast<double>(daily_limit_);
    s.latency_ms = latency_ms_;
    s.in_flight = in_flight_;
    s.in_flight_peak = in_flight_peak_;
    return s;
}

Status RateBudget::wait_until(Instant until, const std::string& what, const char* why) {
    const Instant now = clock_.now();
    if (until <= now) return Status::Ok();
    {
        std::lock_guard lock(mu_);
        waited_ms_ += std::chrono::duration_cast<Millis>(until - now).count();
    }
    // Only a stop ends the wait. The service also wakes sleepers without stopping (a reload, a
    // changed token store) so its scheduler looks again; that is no reason to give up a
    // request in the middle of a cycle.
    while (!clock_.sleep_until(until, stop_)) {
        if (stop_ == nullptr || stop_->stop_requested())
            return make_error(ErrorKind::kCancelled,
                              fmt::format("{}: stopped while waiting ({})", what, why));
    }
    return Status::Ok();
}

std::int64_t RateBudget::waited_ms() const {
    std::lock_guard lock(mu_);
    return waited_ms_;
}

}  // namespace hubsync
