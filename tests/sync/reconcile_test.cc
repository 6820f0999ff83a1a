// The reconcile sweep at HubSpot's latency: several search chains walk the ids at once within
// the search budget and leave the mirror as one chain would (rows removed, added, refreshed);
// a sweep stopped part way resumes from its committed progress without walking the finished
// ranges again and without skipping any; and an id search does not show is removed only when
// batch/read says it is gone.
#include "sync/search_chains.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>

#include "model/endpoints.h"
#include "running_clock.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

TEST(ReconcileState, RoundTripsThroughItsText) {
    ReconcileState s;
    s.top = 123456789;
    s.ranges = {{0, 4000}, {4200, 9223372036854775807LL}};
    const auto back = ReconcileState::decode(s.encode());
    ASSERT_TRUE(back.has_value()) << s.encode();
    EXPECT_EQ(back->top, s.top);
    EXPECT_FALSE(back->archived_phase);
    ASSERT_EQ(back->ranges.size(), 2u);
    EXPECT_EQ(back->ranges[1].cursor, 4200);
    EXPECT_EQ(back->ranges[1].hi, 9223372036854775807LL);
    s.ranges.clear();
    s.archived_phase = true;
    const auto done = ReconcileState::decode(s.encode());
    ASSERT_TRUE(done.has_value());
    EXPECT_TRUE(done->archived_phase);
    EXPECT_TRUE(done->ranges.empty());
    EXPECT_FALSE(ReconcileState::decode("v2;top=1;archived=0;r=").has_value());
    EXPECT_FALSE(ReconcileState::decode("v1;top=1;archived=0;r=5:3").has_value());
}

TEST(SearchChainRanges, EvenRangesCoverEveryIdAboveTheStartOnce) {
    // Four ranges at even steps over (1000, 9000], the first from 500, the last to the end.
    const auto r = even_ranges(500, 1000, 9000, 4, 400);
    ASSERT_EQ(r.size(), 4u) << encode_ranges(r);
    EXPECT_EQ(r.front().cursor, 500);
    EXPECT_EQ(r[1].cursor, 3000);
    EXPECT_EQ(r.back().hi, kLargestRecordId);
    for (std::size_t i = 1; i < r.size(); ++i)
        EXPECT_EQ(r[i].cursor, r[i - 1].hi) << encode_ranges(r);
    // Steps below the start are skipped; too narrow a span stays one range.
    const auto above = even_ranges(5000, 1000, 9000, 4, 400);
    EXPECT_EQ(above.front().cursor, 5000);
    EXPECT_EQ(above.size(), 2u) << encode_ranges(above);
    EXPECT_EQ(even_ranges(100, 100, 500, 4, 400).size(), 1u);
    const auto back = decode_ranges(encode_ranges(r));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->size(), r.size());
    EXPECT_FALSE(decode_ranges("5:3").has_value());
    EXPECT_FALSE(decode_ranges("5").has_value());
    EXPECT_TRUE(decode_ranges("")->empty());
}

// Runs SQL on the mirror file behind the engine's back (what a lost write or an old backup
// would leave), so that only the reconcile sweep can put it right.
void tamper(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* conn = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &conn), SQLITE_OK);
    sqlite3_busy_timeout(conn, 5000);
    char* error = nullptr;
    const int rc = sqlite3_exec(conn, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << "\n" << sql;
    sqlite3_free(error);
    sqlite3_close(conn);
}

std::string id_list(const std::vector<RecordId>& ids) {
    std::string out;
    for (RecordId id : ids)
        out += (out.empty() ? "" : ",") + std::to_string(id);
    return out;
}

class ReconcileAtLatency : public ::testing::Test {
  protected:
    static constexpr int kRecords = 6'000;  // 30 search pages of 200

    ReconcileAtLatency() : h_(options()) {}

    HarnessOptions options() {
        HarnessOptions o;
        o.contacts = kRecords;
        o.custom_properties = 3;
        // Real time: the simulator counts searches per second of its clock, and a clock that
        // jumps over waits could bunch up searches that left the client 250 ms apart.
        o.time = &time_;
        return o;
    }

