// The real `hubsync sync` process killed with SIGKILL at random moments, across backfill,
// incremental and reconcile, for every object type: after a restart the mirror equals
// HubSpot's truth, with no duplicates and an intact database, and a resumed backfill does not
// start over.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "model/endpoints.h"
#include "support/truth_check.h"
#include "sync_harness.h"

extern char** environ;

namespace hubsync::testing {
namespace {

const std::string kHubsync = std::string(HUBSYNC_BINARY_DIR) + "/daemon/hubsync";

class CrashTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        sim::SimOptions so;
        // Only the type under test has records.
        const std::string& type = GetParam();
        constexpr int kRecords = 3'000;
        so.contacts = type == "contacts" ? kRecords : 0;
        so.companies = type == "companies" ? kRecords : 0;
        so.deals = type == "deals" ? kRecords : 0;
        so.tickets = type == "tickets" ? kRecords : 0;
        so.custom_records = find_standard_type(type) ? 0 : kRecords;
        so.granted_scopes = {"oauth",
                             "crm.objects.contacts.read",
                             "crm.objects.companies.read",
                             "crm.objects.deals.read",
                             "tickets",
                             "crm.objects.custom.read",
                             "crm.schemas.custom.read"};
        so.custom_properties = 16;
        so.rate_limits = false;
        so.token_ttl = std::chrono::hours(24);
        so.seed = 11;
        sim_ = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim_->start().ok());
        type_ = *sim_->object_type(type);
        for (const auto& d : sim_->property_defs(type))
            if (d.type == "string" && d.field_type == "text" && d.name.rfind("hs_", 0) != 0 &&
                text_.empty())
                text_ = d.name;
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
        conf << "[hubspot]\naccess_token_file = " << (dir_ / "token").string()
             << "\napi_base_url = " << sim_->base_url()
             << "\n[sync]\ndatabase = " << (dir_ / "hubspot.db").string()
             << "\nstate_dir = " << (dir_ / "state").string() << "\nobjects = " << type_.name
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
        const std::string& type = type_.name;
        const auto live = sim_->record_ids(type, false);
        auto pick = [&] {
            return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)];
        };
        for (int i = 0; i < 30; ++i)
            sim_->update(type, pick(), {{text_, "K" + std::to_string(rng() % 1000)}});
        sim_->create(type, {{text_, "crash " + std::to_string(rng() % 100000)}});
        sim_->archive(type, pick());
        const RecordId a = pick();
        RecordId b = pick();
        if (a != b) sim_->merge(type, a, b);
        sim_->gdpr_delete(type, pick());
    }

    std::unique_ptr<sim::Simulator> sim_;
    ObjectType type_;
    std::string text_;  // a writable text property of the type
    TempDir temp_{"hubsync-crash"};
    std::filesystem::path dir_ = temp_.path();
    std::string config_;
};

INSTANTIATE_TEST_SUITE_P(Types, CrashTest,
                         ::testing::Values("contacts", "companies", "deals", "tickets", "pets"));

