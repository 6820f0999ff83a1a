// Compares a mirror with the simulator's ground truth: the check behind the sync tests and the
// chaos command. Counts, not just a yes/no, so a chaos run can say how many rows were lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mirror/sqlite_mirror.h"
#include "sim/simulator.h"

namespace hubsync::testing {

struct TruthCheck {
    std::int64_t truth_contacts = 0;  // records HubSpot has, active and archived
    std::int64_t mirror_rows = 0;     // mirror rows not merged away
    std::int64_t missing = 0;         // in HubSpot, not in the mirror
    std::int64_t differing = 0;       // in both, but a flag, timestamp or value differs
    // Unmerged mirror rows HubSpot does not have: deleted contacts kept, or a contact twice.
    std::int64_t extra = 0;
    bool integrity_ok = false;       // PRAGMA integrity_check said "ok"
    std::vector<std::string> lines;  // one per difference (at most the limit given), for people

    // Rows whose HubSpot version is not in the mirror: lost (never arrived) or stale.
    std::int64_t lost() const { return missing + differing; }
    bool equal() const { return missing == 0 && differing == 0 && extra == 0 && integrity_ok; }
};

// Compares every record and property of `type` (contacts when not given). `max_lines` bounds
// `lines`, not the counts.
TruthCheck check_against_truth(const sim::Simulator& sim, Mirror& mirror,
                               std::size_t max_lines = 1000);
TruthCheck check_against_truth(const sim::Simulator& sim, Mirror& mirror, const ObjectType& type,
                               std::size_t max_lines = 1000);

}  // namespace hubsync::testing
