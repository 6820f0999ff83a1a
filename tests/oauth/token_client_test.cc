// The token endpoint client: request bodies, response parsing and error classification.
#include "oauth/token_client.h"

#include <gtest/gtest.h>

#include "core/redact.h"
#include "fake_hubspot.h"

namespace hubsync {
namespace {

using testing::FakeHubSpot;
using testing::kClientId;
using testing::kClientSecret;
using testing::kTokenUrl;

HttpResponse response(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

class TokenClientTest : public ::testing::Test {
  protected:
    ManualClock clock;
    FakeHubSpot hub{clock};
    TokenClient client{hub, {kTokenUrl, kClientId, kClientSecret}};
};

TEST_F(TokenClientTest, ExchangeSendsFormBodyWithCredentialsAndVerifier) {
    const std::string code = hub.issue_code("http://localhost:8976/callback");
    auto tokens = client.exchange_code(code, "http://localhost:8976/callback", "verifier-123");
    ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
    EXPECT_FALSE(tokens->access_token.empty());
    EXPECT_FALSE(tokens->refresh_token.empty());
    EXPECT_EQ(tokens->expires_in, std::chrono::seconds(1800));
    const HttpRequest& sent = hub.requests.back();
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url, kTokenUrl);  // credentials in the body, never the query
    EXPECT_NE(sent.content_type.find("application/x-www-form-urlencoded"), std::string::npos);
    const Params form = parse_query(sent.body);
    EXPECT_EQ(param(form, "grant_type"), "authorization_code");
    EXPECT_EQ(param(form, "client_id"), kClientId);
    EXPECT_EQ(param(form, "client_secret"), kClientSecret);
    EXPECT_EQ(param(form, "redirect_uri"), "http://localhost:8976/callback");
    EXPECT_EQ(param(form, "code"), code);
    EXPECT_EQ(param(form, "code_verifier"), "verifier-123");
}

TEST_F(TokenClientTest, ReusedCodeIsAuthRequiredWithAClearHint) {
    const std::string code = hub.issue_code("http://localhost:8976/callback");
    ASSERT_TRUE(client.exchange_code(code, "http://localhost:8976/callback", "v").ok());
    auto again = client.exchange_code(code, "http://localhost:8976/callback", "v");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(again.error().message.find("BAD_AUTH_CODE"), std::string::npos);
    EXPECT_NE(again.error().hint.find("hubsync authorize"), std::string::npos);
}

TEST_F(TokenClientTest, RefreshSendsRefreshGrant) {
    const std::string refresh = hub.issue_refresh_token();
    auto tokens = client.refresh(refresh);
    ASSERT_TRUE(tokens.ok());
    const Params form = parse_query(hub.requests.back().body);
    EXPECT_EQ(param(form, "grant_type"), "refresh_token");
    EXPECT_EQ(param(form, "refresh_token"), refresh);
    EXPECT_EQ(param(form, "client_secret"), kClientSecret);
}

TEST_F(TokenClientTest, IntrospectReturnsHubAndScopes) {
    const std::string refresh = hub.issue_refresh_token();
    auto tokens = client.refresh(refresh);
    ASSERT_TRUE(tokens.ok());
    auto info = client.introspect(tokens->access_token);
    ASSERT_TRUE(info.ok()) << info.error().describe();
    EXPECT_TRUE(info->active);
    EXPECT_EQ(info->hub_id, 4242);
    EXPECT_EQ(info->hub_domain, "demo.hubspot.test");
    EXPECT_EQ(info->scopes, (std::vector<std::string>{"oauth", "crm.objects.contacts.read"}));
    EXPECT_EQ(hub.requests.back().url, std::string(kTokenUrl) + "/introspect");
    EXPECT_EQ(param(parse_query(hub.requests.back().body), "token"), tokens->access_token);
}

TEST_F(TokenClientTest, RevokeInvalidatesTheRefreshToken) {
    const std::string refresh = hub.issue_refresh_token();
    ASSERT_TRUE(client.revoke(refresh).ok());
    EXPECT_EQ(hub.requests.back().url, std::string(kTokenUrl) + "/revoke");
    EXPECT_FALSE(hub.refresh_token_valid(refresh));
    EXPECT_EQ(client.refresh(refresh).error().kind, ErrorKind::kAuthRequired);
}

TEST(TokenErrors, ClassifiesHubSpotBodies) {
    const std::string what = "refreshing";
    EXPECT_EQ(
        classify_token_error(
            response(
                400,
                R"({"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN","message":"x"})"),
            what)
            .kind,
        ErrorKind::kAuthRequired);
    // Every field is optional: only the legacy status.
    EXPECT_EQ(classify_token_error(response(400, R"({"status":"BAD_REFRESH_TOKEN"})"), what).kind,
              ErrorKind::kAuthRequired);
    EXPECT_EQ(classify_token_error(response(400, R"({"status":"BAD_AUTH_CODE"})"), what).kind,
              ErrorKind::kAuthRequired);
    EXPECT_EQ(classify_token_error(response(400, R"({"error":"invalid_grant"})"), what).kind,
              ErrorKind::kAuthRequired);
    EXPECT_EQ(classify_token_error(response(400, R"({"error":"invalid_client"})"), what).kind,
              ErrorKind::kConfig);
    EXPECT_EQ(classify_token_error(response(401, ""), what).kind, ErrorKind::kConfig);
    EXPECT_EQ(classify_token_error(response(503, "<html>down</html>"), what).kind,
              ErrorKind::kTransient);
    EXPECT_EQ(classify_token_error(response(502, ""), what).kind, ErrorKind::kTransient);
    EXPECT_EQ(
        classify_token_error(
            response(
                429,
                R"({"status":"error","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})"),
            what)
            .kind,
        ErrorKind::kRateLimited);
    EXPECT_EQ(classify_token_error(response(400, "not json"), what).kind, ErrorKind::kBadData);
    EXPECT_EQ(classify_token_error(response(400, "[1,2]"), what).kind, ErrorKind::kBadData);
    EXPECT_EQ(classify_token_error(response(400, R"({"error":null,"status":7})"), what).kind,
              ErrorKind::kBadData);
}

TEST(TokenErrors, MessageNamesStatusAndCorrelationButNoSecrets) {
    add_secret("refresh-SECRET-value");
    const Error e = classify_token_error(
        response(
            400,
            R"({"error":"invalid_grant","message":"bad token refresh-SECRET-value","correlationId":"c0ffee"})"),
        "refreshing the access token");
    EXPECT_NE(e.message.find("HTTP 400"), std::string::npos);
    EXPECT_NE(e.message.find("invalid_grant"), std::string::npos);
    EXPECT_NE(e.message.find("c0ffee"), std::string::npos);
    EXPECT_EQ(e.message.find("refresh-SECRET-value"), std::string::npos);
}

TEST_F(TokenClientTest, NetworkFailuresStayTransient) {
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(make_error(ErrorKind::kTransient, "connection refused"));
    });
    auto r = client.refresh("whatever-token");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
}

