// The STATUS= line: one line that leads with what is wrong, else with the last sync.
#include <gtest/gtest.h>

#include "core/redact.h"
#include "service/status_line.h"

namespace hubsync {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

StatusLineInput healthy() {
    StatusLineInput in;
    in.now = ManualClock::default_start();
    in.last_sync = in.now - minutes(3);
    in.contacts = 20000;
    in.next_sync = in.now + minutes(2);
    in.token_expires_at = in.now + minutes(27);
    return in;
}

TEST(StatusLine, Healthy) {
    EXPECT_EQ(format_status_line(healthy()),
              "last sync 3m ago, 20,000 contacts, next sync in 2m, token valid 27m");
}

TEST(StatusLine, ProblemLeadsWithRetryAndKeepsTheLastGoodState) {
    StatusLineInput in = healthy();
    in.last_sync = in.now - hours(1);
    in.problem = "sync failed: HubSpot unreachable";
    in.retry_at = in.now + minutes(2);
    EXPECT_EQ(format_status_line(in),
              "sync failed: HubSpot unreachable (retry in 2m); last sync 1h ago, 20,000 "
              "contacts, token valid 27m");
}

TEST(StatusLine, NotAuthorizedBeforeAnySync) {
    StatusLineInput in;
    in.now = ManualClock::default_start();
    in.problem = "not authorized: run hubsync authorize";
    EXPECT_EQ(format_status_line(in), "not authorized: run hubsync authorize; no sync yet");
}

TEST(StatusLine, SyncingShowsProgress) {
    StatusLineInput in = healthy();
    in.last_sync.reset();
    in.contacts = -1;
    in.syncing = true;
    in.sync_progress = 4200;
    EXPECT_EQ(format_status_line(in), "syncing (4,200 contacts so far), token valid 27m");
}

TEST(StatusLine, ExpiredTokenAndStaticToken) {
    StatusLineInput in = healthy();
    in.token_expires_at = in.now - seconds(1);
    EXPECT_NE(format_status_line(in).find("token expired"), std::string::npos);
    in.static_token = true;
    const std::string line = format_status_line(in);
    EXPECT_NE(line.find("static access token"), std::string::npos);
    EXPECT_EQ(line.find("token expired"), std::string::npos);
}

TEST(StatusLine, OneLineBoundedAndRedacted) {
    StatusLineInput in = healthy();
    add_secret("s3cr3t-refresh-value");
    in.problem =
        "token endpoint said\nrefresh_token=s3cr3t-refresh-value is bad " + std::string(400, 'x');
    const std::string line = format_status_line(in);
    clear_secrets();
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos);
    EXPECT_LE(line.size(), kMaxStatusLine);
    EXPECT_EQ(line.substr(line.size() - 3), "...");
}

TEST(StatusLine, TruncationKeepsUtf8Whole) {
    StatusLineInput in;
    in.now = ManualClock::default_start();
    std::string problem;
    for (int i = 0; i < 150; ++i)
        problem += "\xC3\xA9";  // é, two bytes each
    in.problem = problem;
    const std::string line = format_status_line(in);
    ASSERT_LE(line.size(), kMaxStatusLine);
    const std::string body = line.substr(0, line.size() - 3);
    EXPECT_EQ(body.size() % 2, 0u);
    EXPECT_EQ(static_cast<unsigned char>(body.back()), 0xA9);
}

TEST(StatusLine, Helpers) {
    EXPECT_EQ(format_age(seconds(45)), "45s");
    EXPECT_EQ(format_age(minutes(3)), "3m");
    EXPECT_EQ(format_age(minutes(65)), "1h05m");
    EXPECT_EQ(format_age(hours(50)), "2d2h");
    EXPECT_EQ(format_age(seconds(-5)), "0s");
    EXPECT_EQ(format_count(0), "0");
    EXPECT_EQ(format_count(999), "999");
    EXPECT_EQ(format_count(1000), "1,000");
    EXPECT_EQ(format_count(1234567), "1,234,567");
    EXPECT_EQ(format_count(-20000), "-20,000");
}

}  // namespace
}  // namespace hubsync
