// Admin endpoints under /_sim/: ground truth, the request log, faults, tokens and mutations,
// for demos and out-of-process tests. They bypass auth, rate limits, faults and the log.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>

#include "model/endpoints.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

void write_contact_json(std::string& out, const Record& c) {
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

std::string str(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o->has(key) || o->get(key).isEmpty()) return {};
    return o->get(key).convert<std::string>();
}

std::int64_t num(const Poco::JSON::Object::Ptr& o, const char* key, std::int64_t def) {
    const std::string s = str(o, key);
    std::int64_t v = def;
    if (!s.empty()) std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
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
    throw std::invalid_argument("unknown fault kind '" + s +
                                "' (status, rate_limit, reset, delay, truncated_json, "
                                "malformed_json, html_error)");
}

}  // namespace

void Simulator::Impl::route_admin(SimRequest& req, SimResponse& resp) {
    const std::string& path = req.path;
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    try {
        if (!req.body.empty()) {
            Poco::JSON::Parser parser;
            body = parser.parse(req.body).extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const Poco::Exception& e) {
        return error_body(resp, 400, "VALIDATION_ERROR",
                          "admin body is not a JSON object: " + e.displayText());
    }
    auto values_of = [&](const Poco::JSON::Object::Ptr& o) {
        std::map<std::string, std::string> out;
        if (auto props = o->getObject("properties"))
            for (const auto& [k, v] : *props)
                out[k] = v.isEmpty() ? std::string() : v.convert<std::string>();
        return out;
    };
    auto to_store = [&](const std::map<std::string, std::string>& m) {
        std::vector<std::pair<int, std::string>> out;
        for (const auto& [k, v] : m) {
            const int p = store_.property_index(k);
            if (p < 0) throw std::invalid_argument("unknown contact property: " + k);
            if (store_.property_read_only(k))
                throw std::invalid_argument("read-only contact property: " + k);
            out.emplace_back(p, v);
        }
        std::sort(out.begin(), out.end());
        return out;
    };

    try {
        if (path == "/_sim/contacts" && req.method == "GET") {
            const std::string which = req.param("archived");  // "", "true" (also archived), "only"
            const auto all =
                store_.truth(which == "true" || which == "only", req.param("sensitive") == "true");
            resp.body = "{\"results\":[";
            bool first = true;
            std::size_t n = 0;
            for (const auto& c : all) {
                if (which == "only" && !c.archived) continue;
                if (!first) resp.body += ",";
                first = false;
                write_contact_json(resp.body, c);
                ++n;
            }
            resp.body += "],\"total\":" + std::to_string(n) + "}";
            return;
        }
        if (path == "/_sim/contacts" && req.method == "POST") {
            const std::int64_t id = store_.create(to_store(values_of(body)), now_ms());
            resp.status = 201;
            resp.body = "{\"id\":\"" + std::to_string(id) + "\"}";
            return;
        }
        if (path.rfind("/_sim/contacts/", 0) == 0) {
            std::string rest = path.substr(15);
            std::string action;
            if (auto slash = rest.find('/'); slash != std::string::npos) {
                action = rest.substr(slash + 1);
                rest.resize(slash);
            }
            std::int64_t id = 0;
            std::from_chars(rest.data(), rest.data() + rest.size(), id);
            if (action.empty() && req.method == "PATCH") {
                store_.update(id, to_store(values_of(body)), now_ms());
            } else if (action.empty() && req.method == "GET") {
                auto c = store_.contact(id, req.param("sensitive") == "true");
                if (!c) return error_body(resp, 404, "OBJECT_NOT_FOUND", "no such contact");
                write_contact_json(resp.body, *c);
                return;
            } else if (action == "archive") {
                store_.archive(id, now_ms());
            } else if (action == "restore") {
                store_.restore(id, now_ms());
            } else if (action == "gdpr-delete") {
                store_.gdpr_delete(id);
            } else {
                return error_body(resp, 404, "OBJECT_NOT_FOUND", "unknown admin action");
            }
            resp.body = "{\"ok\":true}";
            return;
        }
        if (path == "/_sim/merge" && req.method == "POST") {
            const std::int64_t id = store_.merge(num(body, "primaryObjectId", 0),
                                                 num(body, "objectIdToMerge", 0), now_ms());
            resp.body = "{\"id\":\"" + std::to_string(id) + "\"}";
            return;
        }
        if (path == "/_sim/touch" && req.method == "POST") {  // many ids, one millisecond
            const auto values = to_store(values_of(body));
            const std::int64_t now = now_ms();
            auto ids = body->getArray("ids");
            if (!ids) throw std::invalid_argument("ids must be an array");
            for (std::size_t i = 0; i < ids->size(); ++i)
                store_.update(ids->get(static_cast<unsigned>(i)).convert<std::int64_t>(), values,
                              now);
            resp.body = "{\"updated\":" + std::to_string(ids->size()) + "}";
            return;
        }
        if (path == "/_sim/purge" && req.method == "POST") {
            const std::int64_t hours = num(body, "hours", 90 * 24);
            const int n = store_.purge_archived_before(now_ms() - hours * 3'600'000);
            resp.body = "{\"purged\":" + std::to_string(n) + "}";
            return;
        }
        if (path == "/_sim/properties" && req.method == "POST") {
            PropertyDef def{str(body, "name"),
                            str(body, "label"),
                            str(body, "type"),
                            str(body, "fieldType"),
                            str(body, "groupName"),
                            str(body, "description"),
                            false,
                            false,
                            false,
                            false,
                            {},
                            {}};
            if (def.name.empty()) throw std::invalid_argument("name is required");
            const auto sensitivity = parse_sensitivity(
                body->has("dataSensitivity") ? str(body, "dataSensitivity") : "non_sensitive");
            if (!sensitivity)
                throw std::invalid_argument(
                    "dataSensitivity must be non_sensitive, sensitive or highly_sensitive");
            store_.add_property(def, *sensitivity);
            resp.status = 201;
            resp.body = "{\"ok\":true}";
            return;
        }
        if (path == "/_sim/tokens" && req.method == "POST") {
            std::vector<std::string> scopes = opts_.granted_scopes;
            if (auto arr = body->getArray("scopes")) {
                scopes.clear();
                for (std::size_t i = 0; i < arr->size(); ++i)
                    scopes.push_back(arr->get(static_cast<unsigned>(i)).convert<std::string>());
            }
            const bool app_level = body->has("app_level") && body->get("app_level").convert<bool>();
            const Tokens t = app_level ? mint_app_token(scopes) : mint_tokens(scopes);
            resp.body = "{\"access_token\":";
            append_json_string(resp.body, t.access_token);
            resp.body += ",\"refresh_token\":";
            append_json_string(resp.body, t.refresh_token);
            resp.body += ",\"expires_in\":" + std::to_string(t.expires_in) + "}";
            return;
        }
        if (path == "/_sim/revoke-refresh-tokens" && req.method == "POST") {
            revoke_all_refresh_tokens();
            resp.body = "{\"ok\":true}";
            return;
        }
        if (path == "/_sim/settings" && req.method == "POST") {
            if (body->has("rotate_refresh_tokens"))
                rotate_ = body->get("rotate_refresh_tokens").convert<bool>();
            if (body->has("rate_limits")) rate_limits_ = body->get("rate_limits").convert<bool>();
            if (body->has("legacy_off")) legacy_off_ = body->get("legacy_off").convert<bool>();
            resp.body = std::string("{\"rotate_refresh_tokens\":") + (rotate_ ? "true" : "false") +
                        ",\"rate_limits\":" + (rate_limits_ ? "true" : "false") +
                        ",\"legacy_off\":" + (legacy_off_ ? "true" : "false") + "}";
            return;
        }
        if (path == "/_sim/requests") {
            std::lock_guard lock(log_mu_);
            if (req.method == "DELETE") {
                log_.clear();
                resp.status = 204;
                return;
            }
            resp.body = "{\"results\":[";
            bool first = true;
            for (const auto& r : log_) {
                if (!first) resp.body += ",";
                first = false;
                resp.body += "{\"method\":";
                append_json_string(resp.body, r.method);
                resp.body += ",\"path\":";
                append_json_string(resp.body, r.path);
                resp.body += ",\"query\":";
                append_json_string(resp.body, r.query);
                resp.body += ",\"status\":" + std::to_string(r.status) + ",\"at\":\"" +
                             format_iso8601(r.at) +
                             "\",\"expiredToken\":" + (r.expired_token ? "true" : "false") +
                             ",\"legacy\":" + (retired_generation_of(r.path) ? "true" : "false") +
                             "}";
            }
            resp.body += "]}";
            return;
        }
        if (path == "/_sim/faults") {
            if (req.method == "DELETE") {
                clear_faults();
                resp.status = 204;
                return;
            }
            if (req.method == "POST") {
                FaultRule r;
                r.kind = parse_kind(str(body, "kind"));
                r.path_prefix = str(body, "path_prefix");
                r.method = str(body, "method");
                r.status = static_cast<int>(
                    num(body, "status", r.kind == FaultRule::Kind::kHtmlError ? 502 : 503));
                r.count = static_cast<int>(num(body, "count", 1));
                if (body->has("fraction")) r.fraction = body->get("fraction").convert<double>();
                if (body->has("retry_after"))
                    r.retry_after_seconds = static_cast<int>(num(body, "retry_after", 0));
                if (body->has("retry_after_http_date"))
                    r.retry_after_http_date = body->get("retry_after_http_date").convert<bool>();
                r.delay = Millis(num(body, "delay_ms", 0));
                r.real_delay = Millis(num(body, "real_delay_ms", 0));
                add_fault(r);
                resp.status = 201;
                resp.body = "{\"ok\":true}";
                return;
            }
            resp.body = "{\"results\":[";
            bool first = true;
            for (const auto& f : faults()) {
                if (!first) resp.body += ",";
                first = false;
                resp.body +=
                    "{\"kind\":" + std::to_string(static_cast<int>(f.kind)) + ",\"path_prefix\":";
                append_json_string(resp.body, f.path_prefix);
                resp.body += ",\"method\":";
                append_json_string(resp.body, f.method);
                resp.body += ",\"status\":" + std::to_string(f.status) +
                             ",\"count\":" + std::to_string(f.count);
                if (f.retry_after_seconds)
                    resp.body += ",\"retry_after\":" + std::to_string(*f.retry_after_seconds) +
                                 ",\"retry_after_http_date\":" +
                                 (f.retry_after_http_date ? "true" : "false");
                resp.body += "}";
            }
            resp.body += "]}";
            return;
        }
    } catch (const std::invalid_argument& e) {
        return error_body(resp, 400, "VALIDATION_ERROR", e.what());
    } catch (const Poco::Exception& e) {
        return error_body(resp, 400, "VALIDATION_ERROR", e.displayText());
    }
    error_body(resp, 404, "OBJECT_NOT_FOUND", "Unknown admin endpoint: " + req.method + " " + path);
}

}  // namespace hubsync::sim
