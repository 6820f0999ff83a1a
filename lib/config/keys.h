// The one definition of every configuration key: section, name, default, description and
// kind. The parser, the environment overrides, check-config and etc/hubsync.conf all use it.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace hubsync {

// Identifies a key in code; the loader switches over it, so a new key cannot be forgotten.
enum class ConfigKey {
    kClientId,
    kClientSecretFile,
    kClientSecret,
    kScopes,
    kRedirectUri,
    kAccessTokenFile,
    kApiVersion,
    kAuthorizeUrl,
    kApiBaseUrl,
    kTokenUrl,
    kCaFile,
    kDatabase,
    kStateDir,
    kInterval,
    kObjects,
    kProperties,
    kTypeProperties,
    kSensitiveProperties,
    kTrackChanges,
    kLookback,
    kReconcileInterval,
    kArchivedInterval,
    kAssociations,
    kAssociationsInterval,
    kOwners,
    kReferenceInterval,
    kRetryInitial,
    kRetryMax,
    kRequestsPer10s,
    kSearchesPerSecond,
    kRangeReads,
    kHttpTimeout,
    kMaxUrlLength,
    kRefreshMargin,
    kLogLevel,
};

enum class KeyKind {
    kString,      // free text without surrounding whitespace
    kPath,        // a file or directory; relative paths are resolved against the config file
    kUrl,         // absolute https:// URL (http:// only for loopback hosts)
    kDuration,    // 90s, 5m, 24h, 1h30m
    kInt,         // a decimal integer within [min, max]
    kList,        // "*" or names separated by commas
    kLevel,       // a log level
    kSecretFile,  // a path to a file holding one secret
    kSecret,      // a secret given inline (refused in a file others can read)
    kWords,       // words separated by spaces (scopes)
    kBool,        // true or false
    kVersion,     // one of HubSpot's dated API versions this build speaks (api_versions())
};

struct KeyDef {
    ConfigKey id;
    std::string_view section;
    std::string_view name;
    KeyKind kind;
    // The value used when the key is not set; empty means "not set".
    std::string_view default_value;
    // One or more sentences for the example file and `--help`.
    std::string_view description;
    // The value shown in the example file when it differs from the default.
    std::string_view example_value = {};
    // Whether the example file sets the key (true) or shows it commented out.
    bool example_active = false;
    // Inclusive bounds: integers as numbers, durations in milliseconds.
    long long min = 0;
    long long max = 0;
};

// Every key, in the order of the example file.
std::span<const KeyDef> config_keys();

// The per-type key family "properties.TYPE" (one key per object type, e.g. properties.deals):
// when `name` is such a key of `section`, its definition, with the type in `type`.
const KeyDef* find_type_key(std::string_view section, std::string_view name, std::string& type);
// HUBSYNC_SYNC_PROPERTIES_<TYPE> for a per-type key.
std::string env_var_name(const KeyDef& key, std::string_view type);
// The prefix of those variables, "HUBSYNC_SYNC_PROPERTIES_".
std::string env_var_prefix(const KeyDef& key);

// An old name of a key, still accepted so existing files and environments keep working.
// `hubsync check-config` warns about it; setting both names is an error.
struct KeyAlias {
    std::string_view section;
    std::string_view name;  // the old name
    ConfigKey key;          // the key it stands for
};
std::span<const KeyAlias> config_key_aliases();
// The alias, or nullptr.
const KeyAlias* find_config_key_alias(std::string_view section, std::string_view name);
// "HUBSYNC_HUBSPOT_PRIVATE_APP_TOKEN_FILE" for [hubspot] private_app_token_file.
std::string env_var_name(const KeyAlias& alias);
// "[hubspot] private_app_token_file"
std::string key_label(const KeyAlias& alias);

// The key, or nullptr.
const KeyDef* find_config_key(std::string_view section, std::string_view name);
const KeyDef& config_key(ConfigKey id);

// True for the section names used by the key table.
bool is_config_section(std::string_view section);

// "HUBSYNC_SYNC_INTERVAL" for [sync] interval.
std::string env_var_name(const KeyDef& key);

// "[sync] interval"
std::string key_label(const KeyDef& key);

const char* to_string(KeyKind kind);

// Edit distance (adjacent swaps count as one edit), case-insensitive: picks "did you mean"
// suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The largest distance at which a known word is still offered as a suggestion for `word`.
std::size_t suggestion_distance(std::string_view word);

// The complete example configuration file (etc/hubsync.conf), generated from the key table.
std::string render_example_config();

}  // namespace hubsync
