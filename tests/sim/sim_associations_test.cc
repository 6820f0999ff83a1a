// The simulator's associations: the batch read with labels (per-record paging, 207 for ids that
// do not exist, at most 1,000 inputs, outside the 10-second bucket), the labels list, links
// changed without touching either record, and links that follow merges and deletes.
#include <gtest/gtest.h>

#include <set>

#include "model/endpoints.h"
#include "sim/associations.h"
#include "sim_test_util.h"

namespace hubsync::sim::testing {
namespace {

const std::vector<std::string> kScopes = {"crm.objects.contacts.read", "crm.objects.companies.read",
                                          "crm.objects.deals.read", "tickets"};

SimOptions options(int contacts = 2000) {
    SimOptions o;
    o.contacts = contacts;
    return o;
}

struct AssocFixture : SimFixture {
    explicit AssocFixture(SimOptions o = options()) : SimFixture(o) {
        token = sim->issue_tokens(kScopes).access_token;
    }
    Reply read(const std::string& from, const std::string& to, const std::string& inputs,
               std::string_view version = default_api_version()) {
        return post_json(port, endpoint_path(Endpoint::kAssociationsBatchRead, version, from, to),
                         "{\"inputs\":" + inputs + "}", token);
    }
};

std::string input(RecordId id, const std::string& after = {}) {
    return "{\"id\":\"" + std::to_string(id) + "\"" +
           (after.empty() ? "" : ",\"after\":\"" + after + "\"") + "}";
}

// The to ids of every result of one batch read answer, per from id.
std::map<std::string, std::vector<std::int64_t>> to_ids(const Poco::JSON::Object::Ptr& answer) {
    std::map<std::string, std::vector<std::int64_t>> out;
    const auto results = answer->getArray("results");
    for (std::size_t i = 0; i < results->size(); ++i) {
        const auto r = results->getObject(static_cast<unsigned>(i));
        auto& ids = out[r->getObject("from")->getValue<std::string>("id")];
        const auto to = r->getArray("to");
        for (std::size_t j = 0; j < to->size(); ++j)
            ids.push_back(
                to->getObject(static_cast<unsigned>(j))->getValue<std::int64_t>("toObjectId"));
    }
    return out;
}

RecordId hub_company(Simulator& sim) {
    for (RecordId id : sim.record_ids("companies", false))
        if (sim.associations("companies", id, "contacts").size() > 100) return id;
    return 0;
}

TEST(SimAssociations, BatchReadAnswersLinksWithTypesAndLabelsFromEitherSide) {
    AssocFixture f;
    const RecordId contact = f.sim->record_ids("contacts", false).front();
    const auto links = f.sim->associations("contacts", contact, "companies");
    ASSERT_FALSE(links.empty());
    const Reply r = f.read("contacts", "companies", "[" + input(contact) + "]");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto result = r.json()->getArray("results")->getObject(0);
    EXPECT_EQ(result->getObject("from")->getValue<std::string>("id"), std::to_string(contact));
    const auto first = result->getArray("to")->getObject(0);
    EXPECT_EQ(first->getValue<std::int64_t>("toObjectId"), links[0].to_id);
    const auto types = first->getArray("associationTypes");
    ASSERT_EQ(types->size(), links[0].types.size());
    // The default unlabelled type first: label null.
    EXPECT_EQ(types->getObject(0)->getValue<std::string>("category"), "HUBSPOT_DEFINED");
    EXPECT_EQ(types->getObject(0)->getValue<int>("typeId"), 279);
    EXPECT_TRUE(types->getObject(0)->get("label").isEmpty());
    // The other side has the same link with the reverse type id.
    const auto back = f.sim->associations("companies", links[0].to_id, "contacts");
    bool found = false;
    for (const auto& l : back)
        if (l.to_id == contact) found = l.types.front().type_id == 280;
    EXPECT_TRUE(found);
    // The dated path and the legacy v4 path answer the same.
    const Reply legacy = post_json(f.port, "/crm/v4/associations/contacts/companies/batch/read",
                                   "{\"inputs\":[" + input(contact) + "]}", f.token);
    EXPECT_EQ(to_ids(legacy.json()), to_ids(r.json()));
    // USER_DEFINED labels exist among the generated links, and the labels list names them.
    const Reply labels = get(
        f.port,
        endpoint_path(Endpoint::kAssociationLabels, default_api_version(), "companies", "contacts"),
        f.token);
    ASSERT_EQ(labels.status, 200) << labels.body;
    EXPECT_NE(
        labels.body.find(R"("category":"USER_DEFINED","typeId":1002,"label":"Decision maker")"),
        std::string::npos)
        << labels.body;
}

TEST(SimAssociations, ARecordWithManyLinksPagesPerRecord) {
    AssocFixture f;
    const RecordId hub = hub_company(*f.sim);
    ASSERT_NE(hub, 0);
    const RecordId small = f.sim->record_ids("companies", false).back();
    const auto expected = f.sim->associations("companies", hub, "contacts");
    std::vector<std::int64_t> got;
    std::string after;
    int pages = 0;
    do {
        const Reply r =
            f.read("companies", "contacts",
                   "[" + input(hub, after) + (after.empty() ? "," + input(small) : "") + "]");
        ASSERT_EQ(r.status, 200) << r.body;
        const auto results = r.json()->getArray("results");
        after.clear();
        for (std::size_t i = 0; i < results->size(); ++i) {
            const auto one = results->getObject(static_cast<unsigned>(i));
            if (one->getObject("from")->getValue<std::string>("id") != std::to_string(hub))
                continue;
            EXPECT_LE(one->getArray("to")->size(), kLinksPerPage);
            const auto page = to_ids(r.json());
            const auto& ids = page.at(std::to_string(hub));
            got.insert(got.end(), ids.begin(), ids.end());
            if (one->has("paging"))
                after = one->getObject("paging")->getObject("next")->getValue<std::string>("after");
        }
        ++pages;
    } while (!after.empty() && pages < 20);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], expected[i].to_id);
    EXPECT_GE(pages, 2);
}

