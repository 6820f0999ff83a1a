// HubSpot's API generations in the simulator: every endpoint answers alike on its legacy path
// and on the dated paths of every version in model/endpoints.h, and with legacy paths off
// (as after HubSpot retires them) every legacy family answers 404 and is still logged.
#include <gtest/gtest.h>

#include <Poco/JSON/Stringifier.h>

#include <sstream>

#include "model/endpoints.h"
#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const char* kCreds = "client_id=sim-client-id&client_secret=sim-client-secret";

SimOptions quiet(int contacts = 40) {
    SimOptions o;
    o.contacts = contacts;
    o.rate_limits = false;
    return o;
}

std::string stringify(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

// Every contacts base path the simulator answers on: legacy and dated, by name and by id.
std::vector<std::string> contacts_bases() {
    std::vector<std::string> out = {"/crm/v3/objects/contacts", "/crm/v3/objects/0-1"};
    for (const ApiVersion& v : api_versions()) {
        out.push_back(endpoint_path(Endpoint::kListObjects, v.name, "contacts"));
        out.push_back(endpoint_path(Endpoint::kListObjects, v.name, "0-1"));
    }
    return out;
}

std::vector<std::string> properties_paths() {
    std::vector<std::string> out = {"/crm/v3/properties/contacts", "/crm/v3/properties/0-1"};
    for (const ApiVersion& v : api_versions()) {
        out.push_back(endpoint_path(Endpoint::kListProperties, v.name, "contacts"));
        out.push_back(endpoint_path(Endpoint::kListProperties, v.name, "0-1"));
    }
    return out;
}

std::vector<std::string> dated_token_paths() {
    std::vector<std::string> out;
    for (const ApiVersion& v : api_versions())
        out.push_back(endpoint_path(Endpoint::kOAuthToken, v.name));
    return out;
}

TEST(SimGenerations, EveryVersionOfTheTableIsServed) {
    // The dated paths come from the endpoint table: at least the two versions of late 2026.
    ASSERT_GE(api_versions().size(), 2u);
    EXPECT_EQ(contacts_bases().size(), 2 + 2 * api_versions().size());
}

TEST(SimGenerations, ReadsAnswerAlikeOnLegacyAndDatedPaths) {
    SimFixture f(quiet());
    const auto truth = f.sim->truth(false);
    const std::string id = std::to_string(truth[3].id);
    const std::string batch =
        R"({"inputs":[{"id":")" + id + R"("},{"id":"1"}],"properties":["email","city"]})";
    const std::string search =
        R"({"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"GTE","value":")" +
        id + R"("}]}],"properties":["email"],"limit":5})";
    std::string list0, get0, batch0, search0;
    for (const auto& base : contacts_bases()) {
        SCOPED_TRACE(base);
        auto list = get(f.port, base + "?limit=7&properties=email,firstname", f.token);
        ASSERT_EQ(list.status, 200) << list.body;
        // The paging link names the path asked for; results and cursor are the same.
        const auto page = list.json();
        EXPECT_NE(page->getObject("paging")->getObject("next")->getValue<std::string>("link").find(
                      base + "?after="),
                  std::string::npos);
        const std::string list_text =
            stringify(page->get("results")) +
            page->getObject("paging")->getObject("next")->getValue<std::string>("after");
        auto one = get(f.port, base + "/" + id + "?properties=email", f.token);
        ASSERT_EQ(one.status, 200) << one.body;
        auto read = post_json(f.port, base + "/batch/read", batch, f.token);
        ASSERT_EQ(read.status, 207) << read.body;
        auto found = post_json(f.port, base + "/search", search, f.token);
        ASSERT_EQ(found.status, 200) << found.body;
        if (list0.empty()) {
            list0 = list_text;
            get0 = one.body;
            batch0 = read.body;
            search0 = found.body;
            continue;
        }
        EXPECT_EQ(list_text, list0);
        EXPECT_EQ(one.body, get0);
        EXPECT_EQ(read.body, batch0);  // the manual clock keeps startedAt/completedAt equal
        EXPECT_EQ(found.body, search0);
    }
    std::string props0;
    for (const auto& path : properties_paths()) {
        auto props = get(f.port, path, f.token);
        ASSERT_EQ(props.status, 200) << path;
        if (props0.empty()) props0 = props.body;
        EXPECT_EQ(props.body, props0) << path;
    }
}

