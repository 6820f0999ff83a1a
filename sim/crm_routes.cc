// The simulator's CRM endpoints: contacts list/get/batch read/search/create/update/archive/
// merge/GDPR delete and property definitions, at /crm/v3/ and at the dated twins of every
// version in model/endpoints.h (/crm/objects/{V}/contacts, /crm/properties/{V}/contacts).
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "model/endpoints.h"
#include "model/object_type.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr const char* kRead = "crm.objects.contacts.read";
constexpr const char* kWrite = "crm.objects.contacts.write";
constexpr std::size_t kMaxSearchBody = 3000;
constexpr std::int64_t kMaxSearchResults = 10'000;

const std::vector<std::string> kDefaultProps = {
    "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"};
const std::vector<std::string> kAlwaysProps = {"createdate", "hs_object_id", "lastmodifieddate"};

bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Opaque list cursors: base64url("sim:" + id), so clients cannot mistake them for ids.
std::string encode_after(std::int64_t id) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::string raw = "sim:" + std::to_string(id);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : raw) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            out.push_back(kAlphabet[(acc >> (bits - 6)) & 63]);
            bits -= 6;
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
    return out;
}

bool decode_after(std::string_view s, std::int64_t& id) {
    std::string raw;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        int v = -1;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-')
            v = 62;
        else if (c == '_')
            v = 63;
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            raw.push_back(static_cast<char>((acc >> (bits - 8)) & 0xFF));
            bits -= 8;
        }
    }
    return raw.rfind("sim:", 0) == 0 && parse_int(std::string_view(raw).substr(4), id);
}

// Splits repeated and comma-separated `properties` parameters into names.
std::vector<std::string> property_names(const SimRequest& req, const char* name) {
    std::vector<std::string> out;
    for (const auto& v : req.all(name)) {
        std::size_t start = 0;
        while (start <= v.size()) {
            std::size_t end = v.find(',', start);
            if (end == std::string::npos) end = v.size();
            if (end > start) out.push_back(v.substr(start, end - start));
            start = end + 1;
        }
    }
    return out;
}

std::string var_string(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return {};
    return v.convert<std::string>();
}

std::vector<std::string> string_array(const Poco::JSON::Object::Ptr& obj, const char* key) {
    std::vector<std::string> out;
    if (!obj->has(key)) return out;
    auto arr = obj->getArray(key);
    if (!arr) throw std::invalid_argument(std::string(key) + " must be an array of strings");
    for (std::size_t i = 0; i < arr->size(); ++i)
        out.push_back(var_string(arr->get(static_cast<unsigned>(i))));
    return out;
}

enum class CrmFamily { kObjects, kProperties };

// Where each family's paths start, up to the object type: legacy and every dated version.
// Built once from the endpoint table, so a new version needs no change here.
const std::vector<std::pair<std::string, CrmFamily>>& crm_bases() {
    static const std::vector<std::pair<std::string, CrmFamily>> bases = [] {
        std::vector<std::pair<std::string, CrmFamily>> b = {
            {"/crm/v3/objects/", CrmFamily::kObjects},
            {"/crm/v3/properties/", CrmFamily::kProperties},
        };
        for (const ApiVersion& v : api_versions()) {
            // endpoint_path with an empty type ends in the slash before {type}.
            b.emplace_back(endpoint_path(Endpoint::kListObjects, v.name), CrmFamily::kObjects);
            b.emplace_back(endpoint_path(Endpoint::kListProperties, v.name),
                           CrmFamily::kProperties);
        }
        return b;
    }();
    return bases;
}

