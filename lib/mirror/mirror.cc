// The SQLite mirror: opening and tuning the connection, property columns, page writes with
// their cursor, archive/merge markers, the reconcile sweep, run records and status reads.
#include "mirror/mirror.h"

#include "core/json_string.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/core.h>

#include "core/log.h"
#include "mirror/schema.h"
#include "mirror/sqlite_db.h"
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

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

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

}  // namespace

struct Mirror::Impl {
    sql::Database db;
    MirrorOptions options;
    Clock* clock = nullptr;

    struct Slot {
        std::string name;
        std::string json_key;  // "name": pre-escaped
        ValueKind kind = ValueKind::kText;
        int param = 0;  // bind index in the upsert; 0 = JSON only
    };
    std::vector<Slot> slots;
    std::vector<PropertyColumn> synced;
    std::unordered_map<std::string_view, std::size_t> slot_index;  // views into slots
    bool layout_ready = false;
    // The WAL size (pages) at which the commit hook next tries to restart the WAL.
    int wal_restart_at = 0;

    sql::Statement upsert;
    sql::Statement archive_mark;
    sql::Statement merge_mark;
    sql::Statement state_set;
    sql::Statement state_delete;
    sql::Statement run_add;
    sql::Statement begin_immediate;
    sql::Statement commit;
    sql::Statement rollback;
    sql::Statement seen_insert;
    sql::Statement get_contact;  // prepared on first use (readers too)
    sql::Statement get_version;
    bool reconcile_active = false;

    // Reused per row so the hot loop does not allocate.
    std::string json;
    std::vector<const std::optional<std::string>*> values;
    std::vector<std::string> text_scratch;
    std::string created, updated, archived_at;

    const std::string& path() const { return db.path(); }
    std::string now_iso() const { return format_iso8601(clock->now()); }

    Status prepare_statements();
    Status build_upsert();
    template <typename Body>
    Status transaction(std::string_view doing, Body&& body);
    Status write_contact(const Record& c, const std::string& synced_at, PageResult& result);
    Status mark_merged(RecordId absorbed, RecordId survivor, const std::string& synced_at,
                       PageResult& result);
    Status apply_state(const std::vector<StateUpdate>& updates, const std::string& now);
};

Status Mirror::Impl::prepare_statements() {
    auto prep = [&](sql::Statement& stmt, std::string_view text) -> Status {
        HS_ASSIGN_OR_RETURN(stmt, db.prepare(text, true));
        return Status::Ok();
    };
    HS_RETURN_IF_ERROR(prep(begin_immediate, "BEGIN IMMEDIATE"));
    HS_RETURN_IF_ERROR(prep(commit, "COMMIT"));
    HS_RETURN_IF_ERROR(prep(rollback, "ROLLBACK"));
    // An archive marker older than the row's data means the contact changed (was restored)
    // after that archive; a marker without a time is trusted.
    HS_RETURN_IF_ERROR(prep(archive_mark,
                            "UPDATE contacts SET archived = 1, archived_at = ?2, synced_at = ?3 "
                            "WHERE id = ?1 AND (?2 IS NULL OR updated_at IS NULL OR "
                            "updated_at <= ?2) AND (archived = 0 OR archived_at IS NOT ?2)"));
    HS_RETURN_IF_ERROR(prep(merge_mark,
                            "UPDATE contacts SET merged_into = ?2, synced_at = ?3 "
                            "WHERE id = ?1 AND id <> ?2 AND merged_into IS NOT ?2"));
    HS_RETURN_IF_ERROR(prep(state_set,
                            "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                            "updated_at = excluded.updated_at"));
    HS_RETURN_IF_ERROR(prep(state_delete, "DELETE FROM sync_state WHERE key = ?1"));
    HS_RETURN_IF_ERROR(prep(run_add,
                            "UPDATE sync_runs SET contacts_written = contacts_written + ?2, "
                            "requests_made = requests_made + ?3 WHERE id = ?1"));
    return Status::Ok();
}

// The upsert for the current layout. Older data never overwrites newer (timestamps are
// stored normalized, so text order is time order); equal overwrites, so a re-read heals.
Status Mirror::Impl::build_upsert() {
    std::string cols = "id, created_at, updated_at, archived, archived_at, synced_at, properties";
    std::string params = "?1, ?2, ?3, ?4, ?5, ?6, ?7";
    std::string sets =
        "created_at = excluded.created_at, updated_at = excluded.updated_at, "
        "archived = excluded.archived, archived_at = excluded.archived_at, "
        "synced_at = excluded.synced_at, properties = excluded.properties, "
        "merged_into = CASE WHEN excluded.updated_at > contacts.updated_at THEN NULL "
        "ELSE contacts.merged_into END";
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].param == 0) continue;
        const std::string q = sql::quote_identifier(synced[i].column_name);
        cols += ", " + q;
        params += fmt::format(", ?{}", slots[i].param);
        sets += fmt::format(", {0} = excluded.{0}", q);
    }
    const std::string text = fmt::format(
        "INSERT INTO contacts ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {} "
        "WHERE contacts.updated_at IS NULL OR excluded.updated_at >= contacts.updated_at",
        cols, params, sets);
    HS_ASSIGN_OR_RETURN(upsert, db.prepare(text, true));
    return Status::Ok();
}

