// `hubsync run`: the service. One scheduler drives token refresh, sync and reconcile on the
// clock; signals stop or reload it; systemd hears READY, STATUS, WATCHDOG and STOPPING.
#include <atomic>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include "commands.h"
#include "core/duration.h"
#include "core/log.h"
#include "oauth/authorize.h"
#include "oauth/token_store.h"
#include "service/notify.h"
#include "service/scheduler.h"
#include "service/signals.h"
#include "service/status_line.h"
#include "wiring.h"

namespace hubsync {
namespace {

// The service's state, shared by the scheduler thread and the store watcher.
class Service final {
  public:
    Service(const CommandContext& ctx, StopSource& stop, SignalHandler& signals)
        : ctx_(ctx),
          config_(ctx.config),
          stop_(stop),
          signals_(signals),
          notifier_(Notifier::from_environment()) {
        if (auto wd = watchdog_interval_from_environment()) {
            watchdog_ = std::chrono::duration_cast<Millis>(*wd);
        }
    }

    int run() {
        auto lock = SyncLock::try_acquire(config_.sync.state_dir);
        if (!lock.ok()) return report_error(ctx_, lock.error());
        if (auto built = build(config_); !built.ok()) return report_error(ctx_, built.error());

        SchedulerOptions options;
        options.cadence = cadence(config_);
        options.watchdog_interval = watchdog_;
        options.last_reconcile = last_reconcile();
        scheduler_ = std::make_unique<Scheduler>(SystemClock::instance(), stop_, options);

        std::thread watcher([this] { watch_token_store(); });
        HS_LOG_INFO("hubsync service started: mirror {}, sync every {}", config_.sync.database,
                    format_duration(config_.sync.interval));
        (void)notifier_.ready(status_line());
        Status result = scheduler_->run(hooks());
        (void)notifier_.stopping();
        stop_.request_stop();
        watcher.join();
        if (!result.ok()) return report_error(ctx_, result.error());
        HS_LOG_INFO("hubsync service stopped");
        return 0;
    }

  private:
    static Cadence cadence(const Config& c) {
        return Cadence{c.sync.interval, c.sync.reconcile_interval, c.sync.retry_initial,
                       c.sync.retry_max};
    }

    Status build(const Config& config) {
        EngineHooks hooks;
        hooks.stop = &stop_;
        hooks.on_page = [this] {
            if (scheduler_) scheduler_->progress();
        };
        hooks.on_progress = [this](const SyncProgress& p) { progress_.store(p.records); };
        // Below half the watchdog interval, so a hung request ends before a ping is missed.
        if (watchdog_)
            hooks.max_http_timeout = cap_for_watchdog(config.sync.http_timeout, *watchdog_);
        HS_ASSIGN_OR_RETURN(auto parts, make_sync_parts(config, SystemClock::instance(), hooks));
        parts_ = std::move(parts);
        return {};
    }

    std::optional<Instant> last_reconcile() {
        auto value = parts_->mirror->state(kStateLastReconcile);
        if (!value.ok() || !*value) return std::nullopt;
        Instant t;
        if (!parse_iso8601(**value, t)) return std::nullopt;
        return t;
    }

    SchedulerHooks hooks() {
        SchedulerHooks h;
        if (parts_->token_manager) {
            h.next_refresh_at = [this]() -> std::optional<Instant> {
                return parts_->token_manager->next_refresh_at();
            };
            h.refresh = [this] { return parts_->token_manager->refresh_if_due(); };
        }
        h.sync = [this] { return cycle(CycleRequest{}); };
        h.reconcile = [this] { return cycle(CycleRequest{false, true}); };
        h.watchdog = [this] { (void)notifier_.watchdog(); };
        h.should_reload = [this] { return signals_.take_reload(); };
        h.on_reload = [this] { return reload(); };
        // The status line names the next sync, which the scheduler re-plans after a reload.
        h.on_rescheduled = [this] { (void)notifier_.status(status_line()); };
        h.on_result = [this](Task task, const Status& status, std::optional<Instant> retry_at) {
            if (status.ok()) {
                if (task != Task::kRefresh) problem_.clear();
            } else if (status.error().kind != ErrorKind::kCancelled) {
                problem_ = status.error().describe();
                if (status.error().kind == ErrorKind::kAuthRequired) {
                    // Logged once per state change, not on every retry.
                    if (!auth_required_logged_)
                        HS_LOG_ERROR("{}: sync paused until {}", problem_,
                                     config_.hubspot.static_token()
                                         ? "the access token file is updated"
                                         : "`hubsync authorize` is run");
                    auth_required_logged_ = true;
                } else {
                    HS_LOG_ERROR("{} failed: {}", to_string(task), problem_);
                }
            }
            if (status.ok()) auth_required_logged_ = false;
            retry_at_ = retry_at;
            (void)notifier_.status(status_line());
        };
        h.is_fatal = [](const Error&) { return false; };
        return h;
    }

