// Tests for the HubSpot API client against a scripted transport in virtual time: request
// shapes, every status path, retries and backoff, rate limiting and request planning.
#include "api/hubspot_api.h"
#include "http/http_date.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "core/log.h"
#include "fakes.h"
#include "http/url.h"
#include "support/rate_window.h"

namespace hubsync {
namespace {

using testing::FakeTokens;
using testing::ScriptedTransport;

constexpr const char* kBase = "http://hubspot.test";
constexpr const char* kOnePage =
    R"({"results":[{"id":"42","properties":{"email":"a@b.c"},"createdAt":"2024-01-01T00:00:00.000Z","updatedAt":"2024-01-02T00:00:00.000Z","archived":false}]})";

std::int64_t ms_between(Instant a, Instant b) {
    return std::chrono::duration_cast<Millis>(b - a).count();
}

using testing::max_in_window;

// Captures log lines for the duration of a test.
class LogCapture {
  public:
    LogCapture() {
        set_log_sink([this](LogLevel, std::string_view line) {
            std::lock_guard lock(mu_);
            lines_.emplace_back(line);
        });
    }
    ~LogCapture() { set_log_sink(nullptr); }
    std::vector<std::string> lines() {
        std::lock_guard lock(mu_);
        return lines_;
    }
    std::string all() {
        std::string out;
        for (const auto& l : lines())
            out += l + "\n";
        return out;
    }

  private:
    std::mutex mu_;
    std::vector<std::string> lines_;
};

class HubSpotApiTest : public ::testing::Test {
  protected:
    HubSpotApiTest() : transport_(clock_) {
        options_.base_url = kBase;
        options_.jitter_seed = 7;
    }

    HubSpotApi& api() {
        if (!api_) api_ = make_hubspot_api(transport_, tokens_, clock_, options_);
        return *api_;
    }

    Result<RecordPage> list() {
        ListRequest request;
        request.properties = {"email"};
        return api().list(contacts_type(), request);
    }

    ManualClock clock_;
    ScriptedTransport transport_;
    FakeTokens tokens_;
    ApiOptions options_;
    std::unique_ptr<HubSpotApi> api_;
};

TEST_F(HubSpotApiTest, ListSendsTheDocumentedRequest) {
    transport_.push(200, kOnePage);
    ListRequest request;
    request.limit = 100;
    request.after = "a b/c";
    request.properties = {"email", "firstname", "weird name"};
    request.archived = true;
    const auto page = api().list(contacts_type(), request);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ASSERT_EQ(page->records.size(), 1u);
    EXPECT_EQ(page->records[0].id, 42);
    ASSERT_EQ(transport_.sent.size(), 1u);
    const HttpRequest& sent = transport_.sent[0].request;
    EXPECT_EQ(sent.method, "GET");
    EXPECT_EQ(sent.url,
              "http://hubspot.test/crm/objects/2026-09/contacts?limit=100&after=a%20b%2Fc"
              "&properties=email,firstname,weird%20name&archived=true");
    EXPECT_EQ(transport_.sent[0].authorization(), "Bearer first-token-abcdef");
    EXPECT_EQ(api().list_url_length(contacts_type(), request), sent.url.size());
    EXPECT_EQ(api().stats().requests, 1);

    // The server sees the property list HubSpot's parser would see.
    const auto url = parse_url(sent.url);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(param(parse_query(url->query), "properties"), "email,firstname,weird name");
}

TEST_F(HubSpotApiTest, ListUrlOverTheLimitIsRefusedBeforeSending) {
    options_.max_url_length = 2000;
    ListRequest request;
    for (int i = 0; i < 200; ++i)
        request.properties.push_back("custom_property_" + std::to_string(i));
    const std::size_t length = api().list_url_length(contacts_type(), request);
    EXPECT_GT(length, 2000u);
    const auto page = api().list(contacts_type(), request);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kInternal);
    EXPECT_NE(page.error().message.find("request plan error"), std::string::npos);
    EXPECT_NE(page.error().message.find(std::to_string(length)), std::string::npos);
    EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(HubSpotApiTest, PropertiesAreListed) {
    transport_.push(200, R"({"results":[{"name":"email","type":"string","fieldType":"text"}]})");
    const auto props = api().list_properties(contacts_type());
    ASSERT_TRUE(props.ok()) << props.error().describe();
    ASSERT_EQ(props->size(), 1u);
    EXPECT_EQ((*props)[0].name, "email");
    EXPECT_EQ(transport_.sent[0].request.url,
              "http://hubspot.test/crm/properties/2026-09/contacts");
}

TEST_F(HubSpotApiTest, BatchReadReportsMissingIdsFrom207) {
    transport_.push(207, R"({"status":"COMPLETE","results":[{"id":"1","properties":{"email":"x"}}],
        "numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"not found",
        "context":{"ids":["2"]}}]})");
    const auto r = api().batch_read(contacts_type(), {1, 2}, {"email", "first\"name"});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->missing, std::vector<RecordId>{2});
    const HttpRequest& sent = transport_.sent[0].request;
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url, "http://hubspot.test/crm/objects/2026-09/contacts/batch/read");
    EXPECT_EQ(sent.content_type, "application/json");
    EXPECT_EQ(sent.body,
              R"({"inputs":[{"id":"1"},{"id":"2"}],"properties":["email","first\"name"]})");
}

