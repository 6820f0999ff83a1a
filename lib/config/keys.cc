// The key table and the example configuration file generated from it.
#include "config/keys.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "core/text.h"

namespace hubsync {
namespace {

constexpr long long kSecond = 1000;
constexpr long long kMinute = 60 * kSecond;
constexpr long long kHour = 60 * kMinute;
constexpr long long kDay = 24 * kHour;

// clang-format off
constexpr KeyDef kKeys[] = {
    // [hubspot]
    {ConfigKey::kClientId, "hubspot", "client_id", KeyKind::kString, "",
     "The OAuth app's client ID (HubSpot developer portal: your app, then Auth). Required "
     "unless access_token_file is set.",
     "00000000-0000-0000-0000-000000000000", true},
    {ConfigKey::kClientSecretFile, "hubspot", "client_secret_file", KeyKind::kSecretFile, "",
     "File holding the app's client secret on one line, readable only by the service user. "
     "When unset, the secret is read from $CREDENTIALS_DIRECTORY/client_secret (systemd "
     "LoadCredential=client_secret:FILE), else from client_secret below.",
     "/etc/hubsync/client_secret", true},
    {ConfigKey::kClientSecret, "hubspot", "client_secret", KeyKind::kSecret, "",
     "The client secret written inline. Refused unless this file is private to its owner "
     "(chmod 600); prefer client_secret_file."},
    {ConfigKey::kScopes, "hubspot", "scopes", KeyKind::kWords, "oauth crm.objects.contacts.read",
     "OAuth scopes requested by `hubsync authorize`, separated by spaces. Mirroring contacts "
     "needs crm.objects.contacts.read.",
     "", true},
    {ConfigKey::kRedirectUri, "hubspot", "redirect_uri", KeyKind::kUrl,
     "http://localhost:8976/callback",
     "Where HubSpot sends the browser after consent; must equal a redirect URL registered for "
     "the app. `hubsync authorize` listens on it when it is a loopback address; on a server "
     "without a browser use `hubsync authorize --paste`.",
     "", true},
    {ConfigKey::kAccessTokenFile, "hubspot", "access_token_file", KeyKind::kSecretFile, "",
     "Alternative to OAuth: file holding a static access token, either a service key (HubSpot: "
     "Settings > Integrations > Service keys) or a legacy private app's token, on one line, "
     "readable only by the service user. When set, client_id and the client secret are not "
     "needed and `hubsync authorize` is not used. A rotated key is picked up from the file "
     "without a restart. Old name: private_app_token_file (still accepted).",
     "/etc/hubsync/service_key"},
    {ConfigKey::kApiVersion, "hubspot", "api_version", KeyKind::kVersion, "2026-09",
     "HubSpot's dated API version for every call hubsync makes (CRM records, properties, "
     "associations, owners, pipelines, OAuth). The default is the newest version this hubsync "
     "knows; for any other value `hubsync check-config` lists the accepted ones."},
    {ConfigKey::kAuthorizeUrl, "hubspot", "authorize_url", KeyKind::kUrl,
     "https://app.hubspot.com/oauth/authorize",
     "HubSpot's consent page. https://app.hubspot.com/oauth/ACCOUNT_ID/authorize pins one "
     "account."},
    {ConfigKey::kApiBaseUrl, "hubspot", "api_base_url", KeyKind::kUrl, "https://api.hubapi.com",
     "Base URL of the HubSpot API. To try hubsync without a HubSpot account, point it (and "
     "authorize_url) at hubspot-sim: http://127.0.0.1:PORT."},
    {ConfigKey::kTokenUrl, "hubspot", "token_url", KeyKind::kUrl, "",
     "Token endpoint for the code exchange and refreshes. Default: api_base_url followed by "
     "/oauth/API_VERSION/token. Introspection and revocation always use "
     "/oauth/API_VERSION/token/introspect and /revoke on the same host.",
     "https://api.hubapi.com/oauth/2026-09/token"},
    {ConfigKey::kCaFile, "hubspot", "ca_file", KeyKind::kPath, "",
     "Extra CA certificates (PEM) trusted in addition to the system ones, e.g. for a "
     "TLS-inspecting proxy. TLS is always verified.",
     "/etc/ssl/certs/proxy-ca.pem"},
    // [sync]
    {ConfigKey::kDatabase, "sync", "database", KeyKind::kPath, "/var/lib/hubsync/hubspot.db",
     "The SQLite mirror. Reporting tools may open it read-only while the service runs.",
     "", true},
    {ConfigKey::kStateDir, "sync", "state_dir", KeyKind::kPath, "/var/lib/hubsync",
     "Directory for the sync lock and the OAuth tokens, which live in its tokens/ "
     "subdirectory (mode 0700), never in the database.",
     "", true},
    {ConfigKey::kInterval, "sync", "interval", KeyKind::kDuration, "5m",
     "Time between incremental syncs.", "", true, kSecond, 7 * kDay},
    {ConfigKey::kObjects, "sync", "objects", KeyKind::kList, "contacts",
     "The CRM object types to mirror, separated by commas: contacts, companies, deals, "
     "tickets, a custom object's name, or * for every type the authorization can read. Each "
     "gets its own table (custom objects: custom_NAME). `hubsync authorize` asks for the read "
     "scope of each named type (tickets: the scope is called tickets; custom objects: "
     "crm.objects.custom.read and crm.schemas.custom.read); with *, for all of them as optional "
     "scopes. A named type whose scope was not granted is an error, not a silent skip.",
     "", true},
    {ConfigKey::kProperties, "sync", "properties", KeyKind::kList, "*",
     "Properties to mirror for every object type that has no properties.TYPE line of its own: "
     "* for every property, or internal property names separated by commas (email, firstname, "
     "lifecyclestage, ...). Names a type does not have are skipped with a warning.",
     "", true},
    {ConfigKey::kTypeProperties, "sync", "properties.TYPE", KeyKind::kList, "",
     "One object type's own list instead of properties, e.g. properties.deals or "
     "properties.pets for a custom object: * or names separated by commas. Any number of "
     "these lines, one per type.",
     "dealname, amount, dealstage, pipeline, closedate, hubspot_owner_id"},
    {ConfigKey::kSensitiveProperties, "sync", "sensitive_properties", KeyKind::kBool, "false",
     "Also mirror properties HubSpot marks as sensitive. `hubsync authorize` then asks for each "
     "mirrored object type's sensitive-data read scope (e.g. "
     "crm.objects.contacts.sensitive.read.v2) as an optional scope; without that scope the "
     "sync goes on without those properties.",
     "", true},
    {ConfigKey::kTrackChanges, "sync", "track_changes", KeyKind::kList,
     "lifecyclestage, hs_lead_status, dealstage, hs_pipeline_stage, hubspot_owner_id",
     "Properties whose every change the sync sees is kept in the changes table (old value, new "
     "value, when): internal names separated by commas, or none. Each object type tracks the "
     "names it has. Costs no API requests: it is a diff of the row being replaced.",
     "", false},
    {ConfigKey::kLookback, "sync", "lookback", KeyKind::kDuration, "10m",
     "How far each incremental sync reaches back before the previous one, so that changes "
     "HubSpot's search indexes late are not missed.",
     "", true, 0, 7 * kDay},
    {ConfigKey::kReconcileInterval, "sync", "reconcile_interval", KeyKind::kDuration, "24h",
     "Time between full id sweeps, the safety net behind each cycle's change detector: every "
     "id is walked (active ones through search, which leaves the 10-second budget to "
     "incremental sync) and records gone for good (GDPR, purged) are removed.",
     "", true, kMinute, 90 * kDay},
    {ConfigKey::kArchivedInterval, "sync", "archived_interval", KeyKind::kDuration, "30m",
     "Time between sweeps of HubSpot's list of archived records. Each cycle already finds "
     "deletes, restores and merges by comparing counts; the sweep is the safety net for "
     "changes that cancel out in those counts.",
     "", false, 0, 7 * kDay},
    {ConfigKey::kAssociations, "sync", "associations", KeyKind::kBool, "true",
     "Mirror the associations between every pair of mirrored object types, with their labels, "
     "into the associations table (one row per link and direction).",
     "", false},
    {ConfigKey::kAssociationsInterval, "sync", "associations_interval", KeyKind::kDuration, "6h",
     "Time between association sweeps, which read every record's links again. HubSpot does not "
     "change a record's modification time when a link is added, removed or relabelled, so "
     "between sweeps only the links of records that changed are read.",
     "", false, kMinute, 30 * kDay},
    {ConfigKey::kOwners, "sync", "owners", KeyKind::kBool, "true",
     "Mirror owners (active and archived) into the owners table, so reports show owner names. "
     "`hubsync authorize` asks for crm.objects.owners.read as an optional scope; without it "
     "owners are left out.",
     "", false},
    {ConfigKey::kReferenceInterval, "sync", "reference_interval", KeyKind::kDuration, "1h",
     "Time between reads of owners, pipelines and their stages, and association labels, which "
     "rarely change. Property options are written every cycle from the property definitions "
     "the sync reads anyway.",
     "", false, kMinute, 30 * kDay},
    {ConfigKey::kRetryInitial, "sync", "retry_initial", KeyKind::kDuration, "30s",
     "After a failed sync, the service retries after about this long, doubling the wait after "
     "each further failure (with jitter). A failed token refresh is retried after 10 s, or "
     "after this when it is shorter.",
     "", false, kSecond, kDay},
    {ConfigKey::kRetryMax, "sync", "retry_max", KeyKind::kDuration, "30m",
     "The longest wait between retries; also the wait when a person has to act (a revoked "
     "authorization, a bad configuration), unless a new authorization wakes the service first. "
     "Token refresh retries wait at most 5 minutes, or this when it is shorter.",
     "", false, kSecond, kDay},
    {ConfigKey::kRequestsPer10s, "sync", "requests_per_10s", KeyKind::kInt, "auto",
     "Cap on API requests per rolling 10 seconds. auto: what HubSpot's X-HubSpot-RateLimit-Max "
     "header says the account allows (110 for an OAuth app; 100, 190 or 250 for a service key "
     "by plan), less a small margin. A number caps it lower, e.g. to leave room for another "
     "integration on the same account.",
     "", false, 1, 250},
    {ConfigKey::kSearchesPerSecond, "sync", "searches_per_second", KeyKind::kInt, "4",
     "Client-side limit on search requests per second (HubSpot allows 5).",
     "", false, 1, 5},
    {ConfigKey::kRangeReads, "sync", "range_reads", KeyKind::kBool, "true",
     "During a backfill far from HubSpot, read id ranges by batch/read with the part of the "
     "10-second budget the list endpoint leaves idle (only when at least a fifth of the ids "
     "between the lowest and the highest are records). false: list and search only.",
     "", false},
    {ConfigKey::kHttpTimeout, "sync", "http_timeout", KeyKind::kDuration, "30s",
     "How long to wait for HubSpot to accept a connection or send a response.",
     "", false, kSecond, 10 * kMinute},
    {ConfigKey::kMaxUrlLength, "sync", "max_url_length", KeyKind::kInt, "8000",
     "Longest request URL sent. Long property lists are split over several requests to stay "
     "below it (HubSpot answers 414 URI Too Long).",
     "", false, 1024, 65536},
    // [token]
    {ConfigKey::kRefreshMargin, "token", "refresh_margin", KeyKind::kDuration, "5m",
     "Refresh the access token this long before it expires (HubSpot's tokens live 30 "
     "minutes).",
     "", true, 0, 25 * kMinute},
    // [log]
    {ConfigKey::kLogLevel, "log", "level", KeyKind::kLevel, "info",
     "The least severe messages written: debug, info, notice, warning or error.",
     "", true},
};
// clang-format on

constexpr KeyAlias kAliases[] = {
    {"hubspot", "private_app_token_file", ConfigKey::kAccessTokenFile},
};

constexpr std::string_view kExampleHeader =
    "# hubsync configuration (INI).\n"
    "#\n"
    "# Every key is listed with its description. Lines starting with ';' show optional keys\n"
    "# with their default or an example value; remove the ';' to set one. Comments start with\n"
    "# ';' or '#', also after a value (\"interval = 5m ; five minutes\").\n"
    "#\n"
    "# Durations: 90s, 5m, 24h, 1h30m. Relative paths are relative to this file's directory.\n"
    "# Any key can be overridden by the environment as HUBSYNC_<SECTION>_<KEY>, for example\n"
    "# HUBSYNC_SYNC_INTERVAL=1m. Validate the result with `hubsync check-config`.\n"
    "#\n"
    "# This file is the output of `hubsync check-config --example`.\n";

constexpr std::size_t kWrapColumn = 92;

// Marks a key family in the table: "properties.TYPE" stands for properties.deals, ...
constexpr std::string_view kTypePlaceholder = "TYPE";

void append_wrapped_comment(std::string& out, std::string_view text) {
    std::string line(1, '#');
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (line.size() > 1 && line.size() + 1 + word.size() > kWrapColumn) {
            out.append(line).push_back('\n');
            line.assign(1, '#');
        }
        line += " ";
        line += word;
    }
    out.append(line).push_back('\n');
}

}  // namespace

