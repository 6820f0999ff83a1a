// Every CRM object type in the simulator, held to the rules contacts follow: one table of types
// drives list, get, batch read, search (limits and lag), create, update, merge, archive,
// restore, GDPR delete, properties and scopes over real loopback HTTP on the dated paths.
#include <gtest/gtest.h>

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "model/endpoints.h"
#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

struct TypeCase {
    const char* name;
    const char* type_id;
    const char* read_scope;
    const char* write_scope;
    const char* schema_scope;   // reads property definitions, as the read scope does
    const char* modified;       // the last-modified property
    const char* created;        // the created property
    const char* text_property;  // a writable string property
    const char* enum_property;  // an enumeration with options
    const char* noun;           // in batch read's 207 message
    bool archive_moves_modified;
};

const TypeCase kTypes[] = {
    {"contacts", "0-1", "crm.objects.contacts.read", "crm.objects.contacts.write",
     "crm.schemas.contacts.read", "lastmodifieddate", "createdate", "jobtitle", "lifecyclestage",
     "CONTACT", true},
    {"companies", "0-2", "crm.objects.companies.read", "crm.objects.companies.write",
     "crm.schemas.companies.read", "hs_lastmodifieddate", "createdate", "name", "industry",
     "COMPANY", false},
    {"deals", "0-3", "crm.objects.deals.read", "crm.objects.deals.write", "crm.schemas.deals.read",
     "hs_lastmodifieddate", "createdate", "dealname", "dealtype", "DEAL", false},
    {"tickets", "0-5", "tickets", "tickets", "tickets", "hs_lastmodifieddate", "createdate",
     "subject", "hs_ticket_priority", "TICKET", false},
    {"pets", "2-7100001", "crm.objects.custom.read", "crm.objects.custom.write",
     "crm.schemas.custom.read", "hs_lastmodifieddate", "hs_createdate", "pet_name", "species",
     "PETS", false},
};

std::string stringify(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

// A property value of a record in a response; "<null>" for null, "<absent>" when missing.
std::string value_of(const Poco::JSON::Object::Ptr& record, const std::string& name) {
    const auto props = record->getObject("properties");
    if (!props->has(name)) return "<absent>";
    if (props->isNull(name)) return "<null>";
    return props->getValue<std::string>(name);
}

std::string value_of(const Record& r, const std::string& name) {
    const auto* v = r.find(name);
    if (!v) return "<absent>";
    return *v ? **v : "<null>";
}

std::string search_body(const std::string& filters, int limit = 100,
                        const std::string& extra = "") {
    return R"({"filterGroups":[{"filters":[)" + filters + R"(]}],"limit":)" +
           std::to_string(limit) + extra + "}";
}

std::string filter(const std::string& property, const std::string& op, const std::string& value) {
    return R"({"propertyName":")" + property + R"(","operator":")" + op + R"(","value":")" + value +
           "\"}";
}

