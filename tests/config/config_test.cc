// Loading configurations: a table of bad inputs with their messages, environment overrides,
// secret files and their permissions, defaults and durations.
#include "config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "core/exit_codes.h"
#include "core/redact.h"
#include "support/temp_dir.h"

// CPU seconds this process spent since `start`, for bounds that must hold on a busy machine.
static double cpu_seconds_since(std::clock_t start) {
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

namespace hubsync {
namespace {

using testing::TempDir;

constexpr const char* kSecret = "s3cr3t-client-value-42";
constexpr const char* kHubspot =
    "[hubspot]\n"                            // line 1
    "client_id = test-client\n"              // line 2
    "client_secret_file = client_secret\n";  // line 3

class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_.write("client_secret", std::string(kSecret) + "\n");
        dir_.write("empty_secret", "");
        dir_.write("two_lines", "first\nsecond\n");
        dir_.write("token", "pat-na1-0123456789abcdef\n");
        std::filesystem::create_directory(dir_.file("a_directory"));
    }

    std::string write_config(const std::string& text, mode_t mode = 0600) {
        return dir_.write("hubsync.conf", text, mode);
    }

    TempDir dir_;
};

// ---- the table of bad inputs ----

struct BadCase {
    const char* name;
    std::string text;
    std::string fragment;  // expected in the message
    int line = 0;          // expected "FILE:LINE:", 0 = none
    std::vector<std::pair<std::string, std::string>> env = {};
    mode_t mode = 0600;
};

std::vector<BadCase> bad_cases() {
    const std::string h = kHubspot;
    return {
        {"unknown key suggests nearest", h + "[sync]\nintervall = 5m\n",
         "unknown key 'intervall' in [sync]", 5},
        {"key in the wrong section", h + "interval = 5m\n", "unknown key 'interval' in [hubspot]",
         4},
        {"unknown section", h + "[synk]\ninterval = 5m\n", "unknown section [synk]", 4},
        {"duplicate key", h + "[sync]\ninterval = 5m\ninterval = 1m\n",
         "duplicate key 'interval' in [sync] (first set on line 5)", 6},
        {"line without =", h + "[sync]\ninterval 5m\n", "expected 'key = value' or '[section]'", 5},
        {"key outside any section", "interval = 5m\n" + h, "key 'interval' is outside any section",
         1},
        {"unterminated section header", h + "[sync\n", "section header without closing ']'", 4},
        {"empty section name", h + "[]\n", "empty section name", 4},
        {"text after section header", h + "[sync] extra\n",
         "unexpected text after the section header", 4},
        {"missing key name", h + "[sync]\n = 5m\n", "missing key name before '='", 5},
        {"unterminated quote", h + "[sync]\ninterval = \"5m\n", "unterminated quote", 5},
        {"bad duration", h + "[sync]\ninterval = 5 minutes\n",
         "bad duration '5 minutes' for interval", 5},
        {"duration without unit", h + "[sync]\nlookback = 300\n", "bad duration '300' for lookback",
         5},
        {"duration too short", h + "[sync]\ninterval = 0s\n", "interval '0s' is out of range", 5},
        {"refresh margin too long", h + "[token]\nrefresh_margin = 1h\n",
         "refresh_margin '1h' is out of range", 5},
        {"not a number", h + "[sync]\nrequests_per_10s = many\n",
         "requests_per_10s 'many' is not auto or a whole number", 5},
        {"number with junk", h + "[sync]\nmax_url_length = 8000x\n", "is not a whole number", 5},
        {"number out of range", h + "[sync]\nsearches_per_second = 10\n",
         "searches_per_second 10 is out of range", 5},
        {"url without scheme", h + "api_base_url = api.hubapi.com\n", "missing scheme", 4},
        {"plain http to a remote host", h + "api_base_url = http://api.hubapi.com\n",
         "plain http:// is allowed only for loopback hosts", 4},
        {"plain http token url", h + "token_url = http://10.0.0.1/oauth/2026-03/token\n",
         "plain http:// is allowed only for loopback hosts", 4},
        {"unsupported scheme", h + "authorize_url = ftp://app.hubspot.com/oauth\n",
         "unsupported URL scheme 'ftp'", 4},
        {"url with fragment", h + "redirect_uri = https://example.com/cb#top\n", "#fragment", 4},
        {"base url with query", h + "api_base_url = https://api.hubapi.com/?x=1\n",
         "a base URL cannot have a ?query", 4},
        {"bad port", h + "api_base_url = https://api.hubapi.com:99999\n", "is not a port number",
         4},
        {"bad log level", h + "[log]\nlevel = verbose\n", "unknown log level 'verbose'", 5},
        {"empty value with a default", h + "[sync]\ninterval =\n", "interval has no value", 5},
        {"client id with spaces",
         "[hubspot]\nclient_id = my client\nclient_secret_file = client_secret\n",
         "client_id must not contain spaces", 2},
        {"scopes with commas", h + "scopes = oauth,crm.objects.contacts.read\n",
         "scopes are separated by spaces, not commas", 4},
        {"empty property in list", h + "[sync]\nproperties = email,,firstname\n",
         "empty property name", 5},
        {"trailing comma in list", h + "[sync]\nproperties = email,\n", "empty property name", 5},
        {"star mixed with names", h + "[sync]\nproperties = *, email\n",
         "'*' cannot be combined with property names", 5},
        {"upper-case property", h + "[sync]\nproperties = Email\n", "property names are lower case",
         5},
        {"invalid property name", h + "[sync]\nproperties = first-name\n",
         "'first-name' is not a property name", 5},
        {"property listed twice", h + "[sync]\nproperties = email, email\n",
         "property 'email' is listed twice", 5},
        {"missing client_id", "[hubspot]\nclient_secret_file = client_secret\n",
         "missing required key client_id in [hubspot]"},
        {"no client secret", "[hubspot]\nclient_id = test-client\n", "no client secret configured"},
        {"secret file missing", "[hubspot]\nclient_id = x\nclient_secret_file = nope\n",
         "cannot read client_secret_file", 3},
        {"secret file empty", "[hubspot]\nclient_id = x\nclient_secret_file = empty_secret\n",
         "is empty", 3},
        {"secret file with two lines", "[hubspot]\nclient_id = x\nclient_secret_file = two_lines\n",
         "holds more than one word or line", 3},
        {"secret file is a directory",
         "[hubspot]\nclient_id = x\nclient_secret_file = a_directory\n", "it is a directory", 3},
        {"inline secret in a readable file",
         "[hubspot]\nclient_id = x\nclient_secret = abcdefgh123\n",
         "client_secret is written inline, but this file is accessible to group or others (mode "
         "0644)",
         3,
         {},
         0644},
        {"inline secret in a group-readable file",
         "[hubspot]\nclient_id = x\nclient_secret = abcdefgh123\n",
         "(mode 0640)",
         3,
         {},
         0640},
        {"inline secret and secret file", h + "client_secret = abcdefgh123\n",
         "both client_secret and client_secret_file are set", 4},
        {"ca file missing", h + "ca_file = missing.pem\n", "cannot read ca_file", 4},
        {"access token file missing", "[hubspot]\naccess_token_file = missing\n",
         "cannot read access_token_file", 2},
        {"old name of the access token file missing",
         "[hubspot]\nprivate_app_token_file = missing\n", "cannot read private_app_token_file", 2},
        {"access token file under both names",
         "[hubspot]\naccess_token_file = token\nprivate_app_token_file = token\n",
         "both access_token_file and its old name private_app_token_file are set (the other on "
         "line 2)",
         3},
        {"access token file under both names, old one first",
         "[hubspot]\nprivate_app_token_file = token\naccess_token_file = token\n",
         "both access_token_file and its old name private_app_token_file are set", 3},
        {"old name twice",
         "[hubspot]\nprivate_app_token_file = token\nprivate_app_token_file = x\n",
         "duplicate key 'private_app_token_file'", 3},
        {"access token file under both names in the environment",
         "[sync]\n",
         "both HUBSYNC_HUBSPOT_ACCESS_TOKEN_FILE and its old name "
         "HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE are set",
         0,
         {{"HUBSYNC_HUBSPOT_ACCESS_TOKEN_FILE", "token"},
          {"HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE", "token"}}},
        {"unknown api version", h + "api_version = 2025-01\n", "unknown api_version '2025-01'", 4},
        {"legacy generation as api version", h + "api_version = v3\n", "unknown api_version 'v3'",
         4},
        {"sensitive properties not a bool", h + "[sync]\nsensitive_properties = yes\n",
         "sensitive_properties 'yes' is not true or false", 5},
        {"bad environment duration",
         h,
         "environment variable HUBSYNC_SYNC_INTERVAL: bad duration '1x'",
         0,
         {{"HUBSYNC_SYNC_INTERVAL", "1x"}}},
        {"bad environment url",
         h,
         "environment variable HUBSYNC_HUBSPOT_API_BASE_URL",
         0,
         {{"HUBSYNC_HUBSPOT_API_BASE_URL", "http://example.com"}}},
        {"unknown environment override",
         h,
         "environment variable HUBSYNC_SYNC_INTERVALL: no such setting",
         0,
         {{"HUBSYNC_SYNC_INTERVALL", "1m"}}},
        {"environment override without section",
         h,
         "environment variable HUBSYNC_INTERVAL",
         0,
         {{"HUBSYNC_INTERVAL", "1m"}}},
        {"bad environment level",
         h,
         "environment variable HUBSYNC_LOG_LEVEL: unknown log level",
         0,
         {{"HUBSYNC_LOG_LEVEL", "loud"}}},
    };
}

TEST_F(ConfigTest, BadInputsAreReportedWithLocationAndHint) {
    const auto cases = bad_cases();
    ASSERT_GE(cases.size(), 30u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string path = write_config(c.text, c.mode);
        Environment env(c.env.begin(), c.env.end());
        const auto config = load_config(path, env);
        ASSERT_FALSE(config.ok()) << c.text;
        const Error& e = config.error();
        EXPECT_EQ(e.kind, ErrorKind::kConfig);
        EXPECT_EQ(e.exit_code(), exit_code::kConfig);
        EXPECT_EQ(e.exit_code(), 78);
        EXPECT_NE(e.message.find(c.fragment), std::string::npos) << e.describe();
        if (c.line > 0) {
            EXPECT_EQ(e.message.rfind(path + ":" + std::to_string(c.line) + ": ", 0), 0u)
                << e.message;
        } else if (c.env.empty()) {
            EXPECT_EQ(e.message.rfind(path + ": ", 0), 0u) << e.message;
        }
        EXPECT_FALSE(e.hint.empty()) << e.message;
        EXPECT_EQ(e.message.find(kSecret), std::string::npos);
        EXPECT_EQ(e.hint.find(kSecret), std::string::npos);
    }
}

TEST_F(ConfigTest, HintsSuggestTheNearestKnownName) {
    struct Case {
        std::string text;
        std::string hint;
    };
    const std::string h = kHubspot;
    const std::vector<Case> cases = {
        {h + "[sync]\nintervall = 5m\n", "did you mean 'interval'?"},
        {h + "[sync]\nInterval = 5m\n", "did you mean 'interval'?"},
        {h + "[sync]\nreconcile_intreval = 1h\n", "did you mean 'reconcile_interval'?"},
        {h + "interval = 5m\n", "did you mean 'interval' in [sync]?"},
        {h + "[synk]\n", "did you mean [sync]?"},
        {h + "[sync]\nfrobnicate = 1\n", "known keys in [sync]: database, state_dir"},
        {"interval = 5m\n" + h, "put it under [sync]"},
        {h + "[sync]\ninterval = 300\n", "add a unit, e.g. 300s or 300m"},
        {h + "api_base_url = http://api.hubapi.com\n", "use https://api.hubapi.com"},
        {h + "[sync]\nproperties = Email\n", "did you mean 'email'?"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto config = load_config(write_config(c.text), {});
        ASSERT_FALSE(config.ok());
        EXPECT_NE(config.error().hint.find(c.hint), std::string::npos) << config.error().describe();
    }
    const auto env = load_config(write_config(h), {{"HUBSYNC_SYNC_INTERVALL", "1m"}});
    ASSERT_FALSE(env.ok());
    EXPECT_EQ(env.error().hint, "did you mean HUBSYNC_SYNC_INTERVAL?");
    const auto config_var = load_config(write_config(h), {{"HUBSYNC_CONFG", "/x.conf"}});
    ASSERT_FALSE(config_var.ok());
    EXPECT_EQ(config_var.error().hint, "did you mean HUBSYNC_CONFIG?");
    const auto no_section = load_config(write_config(h), {{"HUBSYNC_LOOKBACK", "1m"}});
    ASSERT_FALSE(no_section.ok());
    EXPECT_EQ(no_section.error().hint, "did you mean HUBSYNC_SYNC_LOOKBACK?");
}

TEST_F(ConfigTest, CheckConfigReportsEveryProblemInFileOrder) {
    const std::string path = write_config(std::string(kHubspot) +
                                          "[sync]\n"
                                          "interval = 5\n"           // 5
                                          "bogus = 1\n"              // 6
                                          "lookback = 1x\n"          // 7
                                          "[log]\nlevel = loud\n");  // 9
    const ConfigCheck check = check_config(path, {{"HUBSYNC_SYNC_DATABSE", "x"}});
    ASSERT_EQ(check.problems.size(), 5u);
    EXPECT_EQ(check.problems[0].message.rfind(path + ":5: bad duration", 0), 0u);
    EXPECT_EQ(check.problems[1].message.rfind(path + ":6: unknown key", 0), 0u);
    EXPECT_EQ(check.problems[2].message.rfind(path + ":7: bad duration", 0), 0u);
    EXPECT_EQ(check.problems[3].message.rfind(path + ":9: unknown log level", 0), 0u);
    EXPECT_EQ(check.problems[4].message.rfind("environment variable HUBSYNC_SYNC_DATABSE", 0), 0u);
}

TEST_F(ConfigTest, MissingConfigFileNamesThePathAndWhatToDo) {
    const std::string path = dir_.file("absent.conf");
    const ConfigCheck check = check_config(path, {});
    ASSERT_EQ(check.problems.size(), 1u);  // nothing else is reported without a file
    EXPECT_EQ(check.problems[0].message,
              path + ": cannot read the config file: No such file or directory");
    EXPECT_NE(check.problems[0].hint.find("--config FILE"), std::string::npos);
    EXPECT_EQ(check.problems[0].exit_code(), 78);
}

// ---- parsing details ----

TEST_F(ConfigTest, ParsesCommentsQuotesAndWhitespace) {
    const std::string path = write_config(
        "\xEF\xBB\xBF; leading comment\n"
        "# another comment\n"
        "  [hubspot]   ; section comment\n"
        "client_id=abc-123   # inline hash comment\n"
        "\tclient_secret_file   =   client_secret ; the secret\n"
        "redirect_uri = http://127.0.0.1:9000/cb?x=1;y=2\n"
        "\n"
        "[sync]\n"
        "properties = \"email, firstname\"  ; a quoted value\n"
        "interval = 1h30m\n"
        "database = data/mirror.db\n"
        "[log]\n"
        "level = WARNING\n");
    const auto config = load_config(path, {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.client_id, "abc-123");
    EXPECT_EQ(config->hubspot.client_secret, kSecret);
    EXPECT_EQ(config->hubspot.redirect_uri, "http://127.0.0.1:9000/cb?x=1;y=2");
    EXPECT_EQ(config->sync.interval, std::chrono::minutes(90));
    EXPECT_EQ(config->sync.properties, (std::vector<std::string>{"email", "firstname"}));
    EXPECT_EQ(config->log.level, LogLevel::kWarning);
    EXPECT_EQ(config->sync.database, dir_.file("data/mirror.db"));  // relative to the file
    EXPECT_EQ(config->path, path);
}

TEST_F(ConfigTest, QuotedPropertyListWithSemicolonIsRefusedAsInvalidName) {
    // Inside quotes ';' is part of the value, so it reaches the list check.
    const auto config =
        load_config(write_config(std::string(kHubspot) + "[sync]\nproperties = \"email;x\"\n"), {});
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("'email;x' is not a property name"), std::string::npos);
}

TEST_F(ConfigTest, PropertyListsAcceptCommasAndSpaces) {
    const auto config =
        load_config(write_config(std::string(kHubspot) +
                                 "[sync]\nproperties = email, firstname,lastname hs_object_id\n"),
                    {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->sync.properties,
              (std::vector<std::string>{"email", "firstname", "lastname", "hs_object_id"}));
    EXPECT_FALSE(config->sync.all_properties());

    const auto star =
        load_config(write_config(std::string(kHubspot) + "[sync]\nproperties = *\n"), {});
    ASSERT_TRUE(star.ok());
    EXPECT_TRUE(star->sync.all_properties());
}

TEST_F(ConfigTest, DefaultsMatchTheContract) {
    const auto config = load_config(write_config(kHubspot), {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    const Config& c = *config;
    EXPECT_EQ(c.hubspot.scopes, "oauth crm.objects.contacts.read");
    EXPECT_EQ(c.hubspot.redirect_uri, "http://localhost:8976/callback");
    EXPECT_EQ(c.hubspot.authorize_url, "https://app.hubspot.com/oauth/authorize");
    EXPECT_EQ(c.hubspot.api_base_url, "https://api.hubapi.com");
    EXPECT_EQ(c.hubspot.api_version, "2026-09");
    EXPECT_EQ(c.hubspot.token_url, "https://api.hubapi.com/oauth/2026-09/token");
    EXPECT_EQ(c.hubspot.ca_file, "");
    EXPECT_FALSE(c.hubspot.static_token());
    EXPECT_FALSE(c.sync.sensitive_properties);
    EXPECT_EQ(c.sync.database, "/var/lib/hubsync/hubspot.db");
    EXPECT_EQ(c.sync.state_dir, "/var/lib/hubsync");
    EXPECT_EQ(c.sync.interval, std::chrono::minutes(5));
    EXPECT_TRUE(c.sync.all_properties());
    EXPECT_EQ(c.sync.lookback, std::chrono::minutes(10));
    EXPECT_EQ(c.sync.reconcile_interval, std::chrono::hours(24));
    EXPECT_EQ(c.sync.archived_interval, std::chrono::minutes(30));
    EXPECT_EQ(c.sync.requests_per_10s, 0);  // auto: what HubSpot's headers say
    EXPECT_EQ(c.sync.searches_per_second, 4);
    EXPECT_EQ(c.sync.http_timeout, std::chrono::seconds(30));
    EXPECT_EQ(c.sync.max_url_length, 8000);
    EXPECT_EQ(c.token.refresh_margin, std::chrono::minutes(5));
    EXPECT_EQ(c.log.level, LogLevel::kInfo);
}

TEST_F(ConfigTest, TokenUrlFollowsTheApiBaseUrl) {
    const auto config = load_config(
        write_config(std::string(kHubspot) + "api_base_url = http://127.0.0.1:8080/\n"), {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.api_base_url, "http://127.0.0.1:8080");
    EXPECT_EQ(config->hubspot.token_url, "http://127.0.0.1:8080/oauth/2026-09/token");

    const auto older =
        load_config(write_config(std::string(kHubspot) + "api_base_url = http://127.0.0.1:8080/\n"
                                                         "api_version = 2026-03\n"),
                    {});
    ASSERT_TRUE(older.ok()) << older.error().describe();
    EXPECT_EQ(older->hubspot.api_version, "2026-03");
    EXPECT_EQ(older->hubspot.token_url, "http://127.0.0.1:8080/oauth/2026-03/token");

    const auto explicit_url = load_config(
        write_config(std::string(kHubspot) + "token_url = https://auth.example.com/token\n"), {});
    ASSERT_TRUE(explicit_url.ok());
    EXPECT_EQ(explicit_url->hubspot.token_url, "https://auth.example.com/token");
}

TEST_F(ConfigTest, LoopbackHostsMayUsePlainHttp) {
    for (const char* url :
         {"http://localhost:1/x", "http://127.0.0.1:5/", "http://[::1]:8/", "http://127.1.2.3/"}) {
        SCOPED_TRACE(url);
        const auto config =
            load_config(write_config(std::string(kHubspot) + "api_base_url = " + url + "\n"), {});
        EXPECT_TRUE(config.ok()) << config.error().describe();
    }
}

TEST_F(ConfigTest, DurationsParseThroughTheConfig) {
    struct Case {
        const char* text;
        std::chrono::milliseconds expected;
    };
    const std::vector<Case> cases = {
        {"90s", std::chrono::seconds(90)},   {"5m", std::chrono::minutes(5)},
        {"24h", std::chrono::hours(24)},     {"1h30m", std::chrono::minutes(90)},
        {"2d", std::chrono::hours(48)},      {"1500ms", std::chrono::milliseconds(1500)},
        {" 10m ", std::chrono::minutes(10)},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto config = load_config(
            write_config(std::string(kHubspot) + "[sync]\nlookback = " + c.text + "\n"), {});
        ASSERT_TRUE(config.ok()) << config.error().describe();
        EXPECT_EQ(config->sync.lookback, c.expected);
    }
    for (const char* bad : {"5", "m", "5 m", "-5m", "5w", "1.5h", "5m30"}) {
        SCOPED_TRACE(bad);
        const auto config = load_config(
            write_config(std::string(kHubspot) + "[sync]\nlookback = " + bad + "\n"), {});
        ASSERT_FALSE(config.ok());
        EXPECT_NE(config.error().message.find("bad duration"), std::string::npos);
    }
}

// ---- environment ----

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
    const std::string path =
        write_config(std::string(kHubspot) + "[sync]\ninterval = 5m\n[log]\nlevel = info\n");
    const Environment env = {
        {"HUBSYNC_SYNC_INTERVAL", "1m"},
        {"HUBSYNC_LOG_LEVEL", "debug"},
        {"HUBSYNC_HUBSPOT_API_BASE_URL", "http://127.0.0.1:4010"},
        {"HUBSYNC_SYNC_PROPERTIES", "email,firstname"},
        {"HUBSYNC_SYNC_REQUESTS_PER_10S", "50"},
        {"HUBSYNC_TOKEN_REFRESH_MARGIN", "2m"},
        {"HUBSYNC_CONFIG", "/ignored/by/load_config"},
        {"HUBSYNC_UNRELATED_TOOL_SETTING", "left alone"},
        {"HUBSYNC_AUTHORIZE_TIMEOUT", "read by authorize"},
        {"HUBSYNC_SYNC_ARCHIVED_INTERVAL", "1s"},
        {"HUBSYNC_SYNC_RETRY_INITIAL", "5s"},
        {"HUBSYNC_SYNC_RETRY_MAX", "2m"},
        {"PATH", "/usr/bin"},
    };
    const ConfigCheck check = check_config(path, env);
    ASSERT_TRUE(check.problems.empty()) << check.problems[0].describe();
    const Config& c = check.config;
    EXPECT_EQ(c.sync.interval, std::chrono::minutes(1));
    EXPECT_EQ(c.log.level, LogLevel::kDebug);
    EXPECT_EQ(c.hubspot.token_url, "http://127.0.0.1:4010/oauth/2026-09/token");
    EXPECT_EQ(c.sync.properties, (std::vector<std::string>{"email", "firstname"}));
    EXPECT_EQ(c.sync.requests_per_10s, 50);
    EXPECT_EQ(c.token.refresh_margin, std::chrono::minutes(2));
    EXPECT_EQ(c.sync.archived_interval, std::chrono::seconds(1));
    EXPECT_EQ(c.sync.retry_initial, std::chrono::seconds(5));
    EXPECT_EQ(c.sync.retry_max, std::chrono::minutes(2));
    bool found = false;
    for (const auto& entry : check.entries) {
        if (entry.label != "[sync] interval") continue;
        found = true;
        EXPECT_EQ(entry.value, "1m");
        EXPECT_EQ(entry.origin, "HUBSYNC_SYNC_INTERVAL");
    }
    EXPECT_TRUE(found);
}

TEST_F(ConfigTest, EmptyEnvironmentOverrideRestoresTheDefault) {
    const auto config = load_config(write_config(std::string(kHubspot) + "[sync]\ninterval = 1m\n"),
                                    {{"HUBSYNC_SYNC_INTERVAL", ""}});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->sync.interval, std::chrono::minutes(5));
}

TEST_F(ConfigTest, EnvironmentCanSupplyRequiredKeys) {
    const auto config =
        load_config(write_config("[sync]\n"),
                    {{"HUBSYNC_HUBSPOT_CLIENT_ID", "from-env"},
                     {"HUBSYNC_HUBSPOT_CLIENT_SECRET_FILE", dir_.file("client_secret")}});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.client_id, "from-env");
    EXPECT_EQ(config->hubspot.client_secret, kSecret);
    EXPECT_EQ(config->hubspot.client_secret_source, dir_.file("client_secret"));
}

TEST_F(ConfigTest, EnvironmentRelativePathsAreRelativeToTheWorkingDirectory) {
    const auto config = load_config(write_config(kHubspot), {{"HUBSYNC_SYNC_DATABASE", "x/m.db"}});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->sync.database, (std::filesystem::current_path() / "x/m.db").string());
}

TEST(ConfigPath, CommandLineThenEnvironmentThenDefault) {
    EXPECT_EQ(resolve_config_path("/cli.conf", {{"HUBSYNC_CONFIG", "/env.conf"}}), "/cli.conf");
    EXPECT_EQ(resolve_config_path("", {{"HUBSYNC_CONFIG", "/env.conf"}}), "/env.conf");
    EXPECT_EQ(resolve_config_path("", {{"HUBSYNC_CONFIG", ""}}), "/etc/hubsync/hubsync.conf");
    EXPECT_EQ(resolve_config_path("", {}), "/etc/hubsync/hubsync.conf");
}

TEST(ConfigEnvironment, ProcessEnvironmentReadsTheRealEnvironment) {
    ::setenv("HUBSYNC_CONFIG_TEST_VALUE", "a=b", 1);
    const Environment env = process_environment();
    ::unsetenv("HUBSYNC_CONFIG_TEST_VALUE");
    ASSERT_EQ(env.count("HUBSYNC_CONFIG_TEST_VALUE"), 1u);
    EXPECT_EQ(env.at("HUBSYNC_CONFIG_TEST_VALUE"), "a=b");
}

// ---- secrets ----

TEST_F(ConfigTest, SecretFileIsTrimmedAndRegisteredForRedaction) {
    clear_secrets();
    const auto config = load_config(write_config(kHubspot), {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.client_secret, kSecret);  // without the newline
    EXPECT_EQ(config->hubspot.client_secret_source, dir_.file("client_secret"));
    EXPECT_EQ(redact(std::string("sent ") + kSecret), "sent [REDACTED]");
    clear_secrets();
}

TEST_F(ConfigTest, InlineSecretIsAcceptedOnlyInAPrivateFile) {
    clear_secrets();
    const std::string text = "[hubspot]\nclient_id = x\nclient_secret = inline-secret-999\n";
    const auto private_file = load_config(write_config(text, 0600), {});
    ASSERT_TRUE(private_file.ok()) << private_file.error().describe();
    EXPECT_EQ(private_file->hubspot.client_secret, "inline-secret-999");
    EXPECT_EQ(redact("inline-secret-999"), "[REDACTED]");
    EXPECT_NE(private_file->hubspot.client_secret_source.find("inline client_secret at"),
              std::string::npos);

    for (const mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
        SCOPED_TRACE(mode);
        const auto refused = load_config(write_config(text, mode), {});
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().message.find("accessible to group or others"), std::string::npos);
        EXPECT_NE(refused.error().hint.find("chmod 600"), std::string::npos);
        EXPECT_EQ(refused.error().describe().find("inline-secret-999"), std::string::npos);
        // Only that problem: the refused secret is not reported as missing as well.
        EXPECT_EQ(check_config(dir_.file("hubsync.conf"), {}).problems.size(), 1u);
    }
    clear_secrets();
}

TEST_F(ConfigTest, InlineSecretFromTheEnvironmentIsAccepted) {
    const auto config = load_config(write_config("[hubspot]\nclient_id = x\n", 0644),
                                    {{"HUBSYNC_HUBSPOT_CLIENT_SECRET", "env-secret-1234"}});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.client_secret, "env-secret-1234");
    EXPECT_EQ(config->hubspot.client_secret_source,
              "environment variable HUBSYNC_HUBSPOT_CLIENT_SECRET");
}

TEST_F(ConfigTest, CredentialsDirectoryIsUsedWhenNoSecretFileIsNamed) {
    TempDir credentials;
    credentials.write("client_secret", "credential-secret-77\r\n", 0600);
    const std::string path = write_config("[hubspot]\nclient_id = x\n");
    const auto config = load_config(path, {{"CREDENTIALS_DIRECTORY", credentials.path()}});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->hubspot.client_secret, "credential-secret-77");
    EXPECT_NE(config->hubspot.client_secret_source.find("$CREDENTIALS_DIRECTORY/client_secret"),
              std::string::npos);

    // client_secret_file wins over the credential.
    const auto file_wins =
        load_config(write_config(kHubspot), {{"CREDENTIALS_DIRECTORY", credentials.path()}});
    ASSERT_TRUE(file_wins.ok());
    EXPECT_EQ(file_wins->hubspot.client_secret, kSecret);

    // The credential wins over an inline secret, with a warning.
    const ConfigCheck inline_too =
        check_config(write_config("[hubspot]\nclient_id = x\nclient_secret = inline-123456\n"),
                     {{"CREDENTIALS_DIRECTORY", credentials.path()}});
    ASSERT_TRUE(inline_too.problems.empty());
    EXPECT_EQ(inline_too.config.hubspot.client_secret, "credential-secret-77");
    ASSERT_FALSE(inline_too.warnings.empty());

    // A credentials directory without the credential falls through to "no secret".
    TempDir empty;
    write_config("[hubspot]\nclient_id = x\n");
    const auto missing = load_config(path, {{"CREDENTIALS_DIRECTORY", empty.path()}});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no client secret configured"), std::string::npos);

    // An empty credential is an error naming the credential.
    credentials.write("client_secret", "\n", 0600);
    const auto empty_credential =
        load_config(path, {{"CREDENTIALS_DIRECTORY", credentials.path()}});
    ASSERT_FALSE(empty_credential.ok());
    EXPECT_NE(empty_credential.error().message.find("$CREDENTIALS_DIRECTORY/client_secret"),
              std::string::npos);
}

