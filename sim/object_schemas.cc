// The schema table: every served type's standard properties as rows, the custom kinds every
// standard type gets, the sensitive contact properties, and the custom object types.
#include "sim/object_schemas.h"

#include <span>

#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kImportStart = 1'736'933'400'123;  // 2025-01-15T09:30:00.123Z

struct PropRow {
    const char* name;
    const char* label;
    const char* type;
    const char* field_type;
    const char* group;
    Gen gen;
    bool read_only = false;
    std::span<const OptionRow> options = {};  // for Gen::kOptionOf
};

// The contacts' rows: their order fixes every generated contact value (the per-value hash
// takes the property's position), so new contact properties go at the end, never between.
constexpr PropRow kContactRows[] = {
    {"email", "Email", "string", "text", "contactinformation", Gen::kEmail},
    {"firstname", "First Name", "string", "text", "contactinformation", Gen::kFirstName},
    {"lastname", "Last Name", "string", "text", "contactinformation", Gen::kLastName},
    {"phone", "Phone Number", "string", "phonenumber", "contactinformation", Gen::kPhone},
    {"mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation",
     Gen::kMobile},
    {"company", "Company Name", "string", "text", "contactinformation", Gen::kCompany},
    {"website", "Website URL", "string", "text", "contactinformation", Gen::kWebsite},
    {"jobtitle", "Job Title", "string", "text", "contactinformation", Gen::kJobTitle},
    {"city", "City", "string", "text", "contactinformation", Gen::kCity},
    {"state", "State/Region", "string", "text", "contactinformation", Gen::kState},
    {"zip", "Postal Code", "string", "text", "contactinformation", Gen::kZip},
    {"country", "Country/Region", "string", "text", "contactinformation", Gen::kCountry},
    {"address", "Street Address", "string", "text", "contactinformation", Gen::kAddress},
    {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation",
     Gen::kLifecycle},
    {"hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", Gen::kLeadStatus},
    {"industry", "Industry", "string", "text", "contactinformation", Gen::kIndustry},
    {"hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation",
     Gen::kSource, true},
    {"num_notes", "Number of Sales Activities", "number", "number", "sales_properties",
     Gen::kNumNotes, true},
    {"notes_last_updated", "Last Activity Date", "datetime", "date", "sales_properties",
     Gen::kNotesLastUpdated, true},
    {"createdate", "Create Date", "datetime", "date", "contactinformation", Gen::kCreateDate, true},
    {"lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation",
     Gen::kLastModified, true},
    {"hs_object_id", "Record ID", "number", "number", "contactinformation", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", "contactinformation",
     Gen::kMergedIds, true},
    {"hs_email_domain", "Email Domain", "string", "text", "contactinformation", Gen::kEmailDomain,
     true},
};

