// The shared text helpers: ASCII case folding, trimming and strict integer parsing.
#include "core/text.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hubsync {
namespace {

TEST(Lower, FoldsAsciiOnly) {
    EXPECT_EQ(lower("Content-Type"), "content-type");
    EXPECT_EQ(lower("HS_OBJECT_ID 42"), "hs_object_id 42");
    EXPECT_EQ(lower(""), "");
    // Bytes outside ASCII (UTF-8 here) pass through unchanged.
    EXPECT_EQ(lower("\xC3\x84pfel"), "\xC3\x84pfel");
}

TEST(Trim, RemovesAsciiWhiteSpaceAtBothEndsOnly) {
    EXPECT_EQ(trim("  42\t"), "42");
    EXPECT_EQ(trim("\r\n\v\fa b\r\n"), "a b");
    EXPECT_EQ(trim(" \t "), "");
    EXPECT_EQ(trim(""), "");
    // A non-breaking space (UTF-8) is text, not white space.
    EXPECT_EQ(trim("\xC2\xA0x "), "\xC2\xA0x");
}

TEST(ParseInt, AcceptsTheWholeTextAsDigitsOnly) {
    EXPECT_EQ(parse_int<int>("443"), 443);
    EXPECT_EQ(parse_int<std::int64_t>("-1700000000000"), -1700000000000);
    EXPECT_EQ(parse_int<int>("0"), 0);
    for (const char* bad : {"", " 1", "1 ", "+1", "1x", "0x10", "1.5", "-"})
        EXPECT_EQ(parse_int<int>(bad), std::nullopt) << '"' << bad << '"';
}

TEST(ParseInt, RefusesWhatDoesNotFitTheType) {
    EXPECT_EQ(parse_int<std::uint8_t>("255"), 255);
    EXPECT_EQ(parse_int<std::uint8_t>("256"), std::nullopt);
    EXPECT_EQ(parse_int<unsigned>("-1"), std::nullopt);
    EXPECT_EQ(parse_int<std::int64_t>("9223372036854775808"), std::nullopt);
}

TEST(StateField, FindsANamedFieldAfterASemicolonUpToTheNext) {
    const std::string_view text = "v2;since=10;until=20;top=7;r=0:5,5:9";
    EXPECT_EQ(state_field(text, "since"), "10");
    EXPECT_EQ(state_field(text, "top"), "7");
    EXPECT_EQ(state_field(text, "r"), "0:5,5:9");
    EXPECT_EQ(state_field(text, "to"), std::nullopt) << "a prefix of another name is no match";
    EXPECT_EQ(state_field(text, "v2"), std::nullopt) << "the version is no field";
    EXPECT_EQ(state_field("v1;r=", "r"), "");
    EXPECT_EQ(state_field("", "r"), std::nullopt);
}

}  // namespace
}  // namespace hubsync
