// The real hubsync executable in static-token mode (access_token_file, a service key) against
// the simulator: a rejected key is a clear error naming the file (exit 77), `status` shows the
// mode and the file, and a running service picks up a rotated key without a restart.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "e2e/e2e_util.h"
#include "sim/simulator.h"

namespace hubsync {
namespace {

using e2e::ChildProcess;
using e2e::kHubsync;
using e2e::TempDir;
using namespace std::chrono_literals;

constexpr const char* kRevokedKey = "pat-na1-revoked-key-0000";
const auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

class AccessTokenTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim::SimOptions so;
        so.contacts = 40;
        so.custom_properties = 2;
        so.rate_limits = false;
        so.token_ttl = std::chrono::hours(24);
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        good_key_ = sim_->issue_tokens().access_token;
        rotate_key(kRevokedKey);
        e2e::write_file(
            config_,
            "[hubspot]\naccess_token_file = " + key_file_ + "\napi_base_url = " + sim_->base_url() +
                "\n[sync]\ndatabase = " + dir_ / "hubspot.db" + "\nstate_dir = " + dir_ / "state" +
                "\ninterval = 5m\n[log]\nlevel = info\n",
            kPrivate);
    }

    // As an admin or a secrets manager replaces a key: a new file renamed over the old one.
    void rotate_key(const std::string& key) {
        e2e::write_file(key_file_ + ".new", key + "\n", kPrivate);
        std::filesystem::rename(key_file_ + ".new", key_file_);
    }

    struct Finished {
        int code = -1;
        std::string out, err;
    };
    Finished run(const std::vector<std::string>& command) {
        std::vector<std::string> args = {"--config", config_};
        args.insert(args.end(), command.begin(), command.end());
        ChildProcess child(kHubsync, args);
        const auto code = child.finish(60s);
        EXPECT_TRUE(code.has_value()) << command.front() << " did not finish";
        return {code.value_or(-1), child.out(), child.err()};
    }

    std::string rejected_message() const {
        return "HubSpot rejected the access token in " + key_file_ +
               " (401): the key was revoked or rotated: update " + key_file_;
    }

    TempDir dir_;
    const std::string key_file_ = dir_ / "service_key";
    const std::string config_ = dir_ / "hubsync.conf";
    std::unique_ptr<sim::Simulator> sim_;
    std::string good_key_;
};

TEST_F(AccessTokenTest, ARejectedKeyExits77NamingTheFileThenARotatedKeySyncs) {
    const Finished rejected = run({"sync"});
    EXPECT_EQ(rejected.code, 77) << rejected.err;
    EXPECT_NE(rejected.err.find(rejected_message()), std::string::npos) << rejected.err;
    EXPECT_EQ(rejected.err.find(kRevokedKey), std::string::npos);

    rotate_key(good_key_);
    const Finished synced = run({"sync"});
    EXPECT_EQ(synced.code, 0) << synced.err;
    EXPECT_EQ((synced.out + synced.err).find(good_key_), std::string::npos);
}

TEST_F(AccessTokenTest, StatusShowsTheModeAndTheFile) {
    const Finished text = run({"status"});
    EXPECT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("mode:          access token (service key) from " + key_file_),
              std::string::npos)
        << text.out;

    const Finished json = run({"status", "--json"});
    ASSERT_EQ(json.code, 0) << json.err;
    Poco::JSON::Parser parser;
    const auto root = parser.parse(json.out).extract<Poco::JSON::Object::Ptr>();
    const auto auth = root->getObject("authorization");
    ASSERT_TRUE(auth);
    EXPECT_EQ(auth->getValue<std::string>("mode"), "access_token");
    EXPECT_EQ(auth->getValue<std::string>("access_token_file"), key_file_);
    EXPECT_EQ((json.out + text.out).find(kRevokedKey), std::string::npos);
}

// The service pauses on the 401, and the admin's replacement of the file ends the pause: the
// next sync uses the new key, no restart, no secret in the journal.
TEST_F(AccessTokenTest, TheServicePicksUpARotatedKeyWithoutARestart) {
    ChildProcess service(kHubsync, {"--config", config_, "run"});
    const auto paused =
        service.wait_for_err("sync paused until the access token file is updated", 60s);
    ASSERT_TRUE(paused) << service.err();
    EXPECT_NE(service.err().find(rejected_message()), std::string::npos) << service.err();

    rotate_key(good_key_);
    const auto noticed =
        service.wait_for_err("access token file " + key_file_ + " changed", 30s, *paused);
    ASSERT_TRUE(noticed) << service.err();
    ASSERT_TRUE(service.wait_for_err("records written", 60s, *noticed)) << service.err();

    service.signal(SIGTERM);
    EXPECT_EQ(service.finish(30s), 0) << service.err();
    EXPECT_EQ(service.err().find(good_key_), std::string::npos);
    EXPECT_EQ(service.err().find(kRevokedKey), std::string::npos);
}

}  // namespace
}  // namespace hubsync
