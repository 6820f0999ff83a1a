// The links after each cycle against the simulator: associations in both directions with their
// labels, the sweep that finds link changes no record's modification time shows, the links of
// changed records, merges and deletes, owners, pipelines, options, and the report views.
#include <sqlite3.h>

#include <set>

#include "mirror/links.h"
#include "running_clock.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using Rows = std::vector<std::vector<std::string>>;

const std::vector<std::string> kTypes = {"contacts", "companies", "deals", "tickets"};

HarnessOptions links_options(int contacts = 1000) {
    HarnessOptions o;
    o.contacts = contacts;
    o.every_standard_type = true;
    o.custom_properties = 2;
    o.token_scopes = {"oauth",
                      "crm.objects.contacts.read",
                      "crm.objects.companies.read",
                      "crm.objects.deals.read",
                      "tickets",
                      "crm.objects.owners.read"};
    return o;
}

// A harness mirroring the four standard types, associations swept every 6 hours.
struct LinksHarness : SyncHarness {
    explicit LinksHarness(int contacts = 1000) : LinksHarness(links_options(contacts)) {}
    explicit LinksHarness(HarnessOptions o) : SyncHarness(std::move(o)) {
        sync_options.objects = kTypes;
        sync_options.links.associations_interval = hours(6);
    }

    CycleReport run(CycleRequest request = {}) {
        auto r = cycle(request);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
        return r.ok() ? *r : CycleReport{};
    }

    ObjectType type(const std::string& name) { return *find_standard_type(name); }

    // The mirror's rows from one record to one type, as (to id, type id, label) strings.
    std::set<std::string> mirrored(const std::string& from, RecordId id, const std::string& to) {
        std::set<std::string> out;
        auto rows = mirror->links().links_of(type(from), id, type(to));
        EXPECT_TRUE(rows.ok());
        if (!rows.ok()) return out;
        for (const auto& r : *rows)
            out.insert(std::to_string(r.to_id) + "/" + std::to_string(r.type.type_id) + "/" +
                       r.type.category + "/" + r.type.label.value_or("-"));
        return out;
    }
    // The simulator's links the same way.
    std::set<std::string> truth(const std::string& from, RecordId id, const std::string& to) {
        std::set<std::string> out;
        for (const auto& link : sim->associations(from, id, to))
            for (const auto& t : link.types)
                out.insert(std::to_string(link.to_id) + "/" + std::to_string(t.type_id) + "/" +
                           t.category + "/" + t.label.value_or("-"));
        return out;
    }

    // Records (active in the simulator) whose rows to another type differ from the truth.
    std::vector<std::string> link_differences() {
        std::vector<std::string> out;
        for (const auto& from : kTypes)
            for (RecordId id : sim->record_ids(from, false))
                for (const auto& to : kTypes)
                    if (from != to && mirrored(from, id, to) != truth(from, id, to))
                        out.push_back(from + " " + std::to_string(id) + " -> " + to);
        return out;
    }

