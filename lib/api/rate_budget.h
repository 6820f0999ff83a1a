// The account's request budget as this process sees it, shared by every request in flight:
// HubSpot's rolling 10-second bucket (its size learned from X-HubSpot-RateLimit-Max, capped by
// the configuration), the search bucket, the waits 429s and low Remaining headers ask for, the
// daily cap, and the measured latency that decides how many requests are worth keeping in
// flight. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "api/rate_limiter.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/transport.h"

namespace hubsync {

// kExempt: calls HubSpot's spec exempts from the 10-second bucket (association reads). They
// are paced by a window of their own, as large as the 10-second one, and never draw from it,
// until HubSpot answers one with a 429: from then on they count in the 10-second bucket.
enum class Bucket { kGeneral, kSearch, kExempt };

struct RateBudgetOptions {
    // Upper cap on requests per 10 seconds; 0 = auto (what HubSpot's headers say, less a
    // margin). Before the first answer, auto assumes HubSpot's smallest bucket (100).
    int requests_per_10s = 0;
    int searches_per_second = 4;
    // A wait asked for by the headers is never longer than this (and 10 s).
    Millis max_wait{15 * 60'000};
    // Most requests worth keeping in flight, whatever the latency.
    int max_in_flight = 32;
};

// What the budget knows, for reports and `hubsync status`.
struct BudgetSnapshot {
    int limit = 0;                      // requests per interval this process allows itself now
    Millis interval{10'000};            // the bucket's window
    int hubspot_max = 0;                // X-HubSpot-RateLimit-Max last seen; 0 = not yet
    std::int64_t daily_limit = -1;      // X-HubSpot-RateLimit-Daily; -1 = not sent
    std::int64_t daily_remaining = -1;  // X-HubSpot-RateLimit-Daily-Remaining; -1 = not sent
    bool daily_slowdown = false;        // running at half rate to stay under the daily cap
    bool daily_paused = false;          // refusing requests until the daily cap resets
    double latency_ms = 0;              // moving average of answered requests
    int in_flight = 0;
    int in_flight_peak = 0;
};

class RateBudget final {
  public:
    RateBudget(Clock& clock, const RateBudgetOptions& options, StopSource* stop = nullptr);

    // A counted request: the bucket it was counted in, its sequence number (for finished())
    // and when it was let go.
    struct Ticket {
        Bucket bucket = Bucket::kGeneral;
        std::uint64_t seq = 0;
        Instant at;
    };
    // Blocks until `bucket` has room and counts the request. kCancelled when a stop is
    // requested while waiting; kRateLimited when the daily cap is nearly used up.
    Result<Ticket> acquire(Bucket bucket, const std::string& what);
    // The answer to request `seq`, counted in `bucket` (the ticket's), arrived after
    // `latency`: its rate-limit headers, if any, and the request leaves the in-flight count.
    void finished(Bucket bucket, std::uint64_t seq, const HttpResponse* response, Millis latency);
    // A 429 arrived for a request of `bucket`: keep the bucket it is counted in quiet for
    // `delay` (at most 10 s). For an exempt request, HubSpot counts it after all: exempt
    // requests count in the 10-second bucket from now on. Returns true when that is new.
    bool quiet_for(Bucket bucket, Millis delay);

    // Requests worth having in flight: the rate the budget allows times the measured
    // latency, plus one, within [1, max_in_flight].
    int suggested_in_flight() const;
    BudgetSnapshot snapshot() const;

    // Waits until `until` unless a stop is requested first (a wake that is not a stop does not
    // end the wait). Adds the wait to `waited_ms`.
    Status wait_until(Instant until, const std::string& what, const char* why);
    std::int64_t waited_ms() const;

  private:
    void observe_locked(std::uint64_t seq, const HttpResponse& response, Instant now,
                        Millis latency);
    // Our general requests HubSpot may have counted when one sent `latency` ago arrived: those
    // sent within a window before it, and every one since.
    int ours_counted_locked(Instant now, Millis latency);
    void learn_limits_locked(const HttpResponse& response);
    void apply_limit_locked();

    Clock& clock_;
    RateBudgetOptions options_;
    StopSource* stop_;
    mutable std::mutex mu_;
    // General send times are kept a minute past the window: a Remaining header describes the
    // window as it stood at an earlier arrival.
    RollingWindowLimiter general_;
    RollingWindowLimiter search_;
    RollingWindowLimiter exempt_;  // same size as general_; see Bucket::kExempt
    bool exempt_counted_ = false;  // HubSpot answered an exempt request with a 429
    Instant quiet_until_{};        // no general request before this (low Remaining, 429)
    Instant last_search_{};        // when the last search was let go
    Millis search_spacing_;        // searches go out at least this far apart
    std::uint64_t sent_ = 0;       // general requests sent so far (sequence numbers)
    int hubspot_max_ = 0;
    Millis interval_{10'000};
    std::int64_t daily_limit_ = -1;
    std::int64_t daily_remaining_ = -1;
    double latency_ms_ = 0;
    int in_flight_ = 0;
    int in_flight_peak_ = 0;
    std::int64_t waited_ms_ = 0;
};

}  // namespace hubsync