TEST_F(HubSpotApiTest, BatchReadLimits) {
    const auto none = api().batch_read(contacts_type(), {}, {"email"});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(transport_.sent.empty());
    std::vector<RecordId> ids(101);
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = static_cast<RecordId>(i + 1);
    const auto too_many = api().batch_read(contacts_type(), ids, {});
    ASSERT_FALSE(too_many.ok());
    EXPECT_EQ(too_many.error().kind, ErrorKind::kInternal);
    EXPECT_TRUE(transport_.sent.empty());
}

SearchRequest sample_search() {
    SearchRequest s;
    s.filter_groups = {
        {{"lastmodifieddate", "BETWEEN", "1700000000000", "1700000600000", {}},
         {"hs_object_id", "GT", "1234", "", {}}},
        {{"email", "IN", "", "", {"a@b.c", "d@e.f"}}, {"phone", "HAS_PROPERTY", "", "", {}}}};
    s.sort_property = "hs_object_id";
    s.properties = {"email", "lastmodifieddate"};
    s.limit = 200;
    s.after = "400";
    return s;
}

TEST_F(HubSpotApiTest, SearchSendsTheDocumentedBody) {
    transport_.push(
        200,
        R"({"total":401,"results":[{"id":"5","properties":{}}],"paging":{"next":{"after":"600"}}})");
    const SearchRequest s = sample_search();
    const auto page = api().search(contacts_type(), s);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    EXPECT_EQ(page->total, 401);
    EXPECT_EQ(page->next_after, "600");
    const HttpRequest& sent = transport_.sent[0].request;
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url, "http://hubspot.test/crm/objects/2026-09/contacts/search");
    EXPECT_EQ(
        sent.body,
        R"({"filterGroups":[{"filters":[{"propertyName":"lastmodifieddate","operator":"BETWEEN","value":"1700000000000","highValue":"1700000600000"},)"
        R"({"propertyName":"hs_object_id","operator":"GT","value":"1234"}]},)"
        R"({"filters":[{"propertyName":"email","operator":"IN","values":["a@b.c","d@e.f"]},)"
        R"({"propertyName":"phone","operator":"HAS_PROPERTY"}]}],)"
        R"("sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],)"
        R"("properties":["email","lastmodifieddate"],"limit":200,"after":"400"})");
    EXPECT_EQ(api().search_body_length(s), sent.body.size());
    EXPECT_EQ(api().stats().searches, 1);
}

