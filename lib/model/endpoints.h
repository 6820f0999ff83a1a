// Every HubSpot endpoint hubsync calls, as one table: an operation maps to its method and its
// path for a dated API version. A new version is one row in the versions table, not a hunt
// through the code. docs/hubspot-endpoints.md lists the same rows (a test keeps them equal).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubsync {

enum class Endpoint {
    kListObjects,       // list one object type's records (also ?archived=true)
    kBatchReadObjects,  // read up to 100 records by id
    kSearchObjects,     // search records (own rate bucket)
    kListProperties,    // an object type's property definitions
    kListSchemas,       // custom object schemas
    kAssociationsBatchRead,
    kAssociationLabels,
    kListOwners,
    kListPipelines,
    kOAuthToken,       // code exchange, refresh, client credentials
    kOAuthIntrospect,  // what an access token is: hub, scopes, expiry
    kOAuthRevoke,      // revoke a refresh token
};

// Which of HubSpot's rate limits a call counts against, as its API description says
// (`x-hubspot-rate-limit-exemptions`).
enum class RateLimit {
    kTenSecondly,        // the account's rolling 10-second bucket (and the daily cap)
    kSearch,             // the search bucket (about 5 a second), not the 10-second one
    kTenSecondlyExempt,  // exempt from the 10-second bucket (the daily cap still counts)
    kNone,               // OAuth: outside the account's API limits
};
std::string_view rate_limit_name(RateLimit limit);

struct EndpointInfo {
    Endpoint endpoint;
    std::string_view what;    // "list records", for docs and messages
    std::string_view method;  // GET or POST
    // {version}, {type} (an object type's name or id), {to} (the other type of an association)
    std::string_view path;
    std::string_view scope;  // the scope it needs; "(type)" = the object type's read scope
    RateLimit limit;
};

// Every row, in Endpoint order.
const std::vector<EndpointInfo>& endpoint_table();
const EndpointInfo& endpoint_info(Endpoint endpoint);

struct ApiVersion {
    std::string_view name;              // 2026-09
    std::string_view released;          // YYYY-MM-DD
    std::string_view unsupported_from;  // YYYY-MM: 18 months after release
};

// The dated versions this build speaks, oldest first; the last one is the default.
const std::vector<ApiVersion>& api_versions();
std::string_view default_api_version();
const ApiVersion* find_api_version(std::string_view name);

// The path of `endpoint` in `version` (which must be one of api_versions()), e.g.
// endpoint_path(kListObjects, "2026-09", "contacts") = "/crm/objects/2026-09/contacts".
std::string endpoint_path(Endpoint endpoint, std::string_view version, std::string_view type = {},
                          std::string_view to_type = {});

// A legacy API generation HubSpot retires, found by the start of a URL's path.
struct RetiredGeneration {
    std::string_view path_prefix;  // "/oauth/v1/"
    std::string_view stops;        // "2027-02-16", or "2027-09" where HubSpot names a month
};
const std::vector<RetiredGeneration>& retired_generations();
// The retired generation a URL (or path) belongs to, if any.
std::optional<RetiredGeneration> retired_generation_of(std::string_view url);

}  // namespace hubsync
