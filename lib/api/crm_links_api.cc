// The association, owner and pipeline calls and their one-pass decoders. Like decode.cc: a body
// that is not well-formed JSON is kTransient (a broken connection or a proxy; retried), JSON of
// the wrong shape is kBadData.
#include "api/crm_links_api.h"

#include <fmt/core.h>

#include <charconv>

#include "api/decode.h"
#include "api/decoder_core.h"
#include "api/json_reader.h"
#include "core/json_string.h"
#include "http/url.h"

namespace hubsync {
namespace {

using Type = JsonReader::Type;

// The links decoders' reads on top of the shared core.
class LinkDecoder final : public decoding::DecoderCore {
  public:
    using DecoderCore::DecoderCore;

    JsonReader& r() { return r_; }

    // An id sent as a string of digits or as a number.
    bool read_id(std::int64_t& out, std::string_view field) {
        std::string_view text;
        if (r_.peek() == Type::kString) {
            if (!r_.read_string_view(text)) return false;
        } else if (r_.peek() == Type::kNumber) {
            if (!r_.read_number(text)) return false;
        } else {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("\"{}\" is neither a string nor a number", field));
        }
        if (!parse_record_id(text, out))
            return shape(fmt::format("\"{}\" is not an id: {}", field, text.substr(0, 40)));
        return true;
    }

    bool read_string(std::string& out, std::string_view field) {
        if (r_.peek() == Type::kNull) {
            out.clear();
            return r_.read_null();
        }
        if (r_.peek() == Type::kString) return r_.read_string(out);
        if (r_.peek() == Type::kNumber || r_.peek() == Type::kBool) {
            std::string_view raw;
            if (!r_.raw_value(raw)) return false;
            out.assign(raw);
            return true;
        }
        if (!r_.skip_value()) return false;
        return shape(fmt::format("\"{}\" is not a string", field));
    }

    bool read_optional_label(std::optional<std::string>& out) {
        if (r_.peek() == Type::kNull) {
            out.reset();
            return r_.read_null();
        }
        std::string label;
        if (!read_string(label, "label")) return false;
        out = std::move(label);
        return true;
    }

    bool read_bool(bool& out, std::string_view field) {
        if (r_.peek() == Type::kBool) return r_.read_bool(out);
        if (r_.peek() == Type::kNull) return r_.read_null();
        if (r_.peek() == Type::kString) {
            std::string text;
            if (!r_.read_string(text)) return false;
            out = text == "true";
            return true;
        }
        if (!r_.skip_value()) return false;
        return shape(fmt::format("\"{}\" is not a boolean", field));
    }

