// The mirror as the sync engine and the commands see it: one table per object type that
// reporting tools read (schema in the product contract), the sync cursors, and the write side
// the engine calls, one transaction per page. `Mirror` is the storage interface; the SQLite
// implementation is in mirror/sqlite_mirror.h, and another database would be a second
// implementation of the same interface.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/object_type.h"
#include "model/record.h"

namespace hubsync {

class LinkMirror;  // mirror/links.h

// One object type's counts for `hubsync status`.
struct MirrorCounts {
    std::int64_t total = 0;
    std::int64_t active = 0;    // neither archived nor merged away (the active_<table> view)
    std::int64_t archived = 0;  // archived = 1
    std::int64_t merged = 0;    // merged_into IS NOT NULL
};

// One row of sync_runs: one cycle of one object type.
struct SyncRun {
    std::int64_t id = 0;
    std::string object_type;  // the type's name
    std::string started_at;   // ISO-8601 UTC
    std::string finished_at;  // empty while running (or when the process died mid-cycle)
    std::string mode;         // e.g. "backfill", "incremental", "reconcile", "full"
    std::int64_t records_written = 0;
    std::int64_t requests_made = 0;
    std::string error;    // empty on success
    std::string verdict;  // `hubsync verify` runs only: agree | in-flight | disagree
};

// An id range (lo, hi] of one object type.
struct IdRange {
    RecordId lo = 0;  // exclusive
    RecordId hi = 0;  // inclusive
};

// What the mirror knows that explains a disagreement with HubSpot still in flight (verify).
struct RecentActivity {
    std::int64_t rows_changed = 0;  // rows whose updated_at is at or after the instant asked about
    std::int64_t ledger_entries = 0;  // deletions rows detected or restored since then
    std::string newest_updated_at;    // the newest updated_at of an active row; empty if none
};

// A record's row as stored (for status, tests and checks).
struct StoredRecord {
    RecordId id = 0;
    std::string created_at;
    std::string updated_at;
    bool archived = false;
    std::string archived_at;
    std::optional<RecordId> merged_into;
    std::string synced_at;
    std::string properties_json;
};

// The parts of a stored row that decide whether HubSpot's copy is newer.
struct RecordVersion {
    RecordId id = 0;
    std::string updated_at;  // normalized ISO-8601 UTC
    bool archived = false;
    std::optional<RecordId> merged_into;
};

// A sync_state change: a value, or nullopt to delete the key.
struct StateUpdate {
    std::string key;
    std::optional<std::string> value;
};

// Well-known sync_state keys of an object type (see state_key). The engine may use others;
// values are opaque strings.
inline constexpr const char* kStateBackfillAfter = "backfill.after";        // list cursor
inline constexpr const char* kStateBackfillDone = "backfill.completed_at";  // ISO-8601
inline constexpr const char* kStateHighWater = "incremental.high_water_ms";
inline constexpr const char* kStateLastReconcile = "reconcile.last_at";  // ISO-8601

// The sync_state key of `key` for one object type: "<table>.<key>", e.g.
// "contacts.backfill.after". Table names are unique, so keys of two types never meet.
std::string state_key(const ObjectType& type, std::string_view key);

// An archive marker without the record's properties (e.g. from an id-only sweep).
struct ArchiveMark {
    RecordId id = 0;
    std::string archived_at;  // ISO-8601 or epoch ms as sent; may be empty
};

// absorbed_id was merged into survivor_id.
struct MergeMark {
    RecordId absorbed_id = 0;
    RecordId survivor_id = 0;
};

// Everything one page commits, atomically: rows, markers, cursor and run counters. A crash
// anywhere leaves either all of it or none of it in the database, so the cursor moves only
// together with the rows it covers.
struct PageWrite {
    // Full records, upserted. Rules: a record older than the stored row (updated_at compared
    // as instants) is skipped; equal or newer overwrites, so a re-read heals. An archived row
    // whose newer-or-equal record says active is restored (archived = 0, archived_at NULL).
    // A record strictly newer than the stored row also clears merged_into.
    // A record carrying `hs_merged_object_ids` marks those ids as merged into it.
    std::vector<Record> records;
    // Archive markers for known rows; unknown ids are ignored (write the full record instead).
    // A marker older than the row's updated_at is ignored (the contact changed since).
    std::vector<ArchiveMark> archived;
    std::vector<MergeMark> merges;
    // sync_state changes committed with the rows.
    std::vector<StateUpdate> state;
    // When non-zero, sync_runs row `run_id` gets records_written += rows applied and
    // requests_made += requests_made, in the same transaction.
    std::int64_t run_id = 0;
    std::int64_t requests_made = 0;
};

// What a PageWrite did.
struct PageResult {
    std::int64_t upserted = 0;       // records inserted or overwritten
    std::int64_t skipped_older = 0;  // records older than the stored row
    std::int64_t archived = 0;       // archive markers applied
    std::int64_t merged = 0;         // rows newly or again marked merged
};

struct CheckpointResult {
    int wal_frames = 0;      // frames in the WAL before the checkpoint
    int checkpointed = 0;    // frames copied into the database
    bool truncated = false;  // the WAL file was truncated to zero bytes
};

// Which properties the mirror keeps, as decided by apply_properties.
struct PropertyColumn {
    std::string name;         // HubSpot property name
    std::string column_name;  // typed column in the type's table; empty when JSON-only
    std::string type;         // HubSpot type
};

// The storage interface. Not thread-safe: one thread uses a Mirror at a time. Several
// processes may open the same database; only one should write (the service).
//
// Per-type calls name the object type; its table (and view) are created on first use by a
// writer. A type a reader asks about before any writer created its table reads as empty.
class Mirror {
  public:
    virtual ~Mirror() = default;

