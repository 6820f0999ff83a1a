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
    EXPECT_FALSE(SplitState::decode("v2;garbage").has_value());
    EXPECT_FALSE(SplitState::decode("v1;after=;done=0;top=x;pos=0;ord=1;r=").has_value());
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
        BatchReadResult out;
        for (RecordId id : ids)
            out.records.push_back(record(id));
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
    ApiStats stats() const override { return {}; }

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
    int lists_ = 0, searches_ = 0;
};

// Runs a split backfill over the fake and returns how often each id was written.
std::map<RecordId, int> run_split(FakeCrm& crm) {
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
    EXPECT_TRUE(split.run(state).ok());
    EXPECT_GT(split.counts().splits, 0);
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

}  // namespace
}  // namespace hubsync::testing
