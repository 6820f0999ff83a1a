// The association endpoints: batch read with labels (per-record paging, 207 for records that do
// not exist, exempt from the 10-second bucket as HubSpot's spec says) and the labels list, at
// /crm/v4/associations/{from}/{to}/... and the dated twins of every version; and the admin
// routes that add, remove and relabel links without touching either record.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

#include "model/endpoints.h"
#include "sim/impl.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr std::size_t kMaxInputs = 1000;

// Where association paths start, up to {from}: legacy v4 and every dated version.
const std::vector<std::string>& association_bases() {
    static const std::vector<std::string> bases = [] {
        std::vector<std::string> b = {"/crm/v4/associations/"};
        for (const ApiVersion& v : api_versions()) {
            const std::string path = endpoint_path(Endpoint::kAssociationLabels, v.name, "\x01");
            b.push_back(path.substr(0, path.find('\x01')));
        }
        return b;
    }();
    return bases;
}

// {base}{from}/{to}/batch/read or {base}{from}/{to}/labels.
bool parse_association_path(std::string_view path, std::string_view& from, std::string_view& to,
                            std::string_view& op) {
    for (const std::string& base : association_bases()) {
        if (path.substr(0, base.size()) != base) continue;
        std::string_view rest = path.substr(base.size());
        const auto a = rest.find('/');
        if (a == std::string_view::npos) return false;
        from = rest.substr(0, a);
        rest = rest.substr(a + 1);
        const auto b = rest.find('/');
        if (b == std::string_view::npos) return false;
        to = rest.substr(0, b);
        op = rest.substr(b + 1);
        return !from.empty() && !to.empty();
    }
    return false;
}

std::string var_text(const Poco::Dynamic::Var& v) {
    return v.isEmpty() ? std::string() : v.convert<std::string>();
}

void append_types(std::string& out, const std::vector<AssociationType>& types) {
    out += '[';
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (i) out += ',';
        out += "{\"category\":";
        append_json_string(out, types[i].category);
        out += ",\"typeId\":" + std::to_string(types[i].type_id) + ",\"label\":";
        if (types[i].label)
            append_json_string(out, *types[i].label);
        else
            out += "null";
        out += '}';
    }
    out += ']';
}

class AssociationCall final {
  public:
    AssociationCall(Simulator::Impl& sim, SimRequest& req, SimResponse& resp, RecordStore& from,
                    RecordStore& to)
        : sim_(sim), req_(req), resp_(resp), from_(from), to_(to) {}

    // Both types' read scopes; only the labels list draws on the 10-second bucket.
    bool authorize(bool counted) {
        std::string token;
        if (!sim_.authenticate(req_, resp_, from_.info().type.read_scope, token)) return false;
        const std::string& to_scope = to_.info().type.read_scope;
        if (!sim_.token_has_scope(token, to_scope)) {
            sim_.missing_scopes(resp_, {to_scope});
            return false;
        }
        return !counted || sim_.take_ten_secondly(resp_);
    }

    void labels() {
        if (req_.method != "GET") return bad("Use GET");
        resp_.body = "{\"results\":";
        append_types(resp_.body, sim_.portal_.associations().labels(from_.info().type.name,
                                                                    to_.info().type.name));
        resp_.body += '}';
    }