    // Backfills without latency, then leaves differences only a full id walk finds: rows the
    // mirror lost, rows it holds stale, and as many records deleted at HubSpot as rows lost
    // (so the change detector's counts agree and stay out of it). Spread over the whole id
    // range, so every chain meets some.
    void SetUp() override {
        auto backfill = h_.cycle();
        ASSERT_TRUE(backfill.ok()) << backfill.error().describe();
        const auto ids = h_.sim->record_ids("contacts", false);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i % 600 == 5) lost_.push_back(ids[i]);
            if (i % 600 == 80) gone_.push_back(ids[i]);
            if (i % 173 == 50) stale_.push_back(ids[i]);
        }
        ASSERT_EQ(lost_.size(), gone_.size());
        for (RecordId id : gone_)
            h_.sim->gdpr_delete("contacts", id);
        tamper(h_.dir / "mirror.db",
               fmt::format("DELETE FROM contacts WHERE id IN ({});"
                           "UPDATE contacts SET updated_at = '2001-01-01T00:00:00.000Z' WHERE id "
                           "IN ({});",
                           id_list(lost_), id_list(stale_)));
        EXPECT_FALSE(h_.differences().empty());
    }

    void set_latency(milliseconds latency) {
        h_.sim->set_latency(latency);
        h_.sim->clear_requests();
        rate_limited_before_ = h_.api->stats().rate_limited;
    }

    std::vector<sim::Simulator::RequestRecord> searches() {
        const std::string path =
            endpoint_path(Endpoint::kSearchObjects, default_api_version(), "contacts");
        std::vector<sim::Simulator::RequestRecord> out;
        for (const auto& r : h_.sim->requests())
            if (r.path == path) out.push_back(r);
        return out;
    }

    // Most searches the simulator held at once (each from its arrival for its latency).
    int peak_searches_held() {
        return peak_held(h_.sim->requests(), endpoint_path(Endpoint::kSearchObjects,
                                                           default_api_version(), "contacts"));
    }

    // The most searches the simulator counted in any one second.
    int most_searches_in_a_second() {
        const auto all = searches();
        int most = 0;
        for (std::size_t i = 0; i < all.size(); ++i) {
            int n = 0;
            for (std::size_t j = i;
                 j < all.size() && all[j].at - all[i].at < std::chrono::seconds(1); ++j)
                ++n;
            most = std::max(most, n);
        }
        return most;
    }

    bool in_mirror(RecordId id) {
        auto row = h_.mirror->get_record(h_.type(), id);
        return row.ok() && row->has_value();
    }

    bool fixed(RecordId id) {
        if (std::find(gone_.begin(), gone_.end(), id) != gone_.end()) return !in_mirror(id);
        auto row = h_.mirror->get_record(h_.type(), id);
        if (!row.ok() || !*row) return false;
        return (*row)->updated_at != "2001-01-01T00:00:00.000Z";
    }

    std::optional<ReconcileState> committed_progress() {
        auto saved = h_.mirror->state(state_key(h_.type(), kStateReconcileProgress));
        if (!saved.ok() || !*saved) return std::nullopt;
        return ReconcileState::decode(**saved);
    }

    Clock& time_ = SystemClock::instance();
    SyncHarness h_;
    std::vector<RecordId> lost_, gone_, stale_;
    std::int64_t rate_limited_before_ = 0;
};

TEST_F(ReconcileAtLatency, SeveralChainsInFlightWithinTheSearchBudgetGiveTheSerialResult) {
    set_latency(milliseconds(300));
    auto r = h_.cycle(CycleRequest{false, true});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_TRUE(r->reconciled);
    // What one serial walk leaves: the lost rows are back, the stale ones refreshed, exactly
    // the records HubSpot deleted removed, and the mirror equal to HubSpot.
    h_.expect_mirror_equals_truth();
    EXPECT_EQ(r->removed, static_cast<std::int64_t>(gone_.size()));
    for (RecordId id : lost_)
        EXPECT_TRUE(in_mirror(id)) << id;
    for (RecordId id : stale_)
        EXPECT_TRUE(fixed(id)) << id;
    // Several searches at the simulator at once (4/s x 300 ms: three chains), never more than
    // the budget's four a second, and not one 429.
    EXPECT_GE(peak_searches_held(), 2) << "search chains overlapped at the simulator";
    EXPECT_LE(most_searches_in_a_second(), 5);
    EXPECT_EQ(h_.sim->count_status(429), 0);
    EXPECT_EQ(h_.api->stats().rate_limited - rate_limited_before_, 0);
    // 30 pages of ids, one short page more per chain and the two span searches, besides the
    // window and the change detector: the ranges do not overlap.
    EXPECT_LE(static_cast<int>(searches().size()), kRecords / 200 + 8 + 2 + 4);
    EXPECT_FALSE(committed_progress().has_value()) << "a finished sweep leaves no progress";
}

