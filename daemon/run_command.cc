// `hubsync run`: the service (lib/service/service.h) with the production wiring, stopped by
// SIGTERM/SIGINT and reloaded by SIGHUP.
#include "commands.h"
#include "core/log.h"
#include "service/service.h"
#include "service/signals.h"
#include "wiring.h"

namespace hubsync {

int cmd_run(const CommandContext& ctx) {
    StopSource stop;
    SignalHandler::Options options;
    options.on_signal = [](int signo) { HS_LOG_INFO("received signal {}", signo); };
    options.second_stop_exits = true;
    auto signals = SignalHandler::start(stop, options);
    if (!signals.ok()) return report_error(ctx, signals.error());
    SignalHandler& handler = **signals;

    Service service(ctx.config, stop, service_options(ctx.config_path, ctx.env, [&handler] {
                        return handler.take_reload();
                    }));
    if (Status ran = service.run(); !ran.ok()) return report_error(ctx, ran.error());
    return 0;
}

}  // namespace hubsync
