// Response decoders on top of JsonReader: one pass over the body, no DOM, and every failure
// turned into an Error that says whether a retry can help.
#include "api/decode.h"

#include <fmt/core.h>

#include "api/decoder_core.h"
#include "api/json_reader.h"
#include "core/text.h"

namespace hubsync {
namespace {

using Type = JsonReader::Type;

using decoding::excerpt;

// The record decoders' reads on top of the shared core.
class Decoder : public decoding::DecoderCore {
  public:
    using DecoderCore::DecoderCore;

    // Reads an object key by key: `read_key(key)` reads the key's value and returns false to
    // stop. Anything but an object is skipped and reported as "<what> is not an object".
    template <typename ReadKey>
    bool read_object(std::string_view what, ReadKey&& read_key) {
        if (r_.peek() != Type::kObject) {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("{} is not an object", what));
        }
        if (!r_.begin_object()) return false;
        std::string_view key;
        while (r_.next_key(key))
            if (!read_key(key)) return false;
        return !r_.failed();
    }

    bool read_optional_string(std::string& out, std::string_view field) {
        const Type t = r_.peek();
        if (t == Type::kString) return r_.read_string(out);
        if (t == Type::kNull) {
            out.clear();
            return r_.read_null();
        }
        if (!r_.skip_value()) return false;
        return shape(fmt::format("\"{}\" is not a string", field));
    }

    bool read_optional_bool(bool& out, std::string_view field) {
        const Type t = r_.peek();
        if (t == Type::kBool) return r_.read_bool(out);
        if (t == Type::kNull) return r_.read_null();
        if (!r_.skip_value()) return false;
        return shape(fmt::format("\"{}\" is not a boolean", field));
    }

    bool read_id(RecordId& out, std::string_view field) {
        if (r_.peek() != Type::kString) {
            std::string_view raw;
            if (!r_.raw_value(raw)) return false;
            return shape(fmt::format("\"{}\" is {}, not a string of digits", field, excerpt(raw)));
        }
        std::string_view text;
        if (!r_.read_string_view(text)) return false;
        if (!parse_record_id(text, out))
            return shape(
                fmt::format("\"{}\" \"{}\" is not a string of digits", field, excerpt(text)));
        return true;
    }

    bool read_property_values(std::vector<PropertyValue>& out, std::size_t size_hint) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        if (r_.peek() == Type::kObject) out.reserve(size_hint);
        return read_object("\"properties\"", [&](std::string_view key) {
            PropertyValue& pv = out.emplace_back();
            pv.name.assign(key.data(), key.size());
            switch (r_.peek()) {
                case Type::kString:
                    return r_.read_string(pv.value.emplace());
                case Type::kNull:
                    return r_.read_null();
                default: {
                    // Numbers, booleans and nested values are kept as their JSON text.
                    std::string_view raw;
                    if (!r_.raw_value(raw)) return false;
                    pv.value.emplace(raw);
                    return true;
                }
            }
        });
    }

    bool read_record(Record& c, std::size_t size_hint) {
        bool have_id = false;
        const bool read = read_object("a result", [&](std::string_view key) {
            if (key == "id") return have_id = read_id(c.id, "id");
            if (key == "properties") return read_property_values(c.properties, size_hint);
            if (key == "createdAt") return read_optional_string(c.created_at, "createdAt");
            if (key == "updatedAt") return read_optional_string(c.updated_at, "updatedAt");
            if (key == "archived") return read_optional_bool(c.archived, "archived");
            if (key == "archivedAt") return read_optional_string(c.archived_at, "archivedAt");
            return r_.skip_value();
        });
        if (!read) return false;
        if (!have_id) return shape("a result has no \"id\"");
        return true;
    }

    bool read_records(std::vector<Record>& out) {
        if (r_.peek() != Type::kArray) {
            if (!r_.skip_value()) return false;
            return shape("\"results\" is not an array");
        }
        if (!r_.begin_array()) return false;
        std::size_t size_hint = 0;
        while (r_.next_element()) {
            Record& c = out.emplace_back();
            if (!read_record(c, size_hint)) return false;
            size_hint = c.properties.size();
        }
        return !r_.failed();
    }

