// The mirror's schema against the product contract, migrations from every earlier version,
// and how the database file is opened (modes, permissions, refusals).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "mirror/mirror_test_util.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::open_mirror;
using mirror_test::RawDb;
using mirror_test::TempDir;

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
    EXPECT_EQ(columns_of(db, "contact_properties"),
              (std::vector<std::string>{"name TEXT 0 1", "column_name TEXT 0 0", "label TEXT 0 0",
                                        "type TEXT 0 0", "field_type TEXT 0 0",
                                        "group_name TEXT 0 0", "description TEXT 0 0"}));
    EXPECT_EQ(columns_of(db, "sync_runs"),
              (std::vector<std::string>{
                  "id INTEGER 0 1", "started_at TEXT 1 0", "finished_at TEXT 0 0", "mode TEXT 1 0",
                  "contacts_written INTEGER 1 0", "requests_made INTEGER 1 0", "error TEXT 0 0"}));
    EXPECT_EQ(db.one("SELECT type FROM sqlite_schema WHERE name = 'active_contacts'"), "view");
    EXPECT_EQ(db.one("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(db.one("PRAGMA user_version"), std::to_string(Mirror::latest_schema_version()));
}

TEST(MirrorSchema, ActiveContactsViewHidesArchivedAndMergedAndFollowsNewColumns) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto m = open_mirror(path);
    ASSERT_TRUE(m->apply_properties({def("email")}, {}).ok());
    Record archived = contact(2, "2024-01-02T00:00:00.000Z", {{"email", "b@x"}});
    archived.archived = true;
    archived.archived_at = "2024-01-03T00:00:00.000Z";
    ASSERT_TRUE(m->write_page({contact(1, "2024-01-01T00:00:00.000Z", {{"email", "a@x"}}), archived,
                               contact(3, "2024-01-01T00:00:00.000Z", {{"email", "c@x"}})})
                    .ok());
    ASSERT_TRUE(m->mark_merged(3, 1).ok());
    // A property added later is visible through the view too.
    ASSERT_TRUE(m->apply_properties({def("email"), def("phone")}, {}).ok());

    RawDb db(path);
    EXPECT_EQ(db.rows("SELECT id, email, phone FROM active_contacts ORDER BY id"),
              (std::vector<std::string>{"1|a@x|NULL"}));
}

// The schema objects (ignoring the SQL text's whitespace), to compare databases.
std::vector<std::string> schema_of(const std::string& path) {
    RawDb db(path);
    return db.rows(
        "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || "
        "replace(replace(coalesce(sql, ''), ' ', ''), char(10), '') "
        "FROM sqlite_schema ORDER BY type, name");
}

TEST(MirrorSchema, MigratesFromEveryEarlierVersion) {
    TempDir dir;
    const std::string fresh = dir.file("fresh.db");
    {
        auto m = open_mirror(fresh);
        ASSERT_TRUE(m->apply_properties({def("email")}, {}).ok());
    }
    const auto expected = schema_of(fresh);

    for (int from = 1; from < Mirror::latest_schema_version(); ++from) {
        SCOPED_TRACE("from version " + std::to_string(from));
        const std::string path = dir.file("v" + std::to_string(from) + ".db");
        {
            MirrorOptions old;
            old.schema_version = from;
            auto m = open_mirror(path, old);
            ASSERT_TRUE(m);
            EXPECT_EQ(*m->schema_version(), from);
            ASSERT_TRUE(m->apply_properties({def("email")}, {}).ok());
            ASSERT_TRUE(m->write_page({contact(7, "2024-01-01T00:00:00.000Z", {{"email", "a@x"}})},
                                      {{kStateBackfillAfter, "cursor-7"}})
                            .ok());
        }
        auto m = open_mirror(path);
        ASSERT_TRUE(m);
        EXPECT_EQ(*m->schema_version(), Mirror::latest_schema_version());
        // Same tables, indexes and view as a new database, and the data kept.
        EXPECT_EQ(schema_of(path), expected);
        RawDb db(path);
        EXPECT_EQ(db.one("SELECT id, email FROM contacts"), "7|a@x");
        EXPECT_EQ(*m->state(kStateBackfillAfter), "cursor-7");
        EXPECT_TRUE(m->integrity_check().ok());
    }
}

