// The service in virtual time: an in-process simulator on a scripted clock, the real token
// manager, API client, mirror and engine over loopback HTTP, and the real scheduler, with the
// token store watched on the same clock. A new authorization wakes a paused service within
// one poll period; the service's own token refreshes, which rewrite the store too, do not.
#include "service/service.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

#include "core/log.h"
#include "mirror/sqlite_mirror.h"
#include "oauth/authorize.h"
#include "oauth/token_store.h"
#include "service/authorization_watcher.h"
#include "sim/simulator.h"
#include "support/scripted_clock.h"
#include "support/temp_dir.h"
#include "support/token_manager.h"

namespace hubsync {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::ScriptedClock;
using testing::TempDir;

constexpr Millis kPoll = seconds(2);

// make_sync_parts (daemon/wiring.cc) on the test's clock, without the production extras.
Result<std::unique_ptr<SyncParts>> build_parts(const Config& config, Clock& clock,
                                               const EngineHooks& hooks) {
    auto parts = std::make_unique<SyncParts>();
    TransportOptions no_keep_alive;
    no_keep_alive.keep_alive = false;
    parts->token_transport = make_poco_transport(no_keep_alive);
    parts->api_transport = make_poco_transport(TransportOptions{});
    auto tokens = testing::token_manager_for(config, *parts->token_transport, clock);
    parts->token_manager = tokens.get();
    parts->tokens = std::move(tokens);
    ApiOptions api;
    api.base_url = config.hubspot.api_base_url;
    api.stop = hooks.stop;
    api.jitter_seed = 5;
    api.max_attempts = 1;  // a failing HubSpot fails the cycle at once
    parts->api = make_hubspot_api(*parts->api_transport, *parts->tokens, clock, api);
    MirrorOptions mirror;
    mirror.clock = &clock;
    HS_ASSIGN_OR_RETURN(parts->mirror, SqliteMirror::open(config.sync.database, mirror));
    SyncOptions sync;
    sync.stop = hooks.stop;
    sync.on_page = hooks.on_page;
    parts->engine = std::make_unique<SyncEngine>(*parts->api, *parts->mirror, clock, sync);
    return parts;
}

class ServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim::SimOptions so;
        so.clock = &clock;
        so.contacts = 30;
        so.custom_properties = 2;
        so.rate_limits = false;
        so.token_ttl = minutes(5);
        sim = std::make_unique<sim::Simulator>(so);
        ASSERT_TRUE(sim->start().ok());
        config.hubspot.client_id = so.client_id;
        config.hubspot.client_secret = so.client_secret;
        config.hubspot.api_base_url = sim->base_url();
        config.sync.state_dir = dir.file("state");
        config.sync.database = dir.file("hubspot.db");
        config.sync.interval = minutes(5);
        config.sync.retry_initial = minutes(20);
        config.sync.retry_max = minutes(30);
    }

    // What `hubsync authorize` leaves behind: a fresh token set and authorization time.
    void authorize() {
        const sim::Simulator::Tokens t = sim->issue_tokens();
        StoredTokens s;
        s.access_token = t.access_token;
        s.refresh_token = t.refresh_token;
        s.obtained_at = clock.now();
        s.access_expires_at = clock.now() + seconds(t.expires_in);
        s.authorized_at = clock.now();
        s.hub_id = 62515;
        TokenStore store(token_store_dir(config));
        auto lock = StoreLock::acquire(store);
        ASSERT_TRUE(lock.ok()) << lock.error().describe();
        ASSERT_TRUE(store.save(s).ok());
    }

    Status run_until(Instant end, Notifier notifier = {}) {
        clock.at(end, [this] { stop.request_stop(); });
        ServiceOptions options;
        options.notifier = std::move(notifier);
        options.clock = &clock;
        options.build_parts = build_parts;
        options.store_poll_interval = kPoll;
        options.jitter_seed = 3;
        Service service(config, stop, options);
        return service.run();
    }

    // When requests whose path starts with `prefix` arrived at the simulator.
    std::vector<Instant> arrivals(const std::string& prefix) {
        std::vector<Instant> out;
        for (const auto& r : sim->requests())
            if (r.path.rfind(prefix, 0) == 0) out.push_back(r.at);
        return out;
    }

    ScriptedClock clock;
    TempDir dir;
    std::unique_ptr<sim::Simulator> sim;
    Config config;
    StopSource stop;
};

TEST_F(ServiceTest, ANewAuthorizationWakesAPausedServiceWithinOnePollPeriod) {
    // Not authorized: the first sync and reconcile fail with "authorization required", which
    // waits retry_max (30 minutes) before the next try.
    const Instant authorized = clock.start() + minutes(10);
    clock.at(authorized, [this] { authorize(); });
    ASSERT_TRUE(run_until(clock.start() + minutes(20)).ok());

    const std::vector<Instant> crm = arrivals("/crm/");
    ASSERT_FALSE(crm.empty()) << "the service never resumed after the new authorization";
    EXPECT_GE(crm.front(), authorized);
    EXPECT_LE(crm.front(), authorized + kPoll) << "resumed " << format_iso8601(crm.front())
                                               << ", authorized " << format_iso8601(authorized);
}

