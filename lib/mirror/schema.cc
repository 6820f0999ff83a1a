// The mirror's schema migrations. Never edit a released migration: add a new one at the end,
// and the migration tests will run it from every earlier version.
#include "mirror/schema.h"

#include <fmt/core.h>

namespace hubsync::mirror_schema {

namespace {

// Version 1: the tables and view of the product contract. Reporting tools depend on these
// names. Typed property columns are added to `contacts` at run time by apply_properties.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT,
    updated_at  TEXT,
    archived    INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    merged_into INTEGER,
    synced_at   TEXT,
    properties  TEXT
);
CREATE TABLE contact_properties (
    name        TEXT PRIMARY KEY,
    column_name TEXT UNIQUE COLLATE NOCASE,
    label       TEXT,
    type        TEXT,
    field_type  TEXT,
    group_name  TEXT,
    description TEXT
);
CREATE VIEW active_contacts AS
    SELECT * FROM contacts WHERE archived = 0 AND merged_into IS NULL;
CREATE TABLE sync_runs (
    id               INTEGER PRIMARY KEY,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    mode             TEXT NOT NULL,
    contacts_written INTEGER NOT NULL DEFAULT 0,
    requests_made    INTEGER NOT NULL DEFAULT 0,
    error            TEXT
);
CREATE TABLE sync_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT
);
)sql";

// Version 2: indexes. updated_at serves reports ("changed since") and lets count(*) scan a
// small index instead of the wide table; the partial indexes keep status counts and the
// reconcile sweep's merge pass cheap without slowing ordinary upserts.
constexpr std::string_view kV2 = R"sql(
CREATE INDEX contacts_updated_at ON contacts (updated_at);
CREATE INDEX contacts_archived ON contacts (id) WHERE archived = 1;
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
)sql";

// Version 3: every CRM object type. Types get their tables at run time (object_table_sql);
// this version adds what is shared: the table of mirrored types, property descriptions for
// every type (contact_properties stays, as a view of the contacts' part), sync runs per type,
// and per-type sync state keys (the contacts' keys gain their "contacts." prefix).
constexpr std::string_view kV3 = R"sql(
CREATE TABLE object_types (
    name                   TEXT PRIMARY KEY,
    type_id                TEXT NOT NULL UNIQUE,
    table_name             TEXT NOT NULL UNIQUE,
    custom                 INTEGER NOT NULL DEFAULT 0,
    last_modified_property TEXT NOT NULL,
    created_property       TEXT NOT NULL,
    read_scope             TEXT NOT NULL
);
INSERT INTO object_types VALUES
    ('contacts', '0-1', 'contacts', 0, 'lastmodifieddate', 'createdate',
     'crm.objects.contacts.read');
CREATE TABLE object_properties (
    object_type TEXT NOT NULL,
    name        TEXT NOT NULL,
    column_name TEXT COLLATE NOCASE,
    label       TEXT,
    type        TEXT,
    field_type  TEXT,
    group_name  TEXT,
    description TEXT,
    PRIMARY KEY (object_type, name),
    UNIQUE (object_type, column_name)
);
INSERT INTO object_properties
    SELECT 'contacts', name, column_name, label, type, field_type, group_name, description
    FROM contact_properties;
DROP TABLE contact_properties;
CREATE VIEW contact_properties AS
    SELECT name, column_name, label, type, field_type, group_name, description
    FROM object_properties WHERE object_type = 'contacts';
ALTER TABLE sync_runs RENAME COLUMN contacts_written TO records_written;
ALTER TABLE sync_runs ADD COLUMN object_type TEXT NOT NULL DEFAULT 'contacts';
CREATE INDEX sync_runs_object_type ON sync_runs (object_type, id);
UPDATE sync_state SET key = 'contacts.' || key;
)sql";