std::span<const KeyDef> config_keys() {
    return kKeys;
}

const KeyDef* find_config_key(std::string_view section, std::string_view name) {
    for (const auto& key : kKeys) {
        if (key.section == section && key.name == name) return &key;
    }
    return nullptr;
}

const KeyDef* find_type_key(std::string_view section, std::string_view name, std::string& type) {
    for (const auto& key : kKeys) {
        const auto at = key.name.find(kTypePlaceholder);
        if (key.section != section || at == std::string_view::npos) continue;
        const std::string_view prefix = key.name.substr(0, at);
        if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
            type = std::string(name.substr(prefix.size()));
            return &key;
        }
    }
    return nullptr;
}

const KeyDef& config_key(ConfigKey id) {
    for (const auto& key : kKeys) {
        if (key.id == id) return key;
    }
    return kKeys[0];  // unreachable: every ConfigKey has a row (tested)
}

std::span<const KeyAlias> config_key_aliases() {
    return kAliases;
}

const KeyAlias* find_config_key_alias(std::string_view section, std::string_view name) {
    for (const auto& alias : kAliases) {
        if (alias.section == section && alias.name == name) return &alias;
    }
    return nullptr;
}

bool is_config_section(std::string_view section) {
    return std::any_of(std::begin(kKeys), std::end(kKeys),
                       [&](const KeyDef& key) { return key.section == section; });
}

