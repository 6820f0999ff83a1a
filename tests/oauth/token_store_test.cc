// Token store: file modes, atomic replacement, crash leftovers and the cross-process lock.
#include "oauth/token_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/fault_env.h"
#include "test_util.h"

namespace hubsync {
namespace {

using testing::file_mode;
using testing::TempDir;

StoredTokens sample(const std::string& tag) {
    StoredTokens t;
    t.access_token = "access-" + tag + "-123456";
    t.refresh_token = "refresh-" + tag + "-123456";
    t.obtained_at = ManualClock::default_start();
    t.access_expires_at = t.obtained_at + std::chrono::minutes(30);
    t.hub_id = 4242;
    t.hub_domain = "demo.test";
    t.scopes = {"oauth", "crm.objects.contacts.read"};
    t.token_url = "http://hubspot.test/oauth/2026-03/token";
    t.authorized_at = t.obtained_at;
    return t;
}

class UmaskGuard final {
  public:
    explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
    ~UmaskGuard() { ::umask(old_); }

  private:
    mode_t old_;
};

TEST(TokenStore, DirectoryIs0700AndFileIs0600WhateverTheUmask) {
    TempDir tmp;
    UmaskGuard umask(0);  // a careless umask must not widen anything
    TokenStore store(tmp.file("state"));
    ASSERT_TRUE(store.prepare().ok());
    EXPECT_EQ(file_mode(store.dir()), 0700);
    auto lock = StoreLock::acquire(store);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(store.save(sample("a")).ok());
    EXPECT_EQ(file_mode(store.path()), 0600);
    EXPECT_EQ(file_mode(store.lock_path()), 0600);
}

TEST(TokenStore, RefusesADirectoryOthersCanWrite) {
    TempDir tmp;
    const std::string dir = tmp.file("shared");
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
    auto status = TokenStore(dir).prepare();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, ErrorKind::kConfig);
    EXPECT_NE(status.error().hint.find("chmod 700"), std::string::npos);
}

TEST(TokenStore, RoundTripsEveryField) {
    StoredTokens t = sample("rt");
    t.state = StoredTokens::State::kAuthRequired;
    t.auth_required_reason = "refresh token revoked";
    t.auth_required_since = t.obtained_at + std::chrono::hours(1);
    t.last_refresh_error = "HTTP 503";
    t.last_refresh_error_at = t.obtained_at + std::chrono::minutes(7);
    t.refresh_failures = 3;
    auto parsed = parse_tokens(serialize_tokens(t));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->access_token, t.access_token);
    EXPECT_EQ(parsed->refresh_token, t.refresh_token);
    EXPECT_EQ(parsed->access_expires_at, t.access_expires_at);
    EXPECT_EQ(parsed->obtained_at, t.obtained_at);
    EXPECT_EQ(parsed->hub_id, 4242);
    EXPECT_EQ(parsed->hub_domain, "demo.test");
    EXPECT_EQ(parsed->scopes, t.scopes);
    EXPECT_EQ(parsed->token_url, t.token_url);
    EXPECT_EQ(parsed->state, StoredTokens::State::kAuthRequired);
    EXPECT_EQ(parsed->auth_required_reason, t.auth_required_reason);
    EXPECT_EQ(parsed->auth_required_since, t.auth_required_since);
    EXPECT_EQ(parsed->last_refresh_error, "HTTP 503");
    EXPECT_EQ(parsed->last_refresh_error_at, t.last_refresh_error_at);
    EXPECT_EQ(parsed->refresh_failures, 3);
}

TEST(TokenStore, MissingFileMeansNotAuthorizedAndGarbageIsAnError) {
    TempDir tmp;
    TokenStore store(tmp.path());
    auto none = store.load();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    std::ofstream(store.path()) << "{ not json";
    auto bad = store.load();
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::kIo);
}

TEST(TokenStore, ReplaceIsAtomicNewInodeEveryTime) {
    TempDir tmp;
    TokenStore store(tmp.path());
    ASSERT_TRUE(store.save(sample("one")).ok());
    const FileStamp first = store.stamp();
    ASSERT_TRUE(store.save(sample("two")).ok());
    const FileStamp second = store.stamp();
    EXPECT_TRUE(first.exists && second.exists);
    EXPECT_NE(first.ino, second.ino);
    EXPECT_FALSE(first == second);
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->access_token, "access-two-123456");
}

TEST(TokenStore, CrashAfterTempWriteLeavesTheOldFileIntact) {
    TempDir tmp;
    FaultEnv disk;
    TokenStore store(tmp.path(), disk);
    ASSERT_TRUE(store.save(sample("old")).ok());
    // A process that dies after writing the temp file neither renames nor cleans up.
    disk.inject(FileOp::kRename, EIO);
    disk.inject(FileOp::kRemove, EIO);
    EXPECT_FALSE(store.save(sample("new")).ok());
    EXPECT_TRUE(std::filesystem::exists(store.path() + ".tmp"));  // the crash's leftover
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->refresh_token, "refresh-old-123456");
    // The next writer simply overwrites the leftover.
    disk.clear();
    ASSERT_TRUE(store.save(sample("next")).ok());
    EXPECT_FALSE(std::filesystem::exists(store.path() + ".tmp"));
    EXPECT_EQ((*store.load())->refresh_token, "refresh-next-123456");
}

