// The simulated account around the records: owners, pipelines and stages, custom object
// schemas (also one added at runtime), the tickets scope, limits and legacy paths shared by
// every type, and the admin routes and flags that reach them.
#include <gtest/gtest.h>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <csignal>
#include <filesystem>
#include <set>

#include "model/endpoints.h"
#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const char* kAll[] = {
    "crm.objects.contacts.read", "crm.objects.companies.read", "crm.objects.deals.read", "tickets",
    "crm.objects.custom.read",   "crm.schemas.custom.read",    "crm.objects.owners.read"};

SimOptions quiet(int contacts = 100) {
    SimOptions o;
    o.contacts = contacts;
    o.rate_limits = false;
    return o;
}

std::string all_scopes_token(Simulator& sim) {
    return sim.issue_tokens({std::begin(kAll), std::end(kAll)}).access_token;
}

std::string path(Endpoint e, const std::string& type = {}) {
    return endpoint_path(e, default_api_version(), type);
}

std::string value_of(const Record& r, const std::string& name) {
    const auto* v = r.find(name);
    return v && *v ? **v : "<null>";
}

std::vector<std::string> strings_of(const Poco::JSON::Array::Ptr& arr, const char* key) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < arr->size(); ++i)
        out.push_back(arr->getObject(static_cast<unsigned>(i))->getValue<std::string>(key));
    return out;
}

// ---------------------------------------------------------------- counts and types

TEST(SimAccount, RecordCountsFollowContactsUnlessGiven) {
    SimOptions o = quiet(200);
    Simulator proportional(o);
    EXPECT_EQ(proportional.object_types(),
              (std::vector<std::string>{"contacts", "companies", "deals", "tickets", "pets"}));
    EXPECT_EQ(proportional.record_ids("contacts", true).size(), 200u);
    EXPECT_EQ(proportional.record_ids("companies", true).size(), 40u);
    EXPECT_EQ(proportional.record_ids("deals", true).size(), 100u);
    EXPECT_EQ(proportional.record_ids("tickets", true).size(), 20u);
    EXPECT_EQ(proportional.record_ids("pets", true).size(), 10u);
    o.companies = 3;
    o.deals = 0;
    o.tickets = 7;
    o.custom_records = 1;
    Simulator given(o);
    EXPECT_EQ(given.record_ids("0-2", true).size(), 3u);
    EXPECT_EQ(given.record_ids("0-3", true).size(), 0u);
    EXPECT_EQ(given.record_ids("0-5", true).size(), 7u);
    EXPECT_EQ(given.record_ids("2-7100001", true).size(), 1u);
    EXPECT_THROW(given.truth("widgets", false), std::invalid_argument);
    EXPECT_FALSE(given.object_type("0-9"));
    // A string literal picks the typed overload, not truth(bool, bool).
    EXPECT_EQ(given.truth("tickets", false).size(), 7u);
}

TEST(SimAccount, EveryTypeIsDeterministicFromTheSeed) {
    SimOptions o = quiet(100);
    Simulator a(o), b(o);
    o.seed = 9;
    Simulator c(o);
    for (const char* type : {"companies", "deals", "tickets", "pets"}) {
        const auto ta = a.truth(type, false), tb = b.truth(type, false), tc = c.truth(type, false);
        ASSERT_EQ(ta.size(), tb.size()) << type;
        int differ = 0;
        for (std::size_t i = 0; i < ta.size(); ++i) {
            EXPECT_EQ(ta[i].id, tb[i].id);
            for (std::size_t p = 0; p < ta[i].properties.size(); ++p) {
                EXPECT_EQ(ta[i].properties[p].value, tb[i].properties[p].value);
                differ += ta[i].properties[p].value != tc[i].properties[p].value;
            }
        }
        EXPECT_GT(differ, 0) << type;
    }
}

// ---------------------------------------------------------------- owners

