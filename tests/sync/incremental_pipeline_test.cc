// The incremental window at HubSpot's latency: batch reads of changed records overlap each
// other and the next search, while pages are still committed in cursor order, so a failure
// between pages leaves exactly the committed prefix and the next cycle resumes from it.
#include <algorithm>
#include <mutex>

#include "model/endpoints.h"
#include "running_clock.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr int kRecords = 3'000;
constexpr int kChanged = 1'200;  // six full search pages of 200, twelve batch reads
constexpr milliseconds kLatency{100};

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

    // The committed window's last id (0 when no window is open).
    RecordId committed_last_id() {
        auto saved = h_.mirror->state(state_key(h_.type(), "incremental.window"));
        if (!saved.ok() || !*saved) return 0;
        return std::stoll((*saved)->substr((*saved)->rfind(':') + 1));
    }

    bool mirrored_as_changed(RecordId id) {
        auto row = h_.mirror->get_record(h_.type(), id);
        return row.ok() && *row &&
               (*row)->properties_json.find("\"" + text_ + "\":\"changed\"") != std::string::npos;
    }

    // The committed prefix: changed records up to the committed last id are written, none
    // after it. Returns how many are written.
    int expect_committed_prefix(RecordId last_id) {
        int written = 0;
        for (RecordId id : changed_) {
            const bool mirrored = mirrored_as_changed(id);
            EXPECT_EQ(mirrored, id <= last_id) << "id " << id << ", window at " << last_id;
            written += mirrored ? 1 : 0;
        }
        return written;
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

TEST_F(IncrementalPipeline, KeepsSeveralBatchReadsInFlightAndCommitsInCursorOrder) {
    std::vector<RecordId> committed;
    h_.sync_options.on_page = [&] {
        const RecordId last = committed_last_id();
        // Every page commits the prefix up to its own cursor, never a later page's records.
        if (last > 0) expect_committed_prefix(last);
        committed.push_back(last);
    };
    auto r = h_.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->mode, "incremental");
    EXPECT_EQ(r->records_written, kChanged);
    h_.expect_mirror_equals_truth();
    // Six full pages and the short one that closes the window, in cursor order.
    ASSERT_EQ(committed.size(), 7u);
    EXPECT_TRUE(std::is_sorted(committed.begin(), committed.end() - 1));
    EXPECT_EQ(committed.back(), 0) << "the last page closes the window";
    EXPECT_EQ(requests_to(Endpoint::kBatchReadObjects), kChanged / 100);
    EXPECT_GE(peak_batch_reads_held(), 2) << "batch reads overlapped at the simulator";
    const ApiStats stats = h_.api->stats();
    EXPECT_GE(stats.budget.latency_ms, kLatency.count());
    EXPECT_GE(stats.budget.in_flight_peak, 3) << "a search and two batch reads at once";
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
    const RecordId last = committed_last_id();
    ASSERT_GT(last, 0) << "the window stays open at the last committed page";
    const int written = expect_committed_prefix(last);
    EXPECT_GE(written, 2 * 200);
    EXPECT_LT(written, kChanged);

    h_.sim->clear_faults();
    h_.sim->clear_requests();
    h_.sync_options.on_page = nullptr;
    auto resumed = h_.cycle();
    ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
    h_.expect_mirror_equals_truth();
    // It went on from the committed cursor: the pages left and the closing one, no more (and
    // the change detector's one count).
    const int pages_left = (kChanged - written) / 200;
    EXPECT_EQ(requests_to(Endpoint::kSearchObjects), pages_left + 1 + 1);
    EXPECT_EQ(requests_to(Endpoint::kBatchReadObjects), (kChanged - written) / 100);
    EXPECT_EQ(resumed->records_written, kChanged - written);
}

}  // namespace
}  // namespace hubsync::testing
