// The split backfill: its state survives a round trip through sync_state; against the
// simulator it reads through both buckets, writes every record exactly once and covers sparse
// id spaces; and when a list answers out of id order it falls back to reading the whole list.
#include "sync/split_backfill.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "sync_harness.h"

namespace hubsync::testing {
namespace {

TEST(SplitState, RoundTripsThroughItsText) {
    SplitState s;
    s.list_after = "a;b=c%d,e:f";  // opaque: any character may appear
    s.list_done = false;
    s.list_top = 123456789;
    s.list_pos = 4242;
    s.list_ordered = false;
    s.ranges = {{123456789, 200000000}, {300000000, 9223372036854775807LL}};
    const auto back = SplitState::decode(s.encode());
    ASSERT_TRUE(back.has_value()) << s.encode();
    EXPECT_EQ(back->list_after, s.list_after);
    EXPECT_EQ(back->list_top, s.list_top);
    EXPECT_EQ(back->list_pos, s.list_pos);
    EXPECT_FALSE(back->list_ordered);
    ASSERT_EQ(back->ranges.size(), 2u);
    EXPECT_EQ(back->ranges[1].hi, 9223372036854775807LL);
    EXPECT_EQ(back->density, 0) << "not known unless measured";
    EXPECT_FALSE(SplitState::decode("v2;garbage").has_value());
    EXPECT_FALSE(SplitState::decode("v1;after=;done=0;top=x;pos=0;ord=1;r=").has_value());
}

TEST(SplitState, KeepsIdRangeChainsAndTheDensity) {
    SplitState s;
    s.density = 0.3333;
    s.ranges = {{100, 200, true}, {200, 300, false}};
    const auto back = SplitState::decode(s.encode());
    ASSERT_TRUE(back.has_value()) << s.encode();
    EXPECT_NEAR(back->density, 0.3333, 1e-9);
    ASSERT_EQ(back->ranges.size(), 2u);
    EXPECT_TRUE(back->ranges[0].by_id);
    EXPECT_FALSE(back->ranges[1].by_id);
    EXPECT_EQ(back->ranges[0].hi, 200);
    // A state written before id-range chains (no density, no kinds) still resumes.
    const auto old = SplitState::decode("v1;after=;done=0;top=9;pos=0;ord=1;r=3:5");
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->density, 0);
    EXPECT_FALSE(old->ranges.at(0).by_id);
    EXPECT_FALSE(SplitState::decode("v1;after=;done=0;top=9;pos=0;ord=1;d=1.5;r=").has_value());
}

std::int64_t written_rows(SyncHarness& h) {
    auto counts = h.mirror->counts(contacts_type());
    return counts.ok() ? counts->total : -1;
}

TEST(SplitBackfillSim, ReadsThroughBothBucketsAndWritesEachRecordOnce) {
    HarnessOptions o;
    o.contacts = 6'000;
    o.custom_properties = 5;
    SyncHarness h(o);
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    h.expect_mirror_equals_truth();
    int list = 0, search = 0;
    for (const auto& r : h.sim->requests()) {
        if (r.method == "GET" && r.path == "/crm/objects/2026-09/contacts" &&
            r.query.find("archived=true") == std::string::npos)
            ++list;
        if (r.path == "/crm/objects/2026-09/contacts/search") ++search;
    }
    EXPECT_GT(list, 0) << "the list endpoint reads part of the ids";
    EXPECT_GT(search, 1) << "search chains read the rest";
    // Once each: the pages add up to the rows, no record was written twice.
    EXPECT_EQ(report->records_written, written_rows(h));
}

TEST(SplitBackfillSim, SparseIdsAreAllRead) {
    HarnessOptions o;
    o.contacts = 4'000;
    o.custom_properties = 2;
    SyncHarness h(o);
    // Holes of every size: whole blocks gone, and single ids.
    const auto ids = h.sim->contact_ids(false);
    for (std::size_t i = 0; i < ids.size(); ++i)
        if ((i > 300 && i < 2'100) || i % 7 == 3) h.sim->gdpr_delete(ids[i]);
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    h.expect_mirror_equals_truth();
    EXPECT_EQ(report->records_written, written_rows(h));
}

// A HubSpot stand-in for the list and search calls the split makes, over ids 1..n; its list
// can answer out of id order.
class FakeCrm final : public HubSpotApi {
  public:
    FakeCrm(RecordId n, bool list_in_order) : n_(n), ordered_(list_in_order) {}

    Result<std::vector<PropertyDef>> list_properties(const ObjectType&,
                                                     PropertySensitivity) override {
        return std::vector<PropertyDef>{};
    }
    Result<RecordPage> list(const ObjectType&, const ListRequest& request) override {
        std::lock_guard lock(mu_);
        ++lists_;
        const RecordId from = request.after.empty() ? 0 : std::stoll(request.after);
        RecordPage page;
        for (RecordId i = from; i < std::min<RecordId>(from + request.limit, n_); ++i)
            page.records.push_back(record(ordered_ ? i + 1 : order(i)));
        if (from + request.limit < n_) page.next_after = std::to_string(from + request.limit);
        return page;
    }
    Result<BatchReadResult> batch_read(const ObjectType&, const std::vector<RecordId>& ids,
                                       const std::vector<std::string>&) override {
        std::lock_guard lock(mu_);
        ++batch_reads_;
        BatchReadResult out;
        for (RecordId id : ids) {
            if (id >= 1 && id <= n_)
                out.records.push_back(record(id));
            else
                out.missing.push_back(id);
        }
        return out;
    }
    Result<BatchReadResult> batch_read_archived(const ObjectType&, const std::vector<RecordId>& ids,
                                                const std::vector<std::string>&) override {
        BatchReadResult out;
        out.missing = ids;
        return out;
    }
    Result<RecordPage> search(const ObjectType&, const SearchRequest& q) override {
        std::lock_guard lock(mu_);
        ++searches_;
        RecordPage page;
        page.total = n_;
        if (!q.ascending) {  // the top id
            page.records.push_back(record(n_));
            return page;
        }
        RecordId gt = 0, lte = n_;
        for (const auto& f : q.filter_groups.at(0)) {
            if (f.op == "GT") gt = std::stoll(f.value);
            if (f.op == "LTE") lte = std::stoll(f.value);
        }
        for (RecordId id = gt + 1;
             id <= std::min(lte, n_) && page.records.size() < static_cast<std::size_t>(q.limit);
             ++id)
            page.records.push_back(record(id));
        return page;
    }
    Result<std::vector<ObjectSchema>> list_schemas() override {
        return std::vector<ObjectSchema>{};
    }
    std::size_t list_url_length(const ObjectType&, const ListRequest&) const override {
        return 100;
    }
    std::size_t search_body_length(const SearchRequest&) const override { return 100; }
    int suggested_in_flight() const override { return 4; }
    ApiStats stats() const override {
        ApiStats s;
        s.budget.latency_ms = latency_ms_;
        s.budget.limit = 110;
        return s;
    }
    // What stats() says the requests take (the fake answers at once).
    void set_latency_ms(double ms) { latency_ms_ = ms; }
    int batch_reads() {
        std::lock_guard lock(mu_);
        return batch_reads_;
    }

    int lists() const { return lists_; }

  private:
    // A permutation of 1..n that keeps every id's position within the list but not its order.
    RecordId order(RecordId i) const { return n_ - i; }
    static Record record(RecordId id) {
        Record r;
        r.id = id;
        r.updated_at = "2024-01-01T00:00:00.000Z";
        return r;
    }
    RecordId n_;
    bool ordered_;
    std::mutex mu_;
    int lists_ = 0, searches_ = 0, batch_reads_ = 0;
    double latency_ms_ = 0;
};

// Runs a split backfill over the fake and returns how often each id was written.
std::map<RecordId, int> run_split(FakeCrm& crm, double density = 0,
                                  SplitBackfill::Counts* counts = nullptr) {
    RequestPlan plan;
    plan.properties = {"hs_object_id"};
    std::map<RecordId, int> written;
    SplitBackfillOptions options;
    options.min_split = 50;
    SplitBackfill split(
        crm, contacts_type(), plan, options,
        [&](const std::vector<RecordId>& ids) -> Result<std::vector<Record>> {
            auto r = crm.batch_read(contacts_type(), ids, {});
            return std::move(r.value().records);
        },
        [&](SplitBackfill::Page& page) -> Result<std::int64_t> {
            for (const auto& r : page.records)
                ++written[r.id];
            return static_cast<std::int64_t>(page.records.size());
        });
    SplitState state;
    state.list_top = 2'000;
    state.density = density;
    EXPECT_TRUE(split.run(state).ok());
    EXPECT_GT(split.counts().splits, 0);
    if (counts) *counts = split.counts();
    return written;
}

TEST(SplitBackfillFake, EveryIdIsWrittenOnceWhenTheListIsInIdOrder) {
    FakeCrm crm(2'000, true);
    const auto written = run_split(crm);
    ASSERT_EQ(written.size(), 2'000u);
    for (const auto& [id, times] : written)
        EXPECT_EQ(times, 1) << id;
    EXPECT_LT(crm.lists(), 20) << "the list stopped where the search chains took over";
}

TEST(SplitBackfillFake, AListOutOfIdOrderIsReadToItsEnd) {
    FakeCrm crm(2'000, false);
    const auto written = run_split(crm);
    ASSERT_EQ(written.size(), 2'000u) << "no id may be lost";
    EXPECT_EQ(crm.lists(), 20) << "the whole list, since it cannot be cut by id";
}

// Far from HubSpot (800 ms, 110 per 10 s) the list uses one request of the eleven a second
// allowed: id-range chains read part of the ids by batch/read, and every id is still written
// exactly once.
TEST(SplitBackfillFake, FarFromHubSpotIdRangeChainsReadWithTheIdleBudget) {
    FakeCrm crm(2'000, true);
    crm.set_latency_ms(800);
    SplitBackfill::Counts counts;
    const auto written = run_split(crm, 1.0, &counts);
    ASSERT_EQ(written.size(), 2'000u);
    for (const auto& [id, times] : written)
        EXPECT_EQ(times, 1) << id;
    EXPECT_GT(counts.range_pages, 0);
    EXPECT_GE(counts.peak_range_chains, 7) << "(11 - 1.25) x 0.8 wanted, all started at once";
    EXPECT_EQ(crm.batch_reads(), counts.range_pages) << "the list carries its properties";
}

// Sparse ids (or a density nobody measured) keep them off: a batch/read would bring back
// fewer records than it spends budget on.
TEST(SplitBackfillFake, IdRangeChainsStayOffWhenTheIdsAreSparseOrTheDensityUnknown) {
    for (const double density : {0.1, 0.0}) {
        FakeCrm crm(2'000, true);
        crm.set_latency_ms(800);
        SplitBackfill::Counts counts;
        const auto written = run_split(crm, density, &counts);
        EXPECT_EQ(written.size(), 2'000u);
        EXPECT_EQ(counts.range_pages, 0) << density;
        EXPECT_EQ(crm.batch_reads(), 0) << density;
    }
}

// Near HubSpot the list alone keeps the 10-second bucket busy: no id-range chain takes from it.
TEST(SplitBackfillFake, NoIdRangeChainsWhenTheListUsesTheWholeBudget) {
    FakeCrm crm(2'000, true);
    crm.set_latency_ms(0);
    SplitBackfill::Counts counts;
    run_split(crm, 1.0, &counts);
    EXPECT_EQ(counts.range_pages, 0);
}

// Against the simulator 300 ms away, its limits on: the backfill reads through the list, the
// search chains and id-range batch reads at once, writes each record once, and meets no 429.
// Real time: the rate limits at both ends are the point, and a virtual clock that jumps for
// one thread's wait would move every other request's arrival with it.
TEST(SplitBackfillSim, FarFromHubSpotReadsIdRangesToo) {
    HarnessOptions o;
    o.contacts = 6'000;
    o.custom_properties = 5;
    o.time = &SystemClock::instance();
    SyncHarness h(o);
    h.sim->set_latency(std::chrono::milliseconds(300));
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    h.expect_mirror_equals_truth();
    EXPECT_EQ(report->records_written, written_rows(h));
    int batch_reads = 0, lists = 0, searches = 0;
    for (const auto& r : h.sim->requests()) {
        if (r.path == "/crm/objects/2026-09/contacts/batch/read") ++batch_reads;
        if (r.method == "GET" && r.path == "/crm/objects/2026-09/contacts") ++lists;
        if (r.path == "/crm/objects/2026-09/contacts/search") ++searches;
    }
    EXPECT_GT(batch_reads, 0) << "id ranges read by batch/read";
    EXPECT_GT(lists, 0);
    EXPECT_GT(searches, 2);
    EXPECT_EQ(h.api->stats().rate_limited, 0);
}

}  // namespace
}  // namespace hubsync::testing