TEST(SimOwners, PagesWithOpaqueCursorsAndListsArchivedOnlyWhenAsked) {
    SimOptions o = quiet();
    o.owners = 25;  // every fifth archived: 5 archived, 20 active
    SimFixture f(o);
    const std::string token = all_scopes_token(*f.sim);
    std::vector<std::string> seen;
    std::string after;
    int pages = 0;
    for (;;) {
        auto r =
            get(f.port,
                path(Endpoint::kListOwners) + "?limit=8" + (after.empty() ? "" : "&after=" + after),
                token);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto page = r.json();
        ++pages;
        for (const auto& id : ids_of(page))
            seen.push_back(id);
        if (!page->has("paging")) break;
        after = page->getObject("paging")->getObject("next")->getValue<std::string>("after");
        EXPECT_FALSE(std::all_of(after.begin(), after.end(), ::isdigit));
    }
    EXPECT_EQ(pages, 3);
    std::vector<std::string> expected;
    for (const auto& ow : f.sim->owners(false))
        expected.push_back(ow.id);
    EXPECT_EQ(seen, expected);
    ASSERT_EQ(seen.size(), 20u);

    auto archived = get(f.port, "/crm/v3/owners?archived=true&limit=100", token);
    ASSERT_EQ(archived.status, 200);
    const auto results = archived.json()->getArray("results");
    ASSERT_EQ(results->size(), 5u);
    for (std::size_t i = 0; i < results->size(); ++i)
        EXPECT_TRUE(results->getObject(static_cast<unsigned>(i))->getValue<bool>("archived"));

    // Every field HubSpot sends; queues have no user.
    auto first = get(f.port, path(Endpoint::kListOwners) + "?limit=100", token).json();
    int queues = 0, in_teams = 0;
    const auto owners = first->getArray("results");
    for (std::size_t i = 0; i < owners->size(); ++i) {
        const auto ow = owners->getObject(static_cast<unsigned>(i));
        for (const char* k : {"id", "email", "firstName", "lastName", "type", "teams", "archived",
                              "createdAt", "updatedAt"})
            EXPECT_TRUE(ow->has(k)) << k;
        const bool queue = ow->getValue<std::string>("type") == "QUEUE";
        queues += queue;
        EXPECT_EQ(ow->has("userId"), !queue);
        const auto teams = ow->getArray("teams");
        if (teams->size() > 0) {
            ++in_teams;
            EXPECT_TRUE(teams->getObject(0)->getValue<bool>("primary"));
            EXPECT_TRUE(teams->getObject(0)->has("name"));
        }
    }
    EXPECT_GT(queues, 0);
    EXPECT_GT(in_teams, 0);
    EXPECT_EQ(get(f.port, path(Endpoint::kListOwners) + "?limit=101", token).status, 400);
    EXPECT_EQ(get(f.port, path(Endpoint::kListOwners) + "?after=123", token).status, 400);
    // One owner by id; the owners scope is needed.
    EXPECT_EQ(get(f.port, path(Endpoint::kListOwners) + "/" + seen[3], token)
                  .json()
                  ->getValue<std::string>("id"),
              seen[3]);
    auto refused = get(f.port, path(Endpoint::kListOwners), f.token);
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("crm.objects.owners.read"), std::string::npos);
}

TEST(SimOwners, GeneratedOwnerIdsAreOwnersAndOwnersChangeAtRuntime) {
    SimFixture f(quiet(200));
    std::set<std::string> ids;
    for (bool archived : {false, true})
        for (const auto& o : f.sim->owners(archived))
            ids.insert(o.id);
    EXPECT_EQ(ids.size(), 10u);
    int assigned = 0, to_archived = 0;
    std::set<std::string> archived_ids;
    for (const auto& o : f.sim->owners(true))
        archived_ids.insert(o.id);
    for (const char* type : {"companies", "deals", "tickets", "pets"}) {
        for (const auto& r : f.sim->truth(type, false)) {
            const std::string owner = value_of(r, "hubspot_owner_id");
            if (owner == "<null>") continue;
            ++assigned;
            EXPECT_TRUE(ids.count(owner)) << type << " " << owner;
            to_archived += archived_ids.count(owner) > 0;
        }
    }
    EXPECT_GT(assigned, 100);
    EXPECT_GT(to_archived, 0);  // records still point at owners who left

    f.clock.advance(std::chrono::hours(1));
    SimOwner added;
    added.email = "new.owner@portal.example";
    added.first_name = "Nova";
    added.last_name = "Ng";
    added.user_id = 999;
    added.teams = {{"4101", "Sales EMEA", true}};
    const std::string id = f.sim->add_owner(added);
    const std::string token = all_scopes_token(*f.sim);
    auto listed =
        get(f.port, path(Endpoint::kListOwners) + "?email=new.owner@portal.example", token);
    ASSERT_EQ(ids_of(listed.json()), std::vector<std::string>{id});
    EXPECT_EQ(listed.json()->getArray("results")->getObject(0)->getValue<std::string>("createdAt"),
              "2026-01-01T01:00:00.000Z");
    f.sim->archive_owner(id);
    EXPECT_TRUE(
        ids_of(get(f.port, path(Endpoint::kListOwners) + "?email=new.owner@portal.example", token)
                   .json())
            .empty());
    auto gone = get(f.port, path(Endpoint::kListOwners) + "?archived=true", token).json();
    EXPECT_EQ(ids_of(gone).back(), id);
    EXPECT_THROW(f.sim->archive_owner("1"), std::invalid_argument);
    SimOwner bad;
    bad.type = "ROBOT";
    EXPECT_THROW(f.sim->add_owner(bad), std::invalid_argument);
}

