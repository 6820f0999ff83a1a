// Which object types a cycle syncs: every type of `objects = *` the authorization can read,
// each in its own table with its own sync_runs row; a named type whose scope is missing is an
// error before any request; a custom object type created in HubSpot later is picked up by the
// next cycle under `*`.
#include <gtest/gtest.h>

#include "support/truth_check.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::minutes;

HarnessOptions every_type() {
    HarnessOptions o;
    o.contacts = 400;  // and, through `objects`, every other type below
    o.custom_properties = 2;
    return o;
}

// A harness whose simulator holds records of every type and whose engine syncs `objects`.
struct AllTypes {
    explicit AllTypes(std::vector<std::string> objects, HarnessOptions o = every_type()) : h(o) {
        // The harness populates only its type; give the others records too.
        for (const auto& type : {"companies", "deals", "tickets", "pets"})
            for (int i = 0; i < 60; ++i)
                h.sim->create(type, {});
        h.sync_options.objects = std::move(objects);
    }
    SyncHarness h;
};

std::int64_t rows(SyncHarness& h, const ObjectType& type) {
    auto counts = h.mirror->counts(type);
    return counts.ok() ? counts->total : -1;
}

TEST(ObjectTypes, EveryTypeTheScopesAllowGetsItsOwnTableRunAndTruth) {
    AllTypes all({"*"});
    SyncHarness& h = all.h;
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    ASSERT_EQ(report->types.size(), 5u);
    for (const auto& name : {"contacts", "companies", "deals", "tickets", "pets"}) {
        SCOPED_TRACE(name);
        const auto type = h.sim->object_type(name);
        ASSERT_TRUE(type.has_value());
        const TypeReport* r = report->type(name);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->mode, "backfill");
        EXPECT_TRUE(r->error.empty()) << r->error;
        const TruthCheck check = check_against_truth(*h.sim, *h.mirror, *type);
        EXPECT_TRUE(check.equal()) << (check.lines.empty() ? "" : check.lines.front());
        auto run = h.mirror->last_run(name);
        ASSERT_TRUE(run.ok() && run->has_value());
        EXPECT_EQ((*run)->object_type, name);
        EXPECT_GT((*run)->records_written, 0);
    }
    EXPECT_EQ(h.mirror->object_types()->size(), 5u);
}

TEST(ObjectTypes, StarLeavesOutWhatTheAuthorizationCannotRead) {
    HarnessOptions o = every_type();
    o.granted_scopes =
        std::vector<std::string>{"oauth", "crm.objects.contacts.read", "crm.objects.deals.read"};
    AllTypes all({"*"}, o);
    SyncHarness& h = all.h;
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    ASSERT_EQ(report->types.size(), 2u);
    EXPECT_NE(report->type("contacts"), nullptr);
    EXPECT_NE(report->type("deals"), nullptr);
    for (const auto& r : h.sim->requests())
        EXPECT_EQ(r.path.find("companies"), std::string::npos) << r.path;
}

TEST(ObjectTypes, ANamedTypeWithoutItsScopeIsAnErrorBeforeAnyRequest) {
    HarnessOptions o = every_type();
    o.granted_scopes = std::vector<std::string>{"oauth", "crm.objects.contacts.read"};
    AllTypes all({"contacts", "tickets"}, o);
    SyncHarness& h = all.h;
    h.sim->clear_requests();
    auto report = h.cycle();
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().kind, ErrorKind::kForbidden);
    EXPECT_NE(report.error().message.find("tickets are configured in sync.objects, but the "
                                          "authorization lacks the tickets scope"),
              std::string::npos)
        << report.error().message;
    EXPECT_NE(report.error().hint.find("hubsync authorize"), std::string::npos);
    EXPECT_TRUE(h.sim->requests().empty()) << "nothing is read before the config is fixed";
}

TEST(ObjectTypes, AnUnknownNameIsAConfigErrorNamingIt) {
    AllTypes all({"contacts", "spaceships"});
    auto report = all.h.cycle();
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().kind, ErrorKind::kConfig);
    EXPECT_NE(report.error().message.find("spaceships"), std::string::npos);
}

TEST(ObjectTypes, ACustomObjectCreatedLaterIsPickedUpByTheNextCycle) {
    AllTypes all({"*"});
    SyncHarness& h = all.h;
    ASSERT_TRUE(h.cycle().ok());
    sim::CustomObjectSpec cars;
    cars.name = "cars";
    cars.label_singular = "Car";
    cars.label_plural = "Cars";
    cars.primary_display_property = "model";
    PropertyDef model;
    model.name = "model";
    model.label = "Model";
    model.type = "string";
    model.field_type = "text";
    cars.properties = {model};
    cars.records = 250;
    const std::string type_id = h.sim->add_custom_object_type(cars);
    h.clock.advance(minutes(5));
    auto report = h.cycle();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    const TypeReport* r = report->type("cars");
    ASSERT_NE(r, nullptr) << "the new type is synced";
    EXPECT_EQ(r->mode, "backfill");
    const auto type = custom_object_type("cars", type_id);
    ASSERT_TRUE(type.has_value());
    EXPECT_EQ(type->table, "custom_cars");
    EXPECT_EQ(rows(h, *type), 250);
    EXPECT_TRUE(check_against_truth(*h.sim, *h.mirror, *type).equal());
    // The types synced before go on incrementally.
    EXPECT_EQ(report->type("contacts")->mode, "incremental");
}

}  // namespace
}  // namespace hubsync::testing