// The scopes a 403 names.
std::vector<std::string> required_scopes(const Reply& r) {
    std::vector<std::string> out;
    const auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("category"), "MISSING_SCOPES") << r.body;
    const auto scopes = j->getArray("errors")->getObject(0)->getObject("context")->getArray(
        "requiredGranularScopes");
    for (std::size_t i = 0; i < scopes->size(); ++i)
        out.push_back(scopes->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

SimOptions every_type(int records = 60) {
    SimOptions o;
    o.contacts = records;
    o.companies = records;
    o.deals = records;
    o.tickets = records;
    o.custom_records = records;
    o.rate_limits = false;
    return o;
}

class SimObjectTypes : public ::testing::TestWithParam<TypeCase> {
  protected:
    void SetUp() override { start(every_type()); }

    void start(SimOptions o) {
        f = std::make_unique<SimFixture>(o);
        read = f->sim->issue_tokens({t().read_scope}).access_token;
        write = f->sim->issue_tokens({t().read_scope, t().write_scope}).access_token;
    }
    const TypeCase& t() const { return GetParam(); }
    std::string objects(const std::string& version = "2026-09") const {
        return endpoint_path(Endpoint::kListObjects, version, t().name);
    }
    std::string properties() const {
        return endpoint_path(Endpoint::kListProperties, "2026-09", t().name);
    }
    std::int64_t now_ms() const { return to_epoch_ms(f->clock.now()); }
    Reply send(const std::string& method, const std::string& target, const std::string& body,
               const std::string& token) const {
        return http(f->port, method, target, body, "application/json",
                    {{"Authorization", "Bearer " + token}});
    }

    std::unique_ptr<SimFixture> f;
    std::string read, write;
};

TEST_P(SimObjectTypes, ListPagesEveryRecordByNameTypeIdAndOnEveryPath) {
    std::vector<std::string> seen;
    std::string after;
    for (;;) {
        auto r =
            get(f->port, objects() + "?limit=25" + (after.empty() ? "" : "&after=" + after), read);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto page = r.json();
        for (const auto& id : ids_of(page))
            seen.push_back(id);
        if (!page->has("paging")) break;
        after = page->getObject("paging")->getObject("next")->getValue<std::string>("after");
    }
    std::vector<std::string> expected;
    for (RecordId id : f->sim->record_ids(t().name, false))
        expected.push_back(std::to_string(id));
    EXPECT_EQ(seen, expected);
    ASSERT_EQ(seen.size(), 60u);

    // The same page by name and by type id, on the legacy path and on every dated version.
    std::vector<std::string> segments = {t().name, t().type_id};
    if (std::string(t().name) == "pets") {
        segments.push_back("p62515_pets");  // fully qualified name
        segments.push_back("p_pets");
    }
    const std::string first =
        stringify(get(f->port, objects() + "?limit=7", read).json()->get("results"));
    for (const auto& segment : segments) {
        std::vector<std::string> bases = {"/crm/v3/objects/" + segment};
        for (const ApiVersion& v : api_versions())
            bases.push_back(endpoint_path(Endpoint::kListObjects, v.name, segment));
        for (const auto& base : bases) {
            auto r = get(f->port, base + "?limit=7", read);
            ASSERT_EQ(r.status, 200) << base << " " << r.body;
            EXPECT_EQ(stringify(r.json()->get("results")), first) << base;
        }
    }
}

TEST_P(SimObjectTypes, DefaultPropertiesCarryTheTypesOwnTimestamps) {
    auto r = get(f->port, objects() + "?limit=3", read);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto results = r.json()->getArray("results");
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto rec = results->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(value_of(rec, t().modified), rec->getValue<std::string>("updatedAt"));
        EXPECT_EQ(value_of(rec, t().created), rec->getValue<std::string>("createdAt"));
        EXPECT_EQ(value_of(rec, "hs_object_id"), rec->getValue<std::string>("id"));
        if (std::string(t().name) != "contacts") {
            EXPECT_EQ(value_of(rec, "lastmodifieddate"), "<absent>");
        }
    }
    // Asked-for properties come with the three record-held ones.
    auto some = get(f->port, objects() + "?limit=1&properties=" + t().text_property, read);
    const auto props = some.json()->getArray("results")->getObject(0)->getObject("properties");
    std::set<std::string> names;
    for (const auto& [k, v] : *props)
        names.insert(k);
    EXPECT_EQ(names, (std::set<std::string>{t().text_property, t().modified, t().created,
                                            "hs_object_id"}));
}

TEST_P(SimObjectTypes, GetAndBatchReadWith207ForMissingIds) {
    const auto ids = f->sim->record_ids(t().name, false);
    auto one = get(f->port, objects() + "/" + std::to_string(ids[4]), read);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(one.json()->getValue<std::string>("id"), std::to_string(ids[4]));
    EXPECT_EQ(get(f->port, objects() + "/1", read).status, 404);

    const std::string body = R"({"inputs":[{"id":")" + std::to_string(ids[0]) + R"("},{"id":")" +
                             std::to_string(ids[1]) + R"("},{"id":"1"}],"properties":[")" +
                             t().text_property + "\"]}";
    auto batch = send("POST", objects() + "/batch/read", body, read);
    ASSERT_EQ(batch.status, 207) << batch.body;
    const auto j = batch.json();
    EXPECT_EQ(ids_of(j).size(), 2u);
    const auto error = j->getArray("errors")->getObject(0);
    EXPECT_EQ(error->getValue<std::string>("category"), "OBJECT_NOT_FOUND");
    EXPECT_NE(error->getValue<std::string>("message").find(t().noun), std::string::npos);
    EXPECT_EQ(stringify(error->getObject("context")->get("ids")), R"(["1"])");
    const auto truth = f->sim->record(t().name, ids[0]);
    ASSERT_TRUE(truth);
    EXPECT_EQ(value_of(j->getArray("results")->getObject(0), t().text_property),
              value_of(*truth, t().text_property));
}

