// The CRM object types hubsync mirrors, as data: one row per type names everything the engine,
// the mirror and the API client need to know about it, so one code path serves every type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubsync {

struct ObjectType {
    std::string name;     // contacts, companies, deals, tickets, or a custom schema's name
    std::string type_id;  // 0-1, 0-2, 0-3, 0-5, or 2-NNN for a custom object
    std::string table;    // the mirror's table: the name, or custom_<name> for a custom object
    std::string last_modified_property;  // lastmodifieddate (contacts), hs_lastmodifieddate
    std::string created_property;        // createdate, hs_createdate (custom objects)
    std::string read_scope;              // the OAuth scope that lets the API read the records
    std::string sensitive_scope;         // the scope for sensitive property values; empty = none
    bool custom = false;

    // What goes into an API path for this type ({type} in /crm/objects/V/{type}).
    const std::string& path_name() const { return custom ? type_id : name; }
    bool operator==(const ObjectType& other) const { return type_id == other.type_id; }
};

// contacts, companies, deals, tickets, in that order.
const std::vector<ObjectType>& standard_object_types();
// The standard type called `name` (or with that type id), nullptr for any other name.
const ObjectType* find_standard_type(std::string_view name_or_id);
const ObjectType& contacts_type();

// A custom object type from the schemas API. The name is lower-cased and anything but
// [a-z0-9_] becomes '_' in the table name, so `custom_<name>` can never collide with a
// standard table or another fixed table of the mirror. nullopt when `type_id` is not 2-NNN
// or the name is empty.
std::optional<ObjectType> custom_object_type(std::string_view name, std::string_view type_id);

// Scopes that read custom objects and list their schemas.
inline constexpr const char* kCustomObjectsReadScope = "crm.objects.custom.read";
inline constexpr const char* kCustomSchemasReadScope = "crm.schemas.custom.read";
// The scope that lists owners (GET /crm/owners/{V}).
inline constexpr const char* kOwnersReadScope = "crm.objects.owners.read";

}  // namespace hubsync