template <typename Body>
Status Mirror::Impl::transaction(std::string_view doing, Body&& body) {
    if (const int rc = begin_immediate.step(); rc != SQLITE_DONE) {
        Error e = db.error(rc, fmt::format("starting a transaction for {}", doing));
        begin_immediate.reset();
        return e;
    }
    begin_immediate.reset();
    Status status = body();
    if (status.ok()) {
        const int rc = commit.step();
        if (rc != SQLITE_DONE) status = db.error(rc, fmt::format("committing {}", doing));
        commit.reset();
        if (status.ok()) return Status::Ok();
    }
    // SQLite may already have rolled back (e.g. disk full); only roll back an open one.
    if (!sqlite3_get_autocommit(db.handle())) {
        rollback.step();
        rollback.reset();
    }
    return status;
}

Status Mirror::Impl::write_contact(const Record& c, const std::string& synced_at,
                                   PageResult& result) {
    const std::size_t n = slots.size();
    values.assign(n, nullptr);
    const std::optional<std::string>* merged_ids = nullptr;
    for (std::size_t i = 0; i < c.properties.size(); ++i) {
        const PropertyValue& p = c.properties[i];
        // Decoders usually keep the request order, so try the same position first.
        if (i < n && slots[i].name == p.name) {
            values[i] = &p.value;
        } else if (auto it = slot_index.find(p.name); it != slot_index.end()) {
            values[it->second] = &p.value;
        }
        if (p.name == kMergedIdsProperty) merged_ids = &p.value;
    }

    sql::Statement& st = upsert;
    json.clear();
    json.push_back('{');
    for (std::size_t i = 0; i < n; ++i) {
        const Slot& slot = slots[i];
        if (i) json.push_back(',');
        json += slot.json_key;
        const std::optional<std::string>* v = values[i];
        const bool is_null = v == nullptr || !v->has_value();
        if (is_null)
            json += "null";
        else
            append_json_string(json, **v);
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
                                                  text_scratch[i])) {
                    st.bind(slot.param, std::string_view(text_scratch[i]));
                } else {
                    st.bind_null(slot.param);
                }
                break;
        }
    }
    json.push_back('}');

    auto timestamp = [](const std::string& raw, std::string& out) -> std::string_view {
        if (raw.empty()) return {};
        if (mirror_values::normalize_timestamp(raw, out)) return out;
        return raw;  // kept as sent rather than lost
    };
    st.bind(1, std::int64_t{c.id});
    st.bind_or_null(2, timestamp(c.created_at, created));
    st.bind_or_null(3, timestamp(c.updated_at, updated));
    st.bind(4, std::int64_t{c.archived ? 1 : 0});
    if (c.archived)
        st.bind_or_null(5, timestamp(c.archived_at, archived_at));
    else
        st.bind_null(5);
    st.bind(6, std::string_view(synced_at));
    st.bind(7, std::string_view(json));
    if (const int rc = st.step(); rc != SQLITE_DONE) {
        Error e = db.error(rc, fmt::format("writing contact {}", c.id));
        st.reset();
        return e;
    }
    st.reset();
    if (db.changes() > 0)
        ++result.upserted;
    else
        ++result.skipped_older;

    if (merged_ids && merged_ids->has_value()) {
        std::string_view list = **merged_ids;
        while (!list.empty()) {
            const std::size_t semi = list.find(';');
            const std::string_view item = list.substr(0, semi);
            list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
            RecordId absorbed = 0;
            const char* end = item.data() + item.size();
            const auto [ptr, ec] = std::from_chars(item.data(), end, absorbed);
            if (ec != std::errc() || ptr != end || absorbed == c.id) continue;
            HS_RETURN_IF_ERROR(mark_merged(absorbed, c.id, synced_at, result));
        }
    }
    return Status::Ok();
}

