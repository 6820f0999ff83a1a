// The active phase of a backfill, read through both of HubSpot's rate buckets at once: the
// list endpoint walks ids upwards from the bottom (10-second bucket) while search keyset chains
// take id ranges from the top (search bucket), as many at once as the latency needs. Far from
// HubSpot the list (one page per round trip) leaves most of the 10-second bucket idle; when the
// ids are dense enough, batch/read chains take id ranges too and read them 100 consecutive ids
// a request. The id space is split again whenever a chain is free: it takes the part of the
// range that would end last, the list's own included. Every page is committed with the whole
// split state in the same transaction, so a crash resumes every chain where its committed
// pages end.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"
#include "sync/request_plan.h"

namespace hubsync {

// Who reads which ids. Committed with every page (see encode()).
struct SplitState {
    // The list side: it owns ids up to list_top and resumes at list_after.
    std::string list_after;  // the list cursor; empty = from the start
    bool list_done = false;
    RecordId list_top = std::numeric_limits<RecordId>::max();
    RecordId list_pos = 0;  // the highest id the list has committed
    // False once the list returned ids out of order: it then reads to the end, whatever
    // list_top says, and its range is never split again.
    bool list_ordered = true;
    // Active records per id (IdSpan::density) when the backfill began; 0 = not known, which
    // keeps id-range chains off.
    double density = 0;

    // A chain's range: ids in (cursor, hi] are left to read, by search keyset or, when
    // by_id, by batch/read of consecutive ids.
    struct Range {
        RecordId cursor = 0;
        RecordId hi = 0;
        bool by_id = false;
    };
    std::vector<Range> ranges;

    std::string encode() const;
    static std::optional<SplitState> decode(const std::string& text);
};

struct SplitBackfillOptions {
    int search_limit = 200;
    int searches_per_second = 4;  // the search bucket's budget (for how many chains to run)
    int max_search_chains = 8;
    int max_queued_pages = 16;  // fetched pages waiting to be written, across chains
    // Id-range chains (batch/read of consecutive ids, 10-second bucket): run when the ids are
    // at least this dense (active records per id between the lowest and the highest), as many
    // as the 10-second budget the list leaves unused times the latency needs.
    bool range_reads = true;
    double min_range_density = 0.2;
    int max_range_chains = 16;
    int range_batch = 100;  // ids per batch/read (HubSpot's maximum)
    // A range is not split below this many ids (each half gets at least half of it).
    RecordId min_split = 400;
    StopSource* stop = nullptr;
};

class SplitBackfill final {
  public:
    struct Page {
        std::vector<Record> records;
        std::string state;  // the split state after this page, to commit with it
    };
    // Writes a page with its state; returns the records written.
    using Commit = std::function<Result<std::int64_t>(Page&)>;
    // Reads `ids` with every synced property (batch/read), for pages whose properties did not
    // fit in the list URL or the search body.
    using ReadFull = std::function<Result<std::vector<Record>>(const std::vector<RecordId>&)>;

    SplitBackfill(HubSpotApi& api, const ObjectType& type, const RequestPlan& plan,
                  SplitBackfillOptions options, ReadFull read_full, Commit commit);

    // Reads every active record from `state` on (a fresh SplitState to start), committing
    // each page. kCancelled on a stop; the first chain's error otherwise (the others are
    // stopped and joined first).
    Status run(SplitState state);

    // What run() did, for reports and tests.
    struct Counts {
        std::int64_t list_pages = 0;
        std::int64_t search_pages = 0;
        std::int64_t range_pages = 0;  // batch/reads of consecutive ids
        std::int64_t splits = 0;
        int peak_search_chains = 0;
        int peak_range_chains = 0;
    };
    const Counts& counts() const { return counts_; }

    // The lowest and highest ids HubSpot's search knows for the type, and how many it counts
    // (two searches).
    struct IdSpan {
        RecordId lowest = 0;
        RecordId highest = 0;
        std::int64_t total = 0;
        // Active records per id between the lowest and the highest (1 = no gaps).
        double density() const;
    };
    static Result<IdSpan> id_span(HubSpotApi& api, const ObjectType& type);

  private:
    class Runner;
    HubSpotApi& api_;
    const ObjectType& type_;
    const RequestPlan& plan_;
    SplitBackfillOptions options_;
    ReadFull read_full_;
    Commit commit_;
    Counts counts_;
};

}  // namespace hubsync