// ---------------------------------------------------------------- pipelines

TEST(SimPipelines, DealsAndTicketsWithStageMetadataAsStrings) {
    SimFixture f(quiet(200));
    const std::string token = all_scopes_token(*f.sim);
    auto deals = get(f.port, path(Endpoint::kListPipelines, "deals"), token);
    ASSERT_EQ(deals.status, 200) << deals.body;
    EXPECT_FALSE(deals.json()->has("paging"));
    const auto deal_pipelines = deals.json()->getArray("results");
    ASSERT_EQ(deal_pipelines->size(), 2u);
    int archived_stages = 0;
    for (std::size_t i = 0; i < deal_pipelines->size(); ++i) {
        const auto p = deal_pipelines->getObject(static_cast<unsigned>(i));
        for (const char* k : {"id", "label", "displayOrder", "archived", "stages"})
            EXPECT_TRUE(p->has(k)) << k;
        const auto stages = p->getArray("stages");
        for (std::size_t k = 0; k < stages->size(); ++k) {
            const auto s = stages->getObject(static_cast<unsigned>(k));
            const auto meta = s->getObject("metadata");
            // Strings, not numbers or booleans.
            EXPECT_TRUE(meta->get("probability").isString());
            EXPECT_TRUE(meta->get("isClosed").isString());
            const double probability = std::stod(meta->getValue<std::string>("probability"));
            EXPECT_GE(probability, 0.0);
            EXPECT_LE(probability, 1.0);
            archived_stages += s->getValue<bool>("archived");
        }
    }
    EXPECT_EQ(archived_stages, 1);
    auto won = f.sim->pipelines("deals").front().stages[5];
    EXPECT_EQ(won.id, "closedwon");
    EXPECT_EQ(won.metadata.at("isClosed"), "true");
    EXPECT_EQ(won.metadata.at("probability"), "1.0");

    auto tickets = get(f.port, "/crm/v3/pipelines/tickets", token);
    ASSERT_EQ(tickets.status, 200);
    std::set<std::string> states;
    const auto ticket_pipelines = tickets.json()->getArray("results");
    for (std::size_t i = 0; i < ticket_pipelines->size(); ++i) {
        const auto stages =
            ticket_pipelines->getObject(static_cast<unsigned>(i))->getArray("stages");
        for (std::size_t k = 0; k < stages->size(); ++k)
            states.insert(stages->getObject(static_cast<unsigned>(k))
                              ->getObject("metadata")
                              ->getValue<std::string>("ticketState"));
    }
    EXPECT_EQ(states, (std::set<std::string>{"OPEN", "CLOSED"}));

    // Generated stage values belong to the record's pipeline.
    for (const auto& [type, pipeline_prop, stage_prop] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"deals", "pipeline", "dealstage"},
             {"tickets", "hs_pipeline", "hs_pipeline_stage"},
             {"pets", "hs_pipeline", "hs_pipeline_stage"}}) {
        std::map<std::string, std::set<std::string>> stages_of;
        for (const auto& p : f.sim->pipelines(type))
            for (const auto& s : p.stages)
                stages_of[p.id].insert(s.id);
        std::set<std::string> pipelines_used;
        for (const auto& r : f.sim->truth(type, false)) {
            const std::string p = value_of(r, pipeline_prop);
            ASSERT_TRUE(stages_of.count(p)) << type << " " << p;
            EXPECT_TRUE(stages_of[p].count(value_of(r, stage_prop))) << type;
            pipelines_used.insert(p);
        }
        EXPECT_EQ(pipelines_used.size(), stages_of.size()) << type;
    }
    // Contacts and companies have none; pets (a custom object) have theirs.
    EXPECT_EQ(get(f.port, path(Endpoint::kListPipelines, "contacts"), token).status, 400);
    auto pets = get(f.port, path(Endpoint::kListPipelines, "2-7100001"), token);
    ASSERT_EQ(pets.status, 200);
    EXPECT_EQ(strings_of(pets.json()->getArray("results"), "label"),
              std::vector<std::string>{"Adoption"});
    // One pipeline, and its stages.
    auto one = get(f.port, path(Endpoint::kListPipelines, "deals") + "/default", token);
    EXPECT_EQ(one.json()->getValue<std::string>("label"), "Sales Pipeline");
    auto stages = get(f.port, path(Endpoint::kListPipelines, "deals") + "/default/stages", token);
    EXPECT_EQ(stages.json()->getArray("results")->size(), 7u);
    // The type's read scope is what pipelines need.
    auto refused = get(f.port, path(Endpoint::kListPipelines, "tickets"), f.token);
    ASSERT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("\"tickets\""), std::string::npos);
}

