// The sync engine: one cycle of keeping the mirror equal to HubSpot, for every configured
// object type from one code path. Per type: backfill until complete, then incremental search
// windows, the archive sweep and the reconcile sweep when due. Every cursor is committed in
// the same transaction as the rows it covers (see ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"
#include "sync/links_sync.h"
#include "sync/request_plan.h"

namespace hubsync {

// sync_state keys owned by the engine (besides the ones mirror.h names), per object type.
inline constexpr const char* kStateBackfillPhase = "backfill.phase";         // active|archived
inline constexpr const char* kStateBackfillStarted = "backfill.started_ms";  // epoch ms
inline constexpr const char* kStateWindow = "incremental.window";  // v2;since;until;top;r=ranges
inline constexpr const char* kStateArchivedSweep = "archived.last_ms";  // epoch ms
inline constexpr const char* kStateBackfillSplit = "backfill.split";    // SplitState::encode()

struct SyncProgress {
    std::string object_type;  // contacts, deals, ...
    std::string phase;        // "backfill", "backfill (archived)", "incremental", ...
    std::int64_t pages = 0;
    std::int64_t records = 0;    // records written in this phase
    std::int64_t expected = -1;  // estimate of the phase's total, -1 when unknown
    Millis elapsed{0};
};

struct SyncOptions {
    // The configured object types: names (contacts, companies, deals, tickets, a custom
    // object's name) or "*" for every type the token can read. Empty = contacts.
    std::vector<std::string> objects;
    // The scopes the token was granted, when known (OAuth); nullopt for a static token whose
    // scopes cannot be read. Decides "*" and makes a named type without its scope an error
    // before any request.
    std::optional<std::vector<std::string>> granted_scopes;
    std::vector<std::string> properties;  // every type's selection; empty = every property
    // A type's own selection, by type name, instead of `properties`; empty = every property.
    std::map<std::string, std::vector<std::string>> type_properties;
    // Also mirror properties HubSpot marks sensitive (needs the type's sensitive scope; without
    // it they are left out, with one warning).
    bool sensitive_properties = false;
    // Properties whose changes the mirror keeps in `changes` (each type tracks those it has).
    std::vector<std::string> track_changes = {"lifecyclestage", "hs_lead_status", "dealstage",
                                              "hs_pipeline_stage", "hubspot_owner_id"};
    Millis lookback{10 * 60'000};
    Millis archived_interval{30 * 60'000};
    Millis reconcile_interval{24 * 3'600'000};
    int max_url_length = 8000;
    int search_limit = 200;
    int searches_per_second = 4;  // the search bucket's budget (how many search chains to run)
    // Read the active records through both buckets at once (list + search chains); false = the
    // list endpoint alone, one page at a time.
    bool split_backfill = true;
    // ... and, far from HubSpot, by batch/read of id ranges (see SplitBackfillOptions).
    bool range_reads = true;
    StopSource* stop = nullptr;
    std::function<void(const SyncProgress&)> on_progress;  // after every page
    // After every page written, and every page of ids the reconcile sweep takes in (watchdog).
    std::function<void()> on_page;
    // Associations, owners, pipelines, property options and report views (sync/links_sync.h).
    LinkSyncOptions links;
};

struct CycleRequest {
    bool full = false;             // re-read every record and run the reconcile sweep
    bool force_reconcile = false;  // run the reconcile sweep now
};

// What one cycle did for one object type.
struct TypeReport {
    std::string object_type;
    std::string mode;  // backfill | incremental | full
    std::int64_t records_written = 0;
    std::int64_t requests = 0;           // every request, searches included
    std::int64_t searches = 0;           // search requests (HubSpot's own bucket)
    std::int64_t detector_searches = 0;  // of those, the change detector's
    // How the detector looked for a difference between the counts: empty when they agreed,
    // "bisection", or "archive sweep" (the archived list first, being cheaper).
    std::string detector_route;
    std::int64_t removed = 0;  // rows removed as gone for good (detector or reconcile sweep)
    bool backfill_complete = false;
    bool archive_swept = false;
    bool reconciled = false;
    std::string error;  // empty when the type's cycle succeeded
    RequestPlan plan;
    // For the links: the ids of the records written (upserted) this cycle, and the property
    // definitions read (with their options).
    std::vector<RecordId> written_ids;
    std::vector<PropertyDef> properties;
};

// What one cycle did: a report per type, and the sums.
struct CycleReport {
    std::vector<TypeReport> types;
    std::string mode;  // the first type's mode
    std::int64_t records_written = 0;
    std::int64_t requests = 0;
    std::int64_t searches = 0;
    std::int64_t removed = 0;
    bool backfill_complete = false;  // every type's backfill is complete
    bool archive_swept = false;      // some type's archive sweep ran
    bool reconciled = false;         // every type was reconciled
    RequestPlan plan;                // the first type's plan
    LinkReport links;                // associations, owners, pipelines, options (not in requests)

    const TypeReport* type(const std::string& name) const;
};

// Resolves the configured object names to types. "*" means every standard type whose read
// scope is granted (all of them when `granted` is unknown) and every custom type in `schemas`
// when the custom scope is; a named type whose scope is known to be missing is a
// kForbidden error naming the scope and asking for `hubsync authorize` again. A name that is
// neither standard nor a custom schema is kConfig. `schemas` may be null when no custom name or
// "*" is configured.
Result<std::vector<ObjectType>> resolve_object_types(
    const std::vector<std::string>& names, const std::optional<std::vector<std::string>>& granted,
    const std::vector<ObjectSchema>* schemas);

// True when the configured names need the custom object schemas to resolve.
bool needs_schemas(const std::vector<std::string>& names,
                   const std::optional<std::vector<std::string>>& granted);

class SyncEngine final {
  public:
    // All references must outlive the engine. Not thread-safe.
    SyncEngine(HubSpotApi& api, Mirror& mirror, Clock& clock, SyncOptions options);

    // Runs one cycle over every configured type. A type's failure does not stop the others
    // unless no other type could succeed either (stop, authorization, a local I/O error);
    // the first error is returned after the rest ran. On error the mirror holds every page
    // committed before it; the next cycle resumes from there. kCancelled when options.stop
    // was requested.
    Result<CycleReport> run_cycle(const CycleRequest& request = {});

    // The types the last cycle resolved (empty before the first).
    const std::vector<ObjectType>& types() const { return types_; }

  private:
    class TypeCycle;
    Result<std::vector<ObjectType>> resolve_types();
    // The synced properties of `type`: the configured selection, and the sensitive ones when
    // asked for and readable.
    Result<std::vector<PropertyDef>> property_defs(const ObjectType& type);
    Result<bool> sensitive_readable(const ObjectType& type,
                                    const std::vector<PropertyDef>& sensitive);

    HubSpotApi& api_;
    Mirror& mirror_;
    Clock& clock_;
    SyncOptions options_;
    std::vector<ObjectType> types_;
    std::set<std::string> sensitive_warned_;  // types whose missing sensitive scope was logged
};

}  // namespace hubsync
