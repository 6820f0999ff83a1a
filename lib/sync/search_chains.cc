// SearchChains: chains on worker threads fetch search pages (API only); the calling thread
// hands them to the caller (mirror only) and decides the splits. Each chain's pages arrive in
// its own order, so a committed cursor never passes a page that was not handled.
#include "sync/search_chains.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "core/text.h"
#include "sync/split_backfill.h"

namespace hubsync {
namespace {

constexpr RecordId kLargestId = kLargestRecordId;

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
        : o_(owner), top_(top) {
        for (const auto& r : ranges)
            if (r.cursor < r.hi) ranges_[next_range_++] = Range{r.cursor, r.cursor, r.hi};
    }

    ~Runner() { stop_all(); }

    Status run() {
        plan();
        while (true) {
            Item item;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock,
                         [&] { return !queue_.empty() || running_locked() == 0 || stopping(); });
                if (stopping()) break;
                if (queue_.empty() && idle_locked()) break;  // every range is walked
                if (!queue_.empty()) {
                    item = std::move(queue_.front());
                    queue_.pop_front();
                }
            }
            if (item.chain < 0) {  // every chain ended with ranges left: start the next ones
                join_finished();
                plan();
                std::lock_guard lock(mu_);
                if (running_locked() == 0 && queue_.empty())
                    return make_error(ErrorKind::kInternal,
                                      "search chains: ranges left but no chain to walk them",
                                      "sync again; it resumes from its committed pages");
                continue;
            }
            cv_.notify_all();  // a chain may wait for room in the queue
            if (!item.result.ok()) return fail(std::move(item.result).error());
            HS_RETURN_IF_ERROR(apply(item));
            join_finished();
            plan();
        }
        join_finished();
        if (stopping()) return make_error(ErrorKind::kCancelled, "sync stopped on request");
        return Status::Ok();
    }

  private:
    struct Fetched {
        std::vector<Record> hits;
        RecordId from = 0;  // the page asked for ids above this
        RecordId last = 0;  // the highest id it covers
        bool done = false;  // no ids above `last` in the range as it was asked
    };
    struct Item {
        int chain = -1;  // -1: no page
        Result<Fetched> result = Fetched{};
    };
    struct Range {
        RecordId cursor = 0;   // handed to the comparison up to here
        RecordId fetched = 0;  // asked for up to here
        RecordId hi = 0;
        bool running = false;
    };

    // --- chains (worker threads: API only) ----------------------------------------------

    void start_chain(int id) {
        ranges_[id].running = true;
        threads_[id] = std::thread([this, id] { chain(id); });
    }

    void chain(int id) {
        for (;;) {
            if (stopping()) break;
            RecordId from = 0, hi = 0;
            {
                std::lock_guard lock(mu_);
                from = ranges_[id].fetched;
                hi = ranges_[id].hi;
            }
            if (from >= hi) break;
            Result<Fetched> page = fetch(from, hi);
            bool done = !page.ok();
            if (page.ok()) {
                std::lock_guard lock(mu_);
                Range& r = ranges_[id];
                r.fetched = std::max(r.fetched, page->last);
                done = page->done || r.fetched >= r.hi;
            }
            push(Item{id, std::move(page)});
            if (done) break;
        }
        std::lock_guard lock(mu_);
        ranges_[id].running = false;
        cv_.notify_all();
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

    void push(Item item) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
            return static_cast<int>(queue_.size()) < o_.options_.max_queued_pages || stop_;
        });
        queue_.push_back(std::move(item));
        cv_.notify_all();
    }

    // --- the caller's handling (this thread: mirror only) --------------------------------

    Status apply(Item& item) {
        Fetched& f = item.result.value();
        Page page;
        {
            std::lock_guard lock(mu_);
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
        std::lock_guard lock(mu_);
        const int wanted = o_.chains_wanted();
        for (auto& [id, r] : ranges_) {  // ranges not yet started (a resumed state) first
            if (running_locked() >= wanted) break;
            if (!r.running && r.fetched < r.hi && threads_.find(id) == threads_.end())
                start_chain(id);
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
        start_chain(id);
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
        if (!queue_.empty()) return false;
        for (const auto& [id, r] : ranges_)
            if (r.running || r.cursor < r.hi) return false;
        return true;
    }

    bool stopping() const {
        return stop_ || (o_.options_.stop && o_.options_.stop->stop_requested());
    }

    Status fail(Error error) {
        stop_all();
        return error;
    }

    void stop_all() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& [id, t] : threads_)
            if (t.joinable()) t.join();
        threads_.clear();
    }

    // Joins the threads of chains that have ended (a chain clears its running flag last).
    void join_finished() {
        std::vector<int> ended;
        {
            std::lock_guard lock(mu_);
            for (const auto& [id, t] : threads_)
                if (!ranges_[id].running) ended.push_back(id);
        }
        for (int id : ended) {
            if (threads_[id].joinable()) threads_[id].join();
            threads_.erase(id);
        }
    }

    SearchChains& o_;
    const RecordId top_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::map<int, Range> ranges_;
    int next_range_ = 0;
    std::deque<Item> queue_;
    std::map<int, std::thread> threads_;
};

SearchChains::SearchChains(HubSpotApi& api, const ObjectType& type, SearchChainsOptions options,
                           Apply apply)
    : api_(api), type_(type), options_(std::move(options)), apply_(std::move(apply)) {
    options_.max_chains = std::max(options_.max_chains, 1);
    options_.max_queued_pages = std::max(options_.max_queued_pages, 1);
    options_.min_split = std::max<RecordId>(options_.min_split, 2);
}

int SearchChains::chains_wanted() const {
    const double latency_s = api_.stats().budget.latency_ms / 1000.0;
    // A chain sends its next search when the last one is answered: rate x latency chains keep
    // the bucket busy, and a quarter more covers the answers that take longer.
    const int wanted =
        static_cast<int>(std::ceil(options_.searches_per_second * std::max(latency_s, 0.0) * 1.25));
    return std::clamp(wanted, 1, options_.max_chains);
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
