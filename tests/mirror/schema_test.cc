// The mirror's schema against the product contract, migrations from every earlier version,
// and how the database file is opened (modes, permissions, refusals).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/core.h>

#include "mirror/mirror_test_util.h"
#include "mirror/schema.h"
#include "mirror/sqlite_db.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::mark_merged;
using mirror_test::open_mirror;
using mirror_test::RawDb;
using mirror_test::TempDir;
using mirror_test::write_page;

// "name type notnull pk" per column, as PRAGMA table_info reports them.
std::vector<std::string> columns_of(RawDb& db, const std::string& table) {
    return db.rows(
        "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || pk "
        "FROM pragma_table_info('" +
        table + "') ORDER BY cid");
}

TEST(MirrorSchema, MatchesTheContract) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    { auto m = open_mirror(path); }
    RawDb db(path);
    ASSERT_TRUE(db.ok());

    EXPECT_EQ(columns_of(db, "contacts"),
              (std::vector<std::string>{"id INTEGER 0 1", "created_at TEXT 0 0",
                                        "updated_at TEXT 0 0", "archived INTEGER 1 0",
                                        "archived_at TEXT 0 0", "merged_into INTEGER 0 0",
                                        "synced_at TEXT 0 0", "properties TEXT 0 0"}));
    // contact_properties stays for reports written before every object type: a view of the
    // contacts' part of object_properties.
    EXPECT_EQ(db.one("SELECT type FROM sqlite_schema WHERE name = 'contact_properties'"), "view");
    EXPECT_EQ(columns_of(db, "contact_properties"),
              (std::vector<std::string>{"name TEXT 0 0", "column_name TEXT 0 0", "label TEXT 0 0",
                                        "type TEXT 0 0", "field_type TEXT 0 0",
                                        "group_name TEXT 0 0", "description TEXT 0 0"}));
    EXPECT_EQ(
        columns_of(db, "object_properties"),
        (std::vector<std::string>{"object_type TEXT 1 1", "name TEXT 1 2", "column_name TEXT 0 0",
                                  "label TEXT 0 0", "type TEXT 0 0", "field_type TEXT 0 0",
                                  "group_name TEXT 0 0", "description TEXT 0 0"}));
    EXPECT_EQ(columns_of(db, "sync_runs"),
              (std::vector<std::string>{
                  "id INTEGER 0 1", "started_at TEXT 1 0", "finished_at TEXT 0 0", "mode TEXT 1 0",
                  "records_written INTEGER 1 0", "requests_made INTEGER 1 0", "error TEXT 0 0",
                  "object_type TEXT 1 0", "verdict TEXT 0 0"}));
    EXPECT_EQ(columns_of(db, "deletions"),
              (std::vector<std::string>{"object_type TEXT 1 0", "id INTEGER 1 0", "reason TEXT 1 0",
                                        "detected_at TEXT 1 0", "survivor_id INTEGER 0 0",
                                        "restored_at TEXT 0 0"}));
    EXPECT_EQ(columns_of(db, "merged_ids"),
              (std::vector<std::string>{"object_type TEXT 1 1", "old_id INTEGER 1 2",
                                        "survivor_id INTEGER 1 0"}));
    EXPECT_EQ(
        columns_of(db, "changes"),
        (std::vector<std::string>{"object_type TEXT 1 0", "id INTEGER 1 0", "property TEXT 1 0",
                                  "old_value TEXT 0 0", "new_value TEXT 0 0", "changed_at TEXT 0 0",
                                  "synced_at TEXT 1 0"}));
    // The ledger's triggers are on every object table from the start.
    EXPECT_EQ(db.one("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = "
                     "'contacts'"),
              "4");
    EXPECT_EQ(db.rows("SELECT name, type_id, table_name FROM object_types"),
              (std::vector<std::string>{"contacts|0-1|contacts"}));
    EXPECT_EQ(db.one("SELECT type FROM sqlite_schema WHERE name = 'active_contacts'"), "view");
    EXPECT_EQ(db.one("SELECT type FROM sqlite_schema WHERE name = 'contacts_by_any_id'"), "view");
    EXPECT_EQ(db.one("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(db.one("PRAGMA user_version"), std::to_string(SqliteMirror::latest_schema_version()));
}

TEST(MirrorSchema, ActiveContactsViewHidesArchivedAndMergedAndFollowsNewColumns) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto m = open_mirror(path);
    ASSERT_TRUE(m->apply_properties(contacts_type(), {def("email")}, {}).ok());
    Record archived = contact(2, "2024-01-02T00:00:00.000Z", {{"email", "b@x"}});
    archived.archived = true;
    archived.archived_at = "2024-01-03T00:00:00.000Z";
    ASSERT_TRUE(
        write_page(*m, {contact(1, "2024-01-01T00:00:00.000Z", {{"email", "a@x"}}), archived,
                        contact(3, "2024-01-01T00:00:00.000Z", {{"email", "c@x"}})})
            .ok());
    ASSERT_TRUE(mark_merged(*m, 3, 1).ok());
    // A property added later is visible through the view too.
    ASSERT_TRUE(m->apply_properties(contacts_type(), {def("email"), def("phone")}, {}).ok());

    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT id, email, phone FROM active_contacts ORDER BY id"),
              (std::vector<std::string>{"1|a@x|NULL"}));
}

