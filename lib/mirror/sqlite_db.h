// Thin RAII over the SQLite C API for the mirror, and the one place where SQLite result codes
// become Result errors (what happened, on which file, and what to do).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace hubsync::sql {

// Converts a SQLite result code into an Error naming the database file and what was being
// done. Busy/locked -> kTransient; disk full, I/O, permissions, corruption -> kIo.
Error to_error(int rc, sqlite3* db, std::string_view doing, const std::string& path);

// A prepared statement. Bound text is SQLITE_STATIC: the caller keeps it alive until step().
class Statement final {
  public:
    Statement() = default;
    explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
    Statement& operator=(Statement&& other) noexcept {
        if (this != &other) {
            sqlite3_finalize(stmt_);
            stmt_ = std::exchange(other.stmt_, nullptr);
        }
        return *this;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    explicit operator bool() const { return stmt_ != nullptr; }
    sqlite3_stmt* get() const { return stmt_; }

    void reset() { sqlite3_reset(stmt_); }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
    void bind(int i, std::string_view v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
    // Binds NULL for an empty string.
    void bind_or_null(int i, std::string_view v) {
        if (v.empty())
            bind_null(i);
        else
            bind(i, v);
    }
    int step() { return sqlite3_step(stmt_); }

    std::int64_t column_int64(int i) const { return sqlite3_column_int64(stmt_, i); }
    bool column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
    std::string column_text(int i) const {
        const auto* p = sqlite3_column_text(stmt_, i);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
                 : std::string();
    }

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Owns the connection; every call reports errors against `path`.
class Database final {
  public:
    Database() = default;
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Status open(const std::string& path, int flags, const char* vfs = nullptr);
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }

    // Runs one or more statements that return no rows.
    Status exec(std::string_view sql, std::string_view doing);
    // `persistent` hints SQLite that the statement is reused for the whole connection.
    Result<Statement> prepare(std::string_view sql, bool persistent = false);
    // Steps a statement expected to finish (DML): SQLITE_DONE -> ok, else the error. Resets it.
    Status run(Statement& stmt, std::string_view doing);
    // One integer from a single-row query (0 when there is no row or it is NULL).
    Result<std::int64_t> query_int(std::string_view sql);
    std::int64_t changes() const { return sqlite3_changes64(db_); }

    Error error(int rc, std::string_view doing) const { return to_error(rc, db_, doing, path_); }

  private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// Double-quotes an identifier for SQL, doubling embedded quotes.
std::string quote_identifier(std::string_view name);
// `text` as an SQL string literal ('it''s'), for generated DDL that cannot take parameters.
std::string quote_literal(std::string_view text);

}  // namespace hubsync::sql
