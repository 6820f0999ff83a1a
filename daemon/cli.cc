// Command-line parsing, help texts (generated from the command and key tables) and dispatch.
#include "cli.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <ostream>
#include <string_view>

#include "commands.h"
#include "config/keys.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "core/redact.h"
#include "model/object_type.h"
#include "oauth/authorize.h"
#include "sync/sync_engine.h"

#ifndef HUBSYNC_VERSION
#define HUBSYNC_VERSION "0.0.0"
#endif

namespace hubsync {
namespace {

struct CommandDef {
    Command id;
    std::string_view name;
    std::string_view summary;      // one line for `hubsync --help`
    std::string_view description;  // a paragraph for `hubsync CMD --help`
};

constexpr CommandDef kCommands[] = {
    {Command::kAuthorize, "authorize", "one-time consent: obtain and store OAuth tokens",
     "One-time consent. Prints HubSpot's authorize URL, waits for the browser's redirect on the "
     "loopback listener named by redirect_uri, checks the state, exchanges the code and stores "
     "the tokens in state_dir."},
    {Command::kRun, "run", "the service: refresh tokens and sync on schedule",
     "The service. Stays in the foreground, refreshes the access token and syncs on schedule, "
     "stops cleanly on SIGTERM or SIGINT, reloads the config on SIGHUP and speaks the systemd "
     "notify protocol when NOTIFY_SOCKET is set."},
    {Command::kSync, "sync", "one sync cycle now, then exit",
     "Runs one sync cycle now (refreshing the token if needed), then exits. Shows progress on a "
     "terminal."},
    {Command::kStatus, "status", "authorization, last sync and mirror state",
     "Shows the authorization state, token expiry, hub id, last sync, contacts mirrored, cursor "
     "and last error. Never prints a secret."},
    {Command::kVerify, "verify", "compare the mirror with HubSpot and say whether they agree",
     "Compares the mirror with HubSpot for every mirrored object type: HubSpot's count of "
     "active records (one search each) and the mirror's, the newest change on both sides and "
     "the time since the last sweeps. Exits 0 when they agree, or differ only by changes still "
     "in flight (made since the last sync, or not yet indexed by HubSpot's search); exits 1 "
     "when they disagree. Each result is recorded in sync_runs; `hubsync status` shows the "
     "last one."},
    {Command::kCheckConfig, "check-config", "validate the config and exit",
     "Validates the config file and the HUBSYNC_<SECTION>_<KEY> environment overrides. Prints "
     "the effective settings (never a secret) and exits 0, or prints every problem with its "
     "file and line and exits 78."},
    {Command::kRevoke, "revoke", "revoke the refresh token and delete local tokens",
     "Revokes the refresh token at HubSpot and deletes the local tokens. Run `hubsync "
     "authorize` to connect again."},
};

struct OptionDef {
    Command command;
    std::string_view flag;
    std::string_view description;
    bool CommandLine::*field;
};

constexpr OptionDef kOptions[] = {
    {Command::kAuthorize, "--paste",
     "for servers without a browser: read the full redirect URL pasted on stdin instead of "
     "listening for it",
     &CommandLine::paste},
    {Command::kSync, "--full",
     "re-read every contact and run the reconcile sweep (contacts deleted for good or merged)",
     &CommandLine::full},
    {Command::kStatus, "--json", "print one JSON object instead of text", &CommandLine::json},
    {Command::kVerify, "--json", "print one JSON object instead of text", &CommandLine::json},
    {Command::kCheckConfig, "--example",
     "print an example config file with every key and its default, then exit",
     &CommandLine::example},
};

// Exit codes as documented in `hubsync --help`; the values come from core/exit_codes.h.
struct ExitCodeDoc {
    int code;
    std::string_view meaning;
};
constexpr ExitCodeDoc kExitCodes[] = {
    {exit_code::kOk, "success"},
    {exit_code::kDiffers, "verify: the mirror disagrees with HubSpot"},
    {exit_code::kUsage, "bad command line"},
    {exit_code::kDataErr, "HubSpot sent data that could not be handled"},
    {exit_code::kUnavailable, "HubSpot unreachable after retries"},
    {exit_code::kSoftware, "internal error"},
    {exit_code::kIoErr, "local file or database error"},
    {exit_code::kTempFail, "temporary failure, try again later"},
    {exit_code::kNoPerm, "not authorized: run `hubsync authorize`"},
    {exit_code::kConfig, "bad configuration: run `hubsync check-config`"},
};

const CommandDef* find_command(Command id) {
    for (const auto& c : kCommands) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

const CommandDef* find_command(std::string_view name) {
    for (const auto& c : kCommands) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

std::string command_list() {
    std::string out;
    for (const auto& c : kCommands) {
        if (!out.empty()) out += "|";
        out += c.name;
    }
    return out;
}

std::string command_name(Command id) {
    const CommandDef* c = find_command(id);
    return c == nullptr ? "" : std::string(c->name);
}

Error usage_error(Command command, std::string message) {
    return make_error(
        ErrorKind::kUsage, std::move(message),
        "usage: " + usage_line(command) + "; see 'hubsync " +
            (command == Command::kNone ? std::string() : command_name(command) + " ") + "--help'");
}

std::string suggest_command(std::string_view word) {
    std::string best;
    std::size_t best_distance = suggestion_distance(word) + 1;
    for (const auto& c : kCommands) {
        const std::size_t d = edit_distance(word, c.name);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(c.name);
        }
    }
    return best;
}

// The options a command accepts, including the global ones.
std::vector<std::string_view> option_flags(Command command) {
    std::vector<std::string_view> flags = {"--config", "--help"};
    for (const auto& o : kOptions) {
        if (o.command == command) flags.push_back(o.flag);
    }
    return flags;
}

Error unknown_option(Command command, const std::string& arg) {
    const std::string flag = arg.substr(0, arg.find('='));
    for (const auto& o : kOptions) {
        if (o.flag == flag && o.command != command) {
            return usage_error(
                command,
                "option " + flag + " belongs to '" + command_name(o.command) + "'" +
                    (command == Command::kNone ? ", write it after the command"
                                               : ", not to '" + command_name(command) + "'"));
        }
    }
    std::string message = "unknown option '" + arg + "'";
    std::string best;
    std::size_t best_distance = suggestion_distance(flag) + 1;
    for (const auto f : option_flags(command)) {
        const std::size_t d = edit_distance(flag, f);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(f);
        }
    }
    if (!best.empty()) message += " (did you mean " + best + "?)";
    return usage_error(command, message);
}

void append_wrapped(std::string& out, std::string_view text, std::string_view indent,
                    std::size_t width = 92) {
    std::string line(indent);
    bool empty = true;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (!empty && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line = std::string(indent);
            empty = true;
        }
        if (!empty) line += " ";
        line += word;
        empty = false;
    }
    out += line + "\n";
}

void append_option(std::string& out, std::string_view flags, std::string_view description) {
    std::string line = "  " + std::string(flags);
    line.resize(std::max<std::size_t>(line.size() + 2, 22), ' ');
    std::string wrapped;
    append_wrapped(wrapped, description, std::string(22, ' '));
    out += line + wrapped.substr(22);
}

void append_global_options(std::string& out, bool top_level) {
    append_option(
        out, "-c, --config FILE",
        std::string("the config file (default: $HUBSYNC_CONFIG, else ") + kDefaultConfigPath + ")");
    append_option(out, "-h, --help",
                  top_level ? "show this help; 'hubsync COMMAND --help' shows a command's help"
                            : "show this help");
    if (top_level) append_option(out, "-V, --version", "print the version");
}

void append_key_table(std::string& out) {
    out += "\nSettings ([section] key, environment override, default):\n";
    for (const auto& key : config_keys()) {
        std::string line = "  " + key_label(key);
        line.resize(std::max<std::size_t>(line.size() + 1, 36), ' ');
        line += env_var_name(key);
        line.resize(std::max<std::size_t>(line.size() + 1, 76), ' ');
        if (!key.default_value.empty()) {
            line += std::string(key.default_value);
        } else if (key.id == ConfigKey::kClientId) {
            line += "(required for OAuth)";
        } else if (key.id == ConfigKey::kTokenUrl) {
            line += "(api_base_url)/oauth/(api_version)/token";
        } else {
            line += "(not set)";
        }
        out += line + "\n";
    }
    out +=
        "\nDurations: 90s, 5m, 24h, 1h30m. 'hubsync check-config --example' prints every key "
        "with its description.\n";
}

// Whether a line on stderr should carry a journald priority prefix.
bool journal_stderr(const Environment& env) {
    return env.count("JOURNAL_STREAM") != 0;
}

// With an authorization on file, every configured object type must be readable with the
// scopes it granted; otherwise the next sync would stop on it. Custom object names need a
// request to resolve, so only their scopes are checked here.
Status check_object_scopes(const Config& config) {
    if (config.hubspot.static_token()) return Status::Ok();  // a key's scopes are not known
    auto token = read_token_status(config, SystemClock::instance());
    if (!token.ok() || !token->authorized || token->scopes.empty()) return Status::Ok();
    std::vector<std::string> standard;
    for (const std::string& name : config.sync.objects) {
        if (name == "*" || find_standard_type(name)) {
            standard.push_back(name);
        } else if (std::find(token->scopes.begin(), token->scopes.end(), kCustomObjectsReadScope) ==
                   token->scopes.end()) {
            standard.push_back(name);  // resolves to the missing custom scope below
        }
    }
    const std::vector<ObjectSchema> no_schemas;
    std::vector<ObjectSchema> placeholders;
    for (const std::string& name : standard)
        if (name != "*" && !find_standard_type(name))
            placeholders.push_back({name, "2-0", {}, {}, {}});
    auto types = resolve_object_types(standard, token->scopes, &placeholders);
    if (!types.ok()) return std::move(types).error();
    return Status::Ok();
}

int check_config_command(const std::string& path, const Environment& env, std::ostream& out,
                         std::ostream& err) {
    const ConfigCheck check = check_config(path, env);
    const std::string prefix = journal_stderr(env) ? "<4>" : "";
    for (const auto& warning : check.warnings)
        err << prefix << "hubsync: warning: " << redact(warning) << "\n";
    if (!check.problems.empty()) {
        for (const auto& problem : check.problems)
            report_error(err, env, problem);
        return exit_code::kConfig;
    }
    if (Status scopes = check_object_scopes(check.config); !scopes.ok()) {
        report_error(err, env, scopes.error());
        return scopes.error().exit_code();
    }
    const HubSpotConfig& h = check.config.hubspot;
    out << path << ": OK\n";
    if (h.static_token()) {
        out << "mode: access token (service key), from " << h.access_token_file << "\n";
    } else {
        out << "mode: OAuth app, client_id " << h.client_id << "\n";
        out << "client secret: from " << h.client_secret_source << "\n";
    }
    for (const auto& entry : check.entries) {
        std::string line = "  " + entry.label;
        line.resize(std::max<std::size_t>(line.size() + 1, 36), ' ');
        line += "= " + (entry.value.empty() ? std::string("(not set)") : entry.value);
        if (entry.origin != "default") {
            line.resize(std::max<std::size_t>(line.size() + 1, 76), ' ');
            line += "(" + entry.origin + ")";
        }
        out << redact(line) << "\n";
    }
    return exit_code::kOk;
}

int dispatch(const CommandLine& cl, const Environment& env, std::istream& in, std::ostream& out,
             std::ostream& err) {
    const std::string path = resolve_config_path(cl.config_path, env);
    if (cl.command == Command::kCheckConfig) return check_config_command(path, env, out, err);
    auto config = load_config(path, env);
    if (!config.ok()) return report_error(err, env, config.error());
    set_log_level(config->log.level);
    const CommandContext ctx{*config, path, env, in, out, err, ::isatty(STDOUT_FILENO) != 0};
    switch (cl.command) {
        case Command::kAuthorize:
            return cmd_authorize(ctx, cl.paste);
        case Command::kRun:
            return cmd_run(ctx);
        case Command::kSync:
            return cmd_sync(ctx, cl.full);
        case Command::kStatus:
            return cmd_status(ctx, cl.json);
        case Command::kRevoke:
            return cmd_revoke(ctx);
        case Command::kVerify:
            return cmd_verify(ctx, cl.json);
        case Command::kCheckConfig:
        case Command::kHelp:
        case Command::kNone:
            break;
    }
    return report_error(err, env, make_error(ErrorKind::kInternal, "no command to run"));
}

}  // namespace

