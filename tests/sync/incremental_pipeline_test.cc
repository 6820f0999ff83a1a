// The incremental window at HubSpot's latency: search chains walk the window's id ranges at
// once and batch reads of changed records overlap each other and the searches, while pages are
// still committed in the order they came with the ranges left, so a failure between pages
// leaves exactly what the committed ranges say and the next cycle walks only those.
#include <fmt/core.h>

#include <algorithm>
#include <mutex>

#include "model/endpoints.h"
#include "running_clock.h"
#include "sync/search_chains.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr int kRecords = 3'000;
constexpr int kChanged = 1'200;  // six full search pages of 200, twelve batch reads
constexpr milliseconds kLatency{300};

class IncrementalPipeline : public ::testing::Test {
  protected:
    IncrementalPipeline() : h_(options()) {}

    HarnessOptions options() {
        HarnessOptions o;
        o.contacts = kRecords;
        o.custom_properties = 5;
        o.time = &time_;
        o.transport_pool = true;
        return o;
    }

    // Backfills without latency, then changes kChanged records (every other id) and holds
    // every answer kLatency from now on.
    void SetUp() override {
        auto backfill = h_.cycle();
        ASSERT_TRUE(backfill.ok()) << backfill.error().describe();
        time_.advance(minutes(5));
        text_ = h_.text_property();
        const auto ids = h_.sim->record_ids("contacts", false);
        for (std::size_t i = 0; changed_.size() < static_cast<std::size_t>(kChanged); i += 2) {
            h_.sim->update("contacts", ids[i], {{text_, "changed"}});
            changed_.push_back(ids[i]);
        }
        time_.advance(minutes(1));
        h_.sim->set_latency(kLatency);
        h_.sim->clear_requests();
        rate_limited_before_ = h_.api->stats().rate_limited;
    }

    // The committed window's id ranges left (nullopt when no window is open).
    std::optional<std::vector<IdWalkRange>> committed_left() {
        auto saved = h_.mirror->state(state_key(h_.type(), "incremental.window"));
        if (!saved.ok() || !*saved) return std::nullopt;
        const auto at = (*saved)->find(";r=");
        EXPECT_NE(at, std::string::npos) << **saved;
        if (at == std::string::npos) return std::nullopt;
        auto ranges = decode_ranges(std::string_view(**saved).substr(at + 3));
        EXPECT_TRUE(ranges.has_value()) << **saved;
        return ranges;
    }

    static bool left_holds(const std::vector<IdWalkRange>& left, RecordId id) {
        return std::any_of(left.begin(), left.end(),
                           [&](const IdWalkRange& r) { return id > r.cursor && id <= r.hi; });
    }

    bool mirrored_as_changed(RecordId id) {
        auto row = h_.mirror->get_record(h_.type(), id);
        return row.ok() && *row &&
               (*row)->properties_json.find("\"" + text_ + "\":\"changed\"") != std::string::npos;
    }

    // What the committed ranges say: changed records outside every range left are written,
    // none inside one. Returns how many are written.
    int expect_committed(const std::vector<IdWalkRange>& left) {
        int written = 0;
        for (RecordId id : changed_) {
            const bool mirrored = mirrored_as_changed(id);
            EXPECT_EQ(mirrored, !left_holds(left, id))
                << "id " << id << ", ranges left " << encode_ranges(left);
            written += mirrored ? 1 : 0;
        }
        return written;
    }

    // Most searches the simulator held at once.
    int peak_searches_held() {
        return peak_held(h_.sim->requests(), endpoint_path(Endpoint::kSearchObjects,
                                                           default_api_version(), "contacts"));
    }

    // Most batch reads the simulator held at once (each from its arrival for its latency).
    int peak_batch_reads_held() {
        return peak_held(h_.sim->requests(), endpoint_path(Endpoint::kBatchReadObjects,
                                                           default_api_version(), "contacts"));
    }

    int requests_to(Endpoint endpoint) {
        const std::string path = endpoint_path(endpoint, default_api_version(), "contacts");
        int n = 0;
        for (const auto& r : h_.sim->requests())
            n += r.path == path ? 1 : 0;
        return n;
    }

    RunningClock time_;
    SyncHarness h_;
    std::string text_;
    std::vector<RecordId> changed_;
    // 429s the backfill met: this clock's jumps can land between a request's sending and its
    // arrival, which real time does not do; the incremental is what is measured.
    std::int64_t rate_limited_before_ = 0;
};