TEST(SimPipelines, RelabelledStagesAndOptionsShowOnTheNextRead) {
    SimFixture f(quiet());
    const std::string token = all_scopes_token(*f.sim);
    auto label_of_stage = [&](const std::string& id) {
        const auto results =
            get(f.port, path(Endpoint::kListPipelines, "deals"), token).json()->getArray("results");
        for (std::size_t i = 0; i < results->size(); ++i) {
            const auto stages = results->getObject(static_cast<unsigned>(i))->getArray("stages");
            for (std::size_t k = 0; k < stages->size(); ++k) {
                const auto s = stages->getObject(static_cast<unsigned>(k));
                if (s->getValue<std::string>("id") == id)
                    return s->getValue<std::string>("label") + "@" +
                           s->getValue<std::string>("updatedAt");
            }
        }
        return std::string("<none>");
    };
    EXPECT_EQ(label_of_stage("contractsent"), "Contract Sent@2019-01-01T00:00:00.000Z");
    const auto before = f.sim->truth("deals", false);
    f.clock.advance(std::chrono::minutes(3));
    f.sim->relabel_stage("deals", "default", "contractsent", "Contract out");
    EXPECT_EQ(label_of_stage("contractsent"), "Contract out@2026-01-01T00:03:00.000Z");
    // The over-HTTP twin.
    auto admin = http(
        f.port, "POST", "/_sim/stages/relabel",
        R"({"objectType":"deals","pipelineId":"default","stageId":"closedwon","label":"Won!"})",
        "application/json");
    EXPECT_EQ(admin.status, 200) << admin.body;
    EXPECT_EQ(label_of_stage("closedwon").substr(0, 4), "Won!");
    // Relabelling changes no record.
    const auto after = f.sim->truth("deals", false);
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i)
        EXPECT_EQ(value_of(before[i], "dealstage"), value_of(after[i], "dealstage"));
    EXPECT_THROW(f.sim->relabel_stage("deals", "default", "nope", "x"), std::invalid_argument);
    EXPECT_THROW(f.sim->relabel_stage("contacts", "default", "closedwon", "x"),
                 std::invalid_argument);

    // Option labels, too.
    auto label_of_option = [&](const std::string& type, const std::string& property,
                               const std::string& value) {
        for (const auto& d : f.sim->property_defs(type))
            if (d.name == property)
                for (const auto& o : d.options)
                    if (o.value == value) return o.label;
        return std::string("<none>");
    };
    EXPECT_EQ(label_of_option("tickets", "hs_ticket_priority", "HIGH"), "High");
    f.sim->relabel_option("tickets", "hs_ticket_priority", "HIGH", "Important");
    EXPECT_EQ(label_of_option("tickets", "hs_ticket_priority", "HIGH"), "Important");
    auto props = get(f.port, path(Endpoint::kListProperties, "tickets"), token);
    EXPECT_NE(props.body.find(R"({"label":"Important","value":"HIGH")"), std::string::npos);
    http(
        f.port, "POST", "/_sim/options/relabel",
        R"({"objectType":"contacts","property":"lifecyclestage","value":"lead","label":"Warm lead"})",
        "application/json");
    EXPECT_EQ(label_of_option("contacts", "lifecyclestage", "lead"), "Warm lead");
    EXPECT_THROW(f.sim->relabel_option("tickets", "hs_ticket_priority", "NOPE", "x"),
                 std::invalid_argument);
}

