// The token endpoint client: request bodies, the dated paths of introspection and revocation,
// response parsing and error classification from either family of error fields.
#include "oauth/token_client.h"

#include <gtest/gtest.h>

#include "core/redact.h"
#include "fake_hubspot.h"

namespace hubsync {
namespace {

using testing::FakeHubSpot;
using testing::kClientId;
using testing::kClientSecret;
using testing::kOrigin;
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
}

TEST_F(TokenClientTest, IntrospectPostsAFormToTheDatedPath) {
    ASSERT_TRUE(client.introspect("access-tok-1").ok());
    const HttpRequest& sent = hub.requests.back();
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url, std::string(kOrigin) + "/oauth/2026-09/token/introspect");
    EXPECT_NE(sent.content_type.find("application/x-www-form-urlencoded"), std::string::npos);
    const Params form = parse_query(sent.body);
    EXPECT_EQ(param(form, "client_id"), kClientId);
    EXPECT_EQ(param(form, "client_secret"), kClientSecret);
    EXPECT_EQ(param(form, "token"), "access-tok-1");
    EXPECT_EQ(param(form, "token_type_hint"), "access_token");
}

TEST_F(TokenClientTest, RevokePostsAFormToTheDatedPathAndInvalidatesTheRefreshToken) {
    const std::string refresh = hub.issue_refresh_token();
    ASSERT_TRUE(client.revoke(refresh).ok());
    const HttpRequest& sent = hub.requests.back();
    EXPECT_EQ(sent.method, "POST");
    EXPECT_EQ(sent.url, std::string(kOrigin) + "/oauth/2026-09/token/revoke");
    const Params form = parse_query(sent.body);
    EXPECT_EQ(param(form, "client_id"), kClientId);
    EXPECT_EQ(param(form, "client_secret"), kClientSecret);
    EXPECT_EQ(param(form, "token"), refresh);
    EXPECT_EQ(param(form, "token_type_hint"), "refresh_token");
    EXPECT_FALSE(hub.refresh_token_valid(refresh));
    EXPECT_EQ(client.refresh(refresh).error().kind, ErrorKind::kAuthRequired);
}

TEST(TokenClientPaths, TheConfiguredVersionDrivesEveryPath) {
    ManualClock clock;
    FakeHubSpot hub(clock);
    const std::string token_url = std::string(kOrigin) + "/oauth/2026-03/token";
    TokenClient client(hub, {token_url, kClientId, kClientSecret, "2026-03"});
    auto tokens = client.refresh(hub.issue_refresh_token());
    ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
    ASSERT_TRUE(client.introspect(tokens->access_token).ok());
    ASSERT_TRUE(client.revoke(hub.last_issued_refresh).ok());
    ASSERT_EQ(hub.requests.size(), 3u);
    EXPECT_EQ(hub.requests[0].url, token_url);
    EXPECT_EQ(hub.requests[1].url, token_url + "/introspect");
    EXPECT_EQ(hub.requests[2].url, token_url + "/revoke");
}

// A token_url override naming a legacy generation keeps the grants there (HubSpot serves them
// until the end date, and check-config says so), but the token never goes into a URL and
// nothing else goes to /oauth/v1: introspection and revocation use the dated POST endpoints on
// the same host.
TEST(TokenClientPaths, LegacyTokenUrlOverrideNeverIntrospectsOrRevokesOnV1) {
    ManualClock clock;
    FakeHubSpot hub(clock);
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(response(200, R"({"hub_id":1,"scopes":["oauth"]})"));
    });
    TokenClient client(hub, {"https://api.hubapi.com/oauth/v1/token", "c", "s-secret-x"});
    ASSERT_TRUE(client.introspect("tok-abc").ok());
    EXPECT_EQ(hub.requests.back().method, "POST");
    EXPECT_EQ(hub.requests.back().url, "https://api.hubapi.com/oauth/2026-09/token/introspect");
    ASSERT_TRUE(client.revoke("ref-abc").ok());
    EXPECT_EQ(hub.requests.back().method, "POST");
    EXPECT_EQ(hub.requests.back().url, "https://api.hubapi.com/oauth/2026-09/token/revoke");
    for (const HttpRequest& r : hub.requests)
        EXPECT_EQ(r.url.find("tok-abc"), std::string::npos) << r.url;
    (void)client.refresh("ref-abc");
    EXPECT_EQ(hub.requests.back().url, "https://api.hubapi.com/oauth/v1/token");
}

