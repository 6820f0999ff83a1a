// The hubsync command line: global options, subcommands with their options and help texts,
// and the dispatch that loads the config, sets up logging and runs a command.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace hubsync {

enum class Command {
    kNone,
    kHelp,
    kAuthorize,
    kRun,
    kSync,
    kStatus,
    kCheckConfig,
    kRevoke,
    kVerify
};

struct CommandLine {
    Command command = Command::kNone;
    Command help_topic = Command::kNone;  // for `hubsync help CMD` and `hubsync CMD --help`
    std::string config_path;              // --config FILE, empty when not given
    bool help = false;
    bool version = false;
    bool paste = false;    // authorize --paste
    bool full = false;     // sync --full
    bool json = false;     // status --json, verify --json
    bool example = false;  // check-config --example
};

// Parses the arguments after the program name. Errors are kUsage with a one-line message
// and the usage line of the command as the hint.
Result<CommandLine> parse_command_line(const std::vector<std::string>& args);

// `hubsync --help` for kNone, else the help of one command.
std::string help_text(Command command);
// "hubsync [--config FILE] sync [--full]", or the general form for kNone.
std::string usage_line(Command command);

// Runs the program: parses `args`, loads the config, applies the [log] level and the log
// format, and runs the command. Returns the process exit code.
int run_cli(const std::vector<std::string>& args, const Environment& env, std::istream& in,
            std::ostream& out, std::ostream& err);

}  // namespace hubsync