    // "paging":{"next":{"after":"..."}}; the search API's offset may also be a number.
    bool read_paging(std::string& next_after) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        return read_object("\"paging\"", [&](std::string_view key) {
            if (key != "next" || r_.peek() != Type::kObject) return r_.skip_value();
            if (!r_.begin_object()) return false;
            while (r_.next_key(key)) {
                bool ok = true;
                if (key == "after" && r_.peek() == Type::kNumber) {
                    std::string_view n;
                    ok = r_.read_number(n);
                    next_after.assign(n);
                } else if (key == "after") {
                    ok = read_optional_string(next_after, "paging.next.after");
                } else {
                    ok = r_.skip_value();
                }
                if (!ok) return false;
            }
            return !r_.failed();
        });
    }

    bool read_int64(std::int64_t& out, std::string_view field) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        std::string_view n;
        if (r_.peek() != Type::kNumber) {
            if (!r_.skip_value()) return false;
            return shape(fmt::format("\"{}\" is not a number", field));
        }
        if (!r_.read_number(n)) return false;
        const auto value = parse_int<std::int64_t>(n);
        if (!value) return shape(fmt::format("\"{}\" is not an integer: {}", field, excerpt(n)));
        out = *value;
        return true;
    }

    // errors[].context.ids of a batch response.
    bool read_error_ids(std::vector<RecordId>& out) {
        if (r_.peek() != Type::kArray) return r_.skip_value();
        if (!r_.begin_array()) return false;
        while (r_.next_element()) {
            if (r_.peek() != Type::kObject) {
                if (!r_.skip_value()) return false;
                continue;
            }
            if (!r_.begin_object()) return false;
            std::string_view key;
            while (r_.next_key(key)) {
                if (key != "context" || r_.peek() != Type::kObject) {
                    if (!r_.skip_value()) return false;
                    continue;
                }
                if (!r_.begin_object()) return false;
                while (r_.next_key(key)) {
                    if (key != "ids" || r_.peek() != Type::kArray) {
                        if (!r_.skip_value()) return false;
                        continue;
                    }
                    if (!r_.begin_array()) return false;
                    while (r_.next_element()) {
                        RecordId id = 0;
                        if (!read_id(id, "errors[].context.ids[]")) return false;
                        out.push_back(id);
                    }
                    if (r_.failed()) return false;
                }
                if (r_.failed()) return false;
            }
            if (r_.failed()) return false;
        }
        return !r_.failed();
    }

    // options[] of an enumeration property; entries without a value are skipped.
    bool read_options(std::vector<PropertyOption>& out) {
        if (r_.peek() == Type::kNull) return r_.read_null();
        if (r_.peek() != Type::kArray) {
            if (!r_.skip_value()) return false;
            return shape("\"options\" is not an array");
        }
        if (!r_.begin_array()) return false;
        while (r_.next_element()) {
            if (r_.peek() != Type::kObject) {
                if (!r_.skip_value()) return false;
                continue;
            }
            if (!r_.begin_object()) return false;
            PropertyOption o;
            std::string_view key;
            while (r_.next_key(key)) {
                bool ok = true;
                if (key == "value") {
                    ok = read_optional_string(o.value, "options[].value");
                } else if (key == "label") {
                    ok = read_optional_string(o.label, "options[].label");
                } else if (key == "hidden") {
                    ok = read_optional_bool(o.hidden, "options[].hidden");
                } else if (key == "displayOrder" && r_.peek() == Type::kNumber) {
                    std::int64_t order = 0;
                    ok = read_int64(order, "options[].displayOrder");
                    o.display_order = static_cast<int>(order);
                } else {
                    ok = r_.skip_value();
                }
                if (!ok) return false;
            }
            if (r_.failed()) return false;
            out.push_back(std::move(o));
        }
        return !r_.failed();
    }

    bool read_schema_labels(ObjectSchema& out) {
        return read_object("\"labels\"", [&](std::string_view key) {
            if (key == "singular")
                return read_optional_string(out.label_singular, "labels.singular");
            if (key == "plural") return read_optional_string(out.label_plural, "labels.plural");
            return r_.skip_value();
        });
    }

    // One schema of the custom object schemas endpoint.
    bool read_schema(ObjectSchema& out) {
        const bool read = read_object("a schema", [&](std::string_view key) {
            if (key == "name") return read_optional_string(out.name, "name");
            if (key == "objectTypeId")
                return read_optional_string(out.object_type_id, "objectTypeId");
            if (key == "fullyQualifiedName")
                return read_optional_string(out.fully_qualified_name, "fullyQualifiedName");
            if (key == "labels" && r_.peek() == Type::kObject) return read_schema_labels(out);
            return r_.skip_value();
        });
        if (!read) return false;
        if (out.name.empty() || out.object_type_id.empty())
            return shape("a schema has no \"name\" or \"objectTypeId\"");
        return true;
    }

    bool read_property_def(PropertyDef& p) {
        const bool read = read_object("a property definition", [&](std::string_view key) {
            if (key == "name") return read_optional_string(p.name, "name");
            if (key == "label") return read_optional_string(p.label, "label");
            if (key == "type") return read_optional_string(p.type, "type");
            if (key == "fieldType") return read_optional_string(p.field_type, "fieldType");
            if (key == "groupName") return read_optional_string(p.group_name, "groupName");
            if (key == "description") return read_optional_string(p.description, "description");
            if (key == "calculated") return read_optional_bool(p.calculated, "calculated");
            if (key == "hubspotDefined")
                return read_optional_bool(p.hubspot_defined, "hubspotDefined");
            if (key == "hidden") return read_optional_bool(p.hidden, "hidden");
            if (key == "externalOptions")
                return read_optional_bool(p.external_options, "externalOptions");
            if (key == "dataSensitivity")
                return read_optional_string(p.data_sensitivity, "dataSensitivity");
            if (key == "options") return read_options(p.options);
            return r_.skip_value();
        });
        if (!read) return false;
        if (p.name.empty()) return shape("a property definition has no \"name\"");
        return true;
    }
};