TEST(SimGenerations, WritesWorkOnLegacyAndDatedPaths) {
    SimFixture f(quiet());
    const std::string token =
        f.sim->issue_tokens({"crm.objects.contacts.read", "crm.objects.contacts.write"})
            .access_token;
    for (const auto& base : contacts_bases()) {
        SCOPED_TRACE(base);
        auto created =
            post_json(f.port, base, R"({"properties":{"email":"new@example.com"}})", token);
        ASSERT_EQ(created.status, 201) << created.body;
        const std::string id = created.json()->getValue<std::string>("id");
        auto patched = http(f.port, "PATCH", base + "/" + id, R"({"properties":{"city":"Oslo"}})",
                            "application/json", {{"Authorization", "Bearer " + token}});
        ASSERT_EQ(patched.status, 200) << patched.body;
        EXPECT_EQ(f.sim->contact(std::stoll(id))->find("city")->value_or(""), "Oslo");
        auto other = post_json(f.port, base, R"({"properties":{"email":"o@example.com"}})", token);
        const std::string other_id = other.json()->getValue<std::string>("id");
        auto merged = post_json(
            f.port, base + "/merge",
            R"({"primaryObjectId":")" + id + R"(","objectIdToMerge":")" + other_id + R"("})",
            token);
        ASSERT_EQ(merged.status, 200) << merged.body;
        const std::string survivor = merged.json()->getValue<std::string>("id");
        EXPECT_NE(survivor, id);
        auto deleted = http(f.port, "DELETE", base + "/" + survivor, {}, {},
                            {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(deleted.status, 204);
        EXPECT_TRUE(f.sim->contact(std::stoll(survivor))->archived);
        auto gone =
            post_json(f.port, base + "/gdpr-delete", R"({"objectId":")" + survivor + "\"}", token);
        EXPECT_EQ(gone.status, 204) << gone.body;
        EXPECT_FALSE(f.sim->contact(std::stoll(survivor)).has_value());
    }
}

TEST(SimGenerations, OAuthOnLegacyAndDatedPaths) {
    SimFixture f(quiet(5));
    const auto t = f.sim->issue_tokens();
    const std::string refresh =
        std::string(kCreds) + "&grant_type=refresh_token&refresh_token=" + t.refresh_token;
    std::vector<std::string> token_paths = {"/oauth/v1/token", "/oauth/v3/token"};
    for (const auto& p : dated_token_paths())
        token_paths.push_back(p);
    for (const auto& path : token_paths) {
        auto r = post_form(f.port, path, refresh);
        ASSERT_EQ(r.status, 200) << path << r.body;
        EXPECT_EQ(r.json()->getValue<std::string>("refresh_token"), t.refresh_token);
        // Introspection and revocation sit under every dated token path (and v3).
        if (path == "/oauth/v1/token") continue;
        const std::string access = r.json()->getValue<std::string>("access_token");
        auto in = post_form(f.port, path + "/introspect", std::string(kCreds) + "&token=" + access);
        ASSERT_EQ(in.status, 200) << path << in.body;
        EXPECT_TRUE(in.json()->getValue<bool>("active"));
        EXPECT_EQ(
            post_form(f.port, path + "/revoke", std::string(kCreds) + "&token=" + access).status,
            200)
            << path;
        EXPECT_EQ(get(f.port, "/crm/v3/objects/contacts", access).status, 401) << path;
    }
    EXPECT_EQ(http(f.port, "GET", "/oauth/v1/access-tokens/" + t.access_token).status, 200);
}

TEST(SimGenerations, UnknownVersionsAndTypesAre404) {
    SimFixture f(quiet(5));
    EXPECT_EQ(get(f.port, "/crm/objects/2025-01/contacts", f.token).status, 404);
    EXPECT_EQ(get(f.port, "/crm/properties/2025-01/contacts", f.token).status, 404);
    EXPECT_EQ(get(f.port, "/crm/objects/2026-09/0-9", f.token).status, 404);
    auto token = post_form(f.port, "/oauth/2025-01/token",
                           std::string(kCreds) + "&grant_type=refresh_token&refresh_token=x");
    ASSERT_EQ(token.status, 404);
    // An OAuth error: RFC 6749 fields and HubSpot's legacy ones.
    for (const char* k : {"error", "error_description", "status", "message"})
        EXPECT_TRUE(token.json()->has(k)) << k;
}

// ---------------------------------------------------------------- legacy paths retired

struct LegacyCall {
    std::string method, path, body, content_type;
};

std::vector<LegacyCall> legacy_calls(const Simulator::Tokens& t) {
    const std::string refresh =
        std::string(kCreds) + "&grant_type=refresh_token&refresh_token=" + t.refresh_token;
    const std::string form = "application/x-www-form-urlencoded";
    return {
        {"GET", "/crm/v3/objects/contacts", "", ""},
        {"POST", "/crm/v3/objects/contacts/search", "{}", "application/json"},
        {"POST", "/crm/v3/objects/contacts/batch/read", R"({"inputs":[]})", "application/json"},
        {"GET", "/crm/v3/properties/contacts", "", ""},
        {"GET", "/crm/v3/owners", "", ""},
        {"POST", "/crm/v4/associations/contacts/companies/batch/read", R"({"inputs":[]})",
         "application/json"},
        {"GET", "/crm-object-schemas/v3/schemas", "", ""},
        {"POST", "/oauth/v1/token", refresh, form},
        {"POST", "/oauth/v3/token", refresh, form},
        {"POST", "/oauth/v3/token/introspect", std::string(kCreds) + "&token=" + t.access_token,
         form},
        {"GET", "/oauth/v1/access-tokens/" + t.access_token, "", ""},
        {"GET", "/oauth/v1/refresh-tokens/" + t.refresh_token, "", ""},
        {"DELETE", "/oauth/v1/refresh-tokens/" + t.refresh_token, "", ""},
    };
}

TEST(SimLegacyOff, EveryLegacyFamilyAnswers404AndIsLogged) {
    SimOptions o = quiet(5);
    o.legacy_off = true;
    SimFixture f(o);
    const auto t = f.sim->issue_tokens();
    const auto calls = legacy_calls(t);
    for (const auto& c : calls) {
        SCOPED_TRACE(c.method + " " + c.path);
        auto r = http(f.port, c.method, c.path, c.body, c.content_type,
                      {{"Authorization", "Bearer " + t.access_token}});
        ASSERT_EQ(r.status, 404);
        EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
        const auto j = r.json();
        EXPECT_EQ(j->getValue<std::string>("status"), "error");
        EXPECT_EQ(j->getValue<std::string>("category"), "OBJECT_NOT_FOUND");
        EXPECT_TRUE(j->has("correlationId"));
        EXPECT_NE(j->getValue<std::string>("message").find("retired"), std::string::npos);
    }
    // Every one is in the request log, and the retired DELETE revoked nothing.
    EXPECT_EQ(f.sim->count_legacy(), static_cast<int>(calls.size()));
    EXPECT_EQ(f.sim->count_status(404), static_cast<int>(calls.size()));
    EXPECT_EQ(f.sim->count_path("/oauth/v1/"), 4);
    EXPECT_EQ(f.sim->count_path("/crm/v4/"), 1);
    const std::string dated = dated_token_paths().back();
    auto refreshed = post_form(
        f.port, dated,
        std::string(kCreds) + "&grant_type=refresh_token&refresh_token=" + t.refresh_token);
    EXPECT_EQ(refreshed.status, 200) << refreshed.body;
    for (const auto& base : contacts_bases()) {
        if (base.rfind("/crm/v3/", 0) == 0) continue;
        EXPECT_EQ(get(f.port, base + "?limit=1", t.access_token).status, 200) << base;
    }
    EXPECT_EQ(f.sim->count_legacy(), static_cast<int>(calls.size()));
}

TEST(SimLegacyOff, RetiredBeforeFaultsAndAuth) {
    SimOptions o = quiet(5);
    o.legacy_off = true;
    SimFixture f(o);
    f.sim->add_fault(FaultRule::fail_next("/crm/", -1, 503));
    // No token at all: a retired path is gone, whoever asks.
    EXPECT_EQ(http(f.port, "GET", "/crm/v3/objects/contacts").status, 404);
    EXPECT_EQ(get(f.port, "/crm/objects/2026-09/contacts", f.token).status, 503);
}

TEST(SimLegacyOff, SwitchesAtRuntimeInProcessAndOverAdmin) {
    SimFixture f(quiet(5));
    const char* legacy = "/crm/v3/objects/contacts?limit=1";
    EXPECT_EQ(get(f.port, legacy, f.token).status, 200);
    f.sim->set_legacy_off(true);
    EXPECT_EQ(get(f.port, legacy, f.token).status, 404);
    auto off =
        http(f.port, "POST", "/_sim/settings", R"({"legacy_off":false})", "application/json");
    ASSERT_EQ(off.status, 200);
    EXPECT_FALSE(off.json()->getValue<bool>("legacy_off"));
    EXPECT_EQ(get(f.port, legacy, f.token).status, 200);
    http(f.port, "POST", "/_sim/settings", R"({"legacy_off":true})", "application/json");
    EXPECT_EQ(get(f.port, legacy, f.token).status, 404);
    EXPECT_EQ(get(f.port, "/crm/objects/2026-03/contacts?limit=1", f.token).status, 200);
    // The admin request log marks legacy requests.
    auto log = http(f.port, "GET", "/_sim/requests").json()->getArray("results");
    ASSERT_EQ(log->size(), 5u);
    int legacy_entries = 0;
    for (std::size_t i = 0; i < log->size(); ++i)
        legacy_entries += log->getObject(static_cast<unsigned>(i))->getValue<bool>("legacy");
    EXPECT_EQ(legacy_entries, 4);
    EXPECT_EQ(f.sim->count_legacy(), 4);
}

}  // namespace
}  // namespace hubsync::sim::testing
