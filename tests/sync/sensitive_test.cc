// [sync] sensitive_properties: HubSpot hides sensitive properties unless asked for and needs
// their own scope to read them. With the scope they are mirrored like any other; without it the
// rest is synced, with one warning that names the scope, whether the engine knows the granted
// scopes (OAuth) or has to find out (a service key).
#include <gtest/gtest.h>

#include "oauth/test_util.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

constexpr const char* kSensitiveScope = "crm.objects.contacts.sensitive.read.v2";
const std::vector<std::string> kBaseScopes = {"oauth", "crm.objects.contacts.read",
                                              "crm.schemas.contacts.read"};

HarnessOptions sensitive_options(bool with_scope) {
    HarnessOptions o;
    o.contacts = 120;
    o.custom_properties = 2;
    o.sensitive_properties = true;
    o.token_scopes = kBaseScopes;
    if (with_scope) o.token_scopes.push_back(kSensitiveScope);
    return o;
}

// The stored value of `property` of contact `id`, from the properties JSON.
std::string stored_json(SyncHarness& h, RecordId id) {
    auto row = h.mirror->get_record(contacts_type(), id);
    return row.ok() && row->has_value() ? (*row)->properties_json : std::string();
}

bool has_column(SyncHarness& h, const std::string& property) {
    for (const auto& c : h.mirror->synced_properties(contacts_type()))
        if (c.name == property) return true;
    return false;
}

TEST(SensitiveProperties, WithTheScopeTheyAreMirrored) {
    SyncHarness h(sensitive_options(true));
    ASSERT_TRUE(h.cycle().ok());
    EXPECT_TRUE(has_column(h, "national_id"));
    EXPECT_TRUE(has_column(h, "date_of_birth"));
    const auto truth = h.sim->truth(false, true);
    ASSERT_FALSE(truth.empty());
    const auto* value = truth.front().find("national_id");
    ASSERT_NE(value, nullptr);
    ASSERT_TRUE(value->has_value());
    EXPECT_NE(stored_json(h, truth.front().id).find(**value), std::string::npos);
}

TEST(SensitiveProperties, WithoutTheScopeTheRestIsSyncedWithOneWarning) {
    LogCapture log;
    SyncHarness h(sensitive_options(false));
    ASSERT_TRUE(h.cycle().ok());
    h.sim->update_contact(h.sim->contact_ids(false).front(), {{"firstname", "Changed"}});
    h.clock.advance(std::chrono::minutes(5));
    ASSERT_TRUE(h.engine->run_cycle().ok());  // the same engine, as in the service
    EXPECT_FALSE(has_column(h, "national_id"));
    h.expect_mirror_equals_truth();
    EXPECT_EQ(log.count_containing("sensitive properties of contacts are not mirrored: the "
                                   "token lacks the crm.objects.contacts.sensitive.read.v2 scope"),
              1)
        << log.all();
}

TEST(SensitiveProperties, KnownMissingScopeCostsNoRequest) {
    HarnessOptions o = sensitive_options(false);
    o.granted_scopes = kBaseScopes;  // the token store says what was granted
    SyncHarness h(o);
    ASSERT_TRUE(h.cycle().ok());
    EXPECT_FALSE(has_column(h, "national_id"));
    int asked = 0;
    for (const auto& r : h.sim->requests())
        if (r.query.find("dataSensitivity") != std::string::npos) ++asked;
    EXPECT_EQ(asked, 0);
    h.expect_mirror_equals_truth();
}

TEST(SensitiveProperties, OffByDefaultNothingIsAskedFor) {
    HarnessOptions o = sensitive_options(true);
    o.sensitive_properties = false;
    SyncHarness h(o);
    ASSERT_TRUE(h.cycle().ok());
    EXPECT_FALSE(has_column(h, "national_id"));
    for (const auto& r : h.sim->requests())
        EXPECT_EQ(r.query.find("dataSensitivity"), std::string::npos) << r.path << "?" << r.query;
}

}  // namespace
}  // namespace hubsync::testing