namespace {

std::string env_var_name(std::string_view section, std::string_view name) {
    std::string out = "HUBSYNC_";
    for (const char c : section)
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    out.push_back('_');
    for (const char c : name)
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out;
}

}  // namespace

std::string env_var_name(const KeyDef& key) {
    return env_var_name(key.section, key.name);
}

std::string env_var_prefix(const KeyDef& key) {
    const auto at = key.name.find(kTypePlaceholder);
    std::string name(key.name.substr(0, at));
    if (!name.empty() && name.back() == '.') name.back() = '_';
    return env_var_name(key.section, name);
}

std::string env_var_name(const KeyDef& key, std::string_view type) {
    std::string out = env_var_prefix(key);
    for (const char c : type)
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out;
}

std::string env_var_name(const KeyAlias& alias) {
    return env_var_name(alias.section, alias.name);
}

std::string key_label(const KeyDef& key) {
    return fmt::format("[{}] {}", key.section, key.name);
}

std::string key_label(const KeyAlias& alias) {
    return fmt::format("[{}] {}", alias.section, alias.name);
}

const char* to_string(KeyKind kind) {
    switch (kind) {
        case KeyKind::kString:
            return "string";
        case KeyKind::kPath:
            return "path";
        case KeyKind::kUrl:
            return "url";
        case KeyKind::kDuration:
            return "duration";
        case KeyKind::kInt:
            return "int";
        case KeyKind::kList:
            return "list";
        case KeyKind::kLevel:
            return "level";
        case KeyKind::kSecretFile:
            return "secret-file";
        case KeyKind::kSecret:
            return "secret";
        case KeyKind::kWords:
            return "words";
        case KeyKind::kBool:
            return "bool";
        case KeyKind::kVersion:
            return "version";
    }
    return "string";
}