// Loads `path` as an unprivileged user (root reads mode-000 files), in a child process;
// returns the error's message and hint, one per line.
std::string load_as_nobody(const std::string& path) {
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string report = "could not drop privileges";
        if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
            // A root directory others cannot enter (some chroots) makes the test meaningless.
            if (::access(path.c_str(), R_OK) != 0) {
                report = "SKIP: the config file is not reachable for uid 65534 here";
                [[maybe_unused]] const ssize_t w = ::write(fds[1], report.data(), report.size());
                ::_exit(0);
            }
            const auto config = load_config(path, {});
            report = config.ok() ? "loaded" : config.error().message + "\n" + config.error().hint;
        }
        [[maybe_unused]] const ssize_t n = ::write(fds[1], report.data(), report.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string report;
    char buf[512];
    ssize_t n = 0;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        report.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    ::waitpid(pid, nullptr, 0);
    return report;
}

TEST_F(ConfigTest, UnreadableSecretFileIsReported) {
    const std::string secret = dir_.write("locked", "x-secret-value\n", 0000);
    const std::string text = "[hubspot]\nclient_id = x\nclient_secret_file = " + secret + "\n";
    std::string report;
    if (::geteuid() == 0) {
        ::chmod(dir_.path().c_str(), 0711);
        report = load_as_nobody(write_config(text, 0644));
        if (report.rfind("SKIP", 0) == 0) GTEST_SKIP() << report;
    } else {
        const auto config = load_config(write_config(text), {});
        ASSERT_FALSE(config.ok());
        report = config.error().message + "\n" + config.error().hint;
    }
    EXPECT_NE(report.find(":3: cannot read client_secret_file '" + secret + "': Permission denied"),
              std::string::npos)
        << report;
    EXPECT_NE(report.find("readable by the user hubsync runs as"), std::string::npos) << report;
}