    Rows query(const std::string& sql) {
        sqlite3* db = nullptr;
        Rows out;
        EXPECT_EQ(sqlite3_open_v2((dir / "mirror.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                  SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db) << "\n"
            << sql;
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            auto& row = out.emplace_back();
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                const auto* text = sqlite3_column_text(st, i);
                row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
            }
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }
    std::string one(const std::string& sql) {
        const Rows rows = query(sql);
        return rows.empty() || rows[0].empty() ? "(none)" : rows[0][0];
    }
};

void expect_no_differences(const std::vector<std::string>& diffs) {
    std::string shown;
    for (std::size_t i = 0; i < diffs.size() && i < 5; ++i)
        shown += "\n  " + diffs[i];
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " records differ:" << shown;
}

// Two records of `from` and `to` that are not linked.
std::pair<RecordId, RecordId> unlinked(LinksHarness& h, const std::string& from,
                                       const std::string& to) {
    const auto to_ids = h.sim->record_ids(to, false);
    for (RecordId a : h.sim->record_ids(from, false)) {
        std::set<RecordId> linked;
        for (const auto& l : h.sim->associations(from, a, to))
            linked.insert(l.to_id);
        for (RecordId b : to_ids)
            if (!linked.count(b)) return {a, b};
    }
    ADD_FAILURE() << "every record is linked";
    return {0, 0};
}

// A link of `from` to `to` in the simulator, with one of its labels when `label` is set.
std::pair<RecordId, RecordId> linked(LinksHarness& h, const std::string& from,
                                     const std::string& to, std::size_t skip = 0) {
    for (RecordId a : h.sim->record_ids(from, false))
        for (const auto& l : h.sim->associations(from, a, to))
            if (skip-- == 0) return {a, l.to_id};
    ADD_FAILURE() << "no links";
    return {0, 0};
}

TEST(LinksSync, EveryLinkOfEveryPairIsMirroredInBothDirectionsWithLabels) {
    LinksHarness h;
    const CycleReport r = h.run();
    EXPECT_TRUE(r.links.swept);
    EXPECT_GT(r.links.rows_inserted, 0);
    expect_no_differences(h.link_differences());
    // Both directions: each link contact -> company has its row company -> contact.
    EXPECT_EQ(h.one("SELECT count(*) FROM associations a WHERE from_type = 'contacts' AND "
                    "to_type = 'companies' AND type_id = 279 AND NOT EXISTS (SELECT 1 FROM "
                    "associations b WHERE b.from_type = 'companies' AND b.from_id = a.to_id AND "
                    "b.to_type = 'contacts' AND b.to_id = a.from_id AND b.type_id = 280)"),
              "0");
    // Labels: HubSpot's Primary, the portal's own Decision maker, NULL when unlabelled.
    EXPECT_NE(h.one("SELECT count(*) FROM associations WHERE label = 'Decision maker' AND "
                    "category = 'USER_DEFINED' AND from_type = 'companies'"),
              "0");
    EXPECT_NE(h.one("SELECT count(*) FROM associations WHERE label IS NULL AND category = "
                    "'HUBSPOT_DEFINED'"),
              "0");
    EXPECT_EQ(h.one("SELECT label FROM association_labels WHERE from_type = 'contacts' AND "
                    "to_type = 'companies' AND type_id = 1001"),
              "Decision maker");
    // The association reads count in the general budget and were never refused.
    EXPECT_EQ(h.sim->count_status(429), 0);
}

TEST(LinksSync, ARecordWithMoreLinksThanOnePageIsReadToTheEnd) {
    LinksHarness h;
    h.run();
    // The first companies are the generated hubs: one has more contacts than a page holds.
    RecordId hub = 0;
    for (RecordId id : h.sim->record_ids("companies", false))
        if (h.sim->associations("companies", id, "contacts").size() > 100) hub = id;
    ASSERT_NE(hub, 0) << "the simulator generates a company with more than 100 contacts";
    const auto expected = h.truth("companies", hub, "contacts");
    EXPECT_EQ(h.mirrored("companies", hub, "contacts"), expected);
    EXPECT_GT(expected.size(), 100u);
    // Per-record paging happened: some read sent an `after` for it.
    int paged = 0;
    for (const auto& req : h.sim->requests())
        if (req.path.find("/companies/contacts/batch/read") != std::string::npos) ++paged;
    EXPECT_GE(paged, 2);
}

TEST(LinksSync, LinkChangesWithoutRecordChangesAppearAfterTheSweepAndNotBefore) {
    LinksHarness h;
    h.run();
    const auto [added_from, added_to] = unlinked(h, "contacts", "companies");
    const auto [removed_from, removed_to] = linked(h, "deals", "contacts");
    const auto [relabel_from, relabel_to] = linked(h, "tickets", "companies", 3);
    const std::string updated_before =
        h.one("SELECT updated_at FROM contacts WHERE id = " + std::to_string(added_from));
    h.sim->associate("contacts", added_from, "companies", added_to, {"Decision maker"});
    h.sim->remove_association("deals", removed_from, "contacts", removed_to);
    h.sim->relabel_association("tickets", relabel_from, "companies", relabel_to, {});
    ASSERT_EQ(h.sim->record("contacts", added_from)->updated_at, updated_before)
        << "an association change moves no record's modification time";

    // The next cycles (within the sweep interval) read only changed records: none changed.
    for (int i = 0; i < 3; ++i) {
        h.clock.advance(minutes(5));
        const CycleReport r = h.run();
        EXPECT_FALSE(r.links.swept);
    }
    EXPECT_NE(h.mirrored("contacts", added_from, "companies"),
              h.truth("contacts", added_from, "companies"));
    EXPECT_NE(h.mirrored("deals", removed_from, "contacts"),
              h.truth("deals", removed_from, "contacts"));
    EXPECT_NE(h.mirrored("companies", relabel_to, "tickets"),
              h.truth("companies", relabel_to, "tickets"));

    h.clock.advance(hours(6));
    const CycleReport swept = h.run();
    EXPECT_TRUE(swept.links.swept);
    EXPECT_GT(swept.links.rows_inserted, 0);
    EXPECT_GT(swept.links.rows_removed, 0);
    expect_no_differences(h.link_differences());
    EXPECT_NE(h.mirrored("companies", added_to, "contacts")
                  .count(std::to_string(added_from) + "/1002/USER_DEFINED/Decision maker"),
              0u);
}

TEST(LinksSync, LinksOfChangedRecordsAppearAfterTheNextCycle) {
    LinksHarness h;
    h.run();
    const auto before = h.sim->requests_served();
    // A new contact linked to a company, and a changed contact with a new link.
    h.clock.advance(minutes(1));
    const RecordId fresh = h.sim->create("contacts", {{"email", "new.link@example.com"}});
    const auto [changed, company] = unlinked(h, "contacts", "companies");
    h.sim->associate("contacts", fresh, "companies", company, {"Primary"});
    h.sim->associate("contacts", changed, "companies", company);
    h.sim->update("contacts", changed, {{"firstname", "Linked"}});
    h.clock.advance(minutes(5));
    const CycleReport r = h.run();
    EXPECT_FALSE(r.links.swept);
    EXPECT_EQ(h.mirrored("contacts", fresh, "companies"), h.truth("contacts", fresh, "companies"));
    EXPECT_EQ(h.mirrored("contacts", changed, "companies"),
              h.truth("contacts", changed, "companies"));
    // The company's side was read again because its links changed.
    EXPECT_EQ(h.mirrored("companies", company, "contacts"),
              h.truth("companies", company, "contacts"));
    expect_no_differences(h.link_differences());
    // Incremental: a handful of association reads, not a sweep.
    int reads = 0;
    for (const auto& req : h.sim->requests_since(before))
        if (req.path.find("/batch/read") != std::string::npos &&
            req.path.find("/associations/") != std::string::npos)
            ++reads;
    EXPECT_LE(reads, 12);
}

TEST(LinksSync, MergesMoveLinksToTheSurvivorAndDeletesTakeThemAway) {
    LinksHarness h;
    h.run();
    const auto contacts = h.sim->record_ids("contacts", false);
    const RecordId a = contacts[10], b = contacts[11], gone = contacts[12];
    std::set<RecordId> companies;
    for (RecordId id : {a, b})
        for (const auto& l : h.sim->associations("contacts", id, "companies"))
            companies.insert(l.to_id);
    h.clock.advance(minutes(1));
    const RecordId survivor = h.sim->merge("contacts", a, b);
    const auto gone_companies = h.sim->associations("contacts", gone, "companies");
    ASSERT_FALSE(gone_companies.empty());
    h.sim->gdpr_delete("contacts", gone);
    h.clock.advance(minutes(5));
    h.run(CycleRequest{false, true});  // the reconcile sweep finds the deleted contact

    std::set<RecordId> moved;
    for (const auto& l : h.sim->associations("contacts", survivor, "companies"))
        moved.insert(l.to_id);
    EXPECT_EQ(moved, companies);
    EXPECT_EQ(h.mirrored("contacts", survivor, "companies"),
              h.truth("contacts", survivor, "companies"));
    for (RecordId old : {a, b, gone}) {
        const std::string id = std::to_string(old);
        EXPECT_EQ(h.one("SELECT count(*) FROM associations WHERE (from_type = 'contacts' AND "
                        "from_id = " +
                        id + ") OR (to_type = 'contacts' AND to_id = " + id + ")"),
                  "0")
            << old;
    }
    for (RecordId company : companies)
        EXPECT_EQ(h.mirrored("companies", company, "contacts"),
                  h.truth("companies", company, "contacts"));
    expect_no_differences(h.link_differences());
}

TEST(LinksSync, OwnersPipelinesAndOptionsAreMirroredWithTypedColumns) {
    LinksHarness h;
    const CycleReport r = h.run();
    EXPECT_TRUE(r.links.reference_refreshed);
    const auto active = h.sim->owners(false), archived = h.sim->owners(true);
    ASSERT_FALSE(archived.empty());
    EXPECT_EQ(h.one("SELECT count(*) FROM owners WHERE archived = 0"),
              std::to_string(active.size()));
    EXPECT_EQ(h.one("SELECT count(*) FROM owners WHERE archived = 1"),
              std::to_string(archived.size()));
    EXPECT_EQ(h.one("SELECT email FROM owners WHERE id = " + archived[0].id), archived[0].email);
    // Deals: probability as a number, isClosed as 0/1; tickets: ticketState CLOSED -> 1.
    EXPECT_EQ(h.one("SELECT probability || '/' || is_closed FROM pipeline_stages WHERE "
                    "object_type = 'deals' AND pipeline_id = 'default' AND id = 'closedwon'"),
              "1.0/1");
    EXPECT_EQ(h.one("SELECT typeof(probability) FROM pipeline_stages WHERE object_type = "
                    "'deals' AND id = 'contractsent'"),
              "real");
    EXPECT_EQ(h.one("SELECT is_closed FROM pipeline_stages WHERE object_type = 'tickets' AND "
                    "pipeline_id = '0' AND id = '4'"),
              "1");
    EXPECT_EQ(h.one("SELECT is_closed FROM pipeline_stages WHERE object_type = 'tickets' AND "
                    "pipeline_id = '0' AND id = '1'"),
              "0");
    EXPECT_EQ(h.one("SELECT label FROM pipelines WHERE object_type = 'deals' AND id = 'default'"),
              h.sim->pipelines("deals")[0].label);
    // Options with labels, display order and hidden.
    EXPECT_EQ(h.one("SELECT label FROM property_options WHERE object_type = 'contacts' AND "
                    "property = 'lifecyclestage' AND value = 'marketingqualifiedlead'"),
              "Marketing Qualified Lead");
    EXPECT_EQ(h.one("SELECT hidden FROM property_options WHERE object_type = 'deals' AND "
                    "property = 'deal_currency_code' AND value = 'DEM'"),
              "1");

    // Refreshed on their own schedule: a relabel shows after reference_interval, not before.
    h.sim->relabel_stage("deals", "default", "closedwon", "Won at last");
    h.sim->relabel_option("contacts", "lifecyclestage", "marketingqualifiedlead", "MQL");
    h.clock.advance(minutes(5));
    const CycleReport next = h.run();
    EXPECT_FALSE(next.links.reference_refreshed);
    EXPECT_EQ(next.links.option_types_written, 1);  // options ride on the properties read
    EXPECT_EQ(h.one("SELECT label FROM property_options WHERE object_type = 'contacts' AND "
                    "property = 'lifecyclestage' AND value = 'marketingqualifiedlead'"),
              "MQL");
    EXPECT_NE(h.one("SELECT label FROM pipeline_stages WHERE id = 'closedwon'"), "Won at last");
    h.clock.advance(hours(1));
    EXPECT_TRUE(h.run().links.reference_refreshed);
    EXPECT_EQ(h.one("SELECT label FROM pipeline_stages WHERE id = 'closedwon'"), "Won at last");
}

TEST(LinksSync, ReportViewsResolveNamesBesideIds) {
    LinksHarness h;
    h.run();
    // A deal with an owner and a company: its row names the stage, pipeline, owner, company.
    for (const Record& deal : h.sim->truth("deals", false)) {
        const auto* owner = deal.find("hubspot_owner_id");
        if (!owner || !*owner || (*owner)->empty()) continue;
        const std::string id = std::to_string(deal.id);
        const Rows rows = h.query(
            "SELECT stage, pipeline, owner_name, company_id, company_name, stage_id FROM "
            "deals_report WHERE deal_id = " +
            id);
        ASSERT_EQ(rows.size(), 1u);
        std::string stage_label, pipeline_label;
        const std::string stage_id = *(*deal.find("dealstage"));
        for (const auto& p : h.sim->pipelines("deals"))
            if (p.id == *(*deal.find("pipeline"))) {
                pipeline_label = p.label;
                for (const auto& s : p.stages)
                    if (s.id == stage_id) stage_label = s.label;
            }
        EXPECT_EQ(rows[0][0], stage_label);
        EXPECT_EQ(rows[0][1], pipeline_label);
        std::string owner_name = "NULL";
        for (bool archived : {false, true})
            for (const auto& o : h.sim->owners(archived))
                if (o.id == **owner) owner_name = o.first_name + " " + o.last_name;
        EXPECT_EQ(rows[0][2], owner_name);
        // The Primary company of the deal.
        RecordId primary = 0;
        for (const auto& l : h.sim->associations("deals", deal.id, "companies"))
            for (const auto& t : l.types)
                if (t.label == "Primary") primary = l.to_id;
        ASSERT_NE(primary, 0);
        EXPECT_EQ(rows[0][3], std::to_string(primary));
        EXPECT_EQ(rows[0][4], *(*h.sim->record("companies", primary)->find("name")));
        break;
    }
    // Every active deal has a row; contacts, companies and tickets views exist and resolve.
    EXPECT_EQ(h.one("SELECT count(*) FROM deals_report"),
              std::to_string(h.sim->record_ids("deals", false).size()));
    EXPECT_EQ(h.one("SELECT count(*) FROM contacts_report WHERE company_name IS NULL"), "0");
    EXPECT_NE(h.one("SELECT count(*) FROM contacts_report WHERE lifecycle_stage_label IS NOT "
                    "NULL AND lifecycle_stage_label <> lifecycle_stage"),
              "0");
    EXPECT_NE(h.one("SELECT count(*) FROM tickets_report WHERE is_closed = 0 AND company_name "
                    "IS NOT NULL"),
              "0");
    EXPECT_NE(h.one("SELECT max(contacts) FROM companies_report"), "0");
    // The README's example query runs.
    EXPECT_FALSE(h.query("SELECT stage, company_name, count(*), total(amount) FROM deals_report "
                         "GROUP BY stage, company_name ORDER BY 4 DESC LIMIT 5")
                     .empty());
}

// Far from HubSpot, association reads overlap (as many in flight as the rate budget suggests)
// while batches are still written in order with the sweep's cursor: a sweep stopped part way
// resumes after its last written batch, and both end equal to the truth.
class LinksAtLatency : public ::testing::Test {
  protected:
    LinksAtLatency() : h_(options()) {}

    HarnessOptions options() {
        HarnessOptions o = links_options(2'000);
        o.time = &time_;
        o.transport_pool = true;
        return o;
    }

    void SetUp() override {
        h_.run();                 // backfill (and every written record's links) without latency
        time_.advance(hours(7));  // the association sweep is due
        h_.sim->set_latency(std::chrono::milliseconds(100));
        h_.sim->clear_requests();
    }

    std::string batch_path(const std::string& from, const std::string& to) {
        return endpoint_path(Endpoint::kAssociationsBatchRead, default_api_version(), from, to);
    }

    int association_reads() {
        int n = 0;
        for (const auto& r : h_.sim->requests())
            n += r.path.find("/associations/") != std::string::npos &&
                         r.path.ends_with("/batch/read")
                     ? 1
                     : 0;
        return n;
    }

    RunningClock time_;
    LinksHarness h_;
};

TEST_F(LinksAtLatency, TheSweepKeepsSeveralReadsInFlightAndWritesEveryLink) {
    // A link added at HubSpot that no record change reveals: only the sweep finds it.
    const auto [a, b] = unlinked(h_, "contacts", "companies");
    h_.sim->associate("contacts", a, "companies", b);
    const CycleReport r = h_.run();
    EXPECT_TRUE(r.links.swept);
    expect_no_differences(h_.link_differences());
    EXPECT_GE(peak_held(h_.sim->requests(), batch_path("contacts", "companies")), 2)
        << "association reads overlapped at the simulator";
    EXPECT_GE(h_.api->stats().budget.in_flight_peak, 2);
}

TEST_F(LinksAtLatency, AStoppedSweepResumesAfterItsLastWrittenBatch) {
    const CycleReport full = h_.run();  // the whole sweep, to count its reads
    ASSERT_TRUE(full.links.swept);
    const int all_reads = association_reads();
    time_.advance(hours(7));
    const auto [a, b] = unlinked(h_, "deals", "tickets");
    h_.sim->associate("deals", a, "tickets", b);
    h_.sim->clear_requests();
    StopSource stop;
    int batches = 0;
    h_.sync_options.stop = &stop;
    h_.sync_options.on_page = [&] {
        const auto sweeping = h_.mirror->state("links.associations.sweep");
        if (sweeping.ok() && *sweeping && ++batches == 4) stop.request_stop();
    };
    auto stopped = h_.cycle();
    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().kind, ErrorKind::kCancelled);
    const auto cursor = h_.mirror->state("links.associations.sweep");
    ASSERT_TRUE(cursor.ok() && *cursor) << "the sweep's cursor is committed";
    const int before_stop = association_reads();

    h_.sync_options.stop = nullptr;
    h_.sync_options.on_page = nullptr;
    h_.sim->clear_requests();
    const CycleReport resumed = h_.run();
    EXPECT_TRUE(resumed.links.swept);
    expect_no_differences(h_.link_differences());
    // The resumed sweep read what was left, not everything again.
    EXPECT_LT(association_reads(), all_reads);
    EXPECT_LE(association_reads() + before_stop, all_reads + 16)
        << "no more than the reads in flight at the stop are read twice";
}

TEST_F(LinksAtLatency, AFailedReadWritesNothingAfterItAndTheNextSweepFinishes) {
    // Every read of contacts' links to deals fails from the start: the batches before it in
    // the sweep's order are written, none after it, and its cursor stays before it.
    h_.sim->add_fault(sim::FaultRule::fail_next(batch_path("contacts", "deals"), -1, 500));
    auto failed = h_.cycle();
    ASSERT_FALSE(failed.ok());
    const auto cursor = h_.mirror->state("links.associations.sweep");
    ASSERT_TRUE(cursor.ok() && *cursor) << "the sweep's position is committed";
    // started_ms:pair:last_id, on the first pair (contacts -> companies), the one before.
    const std::string& at = **cursor;
    EXPECT_EQ(at.substr(at.find(':') + 1, at.rfind(':') - at.find(':') - 1), "0") << at;
    for (const auto& r : h_.sim->requests())
        EXPECT_FALSE(r.path == batch_path("deals", "contacts") && r.status == 200)
            << "a pair after the failing one was read";

    h_.sim->clear_faults();
    const CycleReport resumed = h_.run();
    EXPECT_TRUE(resumed.links.swept);
    expect_no_differences(h_.link_differences());
}

}  // namespace
}  // namespace hubsync::testing
