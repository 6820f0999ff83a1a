// The hubsync subcommands, called by the command line (cli.cc) after the config is loaded.
// Each returns an exit code from core/exit_codes.h and, when it is not 0, has printed one
// line saying what is wrong and what to do (report_error does that).
#pragma once

#include <iosfwd>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace hubsync {

// What a command gets from the process: the loaded config, where it came from (to reload on
// SIGHUP), the environment and the standard streams.
struct CommandContext {
    const Config& config;
    std::string config_path;
    const Environment& env;
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool interactive = false;  // stdout is a terminal: progress output is welcome
};

int cmd_authorize(const CommandContext& ctx, bool paste);
int cmd_run(const CommandContext& ctx);
int cmd_sync(const CommandContext& ctx, bool full);
int cmd_status(const CommandContext& ctx, bool json);
int cmd_revoke(const CommandContext& ctx);
// Exits exit_code::kDiffers when the mirror disagrees with HubSpot.
int cmd_verify(const CommandContext& ctx, bool json);

// Prints `error` as the one line of a failed command ("hubsync: what (what to do)", with the
// journald priority prefix under systemd, redacted) and returns its exit code.
int report_error(const CommandContext& ctx, const Error& error);
int report_error(std::ostream& err, const Environment& env, const Error& error);

}  // namespace hubsync
