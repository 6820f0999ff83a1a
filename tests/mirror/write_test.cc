// The mirror's write side: typed columns, property columns, upsert ordering, archives,
// restores, merges, the reconcile sweep, page atomicity, sync state, runs and checkpoints.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include <chrono>

#include "mirror/mirror_test_util.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::mark_merged;
using mirror_test::open_mirror;
using mirror_test::RawDb;
using mirror_test::TempDir;
using mirror_test::write_page;

class MirrorWrite : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = dir_.file("mirror.db");
        MirrorOptions options;
        options.clock = &clock_;
        mirror_ = open_mirror(path_, options);
        ASSERT_TRUE(mirror_);
    }

    std::vector<PropertyColumn> apply(const std::vector<PropertyDef>& defs,
                                      const std::vector<std::string>& selection = {}) {
        auto r = mirror_->apply_properties(contacts_type(), defs, selection);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
        return r.ok() ? r.value() : std::vector<PropertyColumn>{};
    }
    PageResult write(const std::vector<Record>& contacts,
                     const std::vector<StateUpdate>& state = {}) {
        auto r = write_page(*mirror_, contacts, state);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
        return r.ok() ? r.value() : PageResult{};
    }
    StoredRecord stored(RecordId id) {
        auto r = mirror_->get_record(contacts_type(), id);
        EXPECT_TRUE(r.ok() && r->has_value()) << "contact " << id;
        return r.ok() && r->has_value() ? **r : StoredRecord{};
    }

    TempDir dir_;
    std::string path_;
    ManualClock clock_;
    std::unique_ptr<Mirror> mirror_;
};

TEST_F(MirrorWrite, TypedColumnsFollowThePropertyTypeAndRawValuesStayInJson) {
    apply({def("score", "number"), def("opted_in", "bool", "booleancheckbox"),
           def("birthday", "date", "date"), def("seen_at", "datetime"),
           def("colors", "enumeration", "checkbox"), def("email")});
    struct Row {
        RecordId id;
        std::optional<std::string> score, opted_in, birthday, seen_at;
        std::string expect;  // score|opted_in|birthday|seen_at as stored, with SQLite types
    };
    const std::vector<Row> rows = {
        {1, "42", "true", "2024-09-11", "1726061259356",
         "42.0 real|1 integer|2024-09-11 text|2024-09-11T13:27:39.356Z text"},
        {2, "N/A", "false", "1726012800000", "2024-09-11T13:27:39Z",
         "NULL null|0 integer|2024-09-11 text|2024-09-11T13:27:39.000Z text"},
        {3, "", "yes", "2024-09-11T00:00:00.000Z", "garbage",
         "NULL null|NULL null|2024-09-11 text|NULL null"},
        {4, "-3.25", "", "", "2024-09-11T15:27:39.356+02:00",
         "-3.25 real|NULL null|NULL null|2024-09-11T13:27:39.356Z text"},
        {5, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
         "NULL null|NULL null|NULL null|NULL null"},
    };
    std::vector<Record> page;
    for (const Row& r : rows) {
        page.push_back(contact(r.id, "2024-09-11T13:27:39.356Z",
                               {{"score", r.score},
                                {"opted_in", r.opted_in},
                                {"birthday", r.birthday},
                                {"seen_at", r.seen_at},
                                {"colors", "red;green"},
                                {"email", "a\"b@x.com"}}));
    }
    write(page);

    RawDb db(path_);
    for (const Row& r : rows) {
        SCOPED_TRACE("contact " + std::to_string(r.id));
        auto cell = [](const char* col) {
            return fmt::format("coalesce(CAST({0} AS TEXT), 'NULL') || ' ' || typeof({0})", col);
        };
        EXPECT_EQ(
            db.one(fmt::format("SELECT {}, {}, {}, {} FROM contacts WHERE id = {}", cell("score"),
                               cell("opted_in"), cell("birthday"), cell("seen_at"), r.id)),
            r.expect);
    }
    // Multi-select stays joined; the JSON keeps every value exactly as sent, null as null.
    EXPECT_EQ(db.one("SELECT colors FROM contacts WHERE id = 1"), "red;green");
    EXPECT_EQ(stored(2).properties_json,
              R"({"score":"N/A","opted_in":"false","birthday":"1726012800000",)"
              R"("seen_at":"2024-09-11T13:27:39Z","colors":"red;green","email":"a\"b@x.com"})");
    EXPECT_EQ(stored(5).properties_json,
              R"({"score":null,"opted_in":null,"birthday":null,"seen_at":null,)"
              R"("colors":"red;green","email":"a\"b@x.com"})");
    EXPECT_EQ(db.one("SELECT json_extract(properties, '$.score') FROM contacts WHERE id = 3"), "");
}

