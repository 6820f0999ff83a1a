// The endpoint table is the one list of HubSpot calls: its paths follow the dated scheme, no
// default path belongs to a retired generation, and docs/hubspot-endpoints.md lists exactly
// its rows, versions and retirement dates.
#include "model/endpoints.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/object_type.h"

namespace hubsync {
namespace {

std::string read_doc() {
    std::ifstream in(std::string(HUBSYNC_SOURCE_DIR) + "/docs/hubspot-endpoints.md");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The table rows ("| ... |") of the section headed `heading`, header and rule excluded.
std::vector<std::string> table_rows(const std::string& doc, const std::string& heading) {
    std::vector<std::string> rows;
    const auto start = doc.find("\n## " + heading + "\n");
    if (start == std::string::npos) return rows;
    const auto end = doc.find("\n## ", start + 1);
    std::istringstream section(doc.substr(start, end - start));
    std::string line;
    int seen = 0;
    while (std::getline(section, line)) {
        if (line.rfind("|", 0) != 0) continue;
        if (++seen <= 2) continue;  // the header and the |---| rule
        rows.push_back(line);
    }
    return rows;
}

TEST(Endpoints, PathsFollowTheDatedScheme) {
    EXPECT_EQ(endpoint_path(Endpoint::kListObjects, "2026-09", "contacts"),
              "/crm/objects/2026-09/contacts");
    EXPECT_EQ(endpoint_path(Endpoint::kSearchObjects, "2026-03", "2-123"),
              "/crm/objects/2026-03/2-123/search");
    EXPECT_EQ(endpoint_path(Endpoint::kAssociationsBatchRead, "2026-09", "deals", "companies"),
              "/crm/associations/2026-09/deals/companies/batch/read");
    EXPECT_EQ(endpoint_path(Endpoint::kOAuthIntrospect, "2026-09"),
              "/oauth/2026-09/token/introspect");
    EXPECT_EQ(default_api_version(), "2026-09");
    EXPECT_NE(find_api_version("2026-03"), nullptr);
    EXPECT_EQ(find_api_version("2025-09"), nullptr);
}

TEST(Endpoints, NoPathOfAnyVersionBelongsToARetiredGeneration) {
    for (const ApiVersion& v : api_versions())
        for (const EndpointInfo& e : endpoint_table()) {
            const std::string path = endpoint_path(e.endpoint, v.name, "contacts", "companies");
            EXPECT_FALSE(retired_generation_of(path).has_value()) << path;
        }
    const auto v1 = retired_generation_of("https://api.hubapi.com/oauth/v1/token");
    ASSERT_TRUE(v1.has_value());
    EXPECT_EQ(v1->stops, "2027-02-16");
    EXPECT_EQ(retired_generation_of("/crm/v4/associations/deals/companies/batch/read")->stops,
              "2027-03-30");
    EXPECT_FALSE(retired_generation_of("https://api.hubapi.com").has_value());
}

TEST(Endpoints, TheDocumentListsExactlyTheTable) {
    const std::string doc = read_doc();
    ASSERT_FALSE(doc.empty()) << "docs/hubspot-endpoints.md is missing";

    std::vector<std::string> expected;
    for (const EndpointInfo& e : endpoint_table())
        expected.push_back("| " + std::string(e.what) + " | " + std::string(e.method) + " | `" +
                           std::string(e.path) + "` | " + std::string(e.scope) + " | " +
                           std::string(rate_limit_name(e.limit)) + " |");
    EXPECT_EQ(table_rows(doc, "Endpoints"), expected);

    expected.clear();
    for (const ApiVersion& v : api_versions())
        expected.push_back("| " + std::string(v.name) + " | " + std::string(v.released) + " | " +
                           std::string(v.unsupported_from) + " |");
    EXPECT_EQ(table_rows(doc, "API versions"), expected);

    expected.clear();
    for (const RetiredGeneration& g : retired_generations())
        expected.push_back("| `" + std::string(g.path_prefix) + "` | " + std::string(g.stops) +
                           " |");
    EXPECT_EQ(table_rows(doc, "Legacy generations (not called by the default configuration)"),
              expected);

    expected.clear();
    for (const ObjectType& t : standard_object_types())
        expected.push_back("| " + t.name + " | " + t.type_id + " | " + t.read_scope + " | " +
                           t.sensitive_scope + (t.sensitive_scope.empty() ? "|" : " |"));
    EXPECT_EQ(table_rows(doc, "Read scopes by object type"), expected);
}

TEST(ObjectTypes, StandardTypesAreRowsOfOneTable) {
    ASSERT_EQ(standard_object_types().size(), 4u);
    EXPECT_EQ(contacts_type().last_modified_property, "lastmodifieddate");
    for (const char* name : {"companies", "deals", "tickets"})
        EXPECT_EQ(find_standard_type(name)->last_modified_property, "hs_lastmodifieddate");
    EXPECT_EQ(find_standard_type("tickets")->read_scope, "tickets");
    EXPECT_EQ(find_standard_type("0-3")->name, "deals");
    EXPECT_EQ(find_standard_type("pets"), nullptr);
}

TEST(ObjectTypes, CustomTypesGetCollisionProofTables) {
    const auto pets = custom_object_type("Pets", "2-1234");
    ASSERT_TRUE(pets.has_value());
    EXPECT_EQ(pets->name, "pets");
    EXPECT_EQ(pets->table, "custom_pets");
    EXPECT_EQ(pets->path_name(), "2-1234");
    EXPECT_EQ(pets->created_property, "hs_createdate");
    EXPECT_EQ(pets->read_scope, "crm.objects.custom.read");
    // A custom object named like a standard table or with odd characters stays apart.
    EXPECT_EQ(custom_object_type("contacts", "2-1")->table, "custom_contacts");
    EXPECT_EQ(custom_object_type("a b;drop", "2-2")->table, "custom_a_b_drop");
    EXPECT_FALSE(custom_object_type("pets", "0-1").has_value());
    EXPECT_FALSE(custom_object_type("", "2-5").has_value());
    EXPECT_FALSE(custom_object_type("pets", "2-x").has_value());
}

}  // namespace
}  // namespace hubsync
