// Admin endpoints under /_sim/: ground truth of every object type, the request log, faults,
// tokens, mutations, owners, pipelines and custom object types, for demos and out-of-process
// tests. They bypass auth, rate limits, faults and the log.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <stdexcept>

#include "core/text.h"
#include "model/endpoints.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

using JsonObject = Poco::JSON::Object::Ptr;

void write_record_json(std::string& out, const Record& c) {
    out += "{\"id\":\"" + std::to_string(c.id) + "\",\"properties\":{";
    bool first = true;
    for (const auto& p : c.properties) {
        if (!first) out += ",";
        first = false;
        append_json_string(out, p.name);
        out += ":";
        if (p.value) {
            append_json_string(out, *p.value);
        } else {
            out += "null";
        }
    }
    out += "},\"createdAt\":\"" + c.created_at + "\",\"updatedAt\":\"" + c.updated_at +
           "\",\"archived\":" + (c.archived ? "true" : "false");
    if (c.archived) out += ",\"archivedAt\":\"" + c.archived_at + "\"";
    out += "}";
}

std::string str(const JsonObject& o, const char* key) {
    if (!o || !o->has(key) || o->get(key).isEmpty()) return {};
    return o->get(key).convert<std::string>();
}

std::int64_t num(const JsonObject& o, const char* key, std::int64_t def) {
    return hubsync::parse_int<std::int64_t>(str(o, key)).value_or(def);
}

bool flag(const JsonObject& o, const char* key) {
    return o && o->has(key) && o->get(key).convert<bool>();
}

FaultRule::Kind parse_kind(const std::string& s) {
    using K = FaultRule::Kind;
    if (s == "status" || s.empty()) return K::kStatus;
    if (s == "rate_limit") return K::kRateLimit;
    if (s == "reset") return K::kResetMidBody;
    if (s == "delay") return K::kDelay;
    if (s == "truncated_json") return K::kTruncatedJson;
    if (s == "malformed_json") return K::kMalformedJson;
    if (s == "html_error") return K::kHtmlError;
    if (s == "empty_results") return K::kEmptyResults;
    throw std::invalid_argument("unknown fault kind '" + s +
                                "' (status, rate_limit, reset, delay, truncated_json, "
                                "malformed_json, html_error, empty_results)");
}

std::vector<PropertyOption> parse_options(const JsonObject& o) {
    std::vector<PropertyOption> out;
    auto arr = o ? o->getArray("options") : nullptr;
    if (!arr) return out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto opt = arr->getObject(static_cast<unsigned>(i));
        if (!opt) throw std::invalid_argument("options are objects with label and value");
        out.push_back(
            PropertyOption{str(opt, "value"), str(opt, "label"),
                           static_cast<int>(num(opt, "displayOrder", static_cast<std::int64_t>(i))),
                           flag(opt, "hidden")});
    }
    return out;
}

PropertyDef parse_property(const JsonObject& o) {
    PropertyDef def;
    def.name = str(o, "name");
    def.label = str(o, "label");
    def.type = str(o, "type");
    def.field_type = str(o, "fieldType");
    def.group_name = str(o, "groupName");
    def.description = str(o, "description");
    def.external_options = flag(o, "externalOptions");
    def.options = parse_options(o);
    if (def.name.empty()) throw std::invalid_argument("name is required");
    return def;
}