std::string usage_line(Command command) {
    if (command == Command::kNone || command == Command::kHelp) {
        return "hubsync [--config FILE] <" + command_list() + "> [OPTIONS]";
    }
    std::string line = "hubsync [--config FILE] " + command_name(command);
    for (const auto& o : kOptions) {
        if (o.command == command) line += " [" + std::string(o.flag) + "]";
    }
    return line;
}

std::string help_text(Command command) {
    std::string out;
    const CommandDef* def = find_command(command);
    if (def == nullptr) {
        out +=
            "hubsync " HUBSYNC_VERSION ": keeps a local SQLite mirror of HubSpot CRM contacts.\n\n";
        out += "Usage: " + usage_line(Command::kNone) + "\n\nCommands:\n";
        for (const auto& c : kCommands) {
            std::string line = "  " + std::string(c.name);
            for (const auto& o : kOptions) {
                if (o.command == c.id) line += " [" + std::string(o.flag) + "]";
            }
            line.resize(std::max<std::size_t>(line.size() + 2, 28), ' ');
            out += line + std::string(c.summary) + "\n";
        }
        out += "\nOptions:\n";
        append_global_options(out, true);
        out += "\nConfig file: --config FILE, else $HUBSYNC_CONFIG, else ";
        out += kDefaultConfigPath;
        out +=
            ".\nAny setting can be overridden as HUBSYNC_<SECTION>_<KEY>, e.g. "
            "HUBSYNC_SYNC_INTERVAL=1m\n('hubsync check-config --help' lists them).\n";
        out += "\nExit status:\n";
        for (const auto& e : kExitCodes) {
            std::string line = "  " + std::to_string(e.code);
            line.resize(6, ' ');
            out += line + std::string(e.meaning) + "\n";
        }
        return out;
    }
    out += "Usage: " + usage_line(command) + "\n\n";
    append_wrapped(out, def->description, "");
    out += "\nOptions:\n";
    for (const auto& o : kOptions) {
        if (o.command == command) append_option(out, o.flag, o.description);
    }
    append_global_options(out, false);
    if (command == Command::kCheckConfig) append_key_table(out);
    return out;
}

