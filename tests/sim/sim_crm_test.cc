// The simulator's CRM endpoints: list, get, batch read, search, properties and mutations,
// each rule of hubspot-api.md checked over real loopback HTTP.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const char* kList = "/crm/v3/objects/contacts";
const char* kSearch = "/crm/v3/objects/contacts/search";

SimOptions small(int contacts = 300) {
    SimOptions o;
    o.contacts = contacts;
    o.rate_limits = false;
    return o;
}

std::string search_body(const std::string& filters, int limit = 100,
                        const std::string& extra = "") {
    return R"({"filterGroups":[{"filters":[)" + filters + R"(]}],"limit":)" +
           std::to_string(limit) + extra + "}";
}

TEST(SimList, PagesThroughEveryActiveContactWithOpaqueCursors) {
    SimFixture f(small(250));
    std::vector<std::string> seen;
    std::string after;
    int pages = 0;
    for (;;) {
        auto r = get(f.port,
                     std::string(kList) + "?limit=100" + (after.empty() ? "" : "&after=" + after),
                     f.token);
        ASSERT_EQ(r.status, 200) << r.body;
        auto page = r.json();
        for (auto& id : ids_of(page))
            seen.push_back(id);
        ++pages;
        if (!page->has("paging")) break;
        after = page->getObject("paging")->getObject("next")->getValue<std::string>("after");
        EXPECT_FALSE(std::all_of(after.begin(), after.end(), ::isdigit))
            << "cursor looks like an id";
        EXPECT_NE(page->getObject("paging")->getObject("next")->getValue<std::string>("link").find(
                      "after="),
                  std::string::npos);
    }
    EXPECT_EQ(pages, 3);
    std::vector<std::string> truth;
    for (const auto& c : f.sim->truth(false))
        truth.push_back(std::to_string(c.id));
    EXPECT_EQ(seen, truth);
}

TEST(SimList, DefaultPropertiesWhenNoneRequested) {
    SimFixture f(small(5));
    auto r = get(f.port, std::string(kList) + "?limit=1", f.token);
    ASSERT_EQ(r.status, 200);
    auto rec = r.json()->getArray("results")->getObject(0);
    std::set<std::string> names;
    for (const auto& [k, v] : *rec->getObject("properties"))
        names.insert(k);
    EXPECT_EQ(names, (std::set<std::string>{"createdate", "email", "firstname", "hs_object_id",
                                            "lastmodifieddate", "lastname"}));
    EXPECT_FALSE(rec->getValue<bool>("archived"));
    EXPECT_EQ(rec->getValue<std::string>("createdAt").size(), 24u);  // ms precision, Z
    EXPECT_EQ(rec->getValue<std::string>("updatedAt").back(), 'Z');
}

TEST(SimList, LimitOver100Is400) {
    SimFixture f(small(5));
    auto r = get(f.port, std::string(kList) + "?limit=101", f.token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()->getValue<std::string>("category"), "VALIDATION_ERROR");
    EXPECT_EQ(get(f.port, std::string(kList) + "?after=12345", f.token).status, 400);
}

TEST(SimList, PropertiesCommaSeparatedAndRepeated) {
    SimFixture f(small(5));
    auto comma = get(
        f.port, std::string(kList) + "?properties=city,jobtitle&properties=sim_number_2", f.token);
    auto repeated = get(
        f.port, std::string(kList) + "?properties=city&properties=jobtitle&properties=sim_number_2",
        f.token);
    ASSERT_EQ(comma.status, 200);
    EXPECT_EQ(comma.body, repeated.body);
    auto props = comma.json()->getArray("results")->getObject(0)->getObject("properties");
    for (const char* n :
         {"city", "jobtitle", "sim_number_2", "hs_object_id", "createdate", "lastmodifieddate"})
        EXPECT_TRUE(props->has(n)) << n;
    EXPECT_FALSE(props->has("email"));  // not requested, not a default then
}