// Version 4: what joins records (see mirror/links.h): associations in both directions with
// their labels, the label catalogue, owners, pipelines and stages with typed probability and
// closed state, and the options of enumeration properties. The report views are created at
// run time (refresh_views), because they name the typed columns of whichever properties are
// synced.
constexpr std::string_view kLinks = R"sql(
CREATE TABLE associations (
    from_type TEXT NOT NULL,
    from_id   INTEGER NOT NULL,
    to_type   TEXT NOT NULL,
    to_id     INTEGER NOT NULL,
    type_id   INTEGER NOT NULL,
    category  TEXT NOT NULL,
    label     TEXT,
    PRIMARY KEY (from_type, from_id, to_type, to_id, type_id)
) WITHOUT ROWID;
CREATE INDEX associations_to ON associations (to_type, to_id, from_type);
CREATE TABLE association_labels (
    from_type TEXT NOT NULL,
    to_type   TEXT NOT NULL,
    type_id   INTEGER NOT NULL,
    category  TEXT NOT NULL,
    label     TEXT,
    PRIMARY KEY (from_type, to_type, type_id)
);
CREATE TABLE owners (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER,
    email      TEXT,
    first_name TEXT,
    last_name  TEXT,
    type       TEXT,
    teams      TEXT,
    archived   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT,
    updated_at TEXT
);
CREATE TABLE pipelines (
    object_type   TEXT NOT NULL,
    id            TEXT NOT NULL,
    label         TEXT,
    display_order INTEGER,
    archived      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_type, id)
);
CREATE TABLE pipeline_stages (
    object_type   TEXT NOT NULL,
    pipeline_id   TEXT NOT NULL,
    id            TEXT NOT NULL,
    label         TEXT,
    display_order INTEGER,
    probability   REAL,
    is_closed     INTEGER,
    archived      INTEGER NOT NULL DEFAULT 0,
    metadata      TEXT,
    PRIMARY KEY (object_type, pipeline_id, id)
);
CREATE TABLE property_options (
    object_type   TEXT NOT NULL,
    property      TEXT NOT NULL,
    value         TEXT NOT NULL,
    label         TEXT,
    display_order INTEGER,
    hidden        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_type, property, value)
);
)sql";

// The ledger of records that left the active set, the merged-id map and the change history
// (version 5). Kept as one self-contained step so it can be renumbered when another branch's
// migration lands first: nothing in it depends on its number. Per-table triggers and the
// active-id index live in object_ledger_sql(), created for every type's table as it is opened.
constexpr std::string_view kLedger = R"sql(
CREATE TABLE deletions (
    object_type TEXT NOT NULL,
    id          INTEGER NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('archived', 'merged', 'gone')),
    detected_at TEXT NOT NULL,
    survivor_id INTEGER,
    restored_at TEXT
);
CREATE UNIQUE INDEX deletions_open ON deletions (object_type, id) WHERE restored_at IS NULL;
CREATE INDEX deletions_detected_at ON deletions (detected_at);
CREATE TABLE merged_ids (
    object_type TEXT NOT NULL,
    old_id      INTEGER NOT NULL,
    survivor_id INTEGER NOT NULL,
    PRIMARY KEY (object_type, old_id)
);
CREATE INDEX merged_ids_survivor ON merged_ids (object_type, survivor_id);
CREATE TABLE changes (
    object_type TEXT NOT NULL,
    id          INTEGER NOT NULL,
    property    TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    changed_at  TEXT,
    synced_at   TEXT NOT NULL
);
CREATE INDEX changes_record ON changes (object_type, id);
CREATE INDEX changes_changed_at ON changes (changed_at);
ALTER TABLE sync_runs ADD COLUMN verdict TEXT;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list = {
        {1, kV1}, {2, kV2}, {3, kV3}, {4, kLinks}, {5, kLedger},
    };
    return list;
}

std::string object_table_sql(std::string_view table) {
    const std::string t = sql::quote_identifier(table);
    const std::string name(table);
    return fmt::format(
        R"sql(
CREATE TABLE IF NOT EXISTS {0} (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT,
    updated_at  TEXT,
    archived    INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    merged_into INTEGER,
    synced_at   TEXT,
    properties  TEXT
);
CREATE INDEX IF NOT EXISTS {1} ON {0} (updated_at);
CREATE INDEX IF NOT EXISTS {2} ON {0} (id) WHERE archived = 1;
CREATE INDEX IF NOT EXISTS {3} ON {0} (merged_into) WHERE merged_into IS NOT NULL;
CREATE VIEW IF NOT EXISTS {4} AS
    SELECT * FROM {0} WHERE archived = 0 AND merged_into IS NULL;
)sql",
        t, sql::quote_identifier(name + "_updated_at"), sql::quote_identifier(name + "_archived"),
        sql::quote_identifier(name + "_merged_into"), sql::quote_identifier("active_" + name));
}