// Splits a contacts path into its family and what follows the object type ("", "/search",
// "/123"...). The type is its name or its id (contacts, 0-1). False for any other path.
bool parse_contacts_path(std::string_view path, CrmFamily& family, std::string_view& rest) {
    for (const auto& [base, f] : crm_bases()) {
        if (path.substr(0, base.size()) != base) continue;
        const std::string_view tail = path.substr(base.size());
        const std::string_view type = tail.substr(0, tail.find('/'));
        const ObjectType* t = find_standard_type(type);
        if (!t || !(*t == contacts_type())) return false;
        family = f;
        rest = tail.substr(type.size());
        return true;
    }
    return false;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

bool Simulator::Impl::route_crm(SimRequest& req, SimResponse& resp) {
    CrmFamily family = CrmFamily::kObjects;
    std::string_view rest;
    if (!parse_contacts_path(req.path, family, rest)) return false;
    const bool props_path = family == CrmFamily::kProperties;
    if (props_path && !rest.empty()) return false;

    const bool write = req.method != "GET" && rest != "/batch/read" && rest != "/search";
    std::string token;
    if (!authenticate(req, resp,
                      props_path ? "crm.schemas.contacts.read" : (write ? kWrite : kRead), token))
        return true;
    const bool search = rest == "/search";
    if (search ? !take_secondly(resp) : !take_ten_secondly(resp)) return true;

    auto bad = [&](const std::string& message) {
        error_body(resp, 400, "VALIDATION_ERROR", message);
    };
    auto parse_body = [&](Poco::JSON::Object::Ptr& out) -> bool {
        try {
            Poco::JSON::Parser parser;
            auto v = parser.parse(req.body.empty() ? std::string("{}") : req.body);
            out = v.extract<Poco::JSON::Object::Ptr>();
            if (!out) throw std::invalid_argument("not an object");
            return true;
        } catch (const std::exception&) {  // Poco::Exception included
        }
        error_body(resp, 400, "VALIDATION_ERROR",
                   "Invalid input JSON on line 1: the request body is not a JSON object");
        return false;
    };
    // Validates {"properties":{...}} for create/update into store values.
    auto property_values = [&](const Poco::JSON::Object::Ptr& body,
                               std::vector<std::pair<int, std::string>>& out) -> bool {
        auto props = body->getObject("properties");
        if (!props) {
            bad("properties is required and must be an object");
            return false;
        }
        std::string problems;
        for (const auto& [name, value] : *props) {
            const int p = store_.property_index(name);
            const char* error = p < 0                             ? "PROPERTY_DOESNT_EXIST"
                                : store_.property_read_only(name) ? "READ_ONLY_VALUE"
                                                                  : nullptr;
            if (error) {
                if (!problems.empty()) problems += ",";
                problems += "{\"isValid\":false,\"message\":\"Property \\\"" + name + "\\\" " +
                            (p < 0 ? "does not exist" : "is read-only") + "\",\"error\":\"" +
                            error + "\",\"name\":\"" + name + "\"}";
                continue;
            }
            out.emplace_back(p, value.isEmpty() ? std::string() : value.convert<std::string>());
        }
        if (!problems.empty()) {
            bad("Property values were not valid: [" + problems + "]");
            return false;
        }
        std::sort(out.begin(), out.end());
        return true;
    };
    auto props_or_default = [&](const std::vector<std::string>& names, bool for_search) {
        std::vector<std::string> all = names;
        if (names.empty()) {
            all = for_search ? kAlwaysProps : kDefaultProps;
        } else {
            for (const auto& d : kAlwaysProps)
                if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
        }
        return store_.property_indexes(all);
    };
    // Values of sensitive properties need their scopes on the token: false (and a 403
    // naming the missing ones) without.
    auto may_read = [&](const std::vector<int>& props) {
        const SensitivityUse use = store_.sensitivity_use(props);
        if (!use.any()) return true;
        std::vector<std::string_view> missing;
        for (const auto& [used, level] :
             {std::pair{use.sensitive, DataSensitivity::kSensitive},
              std::pair{use.highly_sensitive, DataSensitivity::kHighlySensitive}}) {
            const std::string_view scope = contacts_scope_for(level);
            if (used && !token_has_scope(token, scope)) missing.push_back(scope);
        }
        if (missing.empty()) return true;
        missing_scopes(resp, missing);
        return false;
    };

    // ---- GET /crm/v3/properties/contacts: sensitive ones only when asked for, and then
    // only those.
    if (props_path) {
        if (req.method != "GET") return bad("Only GET is supported here"), true;
        DataSensitivity wanted = DataSensitivity::kNonSensitive;
        if (req.has_param("dataSensitivity")) {
            const auto parsed = parse_sensitivity(req.param("dataSensitivity"));
            if (!parsed)
                return bad("dataSensitivity must be non_sensitive, sensitive or highly_sensitive"),
                       true;
            wanted = *parsed;
        }
        resp.body = "{\"results\":[";
        bool first = true;
        for (const auto& p : store_.properties()) {
            if (p.sensitivity != wanted) continue;
            if (!first) resp.body += ",";
            first = false;
            const auto& d = p.def;
            resp.body += "{\"name\":";
            append_json_string(resp.body, d.name);
            resp.body += ",\"label\":";
            append_json_string(resp.body, d.label);
            resp.body += ",\"type\":";
            append_json_string(resp.body, d.type);
            resp.body += ",\"fieldType\":";
            append_json_string(resp.body, d.field_type);
            resp.body += ",\"groupName\":";
            append_json_string(resp.body, d.group_name);
            resp.body += ",\"description\":";
            append_json_string(resp.body, d.description);
            resp.body += ",\"options\":[";
            for (std::size_t i = 0; i < p.options.size(); ++i) {
                if (i) resp.body += ",";
                resp.body += "{\"label\":";
                append_json_string(resp.body, p.options[i]);
                resp.body += ",\"value\":";
                append_json_string(resp.body, p.options[i]);
                resp.body += ",\"displayOrder\":" + std::to_string(i) + ",\"hidden\":false}";
            }
            resp.body +=
                std::string("],\"calculated\":") + (d.calculated ? "true" : "false") +
                ",\"externalOptions\":false,\"hasUniqueValue\":" +
                (d.name == "hs_object_id" ? "true" : "false") +
                ",\"hidden\":false,\"hubspotDefined\":" + (d.hubspot_defined ? "true" : "false") +
                ",\"modificationMetadata\":{\"archivable\":" +
                (d.hubspot_defined ? "false" : "true") +
                ",\"readOnlyValue\":" + (p.read_only ? "true" : "false") +
                "},\"dataSensitivity\":\"" + std::string(sensitivity_name(p.sensitivity)) +
                "\",\"formField\":true,\"createdAt\":\"2019-01-01T00:00:00.000Z\","
                "\"updatedAt\":\"2019-01-01T00:00:00.000Z\",\"archived\":false}";
        }
        resp.body += "]}";
        return true;
    }

    // ---- GET list
    if (rest.empty() && req.method == "GET") {
        std::int64_t limit = 10;
        if (req.has_param("limit") && (!parse_int(req.param("limit"), limit) || limit < 1)) {
            return bad("limit must be a positive integer"), true;
        }
        if (limit > 100)
            return bad("limit must be at most 100 (got " + std::to_string(limit) + ")"), true;
        std::int64_t after = 0;
        if (req.has_param("after") && !decode_after(req.param("after"), after))
            return bad("after is not a valid paging cursor; pass back paging.next.after unchanged"),
                   true;
        const bool archived = req.param("archived") == "true";
        const auto props = props_or_default(property_names(req, "properties"), false);
        if (!may_read(props)) return true;
        resp.body.reserve(static_cast<std::size_t>(limit) * (props.size() * 40 + 200) + 256);
        const std::int64_t next =
            store_.write_list_page(resp.body, after, static_cast<int>(limit), archived, props);
        if (next != 0) {
            const std::string cursor = encode_after(next);
            resp.body += ",\"paging\":{\"next\":{\"after\":\"" + cursor + "\",\"link\":\"" +
                         (tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
                         req.path + "?after=" + cursor + "&limit=" + std::to_string(limit) +
                         (archived ? "&archived=true" : "") + "\"}}";
        }
        resp.body += "}";
        return true;
    }

    // ---- POST create
    if (rest.empty() && req.method == "POST") {
        Poco::JSON::Object::Ptr body;
        std::vector<std::pair<int, std::string>> values;
        if (!parse_body(body) || !property_values(body, values)) return true;
        const std::int64_t id = store_.create(values, now_ms());
        store_.write_contact(resp.body, id, false, props_or_default({}, false));
        resp.status = 201;
        return true;
    }

    // ---- POST batch/read
    if (rest == "/batch/read") {
        if (req.method != "POST") return bad("Use POST for batch/read"), true;
        Poco::JSON::Object::Ptr body;
        if (!parse_body(body)) return true;
        auto inputs = body->getArray("inputs");
        if (!inputs) return bad("inputs is required and must be an array"), true;
        if (inputs->size() > 100)
            return bad("Too many inputs: at most 100 per batch (got " +
                       std::to_string(inputs->size()) + ")"),
                   true;
        if (body->has("idProperty") && var_string(body->get("idProperty")) != "hs_object_id" &&
            !var_string(body->get("idProperty")).empty())
            return bad("idProperty other than hs_object_id is not supported by the simulator"),
                   true;
        std::vector<std::string> names;
        try {
            names = string_array(body, "properties");
        } catch (const std::exception& e) {
            return bad(e.what()), true;
        }
        const auto props = props_or_default(names, false);
        if (!may_read(props)) return true;
        const bool archived = req.param("archived") == "true";
        const std::string started = format_iso8601(clock_->now());
        std::string results, missing;
        std::vector<std::int64_t> seen;
        for (std::size_t i = 0; i < inputs->size(); ++i) {
            auto in = inputs->getObject(static_cast<unsigned>(i));
            const std::string id_text = in ? var_string(in->get("id")) : std::string();
            std::int64_t id = 0;
            const std::int64_t resolved = parse_int(id_text, id) ? store_.resolve(id) : 0;
            if (resolved != 0 && std::find(seen.begin(), seen.end(), resolved) != seen.end())
                continue;
            std::string rec;
            if (resolved != 0 && store_.write_contact(rec, resolved, archived, props)) {
                seen.push_back(resolved);
                if (!results.empty()) results += ",";
                results += rec;
            } else {
                if (!missing.empty()) missing += ",";
                append_json_string(missing, id_text);
            }
        }
        resp.body = "{\"status\":\"COMPLETE\",\"results\":[" + results + "]";
        if (!missing.empty()) {
            resp.status = 207;
            resp.body +=
                ",\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                "\"OBJECT_NOT_FOUND\",\"message\":\"Could not get some CONTACT objects, "
                "they may be deleted or not exist. Check that ids are valid.\","
                "\"context\":{\"ids\":[" +
                missing + "]}}]";
        }
        resp.body += ",\"startedAt\":\"" + started + "\",\"completedAt\":\"" +
                     format_iso8601(clock_->now()) + "\"}";
        return true;
    }

    // ---- POST search
    if (search) {
        if (req.method != "POST") return bad("Use POST for search"), true;
        if (req.body.size() > kMaxSearchBody)
            return bad("Request body is " + std::to_string(req.body.size()) +
                       " characters; search bodies are limited to 3000"),
                   true;
        Poco::JSON::Object::Ptr body;
        if (!parse_body(body)) return true;
        SearchQuery q;
        std::vector<std::string> names;
        std::int64_t limit = 10, offset = 0;
        try {
            names = string_array(body, "properties");
            std::size_t total_filters = 0;
            if (auto groups = body->getArray("filterGroups")) {
                if (groups->size() > 5)
                    throw std::invalid_argument("at most 5 filterGroups are allowed");
                for (std::size_t g = 0; g < groups->size(); ++g) {
                    auto group = groups->getObject(static_cast<unsigned>(g));
                    auto filters = group ? group->getArray("filters") : nullptr;
                    if (!filters)
                        throw std::invalid_argument("each filterGroup needs a filters array");
                    if (filters->size() > 6)
                        throw std::invalid_argument(
                            "at most 6 filters per filterGroup are allowed");
                    total_filters += filters->size();
                    q.groups.emplace_back();
                    for (std::size_t f = 0; f < filters->size(); ++f) {
                        auto fo = filters->getObject(static_cast<unsigned>(f));
                        if (!fo) throw std::invalid_argument("a filter must be an object");
                        Filter filter;
                        filter.property = var_string(fo->get("propertyName"));
                        filter.op = var_string(fo->get("operator"));
                        filter.value = var_string(fo->get("value"));
                        filter.high_value = var_string(fo->get("highValue"));
                        filter.values = string_array(fo, "values");
                        static const std::vector<std::string> kOps = {"EQ",
                                                                      "NEQ",
                                                                      "LT",
                                                                      "LTE",
                                                                      "GT",
                                                                      "GTE",
                                                                      "BETWEEN",
                                                                      "IN",
                                                                      "NOT_IN",
                                                                      "HAS_PROPERTY",
                                                                      "NOT_HAS_PROPERTY",
                                                                      "CONTAINS_TOKEN",
                                                                      "NOT_CONTAINS_TOKEN"};
                        if (std::find(kOps.begin(), kOps.end(), filter.op) == kOps.end())
                            throw std::invalid_argument("unknown filter operator '" + filter.op +
                                                        "'");
                        if (store_.property_type(filter.property).empty())
                            throw std::invalid_argument("Unable to find property '" +
                                                        filter.property + "'");
                        const bool needs_value = filter.op != "HAS_PROPERTY" &&
                                                 filter.op != "NOT_HAS_PROPERTY" &&
                                                 filter.op != "IN" && filter.op != "NOT_IN";
                        if (needs_value && !fo->has("value"))
                            throw std::invalid_argument("operator " + filter.op + " needs a value");
                        if (filter.op == "BETWEEN" && !fo->has("highValue"))
                            throw std::invalid_argument(
                                "operator BETWEEN needs value and highValue");
                        if ((filter.op == "IN" || filter.op == "NOT_IN") && !fo->has("values"))
                            throw std::invalid_argument("operator " + filter.op + " needs values");
                        q.groups.back().push_back(std::move(filter));
                    }
                }
            }
            if (total_filters > 18)
                throw std::invalid_argument("at most 18 filters in total are allowed");
            if (auto sorts = body->getArray("sorts"); sorts && sorts->size() > 0) {
                const auto first = sorts->get(0);
                std::string name, direction = "ASCENDING";
                if (first.type() == typeid(Poco::JSON::Object::Ptr)) {
                    auto so = first.extract<Poco::JSON::Object::Ptr>();
                    name = var_string(so->get("propertyName"));
                    if (so->has("direction")) direction = var_string(so->get("direction"));
                } else {
                    name = var_string(first);
                    if (!name.empty() && name[0] == '-') {
                        direction = "DESCENDING";
                        name.erase(0, 1);
                    }
                }
                if (store_.property_type(name).empty())
                    throw std::invalid_argument("Unable to find sort property '" + name + "'");
                if (direction != "ASCENDING" && direction != "DESCENDING")
                    throw std::invalid_argument("sort direction must be ASCENDING or DESCENDING");
                q.sort_property = name;
                q.descending = direction == "DESCENDING";
            }
            if (body->has("limit")) {
                if (!parse_int(var_string(body->get("limit")), limit) || limit < 0)
                    throw std::invalid_argument("limit must be a non-negative integer");
                if (limit > 200)
                    throw std::invalid_argument("limit must be at most 200 (got " +
                                                std::to_string(limit) + ")");
            }
            if (body->has("after") && !var_string(body->get("after")).empty()) {
                if (!parse_int(var_string(body->get("after")), offset) || offset < 0)
                    throw std::invalid_argument("after must be an integer offset");
            }
            if (body->has("query")) q.query = var_string(body->get("query"));
        } catch (const std::invalid_argument& e) {
            return bad(e.what()), true;
        } catch (const Poco::Exception& e) {
            return bad("Invalid search request: " + e.displayText()), true;
        }
        if (offset >= kMaxSearchResults)
            return bad("Paging past 10000 results is not allowed: narrow the query (after=" +
                       std::to_string(offset) + ")"),
                   true;
        for (auto& g : q.groups)
            for (auto& f : g)
                if (f.op == "IN" || f.op == "NOT_IN")
                    for (auto& v : f.values)
                        v = lower(v);
        const auto props = props_or_default(names, true);
        // Filtering or sorting on a sensitive property reads its values too.
        std::vector<std::string> used = {q.sort_property};
        for (const auto& g : q.groups)
            for (const auto& f : g)
                used.push_back(f.property);
        std::vector<int> read = store_.property_indexes(used);
        read.insert(read.end(), props.begin(), props.end());
        if (!may_read(read)) return true;
        const std::int64_t total =
            store_.search(resp.body, q, offset, static_cast<int>(limit), now_ms(), props);
        if (offset + limit < total && limit > 0)
            resp.body +=
                ",\"paging\":{\"next\":{\"after\":\"" + std::to_string(offset + limit) + "\"}}";
        resp.body += "}";
        // Search responses carry no rate-limit headers.
        resp.headers.clear();
        return true;
    }

    // ---- merge / gdpr-delete
    if (rest == "/merge" || rest == "/gdpr-delete") {
        if (req.method != "POST") return bad("Use POST"), true;
        Poco::JSON::Object::Ptr body;
        if (!parse_body(body)) return true;
        if (rest == "/merge") {
            std::int64_t a = 0, b = 0;
            if (!parse_int(var_string(body->get("primaryObjectId")), a) ||
                !parse_int(var_string(body->get("objectIdToMerge")), b))
                return bad("primaryObjectId and objectIdToMerge are required ids"), true;
            std::int64_t merged = 0;
            try {
                merged = store_.merge(a, b, now_ms());
            } catch (const std::invalid_argument&) {
                return error_body(resp, 404, "OBJECT_NOT_FOUND",
                                  "Cannot merge: one of the contacts does not exist, is archived "
                                  "or both ids are the same"),
                       true;
            }
            store_.write_contact(resp.body, merged, false, props_or_default({}, false));
            return true;
        }
        std::int64_t id = 0;
        if (var_string(body->get("idProperty")) == "email")
            return bad("idProperty email is not supported by the simulator; use the record id"),
                   true;
        if (!parse_int(var_string(body->get("objectId")), id))
            return bad("objectId is required"), true;
        try {
            store_.gdpr_delete(id);
        } catch (const std::invalid_argument&) {
            return error_body(resp, 404, "OBJECT_NOT_FOUND",
                              "No contact with id " + std::to_string(id)),
                   true;
        }
        resp.status = 204;
        return true;
    }

    // ---- /{id}: GET, PATCH, DELETE
    if (rest.size() > 1 && rest.find('/', 1) == std::string::npos) {
        std::int64_t id = 0;
        if (!parse_int(std::string_view(rest).substr(1), id))
            return error_body(resp, 404, "OBJECT_NOT_FOUND",
                              "No contact with id " + std::string(rest.substr(1))),
                   true;
        if (req.method == "GET") {
            const bool archived = req.param("archived") == "true";
            const auto props = props_or_default(property_names(req, "properties"), false);
            if (!may_read(props)) return true;
            const std::int64_t resolved = store_.resolve(id);
            if (resolved == 0 || !store_.write_contact(resp.body, resolved, archived, props))
                error_body(resp, 404, "OBJECT_NOT_FOUND", "resource not found");
            return true;
        }
        if (req.method == "PATCH") {
            Poco::JSON::Object::Ptr body;
            std::vector<std::pair<int, std::string>> values;
            if (!parse_body(body) || !property_values(body, values)) return true;
            const std::int64_t resolved = store_.resolve(id);
            try {
                if (resolved == 0) throw std::invalid_argument("gone");
                store_.update(resolved, values, now_ms());
            } catch (const std::invalid_argument&) {
                return error_body(resp, 404, "OBJECT_NOT_FOUND", "resource not found"), true;
            }
            store_.write_contact(resp.body, resolved, false, props_or_default({}, false));
            return true;
        }
        if (req.method == "DELETE") {
            // HubSpot answers 204 for ids that do not exist too.
            try {
                store_.archive(id, now_ms());
            } catch (const std::invalid_argument&) {
            }
            resp.status = 204;
            return true;
        }
        return error_body(resp, 405, "VALIDATION_ERROR", "Method not allowed"), true;
    }
    error_body(resp, 404, "OBJECT_NOT_FOUND", "Unknown endpoint: " + req.method + " " + req.path);
    return true;
}

}  // namespace hubsync::sim