Result<CommandLine> parse_command_line(const std::vector<std::string>& args) {
    CommandLine cl;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--config" || arg == "-c") {
            if (i + 1 >= args.size() || args[i + 1].empty()) {
                return usage_error(cl.command, arg + " needs a file name");
            }
            cl.config_path = args[++i];
        } else if (arg.starts_with("--config=")) {
            cl.config_path = arg.substr(9);
            if (cl.config_path.empty())
                return usage_error(cl.command, "--config= needs a file name");
        } else if (arg == "--help" || arg == "-h") {
            cl.help = true;
        } else if (arg == "--version" || arg == "-V") {
            if (cl.command != Command::kNone) return unknown_option(cl.command, arg);
            cl.version = true;
        } else if (arg.starts_with("-") && arg != "-") {
            const OptionDef* match = nullptr;
            for (const auto& o : kOptions) {
                if (o.command == cl.command && o.flag == arg) match = &o;
            }
            if (match == nullptr) return unknown_option(cl.command, arg);
            cl.*(match->field) = true;
        } else if (cl.command == Command::kNone) {
            if (arg == "help") {
                cl.command = Command::kHelp;
                continue;
            }
            const CommandDef* def = find_command(arg);
            if (def == nullptr) {
                const std::string suggestion = suggest_command(arg);
                return usage_error(
                    Command::kNone,
                    "unknown command '" + arg + "'" +
                        (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
            }
            cl.command = def->id;
        } else if (cl.command == Command::kHelp && cl.help_topic == Command::kNone) {
            const CommandDef* def = find_command(arg);
            if (def == nullptr)
                return usage_error(Command::kNone, "no help for unknown command '" + arg + "'");
            cl.help_topic = def->id;
        } else {
            return usage_error(cl.command, "unexpected argument '" + arg + "'");
        }
    }
    if (cl.command == Command::kHelp) {
        cl.help = true;
    } else if (cl.help) {
        cl.help_topic = cl.command;
    }
    if (cl.command == Command::kNone && !cl.help && !cl.version) {
        return usage_error(Command::kNone, "no command given");
    }
    return cl;
}