// A FIFO (or a device) named as a secret or CA file must be refused at once: reading it would
// block the loader, and with it the service's reload, forever.
TEST_F(ConfigTest, SecretAndCaFilesThatAreNotRegularFilesAreRefusedWithoutBlocking) {
    const std::string fifo = dir_.path() + "/secret.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string key : {"client_secret_file", "ca_file"}) {
        const std::string secret = key == "ca_file" ? "client_secret = inline-secret\n" : "";
        const std::string text = "[hubspot]\nclient_id = x\n" + secret + key + " = " + fifo + "\n";
        const auto config = load_config(write_config(text), {});
        ASSERT_FALSE(config.ok()) << key;
        EXPECT_NE(config.error().message.find("it is not a regular file"), std::string::npos)
            << config.error().message;
    }
}

// A huge unknown key still gets its "did you mean" check quickly: the length difference rules
// out candidates before any edit-distance table is built (found by fuzzing: 26 s for 1 MB).
TEST_F(ConfigTest, HugeUnknownKeyIsReportedQuickly) {
    const std::string text = "[sync]\n" + std::string(500'000, 'k') + " = 1\n";
    const std::clock_t start = std::clock();  // CPU time: a loaded machine does not count
    const auto config = load_config(write_config(text), {});
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("unknown key"), std::string::npos)
        << config.error().message.substr(0, 200);
    EXPECT_LT(cpu_seconds_since(start), 2.0);
}

