// The SQLite mirror: opening and tuning the connection, one table per object type with its
// typed property columns, page writes with their cursor, archive/merge markers, the reconcile
// sweep, run records and status reads.
#include "mirror/sqlite_mirror.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/core.h>

#include "core/json_string.h"
#include "core/log.h"
#include "core/text.h"
#include "mirror/schema.h"
#include "mirror/sqlite_db.h"
#include "mirror/sqlite_links.h"
#include "mirror/values.h"
#include "mirror/vfs.h"

namespace hubsync {

namespace {

using mirror_values::ValueKind;

// synchronous = NORMAL in WAL mode: a commit is durable once it is in the WAL file, which
// survives a crash or SIGKILL of the process; only a power loss or kernel crash can lose the
// last few commits (the WAL is fsynced at checkpoints, not at every commit). The database
// stays consistent either way, and because every page commits its rows together with the
// cursor that covers them, losing a commit only means the page is fetched again. FULL would
// add an fsync per page and halve backfill speed for no gain in correctness.
constexpr const char* kSynchronous = "NORMAL";
// A contact row with dozens of properties and its JSON takes a few KiB: 16 KiB pages hold
// several rows each instead of one row per 4 KiB page with the rest wasted, and a page commit
// writes a quarter of the WAL frames (each frame is two write calls).
constexpr int kPageSize = 16384;
// How long a checkpoint waits for readers to leave the WAL so it can start over from its
// beginning (see wal_commit_hook), and how much the WAL grows before the next try when one
// query outlasts the wait. Report queries are mostly short; a long one only delays the reset.
constexpr int kWalRestartWaitMs = 1000;
constexpr int kWalRetryPages = 256;
// When the WAL is reset, its file is truncated to at most this size, so one large cycle does
// not leave a large WAL file behind for months.
constexpr std::int64_t kJournalSizeLimitBytes = 32 * 1024 * 1024;
// Page cache per connection (negative = KiB).
constexpr int kCacheSizeKiB = 32 * 1024;

constexpr std::string_view kMergedIdsProperty = "hs_merged_object_ids";

// Property names come from HubSpot and are untrusted: control characters are replaced (the
// name is also always quoted), and fixed columns are never shadowed.
std::string column_name_for(std::string_view property, const std::set<std::string>& used) {
    std::string base;
    for (char c : property) {
        const auto u = static_cast<unsigned char>(c);
        base.push_back(u < 0x20 || u == 0x7f ? '_' : c);
    }
    const auto& reserved = mirror_schema::reserved_column_names();
    if (base.empty() || std::find(reserved.begin(), reserved.end(), lower(base)) != reserved.end())
        base = "property_" + base;
    std::string candidate = base;
    for (int n = 2; used.count(lower(candidate)); ++n)
        candidate = fmt::format("{}_{}", base, n);
    return candidate;
}

Error read_only_error(const std::string& path) {
    return make_error(ErrorKind::kInternal,
                      fmt::format("database {} was opened read-only and cannot be written", path),
                      "open it without read_only to write");
}

Status ensure_file(const std::string& path, unsigned mode) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return Status::Ok();
    const int fd =
        ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        if (errno == EEXIST) return Status::Ok();
        return make_error(ErrorKind::kIo,
                          fmt::format("cannot create database {}: {}", path, std::strerror(errno)),
                          "check that the directory exists and is writable by the hubsync "
                          "user (sync.database in the config)");
    }
    // The umask must not take the reporting group's read permission away.
    (void)::fchmod(fd, static_cast<mode_t>(mode));
    ::close(fd);
    return Status::Ok();
}

// One object type's table: the cached layout of its typed columns and the statements that
// write it, so the write path runs no schema queries per row.
struct Table {
    ObjectType type;
    std::string quoted;   // the table name, quoted for SQL
    bool exists = false;  // the table is known to be in the database

    struct Slot {
        std::string name;
        std::string json_key;  // "name": pre-escaped
        ValueKind kind = ValueKind::kText;
        int param = 0;  // bind index in the upsert; 0 = JSON only
    };
    std::vector<Slot> slots;
    std::vector<PropertyColumn> synced;
    std::unordered_map<std::string_view, std::size_t> slot_index;  // views into slots
    std::vector<std::string> text_scratch;
    bool layout_ready = false;

    sql::Statement upsert;
    sql::Statement archive_mark;
    sql::Statement merge_mark;
    sql::Statement get_record;   // prepared on first use (readers too)
    sql::Statement get_version;  // prepared on first use
    sql::Statement merged_id_set;
    sql::Statement merged_id_flatten;
    std::string tracked;  // the tracked properties the changes trigger was made for
};

// What a table already has, as apply_properties reads it: the column names in use (lower case,
// the fixed ones included), how many typed property columns there are, and the column recorded
// for each property (object_properties).
struct TableLayout {
    std::set<std::string> used;
    int typed_columns = 0;
    std::unordered_map<std::string, std::string> known;
};

// The columns for the synced properties, and the ones to add to the table.
struct ColumnPlan {
    std::vector<PropertyColumn> columns;  // one per chosen property, in order; "" = JSON only
    std::vector<std::pair<std::string, std::string_view>> added;  // column, SQL type
};

class SqliteMirrorImpl;
int wal_commit_hook(void* arg, sqlite3* db, const char* schema, int pages);

class SqliteMirrorImpl final : public Mirror {
  public:
    SqliteMirrorImpl(std::string path, const MirrorOptions& options)
        : path_(std::move(path)),
          options_(options),
          clock_(options.clock ? options.clock : &SystemClock::instance()) {}

    static Result<std::unique_ptr<Mirror>> open(const std::string& path,
                                                const MirrorOptions& options);

    const std::string& path() const override { return path_; }
    Result<int> schema_version() override {
        HS_ASSIGN_OR_RETURN(std::int64_t v, db_.query_int("PRAGMA user_version"));
        return static_cast<int>(v);
    }

    Result<std::vector<PropertyColumn>> apply_properties(
        const ObjectType& type, const std::vector<PropertyDef>& defs,
        const std::vector<std::string>& selection) override;
    const std::vector<PropertyColumn>& synced_properties(const ObjectType& type) const override {
        static const std::vector<PropertyColumn> kNone;
        const auto it = tables_.find(type.name);
        return it == tables_.end() ? kNone : it->second->synced;
    }

    Result<PageResult> write(const ObjectType& type, const PageWrite& page) override;
    Status set_state(const std::vector<StateUpdate>& updates) override {
        if (options_.read_only) return read_only_error(path_);
        const std::string now = now_iso();
        return transaction("the sync state", [&] { return apply_state(updates, now); });
    }

    Result<std::int64_t> remove_orphaned_merges(const ObjectType& type) override;
    Result<std::int64_t> remove_gone(const ObjectType& type,
                                     const std::vector<RecordId>& ids) override;

    Status track_changes(const ObjectType& type,
                         const std::vector<std::string>& properties) override;
    Result<std::int64_t> count_active(const ObjectType& type, IdRange range) override;
    Result<std::vector<RecordId>> active_ids(const ObjectType& type, IdRange range,
                                             int limit) override;
    Result<std::optional<IdRange>> id_bounds(const ObjectType& type) override;
    Result<std::vector<RecordId>> archived_ids(const ObjectType& type) override;
    Result<std::int64_t> count_archived(const ObjectType& type) override;
    Result<RecentActivity> recent_activity(const ObjectType& type,
                                           const std::string& since_iso) override;
    Status record_verdict(const ObjectType& type, const std::string& verdict,
                          const std::string& detail, std::int64_t requests) override;
    Result<std::optional<SyncRun>> last_verdict(const std::string& type_name) override;
    Result<std::optional<SyncRun>> newest_run(const std::string& type_name, bool verify);

