// The sync engine: one cycle of keeping the mirror equal to HubSpot. Backfill until complete,
// then incremental search windows, the archive sweep and the reconcile sweep when due. Every
// cursor is committed in the same transaction as the rows it covers (see ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "sync/request_plan.h"

namespace hubsync {

// sync_state keys owned by the engine (besides the ones mirror.h names).
inline constexpr const char* kStateBackfillPhase = "backfill.phase";         // active|archived
inline constexpr const char* kStateBackfillStarted = "backfill.started_ms";  // epoch ms
inline constexpr const char* kStateWindow = "incremental.window";            // since:until:last_id
inline constexpr const char* kStateArchivedSweep = "archived.last_ms";       // epoch ms

struct SyncProgress {
    std::string phase;  // "backfill", "backfill (archived)", "incremental", ...
    std::int64_t pages = 0;
    std::int64_t contacts = 0;   // contacts written in this phase
    std::int64_t expected = -1;  // estimate of the phase's total, -1 when unknown
    Millis elapsed{0};
};

struct SyncOptions {
    std::vector<std::string> properties;  // empty = every property
    Millis lookback{10 * 60'000};
    Millis archived_interval{30 * 60'000};
    Millis reconcile_interval{24 * 3'600'000};
    int max_url_length = 8000;
    int search_limit = 200;
    StopSource* stop = nullptr;
    std::function<void(const SyncProgress&)> on_progress;  // after every page
    std::function<void()> on_page;                         // after every committed page (watchdog)
};

struct CycleRequest {
    bool full = false;             // re-read every contact and run the reconcile sweep
    bool force_reconcile = false;  // run the reconcile sweep now
};

struct CycleReport {
    std::string mode;  // backfill | incremental | full | reconcile
    std::int64_t contacts_written = 0;
    std::int64_t requests = 0;
    std::int64_t removed = 0;  // rows the reconcile sweep removed
    bool backfill_complete = false;
    bool archive_swept = false;
    bool reconciled = false;
    RequestPlan plan;
};

class SyncEngine final {
  public:
    // All references must outlive the engine. Not thread-safe.
    SyncEngine(HubSpotApi& api, Mirror& mirror, Clock& clock, SyncOptions options);

    // Runs one cycle. On error the mirror holds every page committed before it; the next
    // cycle resumes from there. kCancelled when options.stop was requested.
    Result<CycleReport> run_cycle(const CycleRequest& request = {});

  private:
    class Cycle;
    HubSpotApi& api_;
    Mirror& mirror_;
    Clock& clock_;
    SyncOptions options_;
};

}  // namespace hubsync
