// HubSpot's CRM records and property definitions as the engine holds them after decoding.
// The same shapes serve every object type (contacts, companies, deals, tickets, custom
// objects); which type a record belongs to is known from the call that produced it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hubsync {

using RecordId = std::int64_t;

// One property value: HubSpot sends strings or null; values are kept exactly as sent.
struct PropertyValue {
    std::string name;
    std::optional<std::string> value;  // nullopt = JSON null
};

struct Record {
    RecordId id = 0;
    std::string created_at;  // ISO-8601 UTC as HubSpot sent it
    std::string updated_at;  // ISO-8601 UTC as HubSpot sent it
    bool archived = false;
    std::string archived_at;  // empty unless archived
    std::vector<PropertyValue> properties;

    const std::optional<std::string>* find(std::string_view name) const {
        for (const auto& p : properties)
            if (p.name == name) return &p.value;
        return nullptr;
    }
};

// One option of an enumeration property.
struct PropertyOption {
    std::string value;
    std::string label;
    int display_order = 0;
    bool hidden = false;
};

// A property definition from the properties endpoint of an object type.
struct PropertyDef {
    std::string name;
    std::string label;
    std::string type;        // string, number, bool, date, datetime, enumeration, phone_number, ...
    std::string field_type;  // text, select, checkbox, ...
    std::string group_name;
    std::string description;
    bool calculated = false;
    bool hubspot_defined = false;
    bool hidden = false;
    bool external_options = false;  // the values are owner ids or pipeline stages
    std::string data_sensitivity;   // non_sensitive, sensitive, highly_sensitive; empty = unsaid
    std::vector<PropertyOption> options;
};

}  // namespace hubsync
