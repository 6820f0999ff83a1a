// Durations, ISO-8601 and the virtual clock.
#include <gtest/gtest.h>

#include <thread>

#include "core/clock.h"
#include "core/duration.h"

namespace hubsync {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesUnitsAndSums) {
    EXPECT_EQ(parse_duration("90s"), milliseconds(90'000));
    EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
    EXPECT_EQ(parse_duration("24h"), milliseconds(86'400'000));
    EXPECT_EQ(parse_duration("2d"), milliseconds(172'800'000));
    EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
    EXPECT_EQ(parse_duration(" 1h30m "), milliseconds(5'400'000));
}

TEST(Duration, RefusesNonsense) {
    for (const char* bad : {"", "5", "m", "5x", "-5m", "5 m", "1.5h", "99999999999999999999d"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

TEST(Duration, FormatsShortest) {
    EXPECT_EQ(format_duration(milliseconds(300'000)), "5m");
    EXPECT_EQ(format_duration(milliseconds(90'000)), "90s");
    EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
}

TEST(Iso8601, RoundTripsHubSpotTimestamps) {
    Instant t;
    ASSERT_TRUE(parse_iso8601("2024-09-11T13:27:39.356Z", t));
    EXPECT_EQ(to_epoch_ms(t), 1726061259356LL);
    EXPECT_EQ(format_iso8601(t), "2024-09-11T13:27:39.356Z");
    ASSERT_TRUE(parse_iso8601("2024-09-11", t));
    EXPECT_EQ(format_iso8601(t), "2024-09-11T00:00:00.000Z");
    ASSERT_TRUE(parse_iso8601("2024-09-11T15:27:39+02:00", t));
    EXPECT_EQ(format_iso8601(t), "2024-09-11T13:27:39.000Z");
    for (const char* bad :
         {"", "N/A", "2024-13-01", "2024-02-30", "2024-09-11T25:00:00Z", "1726061259356"})
        EXPECT_FALSE(parse_iso8601(bad, t)) << bad;
}

TEST(ManualClock, SleepAdvancesVirtualTimeInstantly) {
    ManualClock clock;
    const Instant start = clock.now();
    const auto real_start = std::chrono::steady_clock::now();
    EXPECT_TRUE(clock.sleep_for(std::chrono::hours(24)));
    EXPECT_EQ(clock.now() - start, std::chrono::hours(24));
    EXPECT_EQ(clock.slept(), std::chrono::hours(24));
    EXPECT_LT(std::chrono::steady_clock::now() - real_start, std::chrono::seconds(1));
}

TEST(ManualClock, StopRequestEndsSleepWithoutAdvancing) {
    ManualClock clock;
    StopSource stop;
    stop.request_stop();
    const Instant start = clock.now();
    EXPECT_FALSE(clock.sleep_for(std::chrono::minutes(5), &stop));
    EXPECT_EQ(clock.now(), start);
}

TEST(SystemClock, StopWakesARealSleeper) {
    StopSource stop;
    std::thread waker([&] { stop.request_stop(); });
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(SystemClock::instance().sleep_for(std::chrono::minutes(10), &stop));
    waker.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

// A loop reads generation(), decides to sleep, and a notify lands in between (a SIGHUP while
// the scheduler planned its next wake): the sleep must end at once, not wait for the deadline.
TEST(SystemClock, NotifyBetweenDecidingAndSleepingIsNotLost) {
    StopSource stop;
    const std::uint64_t seen = stop.generation();
    stop.notify();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(SystemClock::instance().sleep_until_since(
        SystemClock::instance().now() + std::chrono::minutes(10), stop, seen));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    // Without a notify since the read, it sleeps to the deadline.
    EXPECT_TRUE(SystemClock::instance().sleep_until_since(
        SystemClock::instance().now() + std::chrono::milliseconds(20), stop, stop.generation()));
}

}  // namespace
}  // namespace hubsync