std::vector<SimPipeline> parse_pipelines(const JsonObject& o) {
    std::vector<SimPipeline> out;
    auto arr = o->getArray("pipelines");
    if (!arr) return out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto p = arr->getObject(static_cast<unsigned>(i));
        if (!p) throw std::invalid_argument("pipelines are objects");
        SimPipeline pipeline{str(p, "id"),
                             str(p, "label"),
                             static_cast<int>(num(p, "displayOrder", static_cast<std::int64_t>(i))),
                             flag(p, "archived"),
                             {},
                             {},
                             {}};
        auto stages = p->getArray("stages");
        for (std::size_t k = 0; stages && k < stages->size(); ++k) {
            auto s = stages->getObject(static_cast<unsigned>(k));
            if (!s) throw std::invalid_argument("stages are objects");
            SimPipelineStage stage{
                str(s, "id"),
                str(s, "label"),
                static_cast<int>(num(s, "displayOrder", static_cast<std::int64_t>(k))),
                flag(s, "archived"),
                {},
                {},
                {}};
            if (auto meta = s->getObject("metadata"))
                for (const auto& [key, value] : *meta)
                    stage.metadata[key] = value.isEmpty() ? std::string() : value.toString();
            pipeline.stages.push_back(std::move(stage));
        }
        if (pipeline.id.empty()) throw std::invalid_argument("a pipeline needs an id");
        out.push_back(std::move(pipeline));
    }
    return out;
}

CustomObjectSpec parse_custom_spec(const JsonObject& body) {
    CustomObjectSpec spec;
    spec.name = str(body, "name");
    if (auto labels = body->getObject("labels")) {
        spec.label_singular = str(labels, "singular");
        spec.label_plural = str(labels, "plural");
    }
    spec.primary_display_property = str(body, "primaryDisplayProperty");
    if (auto props = body->getArray("properties"))
        for (std::size_t i = 0; i < props->size(); ++i)
            spec.properties.push_back(parse_property(props->getObject(static_cast<unsigned>(i))));
    spec.records = static_cast<int>(num(body, "records", 0));
    spec.pipelines = parse_pipelines(body);
    return spec;
}

SimOwner parse_owner(const JsonObject& body) {
    SimOwner o;
    o.id = str(body, "id");
    if (body->has("userId")) o.user_id = num(body, "userId", 0);
    o.email = str(body, "email");
    o.first_name = str(body, "firstName");
    o.last_name = str(body, "lastName");
    if (body->has("type")) o.type = str(body, "type");
    if (auto teams = body->getArray("teams")) {
        for (std::size_t i = 0; i < teams->size(); ++i) {
            auto t = teams->getObject(static_cast<unsigned>(i));
            if (t) o.teams.push_back(SimTeam{str(t, "id"), str(t, "name"), flag(t, "primary")});
        }
    }
    return o;
}

void append_owner_json(std::string& out, const SimOwner& o) {
    out += "{\"id\":";
    append_json_string(out, o.id);
    out += ",\"email\":";
    append_json_string(out, o.email);
    out += ",\"type\":\"" + o.type + "\",\"archived\":" + (o.archived ? "true" : "false") + "}";
}

// One admin request.
// rate_limit, daily_limit, latency_ms, jitter_ms and latency_per_kb_ms of POST /_sim/settings.
void apply_limit_settings(Simulator::Impl& impl, const Poco::JSON::Object::Ptr& body) {
    auto number = [&](const char* key, double min) {
        const double n = body->get(key).convert<double>();
        if (n < min)
            throw std::invalid_argument(std::string(key) + " must be at least " +
                                        std::to_string(static_cast<int>(min)));
        return n;
    };
    auto micros = [&](const char* key) { return static_cast<std::int64_t>(number(key, 0) * 1000); };
    if (body->has("rate_limit")) impl.rate_limit_ = static_cast<int>(number("rate_limit", 1));
    if (body->has("daily_limit"))
        impl.daily_limit_ = static_cast<std::int64_t>(number("daily_limit", 0));
    if (body->has("latency_ms")) impl.latency_us_ = micros("latency_ms");
    if (body->has("jitter_ms")) impl.jitter_us_ = micros("jitter_ms");
    if (body->has("latency_per_kb_ms")) impl.per_kib_us_ = micros("latency_per_kb_ms");
}