    Result<std::int64_t> begin_run(const ObjectType& type, const std::string& mode) override;
    Status finish_run(std::int64_t run_id, const std::string& error, std::int64_t extra_records,
                      std::int64_t extra_requests) override;

    Result<MirrorCounts> counts(const ObjectType& type) override;
    Result<std::optional<SyncRun>> last_run(const std::string& type_name) override;
    Result<std::optional<std::string>> state(const std::string& key) override;
    Result<std::vector<std::pair<std::string, std::string>>> all_state() override;
    Result<std::optional<StoredRecord>> get_record(const ObjectType& type, RecordId id) override;
    Result<std::vector<RecordVersion>> record_versions(const ObjectType& type,
                                                       const std::vector<RecordId>& ids) override;
    Result<std::vector<ObjectType>> object_types() override;
    LinkMirror& links() override {
        if (!links_) links_ = make_sqlite_links(db_, options_.read_only, *clock_);
        return *links_;
    }

    Result<CheckpointResult> checkpoint() override;
    Status integrity_check() override;

  private:
    friend int wal_commit_hook(void* arg, sqlite3* db, const char* schema, int pages);

    std::string now_iso() const { return format_iso8601(clock_->now()); }
    Status prepare_statements();
    // The ledger's index and triggers (mirror_schema::object_ledger_sql) on every registered
    // type's table, so no write can happen before they are there, whichever version the
    // database was migrated from.
    Status create_ledger_triggers();
    // The type's table handle; a writer creates the table (and registers the type) on first
    // use. For a reader, `exists` says whether the table is there.
    Result<Table*> table(const ObjectType& type);
    Status create_table(Table& t);
    Status prepare_table_statements(Table& t);
    Status build_upsert(Table& t);
    template <typename Body>
    Status transaction(std::string_view doing, Body&& body);
    Status write_record(Table& t, const Record& c, const std::string& synced_at,
                        PageResult& result);
    Status mark_merged(Table& t, RecordId absorbed, RecordId survivor, const std::string& synced_at,
                       PageResult& result);
    Status apply_state(const std::vector<StateUpdate>& updates, const std::string& now);
    // The statements that remove the rows `where` selects (?1, ?2 bound by the caller) with
    // their `gone` ledger rows (?3 = the type's name, ?4 = now): run in this order, in one
    // transaction.
    Result<std::vector<sql::Statement>> gone_statements(const Table& t, const std::string& where);
    Result<std::int64_t> remove_orphans(const Table& t);
    Result<std::int64_t> run_gone(std::vector<sql::Statement>& statements, const Table& t,
                                  std::int64_t a, std::int64_t b, const std::string& now);
    // Reads the typed columns the table has and the recorded property -> column mapping.
    Status read_layout(const Table& t, std::set<std::string>& used, int& typed_columns,
                       std::unordered_map<std::string, std::string>& known);
    // The cached write layout for the synced columns.
    Status set_layout(Table& t, std::vector<PropertyColumn> columns);
    Status store_columns(Table& t, const std::vector<const PropertyDef*>& chosen,
                         const ColumnPlan& plan);

    std::string path_;
    MirrorOptions options_;
    Clock* clock_;
    sql::Database db_;
    std::unique_ptr<LinkMirror> links_;  // after db_: destroyed before the connection
    std::map<std::string, std::unique_ptr<Table>> tables_;  // by type name
    // The WAL size (pages) at which the commit hook next tries to restart the WAL.
    int wal_restart_at_ = 0;

    sql::Statement state_set_;
    sql::Statement state_delete_;
    sql::Statement run_add_;
    sql::Statement begin_immediate_;
    sql::Statement commit_;
    sql::Statement rollback_;

    // Reused per row so the hot loop does not allocate.
    std::string json_;
    std::vector<const std::optional<std::string>*> values_;
    std::string created_, updated_, archived_at_;
};

// Runs after each commit of the writing connection. SQLite's own automatic checkpoint is
// PASSIVE: it copies what no reader still needs and never waits, so with report queries
// running back to back some reader is always inside the WAL, the WAL is never started over,
// and it grows through a whole backfill (80 MB for 20,000 contacts in the chaos readers
// scenario). Past MirrorOptions::wal_restart_pages this checkpoints in RESTART mode instead,
// waiting briefly for readers of older snapshots to finish (new ones read from the database file
// meanwhile), so the next commit writes at the start of the WAL again. When a long query keeps it
// from finishing, the next try waits until the WAL has grown by another kWalRetryPages.
int wal_commit_hook(void* arg, sqlite3* db, const char* schema, int pages) {
    auto* impl = static_cast<SqliteMirrorImpl*>(arg);
    if (pages < impl->wal_restart_at_) return SQLITE_OK;
    sqlite3_busy_timeout(db, kWalRestartWaitMs);
    int log = 0, done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_RESTART, &log, &done);
    sqlite3_busy_timeout(db, static_cast<int>(impl->options_.busy_timeout.count()));
    impl->wal_restart_at_ =
        rc == SQLITE_OK ? std::max(impl->options_.wal_restart_pages, 1) : pages + kWalRetryPages;
    return SQLITE_OK;  // the commit itself succeeded either way
}

Status SqliteMirrorImpl::prepare_statements() {
    auto prep = [&](sql::Statement& stmt, std::string_view text) -> Status {
        HS_ASSIGN_OR_RETURN(stmt, db_.prepare(text, true));
        return Status::Ok();
    };
    HS_RETURN_IF_ERROR(prep(begin_immediate_, "BEGIN IMMEDIATE"));
    HS_RETURN_IF_ERROR(prep(commit_, "COMMIT"));
    HS_RETURN_IF_ERROR(prep(rollback_, "ROLLBACK"));
    HS_RETURN_IF_ERROR(prep(state_set_,
                            "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                            "updated_at = excluded.updated_at"));
    HS_RETURN_IF_ERROR(prep(state_delete_, "DELETE FROM sync_state WHERE key = ?1"));
    HS_RETURN_IF_ERROR(prep(run_add_,
                            "UPDATE sync_runs SET records_written = records_written + ?2, "
                            "requests_made = requests_made + ?3 WHERE id = ?1"));
    return Status::Ok();
}

Status SqliteMirrorImpl::create_ledger_triggers() {
    // A database migrated only part of the way (tests of older versions) has no ledger yet.
    HS_ASSIGN_OR_RETURN(const std::int64_t ledger,
                        db_.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                      "AND name = 'deletions'"));
    if (ledger == 0) return Status::Ok();
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare("SELECT o.name, o.table_name FROM object_types o WHERE EXISTS "
                                    "(SELECT 1 FROM sqlite_schema s WHERE s.type = 'table' AND "
                                    "s.name = o.table_name)"));
    std::string ddl;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        ddl += mirror_schema::object_ledger_sql(q.column_text(1), q.column_text(0));
    if (rc != SQLITE_DONE) return db_.error(rc, "reading the object types");
    q = sql::Statement();
    if (ddl.empty()) return Status::Ok();
    return transaction("creating the ledger triggers",
                       [&] { return db_.exec(ddl, "creating the ledger triggers"); });
}

Result<Table*> SqliteMirrorImpl::table(const ObjectType& type) {
    auto& slot = tables_[type.name];
    if (!slot) {
        slot = std::make_unique<Table>();
        slot->type = type;
        slot->quoted = sql::quote_identifier(type.table);
    }
    Table& t = *slot;
    if (!t.exists) {
        HS_ASSIGN_OR_RETURN(sql::Statement q,
                            db_.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                        "AND name = ?1"));
        q.bind(1, std::string_view(type.table));
        const int rc = q.step();
        if (rc != SQLITE_ROW) return db_.error(rc, "looking up a table");
        t.exists = q.column_int64(0) > 0;
        if (!t.exists && !options_.read_only) HS_RETURN_IF_ERROR(create_table(t));
        if (t.exists && !options_.read_only) HS_RETURN_IF_ERROR(prepare_table_statements(t));
    }
    return &t;
}