    bool read_int(int& out, std::string_view field) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        std::string_view n;
        if (r_.peek() != Type::kNumber) {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("\"{}\" is not a number", field));
        }
        if (!r_.read_number(n)) return false;
        long long v = 0;
        const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
        if (ec != std::errc() || p != n.data() + n.size())
            return shape(fmt::format("\"{}\" is not an integer", field));
        out = static_cast<int>(v);
        return true;
    }

    // "paging":{"next":{"after":"..."}}
    bool read_next_after(std::string& out) {
        if (r_.peek() != Type::kObject) return r_.skip_value();
        r_.begin_object();
        std::string_view key;
        while (r_.next_key(key)) {
            if (key != "next" || r_.peek() != Type::kObject) {
                if (!r_.skip_value()) return false;
                continue;
            }
            r_.begin_object();
            while (r_.next_key(key)) {
                const bool ok =
                    key == "after" ? read_string(out, "paging.next.after") : r_.skip_value();
                if (!ok) return false;
            }
        }
        return !r_.failed();
    }

    // Iterates the elements of an array value, calling `each` for each; null counts as empty.
    template <typename Each>
    bool array(std::string_view field, Each&& each) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        if (r_.peek() != Type::kArray) {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("\"{}\" is not an array", field));
        }
        r_.begin_array();
        while (r_.next_element())
            if (!each()) return false;
        return !r_.failed();
    }

    // Iterates the members of an object value; anything else is a shape error.
    template <typename Each>
    bool object(std::string_view field, Each&& each) {
        if (r_.peek() != Type::kObject) {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("\"{}\" is not an object", field));
        }
        r_.begin_object();
        std::string_view key;
        while (r_.next_key(key))
            if (!each(key)) return false;
        return !r_.failed();
    }

    bool read_association_type(AssociationType& t) {
        return object("associationTypes[]", [&](std::string_view key) {
            if (key == "typeId") {
                std::int64_t id = 0;
                if (!read_id(id, "typeId")) return false;
                t.type_id = id;
                return true;
            }
            if (key == "category") return read_string(t.category, "category");
            if (key == "label") return read_optional_label(t.label);
            return r_.skip_value();
        });
    }

    bool read_link(AssociationLink& link) {
        bool have_id = false;
        const bool ok = object("to[]", [&](std::string_view key) {
            if (key == "toObjectId" || key == "id") {
                have_id = true;
                return read_id(link.to_id, "toObjectId");
            }
            if (key == "associationTypes")
                return array("associationTypes",
                             [&] { return read_association_type(link.types.emplace_back()); });
            return r_.skip_value();
        });
        if (ok && !have_id) return shape("a link has no \"toObjectId\"");
        return ok;
    }

    // One element of results[]: {from:{id}, to:[...], paging}
    bool read_record_links(AssociationsPage& page) {
        RecordLinks links;
        std::string after;
        bool have_from = false;
        const bool ok = object("results[]", [&](std::string_view key) {
            if (key == "from")
                return object("from", [&](std::string_view k) {
                    if (k != "id") return r_.skip_value();
                    have_from = true;
                    return read_id(links.from_id, "from.id");
                });
            if (key == "to")
                return array("to", [&] { return read_link(links.links.emplace_back()); });
            if (key == "paging") return read_next_after(after);
            return r_.skip_value();
        });
        if (!ok) return false;
        if (!have_from) return shape("a result has no \"from\" id");
        if (!after.empty()) page.more.push_back({links.from_id, after});
        page.results.push_back(std::move(links));
        return true;
    }

    // errors[].context.{ids|fromObjectId|fromObjectIds}[]
    bool read_error_ids(std::vector<RecordId>& out) {
        return array("errors", [&] {
            if (r_.peek() != Type::kObject) return r_.skip_value();
            return object("errors[]", [&](std::string_view key) {
                if (key != "context" || r_.peek() != Type::kObject) return r_.skip_value();
                return object("context", [&](std::string_view k) {
                    if (k != "ids" && k != "fromObjectId" && k != "fromObjectIds")
                        return r_.skip_value();
                    return array("context.ids", [&] {
                        RecordId id = 0;
                        if (!read_id(id, "errors[].context.ids[]")) return false;
                        out.push_back(id);
                        return true;
                    });
                });
            });
        });
    }

    bool read_team(OwnerTeam& t) {
        return object("teams[]", [&](std::string_view key) {
            if (key == "id") return read_string(t.id, "teams[].id");
            if (key == "name") return read_string(t.name, "teams[].name");
            if (key == "primary") return read_bool(t.primary, "teams[].primary");
            return r_.skip_value();
        });
    }

    bool read_owner(Owner& o) {
        bool have_id = false;
        const bool ok = object("results[]", [&](std::string_view key) {
            if (key == "id") {
                have_id = true;
                return read_id(o.id, "id");
            }
            if (key == "userId") {
                if (r_.peek() == Type::kNull) return r_.read_null();
                std::int64_t user = 0;
                if (!read_id(user, "userId")) return false;
                o.user_id = user;
                return true;
            }
            if (key == "email") return read_string(o.email, "email");
            if (key == "firstName") return read_string(o.first_name, "firstName");
            if (key == "lastName") return read_string(o.last_name, "lastName");
            if (key == "type") return read_string(o.type, "type");
            if (key == "archived") return read_bool(o.archived, "archived");
            if (key == "createdAt") return read_string(o.created_at, "createdAt");
            if (key == "updatedAt") return read_string(o.updated_at, "updatedAt");
            if (key == "teams")
                return array("teams", [&] { return read_team(o.teams.emplace_back()); });
            return r_.skip_value();
        });
        if (ok && !have_id) return shape("an owner has no \"id\"");
        return ok;
    }

    bool read_stage(PipelineStage& s) {
        return object("stages[]", [&](std::string_view key) {
            if (key == "id") return read_string(s.id, "stages[].id");
            if (key == "label") return read_string(s.label, "stages[].label");
            if (key == "displayOrder") return read_int(s.display_order, "stages[].displayOrder");
            if (key == "archived") return read_bool(s.archived, "stages[].archived");
            if (key == "metadata") {
                if (r_.peek() == Type::kNull) return r_.read_null();
                return object("metadata", [&](std::string_view k) {
                    auto& [name, value] = s.metadata.emplace_back(std::string(k), std::string());
                    return read_string(value, name);
                });
            }
            return r_.skip_value();
        });
    }

    bool read_pipeline(Pipeline& p) {
        const bool ok = object("results[]", [&](std::string_view key) {
            if (key == "id") return read_string(p.id, "id");
            if (key == "label") return read_string(p.label, "label");
            if (key == "displayOrder") return read_int(p.display_order, "displayOrder");
            if (key == "archived") return read_bool(p.archived, "archived");
            if (key == "stages")
                return array("stages", [&] { return read_stage(p.stages.emplace_back()); });
            return r_.skip_value();
        });
        if (ok && p.id.empty()) return shape("a pipeline has no \"id\"");
        return ok;
    }
};