// Contacts 1..n, each with the email "<id>@x".
void write_contacts_with_email(Mirror& m, RecordId n) {
    ASSERT_TRUE(m.apply_properties(contacts_type(), {def("email")}, {}).ok());
    std::vector<Record> records;
    for (RecordId id = 1; id <= n; ++id)
        records.push_back(
            contact(id, "2024-01-01T00:00:00.000Z", {{"email", fmt::format("{}@x", id)}}));
    ASSERT_TRUE(write_page(m, records).ok());
}

// <table>_by_any_id: one join on any_id finds the active record behind any id it ever had.
TEST(MirrorSchema, ByAnyIdViewResolvesOldIdsToTheActiveSurvivor) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto m = open_mirror(path);
    write_contacts_with_email(*m, 6);
    // A chain: 1 into 2, then 2 into 3. merged_ids names the final survivor, 3, for both.
    ASSERT_TRUE(mark_merged(*m, 1, 2).ok());
    ASSERT_TRUE(mark_merged(*m, 2, 3).ok());
    // An id the mirror never held (merged before the backfill), named by its survivor.
    ASSERT_TRUE(mark_merged(*m, 99, 3).ok());
    // 4 into 5, and 5 archived: neither id resolves to anything.
    ASSERT_TRUE(mark_merged(*m, 4, 5).ok());
    PageWrite archive;
    archive.archived.push_back({5, "2024-02-01T00:00:00.000Z"});
    ASSERT_TRUE(m->write(contacts_type(), archive).ok());

    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT any_id, id, email FROM contacts_by_any_id ORDER BY any_id"),
              (std::vector<std::string>{"1|3|3@x", "2|3|3@x", "3|3|3@x", "6|6|6@x", "99|3|3@x"}));
    // One join from ids kept elsewhere (a spreadsheet, another system) to today's record.
    ASSERT_EQ(db.exec("CREATE TEMP TABLE refs (contact_id INTEGER); INSERT INTO refs VALUES "
                      "(1), (2), (4), (5), (6), (7), (99)"),
              SQLITE_OK);
    EXPECT_EQ(db.rows("SELECT r.contact_id, c.id FROM refs r JOIN contacts_by_any_id c ON "
                      "c.any_id = r.contact_id ORDER BY r.contact_id"),
              (std::vector<std::string>{"1|3", "2|3", "6|6", "99|3"}));
    // A lookup by any_id reads the primary keys, never the whole table.
    for (const std::string& plan :
         db.rows("EXPLAIN QUERY PLAN SELECT * FROM contacts_by_any_id WHERE any_id = 1"))
        EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
    for (const std::string& plan : db.rows("EXPLAIN QUERY PLAN SELECT c.id FROM refs r JOIN "
                                           "contacts_by_any_id c ON c.any_id = r.contact_id"))
        EXPECT_EQ(plan.find("SCAN contacts"), std::string::npos) << plan;

    // A property column added later shows in the view, for this connection and new ones.
    ASSERT_TRUE(m->apply_properties(contacts_type(), {def("email"), def("phone")}, {}).ok());
    ASSERT_TRUE(write_page(*m, {contact(3, "2024-03-01T00:00:00.000Z",
                                        {{"email", "3@x"}, {"phone", "555"}})})
                    .ok());
    EXPECT_EQ(db.one("SELECT id, phone FROM contacts_by_any_id WHERE any_id = 1"), "3|555");
    RawDb fresh(path);
    EXPECT_EQ(fresh.one("SELECT id, phone FROM contacts_by_any_id WHERE any_id = 99"), "3|555");

    // A record active under its own id again is itself, not also its old survivor.
    ASSERT_TRUE(
        write_page(*m, {contact(1, "2024-04-01T00:00:00.000Z", {{"email", "back@x"}})}).ok());
    EXPECT_EQ(db.rows("SELECT id, email FROM contacts_by_any_id WHERE any_id = 1"),
              (std::vector<std::string>{"1|back@x"}));
}

