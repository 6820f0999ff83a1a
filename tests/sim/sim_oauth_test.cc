// The simulator's OAuth side: consent page driven by a plain HTTP client, token endpoints,
// PKCE, rotation, introspection, revocation, bearer checks and rate limits.
#include <gtest/gtest.h>

#include <Poco/SHA2Engine.h>

#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const std::string kRedirect = "http://localhost:8976/callback";
const char* kToken = "/oauth/2026-03/token";

std::string enc(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        }
    }
    return out;
}

std::string authorize_target(const std::string& extra = "") {
    return "/oauth/authorize?client_id=sim-client-id&scope=" +
           enc("oauth crm.objects.contacts.read") + "&redirect_uri=" + enc(kRedirect) +
           "&state=xyz123" + extra;
}

// Pulls the href of <a id="ID" href="..."> out of the consent page, HTML entities undone.
std::string link(const std::string& html, const std::string& id) {
    const auto at = html.find("id=\"" + id + "\" href=\"");
    if (at == std::string::npos) return {};
    const auto start = at + id.size() + 12;
    std::string href = html.substr(start, html.find('"', start) - start);
    for (std::size_t p; (p = href.find("&amp;")) != std::string::npos;)
        href.replace(p, 5, "&");
    return href;
}

std::string query_value(const std::string& url, const std::string& name) {
    const auto at = url.find(name + "=");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 1;
    return url.substr(start, url.find('&', start) - start);
}

std::string exchange_body(const std::string& code, const std::string& extra = "") {
    return "grant_type=authorization_code&client_id=sim-client-id&client_secret=sim-client-secret&"
           "redirect_uri=" +
           enc(kRedirect) + "&code=" + enc(code) + extra;
}

std::string refresh_body(const std::string& refresh) {
    return "grant_type=refresh_token&client_id=sim-client-id&client_secret=sim-client-secret&"
           "refresh_token=" +
           enc(refresh);
}

TEST(SimOAuth, ConsentPageApproveByFollowingPlainLinks) {
    SimFixture f;
    auto page = http(f.port, "GET", authorize_target());
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
    EXPECT_NE(page.body.find("<form"), std::string::npos);
    const std::string approve = link(page.body, "approve-link");
    ASSERT_FALSE(approve.empty()) << page.body;
    auto redirect = http(f.port, "GET", approve);
    ASSERT_EQ(redirect.status, 302);
    const std::string location = redirect.header("location");
    EXPECT_EQ(location.rfind(kRedirect + "?code=", 0), 0u) << location;
    EXPECT_EQ(query_value(location, "state"), "xyz123");
    const std::string code = query_value(location, "code");
    auto tokens = post_form(f.port, kToken, exchange_body(code));
    ASSERT_EQ(tokens.status, 200) << tokens.body;
    auto j = tokens.json();
    EXPECT_EQ(j->getValue<std::string>("token_type"), "bearer");
    EXPECT_EQ(j->getValue<int>("expires_in"), 1800);
    EXPECT_GT(j->getValue<std::string>("access_token").size(), 200u);
    EXPECT_FALSE(j->getValue<std::string>("refresh_token").empty());
    EXPECT_EQ(j->getValue<std::int64_t>("hub_id"), 62515);
    // The token works against the CRM.
    EXPECT_EQ(
        get(f.port, "/crm/v3/objects/contacts", j->getValue<std::string>("access_token")).status,
        200);
    // Codes are single use.
    auto again = post_form(f.port, kToken, exchange_body(code));
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.json()->getValue<std::string>("status"), "BAD_AUTH_CODE");
    EXPECT_EQ(again.json()->getValue<std::string>("error"), "invalid_grant");
    // The consent request itself is single use too.
    EXPECT_EQ(http(f.port, "GET", approve).status, 400);
}