Status Mirror::Impl::mark_merged(RecordId absorbed, RecordId survivor, const std::string& synced_at,
                                 PageResult& result) {
    merge_mark.bind(1, std::int64_t{absorbed});
    merge_mark.bind(2, std::int64_t{survivor});
    merge_mark.bind(3, std::string_view(synced_at));
    HS_RETURN_IF_ERROR(db.run(merge_mark, fmt::format("marking contact {} merged", absorbed)));
    result.merged += db.changes();
    return Status::Ok();
}

Status Mirror::Impl::apply_state(const std::vector<StateUpdate>& updates, const std::string& now) {
    for (const StateUpdate& u : updates) {
        if (u.value) {
            state_set.bind(1, std::string_view(u.key));
            state_set.bind(2, std::string_view(*u.value));
            state_set.bind(3, std::string_view(now));
            HS_RETURN_IF_ERROR(db.run(state_set, "saving the sync state"));
        } else {
            state_delete.bind(1, std::string_view(u.key));
            HS_RETURN_IF_ERROR(db.run(state_delete, "saving the sync state"));
        }
    }
    return Status::Ok();
}

// --- Mirror ----------------------------------------------------------------------------------

Mirror::Mirror(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

Mirror::~Mirror() = default;

int Mirror::latest_schema_version() {
    return mirror_schema::latest_version();
}

namespace {

// Runs after each commit of the writing connection. SQLite's own automatic checkpoint is
// PASSIVE: it copies what no reader still needs and never waits, so with report queries
// running back to back some reader is always inside the WAL, the WAL is never started over,
// and it grows through a whole backfill (80 MB for 20,000 contacts in the chaos readers
// scenario). Past MirrorOptions::wal_restart_pages this checkpoints in RESTART mode instead,
// waiting briefly for readers of older snapshots to finish (new ones read from the database file
// meanwhile), so the next commit writes at the start of the WAL again. When a long query keeps it
// from finishing, the next try waits until the WAL has grown by another kWalRetryPages.
int wal_commit_hook(void* arg, sqlite3* db, const char* schema, int pages) {
    auto* impl = static_cast<Mirror::Impl*>(arg);
    if (pages < impl->wal_restart_at) return SQLITE_OK;
    sqlite3_busy_timeout(db, kWalRestartWaitMs);
    int log = 0, done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_RESTART, &log, &done);
    sqlite3_busy_timeout(db, static_cast<int>(impl->options.busy_timeout.count()));
    impl->wal_restart_at =
        rc == SQLITE_OK ? std::max(impl->options.wal_restart_pages, 1) : pages + kWalRetryPages;
    return SQLITE_OK;  // the commit itself succeeded either way
}

}  // namespace

Result<std::unique_ptr<Mirror>> Mirror::open(const std::string& path,
                                             const MirrorOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->clock = options.clock ? options.clock : &SystemClock::instance();
    sql::Database& db = impl->db;

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
        return std::unique_ptr<Mirror>(new Mirror(path, std::move(impl)));
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
    impl->wal_restart_at = std::max(impl->options.wal_restart_pages, 1);
    sqlite3_wal_hook(db.handle(), wal_commit_hook, impl.get());
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
    HS_RETURN_IF_ERROR(impl->prepare_statements());
    return std::unique_ptr<Mirror>(new Mirror(path, std::move(impl)));
}

Result<int> Mirror::schema_version() {
    HS_ASSIGN_OR_RETURN(std::int64_t v, impl_->db.query_int("PRAGMA user_version"));
    return static_cast<int>(v);
}

const std::vector<PropertyColumn>& Mirror::synced_properties() const {
    return impl_->synced;
}