// Merges written out of order (B into C seen before A into B, as pages of different ranges
// may arrive): A still resolves to C, the final survivor, and so do ids that named A.
TEST(MirrorSchema, ByAnyIdViewResolvesMergesWrittenOutOfOrder) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto m = open_mirror(path);
    write_contacts_with_email(*m, 3);
    ASSERT_TRUE(mark_merged(*m, 2, 3).ok());
    ASSERT_TRUE(mark_merged(*m, 7, 1).ok());  // 7 named 1 before 1 was merged
    ASSERT_TRUE(mark_merged(*m, 1, 2).ok());  // written last, though it happened first
    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT any_id, id FROM contacts_by_any_id ORDER BY any_id"),
              (std::vector<std::string>{"1|3", "2|3", "3|3", "7|3"}));
    EXPECT_EQ(db.rows("SELECT old_id, survivor_id FROM merged_ids ORDER BY old_id"),
              (std::vector<std::string>{"1|3", "2|3", "7|3"}));
}

TEST(MirrorSchema, EveryObjectTableHasItsByAnyIdView) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto m = open_mirror(path);
    const ObjectType pets = *custom_object_type("pets", "2-123");
    for (const ObjectType& type : {*find_standard_type("deals"), pets}) {
        ASSERT_TRUE(m->apply_properties(type, {def("name")}, {}).ok());
        PageWrite page;
        page.records = {contact(10, "2024-01-01T00:00:00.000Z", {{"name", "ten"}}),
                        contact(11, "2024-01-01T00:00:00.000Z", {{"name", "eleven"}})};
        page.merges = {{10, 11}};
        ASSERT_TRUE(m->write(type, page).ok());
    }
    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT any_id, id, name FROM deals_by_any_id ORDER BY any_id"),
              (std::vector<std::string>{"10|11|eleven", "11|11|eleven"}));
    EXPECT_EQ(db.rows("SELECT any_id, id, name FROM custom_pets_by_any_id ORDER BY any_id"),
              (std::vector<std::string>{"10|11|eleven", "11|11|eleven"}));
    // Each view reads its own type's part of merged_ids.
    EXPECT_EQ(db.one("SELECT count(*) FROM merged_ids"), "2");
}

// The schema objects (ignoring the SQL text's whitespace), to compare databases.
std::vector<std::string> schema_of(const std::string& path) {
    RawDb db(path);
    return db.rows(
        "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || "
        "replace(replace(coalesce(sql, ''), ' ', ''), char(10), '') "
        "FROM sqlite_schema ORDER BY type, name");
}

// What a hubsync of version 1 or 2 wrote: one contact with an email column, its property
// description, a backfill cursor and a run.
void write_old_rows(const std::string& path) {
    RawDb db(path, false);
    ASSERT_EQ(db.exec("ALTER TABLE contacts ADD COLUMN \"email\" TEXT"), SQLITE_OK);
    ASSERT_EQ(db.exec("INSERT INTO contacts (id, created_at, updated_at, archived, synced_at, "
                      "properties, email) VALUES (7, '2024-01-01T00:00:00.000Z', "
                      "'2024-01-01T00:00:00.000Z', 0, '2024-01-01T00:00:00.000Z', "
                      "'{\"email\":\"a@x\"}', 'a@x')"),
              SQLITE_OK);
    ASSERT_EQ(db.exec("INSERT INTO contact_properties VALUES ('email', 'email', 'Email', "
                      "'string', 'text', 'contactinformation', 'about email')"),
              SQLITE_OK);
    ASSERT_EQ(db.exec("INSERT INTO sync_state (key, value) VALUES ('backfill.after', 'cursor-7')"),
              SQLITE_OK);
    ASSERT_EQ(db.exec("INSERT INTO sync_runs (started_at, mode, contacts_written) VALUES "
                      "('2024-01-01T00:00:00.000Z', 'backfill', 1)"),
              SQLITE_OK);
}