TEST(SimOAuth, ConsentFormPostApproves) {
    SimFixture f;
    auto page = http(f.port, "GET", authorize_target());
    const auto at = page.body.find("name=\"request\" value=\"");
    ASSERT_NE(at, std::string::npos);
    const std::string id = page.body.substr(at + 22, page.body.find('"', at + 22) - at - 22);
    auto r = post_form(f.port, "/oauth/authorize/decision", "request=" + id + "&decision=approve");
    ASSERT_EQ(r.status, 302);
    EXPECT_FALSE(query_value(r.header("location"), "code").empty());
}

TEST(SimOAuth, DenyRedirectsWithAccessDenied) {
    SimFixture f;
    auto page = http(f.port, "GET", authorize_target());
    auto r = http(f.port, "GET", link(page.body, "deny-link"));
    ASSERT_EQ(r.status, 302);
    const std::string location = r.header("location");
    EXPECT_EQ(query_value(location, "error"), "access_denied");
    EXPECT_EQ(query_value(location, "state"), "xyz123");
    EXPECT_TRUE(query_value(location, "code").empty());
}

TEST(SimOAuth, AutoConsentRedirectsAtOnce) {
    SimOptions o;
    o.auto_consent = true;
    SimFixture f(o);
    auto r = http(f.port, "GET", authorize_target());
    ASSERT_EQ(r.status, 302);
    EXPECT_FALSE(query_value(r.header("location"), "code").empty());
    EXPECT_EQ(query_value(r.header("location"), "state"), "xyz123");
    // The account-pinned authorize path works too.
    auto pinned = http(f.port, "GET", "/oauth/62515/authorize" + authorize_target().substr(16));
    EXPECT_EQ(pinned.status, 302);
}

TEST(SimOAuth, AuthorizeChecksClientRedirectAndScope) {
    SimOptions o;
    o.redirect_uris = {kRedirect};
    SimFixture f(o);
    auto bad_client =
        http(f.port, "GET",
             "/oauth/authorize?client_id=other&scope=oauth&redirect_uri=" + enc(kRedirect));
    EXPECT_EQ(bad_client.status, 400);
    EXPECT_NE(bad_client.body.find("BAD_CLIENT_ID"), std::string::npos);
    auto bad_redirect = http(f.port, "GET",
                             "/oauth/authorize?client_id=sim-client-id&scope=oauth&redirect_uri=" +
                                 enc("http://localhost:8976/other"));
    EXPECT_EQ(bad_redirect.status, 400);
    EXPECT_NE(bad_redirect.body.find("BAD_REDIRECT_URI"), std::string::npos);
    auto no_scope = http(f.port, "GET",
                         "/oauth/authorize?client_id=sim-client-id&redirect_uri=" + enc(kRedirect));
    EXPECT_EQ(no_scope.status, 400);
    auto bad_scope = http(
        f.port, "GET",
        "/oauth/authorize?client_id=sim-client-id&scope=" + enc("oauth crm.objects.deals.read") +
            "&redirect_uri=" + enc(kRedirect));
    EXPECT_EQ(bad_scope.status, 400);
    EXPECT_EQ(http(f.port, "GET", authorize_target()).status, 200);
}

TEST(SimOAuth, UnregisteredListAcceptsOnlyLoopbackHttp) {
    SimFixture f;
    auto ok = [&](const std::string& uri) {
        return http(f.port, "GET",
                    "/oauth/authorize?client_id=sim-client-id&scope=oauth&redirect_uri=" + enc(uri))
                   .status == 200;
    };
    EXPECT_TRUE(ok("http://localhost:8976/callback"));
    EXPECT_TRUE(ok("http://127.0.0.1:1234/cb"));
    EXPECT_FALSE(ok("http://example.com:8976/callback"));
    EXPECT_FALSE(ok("http://localhost.evil.example/cb"));
    EXPECT_FALSE(ok("https://example.com/cb"));
}