Status SqliteMirrorImpl::create_table(Table& t) {
    const ObjectType& type = t.type;
    HS_ASSIGN_OR_RETURN(
        sql::Statement reg,
        db_.prepare("INSERT INTO object_types (name, type_id, table_name, custom, "
                    "last_modified_property, created_property, read_scope) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO UPDATE SET "
                    "type_id = excluded.type_id, read_scope = excluded.read_scope"));
    HS_RETURN_IF_ERROR(
        transaction(fmt::format("creating the {} table", type.table), [&]() -> Status {
            HS_RETURN_IF_ERROR(db_.exec(mirror_schema::object_table_sql(type.table) +
                                            mirror_schema::object_ledger_sql(type.table, type.name),
                                        fmt::format("creating the {} table", type.table)));
            reg.bind(1, std::string_view(type.name));
            reg.bind(2, std::string_view(type.type_id));
            reg.bind(3, std::string_view(type.table));
            reg.bind(4, std::int64_t{type.custom ? 1 : 0});
            reg.bind(5, std::string_view(type.last_modified_property));
            reg.bind(6, std::string_view(type.created_property));
            reg.bind(7, std::string_view(type.read_scope));
            return db_.run(reg, fmt::format("registering the {} object type", type.name));
        }));
    t.exists = true;
    HS_LOG_INFO("mirror: created table {} for {}", type.table, type.name);
    return Status::Ok();
}

Status SqliteMirrorImpl::prepare_table_statements(Table& t) {
    // An archive marker older than the row's data means the record changed (was restored)
    // after that archive; a marker without a time is trusted.
    HS_ASSIGN_OR_RETURN(
        t.archive_mark,
        db_.prepare(fmt::format("UPDATE {} SET archived = 1, archived_at = ?2, synced_at = ?3 "
                                "WHERE id = ?1 AND (?2 IS NULL OR updated_at IS NULL OR "
                                "updated_at <= ?2) AND (archived = 0 OR archived_at IS NOT ?2)",
                                t.quoted),
                    true));
    HS_ASSIGN_OR_RETURN(t.merge_mark,
                        db_.prepare(fmt::format("UPDATE {} SET merged_into = ?2, synced_at = ?3 "
                                                "WHERE id = ?1 AND id <> ?2 AND merged_into IS "
                                                "NOT ?2",
                                                t.quoted),
                                    true));
    // merged_ids always names the final survivor, so an old id resolves in one join: a new
    // merge re-points the ids that named the absorbed record, and a merge into a record that
    // was itself merged away (written after, e.g. A into B after B into C) names where that
    // one went.
    constexpr const char* kFinalSurvivor =
        "COALESCE((SELECT f.survivor_id FROM merged_ids f WHERE f.object_type = ?1 AND "
        "f.old_id = ?3 AND f.survivor_id <> ?2), ?3)";
    HS_ASSIGN_OR_RETURN(
        t.merged_id_set,
        db_.prepare(fmt::format("INSERT INTO merged_ids (object_type, old_id, survivor_id) "
                                "VALUES (?1, ?2, {}) ON CONFLICT (object_type, old_id) DO "
                                "UPDATE SET survivor_id = excluded.survivor_id",
                                kFinalSurvivor),
                    true));
    HS_ASSIGN_OR_RETURN(t.merged_id_flatten,
                        db_.prepare(fmt::format("UPDATE merged_ids SET survivor_id = {} WHERE "
                                                "object_type = ?1 AND survivor_id = ?2",
                                                kFinalSurvivor),
                                    true));
    return Status::Ok();
}

// The upsert for the current layout. Older data never overwrites newer (timestamps are
// stored normalized, so text order is time order); equal overwrites, so a re-read heals.
Status SqliteMirrorImpl::build_upsert(Table& t) {
    std::string cols = "id, created_at, updated_at, archived, archived_at, synced_at, properties";
    std::string params = "?1, ?2, ?3, ?4, ?5, ?6, ?7";
    std::string sets = fmt::format(
        "created_at = excluded.created_at, updated_at = excluded.updated_at, "
        "archived = excluded.archived, archived_at = excluded.archived_at, "
        "synced_at = excluded.synced_at, properties = excluded.properties, "
        "merged_into = CASE WHEN excluded.updated_at > {0}.updated_at THEN NULL "
        "ELSE {0}.merged_into END",
        t.quoted);
    for (std::size_t i = 0; i < t.slots.size(); ++i) {
        if (t.slots[i].param == 0) continue;
        const std::string q = sql::quote_identifier(t.synced[i].column_name);
        cols += ", " + q;
        params += fmt::format(", ?{}", t.slots[i].param);
        sets += fmt::format(", {0} = excluded.{0}", q);
    }
    const std::string text = fmt::format(
        "INSERT INTO {0} ({1}) VALUES ({2}) ON CONFLICT (id) DO UPDATE SET {3} "
        "WHERE {0}.updated_at IS NULL OR excluded.updated_at >= {0}.updated_at",
        t.quoted, cols, params, sets);
    HS_ASSIGN_OR_RETURN(t.upsert, db_.prepare(text, true));
    return Status::Ok();
}

template <typename Body>
Status SqliteMirrorImpl::transaction(std::string_view doing, Body&& body) {
    if (const int rc = begin_immediate_.step(); rc != SQLITE_DONE) {
        Error e = db_.error(rc, fmt::format("starting a transaction for {}", doing));
        begin_immediate_.reset();
        return e;
    }
    begin_immediate_.reset();
    Status status = body();
    if (status.ok()) {
        const int rc = commit_.step();
        if (rc != SQLITE_DONE) status = db_.error(rc, fmt::format("committing {}", doing));
        commit_.reset();
        if (status.ok()) return Status::Ok();
    }
    // SQLite may already have rolled back (e.g. disk full); only roll back an open one.
    if (!sqlite3_get_autocommit(db_.handle())) {
        rollback_.step();
        rollback_.reset();
    }
    return status;
}

