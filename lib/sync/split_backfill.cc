// SplitBackfill: chains on worker threads fetch pages (API only), the calling thread writes
// them (mirror only) and decides the splits. Each chain's pages arrive in its own order, so its
// committed cursor never passes a page that is not written.
#include "sync/split_backfill.h"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>

#include "core/log.h"
#include "core/text.h"
#include "http/url.h"
#include "sync/chain_pool.h"

namespace hubsync {
namespace {

constexpr int kListLimit = 100;

std::vector<RecordId> ids_of(const std::vector<Record>& records) {
    std::vector<RecordId> ids;
    ids.reserve(records.size());
    for (const auto& r : records)
        ids.push_back(r.id);
    return ids;
}

}  // namespace

// --- state ----------------------------------------------------------------------------------

std::string SplitState::encode() const {
    std::string out = "v1;after=" + url_encode(list_after);
    out += fmt::format(";done={};top={};pos={};ord={};d={:.4f};r=", list_done ? 1 : 0, list_top,
                       list_pos, list_ordered ? 1 : 0, density);
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i) out += ',';
        out += fmt::format("{}:{}{}", ranges[i].cursor, ranges[i].hi, ranges[i].by_id ? ":b" : "");
    }
    return out;
}

std::optional<SplitState> SplitState::decode(const std::string& text) {
    std::string_view rest = text;
    auto field = [&](std::string_view name) { return state_field(rest, name); };
    if (rest.substr(0, 2) != "v1") return std::nullopt;
    SplitState s;
    const auto after = field("after");
    const auto done = field("done");
    const auto top = field("top");
    const auto pos = field("pos");
    const auto ord = field("ord");
    const auto ranges = field("r");
    if (const auto d = field("d")) {  // absent in states written before id-range chains
        const auto [end, ec] = std::from_chars(d->data(), d->data() + d->size(), s.density);
        if (ec != std::errc() || end != d->data() + d->size() ||
            !(s.density >= 0 && s.density <= 1))
            return std::nullopt;
    }
    if (!after || !done || !top || !pos || !ord || !ranges) return std::nullopt;
    s.list_after = url_decode(*after);
    s.list_done = *done == "1";
    s.list_ordered = *ord == "1";
    const auto t = parse_int<RecordId>(*top);
    const auto p = parse_int<RecordId>(*pos);
    if (!t || !p) return std::nullopt;
    s.list_top = *t;
    s.list_pos = *p;
    std::string_view list = *ranges;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        std::string_view tail = item.substr(colon + 1);
        bool by_id = false;
        if (tail.ends_with(":b")) {
            by_id = true;
            tail.remove_suffix(2);
        }
        const auto cursor = parse_int<RecordId>(item.substr(0, colon));
        const auto hi = parse_int<RecordId>(tail);
        if (!cursor || !hi) return std::nullopt;
        s.ranges.push_back({*cursor, *hi, by_id});
    }
    return s;
}

// --- the run --------------------------------------------------------------------------------

class SplitBackfill::Runner final {
  public:
    Runner(SplitBackfill& owner, SplitState state)
        : o_(owner), pool_(o_.options_.max_queued_pages, o_.options_.stop) {
        list_.after = state.list_after;
        list_.done = state.list_done;
        list_.top = state.list_top;
        list_.pos = state.list_pos;
        list_.fetched = state.list_pos;
        list_.ordered = state.list_ordered;
        density_ = state.density;
        for (const auto& r : state.ranges)
            if (r.cursor < r.hi)
                ranges_[next_range_++] = Range{r.cursor, r.cursor, r.hi, r.by_id, false};
    }

    ~Runner() { pool_.stop_all(); }

    Status run() {
        // The first split comes before the list's first page, so the search chains start at
        // once whatever the latency.
        plan();
        if (!list_.done) {
            std::lock_guard lock(pool_.mutex());
            start_list_chain_locked();
        }
        while (auto item = pool_.next([&] { return running_locked() == 0; })) {
            if (!item->result.ok()) return fail(std::move(item->result).error());
            HS_RETURN_IF_ERROR(apply(*item));
        }
        join_finished();
        if (pool_.stopping()) return make_error(ErrorKind::kCancelled, "sync stopped on request");
        return Status::Ok();
    }

