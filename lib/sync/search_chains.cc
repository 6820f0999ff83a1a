// SearchChains: chains on worker threads fetch search pages (API only); the calling thread
// hands them to the caller (mirror only) and decides the splits. Each chain's pages arrive in
// its own order, so a committed cursor never passes a page that was not handled.
#include "sync/search_chains.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "core/text.h"
#include "sync/chain_pool.h"
#include "sync/split_backfill.h"

namespace hubsync {
namespace {

constexpr RecordId kLargestId = kLargestRecordId;
// Search chains beyond rate x latency, for the answers that take longer. A quarter, not one
// more chain: with the same backfill times (measured at 300 and 800 ms), the incremental window
// cut into fewer ranges spends fewer searches on the ranges' last, partial pages.
constexpr double kChainHeadroom = 1.25;

}  // namespace

// --- state ----------------------------------------------------------------------------------

std::string encode_ranges(const std::vector<IdWalkRange>& ranges) {
    std::string out;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i) out += ',';
        out += fmt::format("{}:{}", ranges[i].cursor, ranges[i].hi);
    }
    return out;
}

std::optional<std::vector<IdWalkRange>> decode_ranges(std::string_view list) {
    std::vector<IdWalkRange> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        const auto cursor = parse_int<RecordId>(item.substr(0, colon));
        const auto hi = parse_int<RecordId>(item.substr(colon + 1));
        if (!cursor || !hi || *cursor > *hi) return std::nullopt;
        out.push_back({*cursor, *hi});
    }
    return out;
}

std::vector<IdWalkRange> even_ranges(RecordId from, RecordId lowest, RecordId top, int chains,
                                     RecordId min_split) {
    std::vector<IdWalkRange> out;
    const RecordId width = top > lowest && chains > 0 ? (top - lowest) / chains : 0;
    for (int i = 1; i < chains && width >= min_split; ++i) {
        const RecordId at = lowest + width * i;
        if (at <= from) continue;
        out.push_back({from, at});
        from = at;
    }
    out.push_back({from, kLargestId});
    return out;
}

std::string ReconcileState::encode() const {
    return fmt::format("v1;top={};archived={};r={}", top, archived_phase ? 1 : 0,
                       encode_ranges(ranges));
}

std::optional<ReconcileState> ReconcileState::decode(const std::string& text) {
    const std::string_view rest = text;
    auto field = [&](std::string_view name) { return state_field(rest, name); };
    if (rest.substr(0, 3) != "v1;") return std::nullopt;
    const auto top = field("top");
    const auto archived = field("archived");
    const auto ranges = field("r");
    if (!top || !archived || !ranges) return std::nullopt;
    ReconcileState s;
    const auto t = parse_int<RecordId>(*top);
    if (!t) return std::nullopt;
    s.top = *t;
    s.archived_phase = *archived == "1";
    auto list = decode_ranges(*ranges);
    if (!list) return std::nullopt;
    s.ranges = std::move(*list);
    return s;
}

// --- the run --------------------------------------------------------------------------------

class SearchChains::Runner final {
  public:
    Runner(SearchChains& owner, const std::vector<IdWalkRange>& ranges, RecordId top)
        : o_(owner), top_(top), pool_(o_.options_.max_queued_pages, o_.options_.stop) {
        for (const auto& r : ranges)
            if (r.cursor < r.hi) ranges_[next_range_++] = Range{r.cursor, r.cursor, r.hi};
    }

    ~Runner() { pool_.stop_all(); }

    Status run() {
        plan();
        while (true) {
            auto item = pool_.next([&] { return running_locked() == 0; });
            if (pool_.stopping()) break;
            if (!item) {  // every chain has ended
                {
                    std::lock_guard lock(pool_.mutex());
                    if (idle_locked()) break;  // every range is walked
                }
                // Ranges are left but no chain walks them: start the next ones.
                join_finished();
                plan();
                std::lock_guard lock(pool_.mutex());
                if (running_locked() == 0 && pool_.queue_empty_locked())
                    return make_error(ErrorKind::kInternal,
                                      "search chains: ranges left but no chain to walk them",
                                      "sync again; it resumes from its committed pages");
                continue;
            }
            if (!item->result.ok()) return fail(std::move(item->result).error());
            HS_RETURN_IF_ERROR(apply(*item));
            join_finished();
            plan();
        }
        join_finished();
        if (pool_.stopping()) return make_error(ErrorKind::kCancelled, "sync stopped on request");
        return Status::Ok();
    }