TEST_P(SimObjectTypes, SearchSeesChangesOnlyAfterTheIndexDelayAndNeverArchived) {
    SimOptions o = every_type();
    o.index_delay_min = std::chrono::seconds(30);
    o.index_delay_max = std::chrono::seconds(30);
    start(o);
    const auto ids = f->sim->record_ids(t().name, false);
    const std::string since = std::to_string(now_ms());
    f->sim->update(t().name, ids[3], {{t().text_property, "Zulu"}});
    const std::string changed = search_body(filter(t().modified, "GTE", since));
    auto before = send("POST", objects() + "/search", changed, read);
    ASSERT_EQ(before.status, 200) << before.body;
    EXPECT_EQ(before.json()->getValue<int>("total"), 0);
    f->clock.advance(std::chrono::seconds(31));
    auto after = send("POST", objects() + "/search", changed, read).json();
    EXPECT_EQ(ids_of(after), std::vector<std::string>{std::to_string(ids[3])});
    auto by_value = send("POST", objects() + "/search",
                         search_body(filter(t().text_property, "EQ", "zulu")), read);
    EXPECT_EQ(ids_of(by_value.json()), std::vector<std::string>{std::to_string(ids[3])});

    // Archiving hides a record from search at once.
    f->sim->archive(t().name, ids[3]);
    auto gone = send("POST", objects() + "/search",
                     search_body(filter("hs_object_id", "EQ", std::to_string(ids[3]))), read);
    EXPECT_EQ(gone.json()->getValue<int>("total"), 0);
    // Everything else is there, sorted by the type's last-modified property.
    auto all = send("POST", objects() + "/search",
                    R"({"sorts":[{"propertyName":")" + std::string(t().modified) +
                        R"(","direction":"DESCENDING"}],"limit":200})",
                    read)
                   .json();
    EXPECT_EQ(all->getValue<int>("total"), 59);
    EXPECT_FALSE(all->has("paging"));
}

TEST_P(SimObjectTypes, SearchLimitsGive400) {
    const std::string any = filter("hs_object_id", "GT", "0");
    const std::string path = objects() + "/search";
    EXPECT_EQ(send("POST", path, search_body(any, 200), read).status, 200);
    EXPECT_EQ(send("POST", path, search_body(any, 201), read).status, 400);
    EXPECT_EQ(send("POST", path, search_body(any, 10, R"(,"after":"10000")"), read).status, 400);
    EXPECT_EQ(send("POST", path,
                   search_body(any, 10, R"(,"query":")" + std::string(3000, 'a') + "\""), read)
                  .status,
              400);
    EXPECT_EQ(send("POST", path, search_body(filter("no_such_property", "EQ", "1")), read).status,
              400);
    // Every type has its own properties: another type's last-modified name is unknown here.
    const std::string other = std::string(t().modified) == "lastmodifieddate"
                                  ? "hs_lastmodifieddate"
                                  : "lastmodifieddate";
    EXPECT_EQ(send("POST", path, search_body(filter(other, "GT", "0")), read).status, 400);
}