    Status cycle(const CycleRequest& request) {
        syncing_ = true;
        progress_ = 0;
        (void)notifier_.status(status_line());
        auto report = parts_->engine->run_cycle(request);
        syncing_ = false;
        if (!report.ok()) return std::move(report).error();
        last_sync_ = SystemClock::instance().now();
        for (const TypeReport& t : report->types)
            HS_LOG_INFO("{} {} sync: {} records written, {} requests{}", t.object_type, t.mode,
                        t.records_written, t.requests,
                        t.removed ? fmt::format(", {} removed", t.removed) : std::string());
        return {};
    }

    std::optional<Cadence> reload() {
        (void)notifier_.reloading();
        auto fresh = load_config(ctx_.config_path, ctx_.env);
        if (!fresh.ok()) {
            HS_LOG_ERROR("reload refused, keeping the running configuration: {}",
                         fresh.error().describe());
            (void)notifier_.ready(status_line());
            return std::nullopt;
        }
        auto previous = std::move(parts_);
        if (auto built = build(*fresh); !built.ok()) {
            HS_LOG_ERROR("reload failed, keeping the running configuration: {}",
                         built.error().describe());
            parts_ = std::move(previous);
            (void)notifier_.ready(status_line());
            return std::nullopt;
        }
        previous.reset();
        config_ = std::move(fresh).value();
        set_log_level(config_.log.level);
        HS_LOG_INFO("configuration reloaded from {}", ctx_.config_path);
        (void)notifier_.ready(status_line());
        return cadence(config_);
    }

    // A new `hubsync authorize` replaces the token store: wake the scheduler so a paused
    // service resumes at once instead of at its next backoff. The service's own refreshes
    // rewrite the store too (every refresh, every failed attempt); those keep the
    // authorization's time and are no reason to cut a backoff short. In static-token mode the
    // access token file is watched instead: a rotated key ends the wait the same way.
    void watch_token_store() {
        if (config_.hubspot.static_token()) return watch_access_token_file();
        TokenStore store(token_store_dir(config_));
        const auto authorized_at = [&store]() -> std::optional<Instant> {
            auto loaded = store.load();
            if (!loaded.ok() || !*loaded) return std::nullopt;
            return (*loaded)->authorized_at;
        };
        FileStamp last = store.stamp();
        std::optional<Instant> authorization = authorized_at();
        while (!stop_.stop_requested()) {
            stop_.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(2));
            const FileStamp now = store.stamp();
            if (now == last) continue;
            last = now;
            const std::optional<Instant> current = authorized_at();
            if (current == authorization) continue;
            authorization = current;
            HS_LOG_INFO("token store holds a new authorization; retrying now");
            stop_.notify();
        }
    }

    void watch_access_token_file() {
        const std::string file = config_.hubspot.access_token_file;
        FileStamp last = file_stamp(file);
        while (!stop_.stop_requested()) {
            stop_.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(2));
            const FileStamp now = file_stamp(file);
            if (now == last) continue;
            last = now;
            HS_LOG_INFO("access token file {} changed; retrying now", file);
            stop_.notify();
        }
    }

    std::string status_line() {
        StatusLineInput in;
        in.now = SystemClock::instance().now();
        in.problem = problem_;
        in.retry_at = retry_at_;
        in.syncing = syncing_;
        in.sync_progress = syncing_ ? progress_.load() : -1;
        in.last_sync = last_sync_;
        if (parts_) {
            if (auto counts = parts_->mirror->counts(contacts_type()); counts.ok())
                in.contacts = counts->active;
            in.static_token = parts_->token_manager == nullptr;
        }
        if (auto token = read_token_status(config_, SystemClock::instance()); token.ok())
            if (token->access_expires_at.time_since_epoch().count() != 0)
                in.token_expires_at = token->access_expires_at;
        if (scheduler_) in.next_sync = scheduler_->snapshot().next_sync;
        return format_status_line(in);
    }

    const CommandContext& ctx_;
    Config config_;
    StopSource& stop_;
    SignalHandler& signals_;
    Notifier notifier_;
    std::optional<Millis> watchdog_;
    std::unique_ptr<SyncParts> parts_;
    std::unique_ptr<Scheduler> scheduler_;
    std::string problem_;
    std::optional<Instant> retry_at_;
    std::optional<Instant> last_sync_;
    bool syncing_ = false;
    bool auth_required_logged_ = false;
    std::atomic<std::int64_t> progress_{0};
};

}  // namespace

int cmd_run(const CommandContext& ctx) {
    StopSource stop;
    SignalHandler::Options options;
    options.on_signal = [](int signo) { HS_LOG_INFO("received signal {}", signo); };
    options.second_stop_exits = true;
    auto signals = SignalHandler::start(stop, options);
    if (!signals.ok()) return report_error(ctx, signals.error());
    Service service(ctx, stop, **signals);
    return service.run();
}

}  // namespace hubsync