TEST(SimList, ArchivedTrueListsOnlyArchivedWithArchivedAt) {
    SimFixture f(small(20));
    const auto ids = f.sim->truth(false);
    f.sim->archive(ids[3].id);
    auto active = get(f.port, std::string(kList) + "?limit=100", f.token).json();
    auto archived = get(f.port, std::string(kList) + "?limit=100&archived=true", f.token).json();
    EXPECT_EQ(ids_of(active).size(), 19u);
    ASSERT_EQ(ids_of(archived), std::vector<std::string>{std::to_string(ids[3].id)});
    auto rec = archived->getArray("results")->getObject(0);
    EXPECT_TRUE(rec->getValue<bool>("archived"));
    EXPECT_EQ(rec->getValue<std::string>("archivedAt"), "2026-01-01T00:00:00.000Z");
}

TEST(SimList, UrlOverLimitIs414) {
    SimOptions o = small(5);
    o.max_url_length = 500;
    SimFixture f(o);
    std::string target = std::string(kList) + "?properties=";
    while (target.size() < 600)
        target += "firstname,";
    EXPECT_EQ(get(f.port, target, f.token).status, 414);
    EXPECT_EQ(f.sim->count_status(414), 1);
}

TEST(SimList, DateVersionedTwinServesTheSameData) {
    SimFixture f(small(5));
    auto a = get(f.port, "/crm/v3/objects/contacts?limit=5", f.token);
    auto b = get(f.port, "/crm/objects/2026-03/contacts?limit=5", f.token);
    ASSERT_EQ(b.status, 200);
    EXPECT_EQ(ids_of(a.json()), ids_of(b.json()));
}

TEST(SimGet, ByIdAndMergedIdsResolveToTheNewRecord) {
    SimFixture f(small(10));
    const auto c = f.sim->truth(false);
    auto r = get(f.port, std::string(kList) + "/" + std::to_string(c[0].id), f.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()->getValue<std::string>("id"), std::to_string(c[0].id));
    const RecordId merged = f.sim->merge(c[0].id, c[1].id);
    EXPECT_NE(merged, c[0].id);
    EXPECT_NE(merged, c[1].id);
    for (RecordId old : {c[0].id, c[1].id}) {
        auto m =
            get(f.port,
                std::string(kList) + "/" + std::to_string(old) + "?properties=hs_merged_object_ids",
                f.token);
        ASSERT_EQ(m.status, 200);
        EXPECT_EQ(m.json()->getValue<std::string>("id"), std::to_string(merged));
        EXPECT_EQ(m.json()->getObject("properties")->getValue<std::string>("hs_merged_object_ids"),
                  std::to_string(c[0].id) + ";" + std::to_string(c[1].id));
    }
    EXPECT_EQ(get(f.port, std::string(kList) + "/999999999", f.token).status, 404);
    // The list shows the survivor once and the absorbed records no more.
    auto ids = ids_of(get(f.port, std::string(kList) + "?limit=100", f.token).json());
    EXPECT_EQ(std::count(ids.begin(), ids.end(), std::to_string(merged)), 1);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), std::to_string(c[0].id)), 0);
}

TEST(SimBatchRead, MissingIdsGive207WithErrors) {
    SimFixture f(small(10));
    const auto c = f.sim->truth(false);
    const std::string body = R"({"inputs":[{"id":")" + std::to_string(c[0].id) +
                             R"("},{"id":"424242"}],"properties":["email"]})";
    auto r = post_json(f.port, std::string(kList) + "/batch/read", body, f.token);
    ASSERT_EQ(r.status, 207) << r.body;
    auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("status"), "COMPLETE");
    EXPECT_EQ(ids_of(j), std::vector<std::string>{std::to_string(c[0].id)});
    auto err = j->getArray("errors")->getObject(0);
    EXPECT_EQ(err->getValue<std::string>("category"), "OBJECT_NOT_FOUND");
    EXPECT_EQ(err->getObject("context")->getArray("ids")->getElement<std::string>(0), "424242");
    // All found: 200.
    auto ok = post_json(f.port, std::string(kList) + "/batch/read",
                        R"({"inputs":[{"id":")" + std::to_string(c[1].id) + R"("}]})", f.token);
    EXPECT_EQ(ok.status, 200);
}

