// The SQLite mirror: the contacts tables reporting tools read (schema in the product contract),
// the sync cursors, and the write side the sync engine calls, one transaction per page.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "model/record.h"

namespace hubsync {

class Env;

struct MirrorOptions {
    // Read-only mode for `hubsync status` and other readers: never creates, migrates or
    // writes, never takes a write lock, so it never blocks the service.
    bool read_only = false;
    // How long a statement waits for a lock before failing with kTransient.
    std::chrono::milliseconds busy_timeout{10'000};
    // Permissions of a newly created database file; SQLite gives the -wal and -shm files the
    // same mode. 0640 lets a reporting group read the mirror. Existing files are not touched.
    unsigned file_mode = 0640;
    // Time source for synced_at and sync_runs. nullptr = SystemClock::instance().
    Clock* clock = nullptr;
    // The file system SQLite's writes, syncs and truncates go through (see mirror/vfs.h), so
    // tests can fill the disk or fail an fsync. nullptr = Env::posix(). Must outlive the Mirror.
    Env* env = nullptr;
    // Tests only: migrate to this schema version instead of the latest (0 = latest).
    int schema_version = 0;
    // WAL size (16 KiB pages) past which a commit checkpoints and starts the WAL over, even
    // while readers keep arriving (see wal_commit_hook in mirror.cc). 2048 = 32 MiB: half
    // the 64 MB the WAL must stay under, and large enough that backfill throughput holds.
    int wal_restart_pages = 2048;
};

// Counts for `hubsync status`.
struct MirrorCounts {
    std::int64_t total = 0;
    std::int64_t active = 0;    // neither archived nor merged away (the active_contacts view)
    std::int64_t archived = 0;  // archived = 1
    std::int64_t merged = 0;    // merged_into IS NOT NULL
};

// One row of sync_runs.
struct SyncRun {
    std::int64_t id = 0;
    std::string started_at;   // ISO-8601 UTC
    std::string finished_at;  // empty while running (or when the process died mid-cycle)
    std::string mode;         // e.g. "backfill", "incremental", "reconcile", "full"
    std::int64_t contacts_written = 0;
    std::int64_t requests_made = 0;
    std::string error;  // empty on success
};

// A contact row as stored (for status, tests and checks).
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

// Well-known sync_state keys. The engine may use others; values are opaque strings.
inline constexpr const char* kStateBackfillAfter = "backfill.after";        // list cursor
inline constexpr const char* kStateBackfillDone = "backfill.completed_at";  // ISO-8601
inline constexpr const char* kStateHighWater = "incremental.high_water_ms";
inline constexpr const char* kStateLastReconcile = "reconcile.last_at";  // ISO-8601
inline constexpr const char* kStatePropertyFingerprint = "properties.fingerprint";

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
    std::vector<Record> contacts;
    // Archive markers for known rows; unknown ids are ignored (write the full record instead).
    // A marker older than the row's updated_at is ignored (the contact changed since).
    std::vector<ArchiveMark> archived;
    std::vector<MergeMark> merges;
    // sync_state changes committed with the rows.
    std::vector<StateUpdate> state;
    // When non-zero, sync_runs row `run_id` gets contacts_written += rows applied and
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
    std::string column_name;  // typed column in `contacts`; empty when the property is JSON-only
    std::string type;         // HubSpot type
};

// One SQLite database connection. Not thread-safe: one thread uses a Mirror at a time.
// Several processes may open the same file; only one should write (the service).
class Mirror final {
  public:
    // Opens (creating and migrating unless read_only) the database at `path`. Sets WAL mode,
    // busy_timeout and the pragmas documented in mirror.cc. A read-only open of a missing file
    // is kNotFound; of a database from a newer hubsync, kIo.
    static Result<std::unique_ptr<Mirror>> open(const std::string& path,
                                                const MirrorOptions& options = {});
    ~Mirror();
    Mirror(const Mirror&) = delete;
    Mirror& operator=(const Mirror&) = delete;

    // The schema version this build creates (PRAGMA user_version).
    static int latest_schema_version();
    Result<int> schema_version();
    const std::string& path() const { return path_; }