TEST(SimOAuth, CodesExpireAfterFiveMinutes) {
    SimFixture f;
    const std::string code = f.sim->issue_code(kRedirect);
    f.clock.advance(std::chrono::minutes(6));
    auto r = post_form(f.port, kToken, exchange_body(code));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()->getValue<std::string>("status"), "BAD_AUTH_CODE");
}

TEST(SimOAuth, RedirectUriMustEqualTheAuthorizeOne) {
    SimFixture f;
    const std::string code = f.sim->issue_code(kRedirect);
    auto r = post_form(f.port, kToken,
                       "grant_type=authorization_code&client_id=sim-client-id&client_secret=sim-"
                       "client-secret&redirect_uri=" +
                           enc("http://localhost:8976/callback/") + "&code=" + code);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "invalid_grant");
}

TEST(SimOAuth, PkceVerifierChecked) {
    SimFixture f;
    const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7636 appendix B: S256 of this verifier.
    const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const std::string code = f.sim->issue_code(kRedirect, challenge);
    auto wrong = post_form(f.port, kToken, exchange_body(code, "&code_verifier=nope"));
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(wrong.json()->getValue<std::string>("error"), "invalid_grant");
    auto missing = post_form(f.port, kToken, exchange_body(code));
    EXPECT_EQ(missing.status, 400);
    auto right = post_form(f.port, kToken, exchange_body(code, "&code_verifier=" + verifier));
    EXPECT_EQ(right.status, 200) << right.body;
    // A challenge given on the authorize URL travels with the code.
    SimOptions o;
    o.auto_consent = true;
    SimFixture g(o);
    auto r = http(g.port, "GET",
                  authorize_target("&code_challenge=" + challenge + "&code_challenge_method=S256"));
    const std::string code2 = query_value(r.header("location"), "code");
    EXPECT_EQ(post_form(g.port, kToken, exchange_body(code2)).status, 400);
    const std::string code3 = query_value(
        http(g.port, "GET",
             authorize_target("&code_challenge=" + challenge + "&code_challenge_method=S256"))
            .header("location"),
        "code");
    EXPECT_EQ(post_form(g.port, kToken, exchange_body(code3, "&code_verifier=" + verifier)).status,
              200);
}

TEST(SimOAuth, CredentialsOnlyInAFormBody) {
    SimFixture f;
    const std::string code = f.sim->issue_code(kRedirect);
    auto in_query = http(f.port, "POST", std::string(kToken) + "?client_secret=sim-client-secret",
                         exchange_body(code), "application/x-www-form-urlencoded");
    EXPECT_EQ(in_query.status, 400);
    EXPECT_EQ(in_query.json()->getValue<std::string>("error"), "invalid_request");
    auto as_json =
        http(f.port, "POST", kToken, R"({"grant_type":"authorization_code"})", "application/json");
    EXPECT_EQ(as_json.status, 400);
    EXPECT_EQ(http(f.port, "GET", kToken).status, 405);
}

TEST(SimOAuth, BadClientAndSecretAndGrant) {
    SimFixture f;
    auto r = post_form(
        f.port, kToken,
        "grant_type=refresh_token&client_id=x&client_secret=sim-client-secret&refresh_token=a");
    EXPECT_EQ(r.json()->getValue<std::string>("status"), "BAD_CLIENT_ID");
    r = post_form(
        f.port, kToken,
        "grant_type=refresh_token&client_id=sim-client-id&client_secret=x&refresh_token=a");
    EXPECT_EQ(r.json()->getValue<std::string>("status"), "BAD_CLIENT_SECRET");
    r = post_form(f.port, kToken,
                  "grant_type=password&client_id=sim-client-id&client_secret=sim-client-secret");
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "unsupported_grant_type");
}

