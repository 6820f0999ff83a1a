// Deletes, restores, merges and GDPR deletes reach the mirror and the `deletions` ledger after
// one incremental cycle with the default configuration, for every object type; tracked
// property changes land in `changes`; an idle cycle's requests per bucket.
#include <fmt/core.h>
#include <sqlite3.h>

#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

void run_ok(SyncHarness& h, CycleRequest request = {}) {
    auto r = h.cycle(request);
    ASSERT_TRUE(r.ok()) << r.error().describe();
}

// One row of the ledger, as text: "reason survivor restored?" ("archived - open").
struct LedgerRow {
    std::string reason;
    std::int64_t survivor = 0;
    bool restored = false;
    std::string detected_at;
};

// Reads the mirror file with plain SQLite, as a reporting tool would.
class Reader final {
  public:
    explicit Reader(const std::filesystem::path& db) {
        sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    }
    ~Reader() { sqlite3_close(db_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    std::vector<LedgerRow> ledger(const std::string& type, RecordId id) {
        std::vector<LedgerRow> out;
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db_,
                           "SELECT reason, coalesce(survivor_id, 0), restored_at IS NOT NULL, "
                           "detected_at FROM deletions WHERE object_type = ?1 AND id = ?2 "
                           "ORDER BY rowid",
                           -1, &st, nullptr);
        sqlite3_bind_text(st, 1, type.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            LedgerRow r;
            r.reason = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            r.survivor = sqlite3_column_int64(st, 1);
            r.restored = sqlite3_column_int(st, 2) != 0;
            r.detected_at = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
            out.push_back(r);
        }
        sqlite3_finalize(st);
        return out;
    }

    std::string one(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            return std::string("error: ") + sqlite3_errmsg(db_);
        std::string out;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return out;
    }

  private:
    sqlite3* db_ = nullptr;
};

class Deletes : public ::testing::TestWithParam<std::string> {
  protected:
    HarnessOptions options(int records) const {
        HarnessOptions o;
        o.type = GetParam();
        o.contacts = records;
        return o;
    }
};

INSTANTIATE_TEST_SUITE_P(Types, Deletes,
                         ::testing::Values("contacts", "companies", "deals", "tickets", "pets"));

TEST_P(Deletes, EveryKindIsInTheMirrorAndTheLedgerAfterOneIncrementalCycle) {
    SyncHarness h(options(2'000));
    const std::string type = h.type().name;
    auto ids = h.sim->record_ids(type, false);
    const RecordId restored = ids[100];
    h.sim->archive(type, restored);  // archived before the backfill: mirrored archived
    run_ok(h);
    ids = h.sim->record_ids(type, false);
    h.clock.advance(minutes(5));
    const RecordId archived = ids[3];
    const RecordId gdpr = ids[1'500];
    const RecordId merged_a = ids[700];
    const RecordId merged_b = ids[1'200];
    h.sim->archive(type, archived);
    h.sim->gdpr_delete(type, gdpr);
    const RecordId survivor = h.sim->merge(type, merged_a, merged_b);
    h.clock.advance(minutes(1));
    const std::string cycle_started = format_iso8601(h.clock.now());

    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->mode, "incremental");
    // The default 30m archive sweep is not due yet, but listing 4 archived rows (one page)
    // is cheaper than bisecting 2,000 ids (10 searches): the sweep goes first, the detector
    // finds the GDPR delete and the merge after it.
    EXPECT_EQ(r->types.front().detector_route, "archive sweep");
    EXPECT_FALSE(r->reconciled);
    h.expect_mirror_equals_truth();

    Reader db(h.dir / "mirror.db");
    auto only = [&](RecordId id) {
        auto rows = db.ledger(type, id);
        EXPECT_EQ(rows.size(), 1u) << "ledger rows of " << id;
        return rows.empty() ? LedgerRow{} : rows.front();
    };
    const LedgerRow a = only(archived);
    EXPECT_EQ(a.reason, "archived");
    EXPECT_FALSE(a.restored);
    EXPECT_GE(a.detected_at, cycle_started);
    EXPECT_LE(a.detected_at, format_iso8601(h.clock.now()));
    EXPECT_EQ(only(gdpr).reason, "gone");
    for (const RecordId m : {merged_a, merged_b}) {
        const LedgerRow row = only(m);
        EXPECT_EQ(row.reason, "merged");
        EXPECT_EQ(row.survivor, survivor);
        EXPECT_EQ(db.one(fmt::format("SELECT survivor_id FROM merged_ids WHERE object_type = '{}' "
                                     "AND old_id = {}",
                                     type, m)),
                  std::to_string(survivor));
    }
    EXPECT_EQ(db.one(fmt::format("SELECT count(*) FROM {} WHERE id = {}", h.type().table, gdpr)),
              "0");
    // No personal data: the ledger's columns are ids, reasons and times.
    EXPECT_EQ(db.one("SELECT group_concat(name) FROM pragma_table_info('deletions')"),
              "object_type,id,reason,detected_at,survivor_id,restored_at");

    // A restore, the next cycle: the open row gets its restored_at.
    h.clock.advance(minutes(5));
    h.sim->restore(type, restored);
    h.clock.advance(minutes(1));
    run_ok(h);
    h.expect_mirror_equals_truth();
    const LedgerRow back = only(restored);
    EXPECT_EQ(back.reason, "archived");
    EXPECT_TRUE(back.restored);
    // Another cycle finds nothing more and writes no second row.
    h.clock.advance(minutes(5));
    run_ok(h);
    EXPECT_EQ(db.one(fmt::format("SELECT count(*) FROM deletions WHERE object_type = '{}'", type)),
              "5");
}

// The detector compares counts, so a delete and a restore in one id range in one cycle cancel
// out (types whose restore leaves the modification time alone). The archive sweep, the safety
// net, settles both.
TEST_P(Deletes, ADeleteAndARestoreThatCancelOutAreSettledByTheArchiveSweep) {
    SyncHarness h(options(1'000));
    const std::string type = h.type().name;
    auto ids = h.sim->record_ids(type, false);
    const RecordId restored = ids[10];
    h.sim->archive(type, restored);
    run_ok(h);
    h.clock.advance(minutes(5));
    h.sim->archive(type, ids[12]);
    h.sim->restore(type, restored);
    h.clock.advance(minutes(1));
    run_ok(h);
    h.clock.advance(minutes(30));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->archive_swept);
    h.expect_mirror_equals_truth();
}

TEST_P(Deletes, AnIdleCycleCostsOneGeneralRequestAndTwoSearches) {
    SyncHarness h(options(3'000));
    run_ok(h);
    h.clock.advance(minutes(5));
    auto idle = h.cycle();
    ASSERT_TRUE(idle.ok()) << idle.error().describe();
    // 10-second bucket: the property definitions. Search bucket: the window and the count.
    EXPECT_LE(idle->requests - idle->searches, 2);
    EXPECT_EQ(idle->requests - idle->searches, 1);
    EXPECT_EQ(idle->searches, 2);
    EXPECT_EQ(idle->types.front().detector_searches, 1);
}

TEST_P(Deletes, AFewDeletesAmongManyAreLocalisedWithoutListingEverything) {
    SyncHarness h(options(20'000));
    const std::string type = h.type().name;
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto ids = h.sim->record_ids(type, false);
    for (int i = 0; i < 5; ++i)
        h.sim->archive(type, ids[static_cast<std::size_t>(i * 3'997)]);
    h.clock.advance(minutes(1));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    const auto& t = r->types.front();
    // Listing 20,000 ids would take 100 searches; 5 changes are localised by bisection with
    // about 5 * log2(100) + 1.
    EXPECT_LE(t.detector_searches, 5 * 7 + 1);
    EXPECT_LE(t.requests - t.searches, 1 + 1 + 2) << "properties, a batch read, an archived read";
}

// Archived requests of the list endpoint (the archive sweep's pages).
int archived_list_requests(const SyncHarness& h) {
    int n = 0;
    for (const auto& r : h.sim->requests())
        if (r.method == "GET" && r.path.find("/search") == std::string::npos &&
            r.query.find("archived=true") != std::string::npos)
            ++n;
    return n;
}

// 150 deletes among 6,000: bisection would list all 30 search pages, the archived list holds
// them in 2 pages. The sweep goes first and a fresh count agrees.
TEST_P(Deletes, ManyDeletesAreFoundThroughTheArchivedListWithTwoSearches) {
    SyncHarness h(options(6'000));
    const std::string type = h.type().name;
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto ids = h.sim->record_ids(type, false);
    std::vector<RecordId> archived;
    for (std::size_t i = 0; i < 150; ++i)
        archived.push_back(ids[i * 39 + 7]);
    for (const RecordId id : archived)
        h.sim->archive(type, id);
    h.clock.advance(minutes(1));
    h.sim->clear_requests();
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    const TypeReport& t = r->types.front();
    EXPECT_EQ(t.detector_route, "archive sweep");
    EXPECT_TRUE(t.archive_swept);
    EXPECT_EQ(t.detector_searches, 2) << "the count, and the fresh count after the sweep";
    EXPECT_EQ(t.searches, 3) << "the window and the two counts";
    EXPECT_EQ(archived_list_requests(h), 2) << "150 archived records, 100 a page";
    EXPECT_EQ(t.requests - t.searches, 1 + 2) << "properties and the two list pages";
    EXPECT_EQ(h.mirror->counts(h.type())->archived, 150);
    Reader db(h.dir / "mirror.db");
    EXPECT_EQ(db.one(fmt::format("SELECT count(*) FROM deletions WHERE object_type = '{}' AND "
                                 "reason = 'archived' AND restored_at IS NULL",
                                 type)),
              "150");
    for (const RecordId id : {archived.front(), archived.back()})
        EXPECT_EQ(db.ledger(type, id).size(), 1u) << id;
    // The periodic sweep's clock was reset: the next idle cycle is one count again.
    h.clock.advance(minutes(5));
    auto idle = h.cycle();
    ASSERT_TRUE(idle.ok()) << idle.error().describe();
    EXPECT_FALSE(idle->archive_swept);
    EXPECT_EQ(idle->searches, 2);
    EXPECT_EQ(idle->types.front().detector_route, "");
}

// The archived list shows neither merges nor GDPR deletes: after the sweep the fresh count
// still disagrees, and the detector localises those two.
TEST_P(Deletes, AMergeAndAGdprDeleteBesideManyDeletesAreFoundAfterTheSweep) {
    SyncHarness h(options(6'000));
    const std::string type = h.type().name;
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto ids = h.sim->record_ids(type, false);
    for (std::size_t i = 0; i < 150; ++i)
        h.sim->archive(type, ids[i * 39 + 7]);
    const RecordId gdpr = ids[2'001];
    const RecordId merged_a = ids[3'001];
    const RecordId merged_b = ids[5'001];
    h.sim->gdpr_delete(type, gdpr);
    const RecordId survivor = h.sim->merge(type, merged_a, merged_b);
    h.clock.advance(minutes(1));
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    const TypeReport& t = r->types.front();
    EXPECT_EQ(t.detector_route, "archive sweep");
    // Two counts, then two changes isolated in 30 search pages: well below listing them all.
    EXPECT_GT(t.detector_searches, 2);
    EXPECT_LT(t.detector_searches, 2 + 30);
    Reader db(h.dir / "mirror.db");
    EXPECT_EQ(db.one(fmt::format("SELECT count(*) FROM deletions WHERE object_type = '{}' AND "
                                 "reason = 'archived'",
                                 type)),
              "150");
    auto rows = db.ledger(type, gdpr);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows.front().reason, "gone");
    for (const RecordId m : {merged_a, merged_b}) {
        rows = db.ledger(type, m);
        ASSERT_EQ(rows.size(), 1u) << m;
        EXPECT_EQ(rows.front().reason, "merged");
        EXPECT_EQ(rows.front().survivor, survivor);
    }
}

// A few deletes on a mirror with many archived rows: listing them all again would cost more
// than bisecting, so the detector bisects and the archived list is not read.
TEST_P(Deletes, AFewDeletesBesideManyArchivedRowsAreBisected) {
    SyncHarness h(options(6'000));
    const std::string type = h.type().name;
    auto ids = h.sim->record_ids(type, false);
    for (std::size_t i = 0; i < 2'000; ++i)
        h.sim->archive(type, ids[i * 3]);
    run_ok(h);
    h.clock.advance(minutes(5));
    ids = h.sim->record_ids(type, false);
    h.sim->archive(type, ids[1'000]);
    h.clock.advance(minutes(1));
    h.sim->clear_requests();
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    const TypeReport& t = r->types.front();
    EXPECT_EQ(t.detector_route, "bisection") << "21 list pages against about 5 searches";
    EXPECT_FALSE(t.archive_swept);
    EXPECT_EQ(archived_list_requests(h), 0);
    // The count, the count below the lowest id, about log2(20) levels and a listed range.
    EXPECT_LE(t.detector_searches, 10);
}

TEST_P(Deletes, SearchLagIsAHintNeverAReasonToDelete) {
    HarnessOptions o = options(500);
    o.index_delay = minutes(3);
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    const std::string type = h.type().name;
    const auto ids = h.sim->record_ids(type, false);
    // A merge: both ids leave search at once, the survivor shows up only minutes later.
    const RecordId survivor = h.sim->merge(type, ids[10], ids[20]);
    h.clock.advance(seconds(30));
    run_ok(h);
    auto s = h.mirror->get_record(h.type(), survivor);
    ASSERT_TRUE(s.ok() && s->has_value()) << "batch read resolved the merged ids";
    EXPECT_FALSE((*s)->archived);
    // The survivor is still missing from search: the detector's candidate is confirmed active.
    h.clock.advance(seconds(30));
    run_ok(h);
    s = h.mirror->get_record(h.type(), survivor);
    ASSERT_TRUE(s.ok() && s->has_value());
    EXPECT_FALSE((*s)->archived);
    h.clock.advance(minutes(5));
    run_ok(h);
    h.expect_mirror_equals_truth();
}

TEST(ChangeHistory, TrackedPropertiesAreKeptWithOldNewAndWhen) {
    HarnessOptions o;
    o.type = "deals";
    o.contacts = 300;
    SyncHarness h(o);
    run_ok(h);
    h.clock.advance(minutes(5));
    const auto ids = h.sim->record_ids("deals", false);
    auto before = h.sim->record("deals", ids[7]);
    ASSERT_TRUE(before);
    const auto* old_stage = before->find("dealstage");
    ASSERT_TRUE(old_stage && *old_stage);
    const std::string new_stage = **old_stage == "closedwon" ? "closedlost" : "closedwon";
    h.sim->update("deals", ids[7], {{"dealstage", new_stage}, {h.text_property(), "not tracked"}});
    h.clock.advance(minutes(1));
    const std::string cycle_started = format_iso8601(h.clock.now());
    run_ok(h);
    const std::string cycle_ended = format_iso8601(h.clock.now());
    Reader db(h.dir / "mirror.db");
    EXPECT_EQ(db.one("SELECT count(*) FROM changes"), "1");
    EXPECT_EQ(db.one("SELECT object_type || ' ' || id || ' ' || property || ' ' || old_value || "
                     "' ' || new_value FROM changes"),
              fmt::format("deals {} dealstage {} {}", ids[7], **old_stage, new_stage));
    auto after = h.sim->record("deals", ids[7]);
    ASSERT_TRUE(after);
    Instant updated;
    ASSERT_TRUE(parse_iso8601(after->updated_at, updated));
    EXPECT_EQ(db.one("SELECT changed_at FROM changes"), format_iso8601(updated));
    const std::string synced = db.one("SELECT synced_at FROM changes");
    EXPECT_GE(synced, cycle_started);
    EXPECT_LE(synced, cycle_ended);
    // A re-read of the same version (the lookback overlap, a replayed page) adds nothing.
    h.clock.advance(minutes(5));
    run_ok(h, CycleRequest{true, false});
    EXPECT_EQ(db.one("SELECT count(*) FROM changes"), "1");
}

}  // namespace
}  // namespace hubsync::testing