TEST(SimBatchRead, MoreThan100InputsIs400) {
    SimFixture f(small(10));
    std::string body = R"({"inputs":[)";
    for (int i = 0; i < 101; ++i)
        body += std::string(i ? "," : "") + R"({"id":")" + std::to_string(1000 + i) + "\"}";
    body += "]}";
    EXPECT_EQ(post_json(f.port, std::string(kList) + "/batch/read", body, f.token).status, 400);
}

TEST(SimSearch, OperatorsMatchGroundTruth) {
    SimFixture f(small(300));
    const auto truth = f.sim->truth(false);
    auto count = [&](auto pred) {
        return static_cast<int>(std::count_if(truth.begin(), truth.end(), pred));
    };
    auto total = [&](const std::string& filters) {
        auto r = post_json(f.port, kSearch, search_body(filters), f.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()->getValue<int>("total");
    };
    const RecordId mid = truth[150].id;
    EXPECT_EQ(total(R"({"propertyName":"hs_object_id","operator":"GT","value":")" +
                    std::to_string(mid) + "\"}"),
              count([&](const Record& c) { return c.id > mid; }));
    EXPECT_EQ(total(R"({"propertyName":"hs_object_id","operator":"LTE","value":")" +
                    std::to_string(mid) + "\"}"),
              count([&](const Record& c) { return c.id <= mid; }));
    EXPECT_EQ(total(R"({"propertyName":"hs_object_id","operator":"BETWEEN","value":")" +
                    std::to_string(truth[10].id) + R"(","highValue":")" +
                    std::to_string(truth[19].id) + "\"}"),
              10);
    EXPECT_EQ(total(R"({"propertyName":"hs_object_id","operator":"IN","values":[")" +
                    std::to_string(truth[1].id) + R"(",")" + std::to_string(truth[2].id) + "\"]}"),
              2);
    EXPECT_EQ(total(R"({"propertyName":"hs_object_id","operator":"NOT_IN","values":[")" +
                    std::to_string(truth[1].id) + "\"]}"),
              299);
    const std::string email = **truth[5].find("email");
    EXPECT_EQ(total(R"({"propertyName":"email","operator":"EQ","value":")" + email + "\"}"), 1);
    EXPECT_EQ(total(R"({"propertyName":"email","operator":"NEQ","value":")" + email + "\"}"), 299);
    auto has = [](const Record& c, const char* n) {
        auto v = c.find(n);
        return v && *v && !(*v)->empty();
    };
    EXPECT_EQ(total(R"({"propertyName":"website","operator":"HAS_PROPERTY"})"),
              count([&](const Record& c) { return has(c, "website"); }));
    EXPECT_EQ(total(R"({"propertyName":"website","operator":"NOT_HAS_PROPERTY"})"),
              count([&](const Record& c) { return !has(c, "website"); }));
    // Dates filter by epoch milliseconds; the bulk import shares one millisecond.
    const std::int64_t import_ms = 1'736'933'400'123;
    const int shared = total(R"({"propertyName":"lastmodifieddate","operator":"EQ","value":")" +
                             std::to_string(import_ms) + "\"}");
    EXPECT_EQ(shared,
              count([&](const Record& c) { return c.updated_at == "2025-01-15T09:30:00.123Z"; }));
    EXPECT_GT(shared, 150);
    EXPECT_EQ(total(R"({"propertyName":"lastmodifieddate","operator":"GTE","value":")" +
                    std::to_string(import_ms) + "\"}"),
              count([&](const Record& c) { return c.updated_at >= "2025-01-15T09:30:00.123Z"; }));
    EXPECT_GT(total(R"({"propertyName":"firstname","operator":"CONTAINS_TOKEN","value":"anna"})"),
              0);
}

