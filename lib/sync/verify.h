// `hubsync verify`: compares the mirror with HubSpot per object type - active counts (one
// search each), the newest change on both sides, the time since the last sweeps - and says
// whether they agree, differ only by what changes still in flight explain (search lag, changes
// after the last cycle), or disagree. Each result is recorded in sync_runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"

namespace hubsync {

inline constexpr const char* kVerdictAgree = "agree";
inline constexpr const char* kVerdictInFlight = "in-flight";
inline constexpr const char* kVerdictDisagree = "disagree";

struct TypeVerdict {
    std::string object_type;
    std::int64_t hubspot_active = -1;  // HubSpot's search total
    std::int64_t mirror_active = -1;   // the active_<table> view's count
    std::string hubspot_newest;        // newest modification time HubSpot's search shows
    std::string mirror_newest;         // newest updated_at of an active mirror row
    // Changes that explain a difference while they are in flight: HubSpot records modified
    // after the mirror's newest, and mirror rows and ledger entries of the last `lookback`
    // (search has not indexed them yet).
    std::int64_t unsynced = 0;
    std::int64_t recent = 0;
    std::string last_reconcile_at;  // empty when never
    std::int64_t since_reconcile_ms = -1;
    std::string last_archive_sweep_at;  // empty when never
    std::int64_t since_archive_sweep_ms = -1;
    std::string verdict;  // kVerdict*
    std::string detail;   // what differs, for people; empty when they agree
    std::int64_t requests = 0;
};

struct VerifyOptions {
    Millis lookback{10 * 60'000};
};

// Verifies every type in `types` and records each verdict in the mirror. An API or mirror
// error ends the run (the verdicts so far are recorded).
Result<std::vector<TypeVerdict>> verify_mirror(HubSpotApi& api, Mirror& mirror, Clock& clock,
                                               const std::vector<ObjectType>& types,
                                               const VerifyOptions& options = {});

}  // namespace hubsync