Status SqliteMirrorImpl::write_record(Table& t, const Record& c, const std::string& synced_at,
                                      PageResult& result) {
    const std::size_t n = t.slots.size();
    values_.assign(n, nullptr);
    const std::optional<std::string>* merged_ids = nullptr;
    for (std::size_t i = 0; i < c.properties.size(); ++i) {
        const PropertyValue& p = c.properties[i];
        // Decoders usually keep the request order, so try the same position first.
        if (i < n && t.slots[i].name == p.name) {
            values_[i] = &p.value;
        } else if (auto it = t.slot_index.find(p.name); it != t.slot_index.end()) {
            values_[it->second] = &p.value;
        }
        if (p.name == kMergedIdsProperty) merged_ids = &p.value;
    }

    sql::Statement& st = t.upsert;
    json_.clear();
    json_.push_back('{');
    for (std::size_t i = 0; i < n; ++i) {
        const Table::Slot& slot = t.slots[i];
        if (i) json_.push_back(',');
        json_ += slot.json_key;
        const std::optional<std::string>* v = values_[i];
        const bool is_null = v == nullptr || !v->has_value();
        if (is_null)
            json_ += "null";
        else
            append_json_string(json_, **v);
        if (slot.param == 0) continue;
        if (is_null) {
            st.bind_null(slot.param);
            continue;
        }
        const std::string& raw = **v;
        switch (slot.kind) {
            case ValueKind::kText:
                st.bind(slot.param, std::string_view(raw));
                break;
            case ValueKind::kNumber:
                if (auto d = mirror_number(raw))
                    st.bind(slot.param, *d);
                else
                    st.bind_null(slot.param);
                break;
            case ValueKind::kBool:
                if (auto b = mirror_bool(raw))
                    st.bind(slot.param, std::int64_t{*b ? 1 : 0});
                else
                    st.bind_null(slot.param);
                break;
            case ValueKind::kDate:
            case ValueKind::kDateTime:
                if (mirror_values::normalize_date(raw, slot.kind == ValueKind::kDate,
                                                  t.text_scratch[i])) {
                    st.bind(slot.param, std::string_view(t.text_scratch[i]));
                } else {
                    st.bind_null(slot.param);
                }
                break;
        }
    }
    json_.push_back('}');

    auto timestamp = [](const std::string& raw, std::string& out) -> std::string_view {
        if (raw.empty()) return {};
        if (mirror_values::normalize_timestamp(raw, out)) return out;
        return raw;  // kept as sent rather than lost
    };
    st.bind(1, std::int64_t{c.id});
    st.bind_or_null(2, timestamp(c.created_at, created_));
    st.bind_or_null(3, timestamp(c.updated_at, updated_));
    st.bind(4, std::int64_t{c.archived ? 1 : 0});
    if (c.archived)
        st.bind_or_null(5, timestamp(c.archived_at, archived_at_));
    else
        st.bind_null(5);
    st.bind(6, std::string_view(synced_at));
    st.bind(7, std::string_view(json_));
    if (const int rc = st.step(); rc != SQLITE_DONE) {
        Error e = db_.error(rc, fmt::format("writing {} record {}", t.type.name, c.id));
        st.reset();
        return e;
    }
    st.reset();
    if (db_.changes() > 0)
        ++result.upserted;
    else
        ++result.skipped_older;

    if (merged_ids && merged_ids->has_value()) {
        std::string_view list = **merged_ids;
        while (!list.empty()) {
            const std::size_t semi = list.find(';');
            const std::string_view item = list.substr(0, semi);
            list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
            const auto absorbed = parse_int<RecordId>(item);
            if (!absorbed || *absorbed == c.id) continue;
            HS_RETURN_IF_ERROR(mark_merged(t, *absorbed, c.id, synced_at, result));
        }
    }
    return Status::Ok();
}

Status SqliteMirrorImpl::mark_merged(Table& t, RecordId absorbed, RecordId survivor,
                                     const std::string& synced_at, PageResult& result) {
    t.merge_mark.bind(1, std::int64_t{absorbed});
    t.merge_mark.bind(2, std::int64_t{survivor});
    t.merge_mark.bind(3, std::string_view(synced_at));
    HS_RETURN_IF_ERROR(
        db_.run(t.merge_mark, fmt::format("marking {} record {} merged", t.type.name, absorbed)));
    result.merged += db_.changes();
    for (sql::Statement* st : {&t.merged_id_set, &t.merged_id_flatten}) {
        st->bind(1, std::string_view(t.type.name));
        st->bind(2, std::int64_t{absorbed});
        st->bind(3, std::int64_t{survivor});
        HS_RETURN_IF_ERROR(db_.run(*st, "recording a merged id"));
    }
    return Status::Ok();
}

Status SqliteMirrorImpl::apply_state(const std::vector<StateUpdate>& updates,
                                     const std::string& now) {
    for (const StateUpdate& u : updates) {
        if (u.value) {
            state_set_.bind(1, std::string_view(u.key));
            state_set_.bind(2, std::string_view(*u.value));
            state_set_.bind(3, std::string_view(now));
            HS_RETURN_IF_ERROR(db_.run(state_set_, "saving the sync state"));
        } else {
            state_delete_.bind(1, std::string_view(u.key));
            HS_RETURN_IF_ERROR(db_.run(state_delete_, "saving the sync state"));
        }
    }
    return Status::Ok();
}

Result<std::unique_ptr<Mirror>> SqliteMirrorImpl::open(const std::string& path,
                                                       const MirrorOptions& options) {
    auto mirror = std::make_unique<SqliteMirrorImpl>(path, options);
    SqliteMirrorImpl& m = *mirror;
    sql::Database& db = m.db_;

    if (options.read_only) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            return make_error(ErrorKind::kNotFound, fmt::format("no mirror database at {}", path),
                              "run `hubsync sync` once to create it, or check sync.database");
        }
        HS_RETURN_IF_ERROR(
            db.open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, mirror_vfs(options.env)));
    } else {
        HS_RETURN_IF_ERROR(ensure_file(path, options.file_mode));
        HS_RETURN_IF_ERROR(
            db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, mirror_vfs(options.env)));
    }
    sqlite3_busy_timeout(db.handle(), static_cast<int>(options.busy_timeout.count()));

    if (options.read_only) {
        HS_RETURN_IF_ERROR(db.exec("PRAGMA query_only = ON", "configuring a reader"));
        HS_ASSIGN_OR_RETURN(std::int64_t version, db.query_int("PRAGMA user_version"));
        if (version == 0) {
            return make_error(ErrorKind::kNotFound,
                              fmt::format("{} holds no hubsync mirror yet", path),
                              "run `hubsync sync` once to create it");
        }
        return std::unique_ptr<Mirror>(std::move(mirror));
    }

    // Only takes effect on a new, empty database (before WAL mode is set).
    HS_RETURN_IF_ERROR(
        db.exec(fmt::format("PRAGMA page_size = {}", kPageSize), "setting the page size"));
    // WAL: readers never block the writer and the writer never blocks readers.
    HS_ASSIGN_OR_RETURN(sql::Statement wal, db.prepare("PRAGMA journal_mode = WAL"));
    if (const int rc = wal.step(); rc != SQLITE_ROW) return db.error(rc, "switching to WAL mode");
    if (lower(wal.column_text(0)) != "wal") {
        return make_error(
            ErrorKind::kIo,
            fmt::format("database {} cannot use WAL mode (got {})", path, wal.column_text(0)),
            "put the database on a local file system (WAL needs shared memory "
            "locks, which network file systems often lack)");
    }
    wal = sql::Statement();
    // Replaces SQLite's automatic checkpoint (wal_autocheckpoint): see wal_commit_hook.
    m.wal_restart_at_ = std::max(m.options_.wal_restart_pages, 1);
    sqlite3_wal_hook(db.handle(), wal_commit_hook, &m);
    // No foreign keys: merged_into may name a survivor that is not (yet) in the mirror, and
    // the reconcile sweep removes rows in id order.
    HS_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA synchronous = {};"
                                           "PRAGMA journal_size_limit = {};"
                                           "PRAGMA temp_store = FILE;"
                                           "PRAGMA temp.cache_size = -4096;"
                                           "PRAGMA cache_size = -{};",
                                           kSynchronous, kJournalSizeLimitBytes, kCacheSizeKiB),
                               "configuring the database"));
    // Keep the -wal and -shm files when the service closes the database: a reporting user
    // with read-only access to the directory could not create them, and SQLite needs them
    // to open a WAL database.
    int persist = 1;
    sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);

    const int target =
        options.schema_version > 0 ? options.schema_version : mirror_schema::latest_version();
    HS_RETURN_IF_ERROR(mirror_schema::migrate(db, target));
    HS_RETURN_IF_ERROR(m.prepare_statements());
    HS_RETURN_IF_ERROR(m.create_ledger_triggers());
    return std::unique_ptr<Mirror>(std::move(mirror));
}

// --- Properties -----------------------------------------------------------------------------

