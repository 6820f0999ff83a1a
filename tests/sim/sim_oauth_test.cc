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

// ---------------------------------------------------------------- introspect and revoke forms

const std::string kCreds = "client_id=sim-client-id&client_secret=sim-client-secret";

// Every OAuth error carries RFC 6749's fields and HubSpot's legacy ones.
void expect_oauth_error(const Reply& r, int status, const std::string& error,
                        const std::string& hs_status) {
    ASSERT_EQ(r.status, status) << r.body;
    const auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("error"), error) << r.body;
    EXPECT_EQ(j->getValue<std::string>("status"), hs_status) << r.body;
    EXPECT_FALSE(j->getValue<std::string>("error_description").empty());
    EXPECT_FALSE(j->getValue<std::string>("message").empty());
    EXPECT_TRUE(j->has("correlationId"));
}

TEST(SimOAuth, IntrospectAndRevokeFormsCheckTheClient) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    for (const char* call : {"introspect", "revoke"}) {
        SCOPED_TRACE(call);
        const std::string path = std::string(kToken) + "/" + call;
        expect_oauth_error(post_form(f.port, path,
                                     "client_id=other&client_secret=sim-client-secret&token=" +
                                         enc(t.refresh_token)),
                           400, "invalid_client", "BAD_CLIENT_ID");
        expect_oauth_error(
            post_form(f.port, path,
                      "client_id=sim-client-id&client_secret=wrong&token=" + enc(t.refresh_token)),
            400, "invalid_client", "BAD_CLIENT_SECRET");
        expect_oauth_error(post_form(f.port, path, kCreds), 400, "invalid_request", "BAD_REQUEST");
        expect_oauth_error(
            post_form(f.port, path,
                      kCreds + "&token=" + enc(t.refresh_token) + "&token_type_hint=refresh"),
            400, "invalid_request", "BAD_REQUEST");
        expect_oauth_error(http(f.port, "POST", path, R"({"token":"x"})", "application/json"), 400,
                           "invalid_request", "BAD_REQUEST");
        expect_oauth_error(http(f.port, "GET", path), 405, "invalid_request", "BAD_REQUEST");
    }
    // None of the refused revocations took effect.
    EXPECT_EQ(post_form(f.port, kToken, refresh_body(t.refresh_token)).status, 200);
}

TEST(SimOAuth, IntrospectAccessRefreshAndUnknownTokens) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    const std::string path = std::string(kToken) + "/introspect";
    auto access = post_form(
        f.port, path, kCreds + "&token=" + enc(t.access_token) + "&token_type_hint=access_token");
    ASSERT_EQ(access.status, 200) << access.body;
    auto a = access.json();
    EXPECT_TRUE(a->getValue<bool>("active"));
    EXPECT_EQ(a->getValue<std::string>("token_use"), "access_token");
    EXPECT_EQ(a->getValue<int>("expires_in"), 1800);
    EXPECT_EQ(a->getValue<std::int64_t>("hub_id"), 62515);
    for (const char* k : {"hub_domain", "scopes", "user", "app_id"})
        EXPECT_TRUE(a->has(k)) << k;
    EXPECT_EQ(a->getArray("scopes")->getElement<std::string>(1), "crm.objects.contacts.read");
    // A wrong hint only orders the look-up (RFC 7662).
    auto refresh = post_form(
        f.port, path, kCreds + "&token=" + enc(t.refresh_token) + "&token_type_hint=access_token");
    ASSERT_EQ(refresh.status, 200);
    EXPECT_TRUE(refresh.json()->getValue<bool>("active"));
    EXPECT_EQ(refresh.json()->getValue<std::string>("token_use"), "refresh_token");
    EXPECT_EQ(refresh.json()->getValue<std::int64_t>("hub_id"), 62515);
    // Unknown and expired tokens are inactive, not errors.
    auto unknown = post_form(f.port, path, kCreds + "&token=na1-unknown");
    ASSERT_EQ(unknown.status, 200);
    EXPECT_EQ(unknown.body, R"({"active":false})");
    f.clock.advance(std::chrono::seconds(1801));
    EXPECT_FALSE(post_form(f.port, path, kCreds + "&token=" + enc(t.access_token))
                     .json()
                     ->getValue<bool>("active"));
    EXPECT_TRUE(post_form(f.port, path, kCreds + "&token=" + enc(t.refresh_token))
                    .json()
                    ->getValue<bool>("active"));
}

TEST(SimOAuth, RevokedRefreshTokenFailsAfterwardsOnEveryPath) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    const auto other = f.sim->issue_tokens();
    // Unknown tokens revoke quietly (RFC 7009).
    EXPECT_EQ(
        post_form(f.port, std::string(kToken) + "/revoke", kCreds + "&token=na1-unknown").status,
        200);
    auto revoked =
        post_form(f.port, std::string(kToken) + "/revoke",
                  kCreds + "&token=" + enc(t.refresh_token) + "&token_type_hint=refresh_token");
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    for (const char* path :
         {"/oauth/v1/token", "/oauth/v3/token", "/oauth/2026-03/token", "/oauth/2026-09/token"}) {
        expect_oauth_error(post_form(f.port, path, refresh_body(t.refresh_token)), 400,
                           "invalid_grant", "BAD_REFRESH_TOKEN");
    }
    EXPECT_FALSE(post_form(f.port, std::string(kToken) + "/introspect",
                           kCreds + "&token=" + enc(t.refresh_token))
                     .json()
                     ->getValue<bool>("active"));
    EXPECT_EQ(get(f.port, "/crm/objects/2026-09/contacts", t.access_token).status, 401);
    expect_oauth_error(http(f.port, "GET", "/oauth/v1/refresh-tokens/" + t.refresh_token), 404,
                       "invalid_grant", "BAD_REFRESH_TOKEN");
    // Another authorization is untouched.
    EXPECT_EQ(get(f.port, "/crm/objects/2026-09/contacts", other.access_token).status, 200);
}