TEST(SimOAuth, RefreshOnEveryTokenPathWithoutRotation) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    for (const char* path : {"/oauth/v1/token", "/oauth/2026-03/token", "/oauth/v3/token"}) {
        auto r = post_form(f.port, path, refresh_body(t.refresh_token));
        ASSERT_EQ(r.status, 200) << path << r.body;
        EXPECT_EQ(r.json()->getValue<std::string>("refresh_token"), t.refresh_token);
        EXPECT_NE(r.json()->getValue<std::string>("access_token"), t.access_token);
    }
    auto bad = post_form(f.port, kToken, refresh_body("na1-unknown"));
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json()->getValue<std::string>("error"), "invalid_grant");
    EXPECT_EQ(bad.json()->getValue<std::string>("status"), "BAD_REFRESH_TOKEN");
}

TEST(SimOAuth, RotationReplacesTheRefreshToken) {
    SimOptions o;
    o.rotate_refresh_tokens = true;
    SimFixture f(o);
    const auto t = f.sim->issue_tokens();
    auto r = post_form(f.port, kToken, refresh_body(t.refresh_token));
    ASSERT_EQ(r.status, 200);
    const std::string next = r.json()->getValue<std::string>("refresh_token");
    EXPECT_NE(next, t.refresh_token);
    EXPECT_EQ(post_form(f.port, kToken, refresh_body(t.refresh_token)).status, 400);
    auto r1 = post_form(f.port, kToken, refresh_body(next));
    ASSERT_EQ(r1.status, 200);
    const std::string third = r1.json()->getValue<std::string>("refresh_token");
    f.sim->set_rotate_refresh_tokens(false);
    auto r2 = post_form(f.port, kToken, refresh_body(third));
    ASSERT_EQ(r2.status, 200) << r2.body;
    EXPECT_EQ(r2.json()->getValue<std::string>("refresh_token"), third);
}

TEST(SimOAuth, RevokeAllRefreshTokens) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    f.sim->revoke_all_refresh_tokens();
    EXPECT_EQ(post_form(f.port, kToken, refresh_body(t.refresh_token))
                  .json()
                  ->getValue<std::string>("status"),
              "BAD_REFRESH_TOKEN");
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", t.access_token).status, 401);
}

TEST(SimOAuth, IntrospectLegacyInfoAndRevoke) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    const std::string creds = "client_id=sim-client-id&client_secret=sim-client-secret&token=";
    auto in = post_form(f.port, "/oauth/2026-03/token/introspect", creds + enc(t.access_token));
    ASSERT_EQ(in.status, 200) << in.body;
    auto j = in.json();
    EXPECT_TRUE(j->getValue<bool>("active"));
    EXPECT_EQ(j->getValue<std::int64_t>("hub_id"), 62515);
    EXPECT_EQ(j->getValue<int>("expires_in"), 1800);
    for (const char* k : {"hub_domain", "scopes", "user", "app_id", "token_use"})
        EXPECT_TRUE(j->has(k)) << k;
    auto legacy = http(f.port, "GET", "/oauth/v1/access-tokens/" + t.access_token);
    ASSERT_EQ(legacy.status, 200);
    EXPECT_EQ(legacy.json()->getValue<std::int64_t>("hub_id"), 62515);
    EXPECT_FALSE(post_form(f.port, "/oauth/2026-03/token/introspect", creds + "nope")
                     .json()
                     ->getValue<bool>("active"));
    // Revoking the refresh token ends it and the access tokens minted from it.
    EXPECT_EQ(post_form(f.port, "/oauth/2026-03/token/revoke", creds + enc(t.refresh_token)).status,
              200);
    EXPECT_EQ(post_form(f.port, kToken, refresh_body(t.refresh_token)).status, 400);
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", t.access_token).status, 401);
    EXPECT_EQ(http(f.port, "GET", "/oauth/v1/access-tokens/" + t.access_token).status, 404);
}

