// TokenManager: keeps a valid OAuth access token for months. Refreshes ahead of expiry, persists
// rotated refresh tokens before use, backs off on failures, and parks in "authorization
// required" until a new `hubsync authorize` replaces the token store.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "core/access_token_source.h"
#include "core/clock.h"
#include "oauth/token_client.h"
#include "oauth/token_store.h"

namespace hubsync {

struct TokenManagerOptions {
    Millis refresh_margin{5 * 60'000};  // refresh this long before expiry
    double refresh_jitter = 0.2;        // ...plus up to this fraction of the margin, at random
    Millis initial_backoff{10'000};     // after the first failed refresh
    Millis max_backoff{5 * 60'000};     // cap of the exponential backoff
    Millis auth_poll_interval{
        60'000};             // store re-check period suggested while authorization is required
    std::uint64_t seed = 0;  // jitter seed; 0 = random
};

// Thread-safe. Uses its TokenClient only while holding the refresh lock, so the client's
// transport must not be shared with other threads.
class TokenManager final : public AccessTokenSource {
  public:
    enum class State {
        kNotAuthorized,  // no token store
        kOk,
        kRetrying,      // refreshes failing transiently; backing off
        kAuthRequired,  // HubSpot refused the refresh token; waiting for `hubsync authorize`
    };

    TokenManager(TokenStore store, TokenClient client, Clock& clock,
                 TokenManagerOptions options = {});

    // A token valid beyond the refresh margin (or, while refreshes fail, one still valid for a
    // short while). Refreshes first when due, at most one refresh at a time; never returns an
    // expired token. kAuthRequired when a person must run `hubsync authorize`.
    Result<std::string> access_token() override;
    // One refresh for a token the API rejected with 401, unless another thread already replaced it.
    Result<std::string> refresh_after_unauthorized(const std::string& rejected) override;

    // When the service scheduler should call refresh_if_due() next.
    Instant next_refresh_at();
    // Refreshes when the schedule (and any backoff) says so; also picks up a new token store.
    // Ok while authorization is required or missing: there is nothing to retry until a person
    // runs `hubsync authorize` (access_token() and state() report that state).
    Status refresh_if_due();
    // Refreshes now, ignoring schedule and backoff (never while authorization is required).
    Status refresh_now();

    State state();
    // Refresh requests sent to HubSpot so far (diagnostics and tests).
    int refresh_attempts() const { return attempts_.load(); }

  private:
    enum class Reason { kDue, kAfterUnauthorized, kForced };

    // What one refresh does, decided under the store lock.
    struct RefreshStep {
        enum Action { kNothing, kSaveUnsaved, kAskHubSpot } action = kNothing;
        StoredTokens tokens;  // what to save, or what to refresh
    };

    // The refresh, in order: the store lock, the step, then one of the three outcomes of
    // asking HubSpot. refresh_mu_ held throughout; each part takes mu_ in short sections.
    Status refresh_locked(Reason reason, const std::string& rejected);
    Result<RefreshStep> next_refresh_step(Reason reason, const std::string& rejected);
    Status save_unsaved(StoredTokens tokens);
    Status request_refresh(StoredTokens current);
    static StoredTokens refreshed(StoredTokens tokens, const TokenResponse& response,
                                  Instant sent_at);
    Status keep_refreshed(StoredTokens next);
    Status require_authorization(StoredTokens next, const Error& error);
    Status record_failure(StoredTokens next, Error error);
    void sync_with_store_locked();
    void adopt_locked(std::optional<StoredTokens> tokens, const FileStamp& stamp);
    std::optional<Error> unavailable_locked() const;
    bool usable_locked(Instant now) const;
    Instant schedule_refresh_locked(const StoredTokens& tokens);
    Millis backoff_locked(int failures);
    // One more failure: the next attempt waits the backoff, which is returned.
    Millis back_off_locked();
    void clear_failures_locked();
    Error backoff_error_locked(Instant now) const;

    TokenStore store_;
    TokenClient client_;
    Clock& clock_;
    TokenManagerOptions options_;
    std::atomic<int> attempts_{0};

    std::mutex refresh_mu_;  // held across one refresh (network call and store write); before mu_
    mutable std::mutex mu_;  // guards everything below
    bool loaded_ = false;
    FileStamp stamp_;
    std::optional<StoredTokens> tokens_;
    std::optional<StoredTokens> unsaved_;  // refreshed but not yet persisted: never handed out
    Instant refresh_at_{};
    Instant next_attempt_at_{};
    int failures_ = 0;
    std::optional<Error> last_error_;
    std::mt19937_64 rng_;
};

}  // namespace hubsync