    void batch_read() {
        if (req_.method != "POST") return bad("Use POST");
        Poco::JSON::Array::Ptr inputs;
        try {
            Poco::JSON::Parser parser;
            auto body = parser.parse(req_.body).extract<Poco::JSON::Object::Ptr>();
            inputs = body->getArray("inputs");
        } catch (const Poco::Exception& e) {
            return bad("Invalid JSON body: " + e.displayText());
        }
        if (!inputs) return bad("inputs must be an array of {id, after}");
        if (inputs->size() > kMaxInputs)
            return bad("Too many inputs: " + std::to_string(inputs->size()) + " (at most " +
                       std::to_string(kMaxInputs) + ")");
        const std::string started = format_iso8601(sim_.clock_->now());
        std::string results, missing;
        for (std::size_t i = 0; i < inputs->size(); ++i) {
            auto input = inputs->getObject(static_cast<unsigned>(i));
            if (!input) return bad("each input is an object {id, after}");
            const std::string id_text = var_text(input->get("id"));
            std::int64_t id = 0, offset = 0;
            if (!parse_int(id_text, id)) return bad("input id " + id_text + " is not an id");
            const std::string after = var_text(input->get("after"));
            if (!after.empty() && !decode_cursor(after, offset))
                return bad("after is not a valid paging cursor; pass back paging.next.after");
            const std::int64_t resolved = from_.resolve_active(id);
            if (resolved == 0) {
                if (!missing.empty()) missing += ',';
                append_json_string(missing, id_text);
                continue;
            }
            append_record(results, id_text, sim_.visible_links(from_, resolved, to_),
                          static_cast<std::size_t>(std::max<std::int64_t>(offset, 0)));
        }
        resp_.body = "{\"status\":\"COMPLETE\",\"results\":[" + results + "]";
        if (!missing.empty()) {
            resp_.status = 207;
            resp_.body +=
                ",\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                "\"OBJECT_NOT_FOUND\",\"subCategory\":\"crm.associations.FROM_OBJECT_"
                "NOT_FOUND\",\"message\":\"Could not find some " +
                from_.info().error_noun + " objects.\",\"context\":{\"ids\":[" + missing + "]}}]";
        }
        resp_.body += ",\"startedAt\":\"" + started + "\",\"completedAt\":\"" +
                      format_iso8601(sim_.clock_->now()) + "\"}";
    }

  private:
    void bad(const std::string& message) {
        sim_.error_body(resp_, 400, "VALIDATION_ERROR", message);
    }

    // One record's page of links; a record without links (or past its last) is left out.
    void append_record(std::string& out, const std::string& id_text,
                       const std::vector<AssociationLink>& links, std::size_t offset) {
        if (offset >= links.size()) return;
        const std::size_t end = std::min(links.size(), offset + kLinksPerPage);
        if (!out.empty()) out += ',';
        out += "{\"from\":{\"id\":";
        append_json_string(out, id_text);
        out += "},\"to\":[";
        for (std::size_t i = offset; i < end; ++i) {
            if (i > offset) out += ',';
            // HubSpot sends toObjectId as a number.
            out += "{\"toObjectId\":" + std::to_string(links[i].to_id) + ",\"associationTypes\":";
            append_types(out, links[i].types);
            out += '}';
        }
        out += ']';
        if (end < links.size())
            out += ",\"paging\":{\"next\":{\"after\":\"" +
                   encode_cursor(static_cast<std::int64_t>(end)) + "\",\"link\":null}}";
        out += '}';
    }

    Simulator::Impl& sim_;
    SimRequest& req_;
    SimResponse& resp_;
    RecordStore& from_;
    RecordStore& to_;
};

std::vector<std::string> label_list(const Poco::JSON::Object::Ptr& body) {
    std::vector<std::string> out;
    if (!body->has("labels")) return out;
    auto arr = body->getArray("labels");
    if (!arr) throw std::invalid_argument("labels must be an array of strings");
    for (std::size_t i = 0; i < arr->size(); ++i)
        out.push_back(var_text(arr->get(static_cast<unsigned>(i))));
    return out;
}

}  // namespace

std::vector<AssociationLink> Simulator::Impl::visible_links(const RecordStore& from,
                                                            std::int64_t id,
                                                            const RecordStore& to) const {
    std::vector<AssociationLink> out;
    for (auto& link : portal_.associations().links(from.info().type.name, id, to.info().type.name))
        if (to.resolve_active(link.to_id) == link.to_id) out.push_back(std::move(link));
    return out;
}

bool Simulator::Impl::route_associations(SimRequest& req, SimResponse& resp) {
    std::string_view from_name, to_name, op;
    if (!parse_association_path(req.path, from_name, to_name, op)) return false;
    RecordStore* from = portal_.find(from_name);
    RecordStore* to = portal_.find(to_name);
    if (!from || !to || (op != "batch/read" && op != "labels")) return false;
    AssociationCall call(*this, req, resp, *from, *to);
    const bool is_read = op == "batch/read";
    if (!call.authorize(!is_read)) return true;
    if (is_read)
        call.batch_read();
    else
        call.labels();
    return true;
}

