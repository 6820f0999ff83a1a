// The systemd notify protocol: datagrams received on sockets the test creates, path and
// abstract, and the watchdog interval from the environment.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "service/notify.h"
#include "service/scheduler.h"
#include "support/temp_dir.h"

namespace hubsync {
namespace {

namespace fs = std::filesystem;

// A datagram socket standing in for systemd's notification socket.
class Receiver final {
  public:
    // `name` starting with '@' binds an abstract socket, else a path.
    explicit Receiver(std::string name) : name_(std::move(name)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name_.data(), name_.size());
        socklen_t len = 0;
        if (name_.front() == '@') {
            addr.sun_path[0] = '\0';
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
        } else {
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() + 1);
        }
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    }
    ~Receiver() { ::close(fd_); }

    bool bound() const { return bound_; }
    int fd() const { return fd_; }

    // The next datagram already queued, or nullopt. Never waits: a datagram sent to a
    // local socket is queued before sendto() returns.
    std::optional<std::string> take() {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

  private:
    std::string name_;
    int fd_ = -1;
    bool bound_ = false;
};

class NotifyTest : public ::testing::Test {
  protected:
    std::string socket_path() const { return dir_.file("notify.sock"); }
    static std::string abstract_name() {
        return "@hubsync-test-notify-" + std::to_string(::getpid());
    }

    testing::TempDir dir_{"hubsync-notify"};
};

TEST_F(NotifyTest, PathSocketReceivesEachMessageAsOneDatagram) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    const Notifier notifier(socket_path());
    ASSERT_TRUE(notifier.enabled());

    ASSERT_TRUE(notifier.ready().ok());
    ASSERT_TRUE(notifier.status("synced 3m ago, 20,000 contacts").ok());
    ASSERT_TRUE(notifier.watchdog().ok());
    ASSERT_TRUE(notifier.stopping().ok());

    EXPECT_EQ(receiver.take(), "READY=1");
    EXPECT_EQ(receiver.take(), "STATUS=synced 3m ago, 20,000 contacts");
    EXPECT_EQ(receiver.take(), "WATCHDOG=1");
    EXPECT_EQ(receiver.take(), "STOPPING=1");
    EXPECT_EQ(receiver.take(), std::nullopt);
}

TEST_F(NotifyTest, AbstractSocketReceivesDatagrams) {
    Receiver receiver(abstract_name());
    ASSERT_TRUE(receiver.bound());
    const Notifier notifier(abstract_name());

    ASSERT_TRUE(notifier.ready("starting").ok());
    ASSERT_TRUE(notifier.watchdog().ok());
    ASSERT_TRUE(notifier.stopping().ok());

    EXPECT_EQ(receiver.take(), "READY=1\nSTATUS=starting");
    EXPECT_EQ(receiver.take(), "WATCHDOG=1");
    EXPECT_EQ(receiver.take(), "STOPPING=1");
}

TEST_F(NotifyTest, AbstractNameIsNotConfusedWithAPath) {
    // A path socket named like the abstract one must not receive it.
    const std::string name = abstract_name() + "-x";
    Receiver receiver(name);
    ASSERT_TRUE(receiver.bound());
    Receiver path_receiver(dir_.file(name.substr(1)));
    ASSERT_TRUE(path_receiver.bound());

    ASSERT_TRUE(Notifier(name).watchdog().ok());
    EXPECT_EQ(receiver.take(), "WATCHDOG=1");
    EXPECT_EQ(path_receiver.take(), std::nullopt);
}

TEST_F(NotifyTest, StatusIsOneLine) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    ASSERT_TRUE(Notifier(socket_path()).status("sync failed\nREADY=1").ok());
    // An embedded newline would have smuggled a second assignment into the datagram.
    EXPECT_EQ(receiver.take(), "STATUS=sync failed READY=1");
}

TEST_F(NotifyTest, ReloadingCarriesTheMonotonicTime) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    timespec before{};
    ::clock_gettime(CLOCK_MONOTONIC, &before);
    ASSERT_TRUE(Notifier(socket_path()).reloading().ok());
    const auto message = receiver.take();
    ASSERT_TRUE(message.has_value());
    ASSERT_EQ(message->rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << *message;
    const long long usec = std::stoll(message->substr(message->find('=', 12) + 1));
    const long long before_usec = before.tv_sec * 1'000'000LL + before.tv_nsec / 1000;
    EXPECT_GE(usec, before_usec);
    EXPECT_LT(usec - before_usec, 60'000'000LL);
}

TEST_F(NotifyTest, ExtendTimeoutInMicroseconds) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    ASSERT_TRUE(Notifier(socket_path()).extend_timeout(std::chrono::seconds(20)).ok());
    EXPECT_EQ(receiver.take(), "EXTEND_TIMEOUT_USEC=20000000");
}

TEST_F(NotifyTest, DisabledWithoutSocketAndFromEnvironment) {
    const Notifier disabled;
    EXPECT_FALSE(disabled.enabled());
    EXPECT_TRUE(disabled.ready().ok());
    EXPECT_TRUE(disabled.status("x").ok());

    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_FALSE(Notifier::from_environment().enabled());

    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    ::setenv("NOTIFY_SOCKET", socket_path().c_str(), 1);
    const Notifier from_env = Notifier::from_environment();
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_EQ(from_env.socket(), socket_path());
    ASSERT_TRUE(from_env.ready().ok());
    EXPECT_EQ(receiver.take(), "READY=1");
}