// Each step of a save failing in turn: the error names the file and the cause, the stored
// tokens are the previous ones, whole, no temp file is left, and the next save works.
struct SaveFault {
    FileOp op;
    int err;
    const char* path_part;
    const char* cause;  // strerror text in the message
};

void PrintTo(const SaveFault& fault, std::ostream* out) {
    *out << to_string(fault.op) << " fails with " << fault.cause;
}

class TokenStoreFaults : public ::testing::TestWithParam<SaveFault> {};

TEST_P(TokenStoreFaults, NothingIsLostTheOldFileStaysValid) {
    const SaveFault fault = GetParam();
    TempDir tmp;
    FaultEnv disk;
    TokenStore store(tmp.path(), disk);
    ASSERT_TRUE(store.save(sample("old")).ok());

    disk.inject(fault.op, fault.err, fault.path_part);
    const Status saved = store.save(sample("new"));
    ASSERT_FALSE(saved.ok());
    EXPECT_EQ(disk.failed(fault.op), 1);
    EXPECT_EQ(saved.error().kind, ErrorKind::kIo);
    EXPECT_NE(saved.error().message.find(fault.cause), std::string::npos) << saved.error().message;
    EXPECT_NE(saved.error().message.find(tmp.path()), std::string::npos) << saved.error().message;
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok() && loaded->has_value()) << "the old file must still parse";
    EXPECT_EQ((*loaded)->access_token, "access-old-123456");
    EXPECT_EQ((*loaded)->refresh_token, "refresh-old-123456");
    EXPECT_FALSE(std::filesystem::exists(store.path() + ".tmp"));

    disk.clear();
    ASSERT_TRUE(store.save(sample("next")).ok());
    EXPECT_EQ((*store.load())->refresh_token, "refresh-next-123456");
}

INSTANTIATE_TEST_SUITE_P(
    EachStepOfASave, TokenStoreFaults,
    ::testing::Values(SaveFault{FileOp::kWrite, ENOSPC, "", "No space left on device"},
                      SaveFault{FileOp::kSync, EIO, "tokens.json.tmp", "Input/output error"},
                      SaveFault{FileOp::kRename, EIO, "", "Input/output error"},
                      SaveFault{FileOp::kCreate, EACCES, "", "Permission denied"}),
    [](const auto& test) { return std::string(to_string(test.param.op)); });

// The rename went through but the directory's fsync failed: the save reports it (the rename
// might not survive a power failure), and whichever file is there is whole.
TEST(TokenStore, FailedDirectoryFsyncIsReportedAndTheFileIsWhole) {
    TempDir tmp;
    FaultEnv disk;
    TokenStore store(tmp.path(), disk);
    ASSERT_TRUE(store.save(sample("old")).ok());
    disk.inject(FileOp::kSync, EIO, tmp.path(), 1, /*skip=*/1);  // the temp file's fsync passes
    const Status saved = store.save(sample("new"));
    ASSERT_FALSE(saved.ok());
    EXPECT_NE(saved.error().message.find("cannot fsync " + tmp.path() + ":"), std::string::npos)
        << saved.error().message;
    auto loaded = store.load();
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->refresh_token, "refresh-new-123456");
}

TEST(TokenStore, ReadersSeeTheOldOrTheNewFileNeverAMix) {
    TempDir tmp;
    TokenStore store(tmp.path());
    StoredTokens a = sample("aaaa");
    StoredTokens b =
        sample("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    ASSERT_TRUE(store.save(a).ok());
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 200; ++i)
            ASSERT_TRUE(store.save(i % 2 ? a : b).ok());
        done = true;
    });
    int reads = 0;
    while (!done) {
        auto loaded = store.load();
        ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
        ASSERT_TRUE(loaded->has_value());
        const auto& t = **loaded;
        EXPECT_TRUE(t.access_token == a.access_token || t.access_token == b.access_token);
        EXPECT_EQ(t.refresh_token.substr(8), t.access_token.substr(7));  // same version
        ++reads;
    }
    writer.join();
    EXPECT_GT(reads, 0);
}

TEST(StoreLock, ExcludesOtherHoldersUntilReleased) {
    TempDir tmp;
    TokenStore store(tmp.path());
    {
        auto held = StoreLock::acquire(store);
        ASSERT_TRUE(held.ok());
        auto second = StoreLock::try_acquire(store);
        ASSERT_FALSE(second.ok());
        EXPECT_EQ(second.error().kind, ErrorKind::kTransient);
        EXPECT_NE(second.error().message.find("another hubsync process"), std::string::npos);
    }
    EXPECT_TRUE(StoreLock::try_acquire(store).ok());
}

TEST(StoreLock, ExcludesAnotherProcess) {
    TempDir tmp;
    TokenStore store(tmp.path());
    auto held = StoreLock::acquire(store);
    ASSERT_TRUE(held.ok());
    const std::string lock_path = store.lock_path();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Only async-signal-safe calls after fork.
        const int fd = ::open(lock_path.c_str(), O_RDWR);
        if (fd < 0) ::_exit(2);
        ::_exit(::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1) << "the other process got the lock while we held it";
}

}  // namespace
}  // namespace hubsync
