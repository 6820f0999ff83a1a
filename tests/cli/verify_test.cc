// `hubsync verify` as a process against the simulator: agreeing after a sync, disagreeing when
// a change was left unsynced on purpose (exit 1, recorded, shown by `status`), and during
// search lag, when the difference is what changes in flight explain (exit 0).
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

const auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

class VerifyTest : public ::testing::Test {
  protected:
    void start(std::chrono::milliseconds index_delay) {
        sim::SimOptions so;
        so.contacts = 600;
        so.custom_properties = 2;
        so.rate_limits = false;
        so.token_ttl = std::chrono::hours(24);
        so.index_delay_min = index_delay;
        so.index_delay_max = index_delay;
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        e2e::write_file(key_file_, sim_->issue_tokens().access_token + "\n", kPrivate);
        e2e::write_file(config_,
                        "[hubspot]\naccess_token_file = " + key_file_ + "\napi_base_url = " +
                            sim_->base_url() + "\n[sync]\ndatabase = " + dir_ / "hubspot.db" +
                            "\nstate_dir = " + dir_ / "state" + "\n[log]\nlevel = error\n",
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
        const auto code = child.finish(60s);
        EXPECT_TRUE(code.has_value()) << command.front() << " did not finish";
        return {code.value_or(-1), child.out(), child.err()};
    }

    Poco::JSON::Object::Ptr contacts_verdict() {
        const Finished json = run({"verify", "--json"});
        last_code_ = json.code;
        Poco::JSON::Parser parser;
        const auto root = parser.parse(json.out).extract<Poco::JSON::Object::Ptr>();
        return root->getObject("objects")->getObject("contacts");
    }

    TempDir dir_;
    const std::string key_file_ = dir_ / "service_key";
    const std::string config_ = dir_ / "hubsync.conf";
    std::unique_ptr<sim::Simulator> sim_;
    int last_code_ = -1;
};

TEST_F(VerifyTest, AgreesAfterASyncDisagreesOnAMissedChangeAndStatusShowsIt) {
    start(0ms);
    ASSERT_EQ(run({"sync"}).code, 0);
    const Finished agree = run({"verify"});
    EXPECT_EQ(agree.code, 0) << agree.out << agree.err;
    EXPECT_NE(agree.out.find("contacts: agree"), std::string::npos) << agree.out;
    EXPECT_NE(agree.out.find("active:         HubSpot 600, mirror 600"), std::string::npos)
        << agree.out;

    // A GDPR delete the sync has not run for: HubSpot has one record less, and nothing in
    // flight explains it.
    sim_->gdpr_delete("contacts", sim_->record_ids("contacts", false)[42]);
    const auto v = contacts_verdict();
    EXPECT_EQ(last_code_, 1);
    EXPECT_EQ(v->getValue<std::string>("verdict"), "disagree");
    EXPECT_EQ(v->getValue<std::int64_t>("hubspot_active"), 599);
    EXPECT_EQ(v->getValue<std::int64_t>("mirror_active"), 600);
    const Finished status = run({"status"});
    EXPECT_NE(status.out.find("last verify: disagree"), std::string::npos) << status.out;

    // The next cycle's detector finds it; they agree again.
    ASSERT_EQ(run({"sync"}).code, 0);
    EXPECT_EQ(contacts_verdict()->getValue<std::string>("verdict"), "agree");
    EXPECT_EQ(last_code_, 0);
    EXPECT_NE(run({"status"}).out.find("last verify: agree"), std::string::npos);
}

TEST_F(VerifyTest, DuringSearchLagTheDifferenceIsInFlight) {
    start(10min);  // search indexes changes ten minutes late
    ASSERT_EQ(run({"sync"}).code, 0);
    const auto ids = sim_->record_ids("contacts", false);
    // Both merged ids leave search at once; the survivor shows up there only later. The sync
    // reads it by id (batch read resolves the old ids), so the mirror is ahead of search.
    sim_->merge("contacts", ids[3], ids[4]);
    ASSERT_EQ(run({"sync"}).code, 0);
    const auto v = contacts_verdict();
    EXPECT_EQ(v->getValue<std::int64_t>("hubspot_active"), 598);
    EXPECT_EQ(v->getValue<std::int64_t>("mirror_active"), 599);
    EXPECT_EQ(v->getValue<std::string>("verdict"), "in-flight");
    EXPECT_EQ(last_code_, 0);
}

}  // namespace
}  // namespace hubsync
