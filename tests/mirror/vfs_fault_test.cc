// Faults under SQLite, through the mirror's VFS shim (mirror/vfs.h) and FaultEnv: the disk
// fills up or an fsync fails while a page is written. The page's transaction rolls back, the
// pages before it and the cursor stay as they were, and writing resumes once the fault clears.
// (disk_full_test.cc plays the full disk with a real file size limit instead.)
#include <gtest/gtest.h>

#include <cerrno>

#include "core/fault_env.h"
#include "mirror/mirror_test_util.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::TempDir;

constexpr int kRows = 100;

std::vector<Record> page_of(int page_no) {
    std::vector<Record> page;
    for (int i = 0; i < kRows; ++i) {
        std::vector<PropertyValue> values;
        for (int p = 0; p < 10; ++p)
            values.push_back({"p" + std::to_string(p), std::string(120, 'a' + p)});
        page.push_back(
            contact(page_no * kRows + i + 1, "2024-01-01T00:00:00.000Z", std::move(values)));
    }
    return page;
}

class MirrorFaults : public ::testing::Test {
  protected:
    void open(int wal_restart_pages = MirrorOptions{}.wal_restart_pages) {
        MirrorOptions options;
        options.env = &disk;
        options.wal_restart_pages = wal_restart_pages;
        mirror = mirror_test::open_mirror(path, options);
        ASSERT_NE(mirror, nullptr);
        std::vector<PropertyDef> defs;
        for (int p = 0; p < 10; ++p)
            defs.push_back(def("p" + std::to_string(p)));
        ASSERT_TRUE(mirror->apply_properties(contacts_type(), defs, {}).ok());
    }

    Status write(int page_no) {
        auto r = mirror_test::write_page(*mirror, page_of(page_no),
                                         {{kStateBackfillAfter, std::to_string(page_no)}});
        if (!r.ok()) return std::move(r).error();
        return Status::Ok();
    }

    // The mirror holds pages 0..last, whole, with the cursor on `last`: as the writer sees it
    // and as a reporting tool's fresh connection sees it.
    void expect_pages_through(int last) {
        auto cursor = mirror->state(kStateBackfillAfter);
        ASSERT_TRUE(cursor.ok());
        EXPECT_EQ(*cursor, std::to_string(last));
        auto counts = mirror->counts(contacts_type());
        ASSERT_TRUE(counts.ok());
        EXPECT_EQ(counts->total, std::int64_t{last + 1} * kRows);
        mirror_test::RawDb reader(path);
        EXPECT_EQ(reader.one("SELECT count(*) FROM contacts"), std::to_string((last + 1) * kRows));
        EXPECT_EQ(reader.one("SELECT value FROM sync_state WHERE key = 'backfill.after'"),
                  std::to_string(last));
        EXPECT_EQ(reader.one("PRAGMA integrity_check"), "ok");
    }

    TempDir dir;
    const std::string path = dir.file("mirror.db");
    FaultEnv disk;
    std::unique_ptr<Mirror> mirror;
};

TEST_F(MirrorFaults, DiskFullHalfwayThroughAPageRollsItBackAndWritingResumes) {
    open();
    for (int p = 0; p < 5; ++p)
        ASSERT_TRUE(write(p).ok());
    // The page's first WAL frames reach the file; then the disk is full.
    disk.inject(FileOp::kWrite, ENOSPC, "-wal", -1, /*skip=*/10);
    const Status failed = write(5);
    ASSERT_FALSE(failed.ok());
    EXPECT_GE(disk.failed(FileOp::kWrite), 1);
    EXPECT_EQ(failed.error().kind, ErrorKind::kIo);
    EXPECT_NE(failed.error().message.find("disk full"), std::string::npos)
        << failed.error().describe();
    EXPECT_NE(failed.error().message.find(path), std::string::npos);
    // Still full: the next try fails the same way and changes nothing.
    EXPECT_FALSE(write(5).ok());
    disk.clear();
    expect_pages_through(4);

    ASSERT_TRUE(write(5).ok());
    ASSERT_TRUE(write(6).ok());
    expect_pages_through(6);
}

// With the WAL started over after every commit (wal_restart_pages = 1), each page's commit
// begins a new WAL generation, whose header SQLite fsyncs before the page's frames count.
TEST_F(MirrorFaults, FsyncFailureWhileCommittingAPageRollsItBackAndWritingResumes) {
    open(/*wal_restart_pages=*/1);
    for (int p = 0; p < 5; ++p)
        ASSERT_TRUE(write(p).ok());
    disk.inject(FileOp::kSync, EIO, "-wal", /*times=*/1);
    const Status failed = write(5);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(disk.failed(FileOp::kSync), 1);
    EXPECT_EQ(failed.error().kind, ErrorKind::kIo);
    EXPECT_NE(failed.error().message.find("I/O error on database " + path), std::string::npos)
        << failed.error().describe();
    expect_pages_through(4);

    ASSERT_TRUE(write(5).ok());
    ASSERT_TRUE(write(6).ok());
    expect_pages_through(6);
}

// An fsync that fails in the checkpoint after a commit (after copying the WAL into the
// database file) loses nothing: the page is committed in the WAL, which is kept until a
// checkpoint succeeds, and a restart recovers it from there.
TEST_F(MirrorFaults, FsyncFailureInTheCheckpointAfterAPageKeepsThePage) {
    open(/*wal_restart_pages=*/1);
    ASSERT_TRUE(write(0).ok());
    // A commit's syncs here: the new WAL's header, then the checkpoint's WAL and database.
    disk.inject(FileOp::kSync, EIO, "mirror.db", /*times=*/1, /*skip=*/2);
    ASSERT_TRUE(write(1).ok());
    EXPECT_EQ(disk.failed(FileOp::kSync), 1) << "the fault must have hit the checkpoint";
    for (int p = 2; p < 4; ++p)
        ASSERT_TRUE(write(p).ok());
    expect_pages_through(3);

    mirror.reset();
    open(/*wal_restart_pages=*/1);
    expect_pages_through(3);
}

}  // namespace
}  // namespace hubsync