Result<std::vector<PropertyColumn>> Mirror::apply_properties(
    const std::vector<PropertyDef>& defs, const std::vector<std::string>& selection) {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    sql::Database& db = m.db;

    // What exists: the table's columns and the recorded property -> column mapping.
    std::set<std::string> used;
    for (auto r : mirror_schema::reserved_column_names())
        used.insert(std::string(r));
    int typed_columns = 0;
    {
        HS_ASSIGN_OR_RETURN(sql::Statement info, db.prepare("PRAGMA table_info(contacts)"));
        int rc;
        while ((rc = info.step()) == SQLITE_ROW) {
            if (used.insert(lower(info.column_text(1))).second) ++typed_columns;
        }
        if (rc != SQLITE_DONE) return db.error(rc, "reading the contacts columns");
    }
    std::unordered_map<std::string, std::string> known;
    {
        HS_ASSIGN_OR_RETURN(sql::Statement q,
                            db.prepare("SELECT name, column_name FROM contact_properties"));
        int rc;
        while ((rc = q.step()) == SQLITE_ROW)
            known[q.column_text(0)] = q.column_text(1);
        if (rc != SQLITE_DONE) return db.error(rc, "reading contact_properties");
    }

    // Which properties to sync.
    std::vector<const PropertyDef*> chosen;
    std::set<std::string_view> seen;
    if (selection.empty()) {
        for (const auto& d : defs)
            if (seen.insert(d.name).second) chosen.push_back(&d);
    } else {
        const std::set<std::string_view> wanted(selection.begin(), selection.end());
        for (const auto& d : defs)
            if (wanted.count(d.name) && seen.insert(d.name).second) chosen.push_back(&d);
        for (const auto& name : selection)
            if (!seen.count(name))
                HS_LOG_WARN("property {} is in sync.properties but not in HubSpot; skipped", name);
    }

    // Typed columns stop below SQLite's column limit; later properties stay JSON-only.
    const int max_typed =
        sqlite3_limit(db.handle(), SQLITE_LIMIT_COLUMN, -1) - 8 /*fixed*/ - 16 /*margin*/;
    std::vector<PropertyColumn> columns;
    std::vector<std::pair<std::string, std::string_view>> added;  // column, SQL type
    int json_only = 0;
    for (const PropertyDef* d : chosen) {
        PropertyColumn pc{d->name, {}, d->type};
        if (auto it = known.find(d->name);
            it != known.end() && !it->second.empty() && used.count(lower(it->second))) {
            pc.column_name = it->second;
        } else if (typed_columns < max_typed) {
            pc.column_name = column_name_for(d->name, used);
            used.insert(lower(pc.column_name));
            added.emplace_back(pc.column_name, mirror_values::column_type_for(d->type));
            ++typed_columns;
        } else {
            ++json_only;
        }
        columns.push_back(std::move(pc));
    }
    if (json_only > 0)
        HS_LOG_WARN(
            "{} properties exceed SQLite's column limit; they are kept only in the "
            "properties JSON column",
            json_only);

    HS_ASSIGN_OR_RETURN(
        sql::Statement describe,
        db.prepare("INSERT INTO contact_properties (name, column_name, label, type, "
                   "field_type, group_name, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                   "ON CONFLICT (name) DO UPDATE SET column_name = excluded.column_name, "
                   "label = excluded.label, type = excluded.type, "
                   "field_type = excluded.field_type, group_name = excluded.group_name, "
                   "description = excluded.description"));
    if (Status tx = m.transaction(
            "updating the property columns",
            [&]() -> Status {
                for (const auto& [column, type] : added) {
                    HS_RETURN_IF_ERROR(db.exec(fmt::format("ALTER TABLE contacts ADD COLUMN {} {}",
                                                           sql::quote_identifier(column), type),
                                               fmt::format("adding column {}", column)));
                }
                for (std::size_t i = 0; i < chosen.size(); ++i) {
                    const PropertyDef& d = *chosen[i];
                    describe.bind(1, std::string_view(d.name));
                    describe.bind_or_null(2, columns[i].column_name);
                    describe.bind(3, std::string_view(d.label));
                    describe.bind(4, std::string_view(d.type));
                    describe.bind(5, std::string_view(d.field_type));
                    describe.bind(6, std::string_view(d.group_name));
                    describe.bind(7, std::string_view(d.description));
                    HS_RETURN_IF_ERROR(db.run(describe, "describing a property"));
                }
                return Status::Ok();
            });
        !tx.ok())
        return std::move(tx).error();
    if (!added.empty()) HS_LOG_INFO("mirror: added {} property columns", added.size());

    // The cached layout the write path uses: no schema queries per row.
    m.layout_ready = false;
    m.synced = columns;
    m.slots.clear();
    m.slot_index.clear();
    int param = 8;
    for (const auto& pc : m.synced) {
        Impl::Slot slot;
        slot.name = pc.name;
        append_json_string(slot.json_key, pc.name);
        slot.json_key.push_back(':');
        slot.kind = mirror_values::value_kind_for(pc.type);
        slot.param = pc.column_name.empty() ? 0 : param++;
        m.slots.push_back(std::move(slot));
    }
    for (std::size_t i = 0; i < m.slots.size(); ++i)
        m.slot_index.emplace(m.slots[i].name, i);
    m.text_scratch.assign(m.slots.size(), std::string());
    HS_RETURN_IF_ERROR(m.build_upsert());
    m.layout_ready = true;
    return columns;
}