// A database at schema `version` holding those rows: written at version 2 at most and migrated
// from there, as a database that lived through those versions would be.
void write_old_database(const std::string& path, int version) {
    constexpr int kRowsVersion = 2;
    {
        sql::Database raw;
        ASSERT_TRUE(raw.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).ok());
        ASSERT_TRUE(raw.exec("PRAGMA journal_mode = WAL", "").ok());
        ASSERT_TRUE(mirror_schema::migrate(raw, std::min(version, kRowsVersion)).ok());
    }
    write_old_rows(path);
    sql::Database raw;
    ASSERT_TRUE(raw.open(path, SQLITE_OPEN_READWRITE).ok());
    ASSERT_TRUE(mirror_schema::migrate(raw, version).ok());
}

TEST(MirrorSchema, MigratesFromEveryEarlierVersion) {
    TempDir dir;
    const std::string fresh = dir.file("fresh.db");
    {
        auto m = open_mirror(fresh);
        ASSERT_TRUE(m->apply_properties(contacts_type(), {def("email")}, {}).ok());
    }
    const auto expected = schema_of(fresh);

    for (int from = 1; from < SqliteMirror::latest_schema_version(); ++from) {
        SCOPED_TRACE("from version " + std::to_string(from));
        const std::string path = dir.file("v" + std::to_string(from) + ".db");
        write_old_database(path, from);
        auto m = open_mirror(path);
        ASSERT_TRUE(m);
        EXPECT_EQ(*m->schema_version(), SqliteMirror::latest_schema_version());
        // Same tables, indexes and views as a new database, and the data kept: rows, property
        // descriptions, the contacts' cursor under its per-type key, the runs.
        EXPECT_EQ(schema_of(path), expected);
        RawDb db(path);
        EXPECT_EQ(db.one("SELECT id, email FROM contacts"), "7|a@x");
        EXPECT_EQ(db.one("SELECT name, column_name FROM contact_properties"), "email|email");
        EXPECT_EQ(db.one("SELECT object_type, name FROM object_properties"), "contacts|email");
        EXPECT_EQ(*m->state(state_key(contacts_type(), kStateBackfillAfter)), "cursor-7");
        EXPECT_FALSE(m->state(kStateBackfillAfter)->has_value());
        EXPECT_EQ(db.one("SELECT object_type, mode, records_written FROM sync_runs"),
                  "contacts|backfill|1");
        // And the new code writes it.
        ASSERT_TRUE(m->apply_properties(contacts_type(), {def("email")}, {}).ok());
        ASSERT_TRUE(
            write_page(*m, {contact(8, "2024-01-02T00:00:00.000Z", {{"email", "b@x"}})}).ok());
        EXPECT_EQ(db.one("SELECT count(*) FROM active_contacts"), "2");
        EXPECT_TRUE(m->integrity_check().ok());
    }
}

// A version 5 mirror, as hubsync wrote it before the views: a writer opening it adds the
// <table>_by_any_id views without a schema migration (older hubsync can still open it).
TEST(MirrorSchema, OpeningAVersion5MirrorAddsTheByAnyIdViews) {
    TempDir dir;
    const std::string path = dir.file("v5.db");
    write_old_database(path, 5);
    {
        RawDb db(path, false);
        ASSERT_EQ(db.exec("INSERT INTO merged_ids VALUES ('contacts', 3, 7)"), SQLITE_OK);
        EXPECT_EQ(db.one("SELECT count(*) FROM sqlite_schema WHERE name = 'contacts_by_any_id'"),
                  "0");
    }
    auto m = open_mirror(path);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m->schema_version(), SqliteMirror::latest_schema_version());
    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT any_id, id, email FROM contacts_by_any_id ORDER BY any_id"),
              (std::vector<std::string>{"3|7|a@x", "7|7|a@x"}));
}

TEST(MirrorSchema, RefusesADatabaseFromANewerVersion) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    { auto m = open_mirror(path); }
    {
        RawDb db(path, false);
        ASSERT_EQ(db.exec("PRAGMA user_version = 999"), SQLITE_OK);
    }
    auto m = SqliteMirror::open(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kIo);
    EXPECT_NE(m.error().message.find("newer"), std::string::npos);
}