TEST_F(MirrorWrite, ContactPropertiesDescribeEveryColumn) {
    apply({def("email"), def("score", "number")});
    RawDb db(path_);
    EXPECT_EQ(db.rows("SELECT name, column_name, label, type, field_type, group_name, "
                      "description FROM contact_properties ORDER BY name"),
              (std::vector<std::string>{
                  "email|email|email label|string|text|contactinformation|about email",
                  "score|score|score label|number|text|contactinformation|about score"}));
    EXPECT_EQ(db.one("SELECT type FROM pragma_table_info('contacts') WHERE name = 'score'"),
              "REAL");
}

TEST_F(MirrorWrite, NewPropertyBecomesANewColumnAndOldRowsKeepTheirData) {
    apply({def("email")});
    write({contact(1, "2024-01-01T00:00:00.000Z", {{"email", "a@x"}})});
    auto cols = apply({def("email"), def("lifecyclestage")});
    ASSERT_EQ(cols.size(), 2u);
    EXPECT_EQ(cols[1].column_name, "lifecyclestage");
    write({contact(2, "2024-01-01T00:00:00.000Z", {{"email", "b@x"}, {"lifecyclestage", "lead"}})});
    RawDb db(path_);
    EXPECT_EQ(db.rows("SELECT id, email, lifecyclestage FROM contacts ORDER BY id"),
              (std::vector<std::string>{"1|a@x|NULL", "2|b@x|lead"}));
    // Applying the same definitions again changes nothing.
    apply({def("email"), def("lifecyclestage")});
    EXPECT_EQ(db.one("SELECT count(*) FROM pragma_table_info('contacts')"), "10");
}

TEST_F(MirrorWrite, SelectionLimitsTheSyncedProperties) {
    auto cols = apply({def("email"), def("phone"), def("city")}, {"city", "email", "nosuch"});
    ASSERT_EQ(cols.size(), 2u);
    EXPECT_EQ(cols[0].name, "email");
    EXPECT_EQ(cols[1].name, "city");
    write({contact(1, "2024-01-01T00:00:00.000Z",
                   {{"email", "a@x"}, {"phone", "123"}, {"city", "Oslo"}})});
    EXPECT_EQ(stored(1).properties_json, R"({"email":"a@x","city":"Oslo"})");
    RawDb db(path_);
    EXPECT_EQ(db.one("SELECT count(*) FROM pragma_table_info('contacts') WHERE name = 'phone'"),
              "0");
}

TEST_F(MirrorWrite, HostileAndCollidingNamesGetSafeDistinctColumns) {
    const std::string evil = "x\"); DROP TABLE contacts; --";
    auto cols =
        apply({def("id"), def("archived", "number"), def("properties"), def("Email"), def("email"),
               def("rowid"), def("property_id"), def(evil), def("tab\there")});
    std::vector<std::string> names;
    for (const auto& c : cols)
        names.push_back(c.column_name);
    EXPECT_EQ(names, (std::vector<std::string>{
                         "property_id", "property_archived", "property_properties", "Email",
                         "email_2", "property_rowid", "property_id_2", evil, "tab_here"}));
    std::vector<PropertyValue> values;
    for (const auto& c : cols)
        values.push_back({c.name, "v-" + c.column_name});
    values[1].value = "12";
    write({contact(9, "2024-01-01T00:00:00.000Z", values)});

    RawDb db(path_);
    EXPECT_EQ(db.one("SELECT id, archived, property_id, property_archived, Email, email_2, "
                     "property_rowid, \"x\"\"); DROP TABLE contacts; --\" FROM contacts"),
              "9|0|v-property_id|12.0|v-Email|v-email_2|v-property_rowid|v-" + evil);
    // Mappings are stable: applying again (other order) reuses the recorded columns.
    auto again = apply({def("email"), def("Email")});
    EXPECT_EQ(again[0].column_name, "email_2");
    EXPECT_EQ(again[1].column_name, "Email");
}