TEST_P(SimObjectTypes, CreateUpdateMergeArchiveRestoreGdprOverHttp) {
    const auto ids = f->sim->record_ids(t().name, false);
    // Create and update.
    auto created =
        send("POST", objects(),
             R"({"properties":{")" + std::string(t().text_property) + R"(":"Alpha"}})", write);
    ASSERT_EQ(created.status, 201) << created.body;
    const RecordId id = std::stoll(created.json()->getValue<std::string>("id"));
    EXPECT_GT(id, ids.back());
    f->clock.advance(std::chrono::seconds(5));
    auto patched =
        send("PATCH", objects() + "/" + std::to_string(id),
             R"({"properties":{")" + std::string(t().text_property) + R"(":"Beta"}})", write);
    ASSERT_EQ(patched.status, 200) << patched.body;
    auto rec = f->sim->record(t().name, id);
    ASSERT_TRUE(rec);
    EXPECT_EQ(value_of(*rec, t().text_property), "Beta");
    EXPECT_EQ(value_of(*rec, t().modified), "2026-01-01T00:00:05.000Z");
    // Unknown properties and read-only tokens are refused.
    auto unknown = send("PATCH", objects() + "/" + std::to_string(id),
                        R"({"properties":{"nope":"x"}})", write);
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(unknown.body.find("PROPERTY_DOESNT_EXIST"), std::string::npos);
    if (std::string(t().read_scope) != t().write_scope) {
        auto refused =
            send("PATCH", objects() + "/" + std::to_string(id), R"({"properties":{}})", read);
        ASSERT_EQ(refused.status, 403);
        EXPECT_EQ(required_scopes(refused), std::vector<std::string>{t().write_scope});
    }

    // Merge: a new id holding both; the old ids resolve to it.
    auto merged = send("POST", objects() + "/merge",
                       R"({"primaryObjectId":")" + std::to_string(ids[0]) +
                           R"(","objectIdToMerge":")" + std::to_string(ids[1]) + "\"}",
                       write);
    ASSERT_EQ(merged.status, 200) << merged.body;
    const std::string survivor = merged.json()->getValue<std::string>("id");
    EXPECT_GT(std::stoll(survivor), id);
    auto via_old =
        get(f->port, objects() + "/" + std::to_string(ids[1]) + "?properties=hs_merged_object_ids",
            read);
    ASSERT_EQ(via_old.status, 200);
    EXPECT_EQ(via_old.json()->getValue<std::string>("id"), survivor);
    EXPECT_EQ(value_of(via_old.json(), "hs_merged_object_ids"),
              std::to_string(ids[0]) + ";" + std::to_string(ids[1]));

    // Archive: out of the list, in ?archived=true with archivedAt; the type decides whether
    // the last-modified time moves.
    const auto before_archive = f->sim->record(t().name, ids[2]);
    f->clock.advance(std::chrono::seconds(5));
    EXPECT_EQ(send("DELETE", objects() + "/" + std::to_string(ids[2]), "", write).status, 204);
    EXPECT_EQ(get(f->port, objects() + "/" + std::to_string(ids[2]), read).status, 404);
    auto archived = get(f->port, objects() + "?archived=true&limit=100", read);
    ASSERT_EQ(archived.status, 200);
    EXPECT_EQ(ids_of(archived.json()), std::vector<std::string>{std::to_string(ids[2])});
    const auto arch = archived.json()->getArray("results")->getObject(0);
    EXPECT_EQ(arch->getValue<std::string>("archivedAt"), "2026-01-01T00:00:10.000Z");
    const auto after_archive = f->sim->record(t().name, ids[2]);
    EXPECT_EQ(value_of(*after_archive, t().modified) != value_of(*before_archive, t().modified),
              t().archive_moves_modified);
    // Restore (no HTTP endpoint at HubSpot either).
    f->sim->restore(t().name, ids[2]);
    EXPECT_EQ(get(f->port, objects() + "/" + std::to_string(ids[2]), read).status, 200);

    // GDPR delete: gone from everything.
    EXPECT_EQ(send("POST", objects() + "/gdpr-delete",
                   R"({"objectId":")" + std::to_string(ids[3]) + "\"}", write)
                  .status,
              204);
    EXPECT_EQ(
        get(f->port, objects() + "/" + std::to_string(ids[3]) + "?archived=true", read).status,
        404);
    const auto left = f->sim->record_ids(t().name, true);
    for (RecordId gone : {ids[0], ids[1], ids[3]})
        EXPECT_EQ(std::count(left.begin(), left.end(), gone), 0) << gone;
    EXPECT_EQ(left.size(), 60u - 3 + 1 + 1);  // merged two, GDPR one; created one, survivor one
}

TEST_P(SimObjectTypes, CppApiMutatesLikeTheEndpoints) {
    const auto ids = f->sim->record_ids(t().name, false);
    const RecordId id = f->sim->create(t().name, {{t().text_property, "Gamma"}});
    EXPECT_EQ(value_of(*f->sim->record(t().name, id), t().text_property), "Gamma");
    f->clock.advance(std::chrono::seconds(1));
    f->sim->update_many_same_millisecond(t().name, {ids[0], ids[1], id},
                                         {{t().text_property, "Delta"}});
    const auto all = f->sim->truth(t().name, false);
    int delta = 0;
    for (const auto& r : all) {
        if (value_of(r, t().text_property) != "Delta") continue;
        ++delta;
        EXPECT_EQ(r.updated_at, "2026-01-01T00:00:01.000Z");
    }
    EXPECT_EQ(delta, 3);
    const RecordId merged = f->sim->merge(t().name, ids[0], ids[1]);
    EXPECT_EQ(f->sim->record(t().name, ids[1])->id, merged);
    f->sim->archive(t().name, ids[2]);
    EXPECT_EQ(f->sim->truth(t().name, false).size(), 60u - 2 + 1 + 1 - 1);
    EXPECT_TRUE(f->sim->truth(t().name, true).size() == f->sim->record_ids(t().name, true).size());
    f->sim->gdpr_delete(t().name, ids[2]);
    EXPECT_FALSE(f->sim->record(t().name, ids[2]));
    EXPECT_THROW(f->sim->update(t().name, id, {{"no_such_property", "x"}}), std::invalid_argument);
    EXPECT_THROW(f->sim->update(t().name, id, {{"hs_object_id", "1"}}), std::invalid_argument);
    EXPECT_THROW(f->sim->archive(t().name, 1), std::invalid_argument);
    // The model's row for the type.
    const auto row = f->sim->object_type(t().type_id);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->name, t().name);
    EXPECT_EQ(row->last_modified_property, t().modified);
    EXPECT_EQ(row->created_property, t().created);
    EXPECT_EQ(row->read_scope, t().read_scope);
}