TEST_F(HubSpotApiTest, SearchBodyOverThreeThousandCharactersIsRefused) {
    SearchRequest s = sample_search();
    while (api().search_body_length(s) <= kMaxSearchBodyLength)
        s.properties.push_back("custom_property_" + std::to_string(s.properties.size()));
    const auto page = api().search(contacts_type(), s);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kInternal);
    EXPECT_NE(page.error().message.find(std::to_string(api().search_body_length(s))),
              std::string::npos)
        << page.error().message;
    EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(HubSpotApiTest, UnauthorizedOnceRefreshesAndRetries) {
    transport_.push(401, R"({"status":"error","message":"expired","correlationId":"c-401"})");
    transport_.push(200, kOnePage);
    LogCapture logs;
    const auto page = list();
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ASSERT_EQ(transport_.sent.size(), 2u);
    EXPECT_EQ(transport_.sent[0].authorization(), "Bearer first-token-abcdef");
    EXPECT_EQ(transport_.sent[1].authorization(), "Bearer fresh-token-1");
    EXPECT_EQ(tokens_.rejected_tokens, std::vector<std::string>{"first-token-abcdef"});
    EXPECT_EQ(api().stats().unauthorized, 1);
    EXPECT_EQ(logs.all().find("first-token-abcdef"), std::string::npos);
    EXPECT_NE(logs.all().find("c-401"), std::string::npos) << logs.all();
}

TEST_F(HubSpotApiTest, UnauthorizedTwiceIsAnError) {
    transport_.push(401, "{}");
    transport_.push(401, "{}");
    transport_.push(200, kOnePage);
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kUnauthorized);
    EXPECT_EQ(transport_.sent.size(), 2u);
    EXPECT_EQ(tokens_.rejected_tokens.size(), 1u);
}

TEST_F(HubSpotApiTest, RefreshFailureIsReturned) {
    tokens_.refresh_error = make_error(ErrorKind::kAuthRequired, "refresh token revoked");
    transport_.push(401, "{}");
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kAuthRequired);
    EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(HubSpotApiTest, TokenIsAskedForBeforeEveryRequest) {
    transport_.push(503, "{}");
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_EQ(tokens_.access_calls, 2);
}

TEST_F(HubSpotApiTest, ForbiddenNamesTheMissingScope) {
    transport_.push(
        403,
        R"({"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES","correlationId":"c-403"})");
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kForbidden);
    EXPECT_NE(page.error().message.find("crm.objects.contacts.read"), std::string::npos);
    EXPECT_NE(page.error().message.find("c-403"), std::string::npos);
    EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(HubSpotApiTest, ForbiddenNamesTheScopeHubSpotReports) {
    transport_.push(
        403,
        R"({"status":"error","message":"This app hasn't been granted all required scopes to make this call.","correlationId":"c-1",)"
        R"("errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.schemas.contacts.read"]}}],"category":"MISSING_SCOPES"})");
    const auto props = api().list_properties(contacts_type());
    ASSERT_FALSE(props.ok());
    EXPECT_EQ(props.error().kind, ErrorKind::kForbidden);
    EXPECT_NE(props.error().message.find("lacks the crm.schemas.contacts.read scope"),
              std::string::npos)
        << props.error().message;
    EXPECT_NE(props.error().hint.find("crm.schemas.contacts.read"), std::string::npos);
}

TEST_F(HubSpotApiTest, RateLimitedWaitsRetryAfter) {
    transport_.push(
        429,
        R"({"status":"error","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING","correlationId":"c-429"})",
        {{"Retry-After", "7"}});
    transport_.push(200, kOnePage);
    LogCapture logs;
    const auto page = list();
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ASSERT_EQ(transport_.sent.size(), 2u);
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[1].at), 7000);
    EXPECT_EQ(api().stats().rate_limited, 1);
    EXPECT_EQ(api().stats().retries, 1);
    // One log line for the retry, naming the correlationId.
    int retry_lines = 0;
    for (const auto& line : logs.lines())
        if (line.find("c-429") != std::string::npos) ++retry_lines;
    EXPECT_EQ(retry_lines, 1) << logs.all();
}