// Duplicates in a long properties list are found without quadratic time.
TEST_F(ConfigTest, LongPropertiesListLoadsAndFindsADuplicate) {
    std::string list;
    for (int i = 0; i < 100'000; ++i)
        list += (i ? "," : "") + std::string("p") + std::to_string(i);
    const std::string head = "[hubspot]\nclient_id = x\nclient_secret = s\n[sync]\nproperties = ";
    const std::clock_t start = std::clock();  // CPU time: a loaded machine does not count
    const auto ok = load_config(write_config(head + list + "\n"), {});
    ASSERT_TRUE(ok.ok()) << ok.error().describe();
    EXPECT_EQ(ok->sync.properties.size(), 100'000u);
    const auto dup = load_config(write_config(head + list + ",p99999\n"), {});
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("'p99999' is listed twice"), std::string::npos)
        << dup.error().message;
    // Quadratic checking took about 8 s for this list; a set takes well under one.
    EXPECT_LT(cpu_seconds_since(start), 3.0);
}

TEST_F(ConfigTest, WorldReadableSecretFileIsAcceptedWithAWarning) {
    dir_.write("client_secret", std::string(kSecret) + "\n", 0644);
    const ConfigCheck check = check_config(write_config(kHubspot), {});
    ASSERT_TRUE(check.problems.empty());
    ASSERT_EQ(check.warnings.size(), 1u);
    EXPECT_NE(check.warnings[0].find("mode 0644"), std::string::npos);
    EXPECT_EQ(check.warnings[0].find(kSecret), std::string::npos);
}

TEST_F(ConfigTest, AccessTokenFileReplacesOAuthSettings) {
    clear_secrets();
    const ConfigCheck check =
        check_config(write_config("[hubspot]\naccess_token_file = token\n"), {});
    ASSERT_TRUE(check.problems.empty()) << check.problems[0].describe();
    const Config& config = check.config;
    EXPECT_TRUE(config.hubspot.static_token());
    EXPECT_EQ(config.hubspot.access_token, "pat-na1-0123456789abcdef");
    EXPECT_EQ(config.hubspot.access_token_file, dir_.file("token"));
    EXPECT_EQ(redact("value pat-na1-0123456789abcdef"), "value [REDACTED]");
    EXPECT_TRUE(check.warnings.empty()) << check.warnings[0];
    clear_secrets();
}

// The old name keeps working, in the file and in the environment, with a deprecation warning
// that names the new one.
TEST_F(ConfigTest, PrivateAppTokenFileIsAnAcceptedOldNameWithADeprecationNote) {
    const std::string path = write_config("[hubspot]\nprivate_app_token_file = token\n");
    const ConfigCheck check = check_config(path, {});
    ASSERT_TRUE(check.problems.empty()) << check.problems[0].describe();
    EXPECT_EQ(check.config.hubspot.access_token, "pat-na1-0123456789abcdef");
    EXPECT_EQ(check.config.hubspot.access_token_file, dir_.file("token"));
    ASSERT_EQ(check.warnings.size(), 1u);
    EXPECT_EQ(check.warnings[0], "private_app_token_file (" + path +
                                     ":2) is deprecated: it is the old name of access_token_file; "
                                     "rename it (the old name still works for now)");
    bool shown = false;
    for (const auto& entry : check.entries) {
        if (entry.label != "[hubspot] access_token_file") continue;
        shown = true;
        EXPECT_EQ(entry.value, dir_.file("token"));
        EXPECT_EQ(entry.origin, path + ":2");
    }
    EXPECT_TRUE(shown);

    const ConfigCheck env = check_config(
        write_config("[sync]\n"), {{"HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE", dir_.file("token")}});
    ASSERT_TRUE(env.problems.empty()) << env.problems[0].describe();
    EXPECT_TRUE(env.config.hubspot.static_token());
    ASSERT_EQ(env.warnings.size(), 1u);
    EXPECT_NE(env.warnings[0].find("HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE"), std::string::npos);
    EXPECT_NE(env.warnings[0].find("old name of HUBSYNC_HUBSPOT_ACCESS_TOKEN_FILE"),
              std::string::npos)
        << env.warnings[0];

    // The new name in the environment overrides the old one in the file, without a conflict.
    dir_.write("other_token", "pat-na1-other\n");
    const auto overridden =
        load_config(path, {{"HUBSYNC_HUBSPOT_ACCESS_TOKEN_FILE", dir_.file("other_token")}});
    ASSERT_TRUE(overridden.ok()) << overridden.error().describe();
    EXPECT_EQ(overridden->hubspot.access_token, "pat-na1-other");
}

TEST_F(ConfigTest, ApiVersionAcceptsEveryKnownVersionAndListsThemOtherwise) {
    for (const char* version : {"2026-03", "2026-09"}) {
        SCOPED_TRACE(version);
        const auto config = load_config(
            write_config(std::string(kHubspot) + "api_version = " + version + "\n"), {});
        ASSERT_TRUE(config.ok()) << config.error().describe();
        EXPECT_EQ(config->hubspot.api_version, version);
        EXPECT_EQ(config->hubspot.token_url,
                  std::string("https://api.hubapi.com/oauth/") + version + "/token");
    }
    const auto bad =
        load_config(write_config(std::string(kHubspot) + "api_version = 2027-03\n"), {});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().hint,
              "use one of the versions this hubsync speaks: 2026-03, 2026-09 (default 2026-09)");
}

