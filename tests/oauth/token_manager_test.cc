// TokenManager under virtual time: refresh schedule, outages, rotation, invalid_grant and
// recovery, concurrency, and two processes sharing one token store.
#include "oauth/token_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "core/fault_env.h"
#include "core/redact.h"
#include "fake_hubspot.h"
#include "test_util.h"

namespace hubsync {
namespace {

using namespace std::chrono_literals;
using testing::FakeHubSpot;
using testing::kClientId;
using testing::kClientSecret;
using testing::kTokenUrl;
using testing::LogCapture;
using testing::TempDir;

HttpResponse status_response(int status, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

class TokenManagerTest : public ::testing::Test {
  protected:
    void SetUp() override { authorize(); }

    // What `hubsync authorize` leaves behind: a fresh token set in the store.
    void authorize() {
        const std::string refresh = hub.issue_refresh_token();
        TokenClient client(hub, endpoint());
        auto tokens = client.refresh(refresh);
        ASSERT_TRUE(tokens.ok());
        StoredTokens t;
        t.access_token = tokens->access_token;
        t.refresh_token = tokens->refresh_token;
        t.obtained_at = clock.now();
        t.access_expires_at = clock.now() + tokens->expires_in;
        t.hub_id = 4242;
        t.authorized_at = clock.now();
        TokenStore store(dir.path());
        auto lock = StoreLock::acquire(store);
        ASSERT_TRUE(lock.ok());
        ASSERT_TRUE(store.save(t).ok());
        hub.refresh_times.clear();
    }

    TokenEndpoint endpoint() const { return {kTokenUrl, kClientId, kClientSecret}; }

    std::unique_ptr<TokenManager> make_manager(std::uint64_t seed = 7) {
        TokenManagerOptions options;
        options.seed = seed;
        return std::make_unique<TokenManager>(TokenStore(dir.path()), TokenClient(hub, endpoint()),
                                              clock, options);
    }

    std::optional<StoredTokens> on_disk() {
        auto loaded = TokenStore(dir.path()).load();
        EXPECT_TRUE(loaded.ok());
        return loaded.ok() ? *loaded : std::nullopt;
    }

    // One API request the way the sync engine makes it, with the 401 protocol.
    void api_request(TokenManager& tm) {
        auto token = tm.access_token();
        ASSERT_TRUE(token.ok()) << token.error().describe();
        ASSERT_TRUE(hub.api_call(*token)) << "API request sent with an invalid or expired token at "
                                          << format_iso8601(clock.now());
    }

    TempDir dir;
    ManualClock clock;
    FakeHubSpot hub{clock};
};

TEST_F(TokenManagerTest, TwentyFourHoursOfThirtyMinuteTokensWithTheServiceScheduler) {
    auto tm = make_manager();
    const Instant end = clock.now() + 24h;
    while (clock.now() < end) {
        if (clock.now() >= tm->next_refresh_at()) {
            ASSERT_TRUE(tm->refresh_if_due().ok());
        }
        api_request(*tm);
        clock.advance(30s);
    }
    EXPECT_EQ(hub.unauthorized, 0);
    // Every refresh between 6 and 5 minutes before expiry (margin 5m + up to 20% jitter):
    // consecutive refreshes 24..25 minutes apart (plus the 30 s tick).
    ASSERT_GE(hub.refresh_times.size(), 24u * 60 / 26);
    ASSERT_LE(hub.refresh_times.size(), 24u * 60 / 24 + 1);
    for (std::size_t i = 1; i < hub.refresh_times.size(); ++i) {
        const auto gap = hub.refresh_times[i] - hub.refresh_times[i - 1];
        EXPECT_GE(gap, 24min) << "refresh " << i;
        EXPECT_LE(gap, 25min + 30s) << "refresh " << i;
    }
    EXPECT_EQ(tm->state(), TokenManager::State::kOk);
}

TEST_F(TokenManagerTest, TwentyFourHoursOfApiCallsAloneNeverUseAnExpiredToken) {
    // `hubsync sync` on a long backfill: no scheduler, only access_token() before each request.
    auto tm = make_manager();
    const Instant end = clock.now() + 24h;
    while (clock.now() < end) {
        api_request(*tm);
        clock.advance(47s);
    }
    EXPECT_EQ(hub.unauthorized, 0);
    EXPECT_GE(hub.refresh_times.size(), 24u * 60 / 26);
    EXPECT_LE(hub.refresh_times.size(), 24u * 60 / 24 + 1);
}

TEST_F(TokenManagerTest, TokenEndpointDownTwentyMinutesAcrossAnExpiryRecovers) {
    auto tm = make_manager();
    // The outage starts before the first refresh is due and outlasts the token's expiry.
    const Instant outage_start = clock.now() + 20min;
    const Instant outage_end = outage_start + 20min;
    const Instant expiry = on_disk()->access_expires_at;
    ASSERT_LT(outage_start, expiry - 6min);
    ASSERT_GT(outage_end, expiry);
    int attempts_during_outage = 0;
    hub.set_fault([&](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
        if (clock.now() < outage_start || clock.now() >= outage_end) return std::nullopt;
        if (r.url != kTokenUrl) return std::nullopt;
        if (++attempts_during_outage % 2)
            return Result<HttpResponse>(make_error(ErrorKind::kTransient, "connection refused"));
        return Result<HttpResponse>(status_response(503, "<html>Service Unavailable</html>"));
    });
    int refused_while_down = 0;
    bool saw_retrying_on_disk = false;
    const Instant end = outage_end + 1h;
    while (clock.now() < end) {
        if (clock.now() >= tm->next_refresh_at()) (void)tm->refresh_if_due();
        auto token = tm->access_token();
        if (token.ok()) {
            ASSERT_TRUE(hub.api_call(*token)) << format_iso8601(clock.now());
        } else {
            // Only once the old token is (nearly) expired, and never "authorization required".
            EXPECT_TRUE(token.error().retryable()) << token.error().describe();
            EXPECT_GT(clock.now(), expiry - 2min);
            EXPECT_LT(clock.now(), outage_end + 5min + 1s);
            ++refused_while_down;
        }
        if (clock.now() > outage_start && clock.now() < outage_end)
            saw_retrying_on_disk |= on_disk()->refresh_failures > 0;
        clock.advance(10s);
    }
    EXPECT_EQ(hub.unauthorized, 0);
    EXPECT_GT(refused_while_down, 0);
    EXPECT_TRUE(saw_retrying_on_disk) << "`hubsync status` must see the failing refreshes";
    // Exponential backoff capped at 5 minutes: a handful of attempts, never a storm.
    EXPECT_GE(attempts_during_outage, 4);
    EXPECT_LE(attempts_during_outage, 12);
    // Recovered without a new authorization, and within the backoff cap after the outage.
    ASSERT_FALSE(hub.refresh_times.empty());
    bool recovered = false;
    for (const auto t : hub.refresh_times)
        recovered |= t >= outage_end && t <= outage_end + 5min;
    EXPECT_TRUE(recovered);
    EXPECT_EQ(tm->state(), TokenManager::State::kOk);
    EXPECT_EQ(on_disk()->refresh_failures, 0);
    EXPECT_TRUE(on_disk()->last_refresh_error.empty());
}

TEST_F(TokenManagerTest, RotatedRefreshTokenIsOnDiskBeforeTheNewAccessTokenIsUsed) {
    hub.rotate = true;
    auto tm = make_manager();
    for (int i = 0; i < 6; ++i) {
        clock.advance(26min);
        auto token = tm->access_token();
        ASSERT_TRUE(token.ok()) << token.error().describe();
        // The access token just handed out is the newest, and its refresh token is already saved.
        EXPECT_EQ(*token, hub.last_issued_access);
        EXPECT_EQ(on_disk()->refresh_token, hub.last_issued_refresh);
        EXPECT_EQ(on_disk()->access_token, *token);
        ASSERT_TRUE(hub.api_call(*token));
    }
}

TEST_F(TokenManagerTest, ANewTokenIsNeverUsedWhileItCannotBeSaved) {
    hub.rotate = true;
    FaultEnv disk;
    disk.inject(FileOp::kCreate, EIO, "tokens.json.tmp");
    TokenManagerOptions options;
    options.seed = 3;
    TokenManager tm(TokenStore(dir.path(), disk), TokenClient(hub, endpoint()), clock, options);
    const std::string before = *tm.access_token();
    clock.advance(29min);  // the old token has one minute left: too little to hand out

    auto token = tm.access_token();
    ASSERT_EQ(hub.refresh_times.size(), 1u);  // HubSpot rotated: the old refresh token is dead
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().kind, ErrorKind::kIo);
    EXPECT_EQ(on_disk()->access_token, before);
    EXPECT_EQ(tm.state(), TokenManager::State::kRetrying);
    // A process killed now has never used the new access token (nor could a crash after the
    // response have leaked it): the store still describes the last token actually used.
    EXPECT_NE(hub.last_issued_access, before);
    for (int i = 0; i < 3; ++i) {
        clock.advance(5s);
        auto again = tm.access_token();
        if (again.ok()) {
            EXPECT_NE(*again, hub.last_issued_access);
        }
    }
    EXPECT_EQ(hub.refresh_times.size(), 1u) << "must not refresh again with a rotated-away token";
}

TEST_F(TokenManagerTest, SavedTokensSurviveARestartWithRotation) {
    hub.rotate = true;
    {
        auto tm = make_manager();
        clock.advance(26min);
        ASSERT_TRUE(tm->access_token().ok());
    }  // the process ends right after the refresh
    auto restarted = make_manager(99);
    for (int i = 0; i < 4; ++i) {
        clock.advance(26min);
        api_request(*restarted);
    }
    EXPECT_EQ(restarted->state(), TokenManager::State::kOk);
}

TEST_F(TokenManagerTest, InvalidGrantParksUntilANewAuthorizationThenResumes) {
    LogCapture logs;
    auto tm = make_manager();
    hub.revoke_all_refresh_tokens();  // e.g. the app was uninstalled
    clock.advance(26min);
    auto token = tm->access_token();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(token.error().describe().find("hubsync authorize"), std::string::npos);
    EXPECT_EQ(token.error().exit_code(), 77);
    EXPECT_EQ(on_disk()->state, StoredTokens::State::kAuthRequired);

    // Six hours of a running service and syncs: no further refresh attempt, one error line.
    for (int i = 0; i < 6 * 60; ++i) {
        clock.advance(1min);
        if (clock.now() >= tm->next_refresh_at()) {
            EXPECT_TRUE(tm->refresh_if_due().ok());
        }
        EXPECT_EQ(tm->access_token().error().kind, ErrorKind::kAuthRequired);
    }
    EXPECT_EQ(tm->refresh_attempts(), 1);
    EXPECT_EQ(hub.count("refresh_token"), 1 + 1);  // the seed authorization's own + one attempt
    EXPECT_EQ(logs.count_containing("run `hubsync authorize`"), 1) << logs.all();
    EXPECT_EQ(tm->state(), TokenManager::State::kAuthRequired);

    // `hubsync authorize` in another process writes a new store; no restart needed.
    authorize();
    api_request(*tm);
    EXPECT_EQ(tm->state(), TokenManager::State::kOk);
    EXPECT_EQ(logs.count_containing("found a new authorization"), 1);
    for (int i = 0; i < 4; ++i) {
        clock.advance(26min);
        api_request(*tm);
    }
    EXPECT_EQ(hub.unauthorized, 0);
}

TEST_F(TokenManagerTest, NotAuthorizedUntilAStoreAppears) {
    TempDir empty;
    TokenManager tm(TokenStore(empty.path()), TokenClient(hub, endpoint()), clock, {});
    auto token = tm.access_token();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(token.error().describe().find("hubsync authorize"), std::string::npos);
    EXPECT_EQ(tm.state(), TokenManager::State::kNotAuthorized);
    EXPECT_EQ(hub.refresh_times.size(), 0u);
}

TEST_F(TokenManagerTest, UnauthorizedRefreshesOnceUnlessAlreadyReplaced) {
    auto tm = make_manager();
    const std::string first = *tm->access_token();
    auto second = tm->refresh_after_unauthorized(first);
    ASSERT_TRUE(second.ok());
    EXPECT_NE(*second, first);
    EXPECT_EQ(tm->refresh_attempts(), 1);
    // Another thread's request with the old token also got a 401: no second refresh.
    auto third = tm->refresh_after_unauthorized(first);
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(*third, *second);
    EXPECT_EQ(tm->refresh_attempts(), 1);
    EXPECT_EQ(*tm->access_token(), *second);
}

TEST_F(TokenManagerTest, OnlyOneRefreshInFlight) {
    auto tm = make_manager();
    std::atomic<int> in_flight{0}, max_in_flight{0};
    hub.set_fault([&](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        const int now = ++in_flight;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        for (int i = 0; i < 1000; ++i)
            std::this_thread::yield();  // widen the window
        --in_flight;
        return std::nullopt;
    });
    clock.advance(31min);  // expired: every thread needs the refresh
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            auto token = tm->access_token();
            if (token.ok() && hub.api_call(*token)) ++ok;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(tm->refresh_attempts(), 1);
    EXPECT_EQ(max_in_flight.load(), 1);
}

TEST_F(TokenManagerTest, TwoProcessesSharingTheStoreNeverBurnARotatedToken) {
    hub.rotate = true;
    auto service = make_manager(1);
    auto cli_sync = make_manager(2);  // `hubsync sync` while the service runs
    const Instant end = clock.now() + 12h;
    int i = 0;
    while (clock.now() < end) {
        api_request(++i % 3 ? *service : *cli_sync);
        clock.advance(50s);
    }
    EXPECT_EQ(service->state(), TokenManager::State::kOk);
    EXPECT_EQ(cli_sync->state(), TokenManager::State::kOk);
    EXPECT_EQ(hub.unauthorized, 0);
    // They adopt each other's refreshes instead of both refreshing.
    EXPECT_LE(hub.refresh_times.size(), 12u * 60 / 24 + 1);
}

TEST_F(TokenManagerTest, ShortLivedTokensRefreshAtHalfLifeNotOnEveryCall) {
    hub.ttl = 120s;  // shorter than twice the 5-minute margin
    auto tm = make_manager();
    clock.advance(31min);  // the seeded 30-minute token has expired
    for (int i = 0; i < 60; ++i) {
        api_request(*tm);
        clock.advance(10s);
    }
    EXPECT_EQ(hub.unauthorized, 0);
    EXPECT_LE(tm->refresh_attempts(), 11);  // 10 minutes / 60 s half-life, +1
    EXPECT_GE(tm->refresh_attempts(), 9);
}

TEST_F(TokenManagerTest, NoSecretInAnyLogLine) {
    LogCapture logs;
    hub.rotate = true;
    auto tm = make_manager();
    clock.advance(26min);
    api_request(*tm);
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(status_response(
            400,
            R"({"error":"invalid_request","message":"bad client_secret=client-secret-SECRET-5678"})"));
    });
    clock.advance(26min);
    (void)tm->access_token();
    hub.set_fault(nullptr);
    hub.revoke_all_refresh_tokens();
    clock.advance(10min);
    (void)tm->access_token();
    ASSERT_FALSE(logs.lines().empty());
    const std::string all = logs.all();
    EXPECT_EQ(all.find(kClientSecret), std::string::npos) << all;
    for (const auto& secret : hub.issued)
        EXPECT_EQ(all.find(secret), std::string::npos) << secret;
}