TEST(TokenClientPaths, TheOAuthBaseKeepsAProxyPrefix) {
    EXPECT_EQ(oauth_base_url("https://api.hubapi.com/oauth/2026-09/token"),
              "https://api.hubapi.com");
    EXPECT_EQ(oauth_base_url("http://127.0.0.1:8080/oauth/v1/token"), "http://127.0.0.1:8080");
    EXPECT_EQ(oauth_base_url("https://proxy.example/hubspot/oauth/2026-09/token"),
              "https://proxy.example/hubspot");
    EXPECT_EQ(oauth_base_url("https://auth.example.com/token"), "https://auth.example.com");
    ManualClock clock;
    FakeHubSpot hub(clock);
    const TokenClient client(hub, {"https://proxy.example/hubspot/oauth/2026-09/token", "c", "s"});
    EXPECT_EQ(client.url_of(Endpoint::kOAuthIntrospect),
              "https://proxy.example/hubspot/oauth/2026-09/token/introspect");
    EXPECT_EQ(client.url_of(Endpoint::kOAuthRevoke),
              "https://proxy.example/hubspot/oauth/2026-09/token/revoke");
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

// Every combination of the two error families: both, RFC 6749 only, legacy only, neither;
// each decides the kind alone, and HubSpot's words come from whichever field is there.
TEST(TokenErrors, EitherFamilyOfFieldsAloneDecidesTheKind) {
    struct Case {
        const char* name;
        int status;
        std::string body;
        ErrorKind kind;
        std::string in_message;  // HubSpot's words as shown
        std::string in_hint;
    };
    const std::string authorize = "hubsync authorize";
    const std::string redirect = "redirect_uri";
    const std::string client_hint = "client_id and client_secret_file";
    const std::vector<Case> cases = {
        {"refresh: both families", 400,
         R"({"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"})",
         ErrorKind::kAuthRequired, "refresh token is invalid, expired or revoked", authorize},
        {"refresh: RFC only", 400,
         R"({"error":"invalid_grant","error_description":"refresh token is invalid"})",
         ErrorKind::kAuthRequired, "refresh token is invalid", authorize},
        {"refresh: RFC error alone", 400, R"({"error":"invalid_grant"})", ErrorKind::kAuthRequired,
         "invalid_grant", authorize},
        {"refresh: legacy only", 400,
         R"({"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"})",
         ErrorKind::kAuthRequired, "missing or unknown refresh token", authorize},
        {"refresh: legacy status alone", 400, R"({"status":"BAD_REFRESH_TOKEN"})",
         ErrorKind::kAuthRequired, "BAD_REFRESH_TOKEN", authorize},
        {"code: both families", 400,
         R"({"error":"invalid_grant","error_description":"auth code not found","status":"BAD_AUTH_CODE","message":"auth code not found"})",
         ErrorKind::kAuthRequired, "auth code not found", authorize},
        {"code: legacy only", 400, R"({"status":"BAD_AUTH_CODE","message":"code expired"})",
         ErrorKind::kAuthRequired, "code expired", authorize},
        {"code: legacy expired", 400, R"({"status":"EXPIRED_AUTH_CODE"})", ErrorKind::kAuthRequired,
         "EXPIRED_AUTH_CODE", authorize},
        {"redirect: both families", 400, R"({"error":"invalid_grant","status":"BAD_REDIRECT_URI"})",
         ErrorKind::kConfig, "BAD_REDIRECT_URI", redirect},
        {"redirect: legacy only", 400, R"({"status":"BAD_REDIRECT_URI","message":"mismatch"})",
         ErrorKind::kConfig, "mismatch", redirect},
        {"redirect: RFC only", 400, R"({"error":"redirect_uri_mismatch"})", ErrorKind::kConfig,
         "redirect_uri_mismatch", redirect},
        {"client: both families", 400,
         R"({"error":"invalid_client","status":"BAD_CLIENT_ID","message":"missing or unknown client id"})",
         ErrorKind::kConfig, "missing or unknown client id", client_hint},
        {"client: RFC only", 400,
         R"({"error":"invalid_client","error_description":"client authentication failed"})",
         ErrorKind::kConfig, "client authentication failed", client_hint},
        {"client: RFC unauthorized_client", 400, R"({"error":"unauthorized_client"})",
         ErrorKind::kConfig, "unauthorized_client", client_hint},
        {"client: legacy only", 400, R"({"status":"BAD_CLIENT_SECRET"})", ErrorKind::kConfig,
         "BAD_CLIENT_SECRET", client_hint},
        {"client: 401 without a body", 401, "", ErrorKind::kConfig, "HTTP 401", client_hint},
        {"missing endpoint", 404, R"({"status":"error","message":"not found"})", ErrorKind::kConfig,
         "not found", "check api_base_url, api_version and token_url"},
        {"missing endpoint, but the body says why", 404, R"({"error":"invalid_grant"})",
         ErrorKind::kAuthRequired, "invalid_grant", authorize},
        {"transient: RFC only", 400, R"({"error":"temporarily_unavailable"})",
         ErrorKind::kTransient, "temporarily_unavailable", "retrying later"},
        {"neither: description only", 400, R"({"error_description":"something odd"})",
         ErrorKind::kBadData, "something odd", "token_url"},
        {"neither: legacy message only", 400, R"({"status":"error","message":"something odd"})",
         ErrorKind::kBadData, "something odd", "token_url"},
        {"neither: empty object", 400, "{}", ErrorKind::kBadData, "HTTP 400", "token_url"},
        {"neither: null fields", 400,
         R"({"error":null,"error_description":null,"status":null,"message":null})",
         ErrorKind::kBadData, "HTTP 400", "token_url"},
        {"neither: error is an object", 400, R"({"error":{"code":"invalid_grant"}})",
         ErrorKind::kBadData, "HTTP 400", "token_url"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const Error e = classify_token_error(response(c.status, c.body), "refreshing");
        EXPECT_EQ(e.kind, c.kind) << e.describe();
        EXPECT_NE(e.message.find(c.in_message), std::string::npos) << e.message;
        EXPECT_NE(e.hint.find(c.in_hint), std::string::npos) << e.hint;
    }
}

// A token HubSpot no longer knows counts as revoked, by either family of fields; a 404 does
// not (the dated endpoint answers 200 for unknown tokens, so a 404 means a missing endpoint).
TEST(TokenErrors, RevokeTreatsInvalidGrantAsDoneButNot404) {
    for (const std::string body :
         {R"({"error":"invalid_grant"})", R"({"status":"BAD_REFRESH_TOKEN"})"}) {
        SCOPED_TRACE(body);
        ManualClock clock;
        FakeHubSpot hub(clock);
        hub.set_fault([body](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return Result<HttpResponse>(response(400, body));
        });
        TokenClient client(hub, {kTokenUrl, kClientId, kClientSecret});
        EXPECT_TRUE(client.revoke("refresh-gone").ok());
    }
    ManualClock clock;
    FakeHubSpot hub(clock);
    TokenClient elsewhere(hub, {"http://other.test/oauth/2026-09/token", kClientId, kClientSecret});
    const Status missing = elsewhere.revoke("refresh-1");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("HTTP 404"), std::string::npos);
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

TEST(TokenUrl, DefaultsToTheDatedEndpointOfTheConfiguredVersion) {
    EXPECT_EQ(effective_token_url("", "https://api.hubapi.com/", "2026-09"),
              "https://api.hubapi.com/oauth/2026-09/token");
    EXPECT_EQ(effective_token_url("", "https://api.hubapi.com", "2026-03"),
              "https://api.hubapi.com/oauth/2026-03/token");
    EXPECT_EQ(effective_token_url("", "https://api.hubapi.com", std::string(default_api_version())),
              "https://api.hubapi.com" + endpoint_path(Endpoint::kOAuthToken, "2026-09"));
    EXPECT_EQ(
        effective_token_url("https://x.test/oauth/v1/token", "https://api.hubapi.com", "2026-09"),
        "https://x.test/oauth/v1/token");
}

}  // namespace
}  // namespace hubsync
