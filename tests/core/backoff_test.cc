// Retry delays: exponential to a cap, with equal jitter.
#include "core/backoff.h"

#include <gtest/gtest.h>

namespace hubsync {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(Backoff, DoublesFromTheInitialDelayUpToTheCap) {
    EXPECT_EQ(exponential_backoff(1, seconds(10), minutes(5)), seconds(10));
    EXPECT_EQ(exponential_backoff(2, seconds(10), minutes(5)), seconds(20));
    EXPECT_EQ(exponential_backoff(5, seconds(10), minutes(5)), seconds(160));
    EXPECT_EQ(exponential_backoff(6, seconds(10), minutes(5)), minutes(5));
    EXPECT_EQ(exponential_backoff(1'000'000, seconds(10), minutes(5)), minutes(5));
    // A cap below the initial delay does not shorten the first wait.
    EXPECT_EQ(exponential_backoff(3, seconds(30), seconds(5)), seconds(30));
}

TEST(Backoff, EqualJitterStaysBetweenHalfAndAll) {
    EXPECT_EQ(equal_jitter(seconds(30), 0.0), seconds(15));
    EXPECT_EQ(equal_jitter(seconds(30), 0.5), milliseconds(22'500));
    EXPECT_EQ(equal_jitter(seconds(30), 0.999999), seconds(30) - milliseconds(1));
    EXPECT_EQ(equal_jitter(seconds(30), 7.0), seconds(30));   // clamped
    EXPECT_EQ(equal_jitter(seconds(30), -1.0), seconds(15));  // clamped
}

}  // namespace
}  // namespace hubsync