Result<PageResult> Mirror::write(const PageWrite& page) {
    return write_parts(page.contacts, page.archived, page.merges, page.state, page.run_id,
                       page.requests_made);
}

Result<PageResult> Mirror::write_page(const std::vector<Record>& contacts,
                                      const std::vector<StateUpdate>& state) {
    return write_parts(contacts, {}, {}, state, 0, 0);
}

// write() without copying the caller's contacts into a PageWrite.
Result<PageResult> Mirror::write_parts(const std::vector<Record>& contacts,
                                       const std::vector<ArchiveMark>& archived,
                                       const std::vector<MergeMark>& merges,
                                       const std::vector<StateUpdate>& state, std::int64_t run_id,
                                       std::int64_t requests_made) {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    if (!contacts.empty() && !m.layout_ready) {
        return make_error(ErrorKind::kInternal, "mirror: write() before apply_properties()",
                          "call apply_properties with the property definitions first");
    }
    PageResult result;
    const std::string now = m.now_iso();
    if (Status tx = m.transaction(
            "a page of contacts",
            [&]() -> Status {
                for (const Record& c : contacts)
                    HS_RETURN_IF_ERROR(m.write_contact(c, now, result));
                for (const ArchiveMark& a : archived) {
                    std::string at;
                    if (!a.archived_at.empty() &&
                        !mirror_values::normalize_timestamp(a.archived_at, at))
                        at = a.archived_at;
                    m.archive_mark.bind(1, std::int64_t{a.id});
                    m.archive_mark.bind_or_null(2, at);
                    m.archive_mark.bind(3, std::string_view(now));
                    HS_RETURN_IF_ERROR(m.db.run(m.archive_mark, "marking a contact archived"));
                    result.archived += m.db.changes();
                }
                for (const MergeMark& mm : merges)
                    HS_RETURN_IF_ERROR(m.mark_merged(mm.absorbed_id, mm.survivor_id, now, result));
                HS_RETURN_IF_ERROR(m.apply_state(state, now));
                if (run_id != 0) {
                    m.run_add.bind(1, std::int64_t{run_id});
                    m.run_add.bind(2, std::int64_t{result.upserted});
                    m.run_add.bind(3, std::int64_t{requests_made});
                    HS_RETURN_IF_ERROR(m.db.run(m.run_add, "counting the sync run"));
                }
                return Status::Ok();
            });
        !tx.ok())
        return std::move(tx).error();
    return result;
}

Status Mirror::mark_merged(RecordId absorbed_id, RecordId survivor_id) {
    PageWrite page;
    page.merges.push_back({absorbed_id, survivor_id});
    auto r = write(page);
    if (!r.ok()) return r.error();
    return Status::Ok();
}

Status Mirror::set_state(const std::vector<StateUpdate>& updates) {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    const std::string now = m.now_iso();
    return m.transaction("the sync state", [&] { return m.apply_state(updates, now); });
}

// --- Reconcile ------------------------------------------------------------------------------

