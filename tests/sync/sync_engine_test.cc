// The sync engine against the simulator, for every object type from one parameterised table:
// backfill, incremental changes of every kind, the 10,000-result search cap, search lag, wide
// property sets, and the request cost. Contacts-only details follow at the end.
#include <random>

#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

void run_ok(SyncHarness& h, CycleRequest request = {}) {
    auto r = h.cycle(request);
    ASSERT_TRUE(r.ok()) << r.error().describe();
}

// Every object type the engine mirrors: the four standard ones and a custom object.
class EveryType : public ::testing::TestWithParam<std::string> {
  protected:
    HarnessOptions options(int records) const {
        HarnessOptions o;
        o.type = GetParam();
        o.contacts = records;
        return o;
    }
    static std::vector<RecordId> ids(SyncHarness& h, bool archived = false) {
        return h.sim->record_ids(h.type().name, archived);
    }
};

INSTANTIATE_TEST_SUITE_P(Types, EveryType,
                         ::testing::Values("contacts", "companies", "deals", "tickets", "pets"));

TEST_P(EveryType, BackfillEqualsTruth) {
    SyncHarness h(options(12'000));
    const std::string type = h.type().name;
    // Archive a few so the archived phase has work.
    const auto all = ids(h);
    for (int i = 0; i < 30; ++i)
        h.sim->archive(type, all[static_cast<std::size_t>(i * 97)]);
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->mode, "backfill");
    EXPECT_TRUE(r->backfill_complete);
    EXPECT_TRUE(r->plan.properties_in_list);
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(429), 0);
    EXPECT_EQ(h.sim->count_status(414), 0);
    // At most one request per 100 active records (list pages hold 100, search pages 200),
    // plus properties, the top id, the archived list: nothing rescans.
    EXPECT_LE(r->requests, 12'000 / 100 + 6);
}

TEST_P(EveryType, IncrementalAfterRandomChangesOfEveryKindEqualsTruth) {
    SyncHarness h(options(2'000));
    const std::string type = h.type().name;
    const std::string text = h.text_property();
    h.sync_options.archived_interval = Millis(0);  // sweep archives every cycle in this test
    run_ok(h);
    std::mt19937 rng(42);
    for (int round = 0; round < 4; ++round) {
        h.clock.advance(minutes(5));
        const auto live = ids(h);
        auto pick = [&] {
            return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)];
        };
        for (int i = 0; i < 40; ++i)
            h.sim->update(type, pick(), {{text, "R" + std::to_string(round * 100 + i)}});
        for (int i = 0; i < 10; ++i)
            h.sim->create(type, {{text, "new " + std::to_string(round * 100 + i)}});
        for (int i = 0; i < 5; ++i)
            h.sim->archive(type, pick());
        const auto archived = ids(h, true);
        for (const RecordId id : archived) {
            if (std::find(live.begin(), live.end(), id) == live.end() && rng() % 3 == 0) {
                h.sim->restore(type, id);
                break;
            }
        }
        const RecordId a = pick();
        RecordId b = pick();
        while (b == a)
            b = pick();
        h.sim->merge(type, a, b);
        h.sim->gdpr_delete(type, pick());
        h.clock.advance(seconds(1));
        run_ok(h);
    }
    // GDPR deletes vanish only in the reconcile sweep.
    run_ok(h, CycleRequest{false, true});
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(429), 0);
}

TEST_P(EveryType, MergedRecordsPointAtTheSurvivor) {
    SyncHarness h(options(300));
    const std::string type = h.type().name;
    run_ok(h);
    const auto all = ids(h);
    h.clock.advance(minutes(1));
    const RecordId survivor = h.sim->merge(type, all[10], all[20]);
    h.clock.advance(minutes(5));
    run_ok(h);
    for (const RecordId absorbed : {all[10], all[20]}) {
        auto row = h.mirror->get_record(h.type(), absorbed);
        ASSERT_TRUE(row.ok() && row->has_value());
        EXPECT_EQ((*row)->merged_into, survivor);
    }
    auto s = h.mirror->get_record(h.type(), survivor);
    ASSERT_TRUE(s.ok() && s->has_value());
}

