// The OAuth module against hubspot-sim over real loopback HTTP: the consent flow through the
// listener with a plain HTTP client following the consent page's links, refused codes, and
// 24 simulated hours of refreshes with not one API request carrying an expired token.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <sstream>

#include "core/fault_env.h"
#include "model/endpoints.h"
#include "oauth/authorize.h"
#include "oauth/token_client.h"
#include "oauth/token_store.h"
#include "sim/simulator.h"
#include "support/token_manager.h"
#include "test_util.h"

namespace hubsync {
namespace {

using namespace std::chrono_literals;
using testing::LogCapture;
using testing::TempDir;

// The token path of the default configuration.
const std::string kTokenPath = endpoint_path(Endpoint::kOAuthToken, default_api_version());

struct Page {
    int status = 0;
    std::string location;
    std::string body;
};

// A browser without JavaScript: one GET, no redirects followed.
Page browse(const std::string& url_text) {
    auto url = parse_url(url_text);
    EXPECT_TRUE(url.ok()) << url_text;
    if (!url.ok()) return {};
    // Like a browser, reach "localhost" without depending on /etc/hosts.
    const std::string host = url->host == "localhost" ? "127.0.0.1" : url->host;
    Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(url->port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, url->path_and_query(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Page page;
    page.status = static_cast<int>(response.getStatus());
    page.location = response.get("Location", "");
    Poco::StreamCopier::copyToString(in, page.body);
    return page;
}

std::string link(const std::string& html, const std::string& id) {
    const std::string marker = "id=\"" + id + "\" href=\"";
    const auto at = html.find(marker);
    if (at == std::string::npos) return {};
    const auto start = at + marker.size();
    std::string href = html.substr(start, html.find('"', start) - start);
    for (std::size_t p; (p = href.find("&amp;")) != std::string::npos;)
        href.replace(p, 5, "&");
    return href;
}

class SimFlowTest : public ::testing::Test {
  protected:
    void SetUp() override {
        start_sim({});
        config.hubspot.client_id = "sim-client-id";
        config.hubspot.client_secret = "sim-client-secret";
        config.hubspot.authorize_url = sim->base_url() + "/oauth/authorize";
        config.hubspot.api_base_url = sim->base_url();
        config.hubspot.redirect_uri = "http://localhost:8976/callback";
        config.sync.state_dir = dir.file("state");
        options.listen_on_any_port = true;
        options.timeout = 10s;
    }

    void start_sim(std::function<void(sim::SimOptions&)> adjust) {
        sim.reset();
        sim::SimOptions o;
        o.clock = &clock;
        o.contacts = 20;
        o.custom_properties = 1;
        o.rotate_refresh_tokens = true;
        if (adjust) adjust(o);
        sim = std::make_unique<sim::Simulator>(o);
        ASSERT_TRUE(sim->start().ok());
    }

    // Opens the authorize URL, clicks `choice` ("approve-link"/"deny-link") and lets the
    // browser follow HubSpot's redirect to the listener, unless `intercept` handles it.
    std::function<void(const std::string&)> browser(
        const std::string& choice = "approve-link",
        std::function<std::string(const std::string&)> intercept = {}) {
        return [this, choice, intercept](const std::string& authorize_url) {
            const Page consent = browse(authorize_url);
            ASSERT_EQ(consent.status, 200) << consent.body;
            const std::string href = link(consent.body, choice);
            ASSERT_FALSE(href.empty()) << consent.body;
            const Page decision = browse(sim->base_url() + href);
            ASSERT_EQ(decision.status, 302);
            std::string location = decision.location;
            if (intercept) location = intercept(location);
            const Page landing = browse(location);
            listener_status = landing.status;
            listener_page = landing.body;
        };
    }

    Result<AuthorizeOutcome> authorize(std::function<void(const std::string&)> open_url) {
        AuthorizeIo io{out, in, std::move(open_url)};
        return run_authorize(config, *transport, io, clock, options);
    }

    bool store_exists() const {
        return std::filesystem::exists(token_store_dir(config) + "/tokens.json");
    }

    // One CRM request the way the sync engine makes it.
    int api_request(AccessTokenSource& tokens) {
        auto token = tokens.access_token();
        EXPECT_TRUE(token.ok()) << token.error().describe();
        if (!token.ok()) return 0;
        HttpRequest request;
        request.url = sim->base_url() + "/crm/v3/objects/contacts?limit=1";
        request.headers.emplace_back("Authorization", "Bearer " + *token);
        auto response = api_transport->send(request);
        EXPECT_TRUE(response.ok());
        return response.ok() ? response->status : 0;
    }

    TempDir dir;
    ManualClock clock;
    std::unique_ptr<sim::Simulator> sim;
    std::unique_ptr<HttpTransport> transport = make_poco_transport({});
    std::unique_ptr<HttpTransport> api_transport = make_poco_transport({});
    Config config;
    AuthorizeOptions options;
    std::ostringstream out;
    std::stringstream in;
    int listener_status = 0;
    std::string listener_page;
};

TEST_F(SimFlowTest, ConsentFlowThroughTheListenerWithAPlainHttpClient) {
    LogCapture logs;
    auto outcome = authorize(browser());
    ASSERT_TRUE(outcome.ok()) << outcome.error().describe() << "\n" << out.str();
    EXPECT_EQ(listener_status, 200);
    EXPECT_EQ(outcome->hub_id, 62515);
    EXPECT_TRUE(outcome->missing_scopes.empty());
    EXPECT_TRUE(store_exists());
    auto manager = testing::token_manager_for(config, *transport, clock);
    EXPECT_EQ(api_request(*manager), 200);
    EXPECT_EQ(sim->count_status(401), 0);
    // The sim verified PKCE S256 (it refuses a code whose verifier does not match).
    clock.advance(26min);
    EXPECT_EQ(api_request(*manager), 200);  // after a refresh (with rotation)
    auto stored = TokenStore(token_store_dir(config)).load();
    ASSERT_TRUE(stored.ok() && stored->has_value());
    const std::string all = logs.all() + out.str();
    EXPECT_EQ(all.find("sim-client-secret"), std::string::npos);
    EXPECT_EQ(all.find((*stored)->access_token), std::string::npos);
    EXPECT_EQ(all.find((*stored)->refresh_token), std::string::npos);
}

TEST_F(SimFlowTest, TheRotatedRefreshTokenOnDiskSurvivesARestart) {
    ASSERT_TRUE(authorize(browser()).ok());
    for (int restart = 0; restart < 3; ++restart) {
        // Each "process" refreshes once (rotation: the old refresh token dies at HubSpot) and
        // exits; the next one starts from the store alone.
        auto manager = testing::token_manager_for(config, *transport, clock);
        clock.advance(26min);
        ASSERT_EQ(api_request(*manager), 200);
    }
    EXPECT_EQ(sim->count_status(401), 0);
    EXPECT_EQ(sim->count_status(400), 0);  // never an invalid_grant
}

// A process killed between the refresh response and the store write loses the new refresh
// token. The store fault makes the write fail exactly there; the manager is then dropped, as a
// killed process is, and a new one starts from the store alone.
std::optional<std::string> refresh_then_lose_the_write(const Config& config,
                                                       HttpTransport& transport,
                                                       ManualClock& clock) {
    FaultEnv disk;
    disk.inject(FileOp::kCreate, EIO, "tokens.json.tmp");
    TokenStore store(token_store_dir(config), disk);
    auto before = store.load();
    EXPECT_TRUE(before.ok() && before->has_value());
    TokenEndpoint endpoint{
        effective_token_url(config.hubspot.token_url, config.hubspot.api_base_url,
                            config.hubspot.api_version),
        config.hubspot.client_id, config.hubspot.client_secret, config.hubspot.api_version};
    TokenManager dying(store, TokenClient(transport, endpoint), clock);
    clock.advance(26min);
    EXPECT_FALSE(dying.refresh_now().ok()) << "the write must fail, as if the process died";
    return before.ok() && before->has_value() ? std::optional((*before)->refresh_token)
                                              : std::nullopt;
}

TEST_F(SimFlowTest, KilledBeforeSavingARotatedTokenSurvivesWithAGracePeriod) {
    start_sim([](sim::SimOptions& o) { o.rotation_grace = true; });
    config.hubspot.authorize_url = sim->base_url() + "/oauth/authorize";
    config.hubspot.api_base_url = sim->base_url();
    ASSERT_TRUE(authorize(browser()).ok());
    const auto on_disk = refresh_then_lose_the_write(config, *transport, clock);
    ASSERT_TRUE(on_disk);
    // The restarted process refreshes with the (older) token on disk and saves the newest.
    auto manager = testing::token_manager_for(config, *transport, clock);
    ASSERT_TRUE(manager->refresh_now().ok());
    EXPECT_EQ(manager->state(), TokenManager::State::kOk);
    auto after = TokenStore(token_store_dir(config)).load();
    ASSERT_TRUE(after.ok() && after->has_value());
    EXPECT_NE((*after)->refresh_token, *on_disk) << "the newest refresh token is on disk";
    clock.advance(26min);
    EXPECT_EQ(api_request(*manager), 200);
    EXPECT_EQ(sim->count_status(401), 0);
    // Using the newest token ended the grace period: the old one is dead now.
    TokenEndpoint endpoint{
        effective_token_url(config.hubspot.token_url, config.hubspot.api_base_url,
                            config.hubspot.api_version),
        config.hubspot.client_id, config.hubspot.client_secret, config.hubspot.api_version};
    auto replay = TokenClient(*transport, endpoint).refresh(*on_disk);
    ASSERT_FALSE(replay.ok());
    EXPECT_EQ(replay.error().kind, ErrorKind::kAuthRequired);
}

TEST_F(SimFlowTest, KilledBeforeSavingARotatedTokenUnderStrictRotationNeedsANewAuthorization) {
    // Without a grace period the lost token was the only valid one: the honest outcome is the
    // authorization-required state with one clear error, not a retry storm.
    ASSERT_TRUE(authorize(browser()).ok());
    ASSERT_TRUE(refresh_then_lose_the_write(config, *transport, clock));
    auto manager = testing::token_manager_for(config, *transport, clock);
    auto status = manager->refresh_now();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, ErrorKind::kAuthRequired);
    EXPECT_EQ(manager->state(), TokenManager::State::kAuthRequired);
}

TEST_F(SimFlowTest, DeniedConsentStoresNothing) {
    auto outcome = authorize(browser("deny-link"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().message.find("access_denied"), std::string::npos);
    EXPECT_EQ(listener_status, 400);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, StateMismatchStoresNothing) {
    auto outcome = authorize(browser("approve-link", [](const std::string& location) {
        const auto at = location.find("state=");
        return location.substr(0, at) + "state=someone-elses-state";
    }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().message.find("state"), std::string::npos);
    EXPECT_EQ(sim->count_path(kTokenPath), 0);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, ReusedCodeStoresNothing) {
    std::string first_code;
    ASSERT_TRUE(authorize(browser("approve-link", [&](const std::string& location) {
                    first_code = param(parse_query(parse_url(location)->query), "code");
                    return location;
                })).ok());
    ASSERT_TRUE(TokenStore(token_store_dir(config)).remove().ok());
    // A second attempt whose redirect carries the already redeemed code.
    auto outcome = authorize(browser("approve-link", [&](const std::string& location) {
        const Params q = parse_query(parse_url(location)->query);
        return location.substr(0, location.find('?')) + "?" +
               encode_query({{"code", first_code}, {"state", param(q, "state")}});
    }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(outcome.error().message.find("BAD_AUTH_CODE"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, ExpiredCodeStoresNothing) {
    auto outcome = authorize(browser("approve-link", [this](const std::string& location) {
        clock.advance(6min);  // codes live 5 minutes
        return location;
    }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ErrorKind::kAuthRequired);
    EXPECT_NE(outcome.error().message.find("BAD_AUTH_CODE"), std::string::npos);
    EXPECT_NE(outcome.error().hint.find("hubsync authorize"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, CodeForAnotherRedirectUriStoresNothing) {
    auto outcome = authorize(browser("approve-link", [this](const std::string& location) {
        const Params q = parse_query(parse_url(location)->query);
        const std::string code = sim->issue_code("http://localhost:9/elsewhere");
        return location.substr(0, location.find('?')) + "?" +
               encode_query({{"code", code}, {"state", param(q, "state")}});
    }));
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().message.find("BAD_REDIRECT_URI"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, UnregisteredRedirectUriNeverComesBack) {
    start_sim([](sim::SimOptions& o) { o.redirect_uris = {"http://localhost:1234/registered"}; });
    config.hubspot.authorize_url = sim->base_url() + "/oauth/authorize";
    config.hubspot.api_base_url = sim->base_url();
    options.timeout = 200ms;
    std::string consent_page;
    auto outcome = authorize([&](const std::string& url) { consent_page = browse(url).body; });
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(consent_page.find("BAD_REDIRECT_URI"), std::string::npos);
    EXPECT_FALSE(store_exists());
}

TEST_F(SimFlowTest, TwentyFourSimulatedHoursWithoutOneExpiredTokenRequest) {
    ASSERT_TRUE(authorize(browser()).ok()) << out.str();
    auto manager = testing::token_manager_for(config, *transport, clock);
    const Instant end = clock.now() + 24h;
    int requests = 0;
    while (clock.now() < end) {
        if (clock.now() >= manager->next_refresh_at()) {
            ASSERT_TRUE(manager->refresh_if_due().ok());
        }
        ASSERT_EQ(api_request(*manager), 200) << format_iso8601(clock.now());
        ++requests;
        clock.advance(2min);
    }
    EXPECT_EQ(requests, 24 * 30);
    EXPECT_EQ(sim->count_status(401), 0);
    const int refreshes = sim->count_path(kTokenPath) - 2;  // minus exchange + introspect
    EXPECT_GE(refreshes, 24 * 60 / 26);
    EXPECT_LE(refreshes, 24 * 60 / 24 + 1);
    EXPECT_EQ(manager->state(), TokenManager::State::kOk);
}

TEST_F(SimFlowTest, TokenEndpointOutageAcrossAnExpiryThenRecovery) {
    ASSERT_TRUE(authorize(browser()).ok());
    auto manager = testing::token_manager_for(config, *transport, clock);
    clock.advance(20min);
    sim->add_fault(sim::FaultRule::token_endpoint_outage());
    const Instant outage_end = clock.now() + 20min;
    int failed = 0;
    while (clock.now() < outage_end + 1h) {
        if (clock.now() >= outage_end) sim->clear_faults();
        if (clock.now() >= manager->next_refresh_at()) (void)manager->refresh_if_due();
        auto token = manager->access_token();
        if (token.ok()) {
            EXPECT_EQ(api_request(*manager), 200);
        } else {
            EXPECT_TRUE(token.error().retryable()) << token.error().describe();
            ++failed;
        }
        clock.advance(30s);
    }
    EXPECT_GT(failed, 0);
    EXPECT_EQ(sim->count_status(401), 0);
    EXPECT_LE(sim->count_status(503), 12);  // backoff, not a storm
    EXPECT_EQ(manager->state(), TokenManager::State::kOk);
}

TEST_F(SimFlowTest, RevokedRefreshTokenParksThenANewAuthorizationResumes) {
    LogCapture logs;
    ASSERT_TRUE(authorize(browser()).ok());
    auto manager = testing::token_manager_for(config, *transport, clock);
    sim->revoke_all_refresh_tokens();  // also kills the access tokens minted from them
    const int token_calls_before = sim->count_path(kTokenPath);
    int auth_required = 0;
    for (int i = 0; i < 3 * 60; ++i) {
        if (clock.now() >= manager->next_refresh_at()) (void)manager->refresh_if_due();
        // The API client's protocol: a 401 gets one refresh and one retry.
        auto token = manager->access_token();
        if (token.ok()) {
            if (api_request(*manager) == 401) {
                auto again = manager->refresh_after_unauthorized(*token);
                ASSERT_FALSE(again.ok());
                EXPECT_EQ(again.error().kind, ErrorKind::kAuthRequired);
            }
        } else {
            EXPECT_EQ(token.error().kind, ErrorKind::kAuthRequired);
            EXPECT_NE(token.error().describe().find("hubsync authorize"), std::string::npos);
            ++auth_required;
        }
        clock.advance(1min);
    }
    EXPECT_EQ(auth_required, 3 * 60 - 1);
    EXPECT_EQ(manager->state(), TokenManager::State::kAuthRequired);
    EXPECT_EQ(sim->count_path(kTokenPath) - token_calls_before, 1);
    EXPECT_EQ(logs.count_containing("run `hubsync authorize`"), 1);
    EXPECT_EQ(sim->count_status(401), 1);

    out.str("");
    ASSERT_TRUE(authorize(browser()).ok());  // while the "service" keeps its manager
    EXPECT_EQ(api_request(*manager), 200);
    EXPECT_EQ(manager->state(), TokenManager::State::kOk);
}

}  // namespace
}  // namespace hubsync
