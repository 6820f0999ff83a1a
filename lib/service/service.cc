// The service: its scheduler hooks, sync cycles, reloads, token store watch and status line.
#include "service/service.h"

#include "core/duration.h"
#include "core/log.h"
#include "oauth/authorize.h"
#include "service/status_line.h"
#include "service/sync_lock.h"

namespace hubsync {

Service::Service(Config config, StopSource& stop, ServiceOptions options)
    : config_(std::move(config)),
      stop_(stop),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock::instance()),
      env_(options_.env ? *options_.env : Env::posix()) {}

Service::~Service() = default;

Status Service::run() {
    HS_ASSIGN_OR_RETURN(auto lock, SyncLock::try_acquire(config_.sync.state_dir, env_));
    HS_RETURN_IF_ERROR(build(config_));

    SchedulerOptions options;
    options.cadence = cadence(config_);
    options.watchdog_interval = options_.watchdog_interval;
    options.last_reconcile = last_reconcile();
    options.jitter_seed = options_.jitter_seed;
    options.watch_interval = options_.store_poll_interval;
    scheduler_ = std::make_unique<Scheduler>(clock_, stop_, options);
    watcher_ = std::make_unique<AuthorizationWatcher>(
        config_.hubspot.static_token()
            ? AuthorizationWatcher::access_token_file(config_.hubspot.access_token_file, env_)
            : AuthorizationWatcher::token_store(TokenStore(token_store_dir(config_), env_)));

    HS_LOG_INFO("hubsync service started: mirror {}, sync every {}", config_.sync.database,
                format_duration(config_.sync.interval));
    tell("READY", options_.notifier.ready(status_line()));
    Status result = scheduler_->run(hooks());
    tell("STOPPING", options_.notifier.stopping());
    if (!result.ok()) return result;
    HS_LOG_INFO("hubsync service stopped");
    return Status::Ok();
}

Cadence Service::cadence(const Config& c) {
    return Cadence{c.sync.interval, c.sync.reconcile_interval, c.sync.retry_initial,
                   c.sync.retry_max};
}

Status Service::build(const Config& config) {
    EngineHooks hooks;
    hooks.stop = &stop_;
    hooks.on_page = [this] {
        if (scheduler_) scheduler_->progress();
    };
    hooks.on_progress = [this](const SyncProgress& p) { progress_.store(p.records); };
    // Below half the watchdog interval, so a hung request ends before a ping is missed.
    if (options_.watchdog_interval)
        hooks.max_http_timeout =
            cap_for_watchdog(config.sync.http_timeout, *options_.watchdog_interval);
    HS_ASSIGN_OR_RETURN(auto parts, options_.build_parts(config, clock_, hooks));
    parts_ = std::move(parts);
    return Status::Ok();
}

std::optional<Instant> Service::last_reconcile() {
    auto value = parts_->mirror->state(kStateLastReconcile);
    if (!value.ok() || !*value) return std::nullopt;
    Instant t;
    if (!parse_iso8601(**value, t)) return std::nullopt;
    return t;
}

SchedulerHooks Service::hooks() {
    SchedulerHooks h;
    if (parts_->token_manager) {
        h.next_refresh_at = [this]() -> std::optional<Instant> {
            return parts_->token_manager->next_refresh_at();
        };
        h.refresh = [this] { return parts_->token_manager->refresh_if_due(); };
    }
    h.sync = [this] { return cycle(CycleRequest{}); };
    h.reconcile = [this] { return cycle(CycleRequest{false, true}); };
    h.watchdog = [this] { tell("WATCHDOG", options_.notifier.watchdog()); };
    h.watch = [this] { watch_authorization(); };
    h.should_reload = [this] { return options_.take_reload && options_.take_reload(); };
    h.on_reload = [this] { return reload(); };
    // The status line names the next sync, which the scheduler re-plans after a reload.
    h.on_rescheduled = [this] { tell("STATUS", options_.notifier.status(status_line())); };
    h.on_result = [this](Task task, const Status& status, std::optional<Instant> retry_at) {
        record_result(task, status, retry_at);
    };
    h.is_fatal = [](const Error&) { return false; };
    return h;
}

