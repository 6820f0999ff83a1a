// Fault injection and admin endpoints: each injected failure happens as documented, and the
// /_sim/ endpoints expose ground truth and the request log.
#include <gtest/gtest.h>

#include <Poco/Net/StreamSocket.h>

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
