// The mirror's writer lock: one holder at a time within a process and across processes,
// released when the holder goes away, however it goes.
#include "service/sync_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/fault_env.h"
#include "support/temp_dir.h"

extern char** environ;

namespace hubsync {
namespace {

using testing::TempDir;

constexpr const char* kHoldVariable = "HUBSYNC_TEST_HOLD_SYNC_LOCK";

void expect_refused(const Result<std::unique_ptr<SyncLock>>& lock) {
    ASSERT_FALSE(lock.ok());
    EXPECT_EQ(lock.error().kind, ErrorKind::kTransient);
    EXPECT_NE(lock.error().message.find("another hubsync process is syncing this mirror"),
              std::string::npos)
        << lock.error().message;
}

TEST(SyncLock, ASecondHolderInTheSameProcessIsRefusedUntilTheFirstIsGone) {
    TempDir dir;
    const std::string state_dir = dir.file("state");
    auto first = SyncLock::try_acquire(state_dir);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    expect_refused(SyncLock::try_acquire(state_dir));
    first->reset();
    EXPECT_TRUE(SyncLock::try_acquire(state_dir).ok());
}

TEST(SyncLock, CreatesTheStateDirectoryGroupReadable) {
    TempDir dir;
    const std::string state_dir = dir.file("a/state");
    ASSERT_TRUE(SyncLock::try_acquire(state_dir).ok());
    auto info = Env::posix().stat(state_dir);
    ASSERT_TRUE(info.ok() && info->exists && info->is_directory);
    EXPECT_EQ(info->mode, 0750u);
}

TEST(SyncLock, AFailureToLockIsAnIoErrorNotABusyMirror) {
    TempDir dir;
    FaultEnv disk;
    disk.inject(FileOp::kLock, EACCES);
    auto lock = SyncLock::try_acquire(dir.path(), disk);
    ASSERT_FALSE(lock.ok());
    EXPECT_EQ(lock.error().kind, ErrorKind::kIo);
    EXPECT_NE(lock.error().message.find("sync.lock"), std::string::npos);
}

// A child process (this test binary again, running only the holder below) takes the lock.
class LockHolder final {
  public:
    explicit LockHolder(const std::string& state_dir) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        const std::string hold = std::string(kHoldVariable) + "=" + state_dir;
        std::vector<char*> env;
        for (char** e = environ; *e != nullptr; ++e)
            env.push_back(*e);
        env.push_back(const_cast<char*>(hold.c_str()));
        env.push_back(nullptr);
        std::string self = "/proc/self/exe";
        std::string filter = "--gtest_filter=SyncLockHolder.*";
        char* argv[] = {self.data(), filter.data(), nullptr};
        const int rc = ::posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv, env.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) throw std::runtime_error("posix_spawn failed");
        out_ = out[0];
    }
    ~LockHolder() {
        kill();
        ::close(out_);
    }

    // Waits for the child's report: true once it holds the lock.
    bool holds() {
        std::string text;
        char c;
        while (::read(out_, &c, 1) == 1) {
            text.push_back(c);
            if (text.find("SYNC-LOCK-HELD") != std::string::npos) return true;
            if (text.find("SYNC-LOCK-REFUSED") != std::string::npos) return false;
        }
        return false;
    }

    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

  private:
    pid_t pid_ = -1;
    int out_ = -1;
};

TEST(SyncLock, AnotherProcessIsRefusedUntilTheHolderDies) {
    TempDir dir;
    const std::string state_dir = dir.file("state");
    LockHolder child(state_dir);
    ASSERT_TRUE(child.holds());
    expect_refused(SyncLock::try_acquire(state_dir));
    child.kill();  // SIGKILL: no destructor runs, the kernel releases the lock
    EXPECT_TRUE(SyncLock::try_acquire(state_dir).ok());
}

TEST(SyncLock, AnotherProcessIsRefusedWhileThisOneHolds) {
    TempDir dir;
    const std::string state_dir = dir.file("state");
    auto held = SyncLock::try_acquire(state_dir);
    ASSERT_TRUE(held.ok());
    {
        LockHolder child(state_dir);
        EXPECT_FALSE(child.holds()) << "the child got the lock while this process held it";
    }
    held->reset();
    LockHolder child(state_dir);
    EXPECT_TRUE(child.holds());
}

// Not a test of its own: the child process of the tests above. It holds the lock until it is
// killed.
TEST(SyncLockHolder, HoldsTheLockUntilKilled) {
    const char* state_dir = std::getenv(kHoldVariable);
    if (state_dir == nullptr) GTEST_SKIP() << "runs only as the child of the SyncLock tests";
    auto lock = SyncLock::try_acquire(state_dir);
    std::printf(lock.ok() ? "SYNC-LOCK-HELD\n" : "SYNC-LOCK-REFUSED\n");
    std::fflush(stdout);
    if (!lock.ok()) std::_Exit(3);
    for (;;)
        ::pause();
}

}  // namespace
}  // namespace hubsync
