// `hubsync authorize [--paste]` and `hubsync revoke`.
#include <cstdlib>
#include <ostream>

#include "commands.h"
#include "core/duration.h"
#include "oauth/authorize.h"
#include "wiring.h"

namespace hubsync {

int cmd_authorize(const CommandContext& ctx, bool paste) {
    if (ctx.config.hubspot.static_token())
        return report_error(ctx, make_error(ErrorKind::kUsage,
                                            "this config uses the access token in " +
                                                ctx.config.hubspot.access_token_file +
                                                "; there is nothing to authorize",
                                            "remove access_token_file to use OAuth"));
    auto transport = make_poco_transport(transport_options(ctx.config, {}));
    AuthorizeIo io{ctx.out, ctx.in, nullptr};
    AuthorizeOptions options;
    options.paste = paste;
    if (const auto it = ctx.env.find("HUBSYNC_AUTHORIZE_TIMEOUT"); it != ctx.env.end()) {
        if (auto d = parse_duration(it->second)) options.timeout = *d;
    }
    auto outcome = run_authorize(ctx.config, *transport, io, SystemClock::instance(), options);
    if (!outcome.ok()) return report_error(ctx, outcome.error());
    return 0;
}

int cmd_revoke(const CommandContext& ctx) {
    auto transport = make_poco_transport(transport_options(ctx.config, {}));
    auto status = revoke(ctx.config, *transport, ctx.out);
    if (!status.ok()) return report_error(ctx, status.error());
    return 0;
}

}  // namespace hubsync