TEST(SimAssociations, MissingIdsAre207AndTooManyInputs400AndReadsSkipTheBucket) {
    SimOptions o = options(500);
    o.rate_limit = 10;
    AssocFixture f(o);
    const RecordId contact = f.sim->record_ids("contacts", false).front();
    const Reply partial =
        f.read("contacts", "companies", "[" + input(contact) + "," + input(999999999) + "]");
    EXPECT_EQ(partial.status, 207) << partial.body;
    EXPECT_NE(partial.body.find("\"999999999\""), std::string::npos) << partial.body;
    EXPECT_EQ(to_ids(partial.json()).count(std::to_string(contact)), 1u);

    std::string many = "[";
    for (int i = 0; i < 1001; ++i)
        many += (i ? "," : "") + input(contact);
    EXPECT_EQ(f.read("contacts", "companies", many + "]").status, 400);

    // Thirty reads with a limit of ten per 10 s: none refused; the labels list counts.
    for (int i = 0; i < 30; ++i)
        ASSERT_EQ(f.read("contacts", "companies", "[" + input(contact) + "]").status, 200) << i;
    int refused = 0;
    for (int i = 0; i < 12; ++i)
        if (get(f.port,
                endpoint_path(Endpoint::kAssociationLabels, default_api_version(), "contacts",
                              "companies"),
                f.token)
                .status == 429)
            ++refused;
    EXPECT_GT(refused, 0);
}

