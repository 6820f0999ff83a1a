// The refresh schedule, backoff and authorization-required handling of TokenManager.
#include "oauth/token_manager.h"

#include <algorithm>

#include "core/backoff.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/redact.h"
#include "oauth/authorize_request.h"

namespace hubsync {
namespace {

constexpr Millis kMaxServeFloor{60'000};

std::string when(Instant t) {
    return format_iso8601(t);
}

Millis since(Instant later, Instant earlier) {
    return std::chrono::duration_cast<Millis>(later - earlier);
}

// Masks the tokens in log lines. Each replaces its slot's current value, so the registry keeps
// this generation and the one before it, never every token of a year of refreshes.
void mask_in_logs(const StoredTokens& tokens) {
    set_secret(kAccessTokenSlot, tokens.access_token);
    set_secret(kRefreshTokenSlot, tokens.refresh_token);
}

}  // namespace

TokenManager::TokenManager(TokenStore store, TokenClient client, Clock& clock,
                           TokenManagerOptions options)
    : store_(std::move(store)), client_(std::move(client)), clock_(clock), options_(options) {
    std::uint64_t seed = options_.seed;
    if (seed == 0) {
        const std::string r = random_urlsafe(8);
        for (const char c : r)
            seed = seed * 131 + static_cast<unsigned char>(c);
    }
    rng_.seed(seed);
}

// --- state kept in memory, always under mu_ ---------------------------------------------------

void TokenManager::sync_with_store_locked() {
    const FileStamp stamp = store_.stamp();
    if (loaded_ && stamp == stamp_) return;
    if (!stamp.exists) {
        adopt_locked(std::nullopt, stamp);
        return;
    }
    auto loaded = store_.load();
    if (!loaded.ok()) {
        // Keep what we have; remember the stamp so a broken file is reported once, not per call.
        HS_LOG_ERROR("{}", loaded.error().describe());
        stamp_ = stamp;
        loaded_ = true;
        return;
    }
    adopt_locked(std::move(loaded).value(), stamp);
}

void TokenManager::adopt_locked(std::optional<StoredTokens> tokens, const FileStamp& stamp) {
    const bool was_ok = tokens_ && tokens_->state == StoredTokens::State::kOk;
    const bool first = !loaded_;
    loaded_ = true;
    stamp_ = stamp;
    if (!tokens) {
        if (tokens_) HS_LOG_WARN("the stored authorization was removed ({})", store_.path());
        tokens_.reset();
        unsaved_.reset();
        return;
    }
    const bool same_token = tokens_ && tokens_->access_token == tokens->access_token &&
                            tokens_->refresh_token == tokens->refresh_token &&
                            tokens_->state == tokens->state;
    const bool ok = tokens->state == StoredTokens::State::kOk;
    mask_in_logs(*tokens);
    tokens_ = std::move(tokens);
    unsaved_.reset();
    if (same_token) return;
    // New tokens (ours from another process, or a new authorization): fresh schedule, no backoff.
    failures_ = 0;
    next_attempt_at_ = Instant{};
    last_error_.reset();
    refresh_at_ = schedule_refresh_locked(*tokens_);
    if (ok && !was_ok && !first)
        HS_LOG_NOTICE("found a new authorization (hub {}); token refresh resumes", tokens_->hub_id);
}

std::optional<Error> TokenManager::unavailable_locked() const {
    if (!tokens_)
        return make_error(ErrorKind::kAuthRequired,
                          "hubsync is not authorized: no tokens in " + store_.path(),
                          "run `hubsync authorize`");
    if (tokens_->state == StoredTokens::State::kAuthRequired)
        return make_error(
            ErrorKind::kAuthRequired, "authorization required: " + tokens_->auth_required_reason,
            "run `hubsync authorize`; a running service resumes by itself afterwards");
    return std::nullopt;
}

// A token handed out must outlive the request it is used for.
bool TokenManager::usable_locked(Instant now) const {
    if (!tokens_ || tokens_->access_token.empty()) return false;
    Millis floor = std::min(options_.refresh_margin, kMaxServeFloor);
    if (tokens_->obtained_at != Instant{})
        floor = std::min(floor, since(tokens_->access_expires_at, tokens_->obtained_at) / 4);
    return tokens_->access_expires_at - now > floor;
}

Instant TokenManager::schedule_refresh_locked(const StoredTokens& tokens) {
    const auto margin = options_.refresh_margin;
    const auto jitter_span = static_cast<std::int64_t>(
        static_cast<double>(margin.count()) * std::clamp(options_.refresh_jitter, 0.0, 1.0));
    const Millis jitter{jitter_span > 0 ? static_cast<std::int64_t>(
                                              rng_() % static_cast<std::uint64_t>(jitter_span + 1))
                                        : 0};
    Instant at = tokens.access_expires_at - margin - jitter;
    // Short-lived tokens (shorter than twice the margin) refresh at half their life, not
    // immediately and forever.
    if (tokens.obtained_at != Instant{}) {
        const Instant half =
            tokens.obtained_at + (tokens.access_expires_at - tokens.obtained_at) / 2;
        at = std::max(at, half);
    }
    return at;
}

Millis TokenManager::backoff_locked(int failures) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return equal_jitter(
        exponential_backoff(failures, options_.initial_backoff, options_.max_backoff), unit(rng_));
}

Error TokenManager::backoff_error_locked(Instant now) const {
    std::string message = "no valid access token: refreshing it failed";
    if (last_error_) message += " (" + last_error_->message + ")";
    if (tokens_)
        message += "; the access token is valid only until " + when(tokens_->access_expires_at);
    // A bad client secret or an untrusted certificate keeps its kind (and exit code).
    const ErrorKind kind = last_error_ ? last_error_->kind : ErrorKind::kTransient;
    const auto wait = std::chrono::duration_cast<Seconds>(since(next_attempt_at_, now));
    std::string hint = last_error_ && !last_error_->hint.empty()
                           ? last_error_->hint
                           : std::string("check network access to HubSpot");
    hint += "; next refresh attempt in " + format_duration(std::max<Millis>(Millis{1000}, wait));
    return make_error(kind, message, hint);
}

// --- public interface --------------------------------------------------------------------------

Result<std::string> TokenManager::access_token() {
    bool serve_while_refreshing = false;
    {
        std::lock_guard lock(mu_);
        sync_with_store_locked();
        if (auto e = unavailable_locked()) return *e;
        const Instant now = clock_.now();
        const bool usable = usable_locked(now);
        if (!unsaved_ && now < refresh_at_ && usable) return tokens_->access_token;
        if (now < next_attempt_at_) {
            if (usable) return tokens_->access_token;
            return backoff_error_locked(now);
        }
        serve_while_refreshing = usable;
    }
    std::unique_lock refresh_lock(refresh_mu_, std::defer_lock);
    if (serve_while_refreshing) {
        // Someone else is refreshing and the current token is still good: do not wait.
        if (!refresh_lock.try_lock()) {
            std::lock_guard lock(mu_);
            if (usable_locked(clock_.now()) && !unavailable_locked()) return tokens_->access_token;
            refresh_lock.lock();
        }
    } else {
        refresh_lock.lock();
    }
    const Status refreshed = refresh_locked(Reason::kDue, {});
    std::lock_guard lock(mu_);
    if (auto e = unavailable_locked()) return *e;
    const Instant now = clock_.now();
    if (!unsaved_ && usable_locked(now)) return tokens_->access_token;
    if (!refreshed.ok()) return refreshed.error();
    return backoff_error_locked(now);
}

Result<std::string> TokenManager::refresh_after_unauthorized(const std::string& rejected) {
    {
        std::lock_guard lock(mu_);
        sync_with_store_locked();
        if (auto e = unavailable_locked()) return *e;
        if (tokens_->access_token != rejected && !unsaved_ && usable_locked(clock_.now()))
            return tokens_->access_token;
    }
    std::lock_guard refresh_lock(refresh_mu_);
    const Status refreshed = refresh_locked(Reason::kAfterUnauthorized, rejected);
    std::lock_guard lock(mu_);
    if (auto e = unavailable_locked()) return *e;
    if (tokens_->access_token != rejected && !unsaved_ && usable_locked(clock_.now()))
        return tokens_->access_token;
    if (!refreshed.ok()) return refreshed.error();
    return make_error(
        ErrorKind::kUnauthorized,
        "HubSpot rejected the access token and no new one could be obtained",
        "check the app's installation in HubSpot; `hubsync authorize` if this persists");
}

Instant TokenManager::next_refresh_at() {
    std::lock_guard lock(mu_);
    sync_with_store_locked();
    const Instant now = clock_.now();
    if (unavailable_locked()) return now + options_.auth_poll_interval;
    if (unsaved_) return std::max(now, next_attempt_at_);
    return std::max(refresh_at_, next_attempt_at_);
}

Status TokenManager::refresh_if_due() {
    {
        std::lock_guard lock(mu_);
        sync_with_store_locked();
        // Waiting for a person: access_token() and state() report it; the scheduler has
        // nothing to retry (and must not log a failure every poll).
        if (unavailable_locked()) return Status::Ok();
        const Instant now = clock_.now();
        if (now < next_attempt_at_) return Status::Ok();
        if (!unsaved_ && now < refresh_at_) return Status::Ok();
    }
    std::lock_guard refresh_lock(refresh_mu_);
    return refresh_locked(Reason::kDue, {});
}

Status TokenManager::refresh_now() {
    std::lock_guard refresh_lock(refresh_mu_);
    return refresh_locked(Reason::kForced, {});
}

TokenManager::State TokenManager::state() {
    std::lock_guard lock(mu_);
    sync_with_store_locked();
    if (!tokens_) return State::kNotAuthorized;
    if (tokens_->state == StoredTokens::State::kAuthRequired) return State::kAuthRequired;
    if (failures_ > 0 || unsaved_) return State::kRetrying;
    return State::kOk;
}

// --- the refresh itself: refresh_mu_ held, mu_ taken in short sections -------------------------

Status TokenManager::refresh_locked(Reason reason, const std::string& rejected) {
    // The store lock makes this process the only refresher across all hubsync processes; a
    // rotated refresh token used twice would be refused as invalid_grant.
    HS_ASSIGN_OR_RETURN(StoreLock store_lock, StoreLock::acquire(store_));
    HS_ASSIGN_OR_RETURN(RefreshStep step, next_refresh_step(reason, rejected));
    switch (step.action) {
        case RefreshStep::kNothing:
            return Status::Ok();
        case RefreshStep::kSaveUnsaved:
            return save_unsaved(std::move(step.tokens));
        case RefreshStep::kAskHubSpot:
            return request_refresh(std::move(step.tokens));
    }
    return Status::Ok();
}

// Decided under the store lock: another process may have refreshed, or a person authorized
// again, while this one waited for it.
Result<TokenManager::RefreshStep> TokenManager::next_refresh_step(Reason reason,
                                                                  const std::string& rejected) {
    std::lock_guard lock(mu_);
    sync_with_store_locked();
    if (auto e = unavailable_locked()) return *e;
    // A refresh already succeeded but its tokens are not on disk yet: write before use.
    if (unsaved_) return RefreshStep{RefreshStep::kSaveUnsaved, *unsaved_};
    const Instant now = clock_.now();
    const bool usable = usable_locked(now);
    if (reason == Reason::kDue && now < refresh_at_ && usable) return RefreshStep{};
    if (reason == Reason::kAfterUnauthorized && tokens_->access_token != rejected && usable)
        return RefreshStep{};
    if (reason != Reason::kForced && now < next_attempt_at_) return backoff_error_locked(now);
    return RefreshStep{RefreshStep::kAskHubSpot, *tokens_};
}

Status TokenManager::save_unsaved(StoredTokens tokens) {
    const Status saved = store_.save(tokens);
    std::lock_guard lock(mu_);
    if (!saved.ok()) {
        back_off_locked();
        HS_LOG_ERROR("still cannot save the refreshed tokens: {}", saved.error().describe());
        return saved;
    }
    clear_failures_locked();
    adopt_locked(std::move(tokens), store_.stamp());
    return Status::Ok();
}

Status TokenManager::request_refresh(StoredTokens current) {
    ++attempts_;
    const Instant sent_at = clock_.now();
    auto response = client_.refresh(current.refresh_token);
    if (response.ok()) return keep_refreshed(refreshed(std::move(current), *response, sent_at));
    Error error = std::move(response).error();
    if (error.kind == ErrorKind::kAuthRequired)
        return require_authorization(std::move(current), error);
    return record_failure(std::move(current), std::move(error));
}

StoredTokens TokenManager::refreshed(StoredTokens tokens, const TokenResponse& response,
                                     Instant sent_at) {
    tokens.access_token = response.access_token;
    // HubSpot may or may not rotate: keep whatever comes back, else the one we have.
    if (!response.refresh_token.empty()) tokens.refresh_token = response.refresh_token;
    // Counted from before the request, so the expiry we believe is never later than HubSpot's.
    tokens.obtained_at = sent_at;
    tokens.access_expires_at = sent_at + response.expires_in;
    if (response.hub_id != 0) tokens.hub_id = response.hub_id;
    if (!response.scopes.empty()) tokens.scopes = response.scopes;
    tokens.state = StoredTokens::State::kOk;
    tokens.last_refresh_error.clear();
    tokens.last_refresh_error_at = Instant{};
    tokens.refresh_failures = 0;
    return tokens;
}

// A rotated refresh token is on disk before the new access token is handed to anyone: a
// crash must not leave the only valid refresh token in memory.
Status TokenManager::keep_refreshed(StoredTokens next) {
    mask_in_logs(next);
    const Status saved = store_.save(next);
    std::lock_guard lock(mu_);
    if (!saved.ok()) {
        unsaved_ = std::move(next);
        back_off_locked();
        HS_LOG_ERROR(
            "refreshed the access token but could not save it, so it stays unused until it is "
            "saved: {}",
            saved.error().describe());
        return saved;
    }
    clear_failures_locked();
    adopt_locked(std::move(next), store_.stamp());
    HS_LOG_INFO("access token refreshed; valid until {}, next refresh at {}",
                when(tokens_->access_expires_at), when(refresh_at_));
    return Status::Ok();
}

Status TokenManager::require_authorization(StoredTokens next, const Error& error) {
    next.state = StoredTokens::State::kAuthRequired;
    next.auth_required_reason = error.message;
    next.auth_required_since = clock_.now();
    const Status saved = store_.save(next);
    std::lock_guard lock(mu_);
    if (!saved.ok())
        HS_LOG_WARN("could not record the authorization state: {}", saved.error().describe());
    adopt_locked(std::move(next), saved.ok() ? store_.stamp() : stamp_);
    HS_LOG_ERROR("authorization required: {}; run `hubsync authorize` (sync is paused until then)",
                 error.message);
    return *unavailable_locked();
}

Status TokenManager::record_failure(StoredTokens next, Error error) {
    const Instant now = clock_.now();
    Millis delay{0};
    int failures = 0;
    {
        std::lock_guard lock(mu_);
        delay = back_off_locked();
        failures = failures_;
        last_error_ = error;
    }
    next.refresh_failures = failures;
    next.last_refresh_error = error.describe();
    next.last_refresh_error_at = now;
    // Recorded for `hubsync status` in other processes; best effort.
    const Status saved = store_.save(next);
    {
        std::lock_guard lock(mu_);
        if (saved.ok()) adopt_locked(std::move(next), store_.stamp());
    }
    HS_LOG_WARN("token refresh failed (attempt {}): {}; next attempt in {}", failures,
                error.describe(),
                format_duration(std::max<Millis>(
                    Millis{1000}, std::chrono::duration_cast<std::chrono::seconds>(delay))));
    return error;
}

Millis TokenManager::back_off_locked() {
    const Millis delay = backoff_locked(++failures_);
    next_attempt_at_ = clock_.now() + delay;
    return delay;
}

void TokenManager::clear_failures_locked() {
    failures_ = 0;
    next_attempt_at_ = Instant{};
    last_error_.reset();
}

}  // namespace hubsync