void Service::record_result(Task task, const Status& status, std::optional<Instant> retry_at) {
    if (status.ok()) {
        if (task != Task::kRefresh) problem_.clear();
        auth_required_logged_ = false;
    } else if (status.error().kind != ErrorKind::kCancelled) {
        problem_ = status.error().describe();
        if (status.error().kind == ErrorKind::kAuthRequired) {
            // Logged once per state change, not on every retry.
            if (!auth_required_logged_)
                HS_LOG_ERROR("{}: sync paused until {}", problem_,
                             config_.hubspot.static_token() ? "the access token file is updated"
                                                            : "`hubsync authorize` is run");
            auth_required_logged_ = true;
        } else {
            HS_LOG_ERROR("{} failed: {}", to_string(task), problem_);
        }
    }
    retry_at_ = retry_at;
    tell("STATUS", options_.notifier.status(status_line()));
}

Status Service::cycle(const CycleRequest& request) {
    syncing_ = true;
    progress_ = 0;
    tell("STATUS", options_.notifier.status(status_line()));
    auto report = parts_->engine->run_cycle(request);
    syncing_ = false;
    if (!report.ok()) return std::move(report).error();
    last_sync_ = clock_.now();
    for (const TypeReport& t : report->types)
        HS_LOG_INFO("{} {} sync: {} records written, {} requests{}", t.object_type, t.mode,
                    t.records_written, t.requests,
                    t.removed ? fmt::format(", {} removed", t.removed) : std::string());
    return Status::Ok();
}

std::optional<Cadence> Service::reload() {
    tell("RELOADING", options_.notifier.reloading());
    if (!options_.reload_config) {
        HS_LOG_WARN("reload requested, but this service cannot reload its configuration");
        tell("READY", options_.notifier.ready(status_line()));
        return std::nullopt;
    }
    auto fresh = options_.reload_config();
    if (!fresh.ok()) {
        HS_LOG_ERROR("reload refused, keeping the running configuration: {}",
                     fresh.error().describe());
        tell("READY", options_.notifier.ready(status_line()));
        return std::nullopt;
    }
    auto previous = std::move(parts_);
    if (auto built = build(*fresh); !built.ok()) {
        HS_LOG_ERROR("reload failed, keeping the running configuration: {}",
                     built.error().describe());
        parts_ = std::move(previous);
        tell("READY", options_.notifier.ready(status_line()));
        return std::nullopt;
    }
    previous.reset();
    config_ = std::move(fresh).value();
    set_log_level(config_.log.level);
    HS_LOG_INFO("configuration reloaded from {}", options_.config_path);
    tell("READY", options_.notifier.ready(status_line()));
    return cadence(config_);
}

// A new `hubsync authorize` replaces the token store, a rotated key the access token file:
// wake the scheduler so a paused service resumes at once instead of at its next backoff.
void Service::watch_authorization() {
    if (!watcher_->new_authorization()) return;
    HS_LOG_INFO("{}; retrying now", watcher_->change());
    stop_.notify();
}

void Service::tell(std::string_view what, const Status& sent) {
    std::lock_guard lock(notify_mu_);
    if (sent.ok()) {
        if (notify_failing_)
            HS_LOG_NOTICE("notifying the service manager works again ({} sent)", what);
        notify_failing_ = false;
        return;
    }
    if (notify_failing_) return;
    notify_failing_ = true;
    HS_LOG_WARN(
        "{} not sent: {}; further failures are not logged until a notification goes "
        "through",
        what, sent.error().describe());
}

std::string Service::status_line() {
    StatusLineInput in;
    in.now = clock_.now();
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
    if (auto token = read_token_status(config_, clock_); token.ok())
        if (token->access_expires_at.time_since_epoch().count() != 0)
            in.token_expires_at = token->access_expires_at;
    if (scheduler_) in.next_sync = scheduler_->snapshot().next_sync;
    return format_status_line(in);
}

}  // namespace hubsync