// /_sim/associations: POST adds (with labels), DELETE removes, POST .../relabel sets labels;
// GET ?from=&id=&to= lists one record's links. Body: fromObjectType, fromId, toObjectType,
// toId, labels[].
bool Simulator::Impl::route_admin_associations(SimRequest& req, SimResponse& resp) {
    if (req.path != "/_sim/associations" && req.path != "/_sim/associations/relabel") return false;
    if (req.method == "GET") {
        std::int64_t id = 0;
        if (!parse_int(req.param("id"), id)) throw std::invalid_argument("id is required");
        const RecordStore& from = portal_.get(req.param("from"));
        const RecordStore& to = portal_.get(req.param("to"));
        resp.body = "{\"results\":[";
        const auto links = visible_links(from, from.resolve(id), to);
        for (std::size_t i = 0; i < links.size(); ++i) {
            if (i) resp.body += ',';
            resp.body +=
                "{\"toObjectId\":" + std::to_string(links[i].to_id) + ",\"associationTypes\":";
            append_types(resp.body, links[i].types);
            resp.body += '}';
        }
        resp.body += "]}";
        return true;
    }
    Poco::JSON::Parser parser;
    const auto body =
        parser.parse(req.body.empty() ? "{}" : req.body).extract<Poco::JSON::Object::Ptr>();
    std::int64_t from_id = 0, to_id = 0;
    if (!parse_int(var_text(body->get("fromId")), from_id) ||
        !parse_int(var_text(body->get("toId")), to_id))
        throw std::invalid_argument("fromId and toId are required ids");
    const std::string from = var_text(body->get("fromObjectType"));
    const std::string to = var_text(body->get("toObjectType"));
    Simulator::Impl& sim = *this;
    const auto labels = label_list(body);
    if (req.path == "/_sim/associations/relabel" && req.method == "POST") {
        sim.relabel_association(from, from_id, to, to_id, labels);
    } else if (req.method == "POST") {
        sim.associate(from, from_id, to, to_id, labels);
    } else if (req.method == "DELETE") {
        sim.remove_association(from, from_id, to, to_id);
    } else {
        return false;
    }
    resp.body = "{}";
    return true;
}

// The C++ API's checks: both records exist (merged ids resolve); the store does the rest.
std::pair<std::string, std::string> Simulator::Impl::link_types(std::string_view from,
                                                                std::int64_t& from_id,
                                                                std::string_view to,
                                                                std::int64_t& to_id) const {
    const RecordStore& a = portal_.get(from);
    const RecordStore& b = portal_.get(to);
    const std::int64_t ra = a.resolve(from_id), rb = b.resolve(to_id);
    if (ra == 0 || rb == 0)
        throw std::invalid_argument("no such record: " + std::string(ra == 0 ? from : to) + " " +
                                    std::to_string(ra == 0 ? from_id : to_id));
    from_id = ra;
    to_id = rb;
    return {a.info().type.name, b.info().type.name};
}

void Simulator::Impl::associate(std::string_view from, std::int64_t from_id, std::string_view to,
                                std::int64_t to_id, const std::vector<std::string>& labels) {
    const auto [a, b] = link_types(from, from_id, to, to_id);
    portal_.associations().add(a, from_id, b, to_id, labels);
}

void Simulator::Impl::remove_association(std::string_view from, std::int64_t from_id,
                                         std::string_view to, std::int64_t to_id) {
    const auto [a, b] = link_types(from, from_id, to, to_id);
    if (!portal_.associations().remove(a, from_id, b, to_id))
        throw std::invalid_argument("no link from " + a + " " + std::to_string(from_id) + " to " +
                                    b + " " + std::to_string(to_id));
}

void Simulator::Impl::relabel_association(std::string_view from, std::int64_t from_id,
                                          std::string_view to, std::int64_t to_id,
                                          const std::vector<std::string>& labels) {
    const auto [a, b] = link_types(from, from_id, to, to_id);
    portal_.associations().relabel(a, from_id, b, to_id, labels);
}

}  // namespace hubsync::sim