std::size_t edit_distance(std::string_view a_text, std::string_view b_text) {
    // Optimal string alignment: insertions, deletions, substitutions and adjacent swaps,
    // ignoring ASCII case.
    const std::string a = lower(a_text), b = lower(b_text);
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::size_t> d((n + 1) * (m + 1));
    const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& {
        return d[i * (m + 1) + j];
    };
    for (std::size_t i = 0; i <= n; ++i)
        at(i, 0) = i;
    for (std::size_t j = 0; j <= m; ++j)
        at(0, j) = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(n, m);
}

std::size_t suggestion_distance(std::string_view word) {
    if (word.size() <= 3) return 1;
    if (word.size() <= 6) return 2;
    return 3;
}

namespace {

// The per-type family is written "properties.TYPE" in the table; the example shows deals.
std::string example_name(const KeyDef& key) {
    std::string name(key.name);
    if (const auto at = name.find(kTypePlaceholder); at != std::string::npos)
        name.replace(at, kTypePlaceholder.size(), "deals");
    return name;
}

}  // namespace

std::string render_example_config() {
    std::string out(kExampleHeader);
    std::string_view section;
    for (const auto& key : kKeys) {
        if (key.section != section) {
            section = key.section;
            out += fmt::format("\n[{}]\n", section);
        }
        out += "\n";
        append_wrapped_comment(out, key.description);
        const std::string_view value =
            key.example_value.empty() ? key.default_value : key.example_value;
        out += fmt::format("{}{} ={}{}\n", key.example_active ? "" : "; ", example_name(key),
                           value.empty() ? "" : " ", value);
    }
    return out;
}

}  // namespace hubsync