TEST_P(EveryType, TwelveThousandRecordsUpdatedInOneMillisecond) {
    HarnessOptions o = options(13'000);
    o.rate_limits = false;
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    auto all = ids(h);
    all.resize(12'000);
    h.sim->update_many_same_millisecond(h.type().name, all, {{h.text_property(), "bulk"}});
    h.clock.advance(minutes(1));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(400), 0) << "no search paged past 10,000 results";
    // ceil(12000/200) searches, the window's highest id, the detector's count (+1 empty tail)
    // and ceil(12000/100) batch reads, + properties. Search chains end each id range with a
    // short page: one more search, and at most one more batch read, per range.
    const std::int64_t extra_searches = std::max<std::int64_t>(0, r->searches - (60 + 3));
    EXPECT_LE(extra_searches, 16) << "a short page per range, a few ranges";
    EXPECT_LE(r->requests - r->searches, 120 + 1 + 2 + extra_searches);
}

TEST_P(EveryType, ChangesIndexedLateWithinLookbackAreNotLost) {
    HarnessOptions o = options(500);
    o.index_delay = minutes(3);  // search lags 3 minutes; lookback is 10
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto all = ids(h);
    h.sim->update(h.type().name, all[5], {{h.text_property(), "Late"}});
    // The next cycle runs before search has indexed the change...
    h.clock.advance(seconds(30));
    run_ok(h);
    auto row = h.mirror->get_record(h.type(), all[5]);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->properties_json.find("\"Late\""), std::string::npos)
        << "search should lag here";
    // ...and the one after, with the window overlapping by lookback, picks it up.
    h.clock.advance(minutes(5));
    run_ok(h);
    h.expect_mirror_equals_truth();
}

TEST_P(EveryType, SixHundredCustomPropertiesNever414) {
    HarnessOptions o = options(600);
    o.custom_properties = 600;
    SyncHarness h(o);
    // The simulator generates custom properties for the standard types; a custom object gets
    // its 600 here (without values: the names make the URL long).
    for (int i = static_cast<int>(h.sim->property_defs(h.type().name).size()); i < 600; ++i) {
        PropertyDef d;
        d.name = "wide_property_" + std::to_string(i);
        d.label = d.name;
        d.type = "string";
        d.field_type = "text";
        h.sim->add_property(h.type().name, d);
    }
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_FALSE(r->plan.properties_in_list) << "600 properties cannot fit a URL";
    EXPECT_EQ(h.sim->count_status(414), 0);
    h.expect_mirror_equals_truth();
}

TEST_P(EveryType, IncrementalCostIsProportionalToChanges) {
    SyncHarness h(options(3'000));
    run_ok(h);
    // No changes: properties (10-second bucket); the window and the detector's count (search).
    h.clock.advance(minutes(5));
    auto idle = h.cycle();
    ASSERT_TRUE(idle.ok());
    EXPECT_EQ(idle->requests - idle->searches, 1);
    EXPECT_EQ(idle->searches, 2);
    // k changes: ceil(k/200) searches + ceil(k/100) batch reads (+ properties + empty tail),
    // the window's highest id (its first page was full) and the detector's one count.
    h.clock.advance(minutes(5));
    const auto all = ids(h);
    for (int i = 0; i < 450; ++i)
        h.sim->update(h.type().name, all[static_cast<std::size_t>(i)], {{h.text_property(), "x"}});
    h.clock.advance(minutes(1));
    auto busy = h.cycle();
    ASSERT_TRUE(busy.ok());
    EXPECT_LE(busy->requests, 1 + 3 + 5 + 1 + 1);
    // The overlap re-finds the same changes next cycle, but they cost no batch reads.
    h.clock.advance(minutes(5));
    auto overlap = h.cycle();
    ASSERT_TRUE(overlap.ok());
    EXPECT_LE(overlap->requests, 1 + 3 + 1 + 1);
    h.expect_mirror_equals_truth();
}

TEST(SyncEngine, StopRequestEndsTheCycleAndTheNextResumes) {
    HarnessOptions o;
    o.contacts = 2'000;
    o.rate_limits = false;
    SyncHarness h(o);
    StopSource stop;
    int pages = 0;
    h.sync_options.stop = &stop;
    h.sync_options.on_page = [&] {
        if (++pages == 5) stop.request_stop();
    };
    auto r = h.cycle();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
    // Five pages were committed (list pages of 100, search pages of up to 200), and nothing
    // that was fetched but not yet written.
    auto counts = h.mirror->counts(contacts_type());
    ASSERT_TRUE(counts.ok());
    EXPECT_GE(counts->total, 500);
    EXPECT_LE(counts->total, 1000);
    h.sim->clear_requests();
    h.sync_options.stop = nullptr;
    h.sync_options.on_page = nullptr;
    auto resumed = h.cycle();
    ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
    h.expect_mirror_equals_truth();
    // The resumed backfill did not start over: it read what was left, plus at most the pages
    // that were in flight or queued when the stop came.
    EXPECT_LT(resumed->records_written, 2'000 - counts->total + 16 * 200);
    EXPECT_LT(resumed->records_written, 2'000);
}

}  // namespace
}  // namespace hubsync::testing