Status SqliteMirrorImpl::read_layout(const Table& t, std::set<std::string>& used,
                                     int& typed_columns,
                                     std::unordered_map<std::string, std::string>& known) {
    for (auto r : mirror_schema::reserved_column_names())
        used.insert(std::string(r));
    HS_ASSIGN_OR_RETURN(sql::Statement info,
                        db_.prepare(fmt::format("PRAGMA table_info({})", t.quoted)));
    int rc;
    while ((rc = info.step()) == SQLITE_ROW) {
        if (used.insert(lower(info.column_text(1))).second) ++typed_columns;
    }
    if (rc != SQLITE_DONE)
        return db_.error(rc, fmt::format("reading the {} columns", t.type.table));
    HS_ASSIGN_OR_RETURN(sql::Statement q, db_.prepare("SELECT name, column_name FROM "
                                                      "object_properties WHERE object_type = ?1"));
    q.bind(1, std::string_view(t.type.name));
    while ((rc = q.step()) == SQLITE_ROW)
        known[q.column_text(0)] = q.column_text(1);
    if (rc != SQLITE_DONE) return db_.error(rc, "reading object_properties");
    return Status::Ok();
}

// The properties to sync, each once: every definition without a selection, else the selected
// ones HubSpot has (a selected name it does not have is logged and skipped).
std::vector<const PropertyDef*> choose_properties(const ObjectType& type,
                                                  const std::vector<PropertyDef>& defs,
                                                  const std::vector<std::string>& selection) {
    std::vector<const PropertyDef*> chosen;
    std::set<std::string_view> seen;
    if (selection.empty()) {
        for (const auto& d : defs)
            if (seen.insert(d.name).second) chosen.push_back(&d);
        return chosen;
    }
    const std::set<std::string_view> wanted(selection.begin(), selection.end());
    for (const auto& d : defs)
        if (wanted.count(d.name) && seen.insert(d.name).second) chosen.push_back(&d);
    for (const auto& name : selection)
        if (!seen.count(name))
            HS_LOG_WARN(
                "property {} of {} is in the configured properties but not in "
                "HubSpot; skipped",
                name, type.name);
    return chosen;
}

// A column for each chosen property: the one recorded for it while the table still has it,
// else a new one while typed columns stay below `max_typed`; past that, JSON only.
ColumnPlan plan_columns(const ObjectType& type, const std::vector<const PropertyDef*>& chosen,
                        TableLayout& layout, int max_typed) {
    ColumnPlan plan;
    int json_only = 0;
    for (const PropertyDef* d : chosen) {
        PropertyColumn pc{d->name, {}, d->type};
        if (auto it = layout.known.find(d->name); it != layout.known.end() && !it->second.empty() &&
                                                  layout.used.count(lower(it->second))) {
            pc.column_name = it->second;
        } else if (layout.typed_columns < max_typed) {
            pc.column_name = column_name_for(d->name, layout.used);
            layout.used.insert(lower(pc.column_name));
            plan.added.emplace_back(pc.column_name, mirror_values::column_type_for(d->type));
            ++layout.typed_columns;
        } else {
            ++json_only;
        }
        plan.columns.push_back(std::move(pc));
    }
    if (json_only > 0)
        HS_LOG_WARN(
            "{} properties of {} exceed SQLite's column limit; they are kept only in the "
            "properties JSON column",
            json_only, type.name);
    return plan;
}

void bind_description(sql::Statement& describe, const ObjectType& type, const PropertyDef& d,
                      const std::string& column_name) {
    describe.bind(1, std::string_view(d.name));
    describe.bind_or_null(2, column_name);
    describe.bind(3, std::string_view(d.label));
    describe.bind(4, std::string_view(d.type));
    describe.bind(5, std::string_view(d.field_type));
    describe.bind(6, std::string_view(d.group_name));
    describe.bind(7, std::string_view(d.description));
    describe.bind(8, std::string_view(type.name));
}

Result<std::vector<PropertyColumn>> SqliteMirrorImpl::apply_properties(
    const ObjectType& type, const std::vector<PropertyDef>& defs,
    const std::vector<std::string>& selection) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    TableLayout layout;
    HS_RETURN_IF_ERROR(read_layout(*t, layout.used, layout.typed_columns, layout.known));
    const std::vector<const PropertyDef*> chosen = choose_properties(type, defs, selection);
    // Typed columns stop below SQLite's column limit; later properties stay JSON-only.
    const int max_typed =
        sqlite3_limit(db_.handle(), SQLITE_LIMIT_COLUMN, -1) - 8 /*fixed*/ - 16 /*margin*/;
    ColumnPlan plan = plan_columns(type, chosen, layout, max_typed);
    HS_RETURN_IF_ERROR(store_columns(*t, chosen, plan));
    if (!plan.added.empty())
        HS_LOG_INFO("mirror: added {} property columns to {}", plan.added.size(), type.table);
    HS_RETURN_IF_ERROR(set_layout(*t, plan.columns));
    return std::move(plan.columns);
}

// Adds the planned columns and records every chosen property's definition and column, in one
// transaction.
Status SqliteMirrorImpl::store_columns(Table& t, const std::vector<const PropertyDef*>& chosen,
                                       const ColumnPlan& plan) {
    HS_ASSIGN_OR_RETURN(
        sql::Statement describe,
        db_.prepare("INSERT INTO object_properties (object_type, name, column_name, label, "
                    "type, field_type, group_name, description) "
                    "VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                    "ON CONFLICT (object_type, name) DO UPDATE SET "
                    "column_name = excluded.column_name, label = excluded.label, "
                    "type = excluded.type, field_type = excluded.field_type, "
                    "group_name = excluded.group_name, description = excluded.description"));
    return transaction("updating the property columns", [&]() -> Status {
        for (const auto& [column, sql_type] : plan.added) {
            HS_RETURN_IF_ERROR(db_.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", t.quoted,
                                                    sql::quote_identifier(column), sql_type),
                                        fmt::format("adding column {}", column)));
        }
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            bind_description(describe, t.type, *chosen[i], plan.columns[i].column_name);
            HS_RETURN_IF_ERROR(db_.run(describe, "describing a property"));
        }
        return Status::Ok();
    });
}

Status SqliteMirrorImpl::set_layout(Table& t, std::vector<PropertyColumn> columns) {
    t.layout_ready = false;
    t.synced = std::move(columns);
    t.slots.clear();
    t.slot_index.clear();
    int param = 8;
    for (const auto& pc : t.synced) {
        Table::Slot slot;
        slot.name = pc.name;
        append_json_string(slot.json_key, pc.name);
        slot.json_key.push_back(':');
        slot.kind = mirror_values::value_kind_for(pc.type);
        slot.param = pc.column_name.empty() ? 0 : param++;
        t.slots.push_back(std::move(slot));
    }
    for (std::size_t i = 0; i < t.slots.size(); ++i)
        t.slot_index.emplace(t.slots[i].name, i);
    t.text_scratch.assign(t.slots.size(), std::string());
    HS_RETURN_IF_ERROR(build_upsert(t));
    t.layout_ready = true;
    return Status::Ok();
}

// --- Writing --------------------------------------------------------------------------------

