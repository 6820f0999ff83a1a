// HTTP dates as a Retry-After header carries them: the three forms RFC 9110 requires a
// recipient to accept, and nothing else.
#include "http/http_date.h"

#include <gtest/gtest.h>

namespace hubsync {
namespace {

Instant at(const char* iso) {
    Instant t;
    EXPECT_TRUE(parse_iso8601(iso, t)) << iso;
    return t;
}

TEST(HttpDate, ParsesTheThreeForms) {
    const Instant expected = at("1994-11-06T08:49:37Z");
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);   // IMF-fixdate
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);  // RFC 850
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);        // asctime
    EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT "), expected);
    EXPECT_EQ(parse_http_date("Wednesday, 09-Nov-26 01:02:03 GMT"), at("2026-11-09T01:02:03Z"));
}

TEST(HttpDate, RefusesAnythingElse) {
    for (const char* bad :
         {"", "120", "Sun, 06 Nov 1994 08:49:37", "Sun, 6 Nov 1994 08:49:37 GMT",
          "Sun, 31 Feb 2027 08:49:37 GMT", "Sun, 06 Now 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 25:49:37 GMT", "2026-11-29T10:00:00Z", "Xyz, 06 Nov 1994 08:49:37 GMT"})
        EXPECT_FALSE(parse_http_date(bad).has_value()) << bad;
}

TEST(HttpDate, FormatsImfFixdateThatParsesBack) {
    const Instant t = at("2027-02-16T00:00:09Z");
    EXPECT_EQ(format_http_date(t), "Tue, 16 Feb 2027 00:00:09 GMT");
    EXPECT_EQ(parse_http_date(format_http_date(t)), t);
}

}  // namespace
}  // namespace hubsync