TEST_F(ConfigTest, SensitivePropertiesIsABoolean) {
    for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
             {"true", true}, {"false", false}, {"TRUE", true}, {"False", false}}) {
        SCOPED_TRACE(text);
        const auto config = load_config(
            write_config(std::string(kHubspot) + "[sync]\nsensitive_properties = " + text + "\n"),
            {});
        ASSERT_TRUE(config.ok()) << config.error().describe();
        EXPECT_EQ(config->sync.sensitive_properties, expected);
    }
    const auto env =
        load_config(write_config(kHubspot), {{"HUBSYNC_SYNC_SENSITIVE_PROPERTIES", "true"}});
    ASSERT_TRUE(env.ok()) << env.error().describe();
    EXPECT_TRUE(env->sync.sensitive_properties);
}

TEST_F(ConfigTest, RequestsPer10sIsAutoOrACap) {
    for (const auto& [text, expected] : std::vector<std::pair<std::string, int>>{
             {"auto", 0}, {"AUTO", 0}, {"190", 190}, {"1", 1}, {"250", 250}}) {
        SCOPED_TRACE(text);
        const auto config = load_config(
            write_config(std::string(kHubspot) + "[sync]\nrequests_per_10s = " + text + "\n"), {});
        ASSERT_TRUE(config.ok()) << config.error().describe();
        EXPECT_EQ(config->sync.requests_per_10s, expected);
    }
    for (const std::string bad : {"0", "251", "fast"}) {
        SCOPED_TRACE(bad);
        const ConfigCheck check = check_config(
            write_config(std::string(kHubspot) + "[sync]\nrequests_per_10s = " + bad + "\n"), {});
        ASSERT_EQ(check.problems.size(), 1u);
    }
}

