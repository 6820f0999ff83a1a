// Four reporting-tool processes query the mirror without pause while `hubsync sync` backfills
// it: no query may fail, a reader must never see part of a page, and the WAL file must stay
// under 64 MB (checkpoints keep up although readers always hold a snapshot somewhere).
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "chaos.h"

namespace hubsync::chaos {
namespace {

std::atomic<bool> g_stop{false};

void on_term(int) {
    g_stop = true;
}

constexpr std::int64_t kWalLimit = 64LL << 20;

}  // namespace

// One reader: opens the mirror read-only (waiting for the file to appear) and runs a mix of
// report queries, each in its own read transaction, until SIGTERM. Within a backfill from an
// empty mirror every record is written once, by a page that adds its rows to the run's
// records_written in the same transaction: a reader that sees a row count other than that
// counter saw part of a page. Prints one summary line; exit 0 when no query failed and no half
// page was seen.
int reader_main(const std::string& database, std::int64_t final_count) {
    std::signal(SIGTERM, on_term);
    while (!g_stop && !std::filesystem::exists(database))
        std::this_thread::sleep_for(5ms);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        std::printf("reader: cannot open %s: %s\n", database.c_str(), sqlite3_errmsg(db));
        return 1;
    }
    // What a reporting tool sets (the sqlite3 shell's .timeout); writers never hold the lock
    // for long, so this is a bound, not a wait that happens.
    sqlite3_busy_timeout(db, 1000);
    std::int64_t queries = 0, errors = 0, half_pages = 0, rows_seen = 0;
    std::string first_error;
    std::mt19937_64 rng(static_cast<std::uint64_t>(::getpid()));
    const auto step_all = [&](const std::string& sql, std::int64_t* first_value) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
        // Before the first page the schema may not exist yet: not a failure of the product.
        if (rc != SQLITE_OK && std::string(sqlite3_errmsg(db)).find("no such") == 0) return true;
        bool first = true;
        while (rc == SQLITE_OK || rc == SQLITE_ROW) {
            if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) break;
            if (first && first_value != nullptr) *first_value = sqlite3_column_int64(stmt, 0);
            first = false;
            ++rows_seen;
        }
        const bool ok = rc == SQLITE_DONE;
        if (!ok) {
            ++errors;
            if (first_error.empty()) first_error = sql + ": " + sqlite3_errmsg(db);
        }
        sqlite3_finalize(stmt);
        return ok;
    };
    while (!g_stop) {
        ++queries;
        if (!step_all("BEGIN", nullptr)) continue;
        std::int64_t count = -1, written = -1;
        step_all("SELECT count(*) FROM contacts", &count);
        step_all("SELECT coalesce(sum(records_written), 0) FROM sync_runs", &written);
        if (count > 0 && written >= 0 && count != written && count != final_count) {
            ++half_pages;
            if (first_error.empty())
                first_error = "saw " + std::to_string(count) + " rows but " +
                              std::to_string(written) + " written";
        }
        switch (rng() % 4) {
            case 0:
                step_all(
                    "SELECT id, email, firstname, updated_at FROM active_contacts WHERE id >= " +
                        std::to_string(1000 + rng() % 300'000) + " ORDER BY id LIMIT 50",
                    nullptr);
                break;
            case 1:
                step_all("SELECT lifecyclestage, count(*) FROM contacts GROUP BY 1", nullptr);
                break;
            case 2:
                step_all("SELECT count(*), max(updated_at) FROM contacts WHERE archived = 0",
                         nullptr);
                break;
            default:
                step_all("SELECT * FROM sync_runs ORDER BY rowid DESC LIMIT 5", nullptr);
                break;
        }
        step_all("COMMIT", nullptr);
    }
    sqlite3_close(db);
    std::printf("reader: %lld queries, %lld errors, %lld half pages%s%s\n",
                static_cast<long long>(queries), static_cast<long long>(errors),
                static_cast<long long>(half_pages),
                first_error.empty() ? "" : "; first: ", first_error.c_str());
    return errors == 0 && half_pages == 0 ? 0 : 1;
}

Outcome run_readers(const Options& options) {
    Outcome o;
    sim::SimOptions so;
    so.contacts = options.reduced ? 20'000 : 100'000;
    so.custom_properties = 26;  // 50 properties in all, as in the benchmarks
    so.rate_limits = false;
    so.token_ttl = std::chrono::hours(24);
    so.seed = options.seed + 3;
    so.threads = 4;
    Workspace ws(options, "readers", so);
    ws.write_config("requests_per_10s = 190\n", "", true, "warning");
    const auto final_count = static_cast<std::int64_t>(ws.sim().contact_ids(true).size());

    std::vector<std::unique_ptr<e2e::ChildProcess>> readers;
    for (int i = 0; i < 4; ++i) {
        readers.push_back(std::make_unique<e2e::ChildProcess>(
            options.self,
            std::vector<std::string>{"--reader", ws.database(), std::to_string(final_count)}));
    }
    o.ran = 4;
    auto sync = ws.spawn({"sync"});
    const std::string wal = ws.database() + "-wal";
    std::int64_t wal_peak = 0;
    std::optional<int> code;
    const auto deadline = std::chrono::steady_clock::now() + 600s;
    while (!(code = sync->wait_exit(20ms)) && std::chrono::steady_clock::now() < deadline) {
        struct stat st {};
        if (::stat(wal.c_str(), &st) == 0) wal_peak = std::max<std::int64_t>(wal_peak, st.st_size);
    }
    sync->finish(10s);
    if (code != 0)
        o.fail("the backfill exited " + std::to_string(code.value_or(-1)) + ": " +
               sync->err().substr(0, 300));
    for (auto& reader : readers) {
        reader->signal(SIGTERM);
        const auto rc = reader->finish(30s);
        const std::string line = reader->out();
        if (rc == 0) {
            ++o.survived;
        } else {
            o.fail("reader " + std::to_string(reader->pid()) + ": exit " +
                   std::to_string(rc.value_or(-1)) + " " + line + reader->err().substr(0, 200));
        }
        progress(options, line.substr(0, line.find('\n')));
        if (&reader == &readers.front()) {
            const auto from = line.find(": ") + 2;
            o.measure("reader 1: " + line.substr(from, line.find(',') - from));
        }
    }
    char peak[64];
    std::snprintf(peak, sizeof peak, "WAL peak %.1f MB", static_cast<double>(wal_peak) / 1e6);
    o.measure(peak);
    if (wal_peak >= kWalLimit) o.fail(std::string(peak) + ", limit 64 MiB");
    o.record(ws.check());
    return o;
}

}  // namespace hubsync::chaos
