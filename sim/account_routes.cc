// The account-level CRM endpoints: owners (/crm/owners/{V}, /crm/v3/owners), pipelines and
// stages (/crm/pipelines/{V}/{type}, /crm/v3/pipelines/{type}) and custom object schemas
// (/crm-object-schemas/{V}/schemas, /crm-object-schemas/v3/schemas).
#include <algorithm>
#include <string>
#include <string_view>

#include "model/endpoints.h"
#include "model/object_type.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr const char* kOwnersScope = "crm.objects.owners.read";

enum class AccountFamily { kOwners, kPipelines, kSchemas };

// Each family's path up to what follows it (owner id, {type}, schema), legacy and dated.
const std::vector<std::pair<std::string, AccountFamily>>& account_bases() {
    static const std::vector<std::pair<std::string, AccountFamily>> bases = [] {
        std::vector<std::pair<std::string, AccountFamily>> b = {
            {"/crm/v3/owners", AccountFamily::kOwners},
            {"/crm/v3/pipelines/", AccountFamily::kPipelines},
            {"/crm-object-schemas/v3/schemas", AccountFamily::kSchemas},
        };
        for (const ApiVersion& v : api_versions()) {
            b.emplace_back(endpoint_path(Endpoint::kListOwners, v.name), AccountFamily::kOwners);
            b.emplace_back(endpoint_path(Endpoint::kListPipelines, v.name),
                           AccountFamily::kPipelines);
            b.emplace_back(endpoint_path(Endpoint::kListSchemas, v.name), AccountFamily::kSchemas);
        }
        return b;
    }();
    return bases;
}

// The path's family and what follows its base ("", "/123", "deals/default"...).
bool parse_account_path(std::string_view path, AccountFamily& family, std::string_view& rest) {
    for (const auto& [base, f] : account_bases()) {
        if (path.substr(0, base.size()) != base) continue;
        rest = path.substr(base.size());
        // /crm/v3/owners must not match /crm/v3/ownersX.
        if (base.back() != '/' && !rest.empty() && rest.front() != '/') continue;
        family = f;
        return true;
    }
    return false;
}

std::int64_t numeric(const std::string& id) {
    std::int64_t n = -1;
    return parse_int(id, n) ? n : -1;
}

void append_owner(std::string& out, const SimOwner& o) {
    out += "{\"id\":";
    append_json_string(out, o.id);
    out += ",\"email\":";
    append_json_string(out, o.email);
    out += ",\"type\":";
    append_json_string(out, o.type);
    out += ",\"firstName\":";
    append_json_string(out, o.first_name);
    out += ",\"lastName\":";
    append_json_string(out, o.last_name);
    if (o.user_id) {
        out += ",\"userId\":" + std::to_string(*o.user_id) +
               ",\"userIdIncludingInactive\":" + std::to_string(*o.user_id);
    }
    out += ",\"createdAt\":\"" + o.created_at + "\",\"updatedAt\":\"" + o.updated_at +
           "\",\"archived\":" + (o.archived ? "true" : "false") + ",\"teams\":[";
    for (std::size_t i = 0; i < o.teams.size(); ++i) {
        if (i) out += ",";
        out += "{\"id\":";
        append_json_string(out, o.teams[i].id);
        out += ",\"name\":";
        append_json_string(out, o.teams[i].name);
        out += std::string(",\"primary\":") + (o.teams[i].primary ? "true" : "false") + "}";
    }
    out += "]}";
}

void append_stage(std::string& out, const SimPipelineStage& s) {
    out += "{\"label\":";
    append_json_string(out, s.label);
    out += ",\"displayOrder\":" + std::to_string(s.display_order) + ",\"metadata\":{";
    bool first = true;
    for (const auto& [k, v] : s.metadata) {
        if (!first) out += ",";
        first = false;
        append_json_string(out, k);
        out += ":";
        append_json_string(out, v);
    }
    out += "},\"id\":";
    append_json_string(out, s.id);
    out += ",\"createdAt\":\"" + s.created_at + "\",\"updatedAt\":\"" + s.updated_at +
           "\",\"archived\":" + (s.archived ? "true" : "false") +
           ",\"writePermissions\":\"CRM_PERMISSIONS_ENFORCEMENT\"}";
}

void append_pipeline(std::string& out, const SimPipeline& p) {
    out += "{\"label\":";
    append_json_string(out, p.label);
    out += ",\"displayOrder\":" + std::to_string(p.display_order) + ",\"id\":";
    append_json_string(out, p.id);
    out += ",\"stages\":[";
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        if (i) out += ",";
        append_stage(out, p.stages[i]);
    }
    out += "],\"createdAt\":\"" + p.created_at + "\",\"updatedAt\":\"" + p.updated_at +
           "\",\"archived\":" + (p.archived ? "true" : "false") + "}";
}