TEST_F(HubSpotApiTest, RateLimitedWithoutRetryAfterWaitsForThePolicyWindow) {
    transport_.push(429, R"({"errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})");
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[1].at), 10000);

    transport_.push(429, R"({"errorType":"RATE_LIMIT","policyName":"SECONDLY"})");
    transport_.push(200, R"({"total":0,"results":[]})");
    ASSERT_TRUE(api().search(contacts_type(), sample_search()).ok());
    EXPECT_EQ(ms_between(transport_.sent[2].at, transport_.sent[3].at), 1000);
}

TEST_F(HubSpotApiTest, RateLimitWaitFollowsThePolicyNotTheEndpoint) {
    // A search answered with the 10-second policy waits 10 s; Retry-After: 0 still waits 1 s.
    transport_.push(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})");
    transport_.push(429, R"({"policyName":"SECONDLY"})", {{"Retry-After", "0"}});
    transport_.push(200, R"({"total":0,"results":[]})");
    ASSERT_TRUE(api().search(contacts_type(), sample_search()).ok());
    ASSERT_EQ(transport_.sent.size(), 3u);
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[1].at), 10000);
    EXPECT_EQ(ms_between(transport_.sent[1].at, transport_.sent[2].at), 1000);
}

// Association reads are exempt from the 10-second bucket (HubSpot's API description): a full
// bucket does not hold them back. If HubSpot answers one with a 429 all the same, they join the
// 10-second budget, and the log says so once.
TEST_F(HubSpotApiTest, AssociationReadsKeepOffTheTenSecondBucketUntilHubSpotCountsThem) {
    options_.requests_per_10s = 3;
    for (int i = 0; i < 3; ++i) {
        transport_.push(200, kOnePage);
        ASSERT_TRUE(list().ok());
    }
    const EndpointCall call{"read contacts associations to companies",
                            Endpoint::kAssociationsBatchRead,
                            "contacts",
                            "companies",
                            "",
                            R"({"inputs":[{"id":"1"}]})",
                            "crm.objects.contacts.read"};
    auto ignore = [](std::string_view) { return Status::Ok(); };
    transport_.push(200, R"({"results":[]})");
    transport_.push(200, R"({"results":[]})");
    ASSERT_TRUE(api().call(call, ignore).ok());
    ASSERT_TRUE(api().call(call, ignore).ok());
    ASSERT_EQ(transport_.sent.size(), 5u);
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[4].at), 0)
        << "a full 10-second bucket held an association read back";

    LogCapture logs;
    transport_.push(429, R"({"errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})");
    transport_.push(429, R"({"errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})");
    transport_.push(200, R"({"results":[]})");
    ASSERT_TRUE(api().call(call, ignore).ok());
    ASSERT_EQ(transport_.sent.size(), 8u);
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[5].at), 0);
    // The retry now counts in the 10-second bucket, which the three lists filled.
    EXPECT_GE(ms_between(transport_.sent[0].at, transport_.sent[6].at), 10'000);
    int said = 0;
    for (const auto& line : logs.lines())
        if (line.find("HubSpot counted it against the 10-second limit") != std::string::npos)
            ++said;
    EXPECT_EQ(said, 1) << logs.all();
}

