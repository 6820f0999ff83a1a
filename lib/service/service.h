// `hubsync run` as a library class. One Scheduler drives token refresh, sync and reconcile on
// the injected clock; SIGHUP reloads the configuration; the token store is watched for a new
// authorization; systemd hears READY, STATUS, WATCHDOG and STOPPING. daemon/run_command.cc
// constructs it with the production wiring and runs it; tests run it in virtual time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/hubspot_api.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "http/transport.h"
#include "mirror/mirror.h"
#include "oauth/token_manager.h"
#include "service/authorization_watcher.h"
#include "service/notify.h"
#include "service/scheduler.h"
#include "sync/sync_engine.h"

namespace hubsync {

// What the service asks of the engine it builds.
struct EngineHooks {
    StopSource* stop = nullptr;
    std::function<void(const SyncProgress&)> on_progress;
    std::function<void()> on_page;
    // Upper bound for HTTP timeouts (half the watchdog interval under systemd).
    std::optional<Millis> max_http_timeout;
};

// Everything one process needs to sync, built from one configuration. Members are destroyed
// in reverse order.
struct SyncParts {
    std::unique_ptr<HttpTransport> token_transport;
    std::unique_ptr<HttpTransport> api_transport;
    std::unique_ptr<AccessTokenSource> tokens;
    TokenManager* token_manager = nullptr;  // null in private-app mode
    std::unique_ptr<HubSpotApi> api;
    std::unique_ptr<Mirror> mirror;
    std::unique_ptr<SyncEngine> engine;
};

// Builds the parts for a configuration (production: make_sync_parts in daemon/wiring.cc).
using SyncPartsFactory = std::function<Result<std::unique_ptr<SyncParts>>(
    const Config& config, Clock& clock, const EngineHooks& hooks)>;

// The outside world of a service, chosen by whoever constructs it.
struct ServiceOptions {
    Clock* clock = nullptr;  // nullptr: SystemClock::instance()
    Env* env = nullptr;      // nullptr: Env::posix()
    SyncPartsFactory build_parts;
    // Reads the configuration again for a reload; nullptr refuses reloads.
    std::function<Result<Config>()> reload_config;
    std::string config_path;  // where reload_config reads from, for the log
    // True (once) when a reload was requested (SignalHandler::take_reload); nullptr: never.
    std::function<bool()> take_reload;
    Notifier notifier;  // default: no service manager to tell
    // systemd's watchdog interval (watchdog_interval_from_environment()); nullopt: off.
    std::optional<Millis> watchdog_interval;
    // How often the token store is looked at for a new authorization.
    Millis store_poll_interval{2'000};
    // Seed for the scheduler's jitter; 0 picks a random one. Tests fix it.
    std::uint64_t jitter_seed = 0;
};

// run() is called once. The scheduler, the sync cycle and every hook run on the thread that
// called run(); the engine's progress callbacks may come from the same thread only.
class Service final {
  public:
    // `stop` ends run(): request_stop() stops it, notify() wakes it to look at reloads and
    // retry failed tasks. It must outlive the service.
    Service(Config config, StopSource& stop, ServiceOptions options);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Takes the mirror's writer lock (kTransient while another process syncs), builds the
    // parts, and runs until a stop request (ok) or a failure to start.
    Status run();

  private:
    static Cadence cadence(const Config& config);
    Status build(const Config& config);
    std::optional<Instant> last_reconcile();
    SchedulerHooks hooks();
    void record_result(Task task, const Status& status, std::optional<Instant> retry_at);
    Status cycle(const CycleRequest& request);
    std::optional<Cadence> reload();
    void watch_authorization();
    std::string status_line();
    // Everything the service manager is told goes through here. systemd acts on what it
    // misses (no READY fails the start, missed WATCHDOG pings restart the service), so the
    // first failed send is logged, once, not with every status line; so is the recovery.
    void tell(std::string_view what, const Status& sent);

    Config config_;
    StopSource& stop_;
    ServiceOptions options_;
    Clock& clock_;
    Env& env_;
    std::unique_ptr<SyncParts> parts_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<AuthorizationWatcher> watcher_;
    std::string problem_;
    std::optional<Instant> retry_at_;
    std::optional<Instant> last_sync_;
    bool syncing_ = false;
    bool auth_required_logged_ = false;
    std::atomic<std::int64_t> progress_{0};
    std::mutex notify_mu_;
    bool notify_failing_ = false;
};

}  // namespace hubsync