TEST_F(ConfigTest, ObjectsListTheTypesToMirrorDefaultingToContacts) {
    const auto defaults = load_config(write_config(kHubspot), {});
    ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
    EXPECT_EQ(defaults->sync.objects, std::vector<std::string>{"contacts"});

    const auto some = load_config(
        write_config(std::string(kHubspot) + "[sync]\nobjects = contacts, deals,tickets , pets\n"),
        {});
    ASSERT_TRUE(some.ok()) << some.error().describe();
    EXPECT_EQ(some->sync.objects,
              (std::vector<std::string>{"contacts", "deals", "tickets", "pets"}));

    const auto all = load_config(write_config(kHubspot), {{"HUBSYNC_SYNC_OBJECTS", "*"}});
    ASSERT_TRUE(all.ok()) << all.error().describe();
    EXPECT_EQ(all->sync.objects, std::vector<std::string>{"*"});

    for (const std::string bad : {"contacts,,deals", "contacts, deals, contacts", "deal s"}) {
        SCOPED_TRACE(bad);
        const ConfigCheck check = check_config(
            write_config(std::string(kHubspot) + "[sync]\nobjects = " + bad + "\n"), {});
        ASSERT_EQ(check.problems.size(), 1u);
        EXPECT_NE(check.problems[0].message.find(":5:"), std::string::npos)
            << check.problems[0].message;
    }
}