TEST_F(HubSpotApiTest, AbsurdHeaderValuesDoNotOverflow) {
    transport_.push(200, kOnePage,
                    {{"X-HubSpot-RateLimit-Remaining", "0"},
                     {"X-HubSpot-RateLimit-Interval-Milliseconds", "9223372036854775807"}});
    transport_.push(429, "{}", {{"Retry-After", "9223372036854775807"}});
    ASSERT_TRUE(list().ok());
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kRateLimited);
    // The low-remaining wait was clamped to max_wait, not to the end of time.
    EXPECT_LE(clock_.slept(), options_.max_wait);
    EXPECT_GE(clock_.slept(), Millis(10'000));
    // The refused Retry-After does not block later calls for a year either.
    const Millis before = clock_.slept();
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_LE(clock_.slept() - before, Millis(10'000));
}

TEST_F(HubSpotApiTest, DailyLimitStopsWithoutRetrying) {
    transport_.push(
        429,
        R"({"errorType":"RATE_LIMIT","policyName":"DAILY","message":"You have reached your daily limit."})",
        {{"Retry-After", "3"}});
    transport_.push(200, kOnePage);
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kRateLimited);
    EXPECT_NE(page.error().message.find("daily"), std::string::npos);
    EXPECT_EQ(transport_.sent.size(), 1u);
    EXPECT_EQ(clock_.slept(), Millis(0));
}

TEST_F(HubSpotApiTest, RateLimitedTooOftenGivesUp) {
    options_.max_attempts = 3;
    transport_.set_handler([](const HttpRequest&) -> Result<HttpResponse> {
        return testing::response(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})");
    });
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kRateLimited);
    EXPECT_NE(page.error().message.find("gave up after 3 attempts"), std::string::npos);
    EXPECT_EQ(transport_.sent.size(), 3u);
}

TEST_F(HubSpotApiTest, ServerErrorsBackOffExponentiallyWithJitterAndGiveUp) {
    options_.max_attempts = 6;
    options_.backoff_base = Millis(500);
    options_.backoff_max = Millis(4000);
    std::vector<std::vector<std::int64_t>> runs;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        options_.jitter_seed = seed;
        api_.reset();
        transport_.sent.clear();
        transport_.set_handler([](const HttpRequest&) -> Result<HttpResponse> {
            return testing::response(
                503, R"({"category":"SERVICE_UNAVAILABLE","correlationId":"c-503"})");
        });
        const auto page =
            api().batch_read(contacts_type(), {1, 2, 3}, {"email"});  // POST is retried too
        ASSERT_FALSE(page.ok());
        EXPECT_EQ(page.error().kind, ErrorKind::kTransient);
        EXPECT_NE(page.error().message.find("gave up after 6 attempts"), std::string::npos)
            << page.error().message;
        ASSERT_EQ(transport_.sent.size(), 6u);
        std::vector<std::int64_t> gaps;
        for (std::size_t i = 1; i < transport_.sent.size(); ++i) {
            const std::int64_t gap = ms_between(transport_.sent[i - 1].at, transport_.sent[i].at);
            const std::int64_t cap = std::min<std::int64_t>(4000, 500LL << (i - 1));
            EXPECT_GE(gap, 250) << "retry " << i;
            EXPECT_LE(gap, cap) << "retry " << i;
            gaps.push_back(gap);
        }
        EXPECT_EQ(api().stats().server_errors, 6);
        EXPECT_EQ(api().stats().retries, 5);
        runs.push_back(gaps);
    }
    EXPECT_TRUE(runs[0] != runs[1] || runs[1] != runs[2]) << "backoff is not jittered";
}

TEST_F(HubSpotApiTest, TransientStatusesAreRetried) {
    for (int status : {500, 502, 503, 504, 521, 522, 523, 524, 423, 477}) {
        transport_.sent.clear();
        transport_.push(status, "<html>oops</html>");
        transport_.push(200, R"({"total":0,"results":[]})");
        const auto page = api().search(contacts_type(), sample_search());
        ASSERT_TRUE(page.ok()) << status << ": " << page.error().describe();
        EXPECT_EQ(transport_.sent.size(), 2u) << status;
    }
}

TEST_F(HubSpotApiTest, OtherStatusesAreNotRetried) {
    for (int status : {400, 404, 405, 409, 410, 414, 422, 501, 505}) {
        transport_.sent.clear();
        transport_.push(status, R"({"status":"error","message":"no"})");
        const auto page = api().search(contacts_type(), sample_search());
        ASSERT_FALSE(page.ok()) << status;
        EXPECT_EQ(transport_.sent.size(), 1u) << status << " must not be retried";
        EXPECT_NE(page.error().kind, ErrorKind::kTransient) << status;
    }
    EXPECT_EQ(api().stats().retries, 0);
}