    // --- Properties -----------------------------------------------------------------------
    // Decides the synced properties: every def when `selection` is empty ("*"), else the
    // selected names that exist in `defs` (unknown names are logged and skipped). Adds a
    // typed column for each new property (ALTER TABLE ADD COLUMN; never drops one) and
    // upserts `contact_properties`. Columns are named after the property, `property_<name>`
    // on collision with a fixed column, with a numeric suffix on any other clash
    // (SQLite names are case-insensitive). Must be called before write(), once per cycle.
    // Returns the synced properties in request order.
    Result<std::vector<PropertyColumn>> apply_properties(const std::vector<PropertyDef>& defs,
                                                         const std::vector<std::string>& selection);
    // The synced properties from the last apply_properties (empty before it).
    const std::vector<PropertyColumn>& synced_properties() const;

    // --- Writing --------------------------------------------------------------------------
    // One BEGIN IMMEDIATE ... COMMIT for the whole page. On any error the transaction is
    // rolled back: neither rows nor state are changed.
    Result<PageResult> write(const PageWrite& page);
    // Shorthand: upsert `contacts` and apply `state` in one transaction.
    Result<PageResult> write_page(const std::vector<Record>& contacts,
                                  const std::vector<StateUpdate>& state = {});
    // Marks absorbed_id as merged into survivor_id (its own transaction).
    Status mark_merged(RecordId absorbed_id, RecordId survivor_id);
    // Sets or deletes sync_state keys in one transaction.
    Status set_state(const std::vector<StateUpdate>& updates);

    // --- Reconcile sweep ------------------------------------------------------------------
    // The sweep collects every id HubSpot still lists (active and archived) in a temporary
    // table private to this connection (no write lock on the mirror), then removes the rows
    // HubSpot no longer has, in short batched transactions so readers and the writer's own
    // pages interleave. A crash before reconcile_finish() changes nothing.
    Status reconcile_begin();
    Status reconcile_add_seen(const std::vector<RecordId>& ids);
    // Ids HubSpot lists that the mirror does not have (to fetch and write).
    Result<std::vector<RecordId>> reconcile_missing_ids();
    // Deletes rows whose id was not seen. Rows merged into a surviving (still present) contact
    // are kept; ones whose survivor is gone are removed too. Refuses (kBadData) when nothing
    // was seen but the mirror has rows, as a guard against a failed listing. Returns the
    // number of rows removed. Ends the sweep.
    Result<std::int64_t> reconcile_finish(int batch_size = 5000);

    // --- Runs -----------------------------------------------------------------------------
    Result<std::int64_t> begin_run(const std::string& mode);
    // Sets finished_at; `error` empty on success. Counters are added to those already
    // accumulated through PageWrite::run_id.
    Status finish_run(std::int64_t run_id, const std::string& error = {},
                      std::int64_t extra_contacts = 0, std::int64_t extra_requests = 0);

    // --- Reading --------------------------------------------------------------------------
    Result<MirrorCounts> counts();
    Result<std::optional<SyncRun>> last_run();
    Result<std::optional<std::string>> state(const std::string& key);
    Result<std::vector<std::pair<std::string, std::string>>> all_state();
    Result<std::optional<StoredRecord>> get_contact(RecordId id);
    // The stored versions of those of `ids` the mirror has (others are left out), in id
    // order of the input. Much cheaper than get_contact per id: no properties are copied.
    Result<std::vector<RecordVersion>> contact_versions(const std::vector<RecordId>& ids);

    // --- Maintenance ----------------------------------------------------------------------
    // Call after each sync cycle: a PASSIVE checkpoint, then, when every frame was copied and
    // no reader is using the WAL, a TRUNCATE that shrinks the WAL file to zero. Never waits
    // for readers.
    Result<CheckpointResult> checkpoint();
    // PRAGMA integrity_check; ok() when it says "ok".
    Status integrity_check();

    struct Impl;

  private:
    Mirror(std::string path, std::unique_ptr<Impl> impl);
    Result<PageResult> write_parts(const std::vector<Record>& contacts,
                                   const std::vector<ArchiveMark>& archived,
                                   const std::vector<MergeMark>& merges,
                                   const std::vector<StateUpdate>& state, std::int64_t run_id,
                                   std::int64_t requests_made);
    std::string path_;
    std::unique_ptr<Impl> impl_;
};

// Typed-column conversions (exposed for tests and the status display). Each returns nullopt
// when the raw value does not fit the type; the raw value always stays in `properties`.
std::optional<double> mirror_number(std::string_view raw);
std::optional<bool> mirror_bool(std::string_view raw);
// `date` -> "YYYY-MM-DD" (the UTC day), datetime -> "YYYY-MM-DDTHH:MM:SS.mmmZ". Accepts
// epoch milliseconds or ISO-8601.
std::optional<std::string> mirror_date(std::string_view raw, bool date_only);

}  // namespace hubsync
