// The endpoint and version tables. Paths follow HubSpot's dated scheme: the version sits after
// the API family (/crm/objects/2026-09/contacts, /oauth/2026-09/token).
#include "model/endpoints.h"

#include <stdexcept>

namespace hubsync {

const std::vector<EndpointInfo>& endpoint_table() {
    // clang-format off
    static const std::vector<EndpointInfo> table = {
        {Endpoint::kListObjects, "list records", "GET", "/crm/objects/{version}/{type}", "(type)",
         RateLimit::kTenSecondly},
        {Endpoint::kBatchReadObjects, "batch read records", "POST",
         "/crm/objects/{version}/{type}/batch/read", "(type)", RateLimit::kTenSecondly},
        {Endpoint::kSearchObjects, "search records", "POST", "/crm/objects/{version}/{type}/search",
         "(type)", RateLimit::kSearch},
        {Endpoint::kListProperties, "list properties", "GET", "/crm/properties/{version}/{type}",
         "(type)", RateLimit::kTenSecondly},
        {Endpoint::kListSchemas, "list custom object schemas", "GET",
         "/crm-object-schemas/{version}/schemas", "crm.schemas.custom.read",
         RateLimit::kTenSecondly},
        {Endpoint::kAssociationsBatchRead, "batch read associations", "POST",
         "/crm/associations/{version}/{type}/{to}/batch/read", "(type)",
         RateLimit::kTenSecondlyExempt},
        {Endpoint::kAssociationLabels, "list association labels", "GET",
         "/crm/associations/{version}/{type}/{to}/labels", "(type)", RateLimit::kTenSecondly},
        {Endpoint::kListOwners, "list owners", "GET", "/crm/owners/{version}",
         "crm.objects.owners.read", RateLimit::kTenSecondly},
        {Endpoint::kListPipelines, "list pipelines", "GET", "/crm/pipelines/{version}/{type}",
         "(type)", RateLimit::kTenSecondly},
        {Endpoint::kOAuthToken, "token", "POST", "/oauth/{version}/token", "(none)",
         RateLimit::kNone},
        {Endpoint::kOAuthIntrospect, "introspect token", "POST",
         "/oauth/{version}/token/introspect", "(none)", RateLimit::kNone},
        {Endpoint::kOAuthRevoke, "revoke token", "POST", "/oauth/{version}/token/revoke",
         "(none)", RateLimit::kNone},
    };
    // clang-format on
    return table;
}

std::string_view rate_limit_name(RateLimit limit) {
    switch (limit) {
        case RateLimit::kTenSecondly:
            return "10-second";
        case RateLimit::kSearch:
            return "search";
        case RateLimit::kTenSecondlyExempt:
            return "exempt from the 10-second";
        case RateLimit::kNone:
            return "none";
    }
    return "?";
}

const EndpointInfo& endpoint_info(Endpoint endpoint) {
    for (const EndpointInfo& e : endpoint_table())
        if (e.endpoint == endpoint) return e;
    throw std::logic_error("endpoint missing from the endpoint table");
}

const std::vector<ApiVersion>& api_versions() {
    static const std::vector<ApiVersion> versions = {
        {"2026-03", "2026-03-30", "2027-09"},
        {"2026-09", "2026-09-08", "2028-03"},
    };
    return versions;
}

std::string_view default_api_version() {
    return api_versions().back().name;
}

const ApiVersion* find_api_version(std::string_view name) {
    for (const ApiVersion& v : api_versions())
        if (v.name == name) return &v;
    return nullptr;
}

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

}  // namespace

std::string endpoint_path(Endpoint endpoint, std::string_view version, std::string_view type,
                          std::string_view to_type) {
    std::string path(endpoint_info(endpoint).path);
    replace_all(path, "{version}", version);
    replace_all(path, "{type}", type);
    replace_all(path, "{to}", to_type);
    return path;
}

const std::vector<RetiredGeneration>& retired_generations() {
    static const std::vector<RetiredGeneration> list = {
        {"/oauth/v1/", "2027-02-16"},
        {"/crm/v4/", "2027-03-30"},
        {"/oauth/v3/", "2027-09"},
        {"/crm/v3/", "2027-09"},
        {"/crm-object-schemas/v3/", "2027-09"},
    };
    return list;
}

std::optional<RetiredGeneration> retired_generation_of(std::string_view url) {
    std::string_view path = url;
    if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
        const auto slash = url.find('/', scheme + 3);
        path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
    }
    for (const RetiredGeneration& g : retired_generations())
        if (path.substr(0, g.path_prefix.size()) == g.path_prefix) return g;
    return std::nullopt;
}

}  // namespace hubsync