TEST(SimOAuth, LegacyLookupsAndDelete) {
    SimFixture f;
    const auto t = f.sim->issue_tokens();
    auto access = http(f.port, "GET", "/oauth/v1/access-tokens/" + t.access_token);
    ASSERT_EQ(access.status, 200);
    EXPECT_EQ(access.json()->getValue<std::string>("token_type"), "access");
    EXPECT_EQ(access.json()->getValue<int>("expires_in"), 1800);
    auto refresh = http(f.port, "GET", "/oauth/v1/refresh-tokens/" + t.refresh_token);
    ASSERT_EQ(refresh.status, 200);
    EXPECT_EQ(refresh.json()->getValue<std::string>("token_type"), "refresh");
    EXPECT_EQ(refresh.json()->getValue<std::int64_t>("hub_id"), 62515);
    expect_oauth_error(http(f.port, "PUT", "/oauth/v1/refresh-tokens/" + t.refresh_token), 405,
                       "invalid_request", "BAD_REQUEST");
    EXPECT_EQ(http(f.port, "DELETE", "/oauth/v1/refresh-tokens/" + t.refresh_token).status, 204);
    expect_oauth_error(http(f.port, "GET", "/oauth/v1/refresh-tokens/" + t.refresh_token), 404,
                       "invalid_grant", "BAD_REFRESH_TOKEN");
    expect_oauth_error(http(f.port, "GET", "/oauth/v1/access-tokens/" + t.access_token), 404,
                       "invalid_token", "BAD_ACCESS_TOKEN");
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", t.access_token).status, 401);
}

// ---------------------------------------------------------------- client credentials

TEST(SimOAuth, ClientCredentialsGrantGivesAnAppTokenTheCrmRefuses) {
    SimFixture f;
    for (const char* path : {"/oauth/v1/token", "/oauth/2026-09/token"}) {
        SCOPED_TRACE(path);
        auto r = post_form(f.port, path,
                           "grant_type=client_credentials&" + kCreds + "&scope=" +
                               enc("crm.objects.contacts.read developer.webhooks_journal.read"));
        ASSERT_EQ(r.status, 200) << r.body;
        const auto j = r.json();
        EXPECT_EQ(j->getValue<std::string>("token_type"), "bearer");
        EXPECT_EQ(j->getValue<int>("expires_in"), 1800);
        EXPECT_FALSE(j->has("refresh_token"));
        EXPECT_FALSE(j->has("hub_id"));
        const std::string app = j->getValue<std::string>("access_token");
        EXPECT_FALSE(app.empty());
        // Whatever its scopes, account data is out of its reach.
        auto crm = get(f.port, "/crm/objects/2026-09/contacts", app);
        ASSERT_EQ(crm.status, 403) << crm.body;
        EXPECT_EQ(crm.json()->getValue<std::string>("category"), "MISSING_SCOPES");
        EXPECT_EQ(get(f.port, "/crm/v3/properties/contacts", app).status, 403);
        auto in = post_form(f.port, std::string(kToken) + "/introspect", kCreds + "&token=" + app);
        ASSERT_EQ(in.status, 200);
        EXPECT_TRUE(in.json()->getValue<bool>("active"));
        EXPECT_FALSE(in.json()->has("hub_id"));
        EXPECT_TRUE(in.json()->has("app_id"));
        // Nothing to refresh with.
        expect_oauth_error(post_form(f.port, path, refresh_body("")), 400, "invalid_grant",
                           "BAD_REFRESH_TOKEN");
    }
    expect_oauth_error(
        post_form(f.port, kToken,
                  "grant_type=client_credentials&client_id=sim-client-id&client_secret=nope"),
        400, "invalid_client", "BAD_CLIENT_SECRET");
    // In-process twin; revoking every refresh token leaves app tokens alone.
    const auto app = f.sim->issue_app_token();
    EXPECT_TRUE(app.refresh_token.empty());
    f.sim->revoke_all_refresh_tokens();
    EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", app.access_token).status, 403);
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

TEST(SimRateLimit, TenSecondlyRollingPerAccountWithHeaders) {
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
    // The bucket is the account's: another token (a refreshed one, say) gets no fresh budget.
    EXPECT_EQ(
        get(f.port, "/crm/v3/objects/contacts?limit=1", f.sim->issue_tokens().access_token).status,
        429);
    auto refreshed = post_form(f.port, kToken, refresh_body(f.sim->issue_tokens().refresh_token));
    ASSERT_EQ(refreshed.status, 200);
    EXPECT_EQ(get(f.port, "/crm/objects/2026-09/contacts?limit=1",
                  refreshed.json()->getValue<std::string>("access_token"))
                  .status,
              429);
    // Time frees it.
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