TEST(SimSearch, OrOfGroupsSortAndOffsetPaging) {
    SimFixture f(small(300));
    const auto truth = f.sim->truth(false);
    const std::string body =
        R"({"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"LT","value":")" +
        std::to_string(truth[20].id) +
        R"("}]},{"filters":[{"propertyName":"hs_object_id","operator":"GTE","value":")" +
        std::to_string(truth[290].id) +
        R"("}]}],"sorts":[{"propertyName":"hs_object_id","direction":"DESCENDING"}],"limit":25})";
    auto r = post_json(f.port, kSearch, body, f.token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    EXPECT_EQ(j->getValue<int>("total"), 30);
    auto ids = ids_of(j);
    ASSERT_EQ(ids.size(), 25u);
    EXPECT_EQ(ids[0], std::to_string(truth[299].id));
    EXPECT_EQ(j->getObject("paging")->getObject("next")->getValue<std::string>("after"), "25");
    auto body2 = body;
    body2.insert(body2.size() - 1, R"(,"after":"25")");
    auto j2 = post_json(f.port, kSearch, body2, f.token).json();
    EXPECT_EQ(ids_of(j2).size(), 5u);
    EXPECT_FALSE(j2->has("paging"));
    EXPECT_EQ(ids_of(j2).back(), std::to_string(truth[0].id));
}

TEST(SimSearch, HardLimitsGive400) {
    SimFixture f(small(20));
    const std::string filter = R"({"propertyName":"hs_object_id","operator":"GT","value":"0"})";
    EXPECT_EQ(post_json(f.port, kSearch, search_body(filter, 201), f.token).status, 400);
    EXPECT_EQ(post_json(f.port, kSearch, search_body(filter, 200), f.token).status, 200);
    // 7 filters in one group.
    std::string seven;
    for (int i = 0; i < 7; ++i)
        seven += std::string(i ? "," : "") + filter;
    EXPECT_EQ(post_json(f.port, kSearch, search_body(seven), f.token).status, 400);
    // 6 groups.
    std::string groups = R"({"filterGroups":[)";
    for (int i = 0; i < 6; ++i)
        groups += std::string(i ? "," : "") + R"({"filters":[)" + filter + "]}";
    EXPECT_EQ(post_json(f.port, kSearch, groups + "]}", f.token).status, 400);
    // 19 filters in 4 groups (5+5+5+4).
    std::string many = R"({"filterGroups":[)";
    for (int g = 0; g < 4; ++g) {
        many += std::string(g ? "," : "") + R"({"filters":[)";
        for (int i = 0; i < (g < 3 ? 5 : 4); ++i)
            many += std::string(i ? "," : "") +
                    R"({"propertyName":"hs_object_id","operator":"GT","value":"1"})";
        many += "]}";
    }
    many += "]}";
    ASSERT_LE(many.size(), 3000u);
    EXPECT_EQ(post_json(f.port, kSearch, many, f.token).status, 400);
    // Body over 3000 characters.
    std::string big = search_body(filter, 10, R"(,"query":")" + std::string(3000, 'a') + "\"");
    auto r = post_json(f.port, kSearch, big, f.token);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("3000"), std::string::npos);
    // Paging past 10,000.
    EXPECT_EQ(
        post_json(f.port, kSearch, search_body(filter, 10, R"(,"after":"10000")"), f.token).status,
        400);
    // Unknown property and unknown operator.
    EXPECT_EQ(
        post_json(f.port, kSearch,
                  search_body(R"({"propertyName":"nope","operator":"EQ","value":"1"})"), f.token)
            .status,
        400);
    EXPECT_EQ(
        post_json(f.port, kSearch,
                  search_body(R"({"propertyName":"email","operator":"LIKE","value":"1"})"), f.token)
            .status,
        400);
}

TEST(SimSearch, PagingStopsAt10000WithMoreThan10000SharingOneMillisecond) {
    SimOptions o = small(15000);
    SimFixture f(o);
    const std::string filter =
        R"({"propertyName":"lastmodifieddate","operator":"EQ","value":"1736933400123"})";
    auto r = post_json(f.port, kSearch, search_body(filter, 200, R"(,"after":"9800")"), f.token);
    ASSERT_EQ(r.status, 200);
    auto j = r.json();
    EXPECT_GT(j->getValue<int>("total"), 10000);
    EXPECT_EQ(j->getObject("paging")->getObject("next")->getValue<std::string>("after"), "10000");
    EXPECT_EQ(
        post_json(f.port, kSearch, search_body(filter, 200, R"(,"after":"10000")"), f.token).status,
        400);
}

