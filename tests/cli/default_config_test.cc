// The real hubsync with the default configuration against a HubSpot whose legacy API
// generations are retired (hubspot-sim --legacy-off answers 404 on /oauth/v1, /oauth/v3,
// /crm/v3 and /crm/v4): it authorizes, backfills, syncs incrementally, runs --full, shows its
// status, runs as a service and revokes without one request to a legacy path; and an object
// type added to the config without its scope is a clear error until authorize runs again.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <istream>
#include <memory>
#include <string>

#include "e2e/e2e_util.h"
#include "model/endpoints.h"
#include "sim/simulator.h"

namespace hubsync {
namespace {

using e2e::ChildProcess;
using e2e::kHubsync;
using e2e::TempDir;
using namespace std::chrono_literals;

const auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// GET `url` without following redirects; returns the status and the Location header.
std::pair<int, std::string> get(const std::string& url) {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    body.ignore(std::numeric_limits<std::streamsize>::max());
    return {static_cast<int>(response.getStatus()), response.get("Location", "")};
}

std::int64_t active_contacts(const std::string& db_path) {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM active_contacts", -1, &st, nullptr) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

class DefaultConfigTest : public ::testing::Test {
  protected:
    void SetUp() override { start("contacts"); }

    void start(const std::string& objects) {
        sim::SimOptions so;
        so.contacts = 300;
        so.custom_properties = 3;
        so.auto_consent = true;
        so.legacy_off = true;
        so.client_id = "legacy-off-client";
        so.client_secret = "legacy-off-secret-value";
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        const int port = e2e::free_loopback_port();
        ASSERT_GT(port, 0);
        e2e::write_file(dir_ / "client_secret", so.client_secret + "\n", kPrivate);
        // Nothing about versions or token URLs: the defaults are what is under test.
        e2e::write_file(config_,
                        "[hubspot]\nclient_id = " + so.client_id +
                            "\nclient_secret_file = " + (dir_ / "client_secret") +
                            "\nredirect_uri = http://127.0.0.1:" + std::to_string(port) +
                            "/callback\nauthorize_url = " + sim_->base_url() +
                            "/oauth/authorize\napi_base_url = " + sim_->base_url() +
                            "\n[sync]\ndatabase = " + db_ + "\nstate_dir = " + (dir_ / "state") +
                            "\nobjects = " + objects + "\ninterval = 5m\n[log]\nlevel = info\n",
                        kPrivate);
    }

    struct Finished {
        int code = -1;
        std::string out, err;
    };
    Finished run(const std::vector<std::string>& command) {
        std::vector<std::string> args = {"--config", config_};
        args.insert(args.end(), command.begin(), command.end());
        ChildProcess child(kHubsync, args);
        const auto code = child.finish(120s);
        EXPECT_TRUE(code.has_value()) << command.front() << " did not finish";
        return {code.value_or(-1), child.out(), child.err()};
    }

    // `hubsync authorize` on its loopback listener, with the browser's part played here: the
    // consent page (auto-approving) redirects to the listener, which finishes the flow.
    void authorize() {
        ChildProcess child(kHubsync, {"--config", config_, "authorize"});
        ASSERT_TRUE(child.wait_for_out("Waiting up to", 30s)) << child.out() << child.err();
        const std::string printed = child.out();
        const std::string prefix = sim_->base_url() + "/oauth/authorize?";
        const auto start = printed.find(prefix);
        ASSERT_NE(start, std::string::npos) << printed;
        const std::string url = printed.substr(start, printed.find_first_of(" \n", start) - start);
        const auto [consent_status, location] = get(url);
        ASSERT_EQ(consent_status, 302);
        const auto [listener_status, ignored] = get(location);
        EXPECT_EQ(listener_status, 200);
        const auto code = child.finish(60s);
        ASSERT_TRUE(code.has_value());
        ASSERT_EQ(*code, 0) << child.out() << child.err();
    }

    int requests_to(Endpoint endpoint, const std::string& type = {}) const {
        return sim_->count_path(endpoint_path(endpoint, default_api_version(), type));
    }

    TempDir dir_;
    const std::string config_ = dir_ / "hubsync.conf";
    const std::string db_ = dir_ / "hubspot.db";
    std::unique_ptr<sim::Simulator> sim_;
};

TEST_F(DefaultConfigTest, TheDefaultConfigurationNeverCallsALegacyPath) {
    e2e::HardTimeout limit(240s, "TheDefaultConfigurationNeverCallsALegacyPath");
    authorize();

    const Finished backfill = run({"sync"});
    ASSERT_EQ(backfill.code, 0) << backfill.err;
    EXPECT_EQ(active_contacts(db_), static_cast<std::int64_t>(sim_->truth(false).size()));

    const auto ids = sim_->contact_ids(false);
    sim_->update_contact(ids[3], {{"firstname", "Renamed"}});
    sim_->archive(ids[5]);
    const Finished incremental = run({"sync"});
    ASSERT_EQ(incremental.code, 0) << incremental.err;
    EXPECT_NE(incremental.out.find("incremental sync done"), std::string::npos) << incremental.out;

    const Finished full = run({"sync", "--full"});
    ASSERT_EQ(full.code, 0) << full.err;
    EXPECT_EQ(active_contacts(db_), static_cast<std::int64_t>(sim_->truth(false).size()));

    const Finished status = run({"status"});
    ASSERT_EQ(status.code, 0) << status.err;
    EXPECT_NE(status.out.find("authorization: ok"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("contacts:      299 active, 1 archived"), std::string::npos)
        << status.out;

    {
        ChildProcess service(kHubsync, {"--config", config_, "run"});
        ASSERT_TRUE(service.wait_for_err("records written", 60s)) << service.err();
        service.signal(SIGTERM);
        const auto code = service.wait_exit(30s);
        ASSERT_TRUE(code.has_value());
        EXPECT_EQ(*code, 0) << service.err();
    }

    const Finished revoke = run({"revoke"});
    ASSERT_EQ(revoke.code, 0) << revoke.err;

    // Every family went to its dated path, and nothing to a retired one.
    EXPECT_EQ(sim_->count_legacy(), 0);
    EXPECT_GT(requests_to(Endpoint::kOAuthToken), 0);
    EXPECT_GT(requests_to(Endpoint::kOAuthIntrospect), 0);
    EXPECT_EQ(requests_to(Endpoint::kOAuthRevoke), 1);
    EXPECT_GT(requests_to(Endpoint::kListProperties, "contacts"), 0);
    EXPECT_GT(requests_to(Endpoint::kListObjects, "contacts"), 0);
    EXPECT_GT(requests_to(Endpoint::kSearchObjects, "contacts"), 0);
    for (const auto& r : sim_->requests())
        EXPECT_FALSE(retired_generation_of(r.path).has_value()) << r.method << " " << r.path;
}

TEST_F(DefaultConfigTest, AnObjectTypeWithoutItsScopeIsAnErrorNamingTheScope) {
    authorize();  // objects = contacts: the token can read contacts only
    const std::string contacts_only = e2e::read_file(config_);
    std::string with_deals = contacts_only;
    with_deals.replace(with_deals.find("objects = contacts"), 18, "objects = contacts, deals");
    e2e::write_file(config_, with_deals, kPrivate);

    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"check-config"}, std::vector<std::string>{"sync"}}) {
        SCOPED_TRACE(command.front());
        const Finished refused = run(command);
        EXPECT_EQ(refused.code, 77) << refused.out << refused.err;
        EXPECT_NE(refused.err.find("deals are configured in sync.objects, but the "
                                   "authorization lacks the crm.objects.deals.read scope"),
                  std::string::npos)
            << refused.err;
        EXPECT_NE(refused.err.find("run `hubsync authorize` again"), std::string::npos)
            << refused.err;
    }
    // Nothing was requested for a type that cannot be read, and contacts were not synced
    // half-way either: the configuration is fixed first.
    EXPECT_EQ(
        sim_->count_path(endpoint_path(Endpoint::kListObjects, default_api_version(), "contacts")),
        0);
}

}  // namespace
}  // namespace hubsync