int report_error(std::ostream& err, const Environment& env, const Error& error) {
    err << (journal_stderr(env) ? "<3>" : "") << "hubsync: " << redact(error.describe()) << "\n";
    err.flush();
    return error.exit_code();
}

int report_error(const CommandContext& ctx, const Error& error) {
    return report_error(ctx.err, ctx.env, error);
}

int run_cli(const std::vector<std::string>& args, const Environment& env, std::istream& in,
            std::ostream& out, std::ostream& err) {
    set_log_format(detect_log_format());
    try {
        auto cl = parse_command_line(args);
        if (!cl.ok()) {
            err << "hubsync: " << cl.error().message << "; " << cl.error().hint << "\n";
            return exit_code::kUsage;
        }
        if (cl->help) {
            out << help_text(cl->help_topic);
            return exit_code::kOk;
        }
        if (cl->version) {
            out << "hubsync " HUBSYNC_VERSION "\n";
            return exit_code::kOk;
        }
        if (cl->example) {
            out << render_example_config();
            return exit_code::kOk;
        }
        return dispatch(*cl, env, in, out, err);
    } catch (const std::exception& e) {
        return report_error(
            err, env,
            make_error(ErrorKind::kInternal, std::string("internal error: ") + e.what(),
                       "please report this with the log"));
    }
}

}  // namespace hubsync