// RFC 9110 allows both forms: delay-seconds and an HTTP-date, which is read against the
// clock; a date already past means "now" (the backoff floor still applies).
TEST_F(HubSpotApiTest, RetryAfterAsAnHttpDateIsWaitedOut) {
    const Instant start = clock_.now();
    transport_.push(503, "{}", {{"Retry-After", format_http_date(start + Millis(42'000))}});
    transport_.push(200, kOnePage);
    transport_.push(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})",
                    {{"Retry-After", format_http_date(start + Millis(42'000) + Millis(20'000))}});
    transport_.push(200, kOnePage);
    transport_.push(477, "{}", {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}});
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    ASSERT_TRUE(list().ok());
    ASSERT_TRUE(list().ok());
    ASSERT_EQ(transport_.sent.size(), 6u);
    const std::int64_t first = ms_between(transport_.sent[0].at, transport_.sent[1].at);
    EXPECT_GE(first, 41'000);  // HTTP dates have whole seconds
    EXPECT_LE(first, 42'000);
    EXPECT_GE(ms_between(transport_.sent[2].at, transport_.sent[3].at), 19'000);
    EXPECT_LE(ms_between(transport_.sent[4].at, transport_.sent[5].at), 60'000);
}

TEST_F(HubSpotApiTest, RetryAfterInSecondsIsWaitedOutForEveryRetryableStatus) {
    for (int status : {423, 429, 477, 502, 503, 504, 521, 523, 524}) {
        transport_.sent.clear();
        transport_.push(status, "{}", {{"Retry-After", "17"}});
        transport_.push(200, kOnePage);
        ASSERT_TRUE(list().ok()) << status;
        ASSERT_EQ(transport_.sent.size(), 2u) << status;
        EXPECT_GE(ms_between(transport_.sent[0].at, transport_.sent[1].at), 17'000) << status;
    }
}

TEST_F(HubSpotApiTest, LockedWaitsAtLeastTwoSeconds) {
    options_.backoff_base = Millis(100);
    transport_.push(423, "{}");
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_GE(ms_between(transport_.sent[0].at, transport_.sent[1].at), 2000);
}

TEST_F(HubSpotApiTest, MigrationInProgressHonoursRetryAfter) {
    transport_.push(477, "{}", {{"Retry-After", "30"}});
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_GE(ms_between(transport_.sent[0].at, transport_.sent[1].at), 30000);
}

TEST_F(HubSpotApiTest, RetryAfterLongerThanMaxWaitFailsAtOnce) {
    options_.max_wait = Millis(60'000);
    transport_.push(477, R"({"message":"migration in progress"})", {{"Retry-After", "86400"}});
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kTransient);
    EXPECT_NE(page.error().message.find("86400 s"), std::string::npos) << page.error().message;
    EXPECT_EQ(clock_.slept(), Millis(0));
}

TEST_F(HubSpotApiTest, ConnectionErrorsAreRetriedButCertificateErrorsAreNot) {
    transport_.push(make_error(ErrorKind::kTransient, "connection reset by peer"));
    transport_.push(make_error(ErrorKind::kTransient, "timeout"));
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    EXPECT_EQ(transport_.sent.size(), 3u);
    EXPECT_EQ(api().stats().transport_errors, 2);

    transport_.push(make_error(ErrorKind::kConfig, "certificate verify failed"));
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kConfig);
    EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(HubSpotApiTest, BrokenSuccessBodiesAreRetriedABoundedNumberOfTimes) {
    transport_.push(200, R"({"results":[{"id":"42","prop)");
    transport_.push(200, "<html><body>Gateway hiccup</body></html>");
    transport_.push(200, kOnePage);
    const auto ok = list();
    ASSERT_TRUE(ok.ok()) << ok.error().describe();
    EXPECT_EQ(transport_.sent.size(), 3u);
    EXPECT_EQ(api().stats().bad_bodies, 2);

    transport_.sent.clear();
    transport_.set_handler([](const HttpRequest&) -> Result<HttpResponse> {
        return testing::response(200, R"({"results":[)");
    });
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kTransient);
    EXPECT_EQ(transport_.sent.size(), static_cast<std::size_t>(options_.max_bad_body_attempts));
    EXPECT_NE(page.error().message.find("broken connection"), std::string::npos)
        << page.error().message;
}

TEST_F(HubSpotApiTest, WellFormedButWrongDataIsNotRetried) {
    transport_.push(200, R"({"results":[{"id":"not-a-number","properties":{}}]})");
    transport_.push(200, kOnePage);
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kBadData);
    EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(HubSpotApiTest, OtherClientErrorsAreNotRetried) {
    transport_.push(
        400,
        R"({"status":"error","category":"VALIDATION_ERROR","message":"There was a problem with the request."})");
    auto page = api().search(contacts_type(), sample_search());
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kInternal);
    EXPECT_NE(page.error().message.find("VALIDATION_ERROR"), std::string::npos);
    transport_.push(414, "");
    page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kInternal);
    transport_.push(404, "");
    page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kNotFound);
    EXPECT_EQ(transport_.sent.size(), 3u);
}

TEST_F(HubSpotApiTest, StopEndsWaitsAtOnce) {
    StopSource stop;
    options_.stop = &stop;
    transport_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
        stop.request_stop();  // a SIGTERM arrives while the request is in flight
        return testing::response(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})",
                                 {{"Retry-After", "10"}});
    });
    const auto page = list();
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kCancelled);
    EXPECT_EQ(transport_.sent.size(), 1u);
    EXPECT_EQ(clock_.slept(), Millis(0));
}