void append_limit_settings(const Simulator::Impl& impl, std::string& out) {
    auto ms = [](std::int64_t us) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", static_cast<double>(us) / 1000.0);
        return std::string(buf);
    };
    out += ",\"rate_limit\":" + std::to_string(impl.rate_limit_.load()) +
           ",\"daily_limit\":" + std::to_string(impl.daily_limit_.load()) +
           ",\"latency_ms\":" + ms(impl.latency_us_.load()) +
           ",\"jitter_ms\":" + ms(impl.jitter_us_.load()) +
           ",\"latency_per_kb_ms\":" + ms(impl.per_kib_us_.load());
}

class AdminCall final {
  public:
    AdminCall(Simulator::Impl& sim, SimRequest& req, SimResponse& resp, JsonObject body)
        : sim_(sim), req_(req), resp_(resp), body_(std::move(body)) {}

    // True when some route answered.
    bool serve();

  private:
    bool is(std::string_view path, std::string_view method) const {
        return req_.path == path && req_.method == method;
    }
    // The object type a route works on: ?type= or "objectType" in the body (a body's "type"
    // is a property's or an owner's), contacts by default.
    RecordStore& store() {
        std::string type = req_.param("type");
        if (type.empty()) type = str(body_, "objectType");
        return sim_.portal_.get(type.empty() ? "contacts" : type);
    }
    Values values(RecordStore& store) const {
        std::vector<std::pair<std::string, std::string>> out;
        if (auto props = body_->getObject("properties"))
            for (const auto& [k, v] : *props)
                out.emplace_back(k, v.isEmpty() ? std::string() : v.convert<std::string>());
        return store.values_of(out);
    }
    void ok() { resp_.body = "{\"ok\":true}"; }

    bool serve_objects(RecordStore& store, std::string_view rest);
    void list_records(RecordStore& store);
    void record_action(RecordStore& store, std::int64_t id, std::string_view action);
    bool serve_data();
    bool serve_account();
    bool serve_tokens_and_settings();
    void list_requests();
    void serve_faults();

    Simulator::Impl& sim_;
    SimRequest& req_;
    SimResponse& resp_;
    JsonObject body_;
};

bool AdminCall::serve() {
    const std::string& path = req_.path;
    if (path == "/_sim/contacts" || path.rfind("/_sim/contacts/", 0) == 0)
        return serve_objects(sim_.portal_.get("contacts"), std::string_view(path).substr(14));
    if (path.rfind("/_sim/objects/", 0) == 0) {
        const std::string_view tail = std::string_view(path).substr(14);
        const std::string_view type = tail.substr(0, tail.find('/'));
        return serve_objects(sim_.portal_.get(type), tail.substr(type.size()));
    }
    if (serve_data() || serve_account() || serve_tokens_and_settings()) return true;
    if (path == "/_sim/requests") {
        list_requests();
        return true;
    }
    if (path == "/_sim/faults") {
        serve_faults();
        return true;
    }
    return false;
}

// "" (list, create), "/{id}" (get, patch), "/{id}/archive|restore|gdpr-delete".
bool AdminCall::serve_objects(RecordStore& store, std::string_view rest) {
    if (rest.empty() && req_.method == "GET") {
        list_records(store);
        return true;
    }
    if (rest.empty() && req_.method == "POST") {
        const std::int64_t id = store.create(values(store), sim_.now_ms());
        resp_.status = 201;
        resp_.body = "{\"id\":\"" + std::to_string(id) + "\"}";
        return true;
    }
    if (rest.size() < 2) return false;
    rest.remove_prefix(1);
    const std::string_view id_text = rest.substr(0, rest.find('/'));
    std::string_view action = rest.substr(id_text.size());
    if (!action.empty()) action.remove_prefix(1);
    record_action(store, hubsync::parse_int<std::int64_t>(id_text).value_or(0), action);
    return true;
}