std::string object_ledger_sql(std::string_view table, std::string_view type_name) {
    const std::string t = sql::quote_identifier(table);
    const std::string name(table);
    const std::string type = sql::quote_literal(type_name);
    // The <table>_by_any_id view (see schema.h) names `active_<table>` with `*`, which SQLite
    // expands whenever it reads the schema, so property columns added later show in it as
    // they do in the active view. A record active under its own id resolves to itself even if
    // merged_ids still names it (a merge HubSpot later undid), so no id maps to two rows.
    // detected_at / restored_at come from the row's synced_at, which every write sets to the
    // writer's clock: the ledger row is written by the same statement, in the same transaction,
    // as the change that caused it, so a crash can neither lose nor duplicate one.
    return fmt::format(
        R"sql(
CREATE INDEX IF NOT EXISTS {1} ON {0} (id) WHERE archived = 0 AND merged_into IS NULL;
CREATE TRIGGER IF NOT EXISTS {2} AFTER INSERT ON {0} WHEN NEW.archived = 1
BEGIN
    INSERT OR IGNORE INTO deletions (object_type, id, reason, detected_at)
    VALUES ({5}, NEW.id, 'archived', NEW.synced_at);
END;
CREATE TRIGGER IF NOT EXISTS {3} AFTER UPDATE OF archived, merged_into ON {0}
WHEN OLD.archived = 0 AND OLD.merged_into IS NULL
     AND (NEW.archived = 1 OR NEW.merged_into IS NOT NULL)
BEGIN
    INSERT OR IGNORE INTO deletions (object_type, id, reason, detected_at, survivor_id)
    VALUES ({5}, NEW.id, CASE WHEN NEW.merged_into IS NULL THEN 'archived' ELSE 'merged' END,
            NEW.synced_at, NEW.merged_into);
END;
CREATE TRIGGER IF NOT EXISTS {4} AFTER UPDATE OF archived, merged_into ON {0}
WHEN (OLD.archived = 1 OR OLD.merged_into IS NOT NULL)
     AND NEW.archived = 0 AND NEW.merged_into IS NULL
BEGIN
    UPDATE deletions SET restored_at = NEW.synced_at
    WHERE object_type = {5} AND id = NEW.id AND restored_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS {6} AFTER UPDATE OF merged_into ON {0}
WHEN OLD.merged_into IS NOT NULL AND NEW.merged_into IS NOT NULL
     AND OLD.merged_into <> NEW.merged_into
BEGIN
    UPDATE deletions SET survivor_id = NEW.merged_into
    WHERE object_type = {5} AND id = NEW.id AND restored_at IS NULL AND reason = 'merged';
END;
CREATE VIEW IF NOT EXISTS {7} AS
    SELECT id AS any_id, * FROM {8}
    UNION ALL
    SELECT m.old_id, a.* FROM merged_ids m JOIN {8} a ON a.id = m.survivor_id
    WHERE m.object_type = {5} AND NOT EXISTS (SELECT 1 FROM {8} x WHERE x.id = m.old_id);
)sql",
        t, sql::quote_identifier(name + "_active_ids"), sql::quote_identifier(name + "_left_new"),
        sql::quote_identifier(name + "_left"), sql::quote_identifier(name + "_back"), type,
        sql::quote_identifier(name + "_merged_again"), sql::quote_identifier(by_any_id_view(table)),
        sql::quote_identifier("active_" + name));
}

std::string by_any_id_view(std::string_view table) {
    return std::string(table) + "_by_any_id";
}

int latest_version() {
    return migrations().back().version;
}

const std::vector<std::string_view>& reserved_column_names() {
    static const std::vector<std::string_view> names = {
        "id",        "created_at", "updated_at", "archived", "archived_at", "merged_into",
        "synced_at", "properties", "rowid",      "oid",      "_rowid_",
    };
    return names;
}

Status migrate(sql::Database& db, int target) {
    HS_ASSIGN_OR_RETURN(std::int64_t current, db.query_int("PRAGMA user_version"));
    if (current == target) return Status::Ok();
    if (current > latest_version()) {
        return make_error(ErrorKind::kIo,
                          fmt::format("database {} has schema version {}, newer than this "
                                      "hubsync understands ({})",
                                      db.path(), current, latest_version()),
                          "upgrade hubsync, or point sync.database at another file");
    }
    for (const Migration& m : migrations()) {
        if (m.version > target) break;
        HS_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE", "starting a schema migration"));
        // Another process may have migrated between our check and the lock.
        auto version = db.query_int("PRAGMA user_version");
        Status step = version.ok() ? Status::Ok() : Status(version.error());
        if (step.ok() && *version == 0 && m.version == 1) {
            auto tables = db.query_int("SELECT count(*) FROM sqlite_schema");
            if (!tables.ok()) {
                step = tables.error();
            } else if (*tables > 0) {
                step = make_error(ErrorKind::kIo,
                                  fmt::format("{} is a SQLite database of another application "
                                              "(it has tables but no hubsync schema version)",
                                              db.path()),
                                  "point sync.database at a new file");
            }
        }
        if (step.ok() && *version < m.version) {
            step = db.exec(m.sql, fmt::format("migrating the schema to version {}", m.version));
            if (step.ok())
                step = db.exec(fmt::format("PRAGMA user_version = {}", m.version),
                               "recording the schema version");
        }
        if (step.ok()) step = db.exec("COMMIT", "committing a schema migration");
        if (!step.ok()) {
            (void)db.exec("ROLLBACK", "rolling back a schema migration");
            return step;
        }
    }
    return Status::Ok();
}

}  // namespace hubsync::mirror_schema