TEST_F(MirrorWrite, PropertiesBeyondSqlitesColumnLimitStayInJson) {
    std::vector<PropertyDef> defs;
    std::vector<PropertyValue> values;
    for (int i = 0; i < 2100; ++i) {
        defs.push_back(def(fmt::format("custom_{}", i)));
        values.push_back({defs.back().name, fmt::format("v{}", i)});
    }
    auto cols = apply(defs);
    ASSERT_EQ(cols.size(), 2100u);
    EXPECT_EQ(cols[0].column_name, "custom_0");
    EXPECT_EQ(cols[2099].column_name, "");
    write({contact(1, "2024-01-01T00:00:00.000Z", values)});
    RawDb db(path_);
    EXPECT_EQ(db.one("SELECT custom_0, custom_1500, json_extract(properties, '$.custom_2099') "
                     "FROM contacts"),
              "v0|v1500|v2099");
    EXPECT_EQ(db.one("SELECT count(*) FROM contact_properties WHERE column_name IS NULL"),
              std::to_string(2100 - std::stoi(db.one("SELECT count(*) FROM contact_properties "
                                                     "WHERE column_name IS NOT NULL"))));
    // Applying again (as every cycle does) is stable.
    auto again = apply(defs);
    EXPECT_EQ(again[2099].column_name, "");
    EXPECT_EQ(again[1500].column_name, "custom_1500");
}

TEST_F(MirrorWrite, OlderDataNeverOverwritesNewerAndEqualHeals) {
    apply({def("email")});
    write({contact(1, "2024-05-01T10:00:00.000Z", {{"email", "new@x"}})});

    auto older = write({contact(1, "2024-04-01T10:00:00.000Z", {{"email", "old@x"}})});
    EXPECT_EQ(older.skipped_older, 1);
    EXPECT_EQ(older.upserted, 0);
    // Same instant written differently (no milliseconds) is still "equal", not older.
    auto equal = write({contact(1, "2024-05-01T10:00:00Z", {{"email", "healed@x"}})});
    EXPECT_EQ(equal.upserted, 1);
    auto newer = write({contact(1, "1714561200001", {{"email", "newest@x"}})});
    EXPECT_EQ(newer.upserted, 1);

    const auto c = stored(1);
    EXPECT_EQ(c.updated_at, "2024-05-01T11:00:00.001Z");
    EXPECT_EQ(c.properties_json, R"({"email":"newest@x"})");
}

TEST_F(MirrorWrite, ContactVersionsReportWhatIsStored) {
    apply({def("email")});
    Record archived = contact(2, "2024-02-01T00:00:00Z");
    archived.archived = true;
    write({contact(1, "2024-01-01T00:00:00.000Z"), archived, contact(3, "2024-03-01T00:00:00Z")});
    ASSERT_TRUE(mark_merged(*mirror_, 3, 1).ok());
    auto v = mirror_->record_versions(contacts_type(), {3, 99, 1, 2});
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->size(), 3u);
    EXPECT_EQ((*v)[0].id, 3);
    EXPECT_EQ((*v)[0].updated_at, "2024-03-01T00:00:00.000Z");
    EXPECT_EQ((*v)[0].merged_into, 1);
    EXPECT_EQ((*v)[1].id, 1);
    EXPECT_FALSE((*v)[1].archived);
    EXPECT_FALSE((*v)[1].merged_into.has_value());
    EXPECT_EQ((*v)[2].id, 2);
    EXPECT_TRUE((*v)[2].archived);
    // get_contact reuses its statement: repeated reads stay correct.
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(stored(2).updated_at, "2024-02-01T00:00:00.000Z");
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 99)->has_value());
}