TEST_F(ServiceTest, ItsOwnTokenRefreshesDoNotCutABackoffShort) {
    authorize();
    // HubSpot's CRM endpoints fail for the first five minutes: the first reconcile and sync
    // fail at once and wait retry_initial (20 minutes, jittered down to no less than 10).
    sim->add_fault(sim::FaultRule::fail_next("/crm/", -1, 500));
    clock.at(clock.start() + minutes(5), [this] { sim->clear_faults(); });
    ASSERT_TRUE(run_until(clock.start() + minutes(25)).ok());

    const std::vector<Instant> crm = arrivals("/crm/");
    ASSERT_FALSE(crm.empty());
    EXPECT_EQ(crm.front(), clock.start());
    const auto retried =
        std::find_if(crm.begin(), crm.end(), [&](Instant t) { return t > clock.start(); });
    ASSERT_NE(retried, crm.end()) << "never retried";
    EXPECT_GE(*retried, clock.start() + minutes(10))
        << "retried at " << format_iso8601(*retried) << ": a token refresh cut the backoff short";
    // Meanwhile the token manager refreshed the 5-minute tokens (every 2.5 minutes), and each
    // refresh replaced the token store the service watches.
    const std::vector<Instant> refreshes = arrivals("/oauth/");
    EXPECT_GE(
        std::count_if(refreshes.begin(), refreshes.end(), [&](Instant t) { return t < *retried; }),
        3);
}

// A datagram socket where systemd's would be, bound on demand.
class ManagerSocket final {
  public:
    explicit ManagerSocket(std::string path) : path_(std::move(path)) {}
    ~ManagerSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    void bind() {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    std::vector<std::string> received() {
        std::vector<std::string> out;
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd_, buf, sizeof buf, 0)) > 0;)
            out.emplace_back(buf, static_cast<std::size_t>(n));
        return out;
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    int fd_ = -1;
};

TEST_F(ServiceTest, AnUnreachableServiceManagerIsLoggedOnceAndSoIsItsReturn) {
    authorize();
    std::vector<std::string> lines;
    std::mutex lines_mu;
    set_log_sink([&](LogLevel, std::string_view line) {
        std::lock_guard lock(lines_mu);
        lines.emplace_back(line);
    });
    // No one listens at first: READY and a dozen STATUS lines fail to send.
    ManagerSocket manager(dir.file("notify.sock"));
    clock.at(clock.start() + minutes(12), [&] { manager.bind(); });
    const Status ran = run_until(clock.start() + minutes(20), Notifier(manager.path()));
    set_log_sink(nullptr);
    ASSERT_TRUE(ran.ok()) << ran.error().describe();

    const auto containing = [&](const std::string& text) {
        return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.find(text) != std::string::npos;
        });
    };
    EXPECT_EQ(containing("READY not sent: cannot notify the service manager at " + manager.path()),
              1);
    EXPECT_EQ(containing("not sent"), 1) << "later failures are not logged again";
    EXPECT_EQ(containing("notifying the service manager works again"), 1);
    const std::vector<std::string> received = manager.received();
    ASSERT_FALSE(received.empty());
    EXPECT_EQ(received.back(), "STOPPING=1");
}

TEST(AuthorizationWatcher, SeesANewAuthorizationButNotARefresh) {
    TempDir dir;
    TokenStore store(dir.path());
    StoredTokens tokens;
    tokens.access_token = "access-token-1";
    tokens.refresh_token = "refresh-token-1";
    tokens.authorized_at = ManualClock::default_start();
    ASSERT_TRUE(store.save(tokens).ok());
    AuthorizationWatcher watcher = AuthorizationWatcher::token_store(store);
    EXPECT_FALSE(watcher.new_authorization()) << "nothing changed";

    tokens.access_token = "access-token-2";  // a refresh: a new file, the same authorization
    ASSERT_TRUE(store.save(tokens).ok());
    EXPECT_FALSE(watcher.new_authorization());

    tokens.authorized_at += minutes(90);  // `hubsync authorize` again
    ASSERT_TRUE(store.save(tokens).ok());
    EXPECT_TRUE(watcher.new_authorization());
    EXPECT_FALSE(watcher.new_authorization()) << "reported once";

    ASSERT_TRUE(store.remove().ok());  // `hubsync revoke`
    EXPECT_TRUE(watcher.new_authorization());
    EXPECT_EQ(watcher.change(), "token store holds a new authorization");
}

TEST(AuthorizationWatcher, AnyReplacementOfAnAccessTokenFileCounts) {
    TempDir dir;
    const std::string key = dir.write("key", "pat-na1-old-key\n");
    AuthorizationWatcher watcher = AuthorizationWatcher::access_token_file(key, Env::posix());
    EXPECT_FALSE(watcher.new_authorization());
    dir.write("key.new", "pat-na1-new-key\n");
    ASSERT_TRUE(Env::posix().rename_file(dir.file("key.new"), key).ok());
    EXPECT_TRUE(watcher.new_authorization());
    EXPECT_FALSE(watcher.new_authorization());
    EXPECT_EQ(watcher.change(), "access token file " + key + " changed");
}

}  // namespace
}  // namespace hubsync