TEST_F(ReconcileAtLatency, AStoppedSweepResumesWhereItsCommittedPagesEndAndSkipsNothing) {
    set_latency(milliseconds(100));
    StopSource stop;
    h_.sync_options.stop = &stop;
    int pages = 0;
    h_.sync_options.on_progress = [&](const SyncProgress& p) {
        // Part way: once the sweep has committed progress, past its first dozen pages.
        if (p.phase == "reconcile" && ++pages >= 12 && committed_progress()) stop.request_stop();
    };
    auto first = h_.cycle(CycleRequest{false, true});
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.error().kind, ErrorKind::kCancelled);
    const auto progress = committed_progress();
    ASSERT_TRUE(progress.has_value()) << "the stopped sweep committed its progress";
    ASSERT_FALSE(progress->archived_phase);
    const int first_searches = static_cast<int>(searches().size());

    // Nothing outside the ranges left is unfinished: every id there was compared and its
    // difference committed. Inside them, nothing was written past a committed cursor's page.
    const auto all = h_.sim->record_ids("contacts", false);
    auto left = [&](RecordId id) {
        for (const auto& r : progress->ranges)
            if (id > r.cursor && id <= r.hi) return true;
        return false;
    };
    std::int64_t ids_left = 0;
    for (RecordId id : all)
        ids_left += left(id) ? 1 : 0;
    EXPECT_GT(ids_left, 0);
    EXPECT_LT(ids_left, kRecords - 1'000) << "the first run walked a good part";
    int checked = 0;
    for (const auto* set : {&lost_, &gone_, &stale_})
        for (RecordId id : *set)
            if (!left(id)) {
                EXPECT_TRUE(fixed(id)) << "id " << id << " lies in a finished range";
                ++checked;
            }
    EXPECT_GT(checked, 0);

    // The next ordinary cycle finishes the sweep, walking only the ranges left.
    h_.sync_options.on_progress = nullptr;
    h_.sync_options.stop = nullptr;
    h_.sim->clear_requests();
    const std::string resumed_at = format_iso8601(time_.now());
    auto second = h_.cycle();
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_TRUE(second->reconciled) << "progress makes the sweep due";
    h_.expect_mirror_equals_truth();
    // The reconcile's own searches: not the window's one nor the change detector's (the first
    // run fixed differences in part, so the counts may disagree now). One page per 200 ids
    // left and a short page per range; no span searches, none in the finished ranges.
    const TypeReport& t = second->types.front();
    const int resumed = static_cast<int>(t.searches - t.detector_searches) - 1;
    const int pages_left = static_cast<int>((ids_left + 199) / 200);
    EXPECT_LE(resumed, pages_left + static_cast<int>(progress->ranges.size()) + 1);
    // The first run: its window search, the detector's count and the two span searches.
    // Pages fetched but not yet committed when the stop came (at most the sweep's queue and
    // the pages held for one confirmation) are fetched again; nothing else is walked twice.
    EXPECT_LE(first_searches - 4 + resumed, kRecords / 200 + 1 + 8 + 2 + 8 + 8)
        << "the two runs together cost one sweep";
    EXPECT_FALSE(committed_progress().has_value());
    auto last = h_.mirror->state(state_key(h_.type(), kStateLastReconcile));
    ASSERT_TRUE(last.ok() && last->has_value());
    EXPECT_GE(**last, resumed_at) << "the finished sweep counts from when it ended";
}