  private:
    struct Fetched {
        std::vector<Record> hits;
        RecordId from = 0;  // the page asked for ids above this
        RecordId last = 0;  // the highest id it covers
        bool done = false;  // no ids above `last` in the range as it was asked
    };
    using Pool = ChainPool<Fetched>;
    struct Range {
        RecordId cursor = 0;   // handed to the comparison up to here
        RecordId fetched = 0;  // asked for up to here
        RecordId hi = 0;
        bool running = false;
    };

    // --- chains (worker threads: API only) ----------------------------------------------

    void start_chain_locked(int id) {
        ranges_[id].running = true;
        pool_.start_locked(id, [this, id] { chain(id); });
    }

    void chain(int id) {
        for (;;) {
            if (pool_.stopping()) break;
            RecordId from = 0, hi = 0;
            {
                std::lock_guard lock(pool_.mutex());
                from = ranges_[id].fetched;
                hi = ranges_[id].hi;
            }
            if (from >= hi) break;
            Result<Fetched> page = fetch(from, hi);
            bool done = !page.ok();
            if (page.ok()) {
                std::lock_guard lock(pool_.mutex());
                Range& r = ranges_[id];
                r.fetched = std::max(r.fetched, page->last);
                done = page->done || r.fetched >= r.hi;
            }
            pool_.push(id, std::move(page));
            if (done) break;
        }
        {
            std::lock_guard lock(pool_.mutex());
            ranges_[id].running = false;
        }
        pool_.chain_ended();
    }

    // Keyset: ids in (from, hi], ascending, ids and modification times only.
    Result<Fetched> fetch(RecordId from, RecordId hi) {
        SearchRequest q;
        std::vector<SearchFilter> group = o_.options_.filters;
        group.push_back({"hs_object_id", "GT", std::to_string(from), {}, {}});
        if (hi < kLargestId) group.push_back({"hs_object_id", "LTE", std::to_string(hi), {}, {}});
        q.filter_groups = {std::move(group)};
        q.sort_property = "hs_object_id";
        q.ascending = true;
        q.properties = {"hs_object_id", o_.type_.last_modified_property};
        q.limit = o_.options_.search_limit;
        HS_ASSIGN_OR_RETURN(auto page, o_.api_.search(o_.type_, q));
        Fetched out;
        out.from = from;
        out.done = static_cast<int>(page.records.size()) < q.limit;
        out.last = out.done || page.records.empty() ? hi : page.records.back().id;
        out.hits = std::move(page.records);
        return out;
    }

    // --- the caller's handling (this thread: mirror only) --------------------------------

    Status apply(Pool::Item& item) {
        Fetched& f = item.result.value();
        Page page;
        {
            std::lock_guard lock(pool_.mutex());
            Range& r = ranges_[item.chain];
            // A page asked for before a split may reach past its range's new end: those ids
            // belong to the range split off, which compares them itself.
            const RecordId end = std::min(f.last, r.hi);
            std::erase_if(f.hits, [&](const Record& h) { return h.id > end; });
            page.covered = IdRange{f.from, end};
            r.cursor = std::max(r.cursor, end);
            page.left = left_locked();
            ++o_.counts_.pages;
        }
        page.hits = std::move(f.hits);
        return o_.apply_(page);
    }

    std::vector<IdWalkRange> left_locked() const {
        std::vector<IdWalkRange> out;
        for (const auto& [id, r] : ranges_)
            if (r.cursor < r.hi) out.push_back({r.cursor, r.hi});
        return out;
    }

