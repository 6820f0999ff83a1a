// Shared fixtures for the mirror tests: a temporary directory, contact builders and a raw
// SQLite connection for checking what reporting tools would see.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "mirror/sqlite_mirror.h"
#include "model/record.h"
#include "support/temp_dir.h"

namespace hubsync::mirror_test {

using testing::TempDir;

inline PropertyDef def(std::string name, std::string type = "string",
                       std::string field_type = "text") {
    PropertyDef d;
    d.name = std::move(name);
    d.label = d.name + " label";
    d.type = std::move(type);
    d.field_type = std::move(field_type);
    d.group_name = "contactinformation";
    d.description = "about " + d.name;
    return d;
}

// Upserts `records` of contacts and applies `state` in one transaction.
inline Result<PageResult> write_page(Mirror& mirror, const std::vector<Record>& records,
                                     const std::vector<StateUpdate>& state = {}) {
    PageWrite page;
    page.records = records;
    page.state = state;
    return mirror.write(contacts_type(), page);
}

// Marks contact `absorbed` as merged into `survivor` (its own transaction).
inline Status mark_merged(Mirror& mirror, RecordId absorbed, RecordId survivor) {
    PageWrite page;
    page.merges.push_back({absorbed, survivor});
    auto r = mirror.write(contacts_type(), page);
    if (!r.ok()) return std::move(r).error();
    return Status::Ok();
}

inline Record contact(RecordId id, std::string updated_at,
                      std::vector<PropertyValue> properties = {}) {
    Record c;
    c.id = id;
    c.created_at = "2024-01-01T00:00:00.000Z";
    c.updated_at = std::move(updated_at);
    c.properties = std::move(properties);
    return c;
}

// A raw connection, as the sqlite3 shell or a reporting tool would open the file.
class RawDb final {
  public:
    explicit RawDb(const std::string& path, bool read_only = true) {
        const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        rc_ = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    }
    ~RawDb() { sqlite3_close(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    bool ok() const { return rc_ == SQLITE_OK; }
    sqlite3* handle() const { return db_; }

    int exec(const std::string& sql) {
        return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    }
    // All rows, each cell as text ("NULL" for NULL), cells joined by '|'.
    std::vector<std::string> rows(const std::string& sql) {
        std::vector<std::string> out;
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << "prepare failed: " << sqlite3_errmsg(db_) << " for " << sql;
            return out;
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
            std::string row;
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                if (i) row += "|";
                const auto* t = sqlite3_column_text(st, i);
                row += t ? reinterpret_cast<const char*>(t) : "NULL";
            }
            out.push_back(row);
        }
        sqlite3_finalize(st);
        return out;
    }
    std::string one(const std::string& sql) {
        auto r = rows(sql);
        return r.empty() ? std::string("<no row>") : r.front();
    }

  private:
    sqlite3* db_ = nullptr;
    int rc_ = SQLITE_ERROR;
};

inline std::unique_ptr<Mirror> open_mirror(const std::string& path, MirrorOptions options = {}) {
    auto m = SqliteMirror::open(path, options);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe());
    if (!m.ok()) return nullptr;
    return std::move(m).value();
}

}  // namespace hubsync::mirror_test