Result<PageResult> SqliteMirrorImpl::write(const ObjectType& type, const PageWrite& page) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(Table * tp, table(type));
    Table& t = *tp;
    if (!page.records.empty() && !t.layout_ready) {
        return make_error(ErrorKind::kInternal,
                          fmt::format("mirror: write() of {} before apply_properties()", type.name),
                          "call apply_properties with the property definitions first");
    }
    PageResult result;
    const std::string now = now_iso();
    HS_RETURN_IF_ERROR(transaction(fmt::format("a page of {}", type.name), [&]() -> Status {
        for (const Record& c : page.records)
            HS_RETURN_IF_ERROR(write_record(t, c, now, result));
        for (const ArchiveMark& a : page.archived) {
            std::string at;
            if (!a.archived_at.empty() && !mirror_values::normalize_timestamp(a.archived_at, at))
                at = a.archived_at;
            t.archive_mark.bind(1, std::int64_t{a.id});
            t.archive_mark.bind_or_null(2, at);
            t.archive_mark.bind(3, std::string_view(now));
            HS_RETURN_IF_ERROR(db_.run(t.archive_mark, "marking a record archived"));
            result.archived += db_.changes();
        }
        for (const MergeMark& mm : page.merges)
            HS_RETURN_IF_ERROR(mark_merged(t, mm.absorbed_id, mm.survivor_id, now, result));
        HS_RETURN_IF_ERROR(apply_state(page.state, now));
        if (page.run_id != 0) {
            run_add_.bind(1, std::int64_t{page.run_id});
            run_add_.bind(2, std::int64_t{result.upserted});
            run_add_.bind(3, std::int64_t{page.requests_made});
            HS_RETURN_IF_ERROR(db_.run(run_add_, "counting the sync run"));
        }
        return Status::Ok();
    }));
    return result;
}

// --- Removing what HubSpot no longer has ---------------------------------------------------

// Merged-away rows stay while their survivor is in the mirror; when the survivor is gone
// (e.g. a GDPR delete), so is the absorbed row's copy of that record. Repeats for chains.
Result<std::int64_t> SqliteMirrorImpl::remove_orphans(const Table& t) {
    const std::string& name = t.type.name;
    HS_ASSIGN_OR_RETURN(
        sql::Statement orphans,
        db_.prepare(
            fmt::format("DELETE FROM {0} WHERE merged_into IS NOT NULL AND NOT EXISTS (SELECT 1 "
                        "FROM {0} v WHERE v.id = {0}.merged_into)",
                        t.quoted)));
    std::int64_t removed = 0;
    for (int pass = 0; pass < 64; ++pass) {
        std::int64_t changed = 0;
        HS_RETURN_IF_ERROR(transaction(
            fmt::format("removing merged {} whose survivor is gone", name), [&]() -> Status {
                HS_RETURN_IF_ERROR(db_.run(orphans, "removing merged records"));
                changed = db_.changes();
                return Status::Ok();
            }));
        removed += changed;
        if (changed == 0) break;
    }
    return removed;
}

Result<std::int64_t> SqliteMirrorImpl::remove_orphaned_merges(const ObjectType& type) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    return remove_orphans(*t);
}

Result<std::vector<sql::Statement>> SqliteMirrorImpl::gone_statements(const Table& t,
                                                                      const std::string& where) {
    std::vector<sql::Statement> out;
    // An open `archived` row becomes `gone` (the record left once; this is how it ended);
    // otherwise a new `gone` row.
    for (const std::string& text :
         {fmt::format("UPDATE deletions SET reason = 'gone' WHERE object_type = ?3 AND "
                      "restored_at IS NULL AND reason = 'archived' AND id IN (SELECT id FROM {0} "
                      "WHERE {1})",
                      t.quoted, where),
          fmt::format("INSERT OR IGNORE INTO deletions (object_type, id, reason, detected_at) "
                      "SELECT ?3, id, 'gone', ?4 FROM {0} WHERE {1}",
                      t.quoted, where),
          fmt::format("DELETE FROM {0} WHERE {1}", t.quoted, where)}) {
        HS_ASSIGN_OR_RETURN(sql::Statement st, db_.prepare(text));
        out.push_back(std::move(st));
    }
    return out;
}

Result<std::int64_t> SqliteMirrorImpl::run_gone(std::vector<sql::Statement>& statements,
                                                const Table& t, std::int64_t a, std::int64_t b,
                                                const std::string& now) {
    for (sql::Statement& st : statements) {
        st.bind(1, a);
        st.bind(2, b);
        st.bind(3, std::string_view(t.type.name));
        st.bind(4, std::string_view(now));
        HS_RETURN_IF_ERROR(db_.run(st, fmt::format("removing {} gone from HubSpot", t.type.name)));
    }
    return db_.changes();  // the DELETE's, run last
}

Result<std::int64_t> SqliteMirrorImpl::remove_gone(const ObjectType& type,
                                                   const std::vector<RecordId>& ids) {
    if (options_.read_only) return read_only_error(path_);
    if (ids.empty()) return std::int64_t{0};
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    HS_ASSIGN_OR_RETURN(auto gone, gone_statements(*t, "id = ?1 AND merged_into IS NULL"));
    const std::string now = now_iso();
    std::int64_t removed = 0;
    HS_RETURN_IF_ERROR(
        transaction(fmt::format("removing {} gone from HubSpot", type.name), [&]() -> Status {
            for (RecordId id : ids) {
                HS_ASSIGN_OR_RETURN(const std::int64_t n, run_gone(gone, *t, id, 0, now));
                removed += n;
            }
            return Status::Ok();
        }));
    if (removed > 0) HS_LOG_INFO("mirror: removed {} {} gone from HubSpot", removed, type.name);
    return removed;
}

// --- Change history and ledger reads --------------------------------------------------------

Status SqliteMirrorImpl::track_changes(const ObjectType& type,
                                       const std::vector<std::string>& properties) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(Table * tp, table(type));
    Table& t = *tp;
    std::string body;
    std::string key;
    for (const std::string& name : properties) {
        const auto it = std::find_if(t.synced.begin(), t.synced.end(),
                                     [&](const PropertyColumn& c) { return c.name == name; });
        if (it == t.synced.end()) continue;
        key += name + ",";
        const std::string quoted_name = sql::quote_literal(name);
        // The raw values as HubSpot sent them (the typed column may have converted them); the
        // typed column, when there is one, decides cheaply whether anything changed.
        const std::string path =
            "json_extract({0}.properties, '$.\"' || " + quoted_name + " || '\"')";
        const std::string old_raw = fmt::format(fmt::runtime(path), "OLD");
        const std::string new_raw = fmt::format(fmt::runtime(path), "NEW");
        const std::string differs =
            it->column_name.empty()
                ? fmt::format("{} IS NOT {}", old_raw, new_raw)
                : fmt::format("OLD.{0} IS NOT NEW.{0}", sql::quote_identifier(it->column_name));
        body += fmt::format(
            "    INSERT INTO changes (object_type, id, property, old_value, new_value, "
            "changed_at, synced_at) SELECT {0}, NEW.id, {1}, {2}, {3}, NEW.updated_at, "
            "NEW.synced_at WHERE {4};\n",
            sql::quote_literal(type.name), quoted_name, old_raw, new_raw, differs);
    }
    if (t.tracked == key && !key.empty()) return Status::Ok();
    const std::string trigger = sql::quote_identifier(type.table + "_changes");
    std::string ddl = fmt::format("DROP TRIGGER IF EXISTS {};", trigger);
    if (!body.empty()) {
        ddl += fmt::format("CREATE TRIGGER {} AFTER UPDATE OF properties ON {} BEGIN\n{}END;",
                           trigger, t.quoted, body);
    }
    // Unchanged since an earlier process made it: leave the schema alone (a schema change makes
    // every reader re-prepare).
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND "
                                    "name = ?1"));
    const std::string trigger_name = type.table + "_changes";
    q.bind(1, std::string_view(trigger_name));
    const int rc = q.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.error(rc, "reading a trigger");
    const std::string existing = rc == SQLITE_ROW ? q.column_text(0) : std::string();
    q.reset();
    const std::string wanted =
        body.empty()
            ? std::string()
            : fmt::format("CREATE TRIGGER {} AFTER UPDATE OF properties ON {} BEGIN\n{}END",
                          trigger, t.quoted, body);
    if (existing != wanted) {
        HS_RETURN_IF_ERROR(transaction(fmt::format("tracking changes of {}", type.name), [&] {
            return db_.exec(ddl, "creating the changes trigger");
        }));
    }
    t.tracked = key;
    return Status::Ok();
}