TEST_F(IncrementalPipeline, SearchChainsAndBatchReadsOverlapAndCommitsFollowTheRangesLeft) {
    std::vector<std::vector<IdWalkRange>> committed;
    h_.sync_options.on_page = [&] {
        const auto left = committed_left();
        ASSERT_TRUE(left.has_value()) << "every page commits the window with it";
        // Every page commits exactly what lies outside the ranges left, never a later page's.
        expect_committed(*left);
        committed.push_back(*left);
    };
    auto r = h_.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->mode, "incremental");
    EXPECT_EQ(r->records_written, kChanged);
    h_.expect_mirror_equals_truth();
    EXPECT_FALSE(committed_left().has_value()) << "the finished window is closed";
    // Six full pages' worth at least, and the last page committed leaves nothing.
    ASSERT_GE(committed.size(), 6u);
    EXPECT_TRUE(committed.back().empty());
    EXPECT_GE(peak_searches_held(), 2) << "search chains overlapped at the simulator";
    EXPECT_GE(peak_batch_reads_held(), 2) << "batch reads overlapped at the simulator";
    // A short page (a range's end) costs a batch read of its own, no more.
    EXPECT_GE(requests_to(Endpoint::kBatchReadObjects), kChanged / 100);
    EXPECT_LE(requests_to(Endpoint::kBatchReadObjects),
              kChanged / 100 + static_cast<int>(committed.size()));
    const ApiStats stats = h_.api->stats();
    EXPECT_GE(stats.budget.latency_ms, kLatency.count());
    EXPECT_GE(stats.budget.in_flight_peak, 3) << "searches and batch reads at once";
    EXPECT_EQ(stats.rate_limited - rate_limited_before_, 0);
    EXPECT_EQ(h_.sim->count_status(429), 0);
}

TEST_F(IncrementalPipeline, AFailedReadLeavesLaterPagesUncommittedAndTheNextCycleResumes) {
    const std::string batch_read =
        endpoint_path(Endpoint::kBatchReadObjects, default_api_version(), "contacts");
    int pages = 0;
    h_.sync_options.on_page = [&] {
        // From the second committed page on, every batch read fails: pages whose reads were
        // already in flight or done must not be committed ahead of the failed one.
        if (++pages == 2) h_.sim->add_fault(sim::FaultRule::fail_next(batch_read, -1, 500));
    };
    auto failed = h_.cycle();
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::kTransient) << failed.error().describe();
    const auto left = committed_left();
    ASSERT_TRUE(left.has_value()) << "the window stays open at the last committed page";
    ASSERT_FALSE(left->empty());
    const int written = expect_committed(*left);
    EXPECT_GE(written, 200);
    EXPECT_LT(written, kChanged);

    h_.sim->clear_faults();
    h_.sim->clear_requests();
    // The resumed cycle walks only what was left: no range it commits reaches outside them.
    h_.sync_options.on_page = [&] {
        const auto now = committed_left();
        ASSERT_TRUE(now.has_value());
        for (const auto& r : *now) {
            const bool inside = std::any_of(left->begin(), left->end(), [&](const IdWalkRange& l) {
                return r.cursor >= l.cursor && r.hi <= l.hi;
            });
            EXPECT_TRUE(inside) << encode_ranges(*now) << " outside " << encode_ranges(*left);
        }
    };
    auto resumed = h_.cycle();
    ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
    h_.expect_mirror_equals_truth();
    EXPECT_EQ(resumed->records_written, kChanged - written);
    EXPECT_GE(requests_to(Endpoint::kBatchReadObjects), (kChanged - written) / 100);
}

// A window an older version stopped part way ("since:until:last_id", one chain) is finished
// from its last id: the changes below it count as written, the ones above are read.
TEST_F(IncrementalPipeline, AWindowStoppedByAnOlderVersionResumesFromItsLastId) {
    const RecordId last_id = changed_[changed_.size() / 2];
    const std::int64_t until = to_epoch_ms(time_.now());
    const std::string old_form = fmt::format(
        "{}:{}:{}", until - std::chrono::milliseconds(minutes(30)).count(), until, last_id);
    ASSERT_TRUE(
        h_.mirror->set_state({{state_key(h_.type(), "incremental.window"), old_form}}).ok());
    auto r = h_.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    int above = 0;
    for (RecordId id : changed_) {
        EXPECT_EQ(mirrored_as_changed(id), id > last_id) << "id " << id;
        above += id > last_id ? 1 : 0;
    }
    EXPECT_EQ(r->records_written, above);
    EXPECT_FALSE(committed_left().has_value()) << "the window is closed";
    auto high = h_.mirror->state(state_key(h_.type(), "incremental.high_water_ms"));
    ASSERT_TRUE(high.ok() && *high);
    EXPECT_EQ(**high, std::to_string(until));
    // The next cycle's window reaches back over the lookback and finds the rest.
    time_.advance(minutes(1));
    auto next = h_.cycle();
    ASSERT_TRUE(next.ok()) << next.error().describe();
    h_.expect_mirror_equals_truth();
}

}  // namespace
}  // namespace hubsync::testing
