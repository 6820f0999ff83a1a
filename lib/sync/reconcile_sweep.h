// The active half of the reconcile sweep: every id search knows, walked by several keyset
// chains at once, each on an id range of its own, as many as the search rate times the latency
// needs. The calling thread compares each page with the mirror; the sweep's progress (the
// ranges left) goes with that page's commit, so a stopped sweep resumes where it ended.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"

namespace hubsync {

// sync_state key (per object type) of a sweep in progress: ReconcileState::encode(). Absent
// when no sweep is under way.
inline constexpr const char* kStateReconcileProgress = "reconcile.progress";

// What is left of a sweep. Committed with every page.
struct ReconcileState {
    // Active ids left to walk: for each range, ids in (cursor, hi]. The ranges cover every id
    // from 0 up, so rows the mirror holds outside HubSpot's id span are compared too.
    struct Range {
        RecordId cursor = 0;
        RecordId hi = 0;
    };
    std::vector<Range> ranges;
    // HubSpot's highest id when the sweep began: where the top range (up to the largest id)
    // stops being worth splitting.
    RecordId top = 0;
    // The active walk is done; the archived list is next (walked from its start on a resume).
    bool archived_phase = false;

    std::string encode() const;
    static std::optional<ReconcileState> decode(const std::string& text);
};

struct ReconcileSweepOptions {
    int search_limit = 200;
    int searches_per_second = 4;  // the search bucket's budget (for how many chains to run)
    int max_chains = 8;
    // Fetched pages waiting to be compared, across chains: few, as a stop drops them.
    int max_queued_pages = 8;
    // A range is not split below this many ids.
    RecordId min_split = 400;
    StopSource* stop = nullptr;
};

class ReconcileSweep final {
  public:
    // One search page, in the calling thread.
    struct Page {
        // Every active id HubSpot's search holds in (covered.lo, covered.hi] is in `hits`.
        IdRange covered;
        std::vector<Record> hits;  // ids and modification times, ascending
        std::string state;         // the sweep's state after this page, to commit with it
    };
    // Compares a page with the mirror and commits (or queues for commit) what it found with
    // the page's state. Pages must be committed in the order they are handed over.
    using Apply = std::function<Status(Page&)>;

    // All references must outlive the sweep.
    ReconcileSweep(HubSpotApi& api, const ObjectType& type, ReconcileSweepOptions options,
                   Apply apply);

    // A new sweep: every id from 0 up, split into as many ranges as chains are wanted, at
    // even steps over HubSpot's id span (two searches).
    Result<ReconcileState> fresh_state() const;

    // Walks the ranges of `state` to their ends. kCancelled on a stop; the first chain's error
    // otherwise (the others are stopped and joined first).
    Status run(const ReconcileState& state);

    struct Counts {
        std::int64_t pages = 0;
        std::int64_t splits = 0;
        int peak_chains = 0;
    };
    const Counts& counts() const { return counts_; }

  private:
    class Runner;
    // Chains worth running: the search rate times the measured latency, plus one.
    int chains_wanted() const;

    HubSpotApi& api_;
    const ObjectType& type_;
    ReconcileSweepOptions options_;
    Apply apply_;
    Counts counts_;
};

}  // namespace hubsync
