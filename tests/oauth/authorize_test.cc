// `hubsync authorize`, `revoke` and `status` end to end against the fake token endpoint, with a
// real HTTP client playing the browser against the loopback listener.
#include "oauth/authorize.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_hubspot.h"
#include "oauth/token_store.h"
#include "support/token_manager.h"
#include "test_util.h"

namespace hubsync {
namespace {

using namespace std::chrono_literals;
using testing::FakeHubSpot;
using testing::file_mode;
using testing::kClientId;
using testing::kClientSecret;
using testing::kOrigin;
using testing::kTokenUrl;
using testing::LogCapture;
using testing::TempDir;

int browser_get(const std::string& url_text, std::string* body = nullptr) {
    auto url = parse_url(url_text);
    EXPECT_TRUE(url.ok());
    Poco::Net::HTTPClientSession session(url->host, static_cast<Poco::UInt16>(url->port));
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, url->path_and_query(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    if (body) *body = text;
    return static_cast<int>(response.getStatus());
}

class AuthorizeTest : public ::testing::Test {
  protected:
    AuthorizeTest() {
        config.hubspot.client_id = kClientId;
        config.hubspot.client_secret = kClientSecret;
        config.hubspot.authorize_url = "http://hubspot.test/oauth/authorize";
        config.hubspot.token_url = kTokenUrl;
        config.hubspot.redirect_uri = "http://127.0.0.1:8976/callback";
        config.sync.state_dir = dir.file("state");
        options.listen_on_any_port = true;
        options.timeout = 5s;
    }

    // The consent page: HubSpot hands out a code for the URL's redirect_uri and PKCE challenge.
    // `tamper` may change what the browser is sent back with.
    std::function<void(const std::string&)> browser(std::function<void(Params&)> tamper = {}) {
        return [this, tamper](const std::string& authorize_url) {
            auto url = parse_url(authorize_url);
            ASSERT_TRUE(url.ok());
            const Params q = parse_query(url->query);
            Params back = {
                {"code", hub.issue_code(param(q, "redirect_uri"), param(q, "code_challenge"))},
                {"state", param(q, "state")}};
            if (tamper) tamper(back);
            browser_status =
                browser_get(param(q, "redirect_uri") + "?" + encode_query(back), &browser_page);
        };
    }

    Result<AuthorizeOutcome> authorize(std::function<void(const std::string&)> open_url) {
        AuthorizeIo io{out, in, std::move(open_url)};
        return run_authorize(config, hub, io, clock, options);
    }

    bool store_exists() const {
        return std::filesystem::exists(token_store_dir(config) + "/tokens.json");
    }

    TempDir dir;
    ManualClock clock;
    FakeHubSpot hub{clock};
    Config config;
    AuthorizeOptions options;
    std::ostringstream out;
    std::stringstream in;
    int browser_status = 0;
    std::string browser_page;
};

TEST_F(AuthorizeTest, FullConsentFlowThroughTheListenerStoresTokens) {
    LogCapture logs;
    auto outcome = authorize(browser());
    ASSERT_TRUE(outcome.ok()) << outcome.error().describe() << "\n" << out.str();
    EXPECT_EQ(browser_status, 200);
    EXPECT_NE(browser_page.find("authorized"), std::string::npos);
    EXPECT_EQ(outcome->hub_id, 4242);
    EXPECT_EQ(outcome->hub_domain, "demo.hubspot.test");
    EXPECT_TRUE(outcome->missing_scopes.empty());
    EXPECT_EQ(outcome->access_expires_at, clock.now() + 30min);

    auto stored = TokenStore(token_store_dir(config)).load();
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->hub_id, 4242);
    EXPECT_EQ((*stored)->refresh_token, hub.last_issued_refresh);
    EXPECT_EQ((*stored)->state, StoredTokens::State::kOk);
    EXPECT_EQ(file_mode(token_store_dir(config)), 0700);
    EXPECT_EQ(file_mode(token_store_dir(config) + "/tokens.json"), 0600);

    // The exchange repeated the redirect_uri and carried the PKCE verifier (the fake checks it).
    EXPECT_EQ(hub.count("authorization_code"), 1);
    const std::string text = out.str();
    EXPECT_NE(text.find("http://hubspot.test/oauth/authorize?client_id="), std::string::npos);
    EXPECT_NE(text.find("Authorized hub 4242"), std::string::npos);
    EXPECT_NE(text.find("hubsync sync"), std::string::npos);
    EXPECT_EQ(text.find("WARNING"), std::string::npos);

    // No code, token or secret in any log line or in the terminal output.
    const std::string all = logs.all();
    EXPECT_EQ(all.find(kClientSecret), std::string::npos);
    EXPECT_EQ(text.find(kClientSecret), std::string::npos);
    for (const auto& secret : hub.issued) {
        EXPECT_EQ(all.find(secret), std::string::npos) << secret;
        EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    }
}

TEST_F(AuthorizeTest, WarnsWhenContactsScopeIsNotGranted) {
    hub.granted_scopes = {"oauth"};
    auto outcome = authorize(browser());
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->missing_scopes, std::vector<std::string>{"crm.objects.contacts.read"});
    EXPECT_NE(out.str().find("WARNING: the scope crm.objects.contacts.read was not granted"),
              std::string::npos);
}

TEST_F(AuthorizeTest, StateMismatchStoresNothing) {
    auto outcome = authorize(browser([](Params& p) { p[1].second = "forged-state"; }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(outcome.error().message.find("state"), std::string::npos);
    EXPECT_EQ(browser_status, 400);
    EXPECT_EQ(hub.count("authorization_code"), 0);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, DeniedConsentStoresNothing) {
    auto outcome = authorize(browser([](Params& p) { p[0] = {"error", "access_denied"}; }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().describe().find("access_denied"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, ReusedCodeStoresNothing) {
    auto outcome = authorize(browser([this](Params& p) {
        TokenClient client(hub, {kTokenUrl, kClientId, kClientSecret});
        (void)client.exchange_code(p[0].second, "http://127.0.0.1/elsewhere", "");  // burns it
    }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(outcome.error().describe().find("hubsync authorize"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, ExpiredCodeStoresNothing) {
    auto outcome = authorize(browser([this](Params&) { clock.advance(10min); }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, CodeIssuedForAnotherRedirectUriStoresNothing) {
    auto outcome = authorize([this](const std::string& authorize_url) {
        const Params q = parse_query(parse_url(authorize_url)->query);
        const Params back = {{"code", hub.issue_code("http://localhost:9999/other")},
                             {"state", param(q, "state")}};
        browser_get(param(q, "redirect_uri") + "?" + encode_query(back));
    });
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, TimeoutStoresNothing) {
    options.timeout = 200ms;
    auto outcome = authorize({});
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().message.find("no redirect arrived"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, PasteModeReadsTheRedirectUrl) {
    options.paste = true;
    options.listen_on_any_port = false;
    config.hubspot.redirect_uri =
        "https://hubsync.example.com/oauth/callback";  // no listener possible
    auto outcome = authorize([this](const std::string& authorize_url) {
        const Params q = parse_query(parse_url(authorize_url)->query);
        EXPECT_EQ(param(q, "redirect_uri"), config.hubspot.redirect_uri);
        const Params back = {
            {"code", hub.issue_code(param(q, "redirect_uri"), param(q, "code_challenge"))},
            {"state", param(q, "state")}};
        in << "\n" << config.hubspot.redirect_uri << "?" << encode_query(back) << "\n";
    });
    ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
    EXPECT_EQ(outcome->hub_id, 4242);
    EXPECT_NE(out.str().find("paste it here"), std::string::npos);
    EXPECT_TRUE(store_exists());
}

TEST_F(AuthorizeTest, PasteModeRefusesAWrongState) {
    options.paste = true;
    auto outcome = authorize([this](const std::string&) {
        in << config.hubspot.redirect_uri << "?code=abc&state=not-this-one\n";
    });
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_FALSE(store_exists());
}

TEST_F(AuthorizeTest, StaticTokenModeNeedsNoAuthorization) {
    const std::string file = dir.file("service_key");
    {
        std::ofstream key(file);
        key << "pat-na1-xxxx-yyyy\n";
    }
    config.hubspot.access_token = "pat-na1-xxxx-yyyy";
    config.hubspot.access_token_file = file;
    auto outcome = authorize({});
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kUsage);
    EXPECT_NE(outcome.error().message.find(file), std::string::npos);
    auto status = read_token_status(config, clock);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->mode, TokenStatus::Mode::kStaticToken);
    EXPECT_STREQ(to_string(status->mode), "access_token");
    EXPECT_EQ(status->access_token_file, file);
    EXPECT_TRUE(status->authorized);
    std::ostringstream revoke_out;
    const Status revoked = revoke(config, hub, revoke_out);
    ASSERT_FALSE(revoked.ok());
    EXPECT_NE(revoked.error().hint.find("Service keys"), std::string::npos);
    EXPECT_TRUE(hub.requests.empty());
}

// The default configuration (no token_url, default api_version) sends nothing to the legacy
// generations: every OAuth request of authorize, refresh and revoke uses the dated paths.
TEST_F(AuthorizeTest, TheDefaultConfigurationOnlyUsesDatedOAuthPaths) {
    config.hubspot.token_url.clear();
    config.hubspot.api_base_url = kOrigin;
    ASSERT_EQ(config.hubspot.api_version, default_api_version());
    ASSERT_TRUE(authorize(browser()).ok()) << out.str();
    auto manager = testing::token_manager_for(config, hub, clock);
    ASSERT_TRUE(manager->refresh_now().ok());
    std::ostringstream revoke_out;
    ASSERT_TRUE(revoke(config, hub, revoke_out).ok());
    ASSERT_GE(hub.requests.size(), 4u);  // exchange, introspect, refresh, revoke
    const std::string dated = std::string(kOrigin) + "/oauth/2026-09/token";
    for (const HttpRequest& r : hub.requests) {
        EXPECT_EQ(r.method, "POST") << r.url;
        EXPECT_EQ(r.url.rfind(dated, 0), 0u) << r.url;
        EXPECT_EQ(r.url.find("/oauth/v1/"), std::string::npos) << r.url;
        EXPECT_EQ(r.url.find("/oauth/v3/"), std::string::npos) << r.url;
    }
    EXPECT_EQ(hub.requests.back().url, dated + "/revoke");
}

TEST_F(AuthorizeTest, SensitivePropertiesAskForTheSensitiveScopesAsOptional) {
    config.sync.owners = false;  // the owners scope is the next test's
    config.sync.objects = {"contacts", "deals", "tickets"};
    config.sync.sensitive_properties = true;
    std::string authorize_url;
    auto send_browser = browser();
    auto outcome = authorize([&](const std::string& url) {
        authorize_url = url;
        send_browser(url);
    });
    ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
    const Params q = parse_query(parse_url(authorize_url)->query);
    // The mirrored types' read scopes are required, their sensitive scopes optional.
    EXPECT_EQ(param(q, "scope"), "oauth crm.objects.contacts.read crm.objects.deals.read tickets");
    EXPECT_EQ(param(q, "optional_scope"),
              "crm.objects.contacts.sensitive.read.v2 crm.objects.deals.sensitive.read.v2");
    // The fake grants neither: the admin learns what that means, and nothing is "missing".
    EXPECT_EQ(outcome->missing_optional_scopes,
              (std::vector<std::string>{"crm.objects.contacts.sensitive.read.v2",
                                        "crm.objects.deals.sensitive.read.v2"}));
    EXPECT_NE(out.str().find("or sensitive properties they read are not mirrored"),
              std::string::npos)
        << out.str();
}

TEST_F(AuthorizeTest, WithoutSensitivePropertiesNoOptionalScopeIsSent) {
    config.sync.owners = false;
    std::string authorize_url;
    auto send_browser = browser();
    ASSERT_TRUE(authorize([&](const std::string& url) {
                    authorize_url = url;
                    send_browser(url);
                }).ok());
    EXPECT_EQ(authorize_url.find("optional_scope"), std::string::npos) << authorize_url;
    EXPECT_EQ(out.str().find("optional scopes"), std::string::npos);
}

using Scopes = std::vector<std::string>;

TEST(RequestedScopes, SensitiveScopesFollowTheMirroredTypes) {
    Config config;
    config.sync.owners = false;
    EXPECT_TRUE(requested_scopes(config).optional.empty());  // the key is off by default
    config.sync.sensitive_properties = true;
    EXPECT_EQ(requested_scopes(config).optional, Scopes{"crm.objects.contacts.sensitive.read.v2"});
    config.sync.objects = {"contacts", "companies", "tickets"};
    EXPECT_EQ(requested_scopes(config).optional,
              (Scopes{"crm.objects.contacts.sensitive.read.v2",
                      "crm.objects.companies.sensitive.read.v2"}));
    // Tickets have no sensitive scope; one already required is not asked for again.
    config.sync.objects = {"contacts", "tickets"};
    config.hubspot.scopes =
        "oauth crm.objects.contacts.read crm.objects.contacts.sensitive.read.v2";
    EXPECT_TRUE(requested_scopes(config).optional.empty());
}

TEST(RequestedScopes, EveryNamedObjectTypeAddsItsReadScope) {
    Config config;  // scopes = oauth crm.objects.contacts.read, objects = contacts
    config.sync.owners = false;
    EXPECT_EQ(requested_scopes(config).required, (Scopes{"oauth", "crm.objects.contacts.read"}));
    config.sync.objects = {"contacts", "companies", "deals", "tickets", "pets"};
    EXPECT_EQ(requested_scopes(config).required,
              (Scopes{"oauth", "crm.objects.contacts.read", "crm.objects.companies.read",
                      "crm.objects.deals.read", "tickets", "crm.objects.custom.read",
                      "crm.schemas.custom.read"}));
    EXPECT_TRUE(requested_scopes(config).optional.empty());
}

TEST(RequestedScopes, OwnersAreAskedForAsOptionalWhileMirrored) {
    Config config;  // owners = true by default
    EXPECT_EQ(requested_scopes(config).optional, Scopes{"crm.objects.owners.read"});
    config.hubspot.scopes = "oauth crm.objects.contacts.read crm.objects.owners.read";
    EXPECT_TRUE(requested_scopes(config).optional.empty());  // already required
    config.hubspot.scopes = "oauth crm.objects.contacts.read";
    config.sync.owners = false;
    EXPECT_TRUE(requested_scopes(config).optional.empty());
}

TEST(RequestedScopes, EveryTypeAsksForTheRestAsOptional) {
    Config config;
    config.sync.owners = false;
    config.sync.objects = {"*"};
    const ScopeRequest s = requested_scopes(config);
    EXPECT_EQ(s.required, (Scopes{"oauth", "crm.objects.contacts.read"}));
    EXPECT_EQ(s.optional, (Scopes{"crm.objects.companies.read", "crm.objects.deals.read", "tickets",
                                  "crm.objects.custom.read", "crm.schemas.custom.read"}));
}

TEST_F(AuthorizeTest, StatusShowsTheAuthorizationWithoutSecrets) {
    auto before = read_token_status(config, clock);
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->state, TokenStatus::State::kNotAuthorized);
    EXPECT_FALSE(before->authorized);

    ASSERT_TRUE(authorize(browser()).ok());
    auto status = read_token_status(config, clock);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, TokenStatus::State::kOk);
    EXPECT_TRUE(status->authorized);
    EXPECT_EQ(status->hub_id, 4242);
    EXPECT_EQ(status->access_expires_at, clock.now() + 30min);
    EXPECT_TRUE(status->access_token_valid);
    EXPECT_EQ(status->scopes, (std::vector<std::string>{"oauth", "crm.objects.contacts.read"}));

    // After HubSpot refuses the refresh token, status says so.
    hub.revoke_all_refresh_tokens();
    auto manager = testing::token_manager_for(config, hub, clock);
    EXPECT_EQ(manager->refresh_now().error().kind, ErrorKind::kAuthRequired);
    status = read_token_status(config, clock);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, TokenStatus::State::kAuthRequired);
    EXPECT_FALSE(status->authorized);
    EXPECT_NE(status->auth_required_reason.find("BAD_REFRESH_TOKEN"), std::string::npos);
    EXPECT_STREQ(to_string(status->state), "authorization-required");
}

TEST_F(AuthorizeTest, RevokeRevokesAtHubSpotAndDeletesLocalTokens) {
    ASSERT_TRUE(authorize(browser()).ok());
    const std::string refresh = hub.last_issued_refresh;
    std::ostringstream revoke_out;
    ASSERT_TRUE(revoke(config, hub, revoke_out).ok());
    EXPECT_FALSE(hub.refresh_token_valid(refresh));
    EXPECT_FALSE(store_exists());
    EXPECT_NE(revoke_out.str().find("Revoked"), std::string::npos);
    // Nothing left: a second revoke is a no-op.
    EXPECT_TRUE(revoke(config, hub, revoke_out).ok());
}

TEST_F(AuthorizeTest, RevokeKeepsTokensWhenHubSpotCannotBeReachedUnlessLocalOnly) {
    ASSERT_TRUE(authorize(browser()).ok());
    hub.set_fault([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
        return Result<HttpResponse>(make_error(ErrorKind::kTransient, "connection refused"));
    });
    std::ostringstream revoke_out;
    auto failed = revoke(config, hub, revoke_out);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().hint.find("--local-only"), std::string::npos);
    EXPECT_TRUE(store_exists());
    ASSERT_TRUE(revoke(config, hub, revoke_out, RevokeOptions{true}).ok());
    EXPECT_FALSE(store_exists());
}

}  // namespace
}  // namespace hubsync

namespace hubsync {
namespace {

// [sync] retry_initial / retry_max may shorten the token refresh backoff (10 s doubling to
// 5 min), never lengthen it past what a 30-minute access token can afford.
TEST(TokenManagerOptions, RetryKeysShortenButNeverLengthenTheRefreshBackoff) {
    Config config;
    config.token.refresh_margin = std::chrono::minutes(7);
    TokenManagerOptions o = token_manager_options(config);  // defaults: 30 s and 30 min
    EXPECT_EQ(o.refresh_margin, std::chrono::minutes(7));
    EXPECT_EQ(o.initial_backoff, std::chrono::seconds(10));
    EXPECT_EQ(o.max_backoff, std::chrono::minutes(5));
    config.sync.retry_initial = std::chrono::seconds(1);
    config.sync.retry_max = std::chrono::seconds(20);
    o = token_manager_options(config);
    EXPECT_EQ(o.initial_backoff, std::chrono::seconds(1));
    EXPECT_EQ(o.max_backoff, std::chrono::seconds(20));
}

}  // namespace
}  // namespace hubsync