TEST(SimProperties, OwnerPropertiesHaveExternalOptionsAndEnumerationsLabels) {
    SimFixture f(quiet());
    for (const char* type : {"companies", "deals", "tickets", "pets"}) {
        bool owner_seen = false;
        int labelled = 0;
        for (const auto& d : f.sim->property_defs(type)) {
            if (d.name == "hubspot_owner_id") {
                owner_seen = true;
                EXPECT_TRUE(d.external_options) << type;
                EXPECT_TRUE(d.options.empty()) << type;
            }
            if (d.type == "enumeration" && !d.options.empty()) {
                ++labelled;
                for (const auto& o : d.options)
                    EXPECT_NE(o.label, o.value) << type << "." << d.name;
            }
        }
        EXPECT_TRUE(owner_seen) << type;
        EXPECT_GT(labelled, 0) << type;
    }
    const std::string token = all_scopes_token(*f.sim);
    auto deals = get(f.port, path(Endpoint::kListProperties, "deals"), token);
    EXPECT_NE(deals.body.find(R"("externalOptions":true,"referencedObjectType":"OWNER")"),
              std::string::npos);
    // A hidden option stays listed, marked hidden, and is never generated.
    EXPECT_NE(deals.body.find(
                  R"({"label":"Deutsche Mark","value":"DEM","displayOrder":5,"hidden":true})"),
              std::string::npos);
    for (const auto& r : f.sim->truth("deals", false))
        EXPECT_NE(value_of(r, "deal_currency_code"), "DEM");
}

// ---------------------------------------------------------------- custom object schemas