TEST(SimSearch, ArchivedNeverAppearAndChangesShowOnlyAfterIndexDelay) {
    SimOptions o = small(50);
    o.index_delay_min = std::chrono::seconds(30);
    o.index_delay_max = std::chrono::seconds(30);
    SimFixture f(o);
    const auto truth = f.sim->truth(false);
    const std::string by_city =
        search_body(R"({"propertyName":"city","operator":"EQ","value":"Atlantis"})");
    f.sim->update_contact(truth[7].id, {{"city", "Atlantis"}});
    f.sim->archive(truth[8].id);
    // List and get see the change at once; search does not.
    auto got =
        get(f.port, std::string(kList) + "/" + std::to_string(truth[7].id) + "?properties=city",
            f.token);
    EXPECT_EQ(got.json()->getObject("properties")->getValue<std::string>("city"), "Atlantis");
    EXPECT_EQ(post_json(f.port, kSearch, by_city, f.token).json()->getValue<int>("total"), 0);
    // Before indexing, the old version is what search holds (old lastmodifieddate).
    const std::string by_id =
        search_body(R"({"propertyName":"hs_object_id","operator":"EQ","value":")" +
                    std::to_string(truth[7].id) + "\"}");
    auto old = post_json(f.port, kSearch, by_id, f.token).json();
    ASSERT_EQ(old->getValue<int>("total"), 1);
    EXPECT_EQ(old->getArray("results")->getObject(0)->getValue<std::string>("updatedAt"),
              truth[7].updated_at);
    // Archived contacts leave search at once, index delay or not.
    const std::string by_archived =
        search_body(R"({"propertyName":"hs_object_id","operator":"EQ","value":")" +
                    std::to_string(truth[8].id) + "\"}");
    EXPECT_EQ(post_json(f.port, kSearch, by_archived, f.token).json()->getValue<int>("total"), 0);
    f.clock.advance(std::chrono::seconds(31));
    EXPECT_EQ(post_json(f.port, kSearch, by_city, f.token).json()->getValue<int>("total"), 1);
    const std::string all =
        search_body(R"({"propertyName":"hs_object_id","operator":"HAS_PROPERTY"})", 100);
    auto ids = ids_of(post_json(f.port, kSearch, all, f.token).json());
    EXPECT_EQ(ids.size(), 49u);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), std::to_string(truth[8].id)), 0);
    // A new contact is invisible to search until indexed.
    const RecordId created = f.sim->create_contact({{"email", "new@example.com"}});
    const std::string by_new =
        search_body(R"({"propertyName":"hs_object_id","operator":"EQ","value":")" +
                    std::to_string(created) + "\"}");
    EXPECT_EQ(post_json(f.port, kSearch, by_new, f.token).json()->getValue<int>("total"), 0);
    f.clock.advance(std::chrono::seconds(31));
    EXPECT_EQ(post_json(f.port, kSearch, by_new, f.token).json()->getValue<int>("total"), 1);
}