// ?archived= "" (active), "true" (also archived), "only"; ?sensitive=true for those values.
void AdminCall::list_records(RecordStore& store) {
    const std::string which = req_.param("archived");
    const auto all =
        store.truth(which == "true" || which == "only", req_.param("sensitive") == "true");
    resp_.body = "{\"results\":[";
    bool first = true;
    std::size_t n = 0;
    for (const auto& c : all) {
        if (which == "only" && !c.archived) continue;
        if (!first) resp_.body += ",";
        first = false;
        write_record_json(resp_.body, c);
        ++n;
    }
    resp_.body += "],\"total\":" + std::to_string(n) + "}";
}

void AdminCall::record_action(RecordStore& store, std::int64_t id, std::string_view action) {
    if (action.empty() && req_.method == "PATCH") {
        store.update(id, values(store), sim_.now_ms());
    } else if (action.empty() && req_.method == "GET") {
        auto c = store.record(id, req_.param("sensitive") == "true");
        if (!c)
            return sim_.error_body(resp_, 404, "OBJECT_NOT_FOUND",
                                   "no such " + lower(store.info().label_singular));
        return write_record_json(resp_.body, *c);
    } else if (action == "archive") {
        store.archive(id, sim_.now_ms());
    } else if (action == "restore") {
        store.restore(id, sim_.now_ms());
    } else if (action == "gdpr-delete") {
        store.gdpr_delete(id);
    } else {
        return sim_.error_body(resp_, 404, "OBJECT_NOT_FOUND", "unknown admin action");
    }
    ok();
}

// Merges, bulk touches, purges, properties, options and custom object types.
bool AdminCall::serve_data() {
    if (is("/_sim/merge", "POST")) {
        const std::int64_t id = store().merge(num(body_, "primaryObjectId", 0),
                                              num(body_, "objectIdToMerge", 0), sim_.now_ms());
        resp_.body = "{\"id\":\"" + std::to_string(id) + "\"}";
    } else if (is("/_sim/touch", "POST")) {  // many ids, one millisecond
        RecordStore& s = store();
        const Values v = values(s);
        const std::int64_t now = sim_.now_ms();
        auto ids = body_->getArray("ids");
        if (!ids) throw std::invalid_argument("ids must be an array");
        for (std::size_t i = 0; i < ids->size(); ++i)
            s.update(ids->get(static_cast<unsigned>(i)).convert<std::int64_t>(), v, now);
        resp_.body = "{\"updated\":" + std::to_string(ids->size()) + "}";
    } else if (is("/_sim/purge", "POST")) {  // every type
        const std::int64_t cutoff = sim_.now_ms() - num(body_, "hours", 90 * 24) * 3'600'000;
        int n = 0;
        for (RecordStore* s : sim_.portal_.stores())
            n += s->purge_archived_before(cutoff);
        resp_.body = "{\"purged\":" + std::to_string(n) + "}";
    } else if (is("/_sim/properties", "POST")) {
        const auto sensitivity = parse_sensitivity(
            body_->has("dataSensitivity") ? str(body_, "dataSensitivity") : "non_sensitive");
        if (!sensitivity)
            throw std::invalid_argument(
                "dataSensitivity must be non_sensitive, sensitive or highly_sensitive");
        store().add_property(parse_property(body_), *sensitivity);
        resp_.status = 201;
        ok();
    } else if (is("/_sim/options/relabel", "POST")) {
        store().relabel_option(str(body_, "property"), str(body_, "value"), str(body_, "label"));
        ok();
    } else if (is("/_sim/schemas", "POST")) {
        const RecordStore& s =
            sim_.portal_.add_custom_type(parse_custom_spec(body_), sim_.now_ms());
        resp_.status = 201;
        resp_.body = "{\"objectTypeId\":\"" + s.info().type.type_id +
                     "\",\"fullyQualifiedName\":\"" + s.info().fully_qualified_name + "\"}";
    } else if (is("/_sim/types", "GET")) {
        resp_.body = "{\"results\":[";
        bool first = true;
        for (const RecordStore* s : sim_.portal_.stores()) {
            if (!first) resp_.body += ",";
            first = false;
            resp_.body += "{\"name\":\"" + s->info().type.name + "\",\"objectTypeId\":\"" +
                          s->info().type.type_id +
                          "\",\"custom\":" + (s->info().type.custom ? "true" : "false") + "}";
        }
        resp_.body += "]}";
    } else {
        return false;
    }
    return true;
}