// Decodes {"results":[...], ...} with `element` for each result and `other` for other keys.
template <typename Element, typename Other>
Status decode_results(LinkDecoder& d, Element&& element, Other&& other) {
    if (!d.begin_document()) return d.error();
    std::string_view key;
    bool have_results = false;
    while (d.r().next_key(key)) {
        bool ok = true;
        if (key == "results") {
            have_results = true;
            ok = d.array("results", element);
        } else {
            ok = other(key);
        }
        if (!ok) return d.error();
    }
    if (!d.finish()) return d.error();
    if (!have_results) {
        d.shape("the body has no \"results\" array");
        return d.error();
    }
    return Status::Ok();
}

std::string inputs_body(const std::vector<AssociationInput>& inputs) {
    std::string body = R"({"inputs":[)";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (i) body += ',';
        body += R"({"id":")" + std::to_string(inputs[i].id) + '"';
        if (!inputs[i].after.empty()) {
            body += R"(,"after":)";
            append_json_string(body, inputs[i].after);
        }
        body += '}';
    }
    body += "]}";
    return body;
}

}  // namespace

Result<AssociationsPage> decode_associations_page(std::string_view json) {
    LinkDecoder d(json, "associations batch read");
    AssociationsPage page;
    HS_RETURN_IF_ERROR(decode_results(
        d, [&] { return d.read_record_links(page); },
        [&](std::string_view key) {
            return key == "errors" ? d.read_error_ids(page.missing) : d.r().skip_value();
        }));
    return page;
}

Result<std::vector<AssociationType>> decode_association_labels(std::string_view json) {
    LinkDecoder d(json, "association labels");
    std::vector<AssociationType> out;
    HS_RETURN_IF_ERROR(decode_results(
        d, [&] { return d.read_association_type(out.emplace_back()); },
        [&](std::string_view) { return d.r().skip_value(); }));
    return out;
}