TEST(SimSchemas, ListsCustomObjectsLightOrWithDefinitions) {
    SimFixture f(quiet());
    const std::string token = all_scopes_token(*f.sim);
    for (const std::string& base :
         {std::string("/crm-object-schemas/v3/schemas"), path(Endpoint::kListSchemas)}) {
        auto full = get(f.port, base, token);
        ASSERT_EQ(full.status, 200) << full.body;
        const auto schemas = full.json()->getArray("results");
        ASSERT_EQ(schemas->size(), 1u);
        const auto pets = schemas->getObject(0);
        EXPECT_EQ(pets->getValue<std::string>("objectTypeId"), "2-7100001");
        EXPECT_EQ(pets->getValue<std::string>("name"), "pets");
        EXPECT_EQ(pets->getValue<std::string>("fullyQualifiedName"), "p62515_pets");
        EXPECT_EQ(pets->getObject("labels")->getValue<std::string>("singular"), "Pet");
        EXPECT_EQ(pets->getObject("labels")->getValue<std::string>("plural"), "Pets");
        EXPECT_EQ(pets->getValue<std::string>("primaryDisplayProperty"), "pet_name");
        const auto props = strings_of(pets->getArray("properties"), "name");
        for (const char* n :
             {"pet_name", "species", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"})
            EXPECT_NE(std::find(props.begin(), props.end(), n), props.end()) << n;
        EXPECT_EQ(pets->getArray("associations")->size(), 1u);
        auto light = get(f.port, base + "?includePropertyDefinitions=false", token);
        EXPECT_FALSE(light.json()->getArray("results")->getObject(0)->has("properties"));
        EXPECT_TRUE(light.json()->getArray("results")->getObject(0)->has("associations"));
        // The call hubsync makes: neither definitions.
        auto lightest = get(f.port,
                            base +
                                "?includePropertyDefinitions=false"
                                "&includeAssociationDefinitions=false",
                            token);
        const auto bare = lightest.json()->getArray("results")->getObject(0);
        EXPECT_FALSE(bare->has("properties"));
        EXPECT_FALSE(bare->has("associations"));
        EXPECT_EQ(bare->getValue<std::string>("objectTypeId"), "2-7100001");
    }
    auto one = get(f.port, path(Endpoint::kListSchemas) + "/p62515_pets", token);
    EXPECT_EQ(one.json()->getValue<std::string>("objectTypeId"), "2-7100001");
    EXPECT_EQ(get(f.port, path(Endpoint::kListSchemas) + "/deals", token).status, 404);
    // The schemas scope is needed; the objects scope is not enough.
    auto refused = get(f.port, path(Endpoint::kListSchemas),
                       f.sim->issue_tokens({"crm.objects.custom.read"}).access_token);
    ASSERT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("crm.schemas.custom.read"), std::string::npos);
}

TEST(SimSchemas, ACustomTypeAddedAtRuntimeIsServedEverywhere) {
    SimFixture f(quiet());
    f.clock.advance(std::chrono::hours(2));
    const std::string token = all_scopes_token(*f.sim);
    CustomObjectSpec spec;
    spec.name = "cars";
    spec.label_singular = "Car";
    spec.label_plural = "Cars";
    spec.primary_display_property = "model";
    spec.properties = {
        PropertyDef{"model", "Model", "string", "text", "", "", false, false, false, false, {}, {}},
        PropertyDef{"colour",
                    "Colour",
                    "enumeration",
                    "select",
                    "",
                    "",
                    false,
                    false,
                    false,
                    false,
                    {},
                    {{"rd", "Red", 0, false}, {"bk", "Black", 1, false}}},
        PropertyDef{
            "mileage", "Mileage", "number", "number", "", "", false, false, false, false, {}, {}},
        PropertyDef{"hubspot_owner_id",
                    "Owner",
                    "enumeration",
                    "select",
                    "",
                    "",
                    false,
                    false,
                    false,
                    false,
                    {},
                    {}},
    };
    spec.records = 30;
    const std::string type_id = f.sim->add_custom_object_type(spec);
    EXPECT_EQ(type_id, "2-7100002");
    EXPECT_EQ(f.sim->object_types().back(), "cars");
    EXPECT_EQ(f.sim->object_type("cars")->table, "custom_cars");
    EXPECT_EQ(f.sim->object_type("p62515_cars")->type_id, type_id);

    // In the schemas list, with its properties and the system ones.
    auto schemas = get(f.port, path(Endpoint::kListSchemas), token).json()->getArray("results");
    ASSERT_EQ(schemas->size(), 2u);
    const auto cars = schemas->getObject(1);
    EXPECT_EQ(cars->getValue<std::string>("objectTypeId"), type_id);
    EXPECT_EQ(cars->getValue<std::string>("createdAt"), "2026-01-01T02:00:00.000Z");
    const auto props = strings_of(cars->getArray("properties"), "name");
    for (const char* n : {"model", "colour", "mileage", "hs_createdate", "hs_lastmodifieddate"})
        EXPECT_NE(std::find(props.begin(), props.end(), n), props.end()) << n;

    // Its records on every path, with generated values by type.
    for (const std::string& segment : {type_id, std::string("p62515_cars"), std::string("cars")}) {
        auto page = get(f.port,
                        path(Endpoint::kListObjects, segment) +
                            "?limit=100&properties=model,colour,mileage,hubspot_owner_id",
                        token);
        ASSERT_EQ(page.status, 200) << segment << page.body;
        EXPECT_EQ(ids_of(page.json()).size(), 30u);
    }
    int colours = 0;
    for (const auto& r : f.sim->truth("cars", false)) {
        const std::string c = value_of(r, "colour");
        EXPECT_TRUE(c == "<null>" || c == "rd" || c == "bk") << c;
        colours += c != "<null>";
        EXPECT_NE(value_of(r, "model"), "<absent>");
    }
    EXPECT_GT(colours, 10);
    auto search = post_json(f.port, path(Endpoint::kSearchObjects, type_id),
                            R"({"filterGroups":[{"filters":[{"propertyName":"hs_createdate",)"
                            R"("operator":"GT","value":"0"}]}],"limit":5})",
                            token);
    ASSERT_EQ(search.status, 200) << search.body;
    EXPECT_EQ(search.json()->getValue<int>("total"), 30);
    // Its pipelines endpoint answers (none given), and its properties endpoint lists its own.
    EXPECT_EQ(get(f.port, path(Endpoint::kListPipelines, type_id), token)
                  .json()
                  ->getArray("results")
                  ->size(),
              0u);
    EXPECT_EQ(get(f.port, path(Endpoint::kListProperties, "cars"), token).status, 200);
    // Custom object scopes apply.
    const std::string contacts_only = f.sim->issue_tokens().access_token;
    EXPECT_EQ(get(f.port, path(Endpoint::kListObjects, type_id), contacts_only).status, 403);

    // Names are unique; the admin route adds one too, with pipelines.
    EXPECT_THROW(f.sim->add_custom_object_type(spec), std::invalid_argument);
    spec.name = "contacts";
    EXPECT_THROW(f.sim->add_custom_object_type(spec), std::invalid_argument);
    auto added =
        http(f.port, "POST", "/_sim/schemas",
             R"({"name":"boats","labels":{"singular":"Boat","plural":"Boats"},)"
             R"("primaryDisplayProperty":"hull","records":4,)"
             R"("properties":[{"name":"hull","label":"Hull","type":"string"}],)"
             R"("pipelines":[{"id":"p1","label":"Refit","stages":[{"id":"s1","label":"Dock"},)"
             R"({"id":"s2","label":"Sea"}]}]})",
             "application/json");
    ASSERT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(added.json()->getValue<std::string>("objectTypeId"), "2-7100003");
    EXPECT_EQ(f.sim->pipelines("boats").front().stages.size(), 2u);
    for (const auto& r : f.sim->truth("boats", false)) {
        EXPECT_EQ(value_of(r, "hs_pipeline"), "p1");
        const std::string stage = value_of(r, "hs_pipeline_stage");
        EXPECT_TRUE(stage == "s1" || stage == "s2") << stage;
    }
}

// ---------------------------------------------------------------- scopes, limits, legacy

TEST(SimAccount, TicketsUseTheLegacyTicketsScope) {
    SimFixture f(quiet());
    const std::string made_up = f.sim->issue_tokens({"crm.objects.tickets.read"}).access_token;
    auto refused = get(f.port, path(Endpoint::kListObjects, "tickets"), made_up);
    ASSERT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find(R"("requiredGranularScopes":["tickets"])"), std::string::npos);
    const std::string tickets = f.sim->issue_tokens({"tickets"}).access_token;
    EXPECT_EQ(get(f.port, path(Endpoint::kListObjects, "tickets"), tickets).status, 200);
    // The same scope writes.
    auto created = http(f.port, "POST", path(Endpoint::kListObjects, "tickets"),
                        R"({"properties":{"subject":"Printer on fire"}})", "application/json",
                        {{"Authorization", "Bearer " + tickets}});
    EXPECT_EQ(created.status, 201) << created.body;
}