void append_strings(std::string& out, const std::vector<std::string>& values) {
    out += "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        append_json_string(out, values[i]);
    }
    out += "]";
}

// One schema of the custom object schemas endpoint.
void append_schema(std::string& out, const RecordStore& store, bool with_properties,
                   bool with_associations) {
    const TypeInfo& info = store.info();
    std::string created;
    append_iso8601_ms(created, info.created_ms);
    const std::string number = info.type.type_id.substr(2);
    out += "{\"id\":\"" + number + "\",\"objectTypeId\":\"" + info.type.type_id + "\",\"name\":";
    append_json_string(out, info.type.name);
    out += ",\"fullyQualifiedName\":";
    append_json_string(out, info.fully_qualified_name);
    out += ",\"labels\":{\"singular\":";
    append_json_string(out, info.label_singular);
    out += ",\"plural\":";
    append_json_string(out, info.label_plural);
    out += "},\"primaryDisplayProperty\":";
    append_json_string(out, info.primary_display_property);
    out += ",\"secondaryDisplayProperties\":[],\"requiredProperties\":";
    append_strings(out, info.primary_display_property.empty()
                            ? std::vector<std::string>{}
                            : std::vector<std::string>{info.primary_display_property});
    out += ",\"searchableProperties\":";
    append_strings(out, info.query_properties);
    if (with_properties) {
        out += ",\"properties\":[";
        bool first = true;
        for (const auto& p : store.properties()) {
            if (p.sensitivity != DataSensitivity::kNonSensitive) continue;
            if (!first) out += ",";
            first = false;
            append_property_json(out, p);
        }
        out += "]";
    }
    if (with_associations) {
        // Every custom object can be associated with contacts.
        out += ",\"associations\":[{\"id\":\"" + std::to_string(900 + std::stoll(number) % 100) +
               "\",\"fromObjectTypeId\":\"" + info.type.type_id +
               "\",\"toObjectTypeId\":\"0-1\",\"name\":\"" + info.type.name +
               "_to_contact\",\"createdAt\":\"" + created + "\",\"updatedAt\":\"" + created +
               "\"}]";
    }
    out += ",\"metaType\":\"PORTAL_SPECIFIC\",\"createdAt\":\"" + created + "\",\"updatedAt\":\"" +
           created + "\",\"archived\":false}";
}

// One request to an account endpoint; each serve_* answers true when the path was its own.
class AccountCall final {
  public:
    AccountCall(Simulator::Impl& sim, SimRequest& req, SimResponse& resp)
        : sim_(sim), req_(req), resp_(resp) {}

    bool serve_owners(std::string_view rest);
    bool serve_pipelines(std::string_view rest);
    bool serve_schemas(std::string_view rest);

  private:
    bool authorize(std::string_view scope) {
        return sim_.authenticate(req_, resp_, scope, token_) && sim_.take_ten_secondly(resp_);
    }
    // True (answered) after a 400.
    bool bad(const std::string& message) {
        sim_.error_body(resp_, 400, "VALIDATION_ERROR", message);
        return true;
    }
    bool not_found(const std::string& message) {
        sim_.error_body(resp_, 404, "OBJECT_NOT_FOUND", message);
        return true;
    }
    bool list_owners();
    bool get_owner(const std::string& key);
    bool get_pipeline(const std::vector<SimPipeline>& pipelines, const std::string& type,
                      std::string_view tail);

    Simulator::Impl& sim_;
    SimRequest& req_;
    SimResponse& resp_;
    std::string token_;
};

bool AccountCall::serve_owners(std::string_view rest) {
    if (!rest.empty() && rest != "/" && rest.find('/', 1) != std::string_view::npos) return false;
    if (!authorize(kOwnersScope)) return true;
    if (req_.method != "GET") return bad("Only GET is supported here");
    return rest.size() > 1 ? get_owner(std::string(rest.substr(1))) : list_owners();
}

// /{ownerId}?idProperty=id|userId&archived=
bool AccountCall::get_owner(const std::string& key) {
    const bool by_user = req_.param("idProperty") == "userId";
    for (const auto& o : sim_.portal_.owners().list(req_.param("archived") == "true")) {
        if (by_user ? (o.user_id && std::to_string(*o.user_id) == key) : o.id == key) {
            append_owner(resp_.body, o);
            return true;
        }
    }
    return not_found("No owner with " + std::string(by_user ? "userId " : "id ") + key);
}