  private:
    struct Fetched {
        std::vector<Record> records;
        std::string next_after;  // list pages
        RecordId last = 0;       // the highest id the page covers
        bool done = false;       // the chain has no more pages
        bool ordered = true;     // list pages: ids ascending, above every earlier page's
    };
    // Chains by number: the list is kListChain, the others their range's id.
    static constexpr int kListChain = -1;
    using Pool = ChainPool<Fetched>;
    struct ListSide {
        std::string after;
        bool done = false;
        RecordId top = 0;
        RecordId pos = 0;      // committed
        RecordId fetched = 0;  // fetched so far (ahead of pos while pages wait to be written)
        bool ordered = true;
        bool running = false;
    };
    struct Range {
        RecordId cursor = 0;   // committed: ids up to here are written
        RecordId fetched = 0;  // fetched: ids up to here are on their way
        RecordId hi = 0;
        bool by_id = false;  // batch/read of consecutive ids, else search keyset
        bool running = false;
    };

    // --- chains (worker threads: API only) ----------------------------------------------

    void start_list_chain_locked() {
        list_.running = true;
        pool_.start_locked(kListChain, [this] { list_chain(); });
    }

    void list_chain() {
        std::string after;
        RecordId highest = 0;
        {
            std::lock_guard lock(pool_.mutex());
            after = list_.after;
            highest = list_.pos;
        }
        for (;;) {
            if (pool_.stopping()) break;
            Result<Fetched> page = fetch_list_page(after, highest);
            bool done = !page.ok();
            if (page.ok()) {
                std::lock_guard lock(pool_.mutex());
                list_.ordered = list_.ordered && page->ordered;
                list_.fetched = std::max(list_.fetched, page->last);
                page->done = page->next_after.empty() || (list_.ordered && page->last >= list_.top);
                done = page->done;
                highest = std::max(highest, page->last);
                after = page->next_after;
            }
            pool_.push(kListChain, std::move(page));
            if (done) break;
        }
        {
            std::lock_guard lock(pool_.mutex());
            list_.running = false;
        }
        pool_.chain_ended();
    }

    Result<Fetched> fetch_list_page(const std::string& after, RecordId highest) {
        const bool by_id = !o_.plan_.properties_in_list;
        ListRequest list{kListLimit, after, {}, false};
        list.properties = by_id ? std::vector<std::string>{"hs_object_id"} : o_.plan_.properties;
        HS_ASSIGN_OR_RETURN(auto page, o_.api_.list(o_.type_, list));
        Fetched out;
        out.next_after = std::move(page.next_after);
        RecordId previous = highest;
        for (const auto& r : page.records) {
            if (r.id <= previous) out.ordered = false;
            previous = std::max(previous, r.id);
        }
        out.last = previous;
        if (by_id) {
            HS_ASSIGN_OR_RETURN(out.records, o_.read_full_(ids_of(page.records)));
        } else {
            out.records = std::move(page.records);
        }
        return out;
    }

    void start_range_chain_locked(int id) {
        ranges_[id].running = true;
        pool_.start_locked(id, [this, id] { range_chain(id); });
    }

