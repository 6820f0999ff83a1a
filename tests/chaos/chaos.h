// hubsync-chaos: scenarios that break things on purpose (SIGKILLs, server faults, a full disk,
// busy readers) around the real `hubsync` executable and an in-process simulator, then check
// that the mirror converges to the simulator's truth. One line per scenario: what ran, what
// survived, how many rows were lost.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "e2e/e2e_util.h"
#include "sim/simulator.h"
#include "support/truth_check.h"

namespace hubsync::chaos {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

struct Options {
    bool reduced = false;        // the CI size: same scenarios, fewer events and contacts
    std::uint64_t seed = 1;      // every random choice derives from it; printed for a rerun
    std::string hubsync;         // the hubsync executable under test
    std::string self;            // this executable (reader processes run it again)
    std::filesystem::path work;  // scratch directory; each scenario takes a subdirectory
    bool verbose = false;        // progress on stderr
    // The kills scenario's simulator holds every answer this long (a far-away HubSpot).
    Millis latency{0};
    // This process has its own mount namespace, so disk-full can mount a small tmpfs. Set up
    // in main() while the process is still single-threaded; false when the system forbids it.
    bool private_mounts = false;
    std::string private_mounts_problem;  // why not, when false
};

// What one scenario did and found. It passes when `failures` is empty.
struct Outcome {
    std::string scenario;
    int ran = 0;                 // events injected: kills, fault phases, reader processes, ...
    int survived = 0;            // of those, the ones the product came through as it must
    std::int64_t lost_rows = 0;  // after convergence: HubSpot rows missing or stale
    std::int64_t duplicated_rows = 0;   // after convergence: rows HubSpot does not have
    std::vector<std::string> measures;  // "max 10 s window: 98 requests", "WAL peak 3.1 MB"
    std::vector<std::string> failures;  // why it did not pass, one reason each

    bool passed() const { return failures.empty(); }
    void fail(std::string why) { failures.push_back(std::move(why)); }
    void measure(std::string what) { measures.push_back(std::move(what)); }
    // Records a convergence check: rows lost/duplicated, and a failure for each problem.
    void record(const testing::TruthCheck& check);
};

// The first column of the first row of `sql` (with `parameter` bound to ?1), through a
// read-only connection, as a reporting tool would open the file; nothing when the database,
// the query or the row is missing.
std::optional<std::string> read_only_text(const std::string& database, const std::string& sql,
                                          const std::optional<std::string>& parameter = {});

// PRAGMA quick_check through a read-only connection.
bool quick_check(const std::string& database);

// Progress lines on stderr when --verbose.
void progress(const Options& options, const std::string& line);

// A scratch directory with an in-process simulator, a private-app token and a config for the
// hubsync under test. Subclasses of the pattern (OAuth tokens, other paths) write their own
// config through write_config's `hubspot_extra` and `sync_extra`.
class Workspace final {
  public:
    Workspace(const Options& options, const std::string& name, const sim::SimOptions& sim_options,
              std::filesystem::path database_dir = {});
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    sim::Simulator& sim() { return *sim_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string database() const { return (database_dir_ / "hubspot.db").string(); }
    std::string state_dir() const { return (dir_ / "state").string(); }
    const std::string& config_path() const { return config_path_; }

    // Writes the config (by rename, as an editor does). With `private_app` the [hubspot]
    // section names the token file; otherwise `hubspot_extra` must supply the credentials.
    void write_config(const std::string& sync_extra, const std::string& hubspot_extra = "",
                      bool private_app = true, const std::string& level = "warning");

    // Starts `hubsync --config <config> <command...>`, output captured.
    std::unique_ptr<e2e::ChildProcess> spawn(const std::vector<std::string>& command) const;
    // Runs a command to its end; the exit code, or -1 when it did not end within `timeout`.
    int run(const std::vector<std::string>& command, Millis timeout, std::string* err = nullptr);

    // Random changes on the HubSpot side: updates, a create, an archive, a merge, a GDPR
    // delete, in proportion to `scale` (1 = 30 updates). Without `gdpr_deletes` no contact is
    // deleted for good: only a reconcile sweep finds those, and a short run may see none.
    void mutate(std::mt19937_64& rng, int scale = 1, bool gdpr_deletes = true);

    // The mirror against the simulator's truth (read-only connection).
    testing::TruthCheck check() const;

  private:
    const Options& options_;
    std::filesystem::path dir_;
    std::filesystem::path database_dir_;
    std::unique_ptr<sim::Simulator> sim_;
    std::string config_path_;
};

Outcome run_kills(const Options& options);
Outcome run_faults(const Options& options);
Outcome run_disk_full(const Options& options);
Outcome run_readers(const Options& options);

// `hubsync-chaos --reader DB FINAL_COUNT`: one reporting-tool process for run_readers.
int reader_main(const std::string& database, std::int64_t final_count);

}  // namespace hubsync::chaos
