// The file system seam: the POSIX Env does what its contract says, and FaultEnv fails exactly
// the operations it was told to, as often as it was told to.
#include "core/env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/fault_env.h"
#include "support/temp_dir.h"

namespace hubsync {
namespace {

using testing::TempDir;

Status write_file(Env& env, const std::string& path, const std::string& text) {
    HS_ASSIGN_OR_RETURN(auto file, env.new_writable_file(path, 0600));
    HS_RETURN_IF_ERROR(file->append(text));
    HS_RETURN_IF_ERROR(file->sync());
    return file->close();
}

TEST(PosixEnv, WritesReadsRenamesAndRemoves) {
    TempDir dir;
    Env& env = Env::posix();
    const std::string a = dir.file("a"), b = dir.file("b");
    ASSERT_TRUE(write_file(env, a, "hello").ok());
    ASSERT_TRUE(env.rename_file(a, b).ok());
    EXPECT_EQ(env.read_file(a).error().kind, ErrorKind::kNotFound);
    EXPECT_EQ(*env.read_file(b), "hello");
    ASSERT_TRUE(env.sync_dir(dir.path()).ok());
    ASSERT_TRUE(env.remove_file(b).ok());
    EXPECT_EQ(env.remove_file(b).error().kind, ErrorKind::kNotFound);
}

TEST(PosixEnv, ModesAreExactWhateverTheUmask) {
    TempDir dir;
    Env& env = Env::posix();
    const mode_t old = ::umask(0);
    ASSERT_TRUE(env.create_dir(dir.file("x/y"), 0750).ok());
    ASSERT_TRUE(write_file(env, dir.file("x/y/f"), "t").ok());
    ::umask(077);
    ASSERT_TRUE(env.create_dir(dir.file("z"), 0750).ok());
    ::umask(old);
    EXPECT_EQ(env.stat(dir.file("x"))->mode, 0750u);
    EXPECT_EQ(env.stat(dir.file("x/y"))->mode, 0750u);
    EXPECT_EQ(env.stat(dir.file("z"))->mode, 0750u);
    EXPECT_EQ(env.stat(dir.file("x/y/f"))->mode, 0600u);
    EXPECT_TRUE(env.create_dir(dir.file("x"), 0700).ok()) << "an existing directory is fine";
    EXPECT_EQ(env.stat(dir.file("x"))->mode, 0750u) << "and keeps its mode";
}

TEST(PosixEnv, StatTellsVersionsOfAReplacedFileApart) {
    TempDir dir;
    Env& env = Env::posix();
    EXPECT_FALSE(env.stat(dir.file("f"))->exists);
    ASSERT_TRUE(write_file(env, dir.file("f"), "one").ok());
    const FileInfo first = *env.stat(dir.file("f"));
    ASSERT_TRUE(write_file(env, dir.file("f.tmp"), "two!").ok());
    ASSERT_TRUE(env.rename_file(dir.file("f.tmp"), dir.file("f")).ok());
    const FileInfo second = *env.stat(dir.file("f"));
    EXPECT_TRUE(first.exists && second.exists);
    EXPECT_NE(first.ino, second.ino);
    EXPECT_EQ(second.size, 4);
}

TEST(PosixEnv, ALockExcludesASecondHolderInTheSameProcessUntilUnlocked) {
    TempDir dir;
    Env& env = Env::posix();
    auto first = env.lock_file(dir.file("lock"), Env::LockWait::kTryOnce);
    ASSERT_TRUE(first.ok());
    auto second = env.lock_file(dir.file("lock"), Env::LockWait::kTryOnce);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().kind, ErrorKind::kTransient);
    ASSERT_TRUE(env.unlock_file(std::move(first).value()).ok());
    EXPECT_TRUE(env.lock_file(dir.file("lock"), Env::LockWait::kTryOnce).ok());
}

TEST(FaultEnv, FailsTheChosenOperationOnMatchingPathsOnly) {
    TempDir dir;
    FaultEnv env;
    env.inject(FileOp::kWrite, ENOSPC, "full");
    const Status full = write_file(env, dir.file("full.txt"), "x");
    ASSERT_FALSE(full.ok());
    EXPECT_NE(full.error().message.find("No space left on device"), std::string::npos);
    EXPECT_NE(full.error().hint.find("free space"), std::string::npos);
    EXPECT_TRUE(write_file(env, dir.file("other.txt"), "x").ok());
    EXPECT_EQ(env.failed(FileOp::kWrite), 1);
    EXPECT_EQ(env.count(FileOp::kWrite), 2);
    env.clear();
    EXPECT_TRUE(write_file(env, dir.file("full.txt"), "x").ok());
}

TEST(FaultEnv, SkipsThenFailsAGivenNumberOfTimes) {
    TempDir dir;
    FaultEnv env;
    env.inject(FileOp::kRename, EIO, "", /*times=*/2, /*skip=*/1);
    ASSERT_TRUE(write_file(env, dir.file("a"), "x").ok());
    EXPECT_TRUE(env.rename_file(dir.file("a"), dir.file("b")).ok());
    EXPECT_FALSE(env.rename_file(dir.file("b"), dir.file("c")).ok());
    EXPECT_FALSE(env.rename_file(dir.file("b"), dir.file("c")).ok());
    EXPECT_TRUE(env.rename_file(dir.file("b"), dir.file("c")).ok());
    EXPECT_EQ(env.failed(FileOp::kRename), 2);
}

TEST(FaultEnv, AnswersTheFaultPointsOfForeignFileIo) {
    FaultEnv env;
    EXPECT_EQ(Env::posix().injected_error(FileOp::kSync, "/x/db-wal"), 0);
    env.inject(FileOp::kSync, EIO, "-wal", 1);
    EXPECT_EQ(env.injected_error(FileOp::kSync, "/x/db"), 0);
    EXPECT_EQ(env.injected_error(FileOp::kSync, "/x/db-wal"), EIO);
    EXPECT_EQ(env.injected_error(FileOp::kSync, "/x/db-wal"), 0);
}

}  // namespace
}  // namespace hubsync