constexpr OptionRow kIndustries[] = {
    {"COMPUTER_SOFTWARE", "Computer Software"},
    {"RETAIL", "Retail"},
    {"BANKING", "Banking"},
    {"HOSPITAL_HEALTH_CARE", "Hospital & Health Care"},
    {"EDUCATION_MANAGEMENT", "Education Management"},
    {"MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "Mechanical or Industrial Engineering"},
};
constexpr OptionRow kCompanyTypes[] = {
    {"PROSPECT", "Prospect"}, {"PARTNER", "Partner"}, {"RESELLER", "Reseller"},
    {"VENDOR", "Vendor"},     {"OTHER", "Other"},
};

constexpr PropRow kCompanyRows[] = {
    {"name", "Company name", "string", "text", "companyinformation", Gen::kCompanyName},
    {"domain", "Company Domain Name", "string", "text", "companyinformation", Gen::kCompanyDomain},
    {"industry", "Industry", "enumeration", "select", "companyinformation", Gen::kOptionOf, false,
     kIndustries},
    {"phone", "Phone Number", "string", "phonenumber", "companyinformation", Gen::kPhone},
    {"city", "City", "string", "text", "companyinformation", Gen::kCity},
    {"state", "State/Region", "string", "text", "companyinformation", Gen::kState},
    {"zip", "Postal Code", "string", "text", "companyinformation", Gen::kZip},
    {"country", "Country/Region", "string", "text", "companyinformation", Gen::kCountry},
    {"website", "Website URL", "string", "text", "companyinformation", Gen::kWebsite},
    {"numberofemployees", "Number of Employees", "number", "number", "companyinformation",
     Gen::kEmployees},
    {"annualrevenue", "Annual Revenue", "number", "number", "companyinformation", Gen::kRevenue},
    {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation",
     Gen::kLifecycle},
    {"type", "Type", "enumeration", "select", "companyinformation", Gen::kOptionOf, false,
     kCompanyTypes},
    {"hubspot_owner_id", "Company owner", "enumeration", "select", "companyinformation",
     Gen::kOwner},
    {"description", "Description", "string", "textarea", "companyinformation", Gen::kDescription},
    {"createdate", "Create Date", "datetime", "date", "companyinformation", Gen::kCreateDate, true},
    {"hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "companyinformation",
     Gen::kLastModified, true},
    {"hs_object_id", "Record ID", "number", "number", "companyinformation", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", "companyinformation",
     Gen::kMergedIds, true},
};

constexpr OptionRow kCurrencies[] = {
    {"USD", "US Dollar"},    {"EUR", "Euro"},        {"GBP", "British Pound"},
    {"JPY", "Japanese Yen"}, {"CHF", "Swiss Franc"}, {"DEM", "Deutsche Mark", true},
};
constexpr OptionRow kDealTypes[] = {
    {"newbusiness", "New Business"},
    {"existingbusiness", "Existing Business"},
};
constexpr OptionRow kDealPriorities[] = {{"low", "Low"}, {"medium", "Medium"}, {"high", "High"}};

constexpr PropRow kDealRows[] = {
    {"dealname", "Deal Name", "string", "text", "dealinformation", Gen::kDealName},
    {"amount", "Amount", "number", "number", "dealinformation", Gen::kAmount},
    {"closedate", "Close Date", "datetime", "date", "dealinformation", Gen::kCloseDate},
    {"pipeline", "Pipeline", "enumeration", "select", "dealinformation", Gen::kPipeline},
    {"dealstage", "Deal Stage", "enumeration", "radio", "dealinformation", Gen::kPipelineStage},
    {"hubspot_owner_id", "Deal owner", "enumeration", "select", "dealinformation", Gen::kOwner},
    {"deal_currency_code", "Currency", "enumeration", "select", "dealinformation", Gen::kOptionOf,
     false, kCurrencies},
    {"dealtype", "Deal Type", "enumeration", "radio", "dealinformation", Gen::kOptionOf, false,
     kDealTypes},
    {"hs_priority", "Priority", "enumeration", "select", "dealinformation", Gen::kOptionOf, false,
     kDealPriorities},
    {"description", "Deal Description", "string", "textarea", "dealinformation", Gen::kDescription},
    {"createdate", "Create Date", "datetime", "date", "dealinformation", Gen::kCreateDate, true},
    {"hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "dealinformation",
     Gen::kLastModified, true},
    {"hs_object_id", "Record ID", "number", "number", "dealinformation", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", "dealinformation",
     Gen::kMergedIds, true},
};

constexpr OptionRow kTicketPriorities[] = {
    {"LOW", "Low"}, {"MEDIUM", "Medium"}, {"HIGH", "High"}, {"URGENT", "Urgent"}};
constexpr OptionRow kTicketCategories[] = {
    {"PRODUCT_ISSUE", "Product issue"},
    {"BILLING_ISSUE", "Billing issue"},
    {"FEATURE_REQUEST", "Feature request"},
    {"GENERAL_INQUIRY", "General inquiry"},
};
constexpr OptionRow kTicketSources[] = {
    {"EMAIL", "Email"}, {"CHAT", "Chat"}, {"PHONE", "Phone"}, {"FORM", "Form"}};

constexpr PropRow kTicketRows[] = {
    {"subject", "Ticket name", "string", "text", "ticketinformation", Gen::kTicketSubject},
    {"content", "Ticket description", "string", "textarea", "ticketinformation",
     Gen::kTicketContent},
    {"hs_pipeline", "Pipeline", "enumeration", "select", "ticketinformation", Gen::kPipeline},
    {"hs_pipeline_stage", "Ticket status", "enumeration", "select", "ticketinformation",
     Gen::kPipelineStage},
    {"hs_ticket_priority", "Priority", "enumeration", "select", "ticketinformation", Gen::kOptionOf,
     false, kTicketPriorities},
    {"hs_ticket_category", "Category", "enumeration", "checkbox", "ticketinformation",
     Gen::kOptionOf, false, kTicketCategories},
    {"hubspot_owner_id", "Ticket owner", "enumeration", "select", "ticketinformation", Gen::kOwner},
    {"source_type", "Source", "enumeration", "select", "ticketinformation", Gen::kOptionOf, false,
     kTicketSources},
    {"closed_date", "Close date", "datetime", "date", "ticketinformation", Gen::kClosedDate},
    {"createdate", "Create date", "datetime", "date", "ticketinformation", Gen::kCreateDate, true},
    {"hs_lastmodifieddate", "Last modified date", "datetime", "date", "ticketinformation",
     Gen::kLastModified, true},
    {"hs_object_id", "Ticket ID", "number", "number", "ticketinformation", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged Ticket IDs", "enumeration", "checkbox", "ticketinformation",
     Gen::kMergedIds, true},
};

constexpr OptionRow kSpecies[] = {
    {"dog", "Dog"}, {"cat", "Cat"}, {"rabbit", "Rabbit"}, {"parrot", "Parrot"}};

constexpr PropRow kPetRows[] = {
    {"pet_name", "Name", "string", "text", "pet_information", Gen::kPetName},
    {"species", "Species", "enumeration", "select", "pet_information", Gen::kOptionOf, false,
     kSpecies},
    {"breed", "Breed", "string", "text", "pet_information", Gen::kBreed},
    {"birth_date", "Birth date", "date", "date", "pet_information", Gen::kCustomDate},
    {"weight_kg", "Weight (kg)", "number", "number", "pet_information", Gen::kCustomNumber},
    {"vaccinated", "Vaccinated", "bool", "booleancheckbox", "pet_information", Gen::kCustomBool},
    {"hubspot_owner_id", "Owner", "enumeration", "select", "pet_information", Gen::kOwner},
};

// A custom object's pipeline properties (when it has pipelines).
constexpr PropRow kCustomPipelineRows[] = {
    {"hs_pipeline", "Pipeline", "enumeration", "select", "", Gen::kPipeline},
    {"hs_pipeline_stage", "Stage", "enumeration", "select", "", Gen::kPipelineStage},
};

// HubSpot's own properties of every custom object.
constexpr PropRow kCustomSystemRows[] = {
    {"hs_createdate", "Object create date/time", "datetime", "date", "", Gen::kCreateDate, true},
    {"hs_lastmodifieddate", "Object last modified date/time", "datetime", "date", "",
     Gen::kLastModified, true},
    {"hs_object_id", "Record ID", "number", "number", "", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged record IDs", "enumeration", "checkbox", "", Gen::kMergedIds,
     true},
};

struct CustomKind {
    const char* type;
    const char* field_type;
    const char* suffix;
    Gen gen;
};

constexpr CustomKind kCustomKinds[] = {
    {"string", "text", "text", Gen::kCustomString},
    {"number", "number", "number", Gen::kCustomNumber},
    {"bool", "booleancheckbox", "flag", Gen::kCustomBool},
    {"date", "date", "date", Gen::kCustomDate},
    {"datetime", "date", "datetime", Gen::kCustomDatetime},
    {"enumeration", "select", "choice", Gen::kCustomSelect},
    {"enumeration", "checkbox", "multi", Gen::kCustomMulti},
    {"phone_number", "phonenumber", "phone", Gen::kCustomPhone},
    {"json", "textarea", "json", Gen::kCustomJson},
    {"object_coordinates", "text", "coordinates", Gen::kCustomCoordinates},
    {"string", "textarea", "notes", Gen::kCustomTextarea},
};

// Custom contact properties a portal marked sensitive; after the other custom properties, so
// adding them left every other property's generated values as they were.
struct SensitiveRow {
    const char* name;
    const char* label;
    const char* type;
    const char* field_type;
    Gen gen;
    DataSensitivity sensitivity;
};

constexpr SensitiveRow kSensitiveRows[] = {
    {"national_id", "National ID", "string", "text", Gen::kNationalId, DataSensitivity::kSensitive},
    {"date_of_birth", "Date of Birth", "date", "date", Gen::kBirthDate,
     DataSensitivity::kSensitive},
    {"health_condition", "Health Condition", "enumeration", "select", Gen::kHealthCondition,
     DataSensitivity::kHighlySensitive},
};

std::vector<PropertyOption> options_from(std::span<const OptionRow> rows) {
    std::vector<PropertyOption> out;
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(
            PropertyOption{rows[i].value, rows[i].label, static_cast<int>(i), rows[i].hidden});
    return out;
}

bool is_reference(Gen gen) {
    return gen == Gen::kOwner || gen == Gen::kPipeline || gen == Gen::kPipelineStage;
}

SimProperty property(std::string name, std::string label, std::string type, std::string field_type,
                     std::string group, std::string description, Gen gen, bool read_only,
                     bool hubspot_defined) {
    SimProperty p;
    p.def.name = std::move(name);
    p.def.label = std::move(label);
    p.def.type = std::move(type);
    p.def.field_type = std::move(field_type);
    p.def.group_name = std::move(group);
    p.def.description = std::move(description);
    p.def.calculated = read_only;
    p.def.hubspot_defined = hubspot_defined;
    p.def.data_sensitivity = std::string(sensitivity_name(DataSensitivity::kNonSensitive));
    p.def.options = options_of(gen);
    p.def.external_options = is_reference(gen);
    p.gen = gen;
    p.read_only = read_only;
    if (gen == Gen::kOwner) p.referenced_object_type = "OWNER";
    return p;
}

void add_rows(std::vector<SimProperty>& out, std::span<const PropRow> rows,
              std::string_view group_override, bool hubspot_defined) {
    for (const PropRow& r : rows) {
        const std::string group = group_override.empty() ? r.group : std::string(group_override);
        const std::string_view name = r.name;
        const bool defined =
            hubspot_defined || name.rfind("hs_", 0) == 0 || name == "hubspot_owner_id";
        SimProperty p =
            property(r.name, r.label, r.type, r.field_type, group, "", r.gen, r.read_only, defined);
        if (!r.options.empty()) p.def.options = options_from(r.options);
        out.push_back(std::move(p));
    }
}

void add_custom_kinds(std::vector<SimProperty>& out, int count) {
    constexpr int kKinds = static_cast<int>(std::size(kCustomKinds));
    for (int i = 0; i < count; ++i) {
        const CustomKind& k = kCustomKinds[i % kKinds];
        const std::string n = std::to_string(i + 1);
        out.push_back(property("sim_" + std::string(k.suffix) + "_" + n,
                               "Sim " + std::string(k.suffix) + " " + n, k.type, k.field_type,
                               "sim_custom", "Generated custom property", k.gen, false, false));
    }
}

void add_sensitive(std::vector<SimProperty>& out) {
    for (const SensitiveRow& k : kSensitiveRows) {
        SimProperty p = property(k.name, k.label, k.type, k.field_type, "sim_sensitive",
                                 "Generated sensitive property", k.gen, false, false);
        p.sensitivity = k.sensitivity;
        p.def.data_sensitivity = std::string(sensitivity_name(k.sensitivity));
        out.push_back(std::move(p));
    }
}

// The sensitive scopes of a type: the model's where it names one, HubSpot's pattern otherwise.
void set_sensitive_scopes(TypeInfo& info, std::string_view scope_name) {
    info.sensitive_scope = info.type.sensitive_scope.empty()
                               ? "crm.objects." + std::string(scope_name) + ".sensitive.read.v2"
                               : info.type.sensitive_scope;
    info.highly_sensitive_scope =
        "crm.objects." + std::string(scope_name) + ".highly_sensitive.read.v2";
}

TypeInfo standard_info(std::string_view name) {
    TypeInfo info;
    info.type = *find_standard_type(name);
    const bool tickets = name == "tickets";
    info.write_scope = tickets ? "tickets" : "crm.objects." + std::string(name) + ".write";
    info.schema_scope = tickets ? "tickets" : "crm.schemas." + std::string(name) + ".read";
    set_sensitive_scopes(info, name);
    std::uint64_t salt = 0;
    for (char c : info.type.type_id)
        salt = salt * 131 + static_cast<unsigned char>(c);
    info.seed_salt = name == "contacts" ? 0 : mix64(salt);
    return info;
}

TypeSchema contacts(int custom_properties) {
    TypeSchema s{standard_info("contacts"), {}};
    s.info.error_noun = "CONTACT";
    s.info.label_singular = "Contact";
    s.info.label_plural = "Contacts";
    s.info.primary_display_property = "email";
    s.info.default_properties = {"createdate",       "email",   "firstname", "hs_object_id",
                                 "lastmodifieddate", "lastname"};
    s.info.query_properties = {"email", "firstname", "lastname", "phone", "company"};
    s.info.archive_touches_modified = true;
    s.info.first_id = 1000;
    s.info.import_start_ms = kImportStart;
    add_rows(s.properties, kContactRows, {}, true);
    add_custom_kinds(s.properties, custom_properties);
    add_sensitive(s.properties);
    return s;
}

TypeSchema companies(int custom_properties) {
    TypeSchema s{standard_info("companies"), {}};
    s.info.error_noun = "COMPANY";
    s.info.label_singular = "Company";
    s.info.label_plural = "Companies";
    s.info.primary_display_property = "name";
    s.info.default_properties = {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id",
                                 "name"};
    s.info.query_properties = {"name", "domain", "phone", "website"};
    s.info.first_id = 4'000'000'000;
    s.info.import_start_ms = kImportStart + 1 * kHour;
    add_rows(s.properties, kCompanyRows, {}, true);
    add_custom_kinds(s.properties, custom_properties);
    return s;
}

TypeSchema deals(int custom_properties) {
    TypeSchema s{standard_info("deals"), {}};
    s.info.error_noun = "DEAL";
    s.info.label_singular = "Deal";
    s.info.label_plural = "Deals";
    s.info.primary_display_property = "dealname";
    s.info.default_properties = {"amount",    "closedate",           "createdate",   "dealname",
                                 "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"};
    s.info.query_properties = {"dealname", "description"};
    s.info.first_id = 7'000'000'000;
    s.info.import_start_ms = kImportStart + 2 * kHour;
    add_rows(s.properties, kDealRows, {}, true);
    add_custom_kinds(s.properties, custom_properties);
    return s;
}

TypeSchema tickets(int custom_properties) {
    TypeSchema s{standard_info("tickets"), {}};
    s.info.error_noun = "TICKET";
    s.info.label_singular = "Ticket";
    s.info.label_plural = "Tickets";
    s.info.primary_display_property = "subject";
    s.info.default_properties = {
        "content",     "createdate",        "hs_lastmodifieddate", "hs_object_id",
        "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category",  "hs_ticket_priority",
        "subject"};
    s.info.query_properties = {"subject", "content"};
    s.info.first_id = 9'000'000'000;
    s.info.import_start_ms = kImportStart + 3 * kHour;
    add_rows(s.properties, kTicketRows, {}, true);
    add_custom_kinds(s.properties, custom_properties);
    return s;
}

TypeSchema custom_base(std::string_view name, std::string_view type_id, std::int64_t hub_id,
                       int ordinal) {
    TypeSchema s;
    s.info.type = *custom_object_type(name, type_id);
    s.info.write_scope = "crm.objects.custom.write";
    s.info.schema_scope = kCustomSchemasReadScope;
    set_sensitive_scopes(s.info, "custom");
    s.info.fully_qualified_name = "p" + std::to_string(hub_id) + "_" + s.info.type.name;
    std::string noun;
    for (char c : s.info.type.name)
        noun.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    s.info.error_noun = noun;
    s.info.created_ms = kDataStartMs;
    s.info.default_properties = {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"};
    s.info.seed_salt = mix64(0xC057'0000ULL + static_cast<std::uint64_t>(ordinal));
    s.info.first_id = 12'000'000'000 + std::int64_t{ordinal} * 1'000'000'000;
    s.info.import_start_ms = kImportStart + (3 + ordinal) * kHour;
    return s;
}

}  // namespace

std::vector<TypeSchema> standard_schemas(int custom_properties) {
    std::vector<TypeSchema> out;
    out.push_back(contacts(custom_properties));
    out.push_back(companies(custom_properties));
    out.push_back(deals(custom_properties));
    out.push_back(tickets(custom_properties));
    return out;
}

TypeSchema pets_schema(std::string_view type_id, std::int64_t hub_id) {
    TypeSchema s = custom_base("pets", type_id, hub_id, 1);
    s.info.label_singular = "Pet";
    s.info.label_plural = "Pets";
    s.info.primary_display_property = "pet_name";
    s.info.query_properties = {"pet_name", "breed"};
    add_rows(s.properties, kPetRows, {}, false);
    add_rows(s.properties, kCustomPipelineRows, "pet_information", true);
    add_rows(s.properties, kCustomSystemRows, "pet_information", true);
    return s;
}

Gen generator_for(const PropertyDef& def) {
    if (def.name == "hubspot_owner_id") return Gen::kOwner;
    const std::string& t = def.type;
    if (t == "number") return Gen::kCustomNumber;
    if (t == "bool") return Gen::kCustomBool;
    if (t == "date") return Gen::kCustomDate;
    if (t == "datetime") return Gen::kCustomDatetime;
    if (t == "enumeration") return def.options.empty() ? Gen::kNone : Gen::kOptionOf;
    if (t == "phone_number") return Gen::kCustomPhone;
    if (t == "json") return Gen::kCustomJson;
    if (t == "object_coordinates") return Gen::kCustomCoordinates;
    return Gen::kCustomString;
}

TypeSchema custom_schema(const CustomObjectSpec& spec, std::string_view type_id,
                         std::int64_t hub_id, int ordinal) {
    TypeSchema s = custom_base(spec.name, type_id, hub_id, ordinal);
    s.info.label_singular = spec.label_singular.empty() ? spec.name : spec.label_singular;
    s.info.label_plural = spec.label_plural.empty() ? spec.name : spec.label_plural;
    s.info.primary_display_property = spec.primary_display_property;
    if (!spec.primary_display_property.empty())
        s.info.query_properties = {spec.primary_display_property};
    const std::string group = s.info.type.name + "_information";
    for (const PropertyDef& def : spec.properties) {
        SimProperty p;
        p.def = def;
        p.gen = generator_for(def);
        if (p.def.type.empty()) p.def.type = "string";
        if (p.def.field_type.empty()) p.def.field_type = "text";
        if (p.def.group_name.empty()) p.def.group_name = group;
        p.def.data_sensitivity = std::string(sensitivity_name(DataSensitivity::kNonSensitive));
        if (p.gen == Gen::kOwner) {
            p.def.external_options = true;
            p.referenced_object_type = "OWNER";
        }
        s.properties.push_back(std::move(p));
    }
    if (!spec.pipelines.empty()) add_rows(s.properties, kCustomPipelineRows, group, true);
    add_rows(s.properties, kCustomSystemRows, group, true);
    return s;
}

void append_property_json(std::string& out, const SimProperty& p) {
    const PropertyDef& d = p.def;
    out += "{\"name\":";
    append_json_string(out, d.name);
    out += ",\"label\":";
    append_json_string(out, d.label);
    out += ",\"type\":";
    append_json_string(out, d.type);
    out += ",\"fieldType\":";
    append_json_string(out, d.field_type);
    out += ",\"groupName\":";
    append_json_string(out, d.group_name);
    out += ",\"description\":";
    append_json_string(out, d.description);
    out += ",\"options\":[";
    for (std::size_t i = 0; i < d.options.size(); ++i) {
        const PropertyOption& o = d.options[i];
        if (i) out += ",";
        out += "{\"label\":";
        append_json_string(out, o.label);
        out += ",\"value\":";
        append_json_string(out, o.value);
        out += ",\"displayOrder\":" + std::to_string(o.display_order) +
               ",\"hidden\":" + (o.hidden ? "true" : "false") + "}";
    }
    out += std::string("],\"calculated\":") + (d.calculated ? "true" : "false") +
           ",\"externalOptions\":" + (d.external_options ? "true" : "false");
    if (!p.referenced_object_type.empty())
        out += ",\"referencedObjectType\":\"" + p.referenced_object_type + "\"";
    out += std::string(",\"hasUniqueValue\":") + (d.name == "hs_object_id" ? "true" : "false") +
           ",\"hidden\":false,\"hubspotDefined\":" + (d.hubspot_defined ? "true" : "false") +
           ",\"modificationMetadata\":{\"archivable\":" + (d.hubspot_defined ? "false" : "true") +
           ",\"readOnlyValue\":" + (p.read_only ? "true" : "false") + "},\"dataSensitivity\":\"" +
           std::string(sensitivity_name(p.sensitivity)) +
           "\",\"formField\":true,\"createdAt\":\"2019-01-01T00:00:00.000Z\","
           "\"updatedAt\":\"2019-01-01T00:00:00.000Z\",\"archived\":false}";
}

}  // namespace hubsync::sim