TEST(SimAccount, RateLimitsAreSharedByEveryType) {
    SimOptions o = quiet(50);
    o.rate_limits = true;
    SimFixture f(o);
    const std::string token = all_scopes_token(*f.sim);
    const char* types[] = {"contacts", "companies", "deals", "tickets", "pets"};
    for (int i = 0; i < 110; ++i) {
        auto r = get(f.port, path(Endpoint::kListObjects, types[i % 5]) + "?limit=1", token);
        ASSERT_EQ(r.status, 200) << i;
    }
    auto over = get(f.port, path(Endpoint::kListPipelines, "deals"), token);
    EXPECT_EQ(over.status, 429);
    EXPECT_NE(over.body.find("TEN_SECONDLY_ROLLING"), std::string::npos);
    // Search has its own bucket, also shared: five per second across types.
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(post_json(f.port, path(Endpoint::kSearchObjects, types[i]), "{}", token).status,
                  200);
    auto search_over = post_json(f.port, path(Endpoint::kSearchObjects, "deals"), "{}", token);
    EXPECT_EQ(search_over.status, 429);
    EXPECT_NE(search_over.body.find("SECONDLY"), std::string::npos);
}

TEST(SimAccount, LegacyOffRetiresEveryFamilyForEveryType) {
    SimOptions o = quiet(20);
    o.legacy_off = true;
    SimFixture f(o);
    const std::string token = all_scopes_token(*f.sim);
    for (const char* legacy :
         {"/crm/v3/objects/deals", "/crm/v3/objects/2-7100001", "/crm/v3/properties/tickets",
          "/crm/v3/owners", "/crm/v3/pipelines/deals", "/crm-object-schemas/v3/schemas"})
        EXPECT_EQ(get(f.port, legacy, token).status, 404) << legacy;
    for (const std::string& dated :
         {path(Endpoint::kListObjects, "deals"), path(Endpoint::kListObjects, "2-7100001"),
          path(Endpoint::kListProperties, "tickets"), path(Endpoint::kListOwners),
          path(Endpoint::kListPipelines, "deals"), path(Endpoint::kListSchemas)})
        EXPECT_EQ(get(f.port, dated, token).status, 200) << dated;
}

TEST(SimAccount, PurgeCoversEveryType) {
    SimFixture f(quiet(100));
    std::map<std::string, RecordId> archived;
    for (const char* type : {"contacts", "companies", "deals", "tickets", "pets"}) {
        archived[type] = f.sim->record_ids(type, false).front();
        f.sim->archive(type, archived[type]);
    }
    f.clock.advance(std::chrono::hours(24 * 91));
    f.sim->purge_archived_older_than(std::chrono::hours(24 * 90));
    for (const auto& [type, id] : archived) {
        const auto left = f.sim->record_ids(type, true);
        EXPECT_EQ(std::count(left.begin(), left.end(), id), 0) << type;
    }
}

// ---------------------------------------------------------------- admin and flags

