// The table of standard CRM object types and the rule for custom ones.
#include "model/object_type.h"

#include <algorithm>

namespace hubsync {

const std::vector<ObjectType>& standard_object_types() {
    // clang-format off
    static const std::vector<ObjectType> types = {
        {"contacts",  "0-1", "contacts",  "lastmodifieddate",    "createdate",
         "crm.objects.contacts.read",  "crm.objects.contacts.sensitive.read.v2", false},
        {"companies", "0-2", "companies", "hs_lastmodifieddate", "createdate",
         "crm.objects.companies.read", "crm.objects.companies.sensitive.read.v2", false},
        {"deals",     "0-3", "deals",     "hs_lastmodifieddate", "createdate",
         "crm.objects.deals.read",     "crm.objects.deals.sensitive.read.v2", false},
        // Tickets keep HubSpot's legacy scope name: there is no crm.objects.tickets.read.
        {"tickets",   "0-5", "tickets",   "hs_lastmodifieddate", "createdate",
         "tickets",                    "", false},
    };
    // clang-format on
    return types;
}

const ObjectType* find_standard_type(std::string_view name_or_id) {
    for (const ObjectType& t : standard_object_types())
        if (t.name == name_or_id || t.type_id == name_or_id) return &t;
    return nullptr;
}

const ObjectType& contacts_type() {
    return standard_object_types().front();
}

std::optional<ObjectType> custom_object_type(std::string_view name, std::string_view type_id) {
    if (name.empty() || type_id.size() < 3 || type_id.substr(0, 2) != "2-") return std::nullopt;
    if (!std::all_of(type_id.begin() + 2, type_id.end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    ObjectType t;
    for (char c : name) {
        const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        t.name.push_back(l);
    }
    std::string safe;
    for (char c : t.name)
        safe.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_');
    t.type_id = std::string(type_id);
    t.table = "custom_" + safe;
    t.last_modified_property = "hs_lastmodifieddate";
    t.created_property = "hs_createdate";
    t.read_scope = kCustomObjectsReadScope;
    t.custom = true;
    return t;
}

}  // namespace hubsync
