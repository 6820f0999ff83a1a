// The WAL stays bounded while report queries run back to back: SQLite's passive automatic
// checkpoint can never start the WAL over while some reader is always inside it, so without
// the mirror's RESTART checkpoint the WAL grows with everything written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

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

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

TEST(WalSize, StaysBoundedWhileReadersNeverPause) {
    TempDir dir;
    const std::string path = dir.file("mirror.db");
    MirrorOptions options;
    options.wal_restart_pages = 256;  // 4 MiB, so a few MB of writes show the bound
    auto m = open_mirror(path, options);
    ASSERT_TRUE(m);
    std::vector<PropertyDef> defs;
    for (int p = 0; p < 8; ++p)
        defs.push_back(def("p" + std::to_string(p)));
    ASSERT_TRUE(m->apply_properties(contacts_type(), defs, {}).ok());
    ASSERT_TRUE(write_page(*m, {contact(1, "2024-01-01T00:00:00.000Z")}, {}).ok());

    // Two readers, each in a read transaction nearly all the time, overlapping each other.
    std::atomic<bool> stop{false};
    std::atomic<int> reader_errors{0};
    std::atomic<int> transactions{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            RawDb db(path);
            sqlite3_busy_timeout(db.handle(), 1000);
            while (!stop) {
                if (db.exec("BEGIN") != SQLITE_OK) ++reader_errors;
                if (db.rows("SELECT count(*), max(updated_at) FROM contacts").empty())
                    ++reader_errors;
                if (db.exec("COMMIT") != SQLITE_OK) ++reader_errors;
                ++transactions;
            }
        });
    }
    // About 30 MB of rows: 60 pages of 100 contacts with 8 x 600-byte values each.
    std::int64_t peak = 0;
    for (int page = 0; page < 60; ++page) {
        std::vector<Record> rows;
        for (int i = 0; i < 100; ++i) {
            std::vector<PropertyValue> values;
            for (int p = 0; p < 8; ++p)
                values.push_back(
                    {"p" + std::to_string(p), std::string(600, 'a' + (page + p) % 26)});
            rows.push_back(contact(10 + page * 100 + i, "2024-01-02T00:00:00.000Z", values));
        }
        ASSERT_TRUE(write_page(*m, rows, {{kStateBackfillAfter, std::to_string(page)}}).ok());
        peak = std::max(peak, file_size(path + "-wal"));
    }
    stop = true;
    for (auto& t : readers)
        t.join();
    EXPECT_EQ(reader_errors, 0);
    EXPECT_GT(transactions, 100) << "the readers must have been busy throughout";
    EXPECT_GT(file_size(path), 25'000'000) << "enough was written for the bound to matter";
    // 4 MiB, plus the page that crossed it, plus retries 4 MiB apart while a slow reader (a
    // loaded machine) outlasts the wait; passive checkpoints alone let it grow to 87 MB here.
    EXPECT_LT(peak, 40'000'000) << "WAL peak " << peak << " bytes";
}

}  // namespace
}  // namespace hubsync
