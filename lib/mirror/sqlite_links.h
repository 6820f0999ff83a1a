// The SQLite LinkMirror: association rows, owners, pipelines, property options and the report
// views, on the mirror's own connection (SqliteMirror makes one for Mirror::links()).
#pragma once

#include <memory>

#include "core/clock.h"
#include "mirror/links.h"
#include "mirror/sqlite_db.h"

namespace hubsync {

// `db` and `clock` (for sync_state times) must outlive the result. With `read_only`, every write is
// refused (kInternal).
std::unique_ptr<LinkMirror> make_sqlite_links(sql::Database& db, bool read_only, Clock& clock);

}  // namespace hubsync
