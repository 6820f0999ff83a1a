// A separate reader process (as a reporting tool would be) queries the mirror without a busy
// timeout while pages are written and checkpointed: it must never get SQLITE_BUSY and never
// see part of a page or a cursor that disagrees with the rows.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "mirror/mirror_test_util.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::mark_merged;
using mirror_test::open_mirror;
using mirror_test::TempDir;
using mirror_test::write_page;

constexpr int kRowsPerPage = 100;
constexpr int kPages = 200;

struct ReaderStats {
    int queries = 0;
    int distinct_totals = 0;  // how many different committed states it saw
};

std::int64_t query_int(sqlite3* db, const char* sql, int& rc) {
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc != SQLITE_OK) return -1;
    rc = sqlite3_step(st);
    std::int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_finalize(st);
    return v;
}

// Runs in the child process. Exit codes: 0 ok, 2 SQLITE_BUSY, 3 other error, 4 torn page,
// 5 cursor and rows disagree, 6 never saw the end.
int reader_main(const std::string& path, int ready_fd, int stats_fd) {
    ReaderStats stats;
    std::set<std::int64_t> totals;
    sqlite3* db = nullptr;
    bool announced = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        // Like short-lived report queries: a new connection now and then. No busy timeout.
        if (db == nullptr || stats.queries % 25 == 0) {
            if (db) sqlite3_close(db);
            if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
                std::fprintf(stderr, "reader: open failed: %s\n", sqlite3_errmsg(db));
                return 3;
            }
        }
        int rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        const std::int64_t torn = query_int(db,
                                            "SELECT count(*) FROM (SELECT page_no FROM contacts "
                                            "GROUP BY page_no HAVING count(*) <> 100)",
                                            rc);
        const std::int64_t total =
            rc == SQLITE_OK ? query_int(db, "SELECT count(*) FROM contacts", rc) : -1;
        const std::int64_t cursor =
            rc == SQLITE_OK ? query_int(db,
                                        "SELECT coalesce(CAST(value AS INTEGER), -1) FROM "
                                        "sync_state WHERE key = 'backfill.after'",
                                        rc)
                            : -1;
        if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        if ((rc & 0xff) == SQLITE_BUSY) {
            std::fprintf(stderr, "reader: SQLITE_BUSY: %s\n", sqlite3_errmsg(db));
            return 2;
        }
        if (rc != SQLITE_OK) {
            std::fprintf(stderr, "reader: error %d: %s\n", rc, sqlite3_errmsg(db));
            return 3;
        }
        ++stats.queries;
        if (torn != 0 || total % kRowsPerPage != 0) {
            std::fprintf(stderr, "reader: saw a partial page (total %lld)\n",
                         static_cast<long long>(total));
            return 4;
        }
        if (total != (cursor + 1) * kRowsPerPage) {
            std::fprintf(stderr, "reader: cursor %lld but %lld rows\n",
                         static_cast<long long>(cursor), static_cast<long long>(total));
            return 5;
        }
        totals.insert(total);
        if (!announced) {
            announced = (::write(ready_fd, "r", 1) == 1);
        }
        if (total == std::int64_t{kPages} * kRowsPerPage) {
            stats.distinct_totals = static_cast<int>(totals.size());
            sqlite3_close(db);
            return ::write(stats_fd, &stats, sizeof stats) == sizeof stats ? 0 : 3;
        }
    }
    return 6;
}

// Kills and reaps the child if the test stops early, so no reader is left behind.
struct ChildGuard {
    pid_t pid = -1;
    ~ChildGuard() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

TEST(MirrorReaderProcess, NeverBusyAndNeverSeesHalfAPage) {
    TempDir dir;
    const std::string path = dir.file("mirror.db");
    int go[2], ready[2], stats_pipe[2];
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(stats_pipe), 0);

    // Fork before this process opens the database: SQLite connections must not cross fork.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(3);
        ::_exit(reader_main(path, ready[1], stats_pipe[1]));
    }
    ChildGuard guard{pid};

    auto mirror = open_mirror(path);
    ASSERT_TRUE(mirror);
    std::vector<PropertyDef> defs = {def("page_no", "number")};
    for (int i = 0; i < 10; ++i)
        defs.push_back(def("p" + std::to_string(i)));
    ASSERT_TRUE(mirror->apply_properties(contacts_type(), defs, {}).ok());

    auto write_page = [&](int page_no) {
        std::vector<Record> page;
        for (int i = 0; i < kRowsPerPage; ++i) {
            std::vector<PropertyValue> values = {{"page_no", std::to_string(page_no)}};
            for (int p = 0; p < 10; ++p)
                values.push_back({"p" + std::to_string(p), "some text value " + std::to_string(i)});
            page.push_back(contact(page_no * kRowsPerPage + i + 1, "2024-01-01T00:00:00.000Z",
                                   std::move(values)));
        }
        auto r = mirror_test::write_page(*mirror, page,
                                         {{kStateBackfillAfter, std::to_string(page_no)}});
        ASSERT_TRUE(r.ok()) << r.error().describe();
    };
    write_page(0);
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);  // the reader is running

    for (int p = 1; p < kPages; ++p) {
        write_page(p);
        if (p % 20 == 0) {
            ASSERT_TRUE(mirror->checkpoint().ok());
        }
    }
    ASSERT_TRUE(mirror->checkpoint().ok());

    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    guard.pid = -1;
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "2 busy, 3 error, 4 torn page, 5 cursor mismatch";
    ReaderStats stats;
    ASSERT_EQ(::read(stats_pipe[0], &stats, sizeof stats), static_cast<ssize_t>(sizeof stats));
    // The reader really ran alongside the writer: it saw several intermediate states.
    EXPECT_GT(stats.distinct_totals, 2) << stats.queries << " queries";
    std::printf("reader: %d queries, %d distinct states\n", stats.queries, stats.distinct_totals);
    EXPECT_TRUE(mirror->integrity_check().ok());
    for (int fd : {go[0], go[1], ready[0], ready[1], stats_pipe[0], stats_pipe[1]})
        ::close(fd);
}

}  // namespace
}  // namespace hubsync