TEST_F(MirrorWrite, RewritingAPageIsIdempotent) {
    apply({def("email"), def("score", "number")});
    std::vector<Record> page;
    for (int i = 1; i <= 50; ++i)
        page.push_back(contact(i, "2024-01-01T00:00:00.000Z",
                               {{"email", std::to_string(i) + "@x"}, {"score", "1"}}));
    write(page, {{kStateBackfillAfter, "50"}});
    RawDb db(path_);
    const auto before = db.rows("SELECT * FROM contacts ORDER BY id");
    clock_.advance(std::chrono::minutes(1));
    write(page, {{kStateBackfillAfter, "50"}});
    auto after = db.rows("SELECT * FROM contacts ORDER BY id");
    ASSERT_EQ(after.size(), 50u);
    // Only synced_at moves.
    EXPECT_EQ(db.one("SELECT count(DISTINCT synced_at) FROM contacts"), "1");
    EXPECT_EQ(db.rows("SELECT id, created_at, updated_at, archived, archived_at, merged_into, "
                      "properties, email, score FROM contacts ORDER BY id")
                  .size(),
              50u);
    for (std::size_t i = 0; i < before.size(); ++i) {
        auto strip = [](std::string row) {
            // synced_at is the 7th field.
            std::size_t pos = 0;
            for (int f = 0; f < 6; ++f)
                pos = row.find('|', pos) + 1;
            return row.erase(pos, row.find('|', pos) - pos);
        };
        EXPECT_EQ(strip(before[i]), strip(after[i]));
    }
    EXPECT_EQ(mirror_->counts(contacts_type())->total, 50);
}

TEST_F(MirrorWrite, ArchiveAndRestore) {
    apply({def("email")});
    write({contact(1, "2024-01-01T00:00:00.000Z", {{"email", "a@x"}}),
           contact(2, "2024-01-01T00:00:00.000Z", {{"email", "b@x"}})});

    // Archived with its properties (from ?archived=true).
    Record gone = contact(1, "2024-02-01T00:00:00.000Z", {{"email", "a@x"}});
    gone.archived = true;
    gone.archived_at = "2024-02-01T00:00:00.000Z";
    write({gone});
    EXPECT_TRUE(stored(1).archived);
    EXPECT_EQ(stored(1).archived_at, "2024-02-01T00:00:00.000Z");

    // Archived by id only: the stored properties stay.
    PageWrite marks;
    marks.archived.push_back({2, "1706745600000"});              // 2024-02-01
    marks.archived.push_back({99, "2024-02-01T00:00:00.000Z"});  // unknown: ignored
    auto r = mirror_->write(contacts_type(), marks);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->archived, 1);
    EXPECT_TRUE(stored(2).archived);
    EXPECT_EQ(stored(2).archived_at, "2024-02-01T00:00:00.000Z");
    EXPECT_EQ(stored(2).properties_json, R"({"email":"b@x"})");
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 99)->has_value());

    // Restored: newer data that says active.
    write({contact(1, "2024-03-01T00:00:00.000Z", {{"email", "a2@x"}})});
    EXPECT_FALSE(stored(1).archived);
    EXPECT_EQ(stored(1).archived_at, "");

    // A stale archive marker (older than the row's data) does not archive it again.
    PageWrite stale;
    stale.archived.push_back({1, "2024-02-01T00:00:00.000Z"});
    ASSERT_TRUE(mirror_->write(contacts_type(), stale).ok());
    EXPECT_FALSE(stored(1).archived);

    auto counts = mirror_->counts(contacts_type());
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->active, 1);
    EXPECT_EQ(counts->archived, 1);
}

TEST_F(MirrorWrite, MergesFromMarkersAndFromTheSurvivorsMergedIds) {
    apply({def("email"), def("hs_merged_object_ids", "enumeration")});
    write({contact(1, "2024-01-01T00:00:00.000Z"), contact(2, "2024-01-01T00:00:00.000Z"),
           contact(3, "2024-01-01T00:00:00.000Z"), contact(4, "2024-01-01T00:00:00.000Z")});
    ASSERT_TRUE(mark_merged(*mirror_, 1, 4).ok());
    EXPECT_EQ(stored(1).merged_into, 4);

    // The survivor (a new id) names the absorbed ids; they are marked in the same page.
    auto r = write({contact(10, "2024-02-01T00:00:00.000Z",
                            {{"email", "s@x"}, {"hs_merged_object_ids", "2;3;10"}})});
    EXPECT_EQ(r.merged, 2);
    EXPECT_EQ(stored(2).merged_into, 10);
    EXPECT_EQ(stored(3).merged_into, 10);
    EXPECT_FALSE(stored(10).merged_into.has_value());

    // A stale re-read of an absorbed contact does not bring it back.
    write({contact(2, "2024-01-01T00:00:00.000Z")});
    EXPECT_EQ(stored(2).merged_into, 10);

    auto counts = mirror_->counts(contacts_type());
    EXPECT_EQ(counts->merged, 3);
    EXPECT_EQ(counts->active, 2);  // 4 and 10
    RawDb db(path_);
    EXPECT_EQ(db.rows("SELECT id FROM active_contacts ORDER BY id"),
              (std::vector<std::string>{"4", "10"}));
}

