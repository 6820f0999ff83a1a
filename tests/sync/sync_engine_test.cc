// The sync engine against the simulator: backfill, incremental changes of every kind, the
// 10,000-result search cap, search lag, wide property sets, and the request cost.
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

TEST(SyncEngine, BackfillOf25000ContactsEqualsTruth) {
    HarnessOptions o;
    o.contacts = 25'000;
    SyncHarness h(o);
    // Archive a few so the archived phase has work.
    const auto truth = h.sim->truth(false);
    for (int i = 0; i < 30; ++i)
        h.sim->archive(truth[static_cast<std::size_t>(i * 97)].id);
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->mode, "backfill");
    EXPECT_TRUE(r->backfill_complete);
    EXPECT_TRUE(r->plan.properties_in_list);
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(429), 0);
    EXPECT_EQ(h.sim->count_status(414), 0);
    // One list request per 100 active contacts, plus properties, archived list and the
    // count estimate: nothing rescans.
    EXPECT_LE(r->requests, 25'000 / 100 + 6);
}

TEST(SyncEngine, IncrementalAfterRandomChangesOfEveryKindEqualsTruth) {
    HarnessOptions o;
    o.contacts = 2'000;
    SyncHarness h(o);
    h.sync_options.archived_interval = Millis(0);  // sweep archives every cycle in this test
    run_ok(h);
    std::mt19937 rng(42);
    for (int round = 0; round < 4; ++round) {
        h.clock.advance(minutes(5));
        auto ids = h.sim->truth(false);
        auto pick = [&] {
            return ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)].id;
        };
        for (int i = 0; i < 40; ++i)
            h.sim->update_contact(pick(), {{"firstname", "R" + std::to_string(round * 100 + i)}});
        for (int i = 0; i < 10; ++i)
            h.sim->create_contact(
                {{"email", "new" + std::to_string(round * 100 + i) + "@example.com"}});
        for (int i = 0; i < 5; ++i)
            h.sim->archive(pick());
        auto archived = h.sim->truth(true);
        for (const auto& c : archived) {
            if (c.archived && rng() % 3 == 0) {
                h.sim->restore(c.id);
                break;
            }
        }
        const RecordId a = pick();
        RecordId b = pick();
        while (b == a)
            b = pick();
        h.sim->merge(a, b);
        h.sim->gdpr_delete(pick());
        h.clock.advance(seconds(1));
        run_ok(h);
    }
    // GDPR deletes vanish only in the reconcile sweep.
    run_ok(h, CycleRequest{false, true});
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(429), 0);
}

TEST(SyncEngine, MergedContactsPointAtTheSurvivor) {
    HarnessOptions o;
    o.contacts = 300;
    SyncHarness h(o);
    run_ok(h);
    const auto ids = h.sim->truth(false);
    h.clock.advance(minutes(1));
    const RecordId survivor = h.sim->merge(ids[10].id, ids[20].id);
    h.clock.advance(minutes(5));
    run_ok(h);
    for (const RecordId absorbed : {ids[10].id, ids[20].id}) {
        auto row = h.mirror->get_record(contacts_type(), absorbed);
        ASSERT_TRUE(row.ok() && row->has_value());
        EXPECT_EQ((*row)->merged_into, survivor);
    }
    auto s = h.mirror->get_record(contacts_type(), survivor);
    ASSERT_TRUE(s.ok() && s->has_value());
}

TEST(SyncEngine, TwelveThousandContactsUpdatedInOneMillisecond) {
    HarnessOptions o;
    o.contacts = 13'000;
    o.rate_limits = false;
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    auto truth = h.sim->truth(false);
    std::vector<RecordId> ids;
    for (std::size_t i = 0; i < 12'000; ++i)
        ids.push_back(truth[i].id);
    h.sim->update_many_same_millisecond(ids, {{"lifecyclestage", "customer"}});
    h.clock.advance(minutes(1));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    EXPECT_EQ(h.sim->count_status(400), 0) << "no search paged past 10,000 results";
    // ceil(12000/200) searches (+1 empty tail) and ceil(12000/100) batch reads, + properties.
    EXPECT_LE(r->requests, 60 + 1 + 120 + 1 + 2);
}

TEST(SyncEngine, ChangesIndexedLateWithinLookbackAreNotLost) {
    HarnessOptions o;
    o.contacts = 500;
    o.index_delay = minutes(3);  // search lags 3 minutes; lookback is 10
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto truth = h.sim->truth(false);
    h.sim->update_contact(truth[5].id, {{"lastname", "Late"}});
    // The next cycle runs before search has indexed the change...
    h.clock.advance(seconds(30));
    run_ok(h);
    auto row = h.mirror->get_record(contacts_type(), truth[5].id);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->properties_json.find("\"Late\""), std::string::npos)
        << "search should lag here";
    // ...and the one after, with the window overlapping by lookback, picks it up.
    h.clock.advance(minutes(5));
    run_ok(h);
    h.expect_mirror_equals_truth();
}

TEST(SyncEngine, SixHundredCustomPropertiesNever414) {
    HarnessOptions o;
    o.contacts = 600;
    o.custom_properties = 600;
    SyncHarness h(o);
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_FALSE(r->plan.properties_in_list) << "600 properties cannot fit a URL";
    EXPECT_EQ(h.sim->count_status(414), 0);
    h.expect_mirror_equals_truth();
}

TEST(SyncEngine, IncrementalCostIsProportionalToChanges) {
    HarnessOptions o;
    o.contacts = 3'000;
    SyncHarness h(o);
    run_ok(h);
    // No changes: properties + one search.
    h.clock.advance(minutes(5));
    auto idle = h.cycle();
    ASSERT_TRUE(idle.ok());
    EXPECT_LE(idle->requests, 2);
    // k changes: ceil(k/200) searches + ceil(k/100) batch reads (+ properties + empty tail).
    h.clock.advance(minutes(5));
    const auto truth = h.sim->truth(false);
    for (int i = 0; i < 450; ++i)
        h.sim->update_contact(truth[static_cast<std::size_t>(i)].id, {{"city", "Oslo"}});
    h.clock.advance(minutes(1));
    auto busy = h.cycle();
    ASSERT_TRUE(busy.ok());
    EXPECT_LE(busy->requests, 1 + 3 + 5);
    // The overlap re-finds the same changes next cycle, but they cost no batch reads.
    h.clock.advance(minutes(5));
    auto overlap = h.cycle();
    ASSERT_TRUE(overlap.ok());
    EXPECT_LE(overlap->requests, 1 + 3);
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
    auto counts = h.mirror->counts(contacts_type());
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->total, 500) << "five committed pages of 100";
    h.sim->clear_requests();
    h.sync_options.stop = nullptr;
    h.sync_options.on_page = nullptr;
    run_ok(h);
    h.expect_mirror_equals_truth();
    // The resumed backfill did not start over: 15 remaining pages, not 20.
    EXPECT_LE(h.sim->count_path("/crm/objects/2026-09/contacts"), 15 + 1 + 2);
}

}  // namespace
}  // namespace hubsync::testing
