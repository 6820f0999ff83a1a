// The loaded, validated configuration. Keys, defaults and descriptions are defined once in
// config/keys.h/.cc; this struct is what the rest of the engine sees.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace hubsync {

struct HubSpotConfig {
    std::string client_id;
    std::string client_secret;  // loaded from client_secret_file / $CREDENTIALS_DIRECTORY / inline
    std::string client_secret_source;  // where it came from, for messages (never the value)
    std::string scopes = "oauth crm.objects.contacts.read";  // space separated
    std::string redirect_uri = "http://localhost:8976/callback";
    // Loaded from access_token_file (a service key or a legacy private app's token); non-empty
    // = static-token mode, which needs no OAuth.
    std::string access_token;
    std::string access_token_file;  // the file it came from: re-read when it changes
    // HubSpot's dated API version (one of api_versions() in model/endpoints.h).
    std::string api_version = "2026-09";
    std::string authorize_url = "https://app.hubspot.com/oauth/authorize";
    std::string api_base_url = "https://api.hubapi.com";
    std::string token_url;  // default: api_base_url + endpoint_path(kOAuthToken, api_version)
    std::string ca_file;

    bool static_token() const { return !access_token.empty(); }
};

struct SyncConfig {
    std::string database = "/var/lib/hubsync/hubspot.db";
    std::string state_dir = "/var/lib/hubsync";
    std::chrono::milliseconds interval{5 * 60'000};
    // The object types to mirror: names, or "*" for every type the authorization can read.
    std::vector<std::string> objects = {"contacts"};
    std::vector<std::string> properties;  // every type's selection; empty = every property ("*")
    // A type's own selection (properties.TYPE), by type name; an empty list = every property.
    std::map<std::string, std::vector<std::string>> type_properties;
    // Also mirror sensitive properties; `hubsync authorize` asks for their scopes (optional).
    bool sensitive_properties = false;
    // Properties whose changes are kept in `changes` (each type tracks the ones it has).
    std::vector<std::string> track_changes = {"lifecyclestage", "hs_lead_status", "dealstage",
                                              "hs_pipeline_stage", "hubspot_owner_id"};
    std::chrono::milliseconds lookback{10 * 60'000};
    std::chrono::milliseconds reconcile_interval{24 * 3'600'000};
    // How often the archived list is swept for deletes (search never shows archived contacts).
    std::chrono::milliseconds archived_interval{30 * 60'000};
    // Associations between the mirrored types, re-read in full every associations_interval.
    bool associations = true;
    std::chrono::milliseconds associations_interval{6 * 3'600'000};
    // Owners (needs crm.objects.owners.read, asked for as optional); owners, pipelines and
    // association labels are read every reference_interval.
    bool owners = true;
    std::chrono::milliseconds reference_interval{3'600'000};
    // The service's retry delays after a failure: initial * 2^(n-1), at most max.
    std::chrono::milliseconds retry_initial{30'000};
    std::chrono::milliseconds retry_max{30 * 60'000};
    int requests_per_10s = 0;     // cap on the 10-second bucket; 0 = auto (HubSpot's headers)
    int searches_per_second = 4;  // client-side limit, below HubSpot's 5
    bool range_reads = true;      // backfill: batch/read id ranges with the idle 10-s budget
    std::chrono::milliseconds http_timeout{30'000};
    int max_url_length = 8000;  // request plan keeps every URL below this

    bool all_properties() const { return properties.empty(); }
};

struct TokenConfig {
    std::chrono::milliseconds refresh_margin{5 * 60'000};
};

struct LogConfig {
    LogLevel level = LogLevel::kInfo;
};

struct Config {
    std::string path;  // the file it was loaded from
    HubSpotConfig hubspot;
    SyncConfig sync;
    TokenConfig token;
    LogConfig log;
};

using Environment = std::map<std::string, std::string>;

inline constexpr const char* kDefaultConfigPath = "/etc/hubsync/hubsync.conf";

// One key's effective value and where it came from, for `hubsync check-config`.
struct ConfigEntry {
    std::string label;   // "[sync] interval"
    std::string value;   // as used; secrets are shown as "(set)", never their value
    std::string origin;  // "FILE:LINE", "HUBSYNC_SYNC_INTERVAL" or "default"
};

// The outcome of reading a configuration without stopping at the first problem.
struct ConfigCheck {
    Config config;                      // complete only when `problems` is empty
    std::vector<Error> problems;        // kConfig errors, file problems first, then others
    std::vector<std::string> warnings;  // accepted but probably not what was meant
    std::vector<ConfigEntry> entries;   // one per key, in key-table order
};

// The process environment as a map (for load_config and tests that pass their own).
Environment process_environment();

// Which file to read: `cli_path` when given, else $HUBSYNC_CONFIG, else
// /etc/hubsync/hubsync.conf.
std::string resolve_config_path(const std::string& cli_path, const Environment& env);

// Reads, parses and validates the file, applies HUBSYNC_<SECTION>_<KEY> overrides from
// `env`, and loads secret files. Errors are kConfig with "file:line: problem" and a hint.
Result<Config> load_config(const std::string& path, const Environment& env);

// Like load_config, but collects every problem (and warnings) for `hubsync check-config`.
ConfigCheck check_config(const std::string& path, const Environment& env);

// The content of a file holding one secret (a client secret, a service key).
struct SecretFile {
    std::string value;             // trimmed; registered for redaction
    bool private_to_owner = true;  // no group or other permission bits
    std::string mode;              // "0600", for messages
};

// Reads a secret file: a regular file (never blocks on a FIFO) of at most 64 KiB holding one
// word. kConfig errors name `what` (the key) and the path, never the content.
Result<SecretFile> read_secret_file(const std::string& path, const std::string& what);

}  // namespace hubsync