// What the reconcile sweep does once batch/read confirmed ids gone: the rows go, merged rows
// whose survivor went go with it (through chains), and rows merged into a survivor that stays
// are kept.
TEST_F(MirrorWrite, RemovingGoneRowsTakesTheRowsMergedIntoThem) {
    apply({def("email")});
    std::vector<Record> page;
    for (int i = 1; i <= 20'000; ++i) {
        page.push_back(contact(i, "2024-01-01T00:00:00.000Z"));
        if (page.size() == 1000) {
            write(page);
            page.clear();
        }
    }
    ASSERT_TRUE(mark_merged(*mirror_, 5, 6).ok());  // survivor 6 stays
    ASSERT_TRUE(mark_merged(*mirror_, 8, 7).ok());  // survivor 7 is GDPR-deleted
    ASSERT_TRUE(mark_merged(*mirror_, 9, 8).ok());  // chain through 8 to 7
    std::vector<RecordId> gone = {7};
    for (int i = 10; i <= 20'000; i += 10)
        gone.push_back(i);
    auto removed = mirror_->remove_gone(contacts_type(), gone);
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    EXPECT_EQ(*removed, 2001);  // 2,000 multiples of 10 and contact 7
    auto orphans = mirror_->remove_orphaned_merges(contacts_type());
    ASSERT_TRUE(orphans.ok()) << orphans.error().describe();
    EXPECT_EQ(*orphans, 2);  // 8 and 9, whose survivor chain ended at 7
    EXPECT_TRUE(mirror_->get_record(contacts_type(), 5)->has_value());
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 7)->has_value());
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 8)->has_value());
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 9)->has_value());
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 20'000)->has_value());
    EXPECT_EQ(mirror_->counts(contacts_type())->total, 20'000 - 2003);
    EXPECT_TRUE(mirror_->integrity_check().ok());
}

