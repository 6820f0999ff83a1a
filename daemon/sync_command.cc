// `hubsync sync [--full]`: one sync cycle now, with progress on a terminal.
#include <chrono>
#include <ostream>

#include "commands.h"
#include "core/log.h"
#include "service/status_line.h"
#include "wiring.h"

namespace hubsync {
namespace {

// Rewrites one terminal line per page: object type, phase, records, rate, and an estimate of
// what is left.
class ProgressPrinter final {
  public:
    explicit ProgressPrinter(std::ostream& out) : out_(out) {}
    ~ProgressPrinter() { finish(); }

    void update(const SyncProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        const std::string phase = p.object_type + " " + p.phase;
        if (phase != phase_) {
            finish();
            phase_ = phase;
            phase_started_ = now;
        }
        if (now - last_print_ < std::chrono::milliseconds(100) && p.pages > 1) return;
        last_print_ = now;
        const double seconds = std::chrono::duration<double>(now - phase_started_).count();
        const double rate = seconds > 0.05 ? static_cast<double>(p.records) / seconds : 0.0;
        std::string line = p.object_type + " " + p.phase + ": " + format_count(p.records);
        if (p.expected > 0) line += " of ~" + format_count(p.expected);
        line += " records, " + std::to_string(p.pages) + " pages";
        if (rate > 0) line += ", " + format_count(static_cast<std::int64_t>(rate)) + "/s";
        if (p.expected > p.records && rate > 0) {
            const auto left =
                static_cast<std::int64_t>(static_cast<double>(p.expected - p.records) / rate);
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
    for (const TypeReport& t : report->types) {
        ctx.out << t.object_type << ": " << t.mode
                << " sync done: " << format_count(t.records_written) << " written, "
                << format_count(t.requests) << " requests";
        if (t.removed > 0) ctx.out << ", " << format_count(t.removed) << " removed";
        ctx.out << "\n";
    }
    return 0;
}

}  // namespace hubsync