Result<std::int64_t> SqliteMirrorImpl::count_active(const ObjectType& type, IdRange range) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    if (!t->exists) return std::int64_t{0};
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare(fmt::format("SELECT count(*) FROM {} WHERE archived = 0 AND "
                                                "merged_into IS NULL AND id > ?1 AND id <= ?2",
                                                t->quoted)));
    q.bind(1, std::int64_t{range.lo});
    q.bind(2, std::int64_t{range.hi});
    const int rc = q.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "counting active records");
    return q.column_int64(0);
}

Result<std::vector<RecordId>> SqliteMirrorImpl::active_ids(const ObjectType& type, IdRange range,
                                                           int limit) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    std::vector<RecordId> out;
    if (!t->exists) return out;
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare(fmt::format("SELECT id FROM {} WHERE archived = 0 AND "
                                                "merged_into IS NULL AND id > ?1 AND id <= ?2 "
                                                "ORDER BY id LIMIT ?3",
                                                t->quoted)));
    q.bind(1, std::int64_t{range.lo});
    q.bind(2, std::int64_t{range.hi});
    q.bind(3, std::int64_t{limit});
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back(q.column_int64(0));
    if (rc != SQLITE_DONE) return db_.error(rc, "listing active records");
    return out;
}

Result<std::vector<RecordId>> SqliteMirrorImpl::archived_ids(const ObjectType& type) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    std::vector<RecordId> out;
    if (!t->exists) return out;
    HS_ASSIGN_OR_RETURN(
        sql::Statement q,
        db_.prepare(fmt::format("SELECT id FROM {} WHERE archived = 1 ORDER BY id", t->quoted)));
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back(q.column_int64(0));
    if (rc != SQLITE_DONE) return db_.error(rc, "listing archived records");
    return out;
}

Result<std::int64_t> SqliteMirrorImpl::count_archived(const ObjectType& type) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    if (!t->exists) return std::int64_t{0};
    HS_ASSIGN_OR_RETURN(
        sql::Statement q,
        db_.prepare(fmt::format("SELECT count(*) FROM {} WHERE archived = 1", t->quoted)));
    const int rc = q.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "counting archived records");
    return q.column_int64(0);
}

Result<std::optional<IdRange>> SqliteMirrorImpl::id_bounds(const ObjectType& type) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    if (!t->exists) return std::optional<IdRange>();
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare(fmt::format("SELECT min(id), max(id) FROM {}", t->quoted)));
    const int rc = q.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "reading the id bounds");
    if (q.column_is_null(0)) return std::optional<IdRange>();
    return std::optional<IdRange>(IdRange{q.column_int64(0), q.column_int64(1)});
}

Result<RecentActivity> SqliteMirrorImpl::recent_activity(const ObjectType& type,
                                                         const std::string& since_iso) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    RecentActivity out;
    if (!t->exists) return out;
    HS_ASSIGN_OR_RETURN(
        sql::Statement synced,
        db_.prepare(fmt::format("SELECT count(*) FROM {} WHERE updated_at >= ?1", t->quoted)));
    synced.bind(1, std::string_view(since_iso));
    int rc = synced.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "counting recently changed records");
    out.rows_changed = synced.column_int64(0);
    HS_ASSIGN_OR_RETURN(sql::Statement ledger,
                        db_.prepare("SELECT count(*) FROM deletions WHERE object_type = ?1 AND "
                                    "(detected_at >= ?2 OR restored_at >= ?2)"));
    ledger.bind(1, std::string_view(type.name));
    ledger.bind(2, std::string_view(since_iso));
    rc = ledger.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "counting recent ledger entries");
    out.ledger_entries = ledger.column_int64(0);
    HS_ASSIGN_OR_RETURN(sql::Statement newest,
                        db_.prepare(fmt::format("SELECT max(updated_at) FROM {} WHERE archived = "
                                                "0 AND merged_into IS NULL",
                                                t->quoted)));
    rc = newest.step();
    if (rc != SQLITE_ROW) return db_.error(rc, "reading the newest change");
    out.newest_updated_at = newest.column_text(0);
    return out;
}

Status SqliteMirrorImpl::record_verdict(const ObjectType& type, const std::string& verdict,
                                        const std::string& detail, std::int64_t requests) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare("INSERT INTO sync_runs (started_at, finished_at, mode, "
                                    "object_type, requests_made, error, verdict) VALUES (?1, ?1, "
                                    "'verify', ?2, ?3, ?4, ?5)"));
    const std::string now = now_iso();
    st.bind(1, std::string_view(now));
    st.bind(2, std::string_view(type.name));
    st.bind(3, requests);
    st.bind_or_null(4, detail);
    st.bind(5, std::string_view(verdict));
    return db_.run(st, "recording a verify result");
}

// --- Runs -----------------------------------------------------------------------------------

Result<std::int64_t> SqliteMirrorImpl::begin_run(const ObjectType& type, const std::string& mode) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare("INSERT INTO sync_runs (started_at, mode, object_type) "
                                    "VALUES (?1, ?2, ?3)"));
    const std::string now = now_iso();
    st.bind(1, std::string_view(now));
    st.bind(2, std::string_view(mode));
    st.bind(3, std::string_view(type.name));
    HS_RETURN_IF_ERROR(db_.run(st, "recording the start of a sync run"));
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_.handle()));
}

Status SqliteMirrorImpl::finish_run(std::int64_t run_id, const std::string& error,
                                    std::int64_t extra_records, std::int64_t extra_requests) {
    if (options_.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        db_.prepare("UPDATE sync_runs SET finished_at = ?2, error = ?3, "
                                    "records_written = records_written + ?4, "
                                    "requests_made = requests_made + ?5 WHERE id = ?1"));
    const std::string now = now_iso();
    st.bind(1, std::int64_t{run_id});
    st.bind(2, std::string_view(now));
    st.bind_or_null(3, error);
    st.bind(4, extra_records);
    st.bind(5, extra_requests);
    return db_.run(st, "recording the end of a sync run");
}

// --- Reads ----------------------------------------------------------------------------------

Result<MirrorCounts> SqliteMirrorImpl::counts(const ObjectType& type) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    if (!t->exists) return MirrorCounts{};
    // One read transaction so the four counts agree with each other.
    HS_RETURN_IF_ERROR(db_.exec("BEGIN", "reading counts"));
    auto read = [&]() -> Result<MirrorCounts> {
        MirrorCounts c;
        const std::string& q = t->quoted;
        HS_ASSIGN_OR_RETURN(c.total, db_.query_int(fmt::format("SELECT count(*) FROM {}", q)));
        HS_ASSIGN_OR_RETURN(c.archived, db_.query_int(fmt::format(
                                            "SELECT count(*) FROM {} WHERE archived = 1", q)));
        HS_ASSIGN_OR_RETURN(
            c.merged,
            db_.query_int(fmt::format("SELECT count(*) FROM {} WHERE merged_into IS NOT NULL", q)));
        HS_ASSIGN_OR_RETURN(std::int64_t both,
                            db_.query_int(fmt::format("SELECT count(*) FROM {} WHERE merged_into "
                                                      "IS NOT NULL AND archived = 1",
                                                      q)));
        c.active = c.total - c.archived - c.merged + both;
        return c;
    };
    auto result = read();
    if (Status s = db_.exec("COMMIT", "reading counts"); !s.ok() && result.ok())
        return std::move(s).error();
    return result;
}