TEST_F(MirrorWrite, AFailedPageCommitsNeitherRowsNorCursor) {
    apply({def("email")});
    write({contact(1, "2024-01-01T00:00:00.000Z")}, {{kStateBackfillAfter, "page-1"}});
    {
        // A real SQLite failure in the middle of the next page.
        RawDb db(path_, false);
        ASSERT_EQ(db.exec("CREATE TRIGGER fail_on_666 BEFORE INSERT ON contacts "
                          "WHEN NEW.id = 666 BEGIN SELECT RAISE(ABORT, 'injected'); END"),
                  SQLITE_OK);
    }
    auto r = write_page(
        *mirror_,
        {contact(2, "2024-01-01T00:00:00.000Z"), contact(666, "2024-01-01T00:00:00.000Z"),
         contact(3, "2024-01-01T00:00:00.000Z")},
        {{kStateBackfillAfter, "page-2"}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(path_), std::string::npos);
    EXPECT_NE(r.error().message.find("666"), std::string::npos);
    EXPECT_EQ(*mirror_->state(kStateBackfillAfter), "page-1");
    EXPECT_EQ(mirror_->counts(contacts_type())->total, 1);
    EXPECT_FALSE(mirror_->get_record(contacts_type(), 2)->has_value());
    // The connection is usable afterwards.
    ASSERT_TRUE(write_page(*mirror_, {contact(4, "2024-01-01T00:00:00.000Z")},
                           {{kStateBackfillAfter, "page-3"}})
                    .ok());
    EXPECT_EQ(*mirror_->state(kStateBackfillAfter), "page-3");
}

TEST_F(MirrorWrite, StateAndRunsAreRecorded) {
    apply({def("email")});
    ASSERT_TRUE(mirror_->set_state({{kStateHighWater, "1000"}, {"other", "x"}}).ok());
    ASSERT_TRUE(mirror_->set_state({{"other", std::nullopt}}).ok());
    EXPECT_EQ(*mirror_->all_state(),
              (std::vector<std::pair<std::string, std::string>>{{kStateHighWater, "1000"}}));
    EXPECT_FALSE(mirror_->state("other")->has_value());

    EXPECT_FALSE(mirror_->last_run()->has_value());
    auto run = mirror_->begin_run(contacts_type(), "backfill");
    ASSERT_TRUE(run.ok());
    PageWrite page;
    page.records = {contact(1, "2024-01-01T00:00:00.000Z"), contact(2, "2024-01-01T00:00:00Z")};
    page.run_id = *run;
    page.requests_made = 1;
    ASSERT_TRUE(mirror_->write(contacts_type(), page).ok());
    ASSERT_TRUE(
        mirror_->write(contacts_type(), page).ok());  // rewrite: equal timestamps count as written
    clock_.advance(std::chrono::seconds(90));
    ASSERT_TRUE(mirror_->finish_run(*run, "", 0, 1).ok());

    auto last = mirror_->last_run();
    ASSERT_TRUE(last.ok() && last->has_value());
    EXPECT_EQ((*last)->mode, "backfill");
    EXPECT_EQ((*last)->started_at, "2026-01-01T00:00:00.000Z");
    EXPECT_EQ((*last)->finished_at, "2026-01-01T00:01:30.000Z");
    EXPECT_EQ((*last)->records_written, 4);
    EXPECT_EQ((*last)->requests_made, 3);
    EXPECT_EQ((*last)->error, "");

    auto failed = mirror_->begin_run(contacts_type(), "incremental");
    ASSERT_TRUE(mirror_->finish_run(*failed, "HubSpot unreachable").ok());
    EXPECT_EQ((*mirror_->last_run())->error, "HubSpot unreachable");
}

TEST_F(MirrorWrite, WriteBeforeApplyPropertiesIsRefused) {
    auto r = write_page(*mirror_, {contact(1, "2024-01-01T00:00:00.000Z")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
}

TEST_F(MirrorWrite, BusyDatabaseIsTransient) {
    apply({def("email")});
    MirrorOptions options;
    options.busy_timeout = std::chrono::milliseconds(50);
    auto second = open_mirror(path_, options);
    ASSERT_TRUE(second);
    RawDb other(path_, false);
    ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
    auto r = second->set_state({{"k", "v"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
    ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);
    EXPECT_TRUE(second->set_state({{"k", "v"}}).ok());
}

TEST_F(MirrorWrite, CheckpointTruncatesTheWalUnlessAReaderIsUsingIt) {
    apply({def("email")});
    std::vector<Record> page;
    for (int i = 1; i <= 500; ++i)
        page.push_back(contact(i, "2024-01-01T00:00:00.000Z", {{"email", "someone@x"}}));
    write(page);
    struct stat st {};
    ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
    ASSERT_GT(st.st_size, 0);

    {
        // A reader in the middle of a read transaction pins the WAL: the checkpoint neither
        // truncates nor waits for it (busy_timeout is 10 s; the test would take that long).
        RawDb reader(path_);
        ASSERT_EQ(reader.exec("BEGIN"), SQLITE_OK);
        EXPECT_EQ(reader.one("SELECT count(*) FROM contacts"), "500");
        write({contact(501, "2024-01-01T00:00:00.000Z")});
        const auto start = std::chrono::steady_clock::now();
        auto cp = mirror_->checkpoint();
        ASSERT_TRUE(cp.ok()) << cp.error().describe();
        EXPECT_FALSE(cp->truncated);
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
        ASSERT_EQ(reader.exec("COMMIT"), SQLITE_OK);
    }
    auto cp = mirror_->checkpoint();
    ASSERT_TRUE(cp.ok());
    EXPECT_TRUE(cp->truncated);
    ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 0);
    EXPECT_EQ(mirror_->counts(contacts_type())->total, 501);
    EXPECT_TRUE(mirror_->integrity_check().ok());
}

}  // namespace
}  // namespace hubsync