TEST_F(ConfigTest, EachTypeMayHaveItsOwnPropertiesInTheFileOrTheEnvironment) {
    const std::string text = std::string(kHubspot) +
                             "[sync]\n"
                             "objects = contacts, deals, pets\n"
                             "properties = email, firstname\n"
                             "properties.deals = dealname, amount\n"
                             "properties.pets = *\n";
    const auto config = load_config(write_config(text), {});
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->sync.properties, (std::vector<std::string>{"email", "firstname"}));
    ASSERT_EQ(config->sync.type_properties.size(), 2u);
    EXPECT_EQ(config->sync.type_properties.at("deals"),
              (std::vector<std::string>{"dealname", "amount"}));
    EXPECT_TRUE(config->sync.type_properties.at("pets").empty());  // * = every property

    // HUBSYNC_SYNC_PROPERTIES_<TYPE> overrides one type's line, or adds one.
    const auto env =
        load_config(write_config(text), {{"HUBSYNC_SYNC_PROPERTIES_DEALS", "dealstage"},
                                         {"HUBSYNC_SYNC_PROPERTIES_TICKETS", "subject"}});
    ASSERT_TRUE(env.ok()) << env.error().describe();
    EXPECT_EQ(env->sync.type_properties.at("deals"), std::vector<std::string>{"dealstage"});
    EXPECT_EQ(env->sync.type_properties.at("tickets"), std::vector<std::string>{"subject"});

    // check-config shows each type's line with where it came from.
    const ConfigCheck check = check_config(write_config(text), {});
    const auto entry =
        std::find_if(check.entries.begin(), check.entries.end(),
                     [](const ConfigEntry& e) { return e.label == "[sync] properties.deals"; });
    ASSERT_NE(entry, check.entries.end());
    EXPECT_EQ(entry->value, "dealname, amount");
    EXPECT_NE(entry->origin.find(":7"), std::string::npos) << entry->origin;
}

