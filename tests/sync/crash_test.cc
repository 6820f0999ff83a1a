// The real `hubsync sync` process killed with SIGKILL at random moments, across backfill,
// incremental and reconcile: after a restart the mirror equals HubSpot's truth, with no
// duplicates and an intact database, and a resumed backfill does not start over.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "sync_harness.h"

extern char** environ;

namespace hubsync::testing {
namespace {

const std::string kHubsync = std::string(HUBSYNC_BINARY_DIR) + "/daemon/hubsync";

class CrashTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim::SimOptions so;
        so.contacts = 8'000;
        so.custom_properties = 16;
        so.rate_limits = false;
        so.token_ttl = std::chrono::hours(24);
        so.seed = 11;
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        std::filesystem::create_directories(dir_ / "state");
        std::filesystem::permissions(dir_ / "state", std::filesystem::perms::owner_all);
        {
            std::ofstream token(dir_ / "token");
            token << sim_->issue_tokens().access_token << "\n";
        }
        std::filesystem::permissions(dir_ / "token", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write);
        config_ = (dir_ / "hubsync.conf").string();
        std::ofstream conf(config_);
        conf << "[hubspot]\nprivate_app_token_file = " << (dir_ / "token").string()
             << "\napi_base_url = " << sim_->base_url()
             << "\n[sync]\ndatabase = " << (dir_ / "hubspot.db").string()
             << "\nstate_dir = " << (dir_ / "state").string()
             << "\narchived_interval = 1s\n[log]\nlevel = error\n";
    }

    void TearDown() override { sim_->stop(); }

    pid_t spawn_sync(bool full) {
        std::vector<std::string> args = {kHubsync, "--config", config_, "sync"};
        if (full) args.push_back("--full");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        pid_t pid = 0;
        const int rc = posix_spawn(&pid, kHubsync.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        EXPECT_EQ(rc, 0);
        return pid;
    }

    int wait_exit(pid_t pid) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // Runs `hubsync sync` and kills it after `delay` (a random moment of its work).
    // Runs `hubsync sync` and kills it once the simulator has answered `requests` more
    // requests, plus a random sub-millisecond-to-3-ms jitter: a random moment of its work,
    // whatever the speed of the build. Returns true when the kill landed mid-work.
    bool run_and_kill(bool full, int requests, std::mt19937& rng) {
        const std::size_t before = sim_->requests().size();
        const pid_t pid = spawn_sync(full);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (sim_->requests().size() < before + static_cast<std::size_t>(requests) &&
               std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
        ::kill(pid, SIGKILL);
        return wait_exit(pid) == 128 + SIGKILL;
    }

    void mutate(std::mt19937& rng) {
        auto live = sim_->truth(false);
        auto pick = [&] {
            return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)].id;
        };
        for (int i = 0; i < 30; ++i)
            sim_->update_contact(pick(), {{"firstname", "K" + std::to_string(rng() % 1000)}});
        sim_->create_contact(
            {{"email", "crash" + std::to_string(rng() % 100000) + "@example.com"}});
        sim_->archive(pick());
        const RecordId a = pick();
        RecordId b = pick();
        if (a != b) sim_->merge(a, b);
        sim_->gdpr_delete(pick());
    }

    std::unique_ptr<sim::Simulator> sim_;
    TempDir temp_{"hubsync-crash"};
    std::filesystem::path dir_ = temp_.path();
    std::string config_;
};

TEST_F(CrashTest, TwentyFourSigkillsAcrossBackfillIncrementalAndReconcile) {
    std::mt19937 rng(1234);
    // Backfill, killed early and often; each restart must resume, not start over.
    int resumed_with_cursor = 0;
    int killed = 0;
    for (int run = 0; run < 8; ++run) {
        const std::size_t before = sim_->requests().size();
        killed += run_and_kill(false, 2 + static_cast<int>(rng() % 12), rng) ? 1 : 0;
        // The first list request of each restarted run shows where it began.
        const auto log = sim_->requests();
        for (std::size_t i = before; i < log.size(); ++i) {
            if (log[i].path != "/crm/objects/2026-09/contacts") continue;
            if (run > 0 && log[i].query.find("after=") != std::string::npos) ++resumed_with_cursor;
            break;
        }
    }
    EXPECT_GT(resumed_with_cursor, 0) << "a restarted backfill must continue from its cursor";
    // Incremental cycles with changes in between, killed at random moments.
    for (int run = 0; run < 10; ++run) {
        mutate(rng);
        killed += run_and_kill(false, 1 + static_cast<int>(rng() % 4), rng) ? 1 : 0;
    }
    // Reconcile (sync --full) killed mid-way.
    for (int run = 0; run < 6; ++run) {
        mutate(rng);
        killed += run_and_kill(true, 2 + static_cast<int>(rng() % 120), rng) ? 1 : 0;
    }
    EXPECT_GE(killed, 20) << "most kills must land while hubsync is working";
    // Convergence: an uninterrupted sync, then a full one for the GDPR deletes.
    ASSERT_EQ(wait_exit(spawn_sync(false)), 0);
    ASSERT_EQ(wait_exit(spawn_sync(true)), 0);
    MirrorOptions ro;
    ro.read_only = true;
    auto mirror = SqliteMirror::open((dir_ / "hubspot.db").string(), ro);
    ASSERT_TRUE(mirror.ok()) << mirror.error().describe();
    const auto diffs = mirror_differences(*sim_, **mirror);
    std::string shown;
    for (std::size_t i = 0; i < diffs.size() && i < 5; ++i)
        shown += "\n  " + diffs[i];
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences:" << shown;
    EXPECT_TRUE((*mirror)->integrity_check().ok());
}

}  // namespace
}  // namespace hubsync::testing
