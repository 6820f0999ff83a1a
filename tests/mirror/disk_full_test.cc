// Running out of room in the middle of writing pages: the error says so, the failed page leaves
// neither rows nor cursor behind, and writing resumes once there is room again. A file size
// limit (RLIMIT_FSIZE, in a child process so the test runner is unaffected) plays the full
// disk: without root there is no small file system to fill, and SQLite's handling of the
// failed write is the same (SQLITE_IOERR with EFBIG instead of ENOSPC).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "mirror/mirror_test_util.h"

namespace hubsync {
namespace {

using mirror_test::contact;
using mirror_test::def;
using mirror_test::mark_merged;
using mirror_test::TempDir;
using mirror_test::write_page;

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

// Exit codes: 0 ok; 10+ says which expectation failed (printed on stderr).
int disk_full_child(const std::string& path) {
    ::signal(SIGXFSZ, SIG_IGN);
    auto opened = SqliteMirror::open(path);
    if (!opened.ok()) return 10;
    Mirror& m = *opened.value();
    std::vector<PropertyDef> defs;
    for (int p = 0; p < 10; ++p)
        defs.push_back(def("p" + std::to_string(p)));
    if (!m.apply_properties(contacts_type(), defs, {}).ok()) return 11;

    rlimit original{};
    ::getrlimit(RLIMIT_FSIZE, &original);
    rlimit small = original;
    small.rlim_cur = 2'000'003;
    if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return 12;

    int last_ok = -1;
    Error failure;
    bool failed = false;
    for (int p = 0; p < 1000 && !failed; ++p) {
        auto r = write_page(m, page_of(p), {{kStateBackfillAfter, std::to_string(p)}});
        if (r.ok()) {
            last_ok = p;
        } else {
            failed = true;
            failure = r.error();
        }
    }
    ::setrlimit(RLIMIT_FSIZE, &original);
    std::fprintf(stderr, "child: failed after page %d: %s\n", last_ok, failure.describe().c_str());
    if (!failed || last_ok < 0) return 13;
    if (failure.kind != ErrorKind::kIo) return 14;
    if (failure.message.find("file size limit") == std::string::npos) return 15;
    if (failure.message.find(path) == std::string::npos) return 16;

    auto cursor = m.state(kStateBackfillAfter);
    if (!cursor.ok() || *cursor != std::to_string(last_ok)) return 17;
    auto counts = m.counts(contacts_type());
    if (!counts.ok() || counts->total != std::int64_t{last_ok + 1} * kRows) return 18;
    // Room again: the same page goes through.
    if (!write_page(m, page_of(last_ok + 1), {{kStateBackfillAfter, std::to_string(last_ok + 1)}})
             .ok())
        return 19;
    if (!m.integrity_check().ok()) return 20;
    return 0;
}

TEST(MirrorDiskFull, FailedPageLeavesNothingAndWritingResumes) {
    TempDir dir;
    const std::string path = dir.file("mirror.db");
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(disk_full_child(path));
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "see disk_full_child for the meaning";

    // A fresh connection agrees: whole pages only, cursor matching the rows.
    mirror_test::RawDb db(path);
    const auto total = std::stoll(db.one("SELECT count(*) FROM contacts"));
    const auto cursor =
        std::stoll(db.one("SELECT value FROM sync_state WHERE key = 'backfill.after'"));
    EXPECT_EQ(total, (cursor + 1) * kRows);
    EXPECT_EQ(db.one("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace hubsync
