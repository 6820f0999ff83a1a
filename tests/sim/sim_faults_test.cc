// Fault injection and admin endpoints: each injected failure happens as documented, and the
// /_sim/ endpoints expose ground truth and the request log.
#include <gtest/gtest.h>

#include <Poco/DateTimeParser.h>
#include <Poco/Net/StreamSocket.h>

#include "sim/json_out.h"
#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const char* kList = "/crm/v3/objects/contacts";

SimOptions quiet() {
    SimOptions o;
    o.contacts = 30;
    o.rate_limits = false;
    return o;
}

TEST(SimFaults, FailNextNWithEachServerStatus) {
    SimFixture f(quiet());
    for (int status : {500, 502, 503, 504}) {
        f.sim->add_fault(FaultRule::fail_next(kList, 2, status));
        for (int i = 0; i < 2; ++i) {
            auto r = get(f.port, kList, f.token);
            EXPECT_EQ(r.status, status);
            EXPECT_TRUE(r.json()->has("correlationId"));
        }
        EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    }
    EXPECT_EQ(f.sim->count_status(503), 2);
}

TEST(SimFaults, ServiceUnavailableWithRetryAfter) {
    SimFixture f(quiet());
    FaultRule rule = FaultRule::fail_next(kList, 1, 503);
    rule.retry_after_seconds = 3;
    f.sim->add_fault(rule);
    auto r = get(f.port, kList, f.token);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("retry-after"), "3");
}

