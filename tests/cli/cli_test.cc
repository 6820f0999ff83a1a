// The real hubsync executable: usage errors, --help, check-config, config file precedence and
// that secrets never reach its output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_process.h"
#include "support/temp_dir.h"

namespace hubsync {
namespace {

using testing::ProcessResult;
using testing::run_process;
using testing::TempDir;

using Env = std::map<std::string, std::string>;

constexpr const char* kSecret = "cli-secret-value-0987";

std::size_t line_count(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

class CliTest : public ::testing::Test {
  protected:
    static std::string binary() { return std::string(HUBSYNC_BINARY_DIR) + "/daemon/hubsync"; }

    ProcessResult run(const std::vector<std::string>& args, const Env& env = {}) {
        return run_process(binary(), args, env);
    }

    // A valid config using a secret file; returns its path.
    std::string good_config(const std::string& name = "good.conf") {
        secret_path_ = dir_.write("client_secret", std::string(kSecret) + "\n");
        return dir_.write(name,
                          "[hubspot]\n"
                          "client_id = cli-test-client\n"
                          "client_secret_file = client_secret\n"
                          "api_base_url = http://127.0.0.1:9\n"
                          "[sync]\n"
                          "interval = 2m\n");
    }

    std::string bad_config(const std::string& name = "bad.conf") {
        good_config();
        return dir_.write(name,
                          "[hubspot]\n"
                          "client_id = cli-test-client\n"
                          "client_secret_file = client_secret\n"
                          "[sync]\n"
                          "intervall = 2m\n");
    }

    void SetUp() override {
        ASSERT_TRUE(std::filesystem::exists(binary())) << "build the hubsync target first";
    }

    TempDir dir_;
    std::string secret_path_;
};

// ---- usage errors ----

TEST_F(CliTest, UsageErrorsExit64WithOneUsageLine) {
    struct Case {
        std::vector<std::string> args;
        std::string fragment;
        std::string usage;
    };
    const std::string general =
        "usage: hubsync [--config FILE] <authorize|run|sync|status|verify|check-config|revoke>";
    const std::vector<Case> cases = {
        {{}, "no command given", general},
        {{"snyc"}, "unknown command 'snyc' (did you mean 'sync'?)", general},
        {{"frobnicate"}, "unknown command 'frobnicate'", general},
        {{"--bogus"}, "unknown option '--bogus'", general},
        {{"sync", "--ful"},
         "unknown option '--ful' (did you mean --full?)",
         "usage: hubsync [--config FILE] sync [--full]"},
        {{"status", "--full"},
         "option --full belongs to 'sync', not to 'status'",
         "usage: hubsync [--config FILE] status [--json]"},
        {{"--paste", "authorize"},
         "option --paste belongs to 'authorize', write it after the command",
         general},
        {{"run", "--json"},
         "option --json belongs to 'status'",
         "usage: hubsync [--config FILE] run;"},
        {{"revoke", "-x"}, "unknown option '-x'", "usage: hubsync [--config FILE] revoke"},
        {{"--config"}, "--config needs a file name", general},
        {{"--config=", "sync"}, "--config= needs a file name", general},
        {{"sync", "now"},
         "unexpected argument 'now'",
         "usage: hubsync [--config FILE] sync [--full]"},
        {{"check-config", "--version"},
         "unknown option '--version'",
         "usage: hubsync [--config FILE] check-config [--example]"},
        {{"help", "nope"}, "no help for unknown command 'nope'", general},
    };
    for (const auto& c : cases) {
        std::string joined;
        for (const auto& a : c.args)
            joined += a + " ";
        SCOPED_TRACE(joined);
        const ProcessResult r = run(c.args);
        EXPECT_EQ(r.exit_code, 64);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(line_count(r.err), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("hubsync: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(c.fragment), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.usage), std::string::npos) << r.err;
    }
}

// ---- help and version ----

TEST_F(CliTest, TopLevelHelpListsCommandsOptionsAndExitCodes) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                                 {"-h"},
                                                 {"help"},
                                                 {"--config", "/nonexistent", "--help"}}) {
        SCOPED_TRACE(args[0]);
        const ProcessResult r = run(args);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.err, "");
        EXPECT_NE(r.out.find("Usage: hubsync [--config FILE]"), std::string::npos);
        for (const char* command : {"authorize [--paste]", "run", "sync [--full]",
                                    "status [--json]", "check-config", "revoke"}) {
            EXPECT_NE(r.out.find("  " + std::string(command)), std::string::npos) << command;
        }
        for (const char* text :
             {"--config FILE", "--version", "$HUBSYNC_CONFIG", "/etc/hubsync/hubsync.conf",
              "HUBSYNC_<SECTION>_<KEY>", "64  bad command line", "77  not authorized",
              "78  bad configuration"}) {
            EXPECT_NE(r.out.find(text), std::string::npos) << text;
        }
    }
}

TEST_F(CliTest, EveryCommandHasItsOwnHelp) {
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"authorize", "--paste"},
        {"run", "SIGHUP"},
        {"sync", "--full"},
        {"status", "--json"},
        {"check-config", "--example"},
        {"revoke", "Revokes"},
    };
    for (const auto& [command, mention] : commands) {
        SCOPED_TRACE(command);
        const ProcessResult r = run({command, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.err, "");
        EXPECT_EQ(r.out.rfind("Usage: hubsync [--config FILE] " + command, 0), 0u) << r.out;
        EXPECT_NE(r.out.find(mention), std::string::npos);
        EXPECT_NE(r.out.find("-h, --help"), std::string::npos);
        // The same text from `hubsync help CMD` and with -h before a global option; no config
        // is needed to get help.
        EXPECT_EQ(run({"help", command}).out, r.out);
        EXPECT_EQ(run({"-h", "--config", "/nonexistent", command}).out, r.out);
    }
    // check-config's help lists every setting with its environment variable.
    const ProcessResult check = run({"check-config", "--help"});
    for (const char* text :
         {"[sync] interval", "HUBSYNC_SYNC_INTERVAL", "[hubspot] client_secret_file",
          "HUBSYNC_LOG_LEVEL", "[token] refresh_margin"}) {
        EXPECT_NE(check.out.find(text), std::string::npos) << text;
    }
}