TEST_F(TokenClientTest, SuccessWithoutAccessTokenIsBadData) {
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(response(200, R"({"token_type":"bearer"})"));
    });
    EXPECT_EQ(client.refresh("whatever-token").error().kind, ErrorKind::kBadData);
}

TEST(TokenClientV1, LegacyEndpointUsesV1IntrospectionAndRevocationPaths) {
    ManualClock clock;
    FakeHubSpot hub(clock);
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(response(200, R"({"hub_id":1,"scopes":["oauth"]})"));
    });
    TokenClient client(hub, {"https://api.hubapi.com/oauth/v1/token", "c", "s-secret-x"});
    ASSERT_TRUE(client.introspect("tok-abc").ok());
    EXPECT_EQ(hub.requests.back().method, "GET");
    EXPECT_EQ(hub.requests.back().url, "https://api.hubapi.com/oauth/v1/access-tokens/tok-abc");
    ASSERT_TRUE(client.revoke("ref-abc").ok());
    EXPECT_EQ(hub.requests.back().method, "DELETE");
    EXPECT_EQ(hub.requests.back().url, "https://api.hubapi.com/oauth/v1/refresh-tokens/ref-abc");
}

TEST(TokenUrl, DefaultsToTheDatedEndpoint) {
    EXPECT_EQ(effective_token_url("", "https://api.hubapi.com/"),
              "https://api.hubapi.com/oauth/2026-03/token");
    EXPECT_EQ(effective_token_url("https://x.test/oauth/v1/token", "https://api.hubapi.com"),
              "https://x.test/oauth/v1/token");
}

}  // namespace
}  // namespace hubsync