TEST(SimAssociations, AddRemoveAndRelabelTouchNeitherRecord) {
    AssocFixture f;
    const RecordId deal = f.sim->record_ids("deals", false).front();
    const auto linked = f.sim->associations("deals", deal, "contacts");
    ASSERT_FALSE(linked.empty());
    std::set<RecordId> taken;
    for (const auto& l : linked)
        taken.insert(l.to_id);
    RecordId other = 0;
    for (RecordId c : f.sim->record_ids("contacts", false))
        if (!taken.count(c)) {
            other = c;
            break;
        }
    const std::string deal_updated = f.sim->record("deals", deal)->updated_at;
    const std::string contact_updated = f.sim->record("contacts", other)->updated_at;
    f.clock.advance(std::chrono::minutes(1));

    // Through the admin route: add, then the link shows from both sides.
    const std::string body = R"({"fromObjectType":"deals","fromId":")" + std::to_string(deal) +
                             R"(","toObjectType":"contacts","toId":")" + std::to_string(other) +
                             "\"}";
    ASSERT_EQ(http(f.port, "POST", "/_sim/associations", body, "application/json").status, 200);
    auto has = [&](const std::string& from, RecordId a, const std::string& to, RecordId b) {
        for (const auto& l : f.sim->associations(from, a, to))
            if (l.to_id == b) return true;
        return false;
    };
    EXPECT_TRUE(has("deals", deal, "contacts", other));
    EXPECT_TRUE(has("contacts", other, "deals", deal));
    EXPECT_EQ(f.sim->record("deals", deal)->updated_at, deal_updated);
    EXPECT_EQ(f.sim->record("contacts", other)->updated_at, contact_updated);

    // Relabel a contact's company link with the portal's own label, then unlabel it.
    const RecordId contact = f.sim->record_ids("contacts", false)[5];
    const RecordId company = f.sim->associations("contacts", contact, "companies").front().to_id;
    const std::string relabelled_updated = f.sim->record("contacts", contact)->updated_at;
    f.clock.advance(std::chrono::minutes(1));
    f.sim->relabel_association("contacts", contact, "companies", company, {"Decision maker"});
    auto labels_of = [&](const std::string& from, RecordId a, const std::string& to, RecordId b) {
        std::set<std::string> out;
        for (const auto& l : f.sim->associations(from, a, to))
            if (l.to_id == b)
                for (const auto& t : l.types)
                    out.insert(t.label.value_or("-"));
        return out;
    };
    EXPECT_EQ(labels_of("companies", company, "contacts", contact),
              (std::set<std::string>{"-", "Decision maker"}));
    ASSERT_EQ(http(f.port, "POST", "/_sim/associations/relabel",
                   R"({"fromObjectType":"companies","fromId":")" + std::to_string(company) +
                       R"(","toObjectType":"contacts","toId":")" + std::to_string(contact) +
                       R"(","labels":[]})",
                   "application/json")
                  .status,
              200);
    EXPECT_EQ(labels_of("contacts", contact, "companies", company), (std::set<std::string>{"-"}));
    EXPECT_EQ(f.sim->record("contacts", contact)->updated_at, relabelled_updated);

    // Remove through the admin route; removing again is an error; an unknown label is 400.
    ASSERT_EQ(http(f.port, "DELETE", "/_sim/associations", body, "application/json").status, 200);
    EXPECT_FALSE(has("contacts", other, "deals", deal));
    EXPECT_EQ(http(f.port, "DELETE", "/_sim/associations", body, "application/json").status, 400);
    EXPECT_THROW(f.sim->associate("deals", deal, "contacts", other, {"Best friend"}),
                 std::invalid_argument);
    EXPECT_EQ(f.sim->record("deals", deal)->updated_at, deal_updated);
}

TEST(SimAssociations, MergesMoveLinksToTheSurvivorAndDeletesRemoveThem) {
    AssocFixture f;
    const auto contacts = f.sim->record_ids("contacts", false);
    const RecordId a = contacts[3], b = contacts[4], gone = contacts[5];
    std::set<RecordId> companies;
    for (RecordId id : {a, b})
        for (const auto& l : f.sim->associations("contacts", id, "companies"))
            companies.insert(l.to_id);
    const RecordId gone_company = f.sim->associations("contacts", gone, "companies").front().to_id;
    const RecordId survivor = f.sim->merge("contacts", a, b);
    f.sim->gdpr_delete("contacts", gone);

    std::set<RecordId> moved;
    for (const auto& l : f.sim->associations("contacts", survivor, "companies"))
        moved.insert(l.to_id);
    EXPECT_EQ(moved, companies);
    for (RecordId company : companies) {
        std::set<RecordId> back;
        for (const auto& l : f.sim->associations("companies", company, "contacts"))
            back.insert(l.to_id);
        EXPECT_TRUE(back.count(survivor)) << company;
        EXPECT_FALSE(back.count(a) || back.count(b)) << company;
    }
    for (const auto& l : f.sim->associations("companies", gone_company, "contacts"))
        EXPECT_NE(l.to_id, gone);
    // An old id resolves to the survivor in the batch read; the deleted one is a 207 error.
    const Reply r = f.read("contacts", "companies", "[" + input(a) + "," + input(gone) + "]");
    EXPECT_EQ(r.status, 207) << r.body;
    EXPECT_EQ(to_ids(r.json())[std::to_string(a)].size(), moved.size());
}

}  // namespace
}  // namespace hubsync::sim::testing