// errors[].context.requiredGranularScopes[] of a 403 body; anything unexpected is skipped.
bool read_required_scopes(JsonReader& r, std::vector<std::string>& out) {
    std::string_view key;
    r.begin_array();
    while (r.next_element()) {
        if (r.peek() != Type::kObject) {
            if (!r.skip_value()) return false;
            continue;
        }
        r.begin_object();
        while (r.next_key(key)) {
            if (key != "context" || r.peek() != Type::kObject) {
                if (!r.skip_value()) return false;
                continue;
            }
            r.begin_object();
            while (r.next_key(key)) {
                if (key != "requiredGranularScopes" || r.peek() != Type::kArray) {
                    if (!r.skip_value()) return false;
                    continue;
                }
                r.begin_array();
                while (r.next_element()) {
                    if (r.peek() == Type::kString) {
                        if (!r.read_string(out.emplace_back())) return false;
                    } else if (!r.skip_value()) {
                        return false;
                    }
                }
            }
        }
    }
    return !r.failed();
}

// A body whose "results" array holds items that `read_item` (a Decoder member) reads; other
// keys are skipped. `what` names the body in errors ("property list").
template <typename T>
Result<std::vector<T>> decode_results(std::string_view json, const char* what,
                                      bool (Decoder::*read_item)(T&)) {
    Decoder d(json, what);
    JsonReader& r = d.reader();
    std::vector<T> out;
    if (!d.begin_document()) return d.error();
    std::string_view key;
    bool have_results = false;
    while (r.next_key(key)) {
        bool ok = true;
        if (key == "results" && r.peek() == Type::kArray) {
            have_results = true;
            ok = r.begin_array();
            while (ok && r.next_element())
                ok = (d.*read_item)(out.emplace_back());
            ok = ok && !r.failed();
        } else if (key == "results") {
            ok = r.skip_value() && d.shape("\"results\" is not an array");
        } else {
            ok = r.skip_value();
        }
        if (!ok) return d.error();
    }
    if (!d.finish()) return d.error();
    if (!have_results) {
        d.shape("the body has no \"results\" array");
        return d.error();
    }
    return out;
}

}  // namespace

bool parse_record_id(std::string_view text, RecordId& out) {
    if (text.empty() || text.size() > 19) return false;
    for (const char c : text)
        if (c < '0' || c > '9') return false;
    const auto id = parse_int<RecordId>(text);
    if (id) out = *id;
    return id.has_value();
}

Result<RecordPage> decode_record_page(std::string_view json) {
    Decoder d(json, "page of records");
    JsonReader& r = d.reader();
    RecordPage page;
    if (!d.begin_document()) return d.error();
    std::string_view key;
    while (r.next_key(key)) {
        bool ok = true;
        if (key == "results") {
            ok = d.read_records(page.records);
        } else if (key == "paging") {
            ok = d.read_paging(page.next_after);
        } else if (key == "total") {
            ok = d.read_int64(page.total, "total");
        } else {
            ok = r.skip_value();
        }
        if (!ok) return d.error();
    }
    if (!d.finish()) return d.error();
    return page;
}

Result<BatchReadResult> decode_batch_read(std::string_view json) {
    Decoder d(json, "batch read response");
    JsonReader& r = d.reader();
    BatchReadResult out;
    if (!d.begin_document()) return d.error();
    std::string_view key;
    while (r.next_key(key)) {
        bool ok = true;
        if (key == "results") {
            ok = d.read_records(out.records);
        } else if (key == "errors") {
            ok = d.read_error_ids(out.missing);
        } else {
            ok = r.skip_value();
        }
        if (!ok) return d.error();
    }
    if (!d.finish()) return d.error();
    return out;
}

Result<std::vector<PropertyDef>> decode_properties(std::string_view json) {
    return decode_results(json, "property list", &Decoder::read_property_def);
}

Result<std::vector<ObjectSchema>> decode_schemas(std::string_view json) {
    return decode_results(json, "schema list", &Decoder::read_schema);
}

ErrorBody decode_error_body(std::string_view json) {
    ErrorBody out;
    JsonReader r(json);
    if (r.peek() != Type::kObject || !r.begin_object()) return out;
    std::string_view key;
    while (r.next_key(key)) {
        std::string* field = nullptr;
        if (key == "status")
            field = &out.status;
        else if (key == "message")
            field = &out.message;
        else if (key == "category")
            field = &out.category;
        else if (key == "correlationId")
            field = &out.correlation_id;
        else if (key == "policyName")
            field = &out.policy_name;
        else if (key == "errorType")
            field = &out.error_type;
        if (field && r.peek() == Type::kString) {
            if (!r.read_string(*field)) break;
        } else if (key == "errors" && r.peek() == Type::kArray) {
            if (!read_required_scopes(r, out.required_scopes)) break;
        } else if (!r.skip_value()) {
            break;
        }
    }
    return out;
}

}  // namespace hubsync