TEST_F(HubSpotApiTest, StopEndsALimiterWait) {
    StopSource stop;
    options_.stop = &stop;
    options_.requests_per_10s = 1;
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    stop.request_stop();
    const auto page = list();  // would have to wait 10 s for the budget
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::kCancelled);
    EXPECT_EQ(transport_.sent.size(), 1u);
}

// The service wakes its sleepers without stopping (a reload, a new token store) so the
// scheduler looks again; a request waiting out its backoff must go on waiting, not fail the
// cycle. Real time: the virtual clock has no wakers.
TEST(HubSpotApiRealTime, NotifyDoesNotEndAWait) {
    StopSource stop;
    FakeTokens tokens;
    ScriptedTransport transport(SystemClock::instance());
    transport.push(503, "");
    transport.push(200, kOnePage);
    ApiOptions options;
    options.base_url = kBase;
    options.jitter_seed = 7;
    options.stop = &stop;
    options.backoff_base = Millis(600);  // the first retry waits 300..600 ms
    auto api = make_hubspot_api(transport, tokens, SystemClock::instance(), options);
    std::atomic<bool> done{false};
    std::thread waker([&] {
        while (!done.load()) {
            stop.notify();
            std::this_thread::sleep_for(Millis(20));
        }
    });
    ListRequest request;
    request.properties = {"email"};
    const auto page = api->list(contacts_type(), request);
    done = true;
    waker.join();
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ASSERT_EQ(transport.sent.size(), 2u);
    EXPECT_GE(transport.sent[1].at - transport.sent[0].at, Millis(300));
}

TEST_F(HubSpotApiTest, LowRemainingHeaderWaitsForTheWindow) {
    transport_.push(200, kOnePage,
                    {{"X-HubSpot-RateLimit-Remaining", "50"},
                     {"X-HubSpot-RateLimit-Interval-Milliseconds", "10000"}});
    transport_.push(200, kOnePage,
                    {{"X-HubSpot-RateLimit-Remaining", "1"},
                     {"X-HubSpot-RateLimit-Interval-Milliseconds", "10000"}});
    transport_.push(200, kOnePage);
    ASSERT_TRUE(list().ok());
    ASSERT_TRUE(list().ok());
    EXPECT_EQ(ms_between(transport_.sent[0].at, transport_.sent[1].at), 0);
    ASSERT_TRUE(list().ok());
    EXPECT_EQ(ms_between(transport_.sent[1].at, transport_.sent[2].at), 10000);
}

