// Redaction: real-looking URLs, headers and bodies lose every secret value.
#include "core/redact.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/log.h"

namespace hubsync {
namespace {

struct Case {
    const char* input;
    const char* secret;  // must not survive
};

TEST(Redact, MasksSecretFieldsInUrlsFormsHeadersAndJson) {
    const std::vector<Case> cases = {
        {"POST /oauth/2026-03/token "
         "grant_type=refresh_token&client_id=abc&client_secret=s3cr3tValue&refresh_token=na1-9f8e-"
         "77aa",
         "s3cr3tValue"},
        {"grant_type=refresh_token&client_secret=xx&refresh_token=na1-9f8e-77aa", "na1-9f8e-77aa"},
        {"GET http://localhost:8976/callback?code=cd-1234-5678&state=AbCdEf0123456789",
         "cd-1234-5678"},
        {"GET http://localhost:8976/callback?code=cd-1234-5678&state=AbCdEf0123456789",
         "AbCdEf0123456789"},
        {"code_verifier=vErIfIeR_abcdefghijklmnopqrstuvwxyz0123456789&code=zz",
         "vErIfIeR_abcdefghij"},
        {"Authorization: Bearer "
         "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4",
         "CJSP5qf1KhICAQEY"},
        {"header authorization: bearer abc.def.ghi", "abc.def.ghi"},
        {R"({"access_token":"CNa5-long-token","refresh_token":"6f2c-refresh","expires_in":1800})",
         "CNa5-long-token"},
        {R"({"access_token":"CNa5-long-token","refresh_token":"6f2c-refresh","expires_in":1800})",
         "6f2c-refresh"},
        {R"({ "client_secret" : "quoted \"escaped\" secret", "x": 1 })", "escaped"},
        {"token=pat-na1-11112222&token_type_hint=refresh_token", "pat-na1-11112222"},
        {"ACCESS_TOKEN=UPPER_CASE_SECRET other", "UPPER_CASE_SECRET"},
    };
    for (const auto& c : cases) {
        const std::string out = redact(c.input);
        EXPECT_EQ(out.find(c.secret), std::string::npos) << c.input << " -> " << out;
        EXPECT_NE(out.find(kRedacted), std::string::npos) << c.input;
    }
}

TEST(Redact, LeavesOrdinaryTextAlone) {
    const std::string text =
        "GET /crm/v3/objects/contacts?limit=100&after=12345 status code 200, expires_in=1800 "
        "encoded=abc token_type=bearer";
    EXPECT_EQ(redact(text), text);
}

TEST(Redact, MasksRegisteredLiteralsAnywhere) {
    add_secret("literal-secret-42");
    add_secret("short");  // ignored: too short to mask safely
    EXPECT_EQ(redact("x literal-secret-42 y"), "x [REDACTED] y");
    EXPECT_EQ(redact("short stays"), "short stays");
    clear_secrets();
    EXPECT_EQ(redact("x literal-secret-42 y"), "x literal-secret-42 y");
}

TEST(Redact, ARotatingSlotMasksTheCurrentAndThePreviousValueOnly) {
    clear_secrets();
    set_secret("test.token", "token-generation-1");
    set_secret("test.token", "token-generation-2");
    EXPECT_EQ(redact("a token-generation-1 b"), "a [REDACTED] b");
    set_secret("test.token", "token-generation-3");
    EXPECT_EQ(redact("token-generation-3"), kRedacted);
    EXPECT_EQ(redact("token-generation-2"), kRedacted);
    EXPECT_EQ(redact("token-generation-1"), "token-generation-1");
    // Setting the current value again keeps the previous one.
    set_secret("test.token", "token-generation-3");
    EXPECT_EQ(redact("token-generation-2"), kRedacted);
    EXPECT_EQ(redaction_stats().secrets, 2u);
    clear_secrets();
}

TEST(Redact, SlotsAndFixedSecretsAreIndependent) {
    clear_secrets();
    add_secret("client-secret-value");
    set_secret("test.a", "slot-a-value-1");
    set_secret("test.b", "slot-b-value-1");
    for (int i = 2; i < 50; ++i) {
        set_secret("test.a", "slot-a-value-" + std::to_string(i));
        set_secret("test.b", "slot-b-value-" + std::to_string(i));
    }
    EXPECT_EQ(redaction_stats().secrets, 5u);
    EXPECT_EQ(redact("client-secret-value slot-a-value-49 slot-b-value-48"),
              "[REDACTED] [REDACTED] [REDACTED]");
    EXPECT_EQ(redact("slot-a-value-47"), "slot-a-value-47");
    clear_secrets();
}

TEST(Redact, CostPerLineFollowsTheRegistrySizeNotTheRotations) {
    clear_secrets();
    const auto searches_for_one_line = [] {
        const auto before = redaction_stats().literal_searches;
        (void)redact("an ordinary line");
        return redaction_stats().literal_searches - before;
    };
    set_secret("test.token", "rotating-value-0");
    const auto early = searches_for_one_line();
    for (int i = 1; i < 10'000; ++i)
        set_secret("test.token", "rotating-value-" + std::to_string(i));
    EXPECT_EQ(searches_for_one_line(), early + 1);  // the previous generation joined once
    EXPECT_EQ(redaction_stats().secrets, 2u);
    clear_secrets();
}

TEST(Log, EveryLineGoesThroughRedaction) {
    std::vector<std::string> lines;
    set_log_sink([&](LogLevel, std::string_view line) { lines.emplace_back(line); });
    set_log_format(LogFormat::kJournal);
    HS_LOG_ERROR("refresh failed: {}", R"({"refresh_token":"rt-secret-value"})");
    HS_LOG_INFO("url {}", "https://api.hubapi.com/x?access_token=at-secret-value");
    HS_LOG_DEBUG("not shown at info level");
    set_log_sink(nullptr);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].rfind("<3>", 0), 0u);
    EXPECT_EQ(lines[1].rfind("<6>", 0), 0u);
    for (const auto& l : lines) {
        EXPECT_EQ(l.find("secret-value"), std::string::npos) << l;
    }
}

TEST(Log, TerminalFormatUsesLevelWordsAndEscapesNewlines) {
    std::vector<std::string> lines;
    set_log_sink([&](LogLevel, std::string_view line) { lines.emplace_back(line); });
    set_log_format(LogFormat::kTerminal);
    HS_LOG_WARN("two\nlines");
    set_log_sink(nullptr);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "warning two\\nlines");
}

}  // namespace
}  // namespace hubsync
