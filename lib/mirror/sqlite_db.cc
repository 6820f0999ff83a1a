// SQLite connection and statement helpers, and SQLite result codes as Result errors.
#include "mirror/sqlite_db.h"

#include <fmt/core.h>

#include <cerrno>

namespace hubsync::sql {

Error to_error(int rc, sqlite3* db, std::string_view doing, const std::string& path) {
    // Callers convert right after the failing call, so errno still holds the failed write's
    // cause when SQLite did not record it (sqlite3_system_errno is 0 on the commit path).
    const int saved_errno = errno;
    const int primary = rc & 0xff;
    // errmsg describes the last failure on this connection; for an open failure db may be
    // the half-open handle, which still carries the message.
    const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    // SQLite reports ENOSPC on a short write as SQLITE_FULL, but ENOSPC from fsync or
    // ftruncate, quota and file size limits arrive as SQLITE_IOERR with the errno kept.
    int sys_errno = db ? sqlite3_system_errno(db) : 0;
    if (sys_errno == 0 && primary == SQLITE_IOERR) sys_errno = saved_errno;
    if (primary == SQLITE_FULL ||
        (primary == SQLITE_IOERR && (sys_errno == ENOSPC || sys_errno == EDQUOT))) {
        return make_error(
            ErrorKind::kIo, fmt::format("disk full while {} in database {}", doing, path),
            "free space on the file system holding the database (or raise the "
            "quota); the interrupted transaction was rolled back, so nothing is half-written");
    }
    if (primary == SQLITE_IOERR && sys_errno == EFBIG) {
        return make_error(
            ErrorKind::kIo,
            fmt::format("file size limit reached while {} in database {}", doing, path),
            "raise the process file size limit (ulimit -f, LimitFSIZE= in the systemd unit); "
            "the interrupted transaction was rolled back, so nothing is half-written");
    }
    switch (primary) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return make_error(
                ErrorKind::kTransient,
                fmt::format("database {} stayed locked while {}: {}", path, doing, detail),
                "another process is writing to it (only one hubsync service or sync should "
                "run at a time); it will be retried");
        case SQLITE_CANTOPEN:
            return make_error(ErrorKind::kIo,
                              fmt::format("cannot open database {}: {}", path, detail),
                              "check that the directory exists and that the hubsync user may "
                              "read and write it (sync.database in the config)");
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return make_error(
                ErrorKind::kIo,
                fmt::format("database {} is not writable while {}: {}", path, doing, detail),
                "check the permissions of the database file, its -wal and -shm files and "
                "its directory");
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return make_error(
                ErrorKind::kIo,
                fmt::format("database {} is damaged or not a SQLite file ({}): {}", path, doing,
                            detail),
                "move the file away and run `hubsync sync --full` to rebuild the mirror");
        case SQLITE_IOERR:
            return make_error(
                ErrorKind::kIo,
                fmt::format("I/O error on database {} while {}: {}", path, doing, detail),
                "check the disk and file system holding the database");
        case SQLITE_NOMEM:
            return make_error(ErrorKind::kIo,
                              fmt::format("out of memory while {} in database {}", doing, path),
                              "free memory on the machine and retry");
        default:
            return make_error(ErrorKind::kIo,
                              fmt::format("database {} failed while {}: {} (SQLite code {})", path,
                                          doing, detail, rc),
                              "check the database with `sqlite3 FILE 'PRAGMA integrity_check'`");
    }
}

Database::~Database() {
    // Statements are owned elsewhere and finalized before the Database; close_v2 defers the
    // close if one is still open rather than failing.
    if (db_) sqlite3_close_v2(db_);
}

Status Database::open(const std::string& path, int flags, const char* vfs) {
    path_ = path;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
    if (rc != SQLITE_OK) {
        Error e = to_error(rc, db_, "opening", path);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        return e;
    }
    sqlite3_extended_result_codes(db_, 1);
    return Status::Ok();
}

Status Database::exec(std::string_view sql, std::string_view doing) {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(rc, doing);
    return Status::Ok();
}

Result<Statement> Database::prepare(std::string_view sql, bool persistent) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      persistent ? SQLITE_PREPARE_PERSISTENT : 0u, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return error(rc, "preparing a statement");
    }
    return Statement(stmt);
}

Status Database::run(Statement& stmt, std::string_view doing) {
    const int rc = stmt.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        Error e = error(rc, doing);  // before reset(), which clears the system errno
        stmt.reset();
        return e;
    }
    stmt.reset();
    return Status::Ok();
}

Result<std::int64_t> Database::query_int(std::string_view sql) {
    HS_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
    const int rc = stmt.step();
    if (rc == SQLITE_ROW) return stmt.column_int64(0);
    if (rc == SQLITE_DONE) return std::int64_t{0};
    return error(rc, "reading");
}

std::string quote_literal(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('\'');
    for (char c : text) {
        if (c == '\'') out.push_back('\'');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

std::string quote_identifier(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out.push_back('"');
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

}  // namespace hubsync::sql