Result<std::optional<SyncRun>> SqliteMirrorImpl::last_run(const std::string& type_name) {
    return newest_run(type_name, false);
}

Result<std::optional<SyncRun>> SqliteMirrorImpl::last_verdict(const std::string& type_name) {
    return newest_run(type_name, true);
}

Result<std::optional<SyncRun>> SqliteMirrorImpl::newest_run(const std::string& type_name,
                                                            bool verify) {
    HS_ASSIGN_OR_RETURN(
        sql::Statement q,
        db_.prepare("SELECT id, started_at, finished_at, mode, records_written, requests_made, "
                    "error, object_type, verdict FROM sync_runs WHERE (?1 IS NULL OR "
                    "object_type = ?1) AND (mode = 'verify') = ?2 ORDER BY id DESC LIMIT 1"));
    q.bind_or_null(1, type_name);
    q.bind(2, std::int64_t{verify ? 1 : 0});
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<SyncRun>();
    if (rc != SQLITE_ROW) return db_.error(rc, "reading the last sync run");
    SyncRun run;
    run.id = q.column_int64(0);
    run.started_at = q.column_text(1);
    run.finished_at = q.column_text(2);
    run.mode = q.column_text(3);
    run.records_written = q.column_int64(4);
    run.requests_made = q.column_int64(5);
    run.error = q.column_text(6);
    run.object_type = q.column_text(7);
    run.verdict = q.column_text(8);
    return std::optional<SyncRun>(std::move(run));
}

Result<std::optional<std::string>> SqliteMirrorImpl::state(const std::string& key) {
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare("SELECT value FROM sync_state WHERE key = ?1"));
    q.bind(1, std::string_view(key));
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return db_.error(rc, "reading the sync state");
    return std::optional<std::string>(q.column_text(0));
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteMirrorImpl::all_state() {
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        db_.prepare("SELECT key, value FROM sync_state ORDER BY key"));
    std::vector<std::pair<std::string, std::string>> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.emplace_back(q.column_text(0), q.column_text(1));
    if (rc != SQLITE_DONE) return db_.error(rc, "reading the sync state");
    return out;
}

Result<std::optional<StoredRecord>> SqliteMirrorImpl::get_record(const ObjectType& type,
                                                                 RecordId id) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    if (!t->exists) return std::optional<StoredRecord>();
    if (!t->get_record) {
        HS_ASSIGN_OR_RETURN(
            t->get_record,
            db_.prepare(fmt::format("SELECT id, created_at, updated_at, archived, archived_at, "
                                    "merged_into, synced_at, properties FROM {} WHERE id = ?1",
                                    t->quoted),
                        true));
    }
    sql::Statement& q = t->get_record;
    q.bind(1, std::int64_t{id});
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        Result<std::optional<StoredRecord>> out =
            rc == SQLITE_DONE
                ? Result<std::optional<StoredRecord>>(std::nullopt)
                : Result<std::optional<StoredRecord>>(db_.error(rc, "reading a record"));
        q.reset();
        return out;
    }
    StoredRecord c;
    c.id = q.column_int64(0);
    c.created_at = q.column_text(1);
    c.updated_at = q.column_text(2);
    c.archived = q.column_int64(3) != 0;
    c.archived_at = q.column_text(4);
    if (!q.column_is_null(5)) c.merged_into = q.column_int64(5);
    c.synced_at = q.column_text(6);
    c.properties_json = q.column_text(7);
    q.reset();
    return std::optional<StoredRecord>(std::move(c));
}

Result<std::vector<RecordVersion>> SqliteMirrorImpl::record_versions(
    const ObjectType& type, const std::vector<RecordId>& ids) {
    HS_ASSIGN_OR_RETURN(Table * t, table(type));
    std::vector<RecordVersion> out;
    if (!t->exists) return out;
    if (!t->get_version) {
        HS_ASSIGN_OR_RETURN(t->get_version,
                            db_.prepare(fmt::format("SELECT updated_at, archived, merged_into "
                                                    "FROM {} WHERE id = ?1",
                                                    t->quoted),
                                        true));
    }
    sql::Statement& q = t->get_version;
    out.reserve(ids.size());
    for (RecordId id : ids) {
        q.bind(1, std::int64_t{id});
        const int rc = q.step();
        if (rc == SQLITE_ROW) {
            RecordVersion v;
            v.id = id;
            v.updated_at = q.column_text(0);
            v.archived = q.column_int64(1) != 0;
            if (!q.column_is_null(2)) v.merged_into = q.column_int64(2);
            out.push_back(std::move(v));
        } else if (rc != SQLITE_DONE) {
            Error e = db_.error(rc, "reading record versions");
            q.reset();
            return e;
        }
        q.reset();
    }
    return out;
}

Result<std::vector<ObjectType>> SqliteMirrorImpl::object_types() {
    HS_ASSIGN_OR_RETURN(
        sql::Statement q,
        db_.prepare("SELECT o.name, o.type_id, o.table_name, o.custom, o.last_modified_property, "
                    "o.created_property, o.read_scope FROM object_types o WHERE EXISTS (SELECT 1 "
                    "FROM sqlite_schema s WHERE s.type = 'table' AND s.name = o.table_name) "
                    "ORDER BY o.custom, o.type_id"));
    std::vector<ObjectType> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        ObjectType t;
        t.name = q.column_text(0);
        t.type_id = q.column_text(1);
        t.table = q.column_text(2);
        t.custom = q.column_int64(3) != 0;
        t.last_modified_property = q.column_text(4);
        t.created_property = q.column_text(5);
        t.read_scope = q.column_text(6);
        if (const ObjectType* standard = find_standard_type(t.name); standard && !t.custom)
            t.sensitive_scope = standard->sensitive_scope;
        out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return db_.error(rc, "reading the object types");
    return out;
}

// --- Maintenance ----------------------------------------------------------------------------

Result<CheckpointResult> SqliteMirrorImpl::checkpoint() {
    if (options_.read_only) return read_only_error(path_);
    sqlite3* h = db_.handle();
    CheckpointResult out;
    int rc = sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_PASSIVE, &out.wal_frames,
                                       &out.checkpointed);
    if (rc != SQLITE_OK) return db_.error(rc, "checkpointing the WAL");
    if (out.checkpointed < out.wal_frames) return out;  // a reader still needs older frames
    // Everything is in the database file: truncate the WAL if no reader is using it right
    // now. With no busy handler this fails at once instead of waiting for readers.
    sqlite3_busy_timeout(h, 0);
    int log = 0, done = 0;
    rc = sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    sqlite3_busy_timeout(h, static_cast<int>(options_.busy_timeout.count()));
    if (rc == SQLITE_OK) {
        out.truncated = true;
    } else if ((rc & 0xff) != SQLITE_BUSY) {
        return db_.error(rc, "truncating the WAL");
    }
    return out;
}

Status SqliteMirrorImpl::integrity_check() {
    HS_ASSIGN_OR_RETURN(sql::Statement q, db_.prepare("PRAGMA integrity_check"));
    std::string report;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        if (!report.empty()) report += "; ";
        report += q.column_text(0);
    }
    if (rc != SQLITE_DONE) return db_.error(rc, "checking integrity");
    if (report == "ok") return Status::Ok();
    return make_error(ErrorKind::kIo,
                      fmt::format("database {} failed its integrity check: {}", path_, report),
                      "move the file away and run `hubsync sync --full` to rebuild the mirror");
}

}  // namespace

Result<std::unique_ptr<Mirror>> SqliteMirror::open(const std::string& path,
                                                   const MirrorOptions& options) {
    return SqliteMirrorImpl::open(path, options);
}

int SqliteMirror::latest_schema_version() {
    return mirror_schema::latest_version();
}

}  // namespace hubsync