    void range_chain(int id) {
        for (;;) {
            if (pool_.stopping()) break;
            RecordId from = 0, hi = 0;
            bool by_id = false;
            {
                std::lock_guard lock(pool_.mutex());
                from = ranges_[id].fetched;
                hi = ranges_[id].hi;
                by_id = ranges_[id].by_id;
            }
            Result<Fetched> page = from >= hi ? Result<Fetched>(Fetched{{}, {}, hi, true, true})
                                   : by_id    ? fetch_id_page(from, hi)
                                              : fetch_range_page(from, hi);
            bool done = !page.ok();
            if (page.ok()) {
                std::lock_guard lock(pool_.mutex());
                Range& r = ranges_[id];
                r.fetched = std::max(r.fetched, page->last);
                page->done = page->done || r.fetched >= r.hi;
                done = page->done;
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

    // Keyset: ids in (from, hi], ascending; properties in the body when they fit.
    Result<Fetched> fetch_range_page(RecordId from, RecordId hi) {
        SearchRequest q;
        q.filter_groups = {{{"hs_object_id", "GT", std::to_string(from), {}, {}},
                            {"hs_object_id", "LTE", std::to_string(hi), {}, {}}}};
        q.sort_property = "hs_object_id";
        q.ascending = true;
        q.limit = o_.options_.search_limit;
        q.properties = o_.plan_.properties;
        const bool by_id = o_.api_.search_body_length(q) > kMaxSearchBodyLength;
        if (by_id) q.properties = {"hs_object_id"};
        HS_ASSIGN_OR_RETURN(auto page, o_.api_.search(o_.type_, q));
        Fetched out;
        out.done = static_cast<int>(page.records.size()) < q.limit;
        out.last = page.records.empty() ? hi : page.records.back().id;
        if (out.done) out.last = std::max(out.last, hi);
        if (by_id) {
            HS_ASSIGN_OR_RETURN(out.records, o_.read_full_(ids_of(page.records)));
        } else {
            out.records = std::move(page.records);
        }
        return out;
    }

    // Consecutive ids (from, from + range_batch] by batch/read: the ids that are not active
    // records come back as not found. An old id of a merge answers with its survivor, which
    // belongs to the range holding the survivor's own id.
    Result<Fetched> fetch_id_page(RecordId from, RecordId hi) {
        const RecordId to = std::min<RecordId>(hi, from + o_.options_.range_batch);
        std::vector<RecordId> ids;
        ids.reserve(static_cast<std::size_t>(to - from));
        for (RecordId id = from + 1; id <= to; ++id)
            ids.push_back(id);
        HS_ASSIGN_OR_RETURN(auto batch, o_.api_.batch_read(o_.type_, ids, o_.plan_.properties));
        Fetched out;
        out.records = std::move(batch.records);
        std::erase_if(out.records, [&](const Record& r) { return r.id <= from || r.id > to; });
        std::sort(out.records.begin(), out.records.end(),
                  [](const Record& a, const Record& b) { return a.id < b.id; });
        const auto dup = std::unique(out.records.begin(), out.records.end(),
                                     [](const Record& a, const Record& b) { return a.id == b.id; });
        out.records.erase(dup, out.records.end());
        out.last = to;
        out.done = to >= hi;
        return out;
    }

    // --- the writer (this thread: mirror only) -------------------------------------------

    Status apply(Pool::Item& item) {
        SplitBackfill::Page page;
        page.records = std::move(item.result.value().records);
        const Fetched& f = item.result.value();
        {
            std::lock_guard lock(pool_.mutex());
            // A page asked for before a split may reach past its chain's new end: those ids
            // belong to the chain split off, so every record is written once.
            const RecordId end = item.chain == kListChain ? list_.top : ranges_[item.chain].hi;
            std::erase_if(page.records, [&](const Record& r) { return r.id > end; });
            if (item.chain == kListChain) {
                list_.after = f.next_after;
                list_.pos = std::max(list_.pos, f.last);
                list_.done = f.done;
                ++o_.counts_.list_pages;
            } else {
                Range& r = ranges_[item.chain];
                r.cursor = std::max(r.cursor, std::min(f.last, r.hi));
                if (f.done) r.cursor = std::max(r.cursor, r.hi);
                ++(r.by_id ? o_.counts_.range_pages : o_.counts_.search_pages);
            }
            page.state = committed_locked().encode();
        }
        if (auto written = o_.commit_(page); !written.ok()) return std::move(written).error();
        if (f.done) {
            join_finished();
            plan();
        }
        return Status::Ok();
    }

    SplitState committed_locked() const {
        SplitState s;
        s.list_after = list_.after;
        s.list_done = list_.done;
        s.list_top = list_.top;
        s.list_pos = list_.pos;
        s.list_ordered = list_.ordered;
        s.density = density_;
        for (const auto& [id, r] : ranges_)
            if (r.cursor < r.hi) s.ranges.push_back({r.cursor, r.hi, r.by_id});
        return s;
    }

    // Keeps both buckets busy: as many search chains as the search rate times the latency,
    // and, when the ids are dense enough, as many id-range chains as the 10-second budget the
    // list leaves unused times the latency; each on a range of its own, split off the range
    // that would end last.
    void plan() {
        std::lock_guard lock(pool_.mutex());
        const int wanted =
            search_chains_for(o_.options_.searches_per_second, o_.api_.stats().budget.latency_ms,
                              o_.options_.max_search_chains);
        for (auto& [id, r] : ranges_) {  // ranges of a resumed state first
            if (r.by_id || running_search_locked() >= wanted) continue;
            if (!r.running && r.fetched < r.hi) start_range_chain_locked(id);
        }
        while (running_search_locked() < wanted && split_locked(false)) {
        }
        const int wanted_by_id = id_chains_wanted();
        for (auto& [id, r] : ranges_) {
            if (!r.by_id || running_id_locked() >= wanted_by_id) continue;
            if (!r.running && r.fetched < r.hi) start_range_chain_locked(id);
        }
        while (running_id_locked() < wanted_by_id && split_locked(true)) {
        }
        // A resumed range of a kind no longer wanted is read by the other kind.
        for (auto& [id, r] : ranges_) {
            if (r.running || r.fetched >= r.hi) continue;
            if (r.by_id && wanted_by_id == 0) r.by_id = false;
            if (!r.by_id && running_search_locked() < wanted) start_range_chain_locked(id);
        }
        o_.counts_.peak_search_chains =
            std::max(o_.counts_.peak_search_chains, running_search_locked());
        o_.counts_.peak_range_chains = std::max(o_.counts_.peak_range_chains, running_id_locked());
    }

    double density() const { return density_ > 0 ? std::min(density_, 1.0) : 1.0; }

    // The 10-second bucket's requests per second that the list and the search chains' batch
    // reads leave unused, and how many id-range chains (one request per latency each) fill
    // them. None near HubSpot, where the list alone keeps the bucket busy: a batch/read of 100
    // ids holds fewer records than a list page unless the ids have no gaps.
    double spare_general_locked() const {
        const BudgetSnapshot budget = o_.api_.stats().budget;
        const double latency_s = std::max(budget.latency_ms / 1000.0, 0.001);
        const double general =
            static_cast<double>(std::max(budget.limit, 1)) * 1000.0 /
            static_cast<double>(std::max<std::int64_t>(budget.interval.count(), 1));
        const double list_requests = o_.plan_.properties_in_list ? 1 : 2;
        const double list = list_.done ? 0 : std::min(1 / latency_s, general / list_requests);
        return std::max(general - list * list_requests, 0.0);
    }
    int id_chains_wanted() const {
        if (!o_.options_.range_reads || density_ <= 0 || density_ < o_.options_.min_range_density)
            return 0;
        const double latency_s = std::max(o_.api_.stats().budget.latency_ms / 1000.0, 0.0);
        const int wanted = static_cast<int>(std::floor(spare_general_locked() * latency_s));
        return std::clamp(wanted, 0, o_.options_.max_range_chains);
    }

    // Ids (of the id space, gaps included) per second one reader gets through: the list one
    // page per latency (within the 10-second budget), a search chain one per latency within
    // its share of the search bucket, an id-range chain one per latency within its share of
    // the 10-second budget the list leaves.
    struct Rates {
        double list = 1;
        double chain = 1;
        double by_id = 1;
    };
    Rates rates(int search_chains, int id_chains) const {
        const BudgetSnapshot budget = o_.api_.stats().budget;
        const double latency_s = std::max(budget.latency_ms / 1000.0, 0.001);
        const double general =
            static_cast<double>(std::max(budget.limit, 1)) * 1000.0 /
            static_cast<double>(std::max<std::int64_t>(budget.interval.count(), 1));
        const double gaps = 1 / density();
        Rates r;
        r.list = kListLimit * gaps * std::min(1 / latency_s, general);
        r.chain = o_.options_.search_limit * gaps *
                  std::min(1 / latency_s, static_cast<double>(o_.options_.searches_per_second) /
                                              std::max(search_chains, 1));
        r.by_id =
            o_.options_.range_batch *
            std::min(1 / latency_s, std::max(spare_general_locked(), 0.1) / std::max(id_chains, 1));
        return r;
    }

    // Splits the range that would end last and starts a chain (search or id-range) on its
    // upper part, where the two would end together: a chain's range in proportion to the two
    // chains' rates, the list's likewise. The widest range is not always the one that ends
    // last: at HubSpot's latency the list reads far fewer ids a second than a search chain.
    // And the list cannot take work back, so it keeps at least what it reads while the longest
    // chain range is read, and loses ties.
    bool split_locked(bool by_id) {
        const int search_chains = running_search_locked() + (by_id ? 0 : 1);
        const int id_chains = running_id_locked() + (by_id ? 1 : 0);
        const Rates r = rates(search_chains, id_chains);
        const double new_rate = by_id ? r.by_id : r.chain;
        struct Candidate {
            double seconds;
            int id;  // -1 = the list's range
            RecordId left;
            double rate;
        };
        std::vector<Candidate> candidates;
        double longest_chain = 0;
        if (!list_.done && list_.ordered && list_.top > list_.fetched) {
            const RecordId left = list_.top - list_.fetched;
            candidates.push_back({static_cast<double>(left) / r.list, -1, left, r.list});
        }
        for (const auto& [id, range] : ranges_) {
            if (range.hi <= range.fetched) continue;
            const RecordId left = range.hi - range.fetched;
            const double rate = range.by_id ? r.by_id : r.chain;
            const double seconds = static_cast<double>(left) / rate;
            longest_chain = std::max(longest_chain, seconds);
            candidates.push_back({seconds, id, left, rate});
        }
        // The range that would end last first; the list loses ties. When the list's range may
        // not be cut (it keeps what it reads while the longest chain range is read), the next.
        std::stable_sort(candidates.begin(), candidates.end(),
                         [](const Candidate& a, const Candidate& b) {
                             if (a.seconds != b.seconds) return a.seconds > b.seconds;
                             return a.id > b.id;
                         });
        for (const Candidate& c : candidates) {
            if (c.left < o_.options_.min_split) continue;
            RecordId kept =
                static_cast<RecordId>(static_cast<double>(c.left) * c.rate / (c.rate + new_rate));
            if (c.id == -1) {
                kept = static_cast<RecordId>(
                    std::max(static_cast<double>(kept), longest_chain * r.list));
                if (kept > c.left - o_.options_.min_split / 2) continue;  // not worth a chain
            }
            RecordId& hi = c.id == -1 ? list_.top : ranges_[c.id].hi;
            const RecordId base = c.id == -1 ? list_.fetched : ranges_[c.id].fetched;
            const RecordId at = base + std::clamp<RecordId>(kept, 1, c.left - 1);
            const int id = next_range_++;
            ranges_[id] = Range{at, at, hi, by_id, false};
            hi = at;
            ++o_.counts_.splits;
            start_range_chain_locked(id);
            return true;
        }
        return false;
    }

    int running_search_locked() const {
        int n = 0;
        for (const auto& [id, r] : ranges_)
            n += r.running && !r.by_id ? 1 : 0;
        return n;
    }
    int running_id_locked() const {
        int n = 0;
        for (const auto& [id, r] : ranges_)
            n += r.running && r.by_id ? 1 : 0;
        return n;
    }
    int running_locked() const {
        return running_search_locked() + running_id_locked() + (list_.running ? 1 : 0);
    }
    Status fail(Error error) {
        pool_.stop_all();
        return error;
    }

    void join_finished() {
        pool_.join_finished(
            [&](int id) { return id == kListChain ? list_.running : ranges_[id].running; });
    }

    SplitBackfill& o_;
    // Guarded by the pool's mutex.
    ListSide list_;
    double density_ = 0;  // see SplitState::density
    std::map<int, Range> ranges_;
    int next_range_ = 0;
    Pool pool_;  // last: its threads are joined before the chains' state goes
};

SplitBackfill::SplitBackfill(HubSpotApi& api, const ObjectType& type, const RequestPlan& plan,
                             SplitBackfillOptions options, ReadFull read_full, Commit commit)
    : api_(api),
      type_(type),
      plan_(plan),
      options_(options),
      read_full_(std::move(read_full)),
      commit_(std::move(commit)) {
    options_.max_search_chains = std::max(options_.max_search_chains, 1);
    options_.max_queued_pages = std::max(options_.max_queued_pages, 1);
    options_.min_split = std::max<RecordId>(options_.min_split, 2);
}

Status SplitBackfill::run(SplitState state) {
    Runner runner(*this, std::move(state));
    return runner.run();
}

double SplitBackfill::IdSpan::density() const {
    if (total <= 0 || highest < lowest) return 1.0;
    return std::min(1.0, static_cast<double>(total) / static_cast<double>(highest - lowest + 1));
}

Result<SplitBackfill::IdSpan> SplitBackfill::id_span(HubSpotApi& api, const ObjectType& type) {
    SearchRequest q;
    q.sort_property = "hs_object_id";
    q.limit = 1;
    q.properties = {"hs_object_id"};
    IdSpan span;
    for (const bool ascending : {true, false}) {
        q.ascending = ascending;
        HS_ASSIGN_OR_RETURN(auto page, api.search(type, q));
        span.total = page.total;
        if (page.records.empty()) return span;
        (ascending ? span.lowest : span.highest) = page.records.front().id;
    }
    return span;
}

}  // namespace hubsync