TEST(SimSearch, IndexDelayIsJitteredWithinItsRange) {
    SimOptions o = small(40);
    o.index_delay_min = std::chrono::seconds(10);
    o.index_delay_max = std::chrono::seconds(20);
    SimFixture f(o);
    const auto truth = f.sim->truth(false);
    for (int i = 0; i < 20; ++i)
        f.sim->update_contact(truth[i].id, {{"jobtitle", "Indexed"}});
    const std::string body =
        search_body(R"({"propertyName":"jobtitle","operator":"EQ","value":"Indexed"})");
    auto visible = [&] {
        return post_json(f.port, kSearch, body, f.token).json()->getValue<int>("total");
    };
    f.clock.advance(std::chrono::milliseconds(9'999));
    EXPECT_EQ(visible(), 0);
    f.clock.advance(std::chrono::seconds(5));
    const int halfway = visible();
    EXPECT_GT(halfway, 0);
    EXPECT_LT(halfway, 20);
    f.clock.advance(std::chrono::seconds(6));
    EXPECT_EQ(visible(), 20);
}

TEST(SimProperties, ListsStandardAndEveryCustomType) {
    SimOptions o = small(5);
    o.custom_properties = 11;
    SimFixture f(o);
    auto r = get(f.port, "/crm/v3/properties/contacts", f.token);
    ASSERT_EQ(r.status, 200);
    auto results = r.json()->getArray("results");
    std::set<std::string> types, names;
    for (std::size_t i = 0; i < results->size(); ++i) {
        auto p = results->getObject(static_cast<unsigned>(i));
        types.insert(p->getValue<std::string>("type"));
        names.insert(p->getValue<std::string>("name"));
        for (const char* k : {"label", "fieldType", "groupName", "description", "options",
                              "calculated", "hasUniqueValue", "hidden", "hubspotDefined"})
            EXPECT_TRUE(p->has(k)) << k;
    }
    for (const char* t : {"string", "number", "bool", "date", "datetime", "enumeration",
                          "phone_number", "json", "object_coordinates"})
        EXPECT_TRUE(types.count(t)) << t;
    for (const char* n : {"email", "firstname", "lastname", "phone", "company", "lifecyclestage",
                          "createdate", "lastmodifieddate", "hs_object_id", "hs_merged_object_ids",
                          "city", "country", "jobtitle", "website"})
        EXPECT_TRUE(names.count(n)) << n;
    EXPECT_FALSE(r.has_header("x-hubspot-ratelimit-max"));  // limits are off here
}

TEST(SimData, DeterministicFromSeedWithMessyValues) {
    SimOptions o = small(2000);
    o.custom_properties = 11;
    Simulator a(o), b(o);
    o.seed = 2;
    Simulator c(o);
    const auto ta = a.truth(false), tb = b.truth(false), tc = c.truth(false);
    ASSERT_EQ(ta.size(), 2000u);
    int na = 0, empty = 0, multi = 0, midnight = 0, epoch_ms = 0, differ = 0;
    for (std::size_t i = 0; i < ta.size(); ++i) {
        EXPECT_EQ(ta[i].properties.size(), tb[i].properties.size());
        for (std::size_t p = 0; p < ta[i].properties.size(); ++p) {
            ASSERT_EQ(ta[i].properties[p].value, tb[i].properties[p].value);
            if (ta[i].properties[p].value != tc[i].properties[p].value) ++differ;
            const auto& v = ta[i].properties[p].value;
            const auto& n = ta[i].properties[p].name;
            if (!v) continue;
            if (n.rfind("sim_number", 0) == 0 && *v == "N/A") ++na;
            if (n.rfind("sim_number", 0) == 0 && v->empty()) ++empty;
            if (n.rfind("sim_multi", 0) == 0 && v->find(';') != std::string::npos) ++multi;
            if (n.rfind("sim_date_", 0) == 0 && v->find("T00:00:00.000Z") != std::string::npos)
                ++midnight;
            if (n.rfind("sim_datetime", 0) == 0 && v->find('T') == std::string::npos) ++epoch_ms;
        }
        if (i > 0) {
            EXPECT_LT(ta[i - 1].id, ta[i].id);
        }
    }
    EXPECT_GT(na, 0);
    EXPECT_GT(empty, 0);
    EXPECT_GT(multi, 0);
    EXPECT_GT(midnight, 0);
    EXPECT_GT(epoch_ms, 0);
    EXPECT_GT(differ, 1000);
}

TEST(SimData, BulkImportSharesOneMillisecond) {
    Simulator s(small(12000));
    const auto t = s.truth(false);
    const auto shared = std::count_if(t.begin(), t.end(), [&](const Record& c) {
        return c.updated_at == "2025-01-15T09:30:00.123Z";
    });
    EXPECT_GT(shared, 8000);
    for (const auto& c : t)
        EXPECT_LE(c.created_at, c.updated_at);
}

TEST(SimMutations, CreateUpdateArchiveMergeGdprOverHttp) {
    SimFixture f(small(10));
    const std::string write =
        f.sim->issue_tokens({"crm.objects.contacts.read", "crm.objects.contacts.write"})
            .access_token;
    auto hdr =
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + write}};
    auto created =
        http(f.port, "POST", kList, R"({"properties":{"email":"a@b.example","firstname":"Ann"}})",
             "application/json", hdr);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    f.clock.advance(std::chrono::seconds(5));
    auto patched = http(f.port, "PATCH", std::string(kList) + "/" + id,
                        R"({"properties":{"lastname":"Lee"}})", "application/json", hdr);
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(patched.json()->getValue<std::string>("updatedAt"), "2026-01-01T00:00:05.000Z");
    auto c = f.sim->contact(std::stoll(id));
    ASSERT_TRUE(c);
    EXPECT_EQ(**c->find("lastname"), "Lee");
    EXPECT_EQ(**c->find("lastmodifieddate"), "2026-01-01T00:00:05.000Z");
    // Unknown and read-only properties are rejected.
    auto unknown = http(f.port, "PATCH", std::string(kList) + "/" + id,
                        R"({"properties":{"nope":"x"}})", "application/json", hdr);
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(unknown.body.find("PROPERTY_DOESNT_EXIST"), std::string::npos);
    auto ro = http(f.port, "PATCH", std::string(kList) + "/" + id,
                   R"({"properties":{"hs_object_id":"1"}})", "application/json", hdr);
    EXPECT_NE(ro.body.find("READ_ONLY_VALUE"), std::string::npos);
    // A read-only token may not write.
    EXPECT_EQ(
        http(f.port, "PATCH", std::string(kList) + "/" + id, R"({"properties":{"lastname":"X"}})",
             "application/json", {{"Authorization", "Bearer " + f.token}})
            .status,
        403);
    // Archive, then gone from the active list and present with archived=true.
    EXPECT_EQ(http(f.port, "DELETE", std::string(kList) + "/" + id, {}, {}, hdr).status, 204);
    EXPECT_EQ(get(f.port, std::string(kList) + "/" + id, f.token).status, 404);
    EXPECT_EQ(get(f.port, std::string(kList) + "/" + id + "?archived=true", f.token).status, 200);
    // Merge over HTTP.
    const auto t = f.sim->truth(false);
    auto merged = http(f.port, "POST", std::string(kList) + "/merge",
                       R"({"primaryObjectId":")" + std::to_string(t[0].id) +
                           R"(","objectIdToMerge":")" + std::to_string(t[1].id) + "\"}",
                       "application/json", hdr);
    ASSERT_EQ(merged.status, 200) << merged.body;
    const std::string new_id = merged.json()->getValue<std::string>("id");
    EXPECT_GT(std::stoll(new_id), t[1].id);
    // GDPR delete: gone from everything, archived included.
    auto gd = http(f.port, "POST", std::string(kList) + "/gdpr-delete",
                   R"({"objectId":")" + new_id + "\"}", "application/json", hdr);
    EXPECT_EQ(gd.status, 204);
    EXPECT_EQ(get(f.port, std::string(kList) + "/" + new_id, f.token).status, 404);
    EXPECT_EQ(get(f.port, std::string(kList) + "/" + std::to_string(t[0].id), f.token).status, 404);
    EXPECT_EQ(f.sim->truth(true).size(),
              8u + 1u);  // 10 - 2 merged + 0 survivor; + archived created one
}