TEST(SimAuth, MissingUnknownAndExpiredTokensGet401) {
    SimFixture f;
    auto none = http(f.port, "GET", "/crm/v3/objects/contacts");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.json()->getValue<std::string>("category"), "INVALID_AUTHENTICATION");
    EXPECT_TRUE(none.json()->has("correlationId"));
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", "garbage").status, 401);
    f.clock.advance(std::chrono::seconds(1799));
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", f.token).status, 200);
    f.clock.advance(std::chrono::seconds(2));
    auto expired = get(f.port, "/crm/v3/objects/contacts", f.token);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(expired.json()->getValue<std::string>("category"), "EXPIRED_AUTHENTICATION");
    EXPECT_NE(expired.json()->getValue<std::string>("message").find("expired"), std::string::npos);
    const auto log = f.sim->requests();
    ASSERT_FALSE(log.empty());
    EXPECT_TRUE(log.back().expired_token);
    EXPECT_EQ(log.back().status, 401);
}

TEST(SimAuth, MissingScopeGets403) {
    SimFixture f;
    const auto t = f.sim->issue_tokens({"oauth"});
    auto r = get(f.port, "/crm/v3/objects/contacts", t.access_token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()->getValue<std::string>("category"), "MISSING_SCOPES");
}

TEST(SimRateLimit, TenSecondlyRollingPerTokenWithHeaders) {
    SimOptions o;
    o.contacts = 10;
    SimFixture f(o);
    for (int i = 0; i < 110; ++i) {
        auto r = get(f.port, "/crm/v3/objects/contacts?limit=1", f.token);
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_EQ(r.header("x-hubspot-ratelimit-remaining"), std::to_string(109 - i));
        EXPECT_EQ(r.header("x-hubspot-ratelimit-max"), "110");
        EXPECT_EQ(r.header("x-hubspot-ratelimit-interval-milliseconds"), "10000");
    }
    auto limited = get(f.port, "/crm/v3/objects/contacts?limit=1", f.token);
    ASSERT_EQ(limited.status, 429);
    EXPECT_EQ(limited.json()->getValue<std::string>("policyName"), "TEN_SECONDLY_ROLLING");
    EXPECT_EQ(limited.json()->getValue<std::string>("errorType"), "RATE_LIMIT");
    // Another token has its own bucket; time frees this one.
    EXPECT_EQ(
        get(f.port, "/crm/v3/objects/contacts?limit=1", f.sim->issue_tokens().access_token).status,
        200);
    f.clock.advance(std::chrono::seconds(10));
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts?limit=1", f.token).status, 200);
}

TEST(SimRateLimit, SearchFivePerSecondNoHeaders) {
    SimOptions o;
    o.contacts = 10;
    SimFixture f(o);
    const std::string body = R"({"filterGroups":[],"limit":1})";
    for (int i = 0; i < 5; ++i) {
        auto r = post_json(f.port, "/crm/v3/objects/contacts/search", body, f.token);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_FALSE(r.has_header("x-hubspot-ratelimit-remaining"));
    }
    auto limited = post_json(f.port, "/crm/v3/objects/contacts/search", body, f.token);
    ASSERT_EQ(limited.status, 429);
    EXPECT_EQ(limited.json()->getValue<std::string>("policyName"), "SECONDLY");
    EXPECT_FALSE(limited.has_header("x-hubspot-ratelimit-remaining"));
    // Search stays outside the ten-second bucket.
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts?limit=1", f.token)
                  .header("x-hubspot-ratelimit-remaining"),
              "109");
    f.clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(post_json(f.port, "/crm/v3/objects/contacts/search", body, f.token).status, 200);
}

TEST(SimRateLimit, OffMeansNoLimitAndNoHeaders) {
    SimOptions o;
    o.contacts = 10;
    o.rate_limits = false;
    SimFixture f(o);
    for (int i = 0; i < 120; ++i)
        ASSERT_EQ(get(f.port, "/crm/v3/objects/contacts?limit=1", f.token).status, 200);
    EXPECT_FALSE(get(f.port, "/crm/v3/objects/contacts?limit=1", f.token)
                     .has_header("x-hubspot-ratelimit-max"));
}

}  // namespace
}  // namespace hubsync::sim::testing