TEST_F(HubSpotApiTest, LimiterNeverExceedsBudgetsOverALongRun) {
    options_.requests_per_10s = 100;
    options_.searches_per_second = 4;
    std::mt19937 rng(99);
    transport_.set_handler([&](const HttpRequest& request) -> Result<HttpResponse> {
        clock_.advance(Millis(rng() % 40));  // network latency
        if (request.url.ends_with("/search"))
            return testing::response(200, R"({"total":0,"results":[]})");
        return testing::response(200, kOnePage);
    });
    for (int i = 0; i < 3000; ++i) {
        if (rng() % 3 == 0) {
            ASSERT_TRUE(api().search(contacts_type(), sample_search()).ok());
        } else {
            ASSERT_TRUE(list().ok());
        }
        if (rng() % 50 == 0) clock_.advance(Millis(rng() % 5000));  // the engine pauses
    }
    std::vector<Instant> general, searches;
    for (const auto& s : transport_.sent)
        (s.request.url.ends_with("/search") ? searches : general).push_back(s.at);
    EXPECT_LE(max_in_window(general, Millis(10'000)), 100);
    EXPECT_LE(max_in_window(searches, Millis(1'000)), 4);
    EXPECT_GT(general.size(), 1500u);
    EXPECT_GT(searches.size(), 700u);
}

TEST_F(HubSpotApiTest, LimiterUsesItsWholeBudget) {
    options_.requests_per_10s = 100;
    transport_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
        clock_.advance(Millis(3));
        return testing::response(200, kOnePage);
    });
    const Instant start = clock_.now();
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(list().ok());
    std::vector<Instant> times;
    for (const auto& s : transport_.sent)
        times.push_back(s.at);
    EXPECT_EQ(max_in_window(times, Millis(10'000)), 100);
    // 1000 requests at 100 per 10 s (the client's window 250 ms longer, for the arrival skew):
    // the 901st can go after 9 x 10.25 s, and not much later.
    const std::int64_t elapsed = ms_between(start, clock_.now());
    EXPECT_GE(elapsed, 92'250);
    EXPECT_LT(elapsed, 94'000);
}

}  // namespace
}  // namespace hubsync

namespace hubsync {
namespace {

// Alone on the account with a budget equal to HubSpot's: when X-HubSpot-RateLimit-Remaining
// runs low, the client waits only until its own oldest requests leave HubSpot's window, not a
// whole window from the moment it noticed, and HubSpot never counts more than its maximum.
TEST_F(HubSpotApiTest, LowRemainingFromOwnRequestsWaitsOnlyForThemToAgeOut) {
    options_.requests_per_10s = 110;
    std::deque<Instant> server_window;  // arrival times, as HubSpot counts them
    int over_limit = 0;
    transport_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
        clock_.advance(Millis(80));  // each request takes 80 ms to arrive and be answered
        const Instant now = clock_.now();
        while (!server_window.empty() && server_window.front() + Millis(10'000) <= now)
            server_window.pop_front();
        server_window.push_back(now);
        if (server_window.size() > 110) ++over_limit;
        auto r = testing::response(200, kOnePage);
        r.headers.emplace_back("X-HubSpot-RateLimit-Max", "110");
        r.headers.emplace_back("X-HubSpot-RateLimit-Remaining",
                               std::to_string(110 - static_cast<int>(server_window.size())));
        r.headers.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
        return r;
    });
    const Instant start = clock_.now();
    for (int i = 0; i < 250; ++i)
        ASSERT_TRUE(list().ok());
    EXPECT_EQ(over_limit, 0);
    // 250 requests at 80 ms each are 20 s of work; waiting a whole window whenever the
    // remainder ran low would take about 40 s.
    EXPECT_LT(ms_between(start, clock_.now()), 25'000);
}

}  // namespace
}  // namespace hubsync