TEST_F(ConfigTest, BadPerTypePropertiesAreReportedWithTheirLine) {
    struct Case {
        std::string lines, fragment;
        int line;
    };
    const std::vector<Case> cases = {
        {"properties.deals = dealname\nproperties.deals = amount\n", "duplicate key", 6},
        {"properties.deals = Dealname\n", "lower case", 5},
        {"properties.de/als = dealname\n", "does not name an object type", 5},
        {"properties.deals =\n", "has no value", 5},
    };
    for (const auto& [lines, fragment, line] : cases) {
        SCOPED_TRACE(lines);
        const ConfigCheck check =
            check_config(write_config(std::string(kHubspot) + "[sync]\n" + lines), {});
        ASSERT_EQ(check.problems.size(), 1u);
        EXPECT_NE(check.problems[0].message.find(fragment), std::string::npos)
            << check.problems[0].message;
        EXPECT_NE(check.problems[0].message.find("hubsync.conf:" + std::to_string(line) + ":"),
                  std::string::npos)
            << check.problems[0].message;
    }
}

// Legacy paths still work until HubSpot turns them off, so they are warnings, not errors; the
// warning names the end date from the endpoint table and what hubsync does meanwhile.
TEST_F(ConfigTest, RetiredGenerationsAreWarningsNamingTheirEndDate) {
    struct Case {
        std::string line;
        std::vector<std::string> fragments;
    };
    const std::vector<Case> cases = {
        {"token_url = https://api.hubapi.com/oauth/v1/token\n",
         {"token_url https://api.hubapi.com/oauth/v1/token", "legacy /oauth/v1/ API",
          "stops working on 2027-02-16",
          "hubsync still sends the code exchange and refreshes there as configured",
          "introspection and revocation already use /oauth/2026-09/token/introspect",
          "remove token_url to use /oauth/2026-09/token"}},
        {"token_url = https://api.hubapi.com/oauth/v3/token\n",
         {"legacy /oauth/v3/ API", "stops working in 2027-09"}},
        {"api_base_url = https://api.hubapi.com/crm/v3\n",
         {"api_base_url https://api.hubapi.com/crm/v3", "the path /crm/v3/",
          "stops working in 2027-09", "hubsync adds the dated paths of api_version 2026-09"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.line);
        const std::string path = write_config(std::string(kHubspot) + c.line);
        const ConfigCheck check = check_config(path, {});
        ASSERT_TRUE(check.problems.empty()) << check.problems[0].describe();
        ASSERT_EQ(check.warnings.size(), 1u);
        for (const auto& fragment : c.fragments)
            EXPECT_NE(check.warnings[0].find(fragment), std::string::npos) << check.warnings[0];
        EXPECT_NE(check.warnings[0].find(path + ":4"), std::string::npos) << check.warnings[0];
    }
    // The dated defaults warn about nothing.
    const ConfigCheck dated = check_config(write_config(kHubspot), {});
    EXPECT_TRUE(dated.warnings.empty()) << dated.warnings[0];
    const ConfigCheck dated_override =
        check_config(write_config(std::string(kHubspot) +
                                  "token_url = https://api.hubapi.com/oauth/2026-03/token\n"),
                     {});
    EXPECT_TRUE(dated_override.warnings.empty()) << dated_override.warnings[0];
}

TEST_F(ConfigTest, SecretsNeverAppearInCheckEntries) {
    const ConfigCheck check = check_config(
        write_config("[hubspot]\nclient_id = x\nclient_secret = inline-secret-555\n"), {});
    ASSERT_TRUE(check.problems.empty());
    bool saw_secret_entry = false;
    for (const auto& entry : check.entries) {
        EXPECT_EQ(entry.value.find("inline-secret-555"), std::string::npos) << entry.label;
        if (entry.label == "[hubspot] client_secret") {
            saw_secret_entry = true;
            EXPECT_EQ(entry.value, "(set)");
        }
    }
    EXPECT_TRUE(saw_secret_entry);
}

}  // namespace
}  // namespace hubsync