    // Keeps the search bucket busy: as many chains as its rate times the latency, each on a
    // range of its own, split off the range with the most ids left.
    void plan() {
        std::lock_guard lock(pool_.mutex());
        const int wanted = o_.chains_wanted();
        for (auto& [id, r] : ranges_) {  // ranges not yet started (a resumed state) first
            if (running_locked() >= wanted) break;
            if (!r.running && r.fetched < r.hi && !pool_.has_thread_locked(id))
                start_chain_locked(id);
        }
        while (running_locked() < wanted && split_locked()) {
        }
        o_.counts_.peak_chains = std::max(o_.counts_.peak_chains, running_locked());
    }

    // The top range reaches to the largest id; above HubSpot's highest id it is empty.
    RecordId useful_end(const Range& r) const {
        return r.hi < kLargestId ? r.hi : std::max(top_, r.fetched);
    }

    bool split_locked() {
        RecordId best_left = 0;
        int best_id = -1;
        for (const auto& [id, r] : ranges_) {
            if (!r.running) continue;  // a range nobody walks is started, not split
            const RecordId end = useful_end(r);
            if (end <= r.fetched) continue;
            if (end - r.fetched > best_left) {
                best_left = end - r.fetched;
                best_id = id;
            }
        }
        if (best_id < 0 || best_left < o_.options_.min_split) return false;
        Range& r = ranges_[best_id];
        const RecordId at = r.fetched + best_left / 2;
        const int id = next_range_++;
        ranges_[id] = Range{at, at, r.hi};
        r.hi = at;
        ++o_.counts_.splits;
        start_chain_locked(id);
        return true;
    }

    int running_locked() const {
        int n = 0;
        for (const auto& [id, r] : ranges_)
            n += r.running ? 1 : 0;
        return n;
    }

    // Nothing left to fetch or compare.
    bool idle_locked() const {
        if (!pool_.queue_empty_locked()) return false;
        for (const auto& [id, r] : ranges_)
            if (r.running || r.cursor < r.hi) return false;
        return true;
    }

    Status fail(Error error) {
        pool_.stop_all();
        return error;
    }

    void join_finished() {
        pool_.join_finished([&](int id) { return ranges_[id].running; });
    }

    SearchChains& o_;
    const RecordId top_;
    std::map<int, Range> ranges_;  // guarded by the pool's mutex
    int next_range_ = 0;
    Pool pool_;  // last: its threads are joined before the ranges go
};

SearchChains::SearchChains(HubSpotApi& api, const ObjectType& type, SearchChainsOptions options,
                           Apply apply)
    : api_(api), type_(type), options_(std::move(options)), apply_(std::move(apply)) {
    options_.max_chains = std::max(options_.max_chains, 1);
    options_.max_queued_pages = std::max(options_.max_queued_pages, 1);
    options_.min_split = std::max<RecordId>(options_.min_split, 2);
}

int search_chains_for(double searches_per_second, double latency_ms, int max_chains) {
    const double busy = searches_per_second * std::max(latency_ms, 0.0) / 1000.0;
    const int wanted = static_cast<int>(std::ceil(busy * kChainHeadroom));
    return std::clamp(wanted, 1, std::max(max_chains, 1));
}

int SearchChains::chains_wanted() const {
    return search_chains_for(options_.searches_per_second, api_.stats().budget.latency_ms,
                             options_.max_chains);
}

Status SearchChains::run(const std::vector<IdWalkRange>& ranges, RecordId top) {
    Runner runner(*this, ranges, top);
    return runner.run();
}

Result<ReconcileState> fresh_reconcile_state(HubSpotApi& api, const ObjectType& type, int chains,
                                             RecordId min_split, std::int64_t* search_total) {
    HS_ASSIGN_OR_RETURN(const auto span, SplitBackfill::id_span(api, type));
    if (search_total) *search_total = span.total;
    ReconcileState s;
    s.top = span.highest;
    // Ranges start at even steps from the lowest id; the first reaches down to 0 and the last
    // up to the largest id, so every row the mirror holds lies in one.
    s.ranges = span.total > 0 ? even_ranges(0, span.lowest - 1, span.highest, chains, min_split)
                              : std::vector<IdWalkRange>{{0, kLargestId}};
    return s;
}

}  // namespace hubsync