// Owners and pipelines.
bool AdminCall::serve_account() {
    const std::string& path = req_.path;
    auto& owners = sim_.portal_.owners();
    if (is("/_sim/owners", "GET")) {
        const std::string which = req_.param("archived");  // "", "true" (only), "all"
        std::vector<SimOwner> list;
        if (which != "true") list = owners.list(false);
        if (which == "true" || which == "all")
            for (auto& o : owners.list(true))
                list.push_back(std::move(o));
        resp_.body = "{\"results\":[";
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i) resp_.body += ",";
            append_owner_json(resp_.body, list[i]);
        }
        resp_.body += "]}";
    } else if (is("/_sim/owners", "POST")) {
        const std::string id = owners.add(parse_owner(body_), sim_.now_ms());
        resp_.status = 201;
        resp_.body = "{\"id\":\"" + id + "\"}";
    } else if (req_.method == "POST" && path.rfind("/_sim/owners/", 0) == 0 && path.size() > 21 &&
               path.compare(path.size() - 8, 8, "/archive") == 0) {
        owners.archive(path.substr(13, path.size() - 21), sim_.now_ms());
        ok();
    } else if (is("/_sim/pipelines/relabel", "POST")) {
        sim_.portal_.pipelines().relabel_pipeline(
            store().info().type.name, str(body_, "pipelineId"), str(body_, "label"), sim_.now_ms());
        ok();
    } else if (is("/_sim/stages/relabel", "POST")) {
        sim_.portal_.pipelines().relabel_stage(store().info().type.name, str(body_, "pipelineId"),
                                               str(body_, "stageId"), str(body_, "label"),
                                               sim_.now_ms());
        ok();
    } else {
        return false;
    }
    return true;
}

bool AdminCall::serve_tokens_and_settings() {
    if (is("/_sim/tokens", "POST")) {
        std::vector<std::string> scopes = sim_.opts_.granted_scopes;
        if (auto arr = body_->getArray("scopes")) {
            scopes.clear();
            for (std::size_t i = 0; i < arr->size(); ++i)
                scopes.push_back(arr->get(static_cast<unsigned>(i)).convert<std::string>());
        }
        const Simulator::Tokens t =
            flag(body_, "app_level") ? sim_.mint_app_token(scopes) : sim_.mint_tokens(scopes);
        resp_.body = "{\"access_token\":";
        append_json_string(resp_.body, t.access_token);
        resp_.body += ",\"refresh_token\":";
        append_json_string(resp_.body, t.refresh_token);
        resp_.body += ",\"expires_in\":" + std::to_string(t.expires_in) + "}";
    } else if (is("/_sim/revoke-refresh-tokens", "POST")) {
        sim_.revoke_all_refresh_tokens();
        ok();
    } else if (is("/_sim/settings", "POST")) {
        if (body_->has("rotate_refresh_tokens"))
            sim_.rotate_ = flag(body_, "rotate_refresh_tokens");
        if (body_->has("rate_limits")) sim_.rate_limits_ = flag(body_, "rate_limits");
        if (body_->has("legacy_off")) sim_.legacy_off_ = flag(body_, "legacy_off");
        apply_limit_settings(sim_, body_);
        resp_.body = std::string("{\"rotate_refresh_tokens\":") +
                     (sim_.rotate_ ? "true" : "false") +
                     ",\"rate_limits\":" + (sim_.rate_limits_ ? "true" : "false") +
                     ",\"legacy_off\":" + (sim_.legacy_off_ ? "true" : "false");
        append_limit_settings(sim_, resp_.body);
        resp_.body += "}";
    } else {
        return false;
    }
    return true;
}

