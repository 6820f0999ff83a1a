// The key table: its consistency with Config, and the example file generated from it.
#include "config/keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/config.h"
#include "core/duration.h"
#include "model/endpoints.h"
#include "support/temp_dir.h"

namespace hubsync {
namespace {

using testing::TempDir;

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

TEST(ConfigKeys, EveryKeyIdHasExactlyOneRow) {
    std::set<ConfigKey> seen;
    for (const auto& key : config_keys())
        EXPECT_TRUE(seen.insert(key.id).second) << key.name;
    for (int i = 0; i <= static_cast<int>(ConfigKey::kLogLevel); ++i) {
        EXPECT_EQ(seen.count(static_cast<ConfigKey>(i)), 1u) << "ConfigKey " << i;
        EXPECT_EQ(static_cast<int>(config_key(static_cast<ConfigKey>(i)).id), i);
    }
}

TEST(ConfigKeys, NamesAndEnvironmentVariablesAreUnique) {
    std::set<std::string> labels, vars;
    for (const auto& key : config_keys()) {
        EXPECT_TRUE(labels.insert(key_label(key)).second) << key_label(key);
        EXPECT_TRUE(vars.insert(env_var_name(key)).second) << env_var_name(key);
        EXPECT_EQ(find_config_key(key.section, key.name), &key);
        EXPECT_FALSE(key.description.empty()) << key.name;
        EXPECT_EQ(key.description.back(), '.') << key.name;
    }
    EXPECT_EQ(env_var_name(config_key(ConfigKey::kRequestsPer10s)),
              "HUBSYNC_SYNC_REQUESTS_PER_10S");
    EXPECT_EQ(env_var_name(config_key(ConfigKey::kLogLevel)), "HUBSYNC_LOG_LEVEL");
    EXPECT_EQ(find_config_key("sync", "nope"), nullptr);
    EXPECT_TRUE(is_config_section("token"));
    EXPECT_FALSE(is_config_section("tokens"));
}

TEST(ConfigKeys, TheContractKeysAreAllThere) {
    const std::vector<std::pair<const char*, const char*>> contract = {
        {"hubspot", "client_id"},     {"hubspot", "client_secret_file"},
        {"hubspot", "client_secret"}, {"hubspot", "scopes"},
        {"hubspot", "redirect_uri"},  {"hubspot", "access_token_file"},
        {"hubspot", "api_version"},   {"hubspot", "authorize_url"},
        {"hubspot", "api_base_url"},  {"hubspot", "token_url"},
        {"hubspot", "ca_file"},       {"sync", "database"},
        {"sync", "state_dir"},        {"sync", "interval"},
        {"sync", "properties"},       {"sync", "sensitive_properties"},
        {"sync", "lookback"},         {"sync", "reconcile_interval"},
        {"token", "refresh_margin"},  {"log", "level"},
    };
    for (const auto& [section, name] : contract) {
        EXPECT_NE(find_config_key(section, name), nullptr) << section << "." << name;
    }
}

TEST(ConfigKeys, OldNamesAreAliasesOfExistingKeysNotKeysOfTheirOwn) {
    const KeyAlias* alias = find_config_key_alias("hubspot", "private_app_token_file");
    ASSERT_NE(alias, nullptr);
    EXPECT_EQ(alias->key, ConfigKey::kAccessTokenFile);
    EXPECT_EQ(env_var_name(*alias), "HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE");
    EXPECT_EQ(key_label(*alias), "[hubspot] private_app_token_file");
    EXPECT_EQ(find_config_key("hubspot", "private_app_token_file"), nullptr);
    for (const auto& a : config_key_aliases()) {
        EXPECT_EQ(find_config_key(a.section, a.name), nullptr) << a.name;
        EXPECT_EQ(config_key(a.key).section, a.section) << a.name;
    }
    EXPECT_EQ(render_example_config().find("private_app_token_file ="), std::string::npos);
}

// The version table is the one source: the key's default is its newest version.
TEST(ConfigKeys, ApiVersionDefaultIsTheEndpointTablesDefault) {
    EXPECT_EQ(config_key(ConfigKey::kApiVersion).default_value, default_api_version());
    EXPECT_EQ(Config().hubspot.api_version, default_api_version());
}

TEST(ConfigKeys, DefaultsAreWithinTheirBounds) {
    for (const auto& key : config_keys()) {
        SCOPED_TRACE(key.name);
        if (key.kind == KeyKind::kDuration) {
            const auto d = parse_duration(key.default_value);
            ASSERT_TRUE(d.has_value());
            EXPECT_GE(d->count(), key.min);
            EXPECT_LE(d->count(), key.max);
        } else if (key.kind == KeyKind::kInt && key.default_value != "auto") {
            const long long n = std::stoll(std::string(key.default_value));
            EXPECT_GE(n, key.min);
            EXPECT_LE(n, key.max);
        }
    }
}

// The struct's own initializers and the table must agree, since code may build a Config
// without loading a file (tests, defaults before the first load).
TEST(ConfigKeys, TableDefaultsEqualTheConfigStructDefaults) {
    TempDir dir;
    dir.write("secret", "abcdefgh\n");
    const auto loaded = load_config(
        dir.write("c.conf", "[hubspot]\nclient_id = x\nclient_secret_file = secret\n"), {});
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    const Config defaults;
    const Config& c = *loaded;
    EXPECT_EQ(c.hubspot.scopes, defaults.hubspot.scopes);
    EXPECT_EQ(c.hubspot.redirect_uri, defaults.hubspot.redirect_uri);
    EXPECT_EQ(c.hubspot.authorize_url, defaults.hubspot.authorize_url);
    EXPECT_EQ(c.hubspot.api_base_url, defaults.hubspot.api_base_url);
    EXPECT_EQ(c.hubspot.api_version, defaults.hubspot.api_version);
    EXPECT_EQ(c.sync.sensitive_properties, defaults.sync.sensitive_properties);
    EXPECT_EQ(c.hubspot.ca_file, defaults.hubspot.ca_file);
    EXPECT_EQ(c.sync.database, defaults.sync.database);
    EXPECT_EQ(c.sync.state_dir, defaults.sync.state_dir);
    EXPECT_EQ(c.sync.interval, defaults.sync.interval);
    EXPECT_EQ(c.sync.properties, defaults.sync.properties);
    EXPECT_EQ(c.sync.lookback, defaults.sync.lookback);
    EXPECT_EQ(c.sync.reconcile_interval, defaults.sync.reconcile_interval);
    EXPECT_EQ(c.sync.archived_interval, defaults.sync.archived_interval);
    EXPECT_EQ(c.sync.retry_initial, defaults.sync.retry_initial);
    EXPECT_EQ(c.sync.retry_max, defaults.sync.retry_max);
    EXPECT_EQ(c.sync.requests_per_10s, defaults.sync.requests_per_10s);
    EXPECT_EQ(c.sync.searches_per_second, defaults.sync.searches_per_second);
    EXPECT_EQ(c.sync.http_timeout, defaults.sync.http_timeout);
    EXPECT_EQ(c.sync.max_url_length, defaults.sync.max_url_length);
    EXPECT_EQ(c.token.refresh_margin, defaults.token.refresh_margin);
    EXPECT_EQ(c.log.level, defaults.log.level);
}

TEST(ConfigKeys, EditDistanceCountsSwapsAsOneEdit) {
    EXPECT_EQ(edit_distance("interval", "interval"), 0u);
    EXPECT_EQ(edit_distance("Interval", "interval"), 0u);
    EXPECT_EQ(edit_distance("intervall", "interval"), 1u);
    EXPECT_EQ(edit_distance("snyc", "sync"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

// ---- the example file ----

TEST(ExampleConfig, CheckedInFileEqualsTheGeneratedOne) {
    const std::string checked_in = read_text(std::string(HUBSYNC_SOURCE_DIR) + "/etc/hubsync.conf");
    EXPECT_EQ(checked_in, render_example_config())
        << "etc/hubsync.conf is out of date: regenerate it with "
           "`hubsync check-config --example > etc/hubsync.conf`";
}

TEST(ExampleConfig, ListsEveryKeyOnceWithItsDescription) {
    const std::string example = render_example_config();
    for (const auto& key : config_keys()) {
        SCOPED_TRACE(key.name);
        // The per-type family is shown with one example type.
        const std::string name =
            key.id == ConfigKey::kTypeProperties ? "properties.deals" : std::string(key.name);
        const std::string active = "\n" + name + " =";
        const std::string commented = "\n; " + name + " =";
        const std::size_t count_active = example.find(active) != std::string::npos;
        const std::size_t count_commented = example.find(commented) != std::string::npos;
        EXPECT_EQ(count_active + count_commented, 1u);
        EXPECT_EQ(count_active == 1, key.example_active);
        const std::string first_words(key.description.substr(0, key.description.find(' ', 10)));
        EXPECT_NE(example.find("# " + first_words), std::string::npos);
    }
}

TEST(ExampleConfig, PassesCheckConfigWhenTheSecretFileExists) {
    TempDir dir;
    const std::string path = dir.write("hubsync.conf", render_example_config(), 0644);
    const std::string secret = dir.write("client_secret", "example-secret-value\n");
    const ConfigCheck check = check_config(path, {{"HUBSYNC_HUBSPOT_CLIENT_SECRET_FILE", secret}});
    ASSERT_TRUE(check.problems.empty()) << check.problems[0].describe();
    // One entry per key; the per-type family has none until a type's line is written.
    EXPECT_EQ(check.entries.size(), config_keys().size() - 1);
    EXPECT_EQ(check.config.hubspot.client_secret, "example-secret-value");
    // Its values are the defaults (the example only shows them).
    const Config defaults;
    EXPECT_EQ(check.config.sync.interval, defaults.sync.interval);
    EXPECT_EQ(check.config.sync.database, defaults.sync.database);
    EXPECT_EQ(check.config.hubspot.token_url, "https://api.hubapi.com/oauth/2026-09/token");
    // ...and the placeholder client_id is flagged.
    ASSERT_FALSE(check.warnings.empty());
    EXPECT_NE(check.warnings[0].find("placeholder"), std::string::npos);

    // Without the secret file it fails on exactly that, naming the line.
    const ConfigCheck without = check_config(path, {});
    ASSERT_EQ(without.problems.size(), 1u);
    EXPECT_NE(without.problems[0].message.find("cannot read client_secret_file"),
              std::string::npos);
}

// Uncommenting the optional lines that show a default changes nothing: the shown values are
// accepted and are the real defaults.
TEST(ExampleConfig, CommentedDefaultsAreTheRealDefaults) {
    std::string text = render_example_config();
    for (const auto& key : config_keys()) {
        if (key.example_active || key.default_value.empty()) continue;
        const std::string commented = "\n; " + std::string(key.name) + " =";
        const auto pos = text.find(commented);
        ASSERT_NE(pos, std::string::npos) << key.name;
        text.erase(pos + 1, 2);
    }
    // token_url shows the derived default, which must equal what the loader derives.
    const auto token = text.find("\n; token_url =");
    ASSERT_NE(token, std::string::npos);
    text.erase(token + 1, 2);

    TempDir dir;
    const std::string secret = dir.write("client_secret", "example-secret-value\n");
    const std::string uncommented = dir.write("uncommented.conf", text);
    const std::string original = dir.write("original.conf", render_example_config());
    const Environment env = {{"HUBSYNC_HUBSPOT_CLIENT_SECRET_FILE", secret}};
    const ConfigCheck a = check_config(uncommented, env);
    const ConfigCheck b = check_config(original, env);
    ASSERT_TRUE(a.problems.empty()) << a.problems[0].describe();
    ASSERT_TRUE(b.problems.empty()) << b.problems[0].describe();
    ASSERT_EQ(a.entries.size(), b.entries.size());
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        EXPECT_EQ(a.entries[i].label, b.entries[i].label);
        EXPECT_EQ(a.entries[i].value, b.entries[i].value) << a.entries[i].label;
    }
}

}  // namespace
}  // namespace hubsync
