// Placeholder commands until the OAuth, sync and service modules provide the real ones.
#include <string>

#include "commands.h"

namespace hubsync {
namespace {

int not_implemented(const CommandContext& ctx, const std::string& name) {
    return report_error(
        ctx, make_error(ErrorKind::kInternal, "'hubsync " + name + "' is not implemented yet",
                        "use a newer build of hubsync"));
}

}  // namespace

int cmd_authorize(const CommandContext& ctx, bool /*paste*/) {
    return not_implemented(ctx, "authorize");
}
int cmd_run(const CommandContext& ctx) {
    return not_implemented(ctx, "run");
}
int cmd_sync(const CommandContext& ctx, bool /*full*/) {
    return not_implemented(ctx, "sync");
}
int cmd_status(const CommandContext& ctx, bool /*json*/) {
    return not_implemented(ctx, "status");
}
int cmd_revoke(const CommandContext& ctx) {
    return not_implemented(ctx, "revoke");
}

}  // namespace hubsync