TEST_P(CrashTest, TwelveSigkillsAcrossBackfillIncrementalAndReconcile) {
    std::mt19937 rng(1234);
    const std::string list_path =
        endpoint_path(Endpoint::kListObjects, default_api_version(), type_.path_name());
    // Backfill, killed early and often; each restart must resume, not start over.
    int resumed_with_cursor = 0;
    int killed = 0;
    for (int run = 0; run < 4; ++run) {
        const std::size_t before = sim_->requests().size();
        killed += run_and_kill(false, 2 + static_cast<int>(rng() % 8), rng) ? 1 : 0;
        // The first list request of each restarted run shows where it began.
        const auto log = sim_->requests();
        for (std::size_t i = before; i < log.size(); ++i) {
            if (log[i].path != list_path) continue;
            if (run > 0 && log[i].query.find("after=") != std::string::npos) ++resumed_with_cursor;
            break;
        }
    }
    EXPECT_GT(resumed_with_cursor, 0) << "a restarted backfill must continue from its cursor";
    // Incremental cycles with changes in between, killed at random moments.
    for (int run = 0; run < 5; ++run) {
        mutate(rng);
        killed += run_and_kill(false, 1 + static_cast<int>(rng() % 4), rng) ? 1 : 0;
    }
    // Reconcile (sync --full) killed mid-way.
    for (int run = 0; run < 3; ++run) {
        mutate(rng);
        killed += run_and_kill(true, 2 + static_cast<int>(rng() % 60), rng) ? 1 : 0;
    }
    EXPECT_GE(killed, 9) << "most kills must land while hubsync is working";
    // Convergence: an uninterrupted sync, then a full one for the GDPR deletes.
    ASSERT_EQ(wait_exit(spawn_sync(false)), 0);
    ASSERT_EQ(wait_exit(spawn_sync(true)), 0);
    MirrorOptions ro;
    ro.read_only = true;
    auto mirror = SqliteMirror::open((dir_ / "hubspot.db").string(), ro);
    ASSERT_TRUE(mirror.ok()) << mirror.error().describe();
    const auto diffs = check_against_truth(*sim_, **mirror, type_).lines;
    std::string shown;
    for (std::size_t i = 0; i < diffs.size() && i < 5; ++i)
        shown += "\n  " + diffs[i];
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences:" << shown;
    EXPECT_TRUE((*mirror)->integrity_check().ok());
}

// The deletions ledger across SIGKILLs: every record that left gets exactly one row with the
// right reason, whatever instant of the detector, the confirmation or the removal the kill hit.
class LedgerCrashTest : public CrashTest {};

INSTANTIATE_TEST_SUITE_P(Types, LedgerCrashTest, ::testing::Values("contacts", "deals"));

TEST_P(LedgerCrashTest, SigkillsMidCycleLoseNoLedgerRowAndDuplicateNone) {
    std::mt19937 rng(99);
    ASSERT_EQ(wait_exit(spawn_sync(false)), 0);
    const std::string& type = type_.name;
    std::set<RecordId> touched;
    std::map<RecordId, std::string> expected;  // id -> reason
    int killed = 0;
    for (int run = 0; run < 6; ++run) {
        std::vector<RecordId> fresh;
        for (RecordId id : sim_->record_ids(type, false))
            if (!touched.count(id)) fresh.push_back(id);
        std::shuffle(fresh.begin(), fresh.end(), rng);
        auto take = [&] {
            const RecordId id = fresh.back();
            fresh.pop_back();
            touched.insert(id);
            return id;
        };
        for (int i = 0; i < 3; ++i) {
            const RecordId id = take();
            sim_->archive(type, id);
            expected[id] = "archived";
        }
        const RecordId gone = take();
        sim_->gdpr_delete(type, gone);
        expected[gone] = "gone";
        const RecordId a = take(), b = take();
        touched.insert(sim_->merge(type, a, b));
        expected[a] = expected[b] = "merged";
        killed += run_and_kill(false, 3 + static_cast<int>(rng() % 12), rng) ? 1 : 0;
    }
    EXPECT_GE(killed, 3) << "most kills must land while hubsync is working";
    ASSERT_EQ(wait_exit(spawn_sync(false)), 0);

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "hubspot.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    std::map<RecordId, std::vector<std::string>> rows;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, reason FROM deletions WHERE object_type = ?1", -1, &st,
                       nullptr);
    sqlite3_bind_text(st, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW)
        rows[sqlite3_column_int64(st, 0)].push_back(
            reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (const auto& [id, reason] : expected) {
        SCOPED_TRACE("record " + std::to_string(id));
        ASSERT_EQ(rows[id].size(), 1u) << "exactly one ledger row";
        EXPECT_EQ(rows[id].front(), reason);
    }
    EXPECT_EQ(rows.size(), expected.size()) << "no ledger row for a record that did not leave";
}

}  // namespace
}  // namespace hubsync::testing