// A year of service: 17,520 refreshes (one every 30 minutes), every token rotated, and a log
// line after each refresh that would print both tokens without redaction. The literals each
// line is searched for stay the same in number on day 365 as on day 2: the registry keeps
// the current and the previous generation of each token, not all 35,000 of them.
TEST_F(TokenManagerTest, AYearOfRefreshesKeepsTheRedactionRegistryAndTheCostPerLineFlat) {
    constexpr int kRefreshes = 365 * 48;
    hub.rotate = true;
    hub.ttl = 35min;  // with the 5-minute margin and no jitter: a refresh every 30 minutes
    authorize();
    clear_secrets();
    TokenManagerOptions options;
    options.seed = 7;
    options.refresh_jitter = 0;
    // What is written matters here, not whether it reaches the platter: 35,000 fsyncs would
    // take minutes.
    FaultEnv disk;
    disk.skip_syncs(true);
    TokenManager tm(TokenStore(dir.path(), disk), TokenClient(hub, endpoint()), clock, options);

    struct Cost {
        std::size_t secrets = 0;
        std::uint64_t searches = 0;  // literal searches for one line
        std::uint64_t bytes = 0;     // bytes searched for one line
    };
    std::string line;
    set_log_sink([&](LogLevel, std::string_view l) { line = l; });
    const auto log_with_tokens = [&](const std::string& access, const std::string& refresh) {
        const RedactionStats before = redaction_stats();
        HS_LOG_INFO("request sent with {} after refreshing with {}", access, refresh);
        const RedactionStats after = redaction_stats();
        return Cost{after.secrets, after.literal_searches - before.literal_searches,
                    after.bytes_searched - before.bytes_searched};
    };

    const Instant start = clock.now();
    Cost day_two, day_365;
    std::vector<std::string> access_tokens, refresh_tokens;
    for (int i = 1; i <= kRefreshes; ++i) {
        clock.set(tm.next_refresh_at());
        ASSERT_TRUE(tm.refresh_if_due().ok()) << "refresh " << i;
        auto access = tm.access_token();
        ASSERT_TRUE(access.ok());
        access_tokens.push_back(*access);
        refresh_tokens.push_back(hub.last_issued_refresh);
        const Cost cost = log_with_tokens(access_tokens.back(), refresh_tokens.back());
        ASSERT_EQ(line.find(access_tokens.back()), std::string::npos) << line;
        ASSERT_EQ(line.find(refresh_tokens.back()), std::string::npos) << line;
        if (i == 100) day_two = cost;
        if (i == kRefreshes) day_365 = cost;
    }
    set_log_sink(nullptr);

    ASSERT_EQ(hub.refresh_times.size(), static_cast<std::size_t>(kRefreshes));
    EXPECT_EQ(hub.refresh_times.back() - start, std::chrono::hours(24 * 365));
    // The client secret and two generations of each token.
    EXPECT_EQ(day_two.secrets, 5u);
    EXPECT_EQ(day_365.secrets, day_two.secrets);
    EXPECT_EQ(day_365.searches, day_two.searches);
    // Only the counters inside the tokens grew by a few digits.
    EXPECT_LE(day_365.bytes, day_two.bytes * 11 / 10);

    // The current and the previous tokens are still masked; the ones before were let go.
    const auto n = access_tokens.size();
    for (const auto* tokens : {&access_tokens, &refresh_tokens}) {
        EXPECT_EQ(redact((*tokens)[n - 1]), kRedacted);
        EXPECT_EQ(redact((*tokens)[n - 2]), kRedacted);
        EXPECT_EQ(redact((*tokens)[n - 3]), (*tokens)[n - 3]);
    }
}

}  // namespace
}  // namespace hubsync