TEST(ReconcileSearchLag, AnIdSearchDoesNotShowIsKeptWhileBatchReadSaysItLives) {
    RunningClock time;
    HarnessOptions o;
    o.contacts = 2'000;
    o.custom_properties = 3;
    o.time = &time;
    o.index_delay = minutes(30);  // nothing created from now on shows in search in this test
    SyncHarness h(o);
    auto backfill = h.cycle();
    ASSERT_TRUE(backfill.ok()) << backfill.error().describe();
    time.advance(minutes(5));
    // Records HubSpot has and the mirror holds (an earlier read put them there) that search
    // has not indexed: the sweep does not see them, batch/read shows them alive.
    std::vector<RecordId> unindexed;
    PageWrite write;
    for (int i = 0; i < 3; ++i) {
        const RecordId id = h.sim->create("contacts", {{h.text_property(), "fresh"}});
        unindexed.push_back(id);
        auto record = h.sim->record("contacts", id);
        ASSERT_TRUE(record.has_value());
        write.records.push_back(*record);
    }
    ASSERT_TRUE(h.mirror->write(h.type(), write).ok());
    h.sim->set_latency(milliseconds(200));
    auto r = h.cycle(CycleRequest{false, true});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_TRUE(r->reconciled);
    for (RecordId id : unindexed) {
        auto row = h.mirror->get_record(h.type(), id);
        ASSERT_TRUE(row.ok());
        EXPECT_TRUE(row->has_value()) << "id " << id << " is alive though search lags";
    }
    EXPECT_EQ(r->removed, 0);
    h.expect_mirror_equals_truth();
}

// Search answering nothing at all (an index outage: 200, total 0) while the mirror holds
// active rows: the sweep skips its active walk instead of sending every row to batch/read, and
// removes nothing. The change detector, which also sees the counts disagree, confirms through
// batch/read what it finds missing (one read per 100 rows); the sweep adds no reads of its own.
HarnessOptions outage_options(int contacts) {
    HarnessOptions o;
    o.contacts = contacts;
    o.custom_properties = 3;
    o.rate_limits = false;
    return o;
}

// The first cycle (a backfill), then five minutes.
void backfill_and_wait(SyncHarness& h) {
    auto backfill = h.cycle();
    ASSERT_TRUE(backfill.ok()) << backfill.error().describe();
    h.clock.advance(minutes(5));
}

TEST(ReconcileSearchOutage, AnEmptySearchSkipsTheActiveWalkAndRemovesNothing) {
    SyncHarness h(outage_options(2'000));
    ASSERT_NO_FATAL_FAILURE(backfill_and_wait(h));
    const std::string search =
        endpoint_path(Endpoint::kSearchObjects, default_api_version(), "contacts");
    h.sim->add_fault(sim::FaultRule::of_kind(sim::FaultRule::Kind::kEmptyResults, search, -1));
    h.sim->clear_requests();
    auto r = h.cycle(CycleRequest{false, true});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->reconciled) << "the archived list still ran and the sweep is done";
    EXPECT_EQ(r->removed, 0);
    h.sim->clear_faults();
    h.expect_mirror_equals_truth();
    int batch_reads = 0;
    const std::string batch_read =
        endpoint_path(Endpoint::kBatchReadObjects, default_api_version(), "contacts");
    for (const auto& req : h.sim->requests())
        batch_reads += req.path == batch_read ? 1 : 0;
    // One sample read each for the change detector and the reconcile sweep: every row a
    // candidate would be 20 more.
    EXPECT_LE(batch_reads, 2) << "only the two sample reads that show search is failing";
    EXPECT_EQ(r->types.front().detector_route, "skipped: search shows nothing");
}

// A portal whose records were all deleted is not mistaken for a search outage: the sample read
// finds none of them active, and the mirror follows.
TEST(ReconcileSearchOutage, APortalEmptiedForRealIsStillSeen) {
    SyncHarness h(outage_options(300));
    ASSERT_NO_FATAL_FAILURE(backfill_and_wait(h));
    for (const RecordId id : h.sim->record_ids("contacts", false))
        h.sim->archive("contacts", id);
    h.clock.advance(minutes(1));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_NE(r->types.front().detector_route, "skipped: search shows nothing");
    h.expect_mirror_equals_truth();
}

}  // namespace
}  // namespace hubsync::testing