    // Where the mirror lives, for messages (a file path for SQLite).
    virtual const std::string& path() const = 0;
    virtual Result<int> schema_version() = 0;

    // --- Properties -----------------------------------------------------------------------
    // Decides the synced properties of `type`: every def when `selection` is empty ("*"),
    // else the selected names that exist in `defs` (unknown names are logged and skipped).
    // Adds a typed column for each new property (never drops one) and records every synced
    // property in `object_properties`. Columns are named after the property,
    // `property_<name>` on collision with a fixed column, with a numeric suffix on any other
    // clash (names are case-insensitive). Must be called before write() of that type, once per
    // cycle. Returns the synced properties in request order.
    virtual Result<std::vector<PropertyColumn>> apply_properties(
        const ObjectType& type, const std::vector<PropertyDef>& defs,
        const std::vector<std::string>& selection) = 0;
    // The synced properties of `type` from the last apply_properties (empty before it).
    virtual const std::vector<PropertyColumn>& synced_properties(const ObjectType& type) const = 0;

    // --- Writing --------------------------------------------------------------------------
    // One transaction for the whole page of `type`. On any error it is rolled back: neither
    // rows nor state are changed.
    virtual Result<PageResult> write(const ObjectType& type, const PageWrite& page) = 0;
    // Sets or deletes sync_state keys in one transaction.
    virtual Status set_state(const std::vector<StateUpdate>& updates) = 0;

    // --- Removing what HubSpot no longer has ---------------------------------------------
    // Removes rows merged into a record the mirror no longer has (the survivor was removed as
    // gone, so the absorbed records' copies go too), following chains. Returns the rows removed.
    virtual Result<std::int64_t> remove_orphaned_merges(const ObjectType& type) = 0;

    // Removes rows HubSpot confirmed it no longer has (a GDPR delete, a purge after 90 days),
    // each with a `deletions` row (reason `gone`; an open `archived` row becomes `gone`), in one
    // transaction. Rows merged into another are left alone. Returns the rows removed.
    virtual Result<std::int64_t> remove_gone(const ObjectType& type,
                                             const std::vector<RecordId>& ids) = 0;

