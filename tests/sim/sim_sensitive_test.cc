// Sensitive properties in the simulator: left out of the properties list unless asked for by
// dataSensitivity, and their values readable only with the sensitive read scopes (403
// MISSING_SCOPES naming the scope otherwise), in list, get, batch read and search.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const char* kList = "/crm/objects/2026-09/contacts";
const char* kProps = "/crm/properties/2026-09/contacts";
const char* kSensitiveScope = "crm.objects.contacts.sensitive.read.v2";
const char* kHighlyScope = "crm.objects.contacts.highly_sensitive.read.v2";

SimOptions quiet() {
    SimOptions o;
    o.contacts = 60;
    o.rate_limits = false;
    return o;
}

std::map<std::string, std::string> sensitivity_by_name(const Reply& r) {
    std::map<std::string, std::string> out;
    const auto results = r.json()->getArray("results");
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto p = results->getObject(static_cast<unsigned>(i));
        out[p->getValue<std::string>("name")] = p->getValue<std::string>("dataSensitivity");
    }
    return out;
}

// The scopes a 403 names, where HubSpot puts them.
std::vector<std::string> required_scopes(const Reply& r) {
    std::vector<std::string> out;
    const auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("category"), "MISSING_SCOPES") << r.body;
    EXPECT_TRUE(j->has("correlationId"));
    const auto scopes = j->getArray("errors")->getObject(0)->getObject("context")->getArray(
        "requiredGranularScopes");
    for (std::size_t i = 0; i < scopes->size(); ++i)
        out.push_back(scopes->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

TEST(SimSensitive, PropertiesListShowsThemOnlyWhenAskedFor) {
    SimFixture f(quiet());
    auto plain = get(f.port, kProps, f.token);
    ASSERT_EQ(plain.status, 200);
    const auto all = sensitivity_by_name(plain);
    EXPECT_EQ(all.count("national_id"), 0u);
    EXPECT_EQ(all.count("date_of_birth"), 0u);
    EXPECT_EQ(all.count("email"), 1u);
    for (const auto& [name, sensitivity] : all)
        EXPECT_EQ(sensitivity, "non_sensitive") << name;
    EXPECT_EQ(all.size(), f.sim->property_defs().size());

    auto sensitive = get(f.port, std::string(kProps) + "?dataSensitivity=sensitive", f.token);
    ASSERT_EQ(sensitive.status, 200);
    EXPECT_EQ(sensitivity_by_name(sensitive),
              (std::map<std::string, std::string>{{"date_of_birth", "sensitive"},
                                                  {"national_id", "sensitive"}}));
    auto highly = get(f.port, std::string(kProps) + "?dataSensitivity=highly_sensitive", f.token);
    ASSERT_EQ(highly.status, 200);
    EXPECT_EQ(sensitivity_by_name(highly),
              (std::map<std::string, std::string>{{"health_condition", "highly_sensitive"}}));
    EXPECT_EQ(get(f.port, std::string(kProps) + "?dataSensitivity=non_sensitive", f.token).body,
              plain.body);
    EXPECT_EQ(get(f.port, std::string(kProps) + "?dataSensitivity=secret", f.token).status, 400);

    // In process: the same split, and properties added later keep theirs.
    EXPECT_EQ(f.sim->property_defs(DataSensitivity::kSensitive).size(), 2u);
    f.sim->add_property(
        {"passport_no", "Passport", "string", "text", "", "", false, false, false, false, {}, {}},
        DataSensitivity::kSensitive);
    EXPECT_EQ(sensitivity_by_name(
                  get(f.port, std::string(kProps) + "?dataSensitivity=sensitive", f.token))
                  .count("passport_no"),
              1u);
    EXPECT_EQ(sensitivity_by_name(get(f.port, kProps, f.token)).count("passport_no"), 0u);
}

TEST(SimSensitive, ReadingValuesWithoutTheScopeIs403) {
    SimFixture f(quiet());
    const std::string id = std::to_string(f.sim->truth(false).front().id);
    const std::vector<std::string> sensitive = {kSensitiveScope};
    auto list = get(f.port, std::string(kList) + "?properties=email,national_id", f.token);
    ASSERT_EQ(list.status, 403) << list.body;
    EXPECT_EQ(required_scopes(list), sensitive);
    auto repeated =
        get(f.port, std::string(kList) + "?properties=email&properties=date_of_birth", f.token);
    ASSERT_EQ(repeated.status, 403);
    auto one = get(f.port, std::string(kList) + "/" + id + "?properties=national_id", f.token);
    ASSERT_EQ(one.status, 403);
    EXPECT_EQ(required_scopes(one), sensitive);
    auto batch =
        post_json(f.port, std::string(kList) + "/batch/read",
                  R"({"inputs":[{"id":")" + id + R"("}],"properties":["national_id"]})", f.token);
    ASSERT_EQ(batch.status, 403);
    EXPECT_EQ(required_scopes(batch), sensitive);
    auto search = post_json(f.port, std::string(kList) + "/search",
                            R"({"properties":["date_of_birth"],"limit":5})", f.token);
    ASSERT_EQ(search.status, 403);
    EXPECT_EQ(required_scopes(search), sensitive);
    auto filtered = post_json(
        f.port, std::string(kList) + "/search",
        R"({"filterGroups":[{"filters":[{"propertyName":"national_id","operator":"HAS_PROPERTY"}]}]})",
        f.token);
    ASSERT_EQ(filtered.status, 403);
    // Highly sensitive values need their own scope, even with the sensitive one.
    const auto sensitive_only =
        f.sim->issue_tokens({"crm.objects.contacts.read", kSensitiveScope}).access_token;
    auto highly = get(f.port, std::string(kList) + "?properties=national_id,health_condition",
                      sensitive_only);
    ASSERT_EQ(highly.status, 403);
    EXPECT_EQ(required_scopes(highly), std::vector<std::string>{kHighlyScope});
    auto both =
        get(f.port, std::string(kList) + "?properties=national_id,health_condition", f.token);
    EXPECT_EQ(required_scopes(both), (std::vector<std::string>{kSensitiveScope, kHighlyScope}));
    // Without sensitive names the same calls pass.
    EXPECT_EQ(get(f.port, std::string(kList) + "?properties=email", f.token).status, 200);
    EXPECT_EQ(get(f.port, std::string(kList) + "?properties=email,not_a_property", f.token).status,
              200);
}

TEST(SimSensitive, ValuesComeBackWithTheScope) {
    SimFixture f(quiet());
    const std::string token =
        f.sim->issue_tokens({"crm.objects.contacts.read", kSensitiveScope, kHighlyScope})
            .access_token;
    const auto truth = f.sim->truth(false, true);
    std::map<std::string, const Record*> by_id;
    for (const auto& c : truth)
        by_id[std::to_string(c.id)] = &c;
    auto list =
        get(f.port,
            std::string(kList) + "?limit=100&properties=national_id,date_of_birth,health_condition",
            token);
    ASSERT_EQ(list.status, 200) << list.body;
    const auto results = list.json()->getArray("results");
    ASSERT_EQ(results->size(), truth.size());
    int with_value = 0;
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto rec = results->getObject(static_cast<unsigned>(i));
        const Record& c = *by_id.at(rec->getValue<std::string>("id"));
        const auto props = rec->getObject("properties");
        for (const char* name : {"national_id", "date_of_birth", "health_condition"}) {
            const auto want = *c.find(name);
            if (want) {
                ++with_value;
                EXPECT_EQ(props->getValue<std::string>(name), *want) << name;
            } else {
                EXPECT_TRUE(props->isNull(name)) << name;
            }
        }
    }
    EXPECT_GT(with_value, 60);  // most contacts have most of them
    const std::string id = std::to_string(truth.front().id);
    auto batch =
        post_json(f.port, std::string(kList) + "/batch/read",
                  R"({"inputs":[{"id":")" + id + R"("}],"properties":["national_id"]})", token);
    EXPECT_EQ(batch.status, 200) << batch.body;
    auto search = post_json(
        f.port, std::string(kList) + "/search",
        R"({"filterGroups":[{"filters":[{"propertyName":"national_id","operator":"HAS_PROPERTY"}]}],"properties":["national_id"]})",
        token);
    ASSERT_EQ(search.status, 200) << search.body;
    EXPECT_GT(search.json()->getValue<int>("total"), 0);
}

TEST(SimSensitive, TruthLeavesThemOutUnlessAsked) {
    SimFixture f(quiet());
    const auto plain = f.sim->truth(false);
    EXPECT_EQ(plain.front().find("national_id"), nullptr);
    EXPECT_NE(plain.front().find("email"), nullptr);
    const auto full = f.sim->truth(false, true);
    EXPECT_NE(full.front().find("national_id"), nullptr);
    EXPECT_EQ(full.front().properties.size(), plain.front().properties.size() + 3);
    EXPECT_NE(f.sim->contact(plain.front().id, true)->find("health_condition"), nullptr);
    EXPECT_EQ(f.sim->contact(plain.front().id)->find("health_condition"), nullptr);
    // The admin dump follows the same rule.
    auto dump = http(f.port, "GET", "/_sim/contacts/" + std::to_string(plain.front().id));
    EXPECT_FALSE(dump.json()->getObject("properties")->has("national_id"));
    dump = http(f.port, "GET",
                "/_sim/contacts/" + std::to_string(plain.front().id) + "?sensitive=true");
    EXPECT_TRUE(dump.json()->getObject("properties")->has("national_id"));
}

}  // namespace
}  // namespace hubsync::sim::testing