TEST(SimAdmin, EveryTypeOwnersAndTypesOverHttp) {
    SimFixture f(quiet(50));
    auto types = http(f.port, "GET", "/_sim/types");
    ASSERT_EQ(types.status, 200);
    EXPECT_EQ(strings_of(types.json()->getArray("results"), "name"),
              (std::vector<std::string>{"contacts", "companies", "deals", "tickets", "pets"}));
    auto deals = http(f.port, "GET", "/_sim/objects/deals");
    ASSERT_EQ(deals.status, 200);
    EXPECT_EQ(deals.json()->getValue<int>("total"), 25);
    auto created =
        http(f.port, "POST", "/_sim/objects/0-3",
             R"({"properties":{"dealname":"Big one","amount":"1000000"}})", "application/json");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    EXPECT_EQ(value_of(*f.sim->record("deals", std::stoll(id)), "dealname"), "Big one");
    EXPECT_EQ(http(f.port, "POST", "/_sim/objects/deals/" + id + "/archive").status, 200);
    EXPECT_EQ(
        http(f.port, "GET", "/_sim/objects/deals?archived=only").json()->getValue<int>("total"), 1);
    const auto ids = f.sim->record_ids("tickets", false);
    auto merged = http(f.port, "POST", "/_sim/merge?type=tickets",
                       R"({"primaryObjectId":")" + std::to_string(ids[0]) +
                           R"(","objectIdToMerge":")" + std::to_string(ids[1]) + "\"}",
                       "application/json");
    ASSERT_EQ(merged.status, 200) << merged.body;
    EXPECT_EQ(f.sim->record("tickets", ids[0])->id,
              std::stoll(merged.json()->getValue<std::string>("id")));
    auto touched = http(f.port, "POST", "/_sim/touch",
                        R"({"objectType":"companies","ids":[)" +
                            std::to_string(f.sim->record_ids("companies", false)[0]) +
                            R"(],"properties":{"name":"Renamed"}})",
                        "application/json");
    EXPECT_EQ(touched.status, 200) << touched.body;
    auto prop = http(f.port, "POST", "/_sim/properties?type=pets",
                     R"({"name":"chip_id","label":"Chip","type":"string"})", "application/json");
    EXPECT_EQ(prop.status, 201) << prop.body;
    bool chip = false;
    for (const auto& d : f.sim->property_defs("pets"))
        chip = chip || d.name == "chip_id";
    EXPECT_TRUE(chip);
    EXPECT_EQ(http(f.port, "GET", "/_sim/objects/widgets").status, 400);

    auto owner =
        http(f.port, "POST", "/_sim/owners",
             R"({"email":"q@portal.example","type":"QUEUE","firstName":"Q"})", "application/json");
    ASSERT_EQ(owner.status, 201) << owner.body;
    const std::string owner_id = owner.json()->getValue<std::string>("id");
    EXPECT_EQ(http(f.port, "POST", "/_sim/owners/" + owner_id + "/archive").status, 200);
    auto archived = http(f.port, "GET", "/_sim/owners?archived=true").json()->getArray("results");
    EXPECT_EQ(strings_of(archived, "id").back(), owner_id);
    EXPECT_EQ(http(f.port, "GET", "/_sim/owners?archived=all").json()->getArray("results")->size(),
              11u);
}

TEST(SimProcess, ObjectFlagsAndHelp) {
    const std::string exe = std::string(HUBSYNC_BINARY_DIR) + "/sim/hubspot-sim";
    ASSERT_TRUE(std::filesystem::exists(exe)) << exe;
    Poco::Pipe help_out;
    Poco::ProcessHandle help = Poco::Process::launch(exe, {"--help"}, nullptr, &help_out, nullptr);
    Poco::PipeInputStream help_in(help_out);
    std::string text;
    Poco::StreamCopier::copyToString(help_in, text);
    EXPECT_EQ(help.wait(), 0);
    for (const char* flag : {"--companies", "--deals", "--tickets", "--custom-records", "--owners"})
        EXPECT_NE(text.find(flag), std::string::npos) << flag;

    Poco::Pipe out;
    Poco::ProcessHandle ph = Poco::Process::launch(
        exe,
        {"--port", "0", "--contacts", "10", "--companies", "4", "--deals", "6", "--tickets", "3",
         "--custom-records", "2", "--owners", "3", "--no-rate-limits"},
        nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    std::string line;
    std::getline(in, line);
    const std::string prefix = "listening on http://127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const int port = std::stoi(line.substr(prefix.size()));
    for (const auto& [type, n] : std::vector<std::pair<std::string, int>>{
             {"contacts", 10}, {"companies", 4}, {"deals", 6}, {"tickets", 3}, {"pets", 2}})
        EXPECT_EQ(http(port, "GET", "/_sim/objects/" + type).json()->getValue<int>("total"), n)
            << type;
    EXPECT_EQ(http(port, "GET", "/_sim/owners?archived=all").json()->getArray("results")->size(),
              3u);
    ::kill(ph.id(), SIGTERM);
    EXPECT_EQ(ph.wait(), 0);
}

}  // namespace
}  // namespace hubsync::sim::testing