    // --- Change history and ledger ----------------------------------------------------------
    // Records every change of `properties` (HubSpot names; ones the type does not sync are
    // ignored) that a write makes to a stored row in `changes`, from the next write on. Cheap
    // to call every cycle: the database is only touched when the set changes.
    virtual Status track_changes(const ObjectType& type,
                                 const std::vector<std::string>& properties) = 0;
    // Active rows (neither archived nor merged away) with ids in `range`.
    virtual Result<std::int64_t> count_active(const ObjectType& type, IdRange range) = 0;
    // Their ids, ascending, at most `limit`.
    virtual Result<std::vector<RecordId>> active_ids(const ObjectType& type, IdRange range,
                                                     int limit) = 0;
    // Ids of the rows marked archived, ascending.
    virtual Result<std::vector<RecordId>> archived_ids(const ObjectType& type) = 0;
    // How many rows are marked archived (what an archive sweep lists again); cheap: it counts
    // a partial index.
    virtual Result<std::int64_t> count_archived(const ObjectType& type) = 0;
    // The lowest and highest id of any row, or nullopt when the table is empty.
    virtual Result<std::optional<IdRange>> id_bounds(const ObjectType& type) = 0;
    virtual Result<RecentActivity> recent_activity(const ObjectType& type,
                                                   const std::string& since_iso) = 0;

    // --- Runs -----------------------------------------------------------------------------
    virtual Result<std::int64_t> begin_run(const ObjectType& type, const std::string& mode) = 0;
    // Sets finished_at; `error` empty on success. Counters are added to those already
    // accumulated through PageWrite::run_id.
    virtual Status finish_run(std::int64_t run_id, const std::string& error = {},
                              std::int64_t extra_records = 0, std::int64_t extra_requests = 0) = 0;

    // A `verify` result: a finished sync_runs row of mode "verify" with its verdict and, when
    // they disagree, what differs (in `error`).
    virtual Status record_verdict(const ObjectType& type, const std::string& verdict,
                                  const std::string& detail, std::int64_t requests) = 0;
    // The newest verify row of `type_name` (of any type when empty).
    virtual Result<std::optional<SyncRun>> last_verdict(const std::string& type_name = {}) = 0;

    // --- Reading --------------------------------------------------------------------------
    virtual Result<MirrorCounts> counts(const ObjectType& type) = 0;
    // The newest run of any type, or of `type_name` when given.
    virtual Result<std::optional<SyncRun>> last_run(const std::string& type_name = {}) = 0;
    virtual Result<std::optional<std::string>> state(const std::string& key) = 0;
    virtual Result<std::vector<std::pair<std::string, std::string>>> all_state() = 0;
    virtual Result<std::optional<StoredRecord>> get_record(const ObjectType& type, RecordId id) = 0;
    // The stored versions of those of `ids` the mirror has (others are left out), in id
    // order of the input. Much cheaper than get_record per id: no properties are copied.
    virtual Result<std::vector<RecordVersion>> record_versions(
        const ObjectType& type, const std::vector<RecordId>& ids) = 0;
    // The object types that have a table in the mirror, standard ones first.
    virtual Result<std::vector<ObjectType>> object_types() = 0;

    // --- What joins records -----------------------------------------------------------------
    // Associations, owners, pipelines, property options and the report views (mirror/links.h),
    // in the same database. Valid as long as the Mirror.
    virtual LinkMirror& links() = 0;

    // --- Maintenance ----------------------------------------------------------------------
    // Call after each sync cycle: lets the database shrink its journal when no reader needs
    // it. Never waits for readers.
    virtual Result<CheckpointResult> checkpoint() = 0;
    // A full consistency check of the database; ok() when it is sound.
    virtual Status integrity_check() = 0;
};

// Typed-column conversions (exposed for tests and the status display). Each returns nullopt
// when the raw value does not fit the type; the raw value always stays in `properties`.
std::optional<double> mirror_number(std::string_view raw);
std::optional<bool> mirror_bool(std::string_view raw);
// `date` -> "YYYY-MM-DD" (the UTC day), datetime -> "YYYY-MM-DDTHH:MM:SS.mmmZ". Accepts
// epoch milliseconds or ISO-8601.
std::optional<std::string> mirror_date(std::string_view raw, bool date_only);

}  // namespace hubsync
