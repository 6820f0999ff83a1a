// SIGTERM to `hubsync run` in the middle of a 30,000-contact backfill: a clean exit 0 with
// whole pages committed, and a later `hubsync sync` that resumes from the stored cursor and
// ends equal to the simulator's truth.
#include <algorithm>

#include "e2e/service_fixture.h"

namespace hubsync::e2e {
namespace {

class BackfillStopTest : public ServiceTest {};

TEST_F(BackfillStopTest, SigtermMidBackfillExitsCleanlyAndSyncResumesFromCursor) {
    HardTimeout limit(90s, "SigtermMidBackfillExitsCleanlyAndSyncResumesFromCursor");
    start({.contacts = 30'000, .custom_properties = 8, .seed = 21});
    const std::vector<std::int64_t> truth = truth_ids(false);
    ASSERT_GE(truth.size(), 29'000u);

    auto service = spawn_hubsync({"run"});
    // Stop once about half the pages are in: well inside the backfill, and the rest fits one
    // burst of the client's rate limit for the resumed run.
    ASSERT_TRUE(
        poll_until([&] { return list_requests().size() >= 140 || service->wait_exit(0ms); }, 60s))
        << service->err();
    ASSERT_FALSE(service->wait_exit(0ms).has_value()) << "hubsync run ended early:\n"
                                                      << service->err();
    const auto sent = SteadyClock::now();
    service->signal(SIGTERM);
    const auto code = service->finish(10s);
    const double took = std::chrono::duration<double>(SteadyClock::now() - sent).count();
    ASSERT_TRUE(code.has_value()) << "no exit within 10 s of SIGTERM";
    EXPECT_EQ(*code, 0) << service->err();
    EXPECT_LT(took, 5.0) << "a stop finishes or rolls back one page, not the backfill";
    EXPECT_EQ(service->err().find("records written"), std::string::npos)
        << "the backfill finished before the stop; the test did not stop it midway";

    std::int64_t committed = 0;
    {
        MirrorReader db(database());
        EXPECT_EQ(db.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
        const auto ids = db.ids("SELECT id FROM contacts ORDER BY id");
        committed = static_cast<std::int64_t>(ids.size());
        EXPECT_GT(committed, 0);
        EXPECT_LT(committed, static_cast<std::int64_t>(truth.size()));
        // Whole pages, in order: exactly the first pages of HubSpot's list, nothing partial.
        EXPECT_EQ(committed % 100, 0) << "pages hold 100 contacts";
        ASSERT_LE(ids.size(), truth.size());
        EXPECT_TRUE(std::equal(ids.begin(), ids.end(), truth.begin()))
            << "the mirror holds a prefix of the list";
    }
    {
        const auto status = run_hubsync({"status", "--json"});
        ASSERT_EQ(status.code, 0) << status.err;
        auto sync = parse_json_object(status.out)->getObject("sync");
        EXPECT_FALSE(sync->getValue<std::string>("backfill_cursor").empty()) << status.out;
        EXPECT_TRUE(sync->getValue<std::string>("backfill_completed_at").empty()) << status.out;
    }

    // Resume with `hubsync sync`.
    sim_->clear_requests();
    const auto resumed = run_hubsync({"sync"}, 60s);
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    const auto requests = list_requests();
    ASSERT_FALSE(requests.empty());
    EXPECT_NE(requests.front().query.find("after="), std::string::npos)
        << "the first list request must continue from the cursor: " << requests.front().query;
    // Continuing, not starting over: about the pages that were missing, not all 300 again
    // (the archived list and the id sweep add a few).
    const auto pages_left = (static_cast<std::int64_t>(truth.size()) - committed + 99) / 100;
    EXPECT_LE(
        static_cast<std::int64_t>(std::count_if(
            requests.begin(), requests.end(),
            [](const auto& r) { return r.query.find("archived=true") == std::string::npos; })),
        pages_left + 5);

    MirrorReader db(database());
    EXPECT_EQ(db.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    EXPECT_EQ(db.count("SELECT count(*) FROM active_contacts"),
              static_cast<std::int64_t>(truth.size()));
    EXPECT_EQ(db.ids("SELECT id FROM active_contacts ORDER BY id"), truth);
    EXPECT_EQ(db.count("SELECT count(*) FROM contacts"),
              static_cast<std::int64_t>(sim_->truth(true).size()));
}

}  // namespace
}  // namespace hubsync::e2e