TEST_F(CliTest, VersionPrintsOneLine) {
    const ProcessResult r = run({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("hubsync ", 0), 0u);
    EXPECT_EQ(line_count(r.out), 1u);
}

// ---- check-config ----

TEST_F(CliTest, CheckConfigAcceptsAGoodConfig) {
    const std::string path = good_config();
    const ProcessResult r = run({"--config", path, "check-config"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find(path + ": OK"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("client secret: from " + secret_path_), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[sync] interval"), std::string::npos);
    EXPECT_NE(r.out.find("= 2m"), std::string::npos);
    EXPECT_NE(r.out.find("(" + path + ":6)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kSecret), std::string::npos);
}

TEST_F(CliTest, CheckConfigRefusesABadConfigWithFileAndLine) {
    const std::string path = bad_config();
    const ProcessResult r = run({"check-config", "--config", path});
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "hubsync: " + path +
                         ":5: unknown key 'intervall' in [sync] (did you mean 'interval'?)\n");
}

TEST_F(CliTest, CheckConfigPrintsEveryProblemOnItsOwnLine) {
    good_config();
    const std::string path =
        dir_.write("two.conf",
                   "[hubspot]\nclient_id = x\nclient_secret_file = client_secret\n"
                   "[sync]\ninterval = 5\n[log]\nlevel = loud\n");
    const ProcessResult r =
        run({"check-config", "--config", path}, {{"HUBSYNC_SYNC_LOOKBAK", "1m"}});
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_EQ(line_count(r.err), 3u) << r.err;
    EXPECT_NE(r.err.find(path + ":5: bad duration '5'"), std::string::npos);
    EXPECT_NE(r.err.find(path + ":7: unknown log level 'loud'"), std::string::npos);
    EXPECT_NE(r.err.find("environment variable HUBSYNC_SYNC_LOOKBAK: no such setting (did you mean "
                         "HUBSYNC_SYNC_LOOKBACK?)"),
              std::string::npos);
}

TEST_F(CliTest, EnvironmentOverridesAreValidated) {
    const std::string path = good_config();
    const ProcessResult good =
        run({"check-config", "-c", path}, {{"HUBSYNC_SYNC_INTERVAL", "90s"}});
    EXPECT_EQ(good.exit_code, 0) << good.err;
    EXPECT_NE(good.out.find("(HUBSYNC_SYNC_INTERVAL)"), std::string::npos) << good.out;
    const ProcessResult bad =
        run({"check-config", "-c", path}, {{"HUBSYNC_SYNC_INTERVAL", "soon"}});
    EXPECT_EQ(bad.exit_code, 78);
    EXPECT_NE(bad.err.find("environment variable HUBSYNC_SYNC_INTERVAL: bad duration 'soon'"),
              std::string::npos)
        << bad.err;
}

TEST_F(CliTest, ExampleEqualsTheShippedConfig) {
    const ProcessResult r = run({"check-config", "--example"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, read_text(std::string(HUBSYNC_SOURCE_DIR) + "/etc/hubsync.conf"));
}

TEST_F(CliTest, CheckConfigNamesTheAccessTokenFileButNotTheToken) {
    const std::string token = dir_.write("token", "pat-na1-ffffeeee-1234\n");
    const std::string path = dir_.write("pat.conf", "[hubspot]\naccess_token_file = token\n");
    const ProcessResult r = run({"check-config", "-c", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("mode: access token (service key), from " + token), std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find("pat-na1-ffffeeee-1234"), std::string::npos);
    EXPECT_EQ(r.err.find("pat-na1-ffffeeee-1234"), std::string::npos);
}

TEST_F(CliTest, CheckConfigAcceptsTheOldNameWithADeprecationWarning) {
    const std::string token = dir_.write("token", "pat-na1-ffffeeee-1234\n");
    const std::string path = dir_.write("old.conf", "[hubspot]\nprivate_app_token_file = token\n");
    const ProcessResult r = run({"check-config", "-c", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("mode: access token (service key), from " + token), std::string::npos)
        << r.out;
    EXPECT_EQ(r.err, "hubsync: warning: private_app_token_file (" + path +
                         ":2) is deprecated: it is the old name of access_token_file; rename "
                         "it (the old name still works for now)\n");

    const std::string both = dir_.write(
        "both.conf", "[hubspot]\naccess_token_file = token\nprivate_app_token_file = token\n");
    const ProcessResult refused = run({"check-config", "-c", both});
    EXPECT_EQ(refused.exit_code, 78);
    EXPECT_NE(refused.err.find(both + ":3: both access_token_file and its old name "
                                      "private_app_token_file are set"),
              std::string::npos)
        << refused.err;
}

TEST_F(CliTest, CheckConfigWarnsAboutARetiredTokenUrlButAcceptsIt) {
    good_config();
    const std::string path =
        dir_.write("v1.conf",
                   "[hubspot]\nclient_id = x\nclient_secret_file = client_secret\n"
                   "token_url = https://api.hubapi.com/oauth/v1/token\n");
    const ProcessResult r = run({"check-config", "-c", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(
        r.err.find("hubsync: warning: token_url https://api.hubapi.com/oauth/v1/token (" + path +
                   ":4) uses HubSpot's legacy /oauth/v1/ API, which stops working "
                   "on 2027-02-16"),
        std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("remove token_url to use /oauth/2026-09/token"), std::string::npos);
    EXPECT_NE(r.out.find("[hubspot] api_version"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("= 2026-09"), std::string::npos) << r.out;
}

TEST_F(CliTest, CheckConfigListsTheAcceptedApiVersions) {
    good_config();
    const std::string path = dir_.write(
        "version.conf",
        "[hubspot]\nclient_id = x\nclient_secret_file = client_secret\napi_version = v3\n");
    const ProcessResult r = run({"check-config", "-c", path});
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_EQ(r.err, "hubsync: " + path +
                         ":4: unknown api_version 'v3' (use one of the versions this hubsync "
                         "speaks: 2026-03, 2026-09 (default 2026-09))\n");
}

TEST_F(CliTest, StatusNamesTheModeAndTheOAuthTokenStore) {
    good_config();
    const std::string state = dir_.path() + "/state";
    const std::string path =
        dir_.write("oauth.conf",
                   "[hubspot]\nclient_id = x\nclient_secret_file = client_secret\n[sync]\n"
                   "state_dir = " +
                       state + "\ndatabase = " + state + "/hubspot.db\n");
    const ProcessResult text = run({"status", "-c", path});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("mode:          OAuth, tokens in " + state + "/tokens/tokens.json"),
              std::string::npos)
        << text.out;
    const ProcessResult json = run({"status", "--json", "-c", path});
    EXPECT_EQ(json.exit_code, 0) << json.err;
    EXPECT_NE(json.out.find("\"mode\": \"oauth\""), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"token_store\": \"" + state + "/tokens/tokens.json\""),
              std::string::npos)
        << json.out;
}

// ---- which config file ----

TEST_F(CliTest, ConfigOptionBeatsEnvironmentWhichBeatsTheDefault) {
    const std::string good = good_config();
    const std::string bad = bad_config();
    // --config wins over $HUBSYNC_CONFIG, before or after the command, with or without '='.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--config", good, "check-config"},
          {"check-config", "--config", good},
          {"--config=" + good, "check-config"},
          {"-c", good, "check-config"}}) {
        const ProcessResult r = run(args, {{"HUBSYNC_CONFIG", bad}});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find(good + ": OK"), std::string::npos);
    }
    // $HUBSYNC_CONFIG is used without --config.
    const ProcessResult from_env = run({"check-config"}, {{"HUBSYNC_CONFIG", bad}});
    EXPECT_EQ(from_env.exit_code, 78);
    EXPECT_NE(from_env.err.find(bad + ":5:"), std::string::npos) << from_env.err;
    const ProcessResult good_env = run({"check-config"}, {{"HUBSYNC_CONFIG", good}});
    EXPECT_EQ(good_env.exit_code, 0) << good_env.err;
    // Without either, the default path is named.
    if (!std::filesystem::exists("/etc/hubsync/hubsync.conf")) {
        const ProcessResult none = run({"check-config"});
        EXPECT_EQ(none.exit_code, 78);
        EXPECT_EQ(
            none.err.rfind("hubsync: /etc/hubsync/hubsync.conf: cannot read the config file", 0),
            0u)
            << none.err;
    }
}

TEST_F(CliTest, EveryCommandLoadsTheConfigFirst) {
    const std::string bad = bad_config();
    for (const std::vector<std::string>& args : {std::vector<std::string>{"authorize"},
                                                 {"authorize", "--paste"},
                                                 {"run"},
                                                 {"sync"},
                                                 {"sync", "--full"},
                                                 {"status"},
                                                 {"status", "--json"},
                                                 {"revoke"}}) {
        SCOPED_TRACE(args[0]);
        const ProcessResult r = run(args, {{"HUBSYNC_CONFIG", bad}});
        EXPECT_EQ(r.exit_code, 78);
        EXPECT_EQ(r.err, "hubsync: " + bad +
                             ":5: unknown key 'intervall' in [sync] (did you mean 'interval'?)\n");
    }
}

TEST_F(CliTest, UnderSystemdErrorsCarryThePriorityPrefix) {
    const std::string bad = bad_config();
    const ProcessResult r =
        run({"check-config"}, {{"HUBSYNC_CONFIG", bad}, {"JOURNAL_STREAM", "8:1234"}});
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_EQ(r.err.rfind("<3>hubsync: " + bad + ":5: unknown key", 0), 0u) << r.err;
}

// ---- secrets ----

TEST_F(CliTest, SecretsAreNeverPrinted) {
    // Inline secret in a private file: accepted, shown as "(set)".
    const std::string inline_private = dir_.write(
        "inline.conf", "[hubspot]\nclient_id = x\nclient_secret = " + std::string(kSecret) + "\n");
    const ProcessResult ok = run({"check-config", "-c", inline_private});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("(set)"), std::string::npos);
    EXPECT_NE(ok.out.find("client secret: from inline client_secret at " + inline_private + ":3"),
              std::string::npos)
        << ok.out;

    // The same file readable by others: refused without echoing the secret.
    ::chmod(inline_private.c_str(), 0644);
    const ProcessResult refused = run({"check-config", "-c", inline_private});
    EXPECT_EQ(refused.exit_code, 78);
    EXPECT_NE(refused.err.find(inline_private + ":3: client_secret is written inline"),
              std::string::npos)
        << refused.err;

    // A secret from the environment.
    const std::string no_secret = dir_.write("nosecret.conf", "[hubspot]\nclient_id = x\n");
    const ProcessResult env =
        run({"check-config", "-c", no_secret}, {{"HUBSYNC_HUBSPOT_CLIENT_SECRET", kSecret}});
    EXPECT_EQ(env.exit_code, 0) << env.err;

    // A secret pasted where another value belongs is masked in the error line.
    good_config();
    const std::string pasted =
        dir_.write("pasted.conf", "[hubspot]\nclient_id = " + std::string(kSecret) +
                                      " oops\nclient_secret_file = client_secret\n");
    const ProcessResult masked = run({"check-config", "-c", pasted});
    EXPECT_EQ(masked.exit_code, 78);
    EXPECT_NE(masked.err.find("client_id must not contain spaces"), std::string::npos)
        << masked.err;
    EXPECT_NE(masked.err.find("[REDACTED]"), std::string::npos) << masked.err;

    for (const ProcessResult* r : {&ok, &refused, &env, &masked}) {
        EXPECT_EQ(r->out.find(kSecret), std::string::npos) << r->out;
        EXPECT_EQ(r->err.find(kSecret), std::string::npos) << r->err;
    }
}

}  // namespace
}  // namespace hubsync
