// The simulator's CRM endpoints for every object type: list/get/batch read/search/create/
// update/archive/merge/GDPR delete and property definitions, at /crm/v3/ and at the dated twins
// of every version in model/endpoints.h (/crm/objects/{V}/{type}, /crm/properties/{V}/{type}).
// One code path serves every type; what differs is the type's schema.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

#include "core/text.h"
#include "model/endpoints.h"
#include "model/object_type.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {

bool parse_int(std::string_view s, std::int64_t& out) {
    const auto value = hubsync::parse_int<std::int64_t>(s);
    if (value) out = *value;
    return value.has_value();
}

std::string encode_cursor(std::int64_t id) {
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

bool decode_cursor(std::string_view s, std::int64_t& id) {
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

namespace {

constexpr std::size_t kMaxSearchBody = 3000;
constexpr std::int64_t kMaxSearchResults = 10'000;

const std::vector<std::string> kOperators = {"EQ",
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

// Splits a CRM path into its family, the type segment and what follows it ("", "/search",
// "/123"...). False for any other path.
bool parse_crm_path(std::string_view path, CrmFamily& family, std::string_view& type,
                    std::string_view& rest) {
    for (const auto& [base, f] : crm_bases()) {
        if (path.substr(0, base.size()) != base) continue;
        const std::string_view tail = path.substr(base.size());
        type = tail.substr(0, tail.find('/'));
        family = f;
        rest = tail.substr(type.size());
        return !type.empty();
    }
    return false;
}

// One request to an object or properties endpoint of one type: authorization, the rate
// bucket, then the operation.
class CrmCall final {
  public:
    CrmCall(Simulator::Impl& sim, SimRequest& req, SimResponse& resp, RecordStore& store)
        : sim_(sim), req_(req), resp_(resp), store_(store), info_(store.info()) {}

    void serve_properties();
    void serve_objects(std::string_view rest);

  private:
    bool authorize(std::string_view scope, std::string_view alternative = {}) {
        return sim_.authenticate(req_, resp_, scope, token_, alternative);
    }
    void bad(const std::string& message) {
        sim_.error_body(resp_, 400, "VALIDATION_ERROR", message);
    }
    void not_found(const std::string& message) {
        sim_.error_body(resp_, 404, "OBJECT_NOT_FOUND", message);
    }
    std::string noun() const { return lower(info_.label_singular); }
    bool parse_body(Poco::JSON::Object::Ptr& out);
    bool property_values(const Poco::JSON::Object::Ptr& body, Values& out);
    std::vector<int> props_or_default(const std::vector<std::string>& names, bool for_search);
    bool may_read(const std::vector<int>& props);
    std::string_view scope_for(DataSensitivity sensitivity) const;

    void list();
    void create();
    void batch_read();
    void search();
    void parse_search(const Poco::JSON::Object::Ptr& body, SearchQuery& q,
                      std::vector<std::string>& names, std::int64_t& limit, std::int64_t& offset);
    void merge();
    void gdpr_delete();
    void by_id(std::string_view id_text);

    Simulator::Impl& sim_;
    SimRequest& req_;
    SimResponse& resp_;
    RecordStore& store_;
    const TypeInfo& info_;
    std::string token_;
};

bool CrmCall::parse_body(Poco::JSON::Object::Ptr& out) {
    try {
        Poco::JSON::Parser parser;
        auto v = parser.parse(req_.body.empty() ? std::string("{}") : req_.body);
        out = v.extract<Poco::JSON::Object::Ptr>();
        if (!out) throw std::invalid_argument("not an object");
        return true;
    } catch (const std::exception&) {  // Poco::Exception included
    }
    bad("Invalid input JSON on line 1: the request body is not a JSON object");
    return false;
}

// Validates {"properties":{...}} for create/update into store values.
bool CrmCall::property_values(const Poco::JSON::Object::Ptr& body, Values& out) {
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
                        (p < 0 ? "does not exist" : "is read-only") + "\",\"error\":\"" + error +
                        "\",\"name\":\"" + name + "\"}";
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
}

// The type's defaults without `properties`; with them, the created, last-modified and id
// properties are always added.
std::vector<int> CrmCall::props_or_default(const std::vector<std::string>& names, bool for_search) {
    const std::vector<std::string> always = {info_.type.created_property, "hs_object_id",
                                             info_.type.last_modified_property};
    std::vector<std::string> all = names;
    if (names.empty()) {
        all = for_search ? always : info_.default_properties;
        if (for_search) std::sort(all.begin(), all.end());
    } else {
        for (const auto& d : always)
            if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
    }
    return store_.property_indexes(all);
}

std::string_view CrmCall::scope_for(DataSensitivity sensitivity) const {
    return sensitivity == DataSensitivity::kHighlySensitive ? info_.highly_sensitive_scope
                                                            : info_.sensitive_scope;
}

// Values of sensitive properties need their scopes on the token: false (and a 403 naming the
// missing ones) without.
bool CrmCall::may_read(const std::vector<int>& props) {
    const SensitivityUse use = store_.sensitivity_use(props);
    if (!use.any()) return true;
    std::vector<std::string_view> missing;
    for (const auto& [used, level] :
         {std::pair{use.sensitive, DataSensitivity::kSensitive},
          std::pair{use.highly_sensitive, DataSensitivity::kHighlySensitive}}) {
        const std::string_view scope = scope_for(level);
        if (used && !sim_.token_has_scope(token_, scope)) missing.push_back(scope);
    }
    if (missing.empty()) return true;
    sim_.missing_scopes(resp_, missing);
    return false;
}

// GET /crm/v3/properties/{type}: sensitive ones only when asked for, and then only those.
// Readable with the schema scope or the type's read scope.
void CrmCall::serve_properties() {
    if (!authorize(info_.schema_scope, info_.type.read_scope)) return;
    if (!sim_.take_ten_secondly(resp_)) return;
    if (req_.method != "GET") return bad("Only GET is supported here");
    DataSensitivity wanted = DataSensitivity::kNonSensitive;
    if (req_.has_param("dataSensitivity")) {
        const auto parsed = parse_sensitivity(req_.param("dataSensitivity"));
        if (!parsed)
            return bad("dataSensitivity must be non_sensitive, sensitive or highly_sensitive");
        wanted = *parsed;
    }
    resp_.body = "{\"results\":[";
    bool first = true;
    for (const auto& p : store_.properties()) {
        if (p.sensitivity != wanted) continue;
        if (!first) resp_.body += ",";
        first = false;
        append_property_json(resp_.body, p);
    }
    resp_.body += "]}";
}

void CrmCall::serve_objects(std::string_view rest) {
    const bool search_call = rest == "/search";
    const bool write = req_.method != "GET" && rest != "/batch/read" && !search_call;
    if (!authorize(write ? info_.write_scope : info_.type.read_scope)) return;
    if (search_call ? !sim_.take_secondly(resp_) : !sim_.take_ten_secondly(resp_)) return;

    if (rest.empty() && req_.method == "GET") return list();
    if (rest.empty() && req_.method == "POST") return create();
    if (rest == "/batch/read") return batch_read();
    if (search_call) return search();
    if (rest == "/merge") return merge();
    if (rest == "/gdpr-delete") return gdpr_delete();
    if (rest.size() > 1 && rest.find('/', 1) == std::string::npos) return by_id(rest.substr(1));
    not_found("Unknown endpoint: " + req_.method + " " + req_.path);
}

void CrmCall::list() {
    std::int64_t limit = 10;
    if (req_.has_param("limit") && (!parse_int(req_.param("limit"), limit) || limit < 1))
        return bad("limit must be a positive integer");
    if (limit > 100) return bad("limit must be at most 100 (got " + std::to_string(limit) + ")");
    std::int64_t after = 0;
    if (req_.has_param("after") && !decode_cursor(req_.param("after"), after))
        return bad("after is not a valid paging cursor; pass back paging.next.after unchanged");
    const bool archived = req_.param("archived") == "true";
    const auto props = props_or_default(property_names(req_, "properties"), false);
    if (!may_read(props)) return;
    resp_.body.reserve(static_cast<std::size_t>(limit) * (props.size() * 40 + 200) + 256);
    const std::int64_t next =
        store_.write_list_page(resp_.body, after, static_cast<int>(limit), archived, props);
    if (next != 0) {
        const std::string cursor = encode_cursor(next);
        resp_.body += ",\"paging\":{\"next\":{\"after\":\"" + cursor + "\",\"link\":\"" +
                      (sim_.tls_ ? "https" : "http") +
                      "://127.0.0.1:" + std::to_string(sim_.port_) + req_.path +
                      "?after=" + cursor + "&limit=" + std::to_string(limit) +
                      (archived ? "&archived=true" : "") + "\"}}";
    }
    resp_.body += "}";
}

void CrmCall::create() {
    Poco::JSON::Object::Ptr body;
    Values values;
    if (!parse_body(body) || !property_values(body, values)) return;
    const std::int64_t id = store_.create(values, sim_.now_ms());
    store_.write_record(resp_.body, id, false, props_or_default({}, false));
    resp_.status = 201;
}

void CrmCall::batch_read() {
    if (req_.method != "POST") return bad("Use POST for batch/read");
    Poco::JSON::Object::Ptr body;
    if (!parse_body(body)) return;
    auto inputs = body->getArray("inputs");
    if (!inputs) return bad("inputs is required and must be an array");
    if (inputs->size() > 100)
        return bad("Too many inputs: at most 100 per batch (got " + std::to_string(inputs->size()) +
                   ")");
    if (body->has("idProperty") && var_string(body->get("idProperty")) != "hs_object_id" &&
        !var_string(body->get("idProperty")).empty())
        return bad("idProperty other than hs_object_id is not supported by the simulator");
    std::vector<std::string> names;
    try {
        names = string_array(body, "properties");
    } catch (const std::exception& e) {
        return bad(e.what());
    }
    const auto props = props_or_default(names, false);
    if (!may_read(props)) return;
    const bool archived = req_.param("archived") == "true";
    const std::string started = format_iso8601(sim_.clock_->now());
    std::string results, missing;
    std::vector<std::int64_t> seen;
    for (std::size_t i = 0; i < inputs->size(); ++i) {
        auto in = inputs->getObject(static_cast<unsigned>(i));
        const std::string id_text = in ? var_string(in->get("id")) : std::string();
        std::int64_t id = 0;
        const std::int64_t resolved = parse_int(id_text, id) ? store_.resolve(id) : 0;
        if (resolved != 0 && std::find(seen.begin(), seen.end(), resolved) != seen.end()) continue;
        std::string rec;
        if (resolved != 0 && store_.write_record(rec, resolved, archived, props)) {
            seen.push_back(resolved);
            if (!results.empty()) results += ",";
            results += rec;
        } else {
            if (!missing.empty()) missing += ",";
            append_json_string(missing, id_text);
        }
    }
    resp_.body = "{\"status\":\"COMPLETE\",\"results\":[" + results + "]";
    if (!missing.empty()) {
        resp_.status = 207;
        resp_.body +=
            ",\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
            "\"OBJECT_NOT_FOUND\",\"message\":\"Could not get some " +
            info_.error_noun +
            " objects, they may be deleted or not exist. Check that ids are valid.\","
            "\"context\":{\"ids\":[" +
            missing + "]}}]";
    }
    resp_.body += ",\"startedAt\":\"" + started + "\",\"completedAt\":\"" +
                  format_iso8601(sim_.clock_->now()) + "\"}";
}

Filter parse_filter(const Poco::JSON::Object::Ptr& fo, const RecordStore& store) {
    if (!fo) throw std::invalid_argument("a filter must be an object");
    Filter filter;
    filter.property = var_string(fo->get("propertyName"));
    filter.op = var_string(fo->get("operator"));
    filter.value = var_string(fo->get("value"));
    filter.high_value = var_string(fo->get("highValue"));
    filter.values = string_array(fo, "values");
    if (std::find(kOperators.begin(), kOperators.end(), filter.op) == kOperators.end())
        throw std::invalid_argument("unknown filter operator '" + filter.op + "'");
    if (store.property_type(filter.property).empty())
        throw std::invalid_argument("Unable to find property '" + filter.property + "'");
    const bool needs_value = filter.op != "HAS_PROPERTY" && filter.op != "NOT_HAS_PROPERTY" &&
                             filter.op != "IN" && filter.op != "NOT_IN";
    if (needs_value && !fo->has("value"))
        throw std::invalid_argument("operator " + filter.op + " needs a value");
    if (filter.op == "BETWEEN" && !fo->has("highValue"))
        throw std::invalid_argument("operator BETWEEN needs value and highValue");
    if ((filter.op == "IN" || filter.op == "NOT_IN") && !fo->has("values"))
        throw std::invalid_argument("operator " + filter.op + " needs values");
    if (filter.op == "IN" || filter.op == "NOT_IN")
        for (auto& v : filter.values)
            v = lower(v);
    return filter;
}

// The search body's filters, sort, limit, after and query; std::invalid_argument (or a POCO
// exception) for anything HubSpot refuses.
void CrmCall::parse_search(const Poco::JSON::Object::Ptr& body, SearchQuery& q,
                           std::vector<std::string>& names, std::int64_t& limit,
                           std::int64_t& offset) {
    names = string_array(body, "properties");
    std::size_t total_filters = 0;
    if (auto groups = body->getArray("filterGroups")) {
        if (groups->size() > 5) throw std::invalid_argument("at most 5 filterGroups are allowed");
        for (std::size_t g = 0; g < groups->size(); ++g) {
            auto group = groups->getObject(static_cast<unsigned>(g));
            auto filters = group ? group->getArray("filters") : nullptr;
            if (!filters) throw std::invalid_argument("each filterGroup needs a filters array");
            if (filters->size() > 6)
                throw std::invalid_argument("at most 6 filters per filterGroup are allowed");
            total_filters += filters->size();
            q.groups.emplace_back();
            for (std::size_t f = 0; f < filters->size(); ++f)
                q.groups.back().push_back(
                    parse_filter(filters->getObject(static_cast<unsigned>(f)), store_));
        }
    }
    if (total_filters > 18) throw std::invalid_argument("at most 18 filters in total are allowed");
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
            throw std::invalid_argument("limit must be at most 200 (got " + std::to_string(limit) +
                                        ")");
    }
    if (body->has("after") && !var_string(body->get("after")).empty()) {
        if (!parse_int(var_string(body->get("after")), offset) || offset < 0)
            throw std::invalid_argument("after must be an integer offset");
    }
    if (body->has("query")) q.query = var_string(body->get("query"));
}

void CrmCall::search() {
    if (req_.method != "POST") return bad("Use POST for search");
    if (req_.body.size() > kMaxSearchBody)
        return bad("Request body is " + std::to_string(req_.body.size()) +
                   " characters; search bodies are limited to 3000");
    Poco::JSON::Object::Ptr body;
    if (!parse_body(body)) return;
    SearchQuery q;
    std::vector<std::string> names;
    std::int64_t limit = 10, offset = 0;
    try {
        parse_search(body, q, names, limit, offset);
    } catch (const std::invalid_argument& e) {
        return bad(e.what());
    } catch (const Poco::Exception& e) {
        return bad("Invalid search request: " + e.displayText());
    }
    if (offset >= kMaxSearchResults)
        return bad("Paging past 10000 results is not allowed: narrow the query (after=" +
                   std::to_string(offset) + ")");
    const auto props = props_or_default(names, true);
    // Filtering or sorting on a sensitive property reads its values too.
    std::vector<std::string> used = {q.sort_property};
    for (const auto& g : q.groups)
        for (const auto& f : g)
            used.push_back(f.property);
    std::vector<int> read = store_.property_indexes(used);
    read.insert(read.end(), props.begin(), props.end());
    if (!may_read(read)) return;
    const std::int64_t total =
        store_.search(resp_.body, q, offset, static_cast<int>(limit), sim_.now_ms(), props);
    if (offset + limit < total && limit > 0)
        resp_.body +=
            ",\"paging\":{\"next\":{\"after\":\"" + std::to_string(offset + limit) + "\"}}";
    resp_.body += "}";
    // Search responses carry no rate-limit headers.
    resp_.headers.clear();
}

void CrmCall::merge() {
    if (req_.method != "POST") return bad("Use POST");
    Poco::JSON::Object::Ptr body;
    if (!parse_body(body)) return;
    std::int64_t a = 0, b = 0;
    if (!parse_int(var_string(body->get("primaryObjectId")), a) ||
        !parse_int(var_string(body->get("objectIdToMerge")), b))
        return bad("primaryObjectId and objectIdToMerge are required ids");
    std::int64_t merged = 0;
    try {
        merged = store_.merge(a, b, sim_.now_ms());
    } catch (const std::invalid_argument&) {
        return not_found("Cannot merge: one of the " + info_.type.name +
                         " does not exist, is archived or both ids are the same");
    }
    store_.write_record(resp_.body, merged, false, props_or_default({}, false));
}

void CrmCall::gdpr_delete() {
    if (req_.method != "POST") return bad("Use POST");
    Poco::JSON::Object::Ptr body;
    if (!parse_body(body)) return;
    std::int64_t id = 0;
    if (var_string(body->get("idProperty")) == "email")
        return bad("idProperty email is not supported by the simulator; use the record id");
    if (!parse_int(var_string(body->get("objectId")), id)) return bad("objectId is required");
    try {
        store_.gdpr_delete(id);
    } catch (const std::invalid_argument&) {
        return not_found("No " + noun() + " with id " + std::to_string(id));
    }
    resp_.status = 204;
}

// /{id}: GET, PATCH, DELETE.
void CrmCall::by_id(std::string_view id_text) {
    std::int64_t id = 0;
    if (!parse_int(id_text, id))
        return not_found("No " + noun() + " with id " + std::string(id_text));
    if (req_.method == "GET") {
        const bool archived = req_.param("archived") == "true";
        const auto props = props_or_default(property_names(req_, "properties"), false);
        if (!may_read(props)) return;
        const std::int64_t resolved = store_.resolve(id);
        if (resolved == 0 || !store_.write_record(resp_.body, resolved, archived, props))
            not_found("resource not found");
        return;
    }
    if (req_.method == "PATCH") {
        Poco::JSON::Object::Ptr body;
        Values values;
        if (!parse_body(body) || !property_values(body, values)) return;
        const std::int64_t resolved = store_.resolve(id);
        try {
            if (resolved == 0) throw std::invalid_argument("gone");
            store_.update(resolved, values, sim_.now_ms());
        } catch (const std::invalid_argument&) {
            return not_found("resource not found");
        }
        store_.write_record(resp_.body, resolved, false, props_or_default({}, false));
        return;
    }
    if (req_.method == "DELETE") {
        // HubSpot answers 204 for ids that do not exist too.
        try {
            store_.archive(id, sim_.now_ms());
        } catch (const std::invalid_argument&) {
        }
        resp_.status = 204;
        return;
    }
    sim_.error_body(resp_, 405, "VALIDATION_ERROR", "Method not allowed");
}

}  // namespace

bool Simulator::Impl::route_crm(SimRequest& req, SimResponse& resp) {
    CrmFamily family = CrmFamily::kObjects;
    std::string_view type, rest;
    if (!parse_crm_path(req.path, family, type, rest)) return route_account(req, resp);
    RecordStore* store = portal_.find(type);
    if (!store) return false;  // an unknown object type: 404
    CrmCall call(*this, req, resp, *store);
    if (family == CrmFamily::kProperties) {
        if (!rest.empty()) return false;
        call.serve_properties();
    } else {
        call.serve_objects(rest);
    }
    return true;
}

}  // namespace hubsync::sim