TEST_P(SimObjectTypes, PropertiesListTheTypesOwnWithLabelledOptions) {
    auto r = get(f->port, properties(), read);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto results = r.json()->getArray("results");
    std::set<std::string> names;
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto p = results->getObject(static_cast<unsigned>(i));
        const std::string name = p->getValue<std::string>("name");
        names.insert(name);
        if (name != t().enum_property) continue;
        EXPECT_EQ(p->getValue<std::string>("type"), "enumeration");
        const auto options = p->getArray("options");
        ASSERT_GT(options->size(), 1u);
        for (std::size_t k = 0; k < options->size(); ++k) {
            const auto o = options->getObject(static_cast<unsigned>(k));
            EXPECT_NE(o->getValue<std::string>("label"), o->getValue<std::string>("value"));
            EXPECT_EQ(o->getValue<int>("displayOrder"), static_cast<int>(k));
            EXPECT_TRUE(o->has("hidden"));
        }
    }
    std::set<std::string> expected;
    for (const auto& d : f->sim->property_defs(t().name))
        expected.insert(d.name);
    EXPECT_EQ(names, expected);
    for (const char* n : {t().modified, t().created, "hs_object_id", "hs_merged_object_ids",
                          t().text_property, t().enum_property})
        EXPECT_TRUE(names.count(n)) << n;
    // The same list by type id and on the legacy path.
    EXPECT_EQ(get(f->port, "/crm/v3/properties/" + std::string(t().type_id), read).body, r.body);
    // Only contacts have sensitive properties.
    auto sensitive = get(f->port, properties() + "?dataSensitivity=sensitive", read);
    ASSERT_EQ(sensitive.status, 200);
    EXPECT_EQ(sensitive.json()->getArray("results")->size() > 0,
              std::string(t().name) == "contacts");
    // Generated enumeration values are among the options' values.
    std::set<std::string> values;
    for (const auto& d : f->sim->property_defs(t().name))
        if (d.name == t().enum_property)
            for (const auto& o : d.options)
                values.insert(o.value);
    for (const auto& rec : f->sim->truth(t().name, false)) {
        const std::string v = value_of(rec, t().enum_property);
        if (v != "<null>") {
            EXPECT_TRUE(values.count(v)) << v;
        }
    }
}

TEST_P(SimObjectTypes, ScopesAreTheTypesOwn) {
    // A token for another type reads nothing of this one.
    const char* other =
        std::string(t().name) == "deals" ? "crm.objects.companies.read" : "crm.objects.deals.read";
    const std::string stranger = f->sim->issue_tokens({other}).access_token;
    for (const auto& [method, path, body] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"GET", objects(), ""},
             {"POST", objects() + "/search", "{}"},
             {"POST", objects() + "/batch/read", R"({"inputs":[]})"},
             {"GET", properties(), ""}}) {
        auto r = send(method, path, body, stranger);
        ASSERT_EQ(r.status, 403) << path;
        EXPECT_EQ(
            required_scopes(r),
            std::vector<std::string>{path == properties() ? t().schema_scope : t().read_scope})
            << path;
        EXPECT_EQ(send(method, path, body, read).status, 200) << path;
    }
    // Property definitions are readable with the schema scope alone.
    const std::string schema = f->sim->issue_tokens({t().schema_scope}).access_token;
    EXPECT_EQ(get(f->port, properties(), schema).status, 200);
    // Writes need the write scope.
    auto refused = send("POST", objects(), R"({"properties":{}})", stranger);
    EXPECT_EQ(refused.status, 403);
}

std::string type_name(const ::testing::TestParamInfo<TypeCase>& info) {
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(EveryType, SimObjectTypes, ::testing::ValuesIn(kTypes), type_name);

}  // namespace
}  // namespace hubsync::sim::testing