// Every retryable status hubspot-api.md lists, with the reason phrase on the status line.
TEST(SimFaults, EveryRetryableStatusWithItsReasonPhrase) {
    SimFixture f(quiet());
    const std::map<int, std::string> statuses = {
        {423, "Locked"},
        {477, "Migration in Progress"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {521, "Web Server Is Down"},
        {522, "Connection Timed Out"},
        {523, "Origin Is Unreachable"},
        {524, "A Timeout Occurred"},
    };
    for (const auto& [status, reason] : statuses) {
        SCOPED_TRACE(status);
        f.sim->add_fault(FaultRule::fail_next(kList, 1, status));
        auto r = get(f.port, kList, f.token);
        EXPECT_EQ(r.status, status);
        EXPECT_EQ(r.reason, reason);
        const auto j = r.json();
        EXPECT_TRUE(j->has("correlationId"));
        EXPECT_FALSE(j->getValue<std::string>("category").empty());
        EXPECT_NE(j->getValue<std::string>("message").find(std::to_string(status)),
                  std::string::npos);
        // The same status as a CDN's HTML page.
        f.sim->add_fault([&] {
            FaultRule html = FaultRule::of_kind(FaultRule::Kind::kHtmlError, kList);
            html.status = status;
            return html;
        }());
        auto page = get(f.port, kList, f.token);
        EXPECT_EQ(page.status, status);
        EXPECT_EQ(page.reason, reason);
        EXPECT_NE(page.body.find(reason), std::string::npos);
        EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    }
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
}

TEST(SimFaults, HttpDateFormat) {
    std::string out;
    append_http_date(out, 784'111'777'000);  // RFC 7231's example
    EXPECT_EQ(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    out.clear();
    append_http_date(out, 1'767'225'599'999);
    EXPECT_EQ(out, "Wed, 31 Dec 2025 23:59:59 GMT");
    out.clear();
    append_http_date(out, 1'709'208'000'000);  // a leap day
    EXPECT_EQ(out, "Thu, 29 Feb 2024 12:00:00 GMT");
}

// Retry-After as seconds and as an HTTP-date from the simulator's clock, on every kind of
// answer that stands in for the real one.
TEST(SimFaults, RetryAfterInSecondsAndAsHttpDate) {
    SimFixture f(quiet());  // the manual clock starts at 2026-01-01T00:00:00.000Z
    auto with = [&](FaultRule rule, int seconds, bool date) {
        rule.retry_after_seconds = seconds;
        rule.retry_after_http_date = date;
        f.sim->add_fault(rule);
        return get(f.port, kList, f.token);
    };
    EXPECT_EQ(with(FaultRule::fail_next(kList, 1, 423), 2, false).header("retry-after"), "2");
    EXPECT_EQ(with(FaultRule::fail_next(kList, 1, 477), 3600, false).header("retry-after"), "3600");
    auto dated = with(FaultRule::fail_next(kList, 1, 477), 3600, true);
    EXPECT_EQ(dated.status, 477);
    EXPECT_EQ(dated.header("retry-after"), "Thu, 01 Jan 2026 01:00:00 GMT");
    int tz = 0;
    const Poco::DateTime parsed = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT,
                                                              dated.header("retry-after"), tz);
    EXPECT_EQ(parsed.timestamp().epochMicroseconds() / 1000,
              to_epoch_ms(f.clock.now()) + 3'600'000);
    // Rounded up to the next whole second: waiting until then is never too early.
    f.clock.advance(std::chrono::milliseconds(1500));
    EXPECT_EQ(with(FaultRule::fail_next(kList, 1, 503), 120, true).header("retry-after"),
              "Thu, 01 Jan 2026 00:02:02 GMT");
    EXPECT_EQ(with(FaultRule::rate_limit_next(kList, 1, 7), 7, true).header("retry-after"),
              "Thu, 01 Jan 2026 00:00:09 GMT");
    auto html = FaultRule::of_kind(FaultRule::Kind::kHtmlError, kList);
    html.status = 521;
    auto page = with(html, 30, false);
    EXPECT_EQ(page.status, 521);
    EXPECT_EQ(page.header("retry-after"), "30");
    EXPECT_FALSE(get(f.port, kList, f.token).has_header("retry-after"));
}

TEST(SimFaults, OnlyMatchingPathsAndMethods) {
    SimFixture f(quiet());
    FaultRule rule = FaultRule::fail_next("/crm/v3/objects/contacts/search", -1, 502);
    rule.method = "POST";
    f.sim->add_fault(rule);
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    EXPECT_EQ(post_json(f.port, "/crm/v3/objects/contacts/search", "{}", f.token).status, 502);
    EXPECT_EQ(post_json(f.port, "/crm/v3/objects/contacts/search", "{}", f.token).status, 502);
    f.sim->clear_faults();
    EXPECT_EQ(post_json(f.port, "/crm/v3/objects/contacts/search", "{}", f.token).status, 200);
}

TEST(SimFaults, FractionHitsRoughlyThatShare) {
    SimFixture f(quiet());
    FaultRule rule = FaultRule::fail_next(kList, -1, 503);
    rule.fraction = 0.3;
    f.sim->add_fault(rule);
    int failed = 0;
    for (int i = 0; i < 200; ++i)
        failed += get(f.port, kList + std::string("?limit=1"), f.token).status == 503;
    EXPECT_GT(failed, 30);
    EXPECT_LT(failed, 90);
}

TEST(SimFaults, RateLimit429WithAndWithoutRetryAfter) {
    SimFixture f(quiet());
    f.sim->add_fault(FaultRule::rate_limit_next(kList, 1, 7));
    auto with = get(f.port, kList, f.token);
    EXPECT_EQ(with.status, 429);
    EXPECT_EQ(with.header("retry-after"), "7");
    EXPECT_EQ(with.json()->getValue<std::string>("policyName"), "TEN_SECONDLY_ROLLING");
    f.sim->add_fault(FaultRule::rate_limit_next(kList, 1, std::nullopt));
    auto without = get(f.port, kList, f.token);
    EXPECT_EQ(without.status, 429);
    EXPECT_FALSE(without.has_header("retry-after"));
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
}

TEST(SimFaults, ConnectionResetMidBody) {
    SimFixture f(quiet());
    f.sim->add_fault(FaultRule::of_kind(FaultRule::Kind::kResetMidBody, kList));
    auto r = get(f.port, kList + std::string("?limit=100"), f.token);
    EXPECT_FALSE(r.error.empty()) << "got a complete body: " << r.body.size();
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
}

TEST(SimFaults, TruncatedAndMalformedJson) {
    SimFixture f(quiet());
    f.sim->add_fault(FaultRule::of_kind(FaultRule::Kind::kTruncatedJson, kList));
    auto truncated = get(f.port, kList, f.token);
    EXPECT_EQ(truncated.status, 200);
    EXPECT_TRUE(truncated.error.empty());  // the HTTP message itself is complete
    EXPECT_ANY_THROW(truncated.json());
    f.sim->add_fault(FaultRule::of_kind(FaultRule::Kind::kMalformedJson, kList));
    auto malformed = get(f.port, kList, f.token);
    EXPECT_EQ(malformed.status, 200);
    EXPECT_ANY_THROW(malformed.json());
    EXPECT_NO_THROW(get(f.port, kList, f.token).json());
}

TEST(SimFaults, HtmlErrorPage) {
    SimFixture f(quiet());
    f.sim->add_fault(FaultRule::of_kind(FaultRule::Kind::kHtmlError, kList));
    auto r = get(f.port, kList, f.token);
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.header("content-type").find("text/html"), std::string::npos);
    EXPECT_NE(r.body.find("<html>"), std::string::npos);
}

TEST(SimFaults, DelayAdvancesTheManualClockNotRealTime) {
    SimFixture f(quiet());
    FaultRule rule = FaultRule::of_kind(FaultRule::Kind::kDelay, kList);
    rule.delay = std::chrono::seconds(45);
    f.sim->add_fault(rule);
    const auto before = f.clock.now();
    const auto real_before = std::chrono::steady_clock::now();
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    EXPECT_GE(f.clock.now() - before, std::chrono::seconds(45));
    EXPECT_LT(std::chrono::steady_clock::now() - real_before, std::chrono::seconds(5));
}

TEST(SimFaults, RealDelayTripsAClientTimeout) {
    SimFixture f(quiet());
    FaultRule rule = FaultRule::of_kind(FaultRule::Kind::kDelay, kList);
    rule.real_delay = std::chrono::milliseconds(400);
    f.sim->add_fault(rule);
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(f.port));
    session.setTimeout(Poco::Timespan(0, 100'000));
    Poco::Net::HTTPRequest req("GET", kList, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + f.token);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    EXPECT_ANY_THROW(session.receiveResponse(resp));
}

TEST(SimFaults, TokenEndpointOutageLeavesAuthorizeAndCrmUp) {
    SimFixture f(quiet());
    f.sim->add_fault(FaultRule::token_endpoint_outage());
    const auto t = f.sim->issue_tokens();
    const std::string body =
        "grant_type=refresh_token&client_id=sim-client-id&client_secret=sim-client-secret&refresh_"
        "token=" +
        t.refresh_token;
    for (const char* p : {"/oauth/v1/token", "/oauth/2026-03/token", "/oauth/v3/token"})
        EXPECT_EQ(post_form(f.port, p, body).status, 503) << p;
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    EXPECT_EQ(http(f.port, "GET",
                   "/oauth/"
                   "authorize?client_id=sim-client-id&scope=oauth&redirect_uri=http%3A%2F%"
                   "2Flocalhost%3A1%2Fcb")
                  .status,
              200);
    f.sim->clear_faults();
    EXPECT_EQ(post_form(f.port, "/oauth/v1/token", body).status, 200);
}

TEST(SimAdmin, FaultsOverHttp) {
    SimFixture f(quiet());
    auto add = http(f.port, "POST", "/_sim/faults",
                    R"({"kind":"status","path_prefix":"/crm/","status":504,"count":1})",
                    "application/json");
    EXPECT_EQ(add.status, 201) << add.body;
    EXPECT_EQ(get(f.port, kList, f.token).status, 504);
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    http(f.port, "POST", "/_sim/faults",
         R"({"kind":"html_error","path_prefix":"/crm/","count":-1})", "application/json");
    EXPECT_EQ(get(f.port, kList, f.token).status, 502);
    EXPECT_EQ(http(f.port, "DELETE", "/_sim/faults").status, 204);
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
    EXPECT_EQ(
        http(f.port, "POST", "/_sim/faults", R"({"kind":"bogus"})", "application/json").status,
        400);
}

TEST(SimAdmin, RetryableFaultsWithRetryAfterOverHttp) {
    SimFixture f(quiet());
    auto add = http(f.port, "POST", "/_sim/faults",
                    R"({"kind":"status","path_prefix":"/crm/","status":477,"count":1,)"
                    R"("retry_after":60,"retry_after_http_date":true})",
                    "application/json");
    ASSERT_EQ(add.status, 201) << add.body;
    auto listed = http(f.port, "GET", "/_sim/faults").json()->getArray("results")->getObject(0);
    EXPECT_EQ(listed->getValue<int>("retry_after"), 60);
    EXPECT_TRUE(listed->getValue<bool>("retry_after_http_date"));
    auto r = get(f.port, kList, f.token);
    EXPECT_EQ(r.status, 477);
    EXPECT_EQ(r.reason, "Migration in Progress");
    EXPECT_EQ(r.header("retry-after"), "Thu, 01 Jan 2026 00:01:00 GMT");
    http(f.port, "POST", "/_sim/faults",
         R"({"kind":"status","path_prefix":"/crm/","status":524,"retry_after":5})",
         "application/json");
    auto seconds = get(f.port, kList, f.token);
    EXPECT_EQ(seconds.status, 524);
    EXPECT_EQ(seconds.header("retry-after"), "5");
    EXPECT_EQ(get(f.port, kList, f.token).status, 200);
}

TEST(SimAdmin, ContactsDumpRequestLogTokensAndMutations) {
    SimFixture f(quiet());
    auto dump = http(f.port, "GET", "/_sim/contacts");
    ASSERT_EQ(dump.status, 200);
    EXPECT_EQ(dump.json()->getValue<int>("total"), 30);
    const std::string first =
        dump.json()->getArray("results")->getObject(0)->getValue<std::string>("id");
    EXPECT_EQ(http(f.port, "POST", "/_sim/contacts/" + first + "/archive").status, 200);
    EXPECT_EQ(http(f.port, "GET", "/_sim/contacts").json()->getValue<int>("total"), 29);
    EXPECT_EQ(http(f.port, "GET", "/_sim/contacts?archived=only").json()->getValue<int>("total"),
              1);
    auto created = http(f.port, "POST", "/_sim/contacts",
                        R"({"properties":{"email":"z@z.example"}})", "application/json");
    EXPECT_EQ(created.status, 201);
    auto tok = http(f.port, "POST", "/_sim/tokens", R"({"scopes":["crm.objects.contacts.read"]})",
                    "application/json");
    ASSERT_EQ(tok.status, 200);
    const std::string access = tok.json()->getValue<std::string>("access_token");
    f.sim->clear_requests();
    EXPECT_EQ(get(f.port, kList + std::string("?limit=2"), access).status, 200);
    auto log = http(f.port, "GET", "/_sim/requests").json()->getArray("results");
    ASSERT_EQ(log->size(), 1u);  // admin calls are not logged
    EXPECT_EQ(log->getObject(0)->getValue<std::string>("path"), kList);
    EXPECT_EQ(log->getObject(0)->getValue<int>("status"), 200);
    EXPECT_EQ(log->getObject(0)->getValue<std::string>("at"), "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(http(f.port, "POST", "/_sim/revoke-refresh-tokens").status, 200);
    EXPECT_EQ(get(f.port, kList, access).status, 401);
}

}  // namespace
}  // namespace hubsync::sim::testing