Status Mirror::reconcile_begin() {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    // A TEMP table lives in this connection's private temp database: filling it with a
    // million ids takes no lock on the mirror. The temp database is a file (temp_store =
    // FILE) with a 4 MiB cache, so the sweep's memory does not grow with the portal (in
    // memory, 1M ids took 15 MB more).
    HS_RETURN_IF_ERROR(
        m.db.exec("CREATE TEMP TABLE IF NOT EXISTS reconcile_seen "
                  "(id INTEGER PRIMARY KEY);"
                  "DELETE FROM temp.reconcile_seen;",
                  "starting the reconcile sweep"));
    if (!m.seen_insert) {
        HS_ASSIGN_OR_RETURN(
            m.seen_insert,
            m.db.prepare("INSERT OR IGNORE INTO temp.reconcile_seen (id) VALUES (?1)", true));
    }
    m.reconcile_active = true;
    return Status::Ok();
}

Status Mirror::reconcile_add_seen(const std::vector<RecordId>& ids) {
    Impl& m = *impl_;
    if (!m.reconcile_active) {
        return make_error(ErrorKind::kInternal, "mirror: reconcile_add_seen() outside a sweep",
                          "call reconcile_begin() first");
    }
    HS_RETURN_IF_ERROR(m.db.exec("BEGIN", "collecting reconcile ids"));
    for (RecordId id : ids) {
        m.seen_insert.bind(1, std::int64_t{id});
        if (Status s = m.db.run(m.seen_insert, "collecting reconcile ids"); !s.ok()) {
            (void)m.db.exec("ROLLBACK", "rolling back");
            return s;
        }
    }
    return m.db.exec("COMMIT", "collecting reconcile ids");
}

Result<std::vector<RecordId>> Mirror::reconcile_missing_ids() {
    Impl& m = *impl_;
    if (!m.reconcile_active) {
        return make_error(ErrorKind::kInternal, "mirror: reconcile_missing_ids() outside a sweep",
                          "call reconcile_begin() first");
    }
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        m.db.prepare("SELECT s.id FROM temp.reconcile_seen s WHERE NOT EXISTS "
                                     "(SELECT 1 FROM main.contacts c WHERE c.id = s.id) "
                                     "ORDER BY s.id"));
    std::vector<RecordId> ids;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        ids.push_back(q.column_int64(0));
    if (rc != SQLITE_DONE) return m.db.error(rc, "listing ids missing from the mirror");
    return ids;
}

Result<std::int64_t> Mirror::reconcile_finish(int batch_size) {
    Impl& m = *impl_;
    if (!m.reconcile_active) {
        return make_error(ErrorKind::kInternal, "mirror: reconcile_finish() outside a sweep",
                          "call reconcile_begin() first");
    }
    sql::Database& db = m.db;
    HS_ASSIGN_OR_RETURN(std::int64_t seen,
                        db.query_int("SELECT count(*) FROM temp.reconcile_seen"));
    HS_ASSIGN_OR_RETURN(std::int64_t rows, db.query_int("SELECT count(*) FROM contacts"));
    if (seen == 0 && rows > 0) {
        return make_error(ErrorKind::kBadData,
                          "reconcile sweep saw no contact ids at all; nothing was removed",
                          "HubSpot listed no contacts: if the portal really is empty, delete "
                          "the database and sync again");
    }

    // Batches over id ranges: each transaction covers at most `batch_size` rows, so the
    // write lock is held for milliseconds even with a million contacts.
    HS_ASSIGN_OR_RETURN(sql::Statement range,
                        db.prepare("SELECT max(id), count(*) FROM (SELECT id FROM contacts "
                                   "WHERE id > ?1 ORDER BY id LIMIT ?2)"));
    HS_ASSIGN_OR_RETURN(
        sql::Statement remove,
        db.prepare(
            "DELETE FROM contacts WHERE id > ?1 AND id <= ?2 AND merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM temp.reconcile_seen s WHERE s.id = contacts.id)"));
    std::int64_t removed = 0;
    std::int64_t cursor = std::numeric_limits<std::int64_t>::min();
    for (;;) {
        range.bind(1, cursor);
        range.bind(2, std::int64_t{batch_size});
        const int rc = range.step();
        if (rc != SQLITE_ROW) {
            range.reset();
            return db.error(rc, "scanning contacts for the reconcile sweep");
        }
        const std::int64_t upper = range.column_int64(0);
        const std::int64_t count = range.column_int64(1);
        range.reset();
        if (count == 0) break;
        if (Status tx = m.transaction("removing contacts gone from HubSpot",
                                      [&]() -> Status {
                                          remove.bind(1, cursor);
                                          remove.bind(2, upper);
                                          HS_RETURN_IF_ERROR(db.run(
                                              remove, "removing contacts gone from HubSpot"));
                                          removed += db.changes();
                                          return Status::Ok();
                                      });
            !tx.ok())
            return std::move(tx).error();
        cursor = upper;
    }

    // Merged-away rows stay while their survivor is in the mirror; when the survivor is gone
    // (e.g. a GDPR delete), so is the absorbed row's copy of that person. Repeats for chains.
    HS_ASSIGN_OR_RETURN(
        sql::Statement orphans,
        db.prepare("DELETE FROM contacts WHERE merged_into IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM temp.reconcile_seen s WHERE s.id = contacts.id) "
                   "AND NOT EXISTS (SELECT 1 FROM contacts v WHERE v.id = contacts.merged_into)"));
    for (int pass = 0; pass < 64; ++pass) {
        std::int64_t changed = 0;
        HS_RETURN_IF_ERROR(
            m.transaction("removing merged contacts whose survivor is gone", [&]() -> Status {
                HS_RETURN_IF_ERROR(db.run(orphans, "removing merged contacts"));
                changed = db.changes();
                return Status::Ok();
            }));
        removed += changed;
        if (changed == 0) break;
    }
    HS_RETURN_IF_ERROR(db.exec("DELETE FROM temp.reconcile_seen", "ending the reconcile sweep"));
    m.reconcile_active = false;
    if (removed > 0)
        HS_LOG_INFO("mirror: reconcile removed {} contacts gone from HubSpot", removed);
    return removed;
}

