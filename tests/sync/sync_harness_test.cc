// The harness itself (compiled into test_sync; its one test checks the comparison catches a
// difference, so a broken comparison cannot make every other test pass).
#include "sync_harness.h"

#include "support/truth_check.h"

#include <random>

namespace hubsync::testing {

SyncHarness::SyncHarness(const HarnessOptions& o) : time(o.time ? *o.time : clock) {
    sim::SimOptions so;
    const bool custom = find_standard_type(o.type) == nullptr;
    so.contacts = o.type == "contacts" ? o.contacts : 0;
    so.companies = o.type == "companies" ? o.contacts : 0;
    so.deals = o.type == "deals" ? o.contacts : 0;
    so.tickets = o.type == "tickets" ? o.contacts : 0;
    so.custom_records = custom ? o.contacts : 0;
    if (o.every_standard_type) so.companies = so.deals = so.tickets = -1;
    so.granted_scopes = {"oauth",
                         "crm.objects.contacts.read",
                         "crm.objects.companies.read",
                         "crm.objects.deals.read",
                         "tickets",
                         "crm.objects.custom.read",
                         "crm.schemas.custom.read",
                         "crm.objects.owners.read"};
    so.custom_properties = o.custom_properties;
    so.rate_limits = o.rate_limits;
    so.clock = &time;
    so.index_delay_min = o.index_delay;
    so.index_delay_max = o.index_delay;
    so.max_url_length = o.max_url_length;
    so.seed = 7;
    sim = std::make_unique<sim::Simulator>(so);
    auto started = sim->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().describe());
    transport = make_poco_transport({});
    tokens = std::make_unique<SimTokenSource>(*sim, time, o.token_scopes);
    ApiOptions ao;
    ao.base_url = sim->base_url();
    ao.max_url_length = static_cast<int>(o.max_url_length);
    if (o.transport_pool) ao.make_transport = [] { return make_poco_transport({}); };
    api = make_hubspot_api(*transport, *tokens, time, ao);
    MirrorOptions mo;
    mo.clock = &time;
    auto m = SqliteMirror::open((dir / "mirror.db").string(), mo);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe());
    if (m.ok()) mirror = std::move(m).value();
    if (auto t = sim->object_type(o.type)) type_ = *t;
    sync_options.objects = {o.type};
    sync_options.properties = o.properties;
    sync_options.sensitive_properties = o.sensitive_properties;
    sync_options.granted_scopes = o.granted_scopes;
    sync_options.max_url_length = static_cast<int>(o.max_url_length);
    engine = std::make_unique<SyncEngine>(*api, *mirror, time, sync_options);
}

SyncHarness::~SyncHarness() {
    engine.reset();
    mirror.reset();
    sim->stop();
}

Result<CycleReport> SyncHarness::cycle(CycleRequest request) {
    engine = std::make_unique<SyncEngine>(*api, *mirror, time, sync_options);
    return engine->run_cycle(request);
}

std::vector<std::string> mirror_differences(const sim::Simulator& sim, Mirror& mirror) {
    return check_against_truth(sim, mirror).lines;
}

std::vector<std::string> SyncHarness::differences() {
    return check_against_truth(*sim, *mirror, type_).lines;
}

std::string SyncHarness::text_property() const {
    for (const auto& d : sim->property_defs(type_.name))
        if (d.type == "string" && d.field_type == "text" && !d.calculated &&
            d.name.rfind("hs_", 0) != 0)
            return d.name;
    ADD_FAILURE() << type_.name << " has no writable text property";
    return {};
}

void SyncHarness::expect_mirror_equals_truth() {
    const auto diffs = differences();
    std::string shown;
    for (std::size_t i = 0; i < diffs.size() && i < 5; ++i)
        shown += "\n  " + diffs[i];
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences:" << shown;
}

TEST(SyncHarness, ComparisonDetectsADifference) {
    HarnessOptions o;
    o.contacts = 50;
    SyncHarness h(o);
    auto r = h.cycle();
    ASSERT_TRUE(r.ok()) << r.error().describe();
    h.expect_mirror_equals_truth();
    // A change the mirror has not seen must be caught by the comparison.
    h.sim->update_contact(h.sim->truth(false).front().id, {{"firstname", "Changed"}});
    const auto diffs = h.differences();
    ASSERT_EQ(diffs.size(), 1u);
    EXPECT_NE(diffs[0].find("differs"), std::string::npos) << diffs[0];
}

}  // namespace hubsync::testing