TEST(MirrorSchema, RefusesADatabaseFromANewerVersion) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    { auto m = open_mirror(path); }
    {
        RawDb db(path, false);
        ASSERT_EQ(db.exec("PRAGMA user_version = 999"), SQLITE_OK);
    }
    auto m = Mirror::open(path);
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
    auto m = Mirror::open(path);
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
    auto m = Mirror::open(dir.file("missing.db"), ro);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kNotFound);
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));
}

TEST(MirrorSchema, MissingDirectoryIsAnIoErrorNamingThePath) {
    TempDir dir;
    const std::string path = dir.file("no/such/dir/m.db");
    auto m = Mirror::open(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kIo);
    EXPECT_NE(m.error().message.find(path), std::string::npos);
    EXPECT_FALSE(m.error().hint.empty());
}

TEST(MirrorSchema, ReadOnlyMirrorReadsButNeverWrites) {
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto writer = open_mirror(path);
    ASSERT_TRUE(writer->apply_properties({def("email")}, {}).ok());
    ASSERT_TRUE(
        writer->write_page({contact(1, "2024-01-01T00:00:00.000Z")}, {{kStateBackfillAfter, "abc"}})
            .ok());

    MirrorOptions ro;
    ro.read_only = true;
    auto reader = open_mirror(path, ro);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->counts()->active, 1);
    EXPECT_EQ(*reader->state(kStateBackfillAfter), "abc");
    EXPECT_FALSE(reader->set_state({{"x", "y"}}).ok());
    EXPECT_FALSE(reader->apply_properties({def("email")}, {}).ok());

    // While the reader holds a read transaction, the writer still commits at once.
    RawDb raw(path);
    ASSERT_EQ(raw.exec("BEGIN; SELECT count(*) FROM contacts;"), SQLITE_OK);
    ASSERT_TRUE(writer->write_page({contact(2, "2024-01-01T00:00:00.000Z")}).ok());
    EXPECT_EQ(raw.one("SELECT count(*) FROM contacts"), "1");  // its snapshot
    ASSERT_EQ(raw.exec("COMMIT"), SQLITE_OK);
    EXPECT_EQ(raw.one("SELECT count(*) FROM contacts"), "2");
    EXPECT_EQ(reader->counts()->active, 2);
}

TEST(MirrorSchema, ReaderWithoutWriteAccessToAnyFileStillReads) {
    // A reporting user in the database's group gets read permission only (0640): no write
    // access to the database, -wal or -shm. Read-only chmod plays that user here.
    TempDir dir;
    const std::string path = dir.file("m.db");
    auto writer = open_mirror(path);
    ASSERT_TRUE(writer->apply_properties({def("email")}, {}).ok());
    ASSERT_TRUE(writer->write_page({contact(1, "2024-01-01T00:00:00.000Z")}).ok());
    for (const char* suffix : {"", "-wal", "-shm"})
        ASSERT_EQ(::chmod((path + suffix).c_str(), 0444), 0) << suffix;

    MirrorOptions ro;
    ro.read_only = true;
    auto reader = open_mirror(path, ro);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->counts()->total, 1);
    ASSERT_TRUE(writer->write_page({contact(2, "2024-01-01T00:00:00.000Z")}).ok());
    EXPECT_EQ(reader->counts()->total, 2);

    // And after the service has stopped.
    writer.reset();
    reader.reset();
    auto later = open_mirror(path, ro);
    ASSERT_TRUE(later);
    EXPECT_EQ(later->counts()->total, 2);
}

}  // namespace
}  // namespace hubsync
