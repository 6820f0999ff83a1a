// The mirror's schema as an ordered list of forward migrations; PRAGMA user_version records
// how many have been applied. Version 1 is the schema of the product contract.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mirror/sqlite_db.h"

namespace hubsync::mirror_schema {

struct Migration {
    int version;           // user_version after this migration
    std::string_view sql;  // statements run in the migration's transaction
};

// Every migration, in order; versions are 1, 2, ... without gaps.
const std::vector<Migration>& migrations();
int latest_version();

// The table, indexes and `active_<table>` view of one object type, all IF NOT EXISTS (the
// contacts' ones exist since version 1 and 2 under the same names).
std::string object_table_sql(std::string_view table);

// The ledger's per-table part for one object type, all IF NOT EXISTS: the index of active ids
// (range counts for the change detector), the triggers that write `deletions` rows when a
// row leaves the active set (archived, merged away) or comes back (restored_at), and the
// <table>_by_any_id view. Run on every registered table whenever a writer opens the database,
// so a mirror of any earlier version gets them without a migration.
std::string object_ledger_sql(std::string_view table, std::string_view type_name);

// The view that resolves any id a record ever had to its active row: `any_id`, then the
// columns of `active_<table>`. Every active record appears under its own id, and every old id
// in merged_ids under its final survivor's row; archived survivors do not appear. One join on
// any_id replaces the coalesce over merged_ids. (A property column that is itself called
// any_id shows as `any_id:1`, SQLite's name for a view's second column of one name.)
std::string by_any_id_view(std::string_view table);

// The fixed columns of every object table, lower case. A property whose name equals one of these
// (or a rowid alias) gets the column `property_<name>`.
const std::vector<std::string_view>& reserved_column_names();

// Brings the database from its user_version to `target` (one transaction per migration).
// Fails when the database is newer than this build or is some other application's file.
Status migrate(sql::Database& db, int target);

}  // namespace hubsync::mirror_schema
