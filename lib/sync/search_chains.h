// Search keyset chains over id ranges: several chains at once, each walking an id range of its
// own by search (ids and modification times, 200 a page, ascending id), as many as the search
// rate times the latency needs. The calling thread handles each page; the ranges left go with
// that page, so a caller that commits them with the page resumes where it ended. Used by the
// incremental window (changed ids) and by the reconcile sweep (every id).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"

namespace hubsync {

inline constexpr RecordId kLargestRecordId = std::numeric_limits<RecordId>::max();

// Ids left to walk in one range: (cursor, hi].
struct IdWalkRange {
    RecordId cursor = 0;
    RecordId hi = 0;
};

// "cursor:hi,cursor:hi,...": the ranges as committed in sync_state.
std::string encode_ranges(const std::vector<IdWalkRange>& ranges);
std::optional<std::vector<IdWalkRange>> decode_ranges(std::string_view text);

// Ranges from `from` up to the largest id, cut at even steps over (lowest, top] into at most
// `chains` pieces none narrower than `min_split`: the first starts at `from`, the last reaches
// the largest id.
std::vector<IdWalkRange> even_ranges(RecordId from, RecordId lowest, RecordId top, int chains,
                                     RecordId min_split);

// sync_state key (per object type) of a reconcile sweep in progress: ReconcileState::encode().
// Absent when no sweep is under way.
inline constexpr const char* kStateReconcileProgress = "reconcile.progress";

// What is left of a reconcile sweep. Committed with every page.
struct ReconcileState {
    using Range = IdWalkRange;
    // Active ids left to walk. The ranges cover every id from 0 up, so rows the mirror holds
    // outside HubSpot's id span are compared too.
    std::vector<Range> ranges;
    // HubSpot's highest id when the sweep began: where the top range (up to the largest id)
    // stops being worth splitting.
    RecordId top = 0;
    // The active walk is done; the archived list is next (walked from its start on a resume).
    bool archived_phase = false;

    std::string encode() const;
    static std::optional<ReconcileState> decode(const std::string& text);
};

struct SearchChainsOptions {
    int search_limit = 200;
    int searches_per_second = 4;  // the search bucket's budget (for how many chains to run)
    int max_chains = 8;
    // Fetched pages waiting to be handled, across chains: few, as a stop drops them.
    int max_queued_pages = 8;
    // A range is not split below this many ids.
    RecordId min_split = 400;
    // ANDed to every chain's id filter (the incremental window's modification times).
    std::vector<SearchFilter> filters;
    StopSource* stop = nullptr;
};

class SearchChains final {
  public:
    // One search page, in the calling thread.
    struct Page {
        // Every id HubSpot's search holds in (covered.lo, covered.hi] that matches the filters
        // is in `hits`.
        IdRange covered;
        std::vector<Record> hits;  // ids and modification times, ascending
        // The ranges left after this page, to commit with it.
        std::vector<IdWalkRange> left;
    };
    // Handles a page and commits (or queues for commit) what it found with `left`. Pages must
    // be committed in the order they are handed over.
    using Apply = std::function<Status(Page&)>;

    // All references must outlive the chains.
    SearchChains(HubSpotApi& api, const ObjectType& type, SearchChainsOptions options, Apply apply);

    // Walks `ranges` to their ends; ranges are split, and their new parts walked by chains of
    // their own, up to `top` (the top range, up to the largest id, is not split above it).
    // kCancelled on a stop; the first chain's error otherwise (the others are stopped and
    // joined first).
    Status run(const std::vector<IdWalkRange>& ranges, RecordId top);

    // Chains worth running at the measured latency (search_chains_for, chain_pool.h).
    int chains_wanted() const;

    struct Counts {
        std::int64_t pages = 0;
        std::int64_t splits = 0;
        int peak_chains = 0;
    };
    const Counts& counts() const { return counts_; }

  private:
    class Runner;

    HubSpotApi& api_;
    const ObjectType& type_;
    SearchChainsOptions options_;
    Apply apply_;
    Counts counts_;
};

// A new reconcile sweep: every id from 0 up, split into as many ranges as chains are wanted at
// even steps over HubSpot's id span (two searches). `search_total`, when given, receives how
// many records search counts.
Result<ReconcileState> fresh_reconcile_state(HubSpotApi& api, const ObjectType& type, int chains,
                                             RecordId min_split,
                                             std::int64_t* search_total = nullptr);

}  // namespace hubsync