Result<OwnersPage> decode_owners_page(std::string_view json) {
    LinkDecoder d(json, "owners page");
    OwnersPage page;
    HS_RETURN_IF_ERROR(decode_results(
        d, [&] { return d.read_owner(page.owners.emplace_back()); },
        [&](std::string_view key) {
            return key == "paging" ? d.read_next_after(page.next_after) : d.r().skip_value();
        }));
    return page;
}

Result<std::vector<Pipeline>> decode_pipelines(std::string_view json) {
    LinkDecoder d(json, "pipelines");
    std::vector<Pipeline> out;
    HS_RETURN_IF_ERROR(decode_results(
        d, [&] { return d.read_pipeline(out.emplace_back()); },
        [&](std::string_view) { return d.r().skip_value(); }));
    return out;
}

Result<AssociationsPage> CrmLinksApi::read_associations(
    const ObjectType& from, const ObjectType& to, const std::vector<AssociationInput>& inputs) {
    if (inputs.empty()) return AssociationsPage{};
    if (inputs.size() > kMaxAssociationInputs) {
        return make_error(ErrorKind::kInternal,
                          fmt::format("request plan error: an associations read of {} records; "
                                      "HubSpot accepts at most {}",
                                      inputs.size(), kMaxAssociationInputs),
                          "this is a bug in request planning; please report it");
    }
    EndpointCall call;
    call.what = "read " + from.name + " associations to " + to.name;
    call.endpoint = Endpoint::kAssociationsBatchRead;
    call.type = from.path_name();
    call.to_type = to.path_name();
    call.body = inputs_body(inputs);
    call.scope = from.read_scope;
    AssociationsPage page;
    HS_RETURN_IF_ERROR(api_.call(call, [&](std::string_view body) -> Status {
        HS_ASSIGN_OR_RETURN(page, decode_associations_page(body));
        return Status::Ok();
    }));
    return page;
}

Result<std::vector<AssociationType>> CrmLinksApi::association_labels(const ObjectType& from,
                                                                     const ObjectType& to) {
    EndpointCall call;
    call.what = "list association labels from " + from.name + " to " + to.name;
    call.endpoint = Endpoint::kAssociationLabels;
    call.type = from.path_name();
    call.to_type = to.path_name();
    call.scope = from.read_scope;
    std::vector<AssociationType> out;
    HS_RETURN_IF_ERROR(api_.call(call, [&](std::string_view body) -> Status {
        HS_ASSIGN_OR_RETURN(out, decode_association_labels(body));
        return Status::Ok();
    }));
    return out;
}

Result<std::vector<Owner>> CrmLinksApi::owners(bool archived) {
    std::vector<Owner> out;
    std::string after;
    do {
        EndpointCall call;
        call.what = archived ? "list archived owners" : "list owners";
        call.endpoint = Endpoint::kListOwners;
        call.query = "limit=100";
        if (archived) call.query += "&archived=true";
        if (!after.empty()) call.query += "&after=" + url_encode(after);
        call.scope = kOwnersReadScope;
        OwnersPage page;
        HS_RETURN_IF_ERROR(api_.call(call, [&](std::string_view body) -> Status {
            HS_ASSIGN_OR_RETURN(page, decode_owners_page(body));
            return Status::Ok();
        }));
        for (auto& o : page.owners)
            out.push_back(std::move(o));
        if (page.next_after == after) break;  // a cursor that does not move would never end
        after = std::move(page.next_after);
    } while (!after.empty());
    return out;
}

Result<std::vector<Pipeline>> CrmLinksApi::pipelines(const ObjectType& type) {
    EndpointCall call;
    call.what = "list " + type.name + " pipelines";
    call.endpoint = Endpoint::kListPipelines;
    call.type = type.path_name();
    call.scope = type.read_scope;
    std::vector<Pipeline> out;
    HS_RETURN_IF_ERROR(api_.call(call, [&](std::string_view body) -> Status {
        HS_ASSIGN_OR_RETURN(out, decode_pipelines(body));
        return Status::Ok();
    }));
    return out;
}

}  // namespace hubsync