TEST_F(NotifyTest, MissingReceiverIsAnErrorNotAHang) {
    const Status status = Notifier(socket_path()).ready();
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find(socket_path()), std::string::npos);
    EXPECT_FALSE(Notifier("relative/path").ready().ok());
}

TEST_F(NotifyTest, FullReceiverDoesNotBlock) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    const Notifier notifier(socket_path());
    // Nobody reads: the queue fills up, and then sending must fail at once instead of waiting
    // for a service manager that is not reading.
    const auto start = std::chrono::steady_clock::now();
    bool failed = false;
    for (int i = 0; i < 100'000 && !failed; ++i)
        failed = !notifier.watchdog().ok();
    EXPECT_TRUE(failed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
    EXPECT_EQ(receiver.take(), "WATCHDOG=1");
}

// The scheduler's watchdog pings, sent for real: over a virtual hour with a 20 s watchdog,
// the socket receives WATCHDOG=1 every 10 s, and nothing else.
TEST_F(NotifyTest, SchedulerSendsWatchdogDatagramsAtHalfTheInterval) {
    Receiver receiver(socket_path());
    ASSERT_TRUE(receiver.bound());
    const Notifier notifier(socket_path());
    ManualClock clock;
    const Instant start = clock.now();
    StopSource stop;
    SchedulerOptions options;
    options.cadence = Cadence{std::chrono::minutes(5), std::chrono::hours(24)};
    options.last_reconcile = start;
    const auto watchdog = parse_watchdog_interval("20000000", nullptr, 1);
    ASSERT_TRUE(watchdog.has_value());
    options.watchdog_interval = std::chrono::duration_cast<Millis>(*watchdog);
    Scheduler scheduler(clock, stop, options);

    std::vector<Instant> received;
    SchedulerHooks hooks;
    hooks.watchdog = [&] {
        ASSERT_TRUE(notifier.watchdog().ok());
        // systemd reads as the service writes; so does the test, or the queue would fill.
        while (auto message = receiver.take()) {
            EXPECT_EQ(*message, "WATCHDOG=1");
            received.push_back(clock.now());
        }
    };
    hooks.sync = [&] {
        if (clock.now() - start >= std::chrono::hours(1)) stop.request_stop();
        return Status::Ok();
    };
    ASSERT_TRUE(scheduler.run(hooks).ok());
    ASSERT_EQ(received.size(), 361u);  // 0 s, 10 s, ..., 3600 s
    for (std::size_t i = 1; i < received.size(); ++i) {
        EXPECT_EQ(received[i] - received[i - 1], std::chrono::seconds(10));
    }
}

TEST(WatchdogInterval, ParsesMicroseconds) {
    EXPECT_EQ(parse_watchdog_interval("30000000", nullptr, 42), std::chrono::seconds(30));
    EXPECT_EQ(parse_watchdog_interval("1", nullptr, 42), std::chrono::microseconds(1));
}

TEST(WatchdogInterval, OffWhenUnsetOrInvalid) {
    EXPECT_EQ(parse_watchdog_interval(nullptr, nullptr, 42), std::nullopt);
    for (const char* bad : {"", "0", "-5", "30s", "12x", " 5", "99999999999999999999999"}) {
        EXPECT_EQ(parse_watchdog_interval(bad, nullptr, 42), std::nullopt) << bad;
    }
}

TEST(WatchdogInterval, OnlyForTheProcessSystemdStarted) {
    EXPECT_EQ(parse_watchdog_interval("2000000", "42", 42), std::chrono::seconds(2));
    // A child that inherited the environment must not feed the parent's watchdog.
    EXPECT_EQ(parse_watchdog_interval("2000000", "41", 42), std::nullopt);
    EXPECT_EQ(parse_watchdog_interval("2000000", "abc", 42), std::nullopt);
}

TEST(WatchdogInterval, FromEnvironment) {
    ::setenv("WATCHDOG_USEC", "4000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(watchdog_interval_from_environment(), std::chrono::seconds(4));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    EXPECT_EQ(watchdog_interval_from_environment(), std::nullopt);
    ::unsetenv("WATCHDOG_PID");
    EXPECT_EQ(watchdog_interval_from_environment(), std::chrono::seconds(4));
    ::unsetenv("WATCHDOG_USEC");
    EXPECT_EQ(watchdog_interval_from_environment(), std::nullopt);
}

TEST(WatchdogInterval, CapsBlockingStepsBelowHalfTheInterval) {
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    EXPECT_EQ(cap_for_watchdog(seconds(30), std::nullopt), seconds(30));
    EXPECT_EQ(cap_for_watchdog(seconds(30), seconds(120)), seconds(30));
    EXPECT_EQ(cap_for_watchdog(seconds(30), seconds(20)), seconds(9));
    EXPECT_LT(cap_for_watchdog(seconds(30), seconds(60)), seconds(30));
    EXPECT_GE(cap_for_watchdog(seconds(30), std::chrono::microseconds(1)), milliseconds(1));
}

}  // namespace
}  // namespace hubsync