// --- Runs -----------------------------------------------------------------------------------

Result<std::int64_t> Mirror::begin_run(const std::string& mode) {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        m.db.prepare("INSERT INTO sync_runs (started_at, mode) VALUES (?1, ?2)"));
    const std::string now = m.now_iso();
    st.bind(1, std::string_view(now));
    st.bind(2, std::string_view(mode));
    HS_RETURN_IF_ERROR(m.db.run(st, "recording the start of a sync run"));
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m.db.handle()));
}

Status Mirror::finish_run(std::int64_t run_id, const std::string& error,
                          std::int64_t extra_contacts, std::int64_t extra_requests) {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    HS_ASSIGN_OR_RETURN(sql::Statement st,
                        m.db.prepare("UPDATE sync_runs SET finished_at = ?2, error = ?3, "
                                     "contacts_written = contacts_written + ?4, "
                                     "requests_made = requests_made + ?5 WHERE id = ?1"));
    const std::string now = m.now_iso();
    st.bind(1, std::int64_t{run_id});
    st.bind(2, std::string_view(now));
    st.bind_or_null(3, error);
    st.bind(4, extra_contacts);
    st.bind(5, extra_requests);
    return m.db.run(st, "recording the end of a sync run");
}

// --- Reads ----------------------------------------------------------------------------------

Result<MirrorCounts> Mirror::counts() {
    sql::Database& db = impl_->db;
    // One read transaction so the four counts agree with each other.
    HS_RETURN_IF_ERROR(db.exec("BEGIN", "reading counts"));
    auto read = [&]() -> Result<MirrorCounts> {
        MirrorCounts c;
        HS_ASSIGN_OR_RETURN(c.total, db.query_int("SELECT count(*) FROM contacts"));
        HS_ASSIGN_OR_RETURN(c.archived,
                            db.query_int("SELECT count(*) FROM contacts WHERE archived = 1"));
        HS_ASSIGN_OR_RETURN(
            c.merged, db.query_int("SELECT count(*) FROM contacts WHERE merged_into IS NOT NULL"));
        HS_ASSIGN_OR_RETURN(std::int64_t both,
                            db.query_int("SELECT count(*) FROM contacts WHERE merged_into IS NOT "
                                         "NULL AND archived = 1"));
        c.active = c.total - c.archived - c.merged + both;
        return c;
    };
    auto result = read();
    (void)db.exec("COMMIT", "reading counts");
    return result;
}