// Ordered by id; `after` is an opaque cursor; `archived=true` lists only archived owners.
bool AccountCall::list_owners() {
    std::int64_t limit = 100;
    if (req_.has_param("limit") && (!parse_int(req_.param("limit"), limit) || limit < 1))
        return bad("limit must be a positive integer");
    if (limit > 100) return bad("limit must be at most 100 (got " + std::to_string(limit) + ")");
    std::int64_t after = 0;
    if (req_.has_param("after") && !decode_cursor(req_.param("after"), after))
        return bad("after is not a valid paging cursor; pass back paging.next.after unchanged");
    const bool archived = req_.param("archived") == "true";
    std::vector<SimOwner> owners = sim_.portal_.owners().list(archived);
    const std::string email = req_.param("email");
    std::erase_if(owners, [&](const SimOwner& o) {
        return numeric(o.id) < after || (!email.empty() && o.email != email);
    });
    resp_.body = "{\"results\":[";
    const std::size_t n = std::min(owners.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) {
        if (i) resp_.body += ",";
        append_owner(resp_.body, owners[i]);
    }
    resp_.body += "]";
    if (owners.size() > n) {
        const std::string cursor = encode_cursor(numeric(owners[n].id));
        resp_.body += ",\"paging\":{\"next\":{\"after\":\"" + cursor + "\",\"link\":\"" +
                      (sim_.tls_ ? "https" : "http") +
                      "://127.0.0.1:" + std::to_string(sim_.port_) + req_.path +
                      "?after=" + cursor + "&limit=" + std::to_string(limit) +
                      (archived ? "&archived=true" : "") + "\"}}";
    }
    resp_.body += "}";
    return true;
}

// {type}[/{pipelineId}[/stages]], no paging.
bool AccountCall::serve_pipelines(std::string_view rest) {
    const std::string_view type = rest.substr(0, rest.find('/'));
    const std::string_view tail = rest.substr(type.size());
    const RecordStore* store = sim_.portal_.find(type);
    if (!store) return false;
    const TypeInfo& info = store->info();
    if (!authorize(info.type.read_scope)) return true;
    if (req_.method != "GET") return bad("Only GET is supported here");
    const auto pipelines = sim_.portal_.pipelines().of(info.type.name);
    if (!pipelines)
        return bad("Object type " + info.type.name +
                   " has no pipelines; pipelines exist for deals, tickets and custom objects");
    if (tail.size() > 1) return get_pipeline(*pipelines, info.type.name, tail.substr(1));
    if (!tail.empty() && tail != "/") return false;
    resp_.body = "{\"results\":[";
    for (std::size_t i = 0; i < pipelines->size(); ++i) {
        if (i) resp_.body += ",";
        append_pipeline(resp_.body, (*pipelines)[i]);
    }
    resp_.body += "]}";
    return true;
}

// {pipelineId} or {pipelineId}/stages.
bool AccountCall::get_pipeline(const std::vector<SimPipeline>& pipelines, const std::string& type,
                               std::string_view tail) {
    const std::string_view id = tail.substr(0, tail.find('/'));
    const std::string_view what = tail.substr(id.size());
    if (!what.empty() && what != "/stages") return false;
    for (const auto& p : pipelines) {
        if (p.id != id) continue;
        if (what.empty()) {
            append_pipeline(resp_.body, p);
            return true;
        }
        resp_.body = "{\"results\":[";
        for (std::size_t i = 0; i < p.stages.size(); ++i) {
            if (i) resp_.body += ",";
            append_stage(resp_.body, p.stages[i]);
        }
        resp_.body += "]}";
        return true;
    }
    return not_found("No pipeline " + std::string(id) + " for " + type);
}

// Every custom object type, or /{objectType} for one; the light call leaves out the property
// and association definitions.
bool AccountCall::serve_schemas(std::string_view rest) {
    if (rest.size() > 1 && rest.find('/', 1) != std::string_view::npos) return false;
    if (!authorize(kCustomSchemasReadScope)) return true;
    if (req_.method != "GET") return bad("Only GET is supported here");
    const bool with_properties = req_.param("includePropertyDefinitions") != "false";
    const bool with_associations = req_.param("includeAssociationDefinitions") != "false";
    if (rest.size() > 1) {
        const RecordStore* store = sim_.portal_.find(rest.substr(1));
        if (!store || !store->info().type.custom)
            return not_found("No custom object schema " + std::string(rest.substr(1)));
        append_schema(resp_.body, *store, with_properties, with_associations);
        return true;
    }
    resp_.body = "{\"results\":[";
    bool first = true;
    for (const RecordStore* store : sim_.portal_.custom_stores()) {
        if (!first) resp_.body += ",";
        first = false;
        append_schema(resp_.body, *store, with_properties, with_associations);
    }
    resp_.body += "]}";
    return true;
}

}  // namespace

bool Simulator::Impl::route_account(SimRequest& req, SimResponse& resp) {
    AccountFamily family = AccountFamily::kOwners;
    std::string_view rest;
    if (!parse_account_path(req.path, family, rest)) return false;
    AccountCall call(*this, req, resp);
    switch (family) {
        case AccountFamily::kOwners:
            return call.serve_owners(rest);
        case AccountFamily::kPipelines:
            return call.serve_pipelines(rest);
        default:
            return call.serve_schemas(rest);
    }
}

}  // namespace hubsync::sim
