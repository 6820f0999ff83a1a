// `hubsync sync [--full]`: one sync cycle now, with progress on a terminal.
#include <chrono>
#include <ostream>

#include "commands.h"
#include "core/log.h"
#include "service/status_line.h"
#include "wiring.h"

namespace hubsync {
namespace {

// Rewrites one terminal line per page: phase, contacts, rate, and an estimate of what is left.
class ProgressPrinter final {
  public:
    explicit ProgressPrinter(std::ostream& out) : out_(out) {}
    ~ProgressPrinter() { finish(); }

    void update(const SyncProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        if (p.phase != phase_) {
            finish();
            phase_ = p.phase;
            phase_started_ = now;
        }
        if (now - last_print_ < std::chrono::milliseconds(100) && p.pages > 1) return;
        last_print_ = now;
        const double seconds = std::chrono::duration<double>(now - phase_started_).count();
        const double rate = seconds > 0.05 ? static_cast<double>(p.contacts) / seconds : 0.0;
        std::string line = p.phase + ": " + format_count(p.contacts);
        if (p.expected > 0) line += " of ~" + format_count(p.expected);
        line += " contacts, " + std::to_string(p.pages) + " pages";
        if (rate > 0) line += ", " + format_count(static_cast<std::int64_t>(rate)) + "/s";
        if (p.expected > p.contacts && rate > 0) {
            const auto left =
                static_cast<std::int64_t>(static_cast<double>(p.expected - p.contacts) / rate);
            line += ", ~" + format_age(Millis(left * 1000)) + " left";
        }
        out_ << "\r\033[K" << line << std::flush;
        open_ = true;
    }

    void finish() {
        if (open_) out_ << "\n" << std::flush;
        open_ = false;
    }

  private:
    std::ostream& out_;
    std::string phase_;
    std::chrono::steady_clock::time_point phase_started_{};
    std::chrono::steady_clock::time_point last_print_{};
    bool open_ = false;
};

}  // namespace

int cmd_sync(const CommandContext& ctx, bool full) {
    auto lock = SyncLock::try_acquire(ctx.config.sync.state_dir);
    if (!lock.ok()) return report_error(ctx, lock.error());
    ProgressPrinter printer(ctx.err);
    EngineHooks hooks;
    if (ctx.interactive) hooks.on_progress = [&](const SyncProgress& p) { printer.update(p); };
    auto parts = make_sync_parts(ctx.config, SystemClock::instance(), hooks);
    if (!parts.ok()) return report_error(ctx, parts.error());
    CycleRequest request;
    request.full = full;
    auto report = (*parts)->engine->run_cycle(request);
    printer.finish();
    if (!report.ok()) return report_error(ctx, report.error());
    ctx.out << report->mode << " sync done: " << format_count(report->contacts_written)
            << " contacts written, " << format_count(report->requests) << " requests";
    if (report->removed > 0) ctx.out << ", " << format_count(report->removed) << " removed";
    ctx.out << "\n";
    return 0;
}

}  // namespace hubsync