TEST(MirrorSchema, RefusesAnotherApplicationsDatabase) {
    TempDir dir;
    const std::string path = dir.file("other.db");
    {
        RawDb db(path, false);
        ASSERT_FALSE(db.ok());  // READWRITE without CREATE: the file must exist first
    }
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
        ASSERT_EQ(
            sqlite3_exec(raw, "CREATE TABLE invoices (id INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
        sqlite3_close(raw);
    }
    auto m = SqliteMirror::open(path);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("another application"), std::string::npos);
    RawDb db(path);
    EXPECT_EQ(db.one("SELECT count(*) FROM sqlite_schema"), "1");
}

TEST(MirrorSchema, CreatesTheFileReadableByTheGroupWhateverTheUmask) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    const mode_t old = ::umask(077);
    { auto m = open_mirror(path); }
    ::umask(old);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    // The WAL files stay after the writer closes, so read-only users can open the database.
    for (const char* suffix : {"-wal", "-shm"}) {
        ASSERT_EQ(::stat((path + suffix).c_str(), &st), 0) << suffix;
        EXPECT_EQ(st.st_mode & 0777, 0640u) << suffix;
    }
}

TEST(MirrorSchema, ReadOnlyOpenOfAMissingFileIsNotFound) {
    TempDir dir;
    MirrorOptions ro;
    ro.read_only = true;
    auto m = SqliteMirror::open(dir.file("missing.db"), ro);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kNotFound);
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));
}

TEST(MirrorSchema, MissingDirectoryIsAnIoErrorNamingThePath) {
    TempDir dir;
    const std::string path = dir.file("no/such/dir/m.db");
    auto m = SqliteMirror::open(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kIo);
    EXPECT_NE(m.error().message.find(path), std::string::npos);
    EXPECT_FALSE(m.error().hint.empty());
}

TEST(MirrorSchema, ReadOnlyMirrorReadsButNeverWrites) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto writer = open_mirror(path);
    ASSERT_TRUE(writer->apply_properties(contacts_type(), {def("email")}, {}).ok());
    ASSERT_TRUE(write_page(*writer, {contact(1, "2024-01-01T00:00:00.000Z")},
                           {{kStateBackfillAfter, "abc"}})
                    .ok());

    MirrorOptions ro;
    ro.read_only = true;
    auto reader = open_mirror(path, ro);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->counts(contacts_type())->active, 1);
    EXPECT_EQ(*reader->state(kStateBackfillAfter), "abc");
    EXPECT_FALSE(reader->set_state({{"x", "y"}}).ok());
    EXPECT_FALSE(reader->apply_properties(contacts_type(), {def("email")}, {}).ok());

    // While the reader holds a read transaction, the writer still commits at once.
    RawDb raw(path);
    ASSERT_EQ(raw.exec("BEGIN; SELECT count(*) FROM contacts;"), SQLITE_OK);
    ASSERT_TRUE(write_page(*writer, {contact(2, "2024-01-01T00:00:00.000Z")}).ok());
    EXPECT_EQ(raw.one("SELECT count(*) FROM contacts"), "1");  // its snapshot
    ASSERT_EQ(raw.exec("COMMIT"), SQLITE_OK);
    EXPECT_EQ(raw.one("SELECT count(*) FROM contacts"), "2");
    EXPECT_EQ(reader->counts(contacts_type())->active, 2);
}

TEST(MirrorSchema, ReaderWithoutWriteAccessToAnyFileStillReads) {
    // A reporting user in the database's group gets read permission only (0640): no write
    // access to the database, -wal or -shm. Read-only chmod plays that user here.
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto writer = open_mirror(path);
    ASSERT_TRUE(writer->apply_properties(contacts_type(), {def("email")}, {}).ok());
    ASSERT_TRUE(write_page(*writer, {contact(1, "2024-01-01T00:00:00.000Z")}).ok());
    for (const char* suffix : {"", "-wal", "-shm"})
        ASSERT_EQ(::chmod((path + suffix).c_str(), 0444), 0) << suffix;

    MirrorOptions ro;
    ro.read_only = true;
    auto reader = open_mirror(path, ro);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->counts(contacts_type())->total, 1);
    ASSERT_TRUE(write_page(*writer, {contact(2, "2024-01-01T00:00:00.000Z")}).ok());
    EXPECT_EQ(reader->counts(contacts_type())->total, 2);

    // And after the service has stopped.
    writer.reset();
    reader.reset();
    auto later = open_mirror(path, ro);
    ASSERT_TRUE(later);
    EXPECT_EQ(later->counts(contacts_type())->total, 2);
}

}  // namespace
}  // namespace hubsync
