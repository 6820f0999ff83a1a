// Typed-column conversions, timestamp normalization and JSON escaping of the mirror.
#include <gtest/gtest.h>

#include "core/json_string.h"
#include "mirror/sqlite_db.h"
#include "mirror/sqlite_mirror.h"
#include "mirror/values.h"

namespace hubsync {
namespace {

TEST(MirrorValues, NumbersParseOrBecomeNull) {
    EXPECT_EQ(mirror_number("42"), 42.0);
    EXPECT_EQ(mirror_number("-3.5"), -3.5);
    EXPECT_EQ(mirror_number("+7"), 7.0);
    EXPECT_EQ(mirror_number(" 12 "), 12.0);
    EXPECT_EQ(mirror_number("1e3"), 1000.0);
    for (const char* bad : {"N/A", "", " ", "12abc", "1,000", "nan", "inf", "0x10", "--1"})
        EXPECT_FALSE(mirror_number(bad).has_value()) << bad;
}

TEST(MirrorValues, BoolsAreTrueFalseOnly) {
    EXPECT_EQ(mirror_bool("true"), true);
    EXPECT_EQ(mirror_bool("false"), false);
    EXPECT_EQ(mirror_bool("TRUE"), true);
    for (const char* bad : {"", "yes", "1", "N/A", "truthy"})
        EXPECT_FALSE(mirror_bool(bad).has_value()) << bad;
}

TEST(MirrorValues, DatesNormalizeToIsoUtc) {
    // Midnight as epoch ms, as ISO date and as ISO datetime: all the same day.
    EXPECT_EQ(mirror_date("1726012800000", true), "2024-09-11");
    EXPECT_EQ(mirror_date("2024-09-11", true), "2024-09-11");
    EXPECT_EQ(mirror_date("2024-09-11T00:00:00.000Z", true), "2024-09-11");
    EXPECT_EQ(mirror_date("1726061259356", false), "2024-09-11T13:27:39.356Z");
    EXPECT_EQ(mirror_date("2024-09-11T13:27:39Z", false), "2024-09-11T13:27:39.000Z");
    EXPECT_EQ(mirror_date("2024-09-11T15:27:39.356+02:00", false), "2024-09-11T13:27:39.356Z");
    EXPECT_EQ(mirror_date("2024-09-11", false), "2024-09-11T00:00:00.000Z");
    for (const char* bad : {"", "N/A", "yesterday", "2024-13-01", "2024-09-11T25:00:00Z", "1.5"})
        EXPECT_FALSE(mirror_date(bad, false).has_value()) << bad;
}

TEST(MirrorValues, TimestampsBecomeComparableText) {
    std::string out;
    ASSERT_TRUE(mirror_values::normalize_timestamp("2024-09-11T13:27:39Z", out));
    EXPECT_EQ(out, "2024-09-11T13:27:39.000Z");
    ASSERT_TRUE(mirror_values::normalize_timestamp("1726061259356", out));
    EXPECT_EQ(out, "2024-09-11T13:27:39.356Z");
    EXPECT_FALSE(mirror_values::normalize_timestamp("soon", out));
}

TEST(MirrorValues, JsonStringsAreEscaped) {
    std::string out;
    append_json_string(out, "a\"b\\c\nd\x01 é");
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001 é\"");
}

TEST(MirrorValues, SqliteErrorsBecomeActionableErrors) {
    const Error full = sql::to_error(SQLITE_FULL, nullptr, "writing a page", "/data/m.db");
    EXPECT_EQ(full.kind, ErrorKind::kIo);
    EXPECT_NE(full.message.find("disk full"), std::string::npos);
    EXPECT_NE(full.message.find("/data/m.db"), std::string::npos);
    EXPECT_FALSE(full.hint.empty());

    const Error busy = sql::to_error(SQLITE_BUSY, nullptr, "writing a page", "/data/m.db");
    EXPECT_EQ(busy.kind, ErrorKind::kTransient);
    EXPECT_TRUE(busy.retryable());

    const Error corrupt = sql::to_error(SQLITE_CORRUPT, nullptr, "reading", "/data/m.db");
    EXPECT_EQ(corrupt.kind, ErrorKind::kIo);
    EXPECT_NE(corrupt.hint.find("sync --full"), std::string::npos);
}

TEST(MirrorValues, IdentifiersAreQuoted) {
    EXPECT_EQ(sql::quote_identifier("email"), "\"email\"");
    EXPECT_EQ(sql::quote_identifier("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace hubsync