Result<std::optional<SyncRun>> Mirror::last_run() {
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        impl_->db.prepare("SELECT id, started_at, finished_at, mode, "
                                          "contacts_written, requests_made, error FROM sync_runs "
                                          "ORDER BY id DESC LIMIT 1"));
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<SyncRun>();
    if (rc != SQLITE_ROW) return impl_->db.error(rc, "reading the last sync run");
    SyncRun run;
    run.id = q.column_int64(0);
    run.started_at = q.column_text(1);
    run.finished_at = q.column_text(2);
    run.mode = q.column_text(3);
    run.contacts_written = q.column_int64(4);
    run.requests_made = q.column_int64(5);
    run.error = q.column_text(6);
    return std::optional<SyncRun>(std::move(run));
}

Result<std::optional<std::string>> Mirror::state(const std::string& key) {
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        impl_->db.prepare("SELECT value FROM sync_state WHERE key = ?1"));
    q.bind(1, std::string_view(key));
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return impl_->db.error(rc, "reading the sync state");
    return std::optional<std::string>(q.column_text(0));
}

Result<std::vector<std::pair<std::string, std::string>>> Mirror::all_state() {
    HS_ASSIGN_OR_RETURN(sql::Statement q,
                        impl_->db.prepare("SELECT key, value FROM sync_state ORDER BY key"));
    std::vector<std::pair<std::string, std::string>> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.emplace_back(q.column_text(0), q.column_text(1));
    if (rc != SQLITE_DONE) return impl_->db.error(rc, "reading the sync state");
    return out;
}

Result<std::optional<StoredRecord>> Mirror::get_contact(RecordId id) {
    Impl& m = *impl_;
    if (!m.get_contact) {
        HS_ASSIGN_OR_RETURN(
            m.get_contact,
            m.db.prepare("SELECT id, created_at, updated_at, archived, archived_at, "
                         "merged_into, synced_at, properties FROM contacts WHERE id = ?1",
                         true));
    }
    sql::Statement& q = m.get_contact;
    q.bind(1, std::int64_t{id});
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        Result<std::optional<StoredRecord>> out =
            rc == SQLITE_DONE
                ? Result<std::optional<StoredRecord>>(std::nullopt)
                : Result<std::optional<StoredRecord>>(m.db.error(rc, "reading a contact"));
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

Result<std::vector<RecordVersion>> Mirror::contact_versions(const std::vector<RecordId>& ids) {
    Impl& m = *impl_;
    if (!m.get_version) {
        HS_ASSIGN_OR_RETURN(m.get_version,
                            m.db.prepare("SELECT updated_at, archived, merged_into FROM contacts "
                                         "WHERE id = ?1",
                                         true));
    }
    sql::Statement& q = m.get_version;
    std::vector<RecordVersion> out;
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
            Error e = m.db.error(rc, "reading contact versions");
            q.reset();
            return e;
        }
        q.reset();
    }
    return out;
}

// --- Maintenance ----------------------------------------------------------------------------

Result<CheckpointResult> Mirror::checkpoint() {
    Impl& m = *impl_;
    if (m.options.read_only) return read_only_error(path_);
    sqlite3* h = m.db.handle();
    CheckpointResult out;
    int rc = sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_PASSIVE, &out.wal_frames,
                                       &out.checkpointed);
    if (rc != SQLITE_OK) return m.db.error(rc, "checkpointing the WAL");
    if (out.checkpointed < out.wal_frames) return out;  // a reader still needs older frames
    // Everything is in the database file: truncate the WAL if no reader is using it right
    // now. With no busy handler this fails at once instead of waiting for readers.
    sqlite3_busy_timeout(h, 0);
    int log = 0, done = 0;
    rc = sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    sqlite3_busy_timeout(h, static_cast<int>(m.options.busy_timeout.count()));
    if (rc == SQLITE_OK) {
        out.truncated = true;
    } else if ((rc & 0xff) != SQLITE_BUSY) {
        return m.db.error(rc, "truncating the WAL");
    }
    return out;
}

Status Mirror::integrity_check() {
    HS_ASSIGN_OR_RETURN(sql::Statement q, impl_->db.prepare("PRAGMA integrity_check"));
    std::string report;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        if (!report.empty()) report += "; ";
        report += q.column_text(0);
    }
    if (rc != SQLITE_DONE) return impl_->db.error(rc, "checking integrity");
    if (report == "ok") return Status::Ok();
    return make_error(ErrorKind::kIo,
                      fmt::format("database {} failed its integrity check: {}", path_, report),
                      "move the file away and run `hubsync sync --full` to rebuild the mirror");
}

}  // namespace hubsync
