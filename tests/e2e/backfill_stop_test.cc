// SIGTERM to `hubsync run` in the middle of a 30,000-contact backfill: a clean exit 0 with
// whole pages committed (list and search chains alike), and a later `hubsync sync` that resumes
// from the stored cursors and ends equal to the simulator's truth.
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

    // The pages of the backfill: list pages (100) and search pages (up to 200).
    auto page_requests = [&] {
        std::int64_t list = 0, search = 0;
        for (const auto& r : sim_->requests()) {
            if (r.query.find("archived=true") != std::string::npos) continue;
            if (r.method == "GET" && r.path == "/crm/objects/2026-09/contacts") ++list;
            if (r.method == "POST" && r.path == "/crm/objects/2026-09/contacts/search") ++search;
        }
        return std::make_pair(list, search);
    };

    auto service = spawn_hubsync({"run"});
    // Stop once about a third of the contacts are read: well inside the backfill.
    ASSERT_TRUE(poll_until(
        [&] {
            const auto [list, search] = page_requests();
            return list * 100 + search * 200 >= 10'000 || service->wait_exit(0ms);
        },
        60s))
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
        // Only real contacts, each once: whole pages of HubSpot's answers.
        EXPECT_TRUE(std::includes(truth.begin(), truth.end(), ids.begin(), ids.end()))
            << "the mirror holds contacts HubSpot does not have";
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
    // Continuing, not starting over: about the contacts that were missing, plus the pages that
    // were in flight or queued at the stop (at most 16 of up to 200), not all 30,000 again.
    const auto [list, search] = page_requests();
    const std::int64_t read = list * 100 + search * 200;
    EXPECT_GT(read, 0);
    EXPECT_LE(read, static_cast<std::int64_t>(truth.size()) - committed + 16 * 200 + 400)
        << list << " list pages, " << search << " search pages";

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
