// Finds deletes, restores and merges that incremental search windows cannot see (search never
// shows archived records, and archiving or restoring need not change the modification time),
// cheaply: one search's `total` against the mirror's active count, and only when they disagree,
// bisection of hs_object_id ranges by the same counts down to ranges small enough to list.
// Search counts lag, so what it finds are candidates; confirm() asks batch/read before
// anything is marked archived or removed.
#pragma once

#include <cstdint>
#include <vector>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/mirror.h"
#include "model/object_type.h"

namespace hubsync {

struct DetectorOptions {
    int search_limit = 200;
    StopSource* stop = nullptr;
};

// What the detector found.
struct Detection {
    bool agreed = false;        // the first count matched: nothing else was asked
    std::int64_t hubspot = -1;  // HubSpot's active count (search total)
    std::int64_t mirror = -1;   // the mirror's active count
    RecordId highest = 0;       // HubSpot's highest active id (0 when it has none)
    std::int64_t searches = 0;  // search requests made
    std::int64_t ranges_listed = 0;
    // Ids search shows that the mirror lacks or holds as archived or merged away: to read.
    std::vector<RecordId> to_read;
    // Ids the mirror holds as active that search did not show: to confirm (search lags).
    std::vector<RecordId> candidates;
};

// The searches locate() is expected to spend on a difference between the active counts
// `hubspot` and `mirror`: listing costs one search per `search_limit` records (`pages`),
// isolating one change about log2(pages), so about min(pages, difference x log2(pages)).
// The same rule decides, range by range, between listing and splitting.
std::int64_t bisection_searches(std::int64_t hubspot, std::int64_t mirror, int search_limit);

class ChangeDetector final {
  public:
    // All references must outlive the detector.
    ChangeDetector(HubSpotApi& api, Mirror& mirror, const ObjectType& type,
                   DetectorOptions options);

    // One search: HubSpot's active count against the mirror's (`agreed` when they match).
    Result<Detection> count();
    // Finds the ids behind a count() that disagreed: fills `to_read` and `candidates`;
    // `searches` counts this detector's searches, the count's included.
    Status locate(Detection& found);
    // count(), then locate() when the counts disagree.
    Result<Detection> run();

  private:
    // HubSpot's count of active records in `range` (one search).
    Result<std::int64_t> hubspot_count(IdRange range);
    Status localise(IdRange range, std::int64_t hubspot, std::int64_t mirror, Detection& out);
    // Lists the range on both sides and records every difference.
    Status compare(IdRange range, Detection& out);
    Status check_stop() const;

    HubSpotApi& api_;
    Mirror& mirror_;
    const ObjectType& type_;
    DetectorOptions options_;
    std::int64_t searches_ = 0;
};

// When search counts no active records but the mirror holds some: whether HubSpot agrees that
// they are gone. One batch/read of up to 100 of the mirror's active ids; any that comes back
// active (or as a merge's survivor) says search fails to show records it holds (an outage, an
// index being rebuilt), not a portal emptied. Acting on such a search would make every row a
// candidate for batch/read: about one request per 100 rows, to learn nothing.
Result<bool> search_emptiness_confirmed(HubSpotApi& api, Mirror& mirror, const ObjectType& type);

// What batch/read says about ids search no longer shows.
struct Confirmation {
    // Records to write: ids still active under their own id (search lagged), survivors that
    // merged ids resolve to (their hs_merged_object_ids marks the absorbed rows), and archived
    // records (written with their archive flag).
    std::vector<Record> records;
    std::vector<MergeMark> merges;     // absorbed id -> survivor, for ids read as another id
    std::vector<RecordId> gone;        // neither active nor archived: gone for good
    std::vector<RecordId> unresolved;  // answered by neither a record nor a not-found
    std::int64_t requests = 0;
};

// Reads `ids` with `properties` (active first, then the missing ones as archived), 100 a request.
Result<Confirmation> confirm(HubSpotApi& api, const ObjectType& type,
                             const std::vector<std::string>& properties,
                             const std::vector<RecordId>& ids);

}  // namespace hubsync