TEST(SimMutations, PurgeRemovesArchivedAfter90Days) {
    SimFixture f(small(10));
    const auto t = f.sim->truth(false);
    f.sim->archive(t[0].id);
    f.clock.advance(std::chrono::hours(24 * 89));
    f.sim->archive(t[1].id);
    f.clock.advance(std::chrono::hours(24 * 2));
    f.sim->purge_archived_older_than(std::chrono::hours(24 * 90));
    f.token = f.sim->issue_tokens().access_token;  // the old one expired months ago
    auto archived = ids_of(get(f.port, std::string(kList) + "?archived=true", f.token).json());
    EXPECT_EQ(archived, std::vector<std::string>{std::to_string(t[1].id)});
    EXPECT_EQ(
        get(f.port, std::string(kList) + "/" + std::to_string(t[0].id) + "?archived=true", f.token)
            .status,
        404);
}

TEST(SimMutations, ManyUpdatesShareOneMillisecond) {
    SimFixture f(small(10));
    const auto t = f.sim->truth(false);
    f.sim->update_many_same_millisecond({t[0].id, t[1].id, t[2].id}, {{"jobtitle", "CFO"}});
    const auto after = f.sim->truth(false);
    EXPECT_EQ(after[0].updated_at, after[2].updated_at);
    EXPECT_EQ(**after[1].find("jobtitle"), "CFO");
}

}  // namespace
}  // namespace hubsync::sim::testing
