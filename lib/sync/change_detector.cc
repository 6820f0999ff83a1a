// The change detector: count, bisect by counts, list the small ranges that still disagree;
// and the batch/read confirmation that turns candidates into facts.
#include "sync/change_detector.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/core.h>

#include "core/log.h"

namespace hubsync {
namespace {

constexpr std::size_t kBatch = 100;

SearchRequest range_query(IdRange range, RecordId after, int limit) {
    SearchRequest q;
    std::vector<SearchFilter> group = {
        {"hs_object_id", "GT", std::to_string(std::max(range.lo, after)), {}, {}},
        {"hs_object_id", "LTE", std::to_string(range.hi), {}, {}},
    };
    q.filter_groups = {group};
    q.sort_property = "hs_object_id";
    q.ascending = true;
    q.properties = {"hs_object_id"};
    q.limit = limit;
    return q;
}

std::vector<RecordId> merged_ids_of(const Record& r) {
    std::vector<RecordId> out;
    const auto* v = r.find("hs_merged_object_ids");
    if (!v || !*v) return out;
    std::string_view list = **v;
    while (!list.empty()) {
        const auto semi = list.find(';');
        const std::string_view item = list.substr(0, semi);
        list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
        RecordId id = 0;
        const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (ec == std::errc() && p == item.data() + item.size()) out.push_back(id);
    }
    return out;
}

// Searches that list the larger side of a range with `hubspot` and `mirror` active records.
std::int64_t list_pages(std::int64_t hubspot, std::int64_t mirror, int search_limit) {
    const std::int64_t size = std::max(hubspot, mirror);
    return (size + search_limit - 1) / search_limit;
}

}  // namespace

std::int64_t bisection_searches(std::int64_t hubspot, std::int64_t mirror, int search_limit) {
    const std::int64_t pages = list_pages(hubspot, mirror, search_limit);
    const std::int64_t difference = hubspot > mirror ? hubspot - mirror : mirror - hubspot;
    // Isolating one change by splitting takes about log2(pages) searches.
    const auto levels =
        static_cast<std::int64_t>(std::bit_width(static_cast<std::uint64_t>(pages)));
    return std::min(pages, std::max<std::int64_t>(1, difference * levels));
}

ChangeDetector::ChangeDetector(HubSpotApi& api, Mirror& mirror, const ObjectType& type,
                               DetectorOptions options)
    : api_(api), mirror_(mirror), type_(type), options_(options) {}

Result<Detection> ChangeDetector::count() {
    Detection out;
    // One search: HubSpot's active count, and its highest id (the range to bisect).
    SearchRequest top;
    top.sort_property = "hs_object_id";
    top.ascending = false;
    top.limit = 1;
    top.properties = {"hs_object_id"};
    ++searches_;
    HS_ASSIGN_OR_RETURN(auto page, api_.search(type_, top));
    out.hubspot = page.total;
    out.highest = page.records.empty() ? 0 : page.records.front().id;
    const IdRange everything{std::numeric_limits<RecordId>::min(),
                             std::numeric_limits<RecordId>::max()};
    HS_ASSIGN_OR_RETURN(out.mirror, mirror_.count_active(type_, everything));
    out.agreed = out.hubspot == out.mirror;
    out.searches = searches_;
    return out;
}

Status ChangeDetector::locate(Detection& found) {
    if (found.agreed) return Status::Ok();
    HS_ASSIGN_OR_RETURN(auto bounds, mirror_.id_bounds(type_));
    RecordId hi = found.highest;
    if (bounds) hi = std::max(hi, bounds->hi);
    // Ids start far above 0 (4000000001 for companies): bisecting from 0 would spend a
    // search per level on empty halves. Below the mirror's lowest id one count suffices.
    RecordId lo = 0;
    std::int64_t hubspot = found.hubspot;
    if (bounds && bounds->lo > 1) {
        lo = bounds->lo - 1;
        HS_ASSIGN_OR_RETURN(const std::int64_t below, hubspot_count(IdRange{0, lo}));
        HS_RETURN_IF_ERROR(localise(IdRange{0, lo}, below, 0, found));
        hubspot -= below;
    }
    HS_RETURN_IF_ERROR(localise(IdRange{lo, hi}, hubspot, found.mirror, found));
    found.searches = searches_;
    return Status::Ok();
}

Result<Detection> ChangeDetector::run() {
    HS_ASSIGN_OR_RETURN(Detection out, count());
    HS_RETURN_IF_ERROR(locate(out));
    return out;
}

Result<std::int64_t> ChangeDetector::hubspot_count(IdRange range) {
    ++searches_;
    HS_ASSIGN_OR_RETURN(auto page, api_.search(type_, range_query(range, range.lo, 1)));
    return page.total;
}

// Equal counts end the descent: a delete and a restore in the same range cancel out, which
// the periodic sweeps catch. Listing a range costs one search per search_limit records;
// isolating a change by splitting costs about one search per level, so a range is listed once
// listing it is no dearer than isolating each of the changes its counts show.
Status ChangeDetector::localise(IdRange range, std::int64_t hubspot, std::int64_t mirror,
                                Detection& out) {
    if (hubspot == mirror) return Status::Ok();
    HS_RETURN_IF_ERROR(check_stop());
    const std::int64_t pages = list_pages(hubspot, mirror, options_.search_limit);
    if (bisection_searches(hubspot, mirror, options_.search_limit) >= pages ||
        range.hi - range.lo <= 1)
        return compare(range, out);
    const RecordId mid = range.lo + (range.hi - range.lo) / 2;
    const IdRange left{range.lo, mid};
    const IdRange right{mid, range.hi};
    HS_ASSIGN_OR_RETURN(const std::int64_t hubspot_left, hubspot_count(left));
    HS_ASSIGN_OR_RETURN(const std::int64_t mirror_left, mirror_.count_active(type_, left));
    HS_RETURN_IF_ERROR(localise(left, hubspot_left, mirror_left, out));
    return localise(right, hubspot - hubspot_left, mirror - mirror_left, out);
}

Status ChangeDetector::compare(IdRange range, Detection& out) {
    ++out.ranges_listed;
    std::vector<RecordId> hubspot;
    RecordId after = range.lo;
    while (true) {
        HS_RETURN_IF_ERROR(check_stop());
        ++searches_;
        HS_ASSIGN_OR_RETURN(auto page,
                            api_.search(type_, range_query(range, after, options_.search_limit)));
        for (const auto& r : page.records)
            hubspot.push_back(r.id);
        if (static_cast<int>(page.records.size()) < options_.search_limit) break;
        after = page.records.back().id;
    }
    std::sort(hubspot.begin(), hubspot.end());
    HS_ASSIGN_OR_RETURN(auto mirror,
                        mirror_.active_ids(type_, range, std::numeric_limits<int>::max()));
    std::set_difference(hubspot.begin(), hubspot.end(), mirror.begin(), mirror.end(),
                        std::back_inserter(out.to_read));
    std::set_difference(mirror.begin(), mirror.end(), hubspot.begin(), hubspot.end(),
                        std::back_inserter(out.candidates));
    return Status::Ok();
}

Status ChangeDetector::check_stop() const {
    if (options_.stop && options_.stop->stop_requested())
        return make_error(ErrorKind::kCancelled, "sync stopped on request");
    return Status::Ok();
}

Result<bool> search_emptiness_confirmed(HubSpotApi& api, Mirror& mirror, const ObjectType& type) {
    const IdRange everything{std::numeric_limits<RecordId>::min(),
                             std::numeric_limits<RecordId>::max()};
    HS_ASSIGN_OR_RETURN(const auto sample,
                        mirror.active_ids(type, everything, static_cast<int>(kBatch)));
    if (sample.empty()) return true;
    HS_ASSIGN_OR_RETURN(const auto batch, api.batch_read(type, sample, {"hs_object_id"}));
    for (const Record& r : batch.records)
        if (!r.archived) return false;
    return true;
}

Result<Confirmation> confirm(HubSpotApi& api, const ObjectType& type,
                             const std::vector<std::string>& properties,
                             const std::vector<RecordId>& ids) {
    Confirmation out;
    std::vector<RecordId> missing;
    for (std::size_t i = 0; i < ids.size(); i += kBatch) {
        const std::vector<RecordId> chunk(
            ids.begin() + static_cast<std::ptrdiff_t>(i),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kBatch)));
        ++out.requests;
        HS_ASSIGN_OR_RETURN(auto batch, api.batch_read(type, chunk, properties));
        std::unordered_set<RecordId> asked(chunk.begin(), chunk.end());
        std::unordered_set<RecordId> answered(batch.missing.begin(), batch.missing.end());
        for (auto& r : batch.records) {
            answered.insert(r.id);
            // A record under another id is the survivor of a merge of the ids it lists.
            if (!asked.count(r.id)) {
                for (RecordId absorbed : merged_ids_of(r)) {
                    if (!asked.count(absorbed)) continue;
                    out.merges.push_back({absorbed, r.id});
                    answered.insert(absorbed);
                }
            }
            out.records.push_back(std::move(r));
        }
        missing.insert(missing.end(), batch.missing.begin(), batch.missing.end());
        for (RecordId id : chunk)
            if (!answered.count(id)) out.unresolved.push_back(id);
    }
    for (std::size_t i = 0; i < missing.size(); i += kBatch) {
        const std::vector<RecordId> chunk(
            missing.begin() + static_cast<std::ptrdiff_t>(i),
            missing.begin() + static_cast<std::ptrdiff_t>(std::min(missing.size(), i + kBatch)));
        ++out.requests;
        HS_ASSIGN_OR_RETURN(auto batch, api.batch_read_archived(type, chunk, properties));
        std::unordered_set<RecordId> found;
        for (auto& r : batch.records) {
            found.insert(r.id);
            r.archived = true;
            out.records.push_back(std::move(r));
        }
        std::unordered_set<RecordId> not_found(batch.missing.begin(), batch.missing.end());
        for (RecordId id : chunk) {
            if (found.count(id)) continue;
            if (not_found.count(id))
                out.gone.push_back(id);
            else
                out.unresolved.push_back(id);
        }
    }
    std::sort(out.gone.begin(), out.gone.end());
    if (!out.unresolved.empty())
        HS_LOG_WARN(
            "{}: batch read answered neither a record nor not-found for {} ids; they stay "
            "as they are until the next sweep",
            type.name, out.unresolved.size());
    return out;
}

}  // namespace hubsync
