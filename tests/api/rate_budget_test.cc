// The shared rate budget: it learns the account's limit from HubSpot's headers (a configured
// cap stays a cap), slows down and then pauses before the daily cap, keeps any number of
// concurrent senders inside the window, and says how many requests are worth having in flight.
#include "api/rate_budget.h"
#include "api/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "support/rate_window.h"

namespace hubsync {
namespace {

HttpResponse with_headers(Headers headers) {
    HttpResponse r;
    r.status = 200;
    r.headers = std::move(headers);
    return r;
}

HttpResponse limits(int max, int remaining, int interval_ms = 10'000) {
    return with_headers(
        {{"X-HubSpot-RateLimit-Max", std::to_string(max)},
         {"X-HubSpot-RateLimit-Remaining", std::to_string(remaining)},
         {"X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(interval_ms)}});
}

// Acquires and answers one general request with `response`.
void answer(RateBudget& budget, const HttpResponse& response) {
    auto ticket = budget.acquire(Bucket::kGeneral, "test");
    ASSERT_TRUE(ticket.ok()) << ticket.error().describe();
    budget.finished(Bucket::kGeneral, ticket->seq, &response, Millis(0));
}

// Sends kept past the window answer sent_since() but never count against the window.
TEST(RollingWindowLimiter, KeepsHistoryForSentSinceWithoutCountingItInTheWindow) {
    const Instant t0 = ManualClock::default_start();
    RollingWindowLimiter limiter(2, Millis(1'000), Millis(5'000));
    limiter.record(t0);
    limiter.record(t0 + Millis(100));
    EXPECT_EQ(limiter.in_window(t0 + Millis(500)), 2);
    EXPECT_EQ(limiter.next_slot(t0 + Millis(500)), t0 + Millis(1'000));
    // Past the window: room again, both still known to sent_since.
    const Instant later = t0 + Millis(1'200);
    EXPECT_EQ(limiter.in_window(later), 0);
    EXPECT_EQ(limiter.next_slot(later), later);
    EXPECT_EQ(limiter.nth_newest_leaves(1, later), later);
    EXPECT_EQ(limiter.sent_since(t0 - Millis(1), later), 2);
    EXPECT_EQ(limiter.sent_since(t0, later), 1);
    limiter.record(later);
    EXPECT_EQ(limiter.in_window(later), 1);
    EXPECT_EQ(limiter.nth_newest_leaves(1, later), later + Millis(1'000));
    EXPECT_EQ(limiter.sent_since(t0 - Millis(1), later), 3);
    // Past window + history they are forgotten.
    EXPECT_EQ(limiter.sent_since(t0 - Millis(1), t0 + Millis(6'150)), 1);
}

// Every query first forgets what has aged out, then counts: a limiter idle for longer than its
// window and history answers as an empty one.
TEST(RollingWindowLimiter, AnswersRightInTheCallThatForgetsOldSends) {
    const Instant t0 = ManualClock::default_start();
    const Instant idle = t0 + Millis(10'000);
    for (int query = 0; query < 3; ++query) {
        RollingWindowLimiter limiter(2, Millis(1'000), Millis(5'000));
        limiter.record(t0);
        limiter.record(t0 + Millis(100));
        if (query == 0) {
            EXPECT_EQ(limiter.next_slot(idle), idle);
        } else if (query == 1) {
            EXPECT_EQ(limiter.in_window(idle), 0);
        } else {
            EXPECT_EQ(limiter.nth_newest_leaves(1, idle), idle);
        }
    }
}

TEST(RateBudget, AutoLearnsTheLimitFromTheHeaders) {
    ManualClock clock;
    RateBudget budget(clock, RateBudgetOptions{});
    EXPECT_EQ(budget.snapshot().limit, 98);  // HubSpot's smallest bucket, less the margin
    answer(budget, limits(190, 189));
    EXPECT_EQ(budget.snapshot().hubspot_max, 190);
    EXPECT_EQ(budget.snapshot().limit, 188);
    answer(budget, limits(110, 100));
    EXPECT_EQ(budget.snapshot().limit, 108);
}

TEST(RateBudget, AConfiguredCapStaysACap) {
    ManualClock clock;
    RateBudgetOptions options;
    options.requests_per_10s = 100;
    RateBudget budget(clock, options);
    EXPECT_EQ(budget.snapshot().limit, 100);  // taken at its word before any header
    answer(budget, limits(250, 249));
    EXPECT_EQ(budget.snapshot().limit, 100);
    answer(budget, limits(50, 40));  // a smaller account than the admin thought
    EXPECT_EQ(budget.snapshot().limit, 48);
}

TEST(RateBudget, TheIntervalHeaderSetsTheWindow) {
    ManualClock clock;
    RateBudget budget(clock, RateBudgetOptions{});
    answer(budget, limits(20, 19, 1'000));
    EXPECT_EQ(budget.snapshot().interval, Millis(1'000));
    EXPECT_EQ(budget.snapshot().limit, 18);
    const Instant start = clock.now();
    std::vector<Instant> times;
    // 17 more fit the first second, then 18 a second (each window 25 ms longer than
    // HubSpot's, for the arrival skew).
    for (int i = 0; i < 53; ++i) {
        auto ticket = budget.acquire(Bucket::kGeneral, "test");
        ASSERT_TRUE(ticket.ok());
        times.push_back(ticket->at);
    }
    EXPECT_EQ(testing::max_in_window(times, Millis(1'000)), 18);
    EXPECT_EQ(clock.now() - start, Millis(2'050));
}

TEST(RateBudget, SlowsDownThenPausesBeforeTheDailyCap) {
    ManualClock clock;
    RateBudget budget(clock, RateBudgetOptions{});
    auto daily = [](int left) {
        HttpResponse r = limits(110, 100);
        r.headers.emplace_back("X-HubSpot-RateLimit-Daily", "1000");
        r.headers.emplace_back("X-HubSpot-RateLimit-Daily-Remaining", std::to_string(left));
        return r;
    };
    answer(budget, daily(500));
    EXPECT_EQ(budget.snapshot().limit, 108);
    EXPECT_FALSE(budget.snapshot().daily_slowdown);
    answer(budget, daily(150));  // under 20% left: half rate
    EXPECT_EQ(budget.snapshot().limit, 54);
    EXPECT_TRUE(budget.snapshot().daily_slowdown);
    answer(budget, daily(40));  // under 5% left: no more requests
    EXPECT_TRUE(budget.snapshot().daily_paused);
    auto refused = budget.acquire(Bucket::kGeneral, "list contacts");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::kRateLimited);
    EXPECT_NE(refused.error().message.find("40 of 1000 left"), std::string::npos)
        << refused.error().message;
    // Search has its own bucket and is not counted against the daily cap.
    EXPECT_TRUE(budget.acquire(Bucket::kSearch, "search").ok());
}

// Association reads (exempt from HubSpot's 10-second bucket) are paced by a window of their own
// the same size: a full 10-second window does not hold them back, nor they it.
TEST(RateBudget, ExemptReadsHaveAWindowOfTheirOwn) {
    ManualClock clock;
    RateBudgetOptions options;
    options.requests_per_10s = 10;
    RateBudget budget(clock, options);
    const Instant start = clock.now();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(budget.acquire(Bucket::kGeneral, "list").ok());
    std::vector<Instant> exempt;
    for (int i = 0; i < 10; ++i) {
        auto ticket = budget.acquire(Bucket::kExempt, "read associations");
        ASSERT_TRUE(ticket.ok());
        EXPECT_EQ(ticket->bucket, Bucket::kExempt);
        EXPECT_EQ(ticket->seq, 0u) << "not a request of the 10-second bucket";
        exempt.push_back(ticket->at);
    }
    EXPECT_EQ(clock.now(), start) << "ten of each fit at once";
    // The eleventh of each waits for its own window.
    auto next = budget.acquire(Bucket::kExempt, "read associations");
    ASSERT_TRUE(next.ok());
    EXPECT_GE(clock.now() - start, Millis(10'000));
    exempt.push_back(next->at);
    EXPECT_EQ(testing::max_in_window(exempt, Millis(10'000)), 10);
}

// When HubSpot answers an exempt read with a 429 after all, exempt reads join the 10-second
// budget (once, said once), and the 429's wait holds that bucket.
TEST(RateBudget, A429OnAnExemptReadMovesExemptReadsIntoTheTenSecondBucket) {
    ManualClock clock;
    RateBudgetOptions options;
    options.requests_per_10s = 10;
    RateBudget budget(clock, options);
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(budget.acquire(Bucket::kGeneral, "list").ok());
    EXPECT_TRUE(budget.quiet_for(Bucket::kExempt, Millis(2'000)));
    EXPECT_FALSE(budget.quiet_for(Bucket::kExempt, Millis(2'000))) << "learned once";
    const Instant before = clock.now();
    auto ticket = budget.acquire(Bucket::kExempt, "read associations");
    ASSERT_TRUE(ticket.ok());
    EXPECT_EQ(ticket->bucket, Bucket::kGeneral);
    EXPECT_GT(ticket->seq, 10u);
    EXPECT_GE(clock.now() - before, Millis(10'000)) << "the 10-second bucket was full";
    // A search's 429 changes nothing of the kind.
    EXPECT_FALSE(budget.quiet_for(Bucket::kSearch, Millis(1'000)));
}

// A response says what was left when its request arrived; the requests sent after it will
// arrive too, so they count against it.
TEST(RateBudget, RemainingCountsTheRequestsStillInFlight) {
    ManualClock clock;
    RateBudgetOptions options;
    options.requests_per_10s = 200;
    RateBudget budget(clock, options);
    std::vector<std::uint64_t> seqs;
    for (int i = 0; i < 5; ++i)
        seqs.push_back(budget.acquire(Bucket::kGeneral, "test")->seq);
    // Someone else used most of the account: 5 left when the first arrived, 4 sent since.
    const HttpResponse first = limits(110, 5);
    budget.finished(Bucket::kGeneral, seqs[0], &first, Millis(300));
    const Instant before = clock.now();
    ASSERT_TRUE(budget.acquire(Bucket::kGeneral, "test").ok());
    EXPECT_GE(clock.now() - before, Millis(1'000)) << "the next request must wait for room";
}

// Alone on the account with many requests in flight: requests sent after the answered one
// that arrived before it are already in its Remaining header. Counting them again read as a
// full window and stalled every reader; when our own requests explain what the account used,
// the limiter alone paces them.
TEST(RateBudget, OwnRequestsArrivingOutOfOrderAddNoWait) {
    ManualClock clock;
    RateBudget budget(clock, RateBudgetOptions{});
    answer(budget, limits(110, 109));  // learns the maximum: 108 a window for us
    std::vector<std::uint64_t> seqs;
    for (int i = 0; i < 99; ++i)
        seqs.push_back(budget.acquire(Bucket::kGeneral, "test")->seq);
    // All 100 arrived before the first of the 99 was answered: 10 left, 98 sent since.
    const HttpResponse first = limits(110, 10);
    budget.finished(Bucket::kGeneral, seqs[0], &first, Millis(800));
    const Instant before = clock.now();
    ASSERT_TRUE(budget.acquire(Bucket::kGeneral, "test").ok());
    EXPECT_EQ(clock.now(), before) << "8 more fit in the window by the limiter's own count";
}

TEST(RateBudget, ConcurrentSendersStayInsideTheWindow) {
    ManualClock clock;
    RateBudgetOptions options;
    options.requests_per_10s = 50;
    RateBudget budget(clock, options);
    std::mutex mu;
    std::vector<Instant> times;
    std::vector<std::thread> senders;
    for (int t = 0; t < 8; ++t) {
        senders.emplace_back([&] {
            for (int i = 0; i < 40; ++i) {
                auto ticket = budget.acquire(Bucket::kGeneral, "test");
                ASSERT_TRUE(ticket.ok());
                {
                    std::lock_guard lock(mu);
                    times.push_back(ticket->at);
                }
                budget.finished(Bucket::kGeneral, ticket->seq, nullptr, Millis(0));
            }
        });
    }
    for (auto& s : senders)
        s.join();
    ASSERT_EQ(times.size(), 320u);
    EXPECT_LE(testing::max_in_window(times, Millis(10'000)), 50);
    EXPECT_EQ(budget.snapshot().in_flight, 0);
}

// HubSpot counts a search when it arrives: a burst let go the moment the client's window frees
// up can land a few milliseconds late, inside HubSpot's second. Spaced evenly, it cannot.
TEST(RateBudget, SearchesGoOutEvenlySpacedAtTheSameRate) {
    ManualClock clock;
    RateBudgetOptions options;
    options.searches_per_second = 4;
    RateBudget budget(clock, options);
    std::mutex mu;
    std::vector<Instant> times;
    std::vector<std::thread> chains;
    for (int t = 0; t < 4; ++t) {
        chains.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                auto ticket = budget.acquire(Bucket::kSearch, "search");
                ASSERT_TRUE(ticket.ok());
                std::lock_guard lock(mu);
                times.push_back(ticket->at);
            }
        });
    }
    for (auto& c : chains)
        c.join();
    ASSERT_EQ(times.size(), 40u);
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i)
        EXPECT_GE(times[i] - times[i - 1], Millis(250)) << "search " << i;
    // 40 searches at 4 per second: the last one 39 spacings after the first, no later.
    EXPECT_EQ(times.back() - times.front(), Millis(39 * 250));
}

TEST(RateBudget, SuggestsRateTimesLatencyInFlight) {
    ManualClock clock;
    RateBudgetOptions options;
    options.max_in_flight = 12;
    RateBudget budget(clock, options);
    answer(budget, limits(110, 109));            // 108 per 10 s
    EXPECT_EQ(budget.suggested_in_flight(), 1);  // no latency measured yet: one at a time
    for (int i = 0; i < 30; ++i) {
        auto ticket = budget.acquire(Bucket::kGeneral, "test");
        ASSERT_TRUE(ticket.ok());
        budget.finished(Bucket::kGeneral, ticket->seq, nullptr, Millis(300));
    }
    EXPECT_EQ(budget.suggested_in_flight(), 5);  // ceil(10.8/s * 0.3 s) + 1
    for (int i = 0; i < 30; ++i) {
        auto ticket = budget.acquire(Bucket::kGeneral, "test");
        ASSERT_TRUE(ticket.ok());
        budget.finished(Bucket::kGeneral, ticket->seq, nullptr, Millis(2'000));
    }
    EXPECT_EQ(budget.suggested_in_flight(), 12);  // the cap
}

}  // namespace
}  // namespace hubsync