void AdminCall::list_requests() {
    std::lock_guard lock(sim_.log_mu_);
    if (req_.method == "DELETE") {
        sim_.log_.clear();
        resp_.status = 204;
        return;
    }
    resp_.body = "{\"results\":[";
    bool first = true;
    for (const auto& r : sim_.log_) {
        if (!first) resp_.body += ",";
        first = false;
        resp_.body += "{\"method\":";
        append_json_string(resp_.body, r.method);
        resp_.body += ",\"path\":";
        append_json_string(resp_.body, r.path);
        resp_.body += ",\"query\":";
        append_json_string(resp_.body, r.query);
        resp_.body += ",\"status\":" + std::to_string(r.status) + ",\"at\":\"" +
                      format_iso8601(r.at) +
                      "\",\"expiredToken\":" + (r.expired_token ? "true" : "false") +
                      ",\"legacy\":" + (retired_generation_of(r.path) ? "true" : "false") + "}";
    }
    resp_.body += "]}";
}

void AdminCall::serve_faults() {
    if (req_.method == "DELETE") {
        sim_.clear_faults();
        resp_.status = 204;
        return;
    }
    if (req_.method == "POST") {
        FaultRule r;
        r.kind = parse_kind(str(body_, "kind"));
        r.path_prefix = str(body_, "path_prefix");
        r.method = str(body_, "method");
        r.status = static_cast<int>(
            num(body_, "status", r.kind == FaultRule::Kind::kHtmlError ? 502 : 503));
        r.count = static_cast<int>(num(body_, "count", 1));
        if (body_->has("fraction")) r.fraction = body_->get("fraction").convert<double>();
        if (body_->has("retry_after"))
            r.retry_after_seconds = static_cast<int>(num(body_, "retry_after", 0));
        if (body_->has("retry_after_http_date"))
            r.retry_after_http_date = flag(body_, "retry_after_http_date");
        r.delay = Millis(num(body_, "delay_ms", 0));
        r.real_delay = Millis(num(body_, "real_delay_ms", 0));
        sim_.add_fault(r);
        resp_.status = 201;
        ok();
        return;
    }
    resp_.body = "{\"results\":[";
    bool first = true;
    for (const auto& f : sim_.faults()) {
        if (!first) resp_.body += ",";
        first = false;
        resp_.body += "{\"kind\":" + std::to_string(static_cast<int>(f.kind)) + ",\"path_prefix\":";
        append_json_string(resp_.body, f.path_prefix);
        resp_.body += ",\"method\":";
        append_json_string(resp_.body, f.method);
        resp_.body +=
            ",\"status\":" + std::to_string(f.status) + ",\"count\":" + std::to_string(f.count);
        if (f.retry_after_seconds)
            resp_.body +=
                ",\"retry_after\":" + std::to_string(*f.retry_after_seconds) +
                ",\"retry_after_http_date\":" + (f.retry_after_http_date ? "true" : "false");
        resp_.body += "}";
    }
    resp_.body += "]}";
}

}  // namespace

void Simulator::Impl::route_admin(SimRequest& req, SimResponse& resp) {
    JsonObject body = new Poco::JSON::Object;
    try {
        if (!req.body.empty()) {
            Poco::JSON::Parser parser;
            body = parser.parse(req.body).extract<JsonObject>();
        }
    } catch (const Poco::Exception& e) {
        return error_body(resp, 400, "VALIDATION_ERROR",
                          "admin body is not a JSON object: " + e.displayText());
    }
    try {
        if (route_admin_associations(req, resp)) return;
        if (AdminCall(*this, req, resp, body).serve()) return;
    } catch (const std::invalid_argument& e) {
        return error_body(resp, 400, "VALIDATION_ERROR", e.what());
    } catch (const Poco::Exception& e) {
        return error_body(resp, 400, "VALIDATION_ERROR", e.displayText());
    }
    error_body(resp, 404, "OBJECT_NOT_FOUND",
               "Unknown admin endpoint: " + req.method + " " + req.path);
}

}  // namespace hubsync::sim
