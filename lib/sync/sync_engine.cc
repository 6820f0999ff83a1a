// The sync cycle, written to read like the algorithm: for each object type, plan, backfill or
// incremental window, archive sweep, reconcile. Each loop body is: fetch a page, write it with
// its cursor.
#include "sync/sync_engine.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/core.h>

#include "sync/change_detector.h"
#include "sync/pipeline.h"
#include "sync/search_chains.h"
#include "sync/split_backfill.h"

#include "core/log.h"
#include "core/text.h"

namespace hubsync {
namespace {

// One long-lived worker thread that runs one job at a time. The backfill's prefetch uses it
// instead of a thread per page: a thread's exit returns its stack with madvise, and the TLB
// shootdowns of a thousand of those cost more CPU than the overlap saved.
class Worker final {
  public:
    Worker() : thread_([this] { loop(); }) {}
    ~Worker() {
        {
            std::lock_guard lock(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Starts `job`; the previous one must have been waited for.
    void start(std::function<void()> job) {
        {
            std::lock_guard lock(mu_);
            job_ = std::move(job);
            busy_ = true;
        }
        cv_.notify_all();
    }
    // Blocks until the started job has finished (returns at once when none is running).
    void wait() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !busy_; });
    }

  private:
    void loop() {
        std::unique_lock lock(mu_);
        while (true) {
            cv_.wait(lock, [this] { return quit_ || job_; });
            if (!job_) return;
            auto job = std::move(job_);
            job_ = nullptr;
            lock.unlock();
            job();
            lock.lock();
            busy_ = false;
            cv_.notify_all();
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::function<void()> job_;
    bool busy_ = false;
    bool quit_ = false;
    std::thread thread_;
};

constexpr int kListLimit = 100;
constexpr int kBatchLimit = 100;
// Pages whose reads may be in flight ahead of the oldest uncommitted one: enough to keep the
// API client's most requests in flight busy (two batch reads a search page).
constexpr std::size_t kPagesAhead = 16;
// Reconcile pages with candidates held for one confirmation at most (a stop re-walks them).
constexpr std::size_t kHeldPages = 8;
// Search chains do not split an id range narrower than this.
constexpr RecordId kMinSplitIds = 400;

// Compares HubSpot timestamps as instants; unparseable ones count as oldest.
std::int64_t instant_ms(const std::string& iso) {
    Instant t;
    return parse_iso8601(iso, t) ? to_epoch_ms(t) : -1;
}

// An incremental window: changes in [since, until], walked by id. Before its first page is
// read it is one range from 0 (`top` 0); after a full first page, the ids above it are cut into
// ranges for search chains up to `top`, the highest id the window holds.
struct Window {
    std::int64_t since_ms = 0;
    std::int64_t until_ms = 0;
    std::vector<IdWalkRange> ranges = {{0, kLargestRecordId}};
    RecordId top = 0;

    bool first_page_read() const { return top > 0 || ranges.empty(); }

    std::string encode() const {
        return fmt::format("v2;since={};until={};top={};r={}", since_ms, until_ms, top,
                           encode_ranges(ranges));
    }
    // Also reads the one-chain form "since:until:last_id" a window stopped by an older version
    // left: its ids above last_id are left, as one range.
    static std::optional<Window> decode(const std::optional<std::string>& text) {
        if (!text) return std::nullopt;
        Window w;
        const std::string_view t = *text;
        if (t.substr(0, 3) == "v2;") {
            auto field = [&](std::string_view name) { return state_field(t, name); };
            const auto since = field("since"), until = field("until"), top = field("top"),
                       r = field("r");
            if (!since || !until || !top || !r) return std::nullopt;
            const auto s = parse_int<std::int64_t>(*since);
            const auto u = parse_int<std::int64_t>(*until);
            const auto tp = parse_int<RecordId>(*top);
            auto ranges = decode_ranges(*r);
            if (!s || !u || !tp || !ranges) return std::nullopt;
            w.since_ms = *s;
            w.until_ms = *u;
            w.top = *tp;
            w.ranges = std::move(*ranges);
            return w;
        }
        const auto a = t.find(':');
        const auto b = t.find(':', a == std::string_view::npos ? a : a + 1);
        if (a == std::string_view::npos || b == std::string_view::npos) return std::nullopt;
        auto since = parse_int<std::int64_t>(t.substr(0, a));
        auto until = parse_int<std::int64_t>(t.substr(a + 1, b - a - 1));
        auto last = parse_int<std::int64_t>(t.substr(b + 1));
        if (!since || !until || !last) return std::nullopt;
        w.since_ms = *since;
        w.until_ms = *until;
        w.ranges = {{*last, kLargestRecordId}};
        return w;
    }
};

}  // namespace

// One object type's cycle: the plan, the run row, counters, progress.
class SyncEngine::TypeCycle final {
  public:
    TypeCycle(SyncEngine& engine, const ObjectType& type, const CycleRequest& request)
        : engine_(engine),
          api_(engine.api_),
          mirror_(engine.mirror_),
          clock_(engine.clock_),
          options_(engine.options_),
          type_(type),
          request_(request) {
        report_.object_type = type.name;
    }

    const TypeReport& report() const { return report_; }

    Status run() {
        HS_ASSIGN_OR_RETURN(const bool backfilled, state_present(kStateBackfillDone));
        report_.mode = request_.full ? "full" : (backfilled ? "incremental" : "backfill");
        HS_ASSIGN_OR_RETURN(run_id_, mirror_.begin_run(type_, report_.mode));
        requests_at_start_ = api_.stats().requests;
        searches_at_start_ = api_.stats().searches;
        requests_committed_ = requests_at_start_;
        Status status = run_steps(backfilled);
        report_.requests = api_.stats().requests - requests_at_start_;
        report_.searches = api_.stats().searches - searches_at_start_;
        const std::int64_t uncounted = api_.stats().requests - requests_committed_;
        const std::string error = status.ok() ? std::string() : status.error().describe();
        auto finished = mirror_.finish_run(run_id_, error, 0, uncounted);
        if (auto cp = mirror_.checkpoint(); !cp.ok())
            HS_LOG_WARN("WAL checkpoint failed: {}", cp.error().describe());
        if (!status.ok()) {
            report_.error = status.error().describe();
            return status;
        }
        return finished;
    }

  private:
    Status run_steps(bool backfilled) {
        HS_RETURN_IF_ERROR(discover_properties());
        if (request_.full) HS_RETURN_IF_ERROR(restart_backfill());
        if (request_.full || !backfilled) {
            HS_RETURN_IF_ERROR(backfill());
        } else {
            HS_RETURN_IF_ERROR(incremental());
            HS_RETURN_IF_ERROR(detect_changes());
        }
        if (!request_.full && archive_sweep_due()) HS_RETURN_IF_ERROR(archive_sweep());
        if (request_.full || request_.force_reconcile || reconcile_due())
            HS_RETURN_IF_ERROR(reconcile());
        return {};
    }

    // --- properties ---------------------------------------------------------------------

    Status discover_properties() {
        HS_ASSIGN_OR_RETURN(auto defs, engine_.property_defs(type_));
        const auto own = options_.type_properties.find(type_.name);
        const std::vector<std::string>& selection =
            own != options_.type_properties.end() ? own->second : options_.properties;
        HS_ASSIGN_OR_RETURN(auto columns, mirror_.apply_properties(type_, defs, selection));
        HS_RETURN_IF_ERROR(mirror_.track_changes(type_, options_.track_changes));
        report_.properties = defs;
        std::vector<std::string> names;
        names.reserve(columns.size());
        for (const auto& c : columns)
            names.push_back(c.name);
        plan_ = plan_requests(api_, type_, names, options_.max_url_length);
        report_.plan = plan_;
        // The archived list has no batch/read to fall back on: it carries as many properties
        // as fit in the URL, required ones first.
        archived_list_properties_ = required_properties(type_);
        for (const auto& name : plan_.properties) {
            if (std::find(archived_list_properties_.begin(), archived_list_properties_.end(),
                          name) != archived_list_properties_.end())
                continue;
            archived_list_properties_.push_back(name);
            ListRequest probe{kListLimit, std::string(24, '9'), archived_list_properties_, true};
            if (api_.list_url_length(type_, probe) >
                static_cast<std::size_t>(options_.max_url_length)) {
                archived_list_properties_.pop_back();
                break;
            }
        }
        return {};
    }

    // --- backfill -----------------------------------------------------------------------

    Status restart_backfill() {
        return mirror_.set_state({{key(kStateBackfillDone), std::nullopt},
                                  {key(kStateBackfillAfter), std::nullopt},
                                  {key(kStateBackfillPhase), std::nullopt},
                                  {key(kStateBackfillSplit), std::nullopt},
                                  {key(kStateBackfillStarted), std::to_string(clock_.now_ms())}});
    }

    Status backfill() {
        HS_ASSIGN_OR_RETURN(auto phase, mirror_.state(key(kStateBackfillPhase)));
        HS_ASSIGN_OR_RETURN(auto started, mirror_.state(key(kStateBackfillStarted)));
        if (!started) {
            HS_RETURN_IF_ERROR(
                mirror_.set_state({{key(kStateBackfillStarted), std::to_string(clock_.now_ms())}}));
            started = std::to_string(clock_.now_ms());
        }
        if (!phase || *phase == "active") {
            if (options_.split_backfill) {
                HS_RETURN_IF_ERROR(backfill_split());
            } else {
                HS_RETURN_IF_ERROR(backfill_list(false));
            }
        }
        HS_RETURN_IF_ERROR(backfill_list(true));
        // The backfill read everything changed after it started; incremental windows take over
        // from there (minus lookback), so changes made during a long backfill are not lost.
        const std::string now_iso = format_iso8601(clock_.now());
        HS_RETURN_IF_ERROR(
            mirror_.set_state({{key(kStateBackfillDone), now_iso},
                               {key(kStateBackfillAfter), std::nullopt},
                               {key(kStateBackfillPhase), std::nullopt},
                               {key(kStateBackfillSplit), std::nullopt},
                               {key(kStateHighWater), *started},
                               {key(kStateWindow), std::nullopt},
                               {key(kStateLastReconcile), now_iso},
                               {key(kStateArchivedSweep), std::to_string(clock_.now_ms())}}));
        report_.backfill_complete = true;
        return {};
    }

    // The active records through both buckets (see split_backfill.h). A resumed backfill
    // continues from the committed split; one interrupted by an older hubsync, from its list
    // cursor.
    Status backfill_split() {
        HS_ASSIGN_OR_RETURN(auto saved, mirror_.state(key(kStateBackfillSplit)));
        HS_ASSIGN_OR_RETURN(auto phase, mirror_.state(key(kStateBackfillPhase)));
        std::optional<SplitState> state;
        if (saved) state = SplitState::decode(*saved);
        SyncProgress progress = new_progress("backfill");
        if (!state) {
            state.emplace();
            HS_ASSIGN_OR_RETURN(auto after, mirror_.state(key(kStateBackfillAfter)));
            if (after && phase && *phase == "active") state->list_after = *after;
            HS_ASSIGN_OR_RETURN(const auto span, SplitBackfill::id_span(api_, type_));
            // Nothing below the lowest id exists (new records get higher ids), so the list's
            // part starts there; an empty search (nothing indexed yet) leaves all to the list.
            if (span.total > 0) {
                state->list_top = span.highest;
                if (state->list_after.empty()) state->list_pos = span.lowest - 1;
                state->density = span.density();
            }
            progress.expected = span.total;
        }
        const auto phase_started = clock_.now();
        SplitBackfillOptions so;
        so.search_limit = options_.search_limit;
        so.searches_per_second = options_.searches_per_second;
        so.range_reads = options_.range_reads;
        so.stop = options_.stop;
        SplitBackfill split(
            api_, type_, plan_, so,
            [this](const std::vector<RecordId>& ids) { return read_full(ids); },
            [&](SplitBackfill::Page& page) -> Result<std::int64_t> {
                PageWrite write;
                write.records = std::move(page.records);
                write.state = {{key(kStateBackfillPhase), std::string("active")},
                               {key(kStateBackfillSplit), page.state}};
                HS_ASSIGN_OR_RETURN(auto written, commit(write));
                progress.pages += 1;
                progress.records += written;
                progress.elapsed = std::chrono::duration_cast<Millis>(clock_.now() - phase_started);
                if (options_.on_progress) options_.on_progress(progress);
                return written;
            });
        HS_RETURN_IF_ERROR(split.run(std::move(*state)));
        const auto& counts = split.counts();
        HS_LOG_INFO(
            "{}: backfill read {} list pages, {} search pages and {} id-range batch reads ({} "
            "splits, up to {} search and {} id-range chains at once)",
            type_.name, counts.list_pages, counts.search_pages, counts.range_pages, counts.splits,
            counts.peak_search_chains, counts.peak_range_chains);
        return mirror_.set_state({{key(kStateBackfillPhase), std::string("archived")},
                                  {key(kStateBackfillSplit), std::nullopt},
                                  {key(kStateBackfillAfter), std::nullopt}});
    }

    Status backfill_list(bool archived) {
        const std::string phase_name = archived ? "archived" : "active";
        HS_ASSIGN_OR_RETURN(auto after, mirror_.state(key(kStateBackfillAfter)));
        HS_ASSIGN_OR_RETURN(auto phase, mirror_.state(key(kStateBackfillPhase)));
        if (!phase || *phase != phase_name) after.reset();
        SyncProgress progress = new_progress(archived ? "backfill (archived)" : "backfill");
        if (!archived && !after) progress.expected = estimate_total();
        const auto phase_started = clock_.now();
        // Pipelined: while page N is written, page N+1 is fetched and decoded on a second
        // thread, so the network wait and the decode overlap the SQLite write. Only that thread
        // touches the API meanwhile, and only this one the mirror; the cursor still moves in
        // the transaction that writes the page it covers (page N's commit stores page N's
        // `after`), so a crash re-reads at most the prefetched page.
        HS_RETURN_IF_ERROR(check_stop());
        auto fetched = fetch_backfill_page(archived, after);
        std::optional<Result<FetchedPage>> next;
        Worker worker;  // after `next`: joined before `next` goes, on every return path
        while (true) {
            if (!fetched.ok()) return std::move(fetched).error();
            FetchedPage page = std::move(fetched).value();
            const std::int64_t requests_now = api_.stats().requests;
            const bool last = page.next_after.empty();
            if (!last && !check_stop().ok()) return check_stop();
            if (!last) {
                worker.start([this, archived, &next, cursor = page.next_after] {
                    next.emplace(fetch_backfill_page(archived, cursor));
                });
            }
            PageWrite write;
            if (archived) {
                HS_RETURN_IF_ERROR(split_archived(page.records, write));
            } else {
                write.records = std::move(page.records);
            }
            write.state = {
                {key(kStateBackfillPhase), phase_name},
                {key(kStateBackfillAfter), last ? std::optional<std::string>()
                                                : std::optional<std::string>(page.next_after)}};
            if (last && !archived) write.state[0].value = "archived";
            HS_ASSIGN_OR_RETURN(auto written, commit(write, requests_now));
            progress.pages += 1;
            progress.records += written;
            progress.elapsed = std::chrono::duration_cast<Millis>(clock_.now() - phase_started);
            if (options_.on_progress) options_.on_progress(progress);
            if (last) return {};
            worker.wait();
            fetched = std::move(*next);
            next.reset();
        }
    }

    struct FetchedPage {
        std::vector<Record> records;
        std::string next_after;
    };

    // One backfill page with every property: runs on the prefetch thread, so it may use the
    // API but never the mirror.
    Result<FetchedPage> fetch_backfill_page(bool archived,
                                            const std::optional<std::string>& after) {
        ListRequest list{kListLimit, after.value_or(""), {}, archived};
        const bool fetch_by_id = !archived && !plan_.properties_in_list;
        list.properties =
            archived ? archived_list_properties_
                     : (fetch_by_id ? std::vector<std::string>{"hs_object_id"} : plan_.properties);
        HS_ASSIGN_OR_RETURN(auto page, api_.list(type_, list));
        FetchedPage out;
        out.next_after = std::move(page.next_after);
        if (fetch_by_id) {
            HS_ASSIGN_OR_RETURN(out.records, read_full(ids_of(page.records)));
        } else {
            out.records = std::move(page.records);
        }
        return out;
    }

    std::int64_t estimate_total() {
        SearchRequest count;
        count.limit = 1;
        count.properties = {"hs_object_id"};
        auto result = api_.search(type_, count);
        return result.ok() ? result->total : -1;
    }

    // --- incremental --------------------------------------------------------------------

    // Changed ids come from search in the window [since, until] by id (keyset, so no query
    // nears the 10,000-result cap, even when more than 10,000 records share one millisecond).
    // The first page is read alone: an idle cycle pays one search. When it is full, one more
    // search finds the window's highest id, and the ids above the first page are walked by as
    // many search chains at once as the latency asks (see search_chains.h). Each page's changed ids
    // are read by batch/read while later searches go out; pages are committed in the order they
    // came, each with the ranges left, so a stopped window resumes where it ended.
    Status incremental() {
        HS_ASSIGN_OR_RETURN(auto saved, mirror_.state(key(kStateWindow)));
        Window window;
        if (auto resumed = Window::decode(saved)) {
            window = *resumed;  // a window a crash or stop interrupted: finish it first
        } else {
            HS_ASSIGN_OR_RETURN(auto high, mirror_.state(key(kStateHighWater)));
            const std::int64_t high_water = parse_int<std::int64_t>(high.value_or("")).value_or(0);
            window.since_ms = std::max<std::int64_t>(0, high_water - options_.lookback.count());
            window.until_ms = clock_.now_ms();
        }
        SyncProgress progress = new_progress("incremental");
        const auto phase_started = clock_.now();
        auto commit_page = [&](PageWrite& write) -> Status {
            HS_ASSIGN_OR_RETURN(auto written, commit(write));
            progress.pages += 1;
            progress.records += written;
            progress.elapsed = std::chrono::duration_cast<Millis>(clock_.now() - phase_started);
            if (options_.on_progress) options_.on_progress(progress);
            return {};
        };
        ReadPipeline reads(batch_reader(), read_pipeline_options());
        // Queues a page's changed ids for reading, its write carrying the window as it stands.
        auto window_page = [&](const std::vector<Record>& hits, const Window& after) -> Status {
            HS_ASSIGN_OR_RETURN(auto changed, stale_ids(hits));
            PageWrite write;
            write.state = {{key(kStateWindow), after.encode()}};
            reads.push(std::move(changed), std::move(write));
            return reads.commit_ready(commit_page, kPagesAhead);
        };
        SearchChains chains(api_, type_, search_chains_options(window_filters(window)),
                            [&](SearchChains::Page& page) -> Status {
                                Window after = window;
                                after.ranges = std::move(page.left);
                                return window_page(page.hits, after);
                            });
        if (!window.first_page_read()) {
            HS_RETURN_IF_ERROR(check_stop());
            const RecordId from = window.ranges.empty() ? 0 : window.ranges.front().cursor;
            HS_ASSIGN_OR_RETURN(auto page, api_.search(type_, window_query(window, from, true)));
            progress.expected = page.total;
            const bool full = static_cast<int>(page.records.size()) >= options_.search_limit;
            if (full) {
                // The window's highest id: the span the chains share and split as the latency
                // asks.
                SearchRequest highest = window_query(window, from, false);
                highest.limit = 1;
                HS_ASSIGN_OR_RETURN(auto top, api_.search(type_, highest));
                const RecordId last = page.records.back().id;
                window.top = top.records.empty() ? last : std::max(last, top.records.front().id);
                window.ranges =
                    even_ranges(last, last, window.top, chains.chains_wanted(), kMinSplitIds);
            } else {
                window.ranges.clear();
            }
            HS_RETURN_IF_ERROR(window_page(page.records, window));
        }
        if (!window.ranges.empty()) {
            HS_RETURN_IF_ERROR(chains.run(window.ranges, window.top));
            const auto& counts = chains.counts();
            HS_LOG_INFO(
                "{}: incremental read {} search pages in chains ({} splits, up to {} "
                "at once)",
                type_.name, counts.pages, counts.splits, counts.peak_chains);
        }
        HS_RETURN_IF_ERROR(reads.commit_ready(commit_page, 0));
        return mirror_.set_state({{key(kStateHighWater), std::to_string(window.until_ms)},
                                  {key(kStateWindow), std::nullopt}});
    }

    // The window's modification-time filters.
    std::vector<SearchFilter> window_filters(const Window& w) const {
        const std::string& modified = type_.last_modified_property;
        return {{modified, "GTE", std::to_string(w.since_ms), {}, {}},
                {modified, "LTE", std::to_string(w.until_ms), {}, {}}};
    }

    // The window's ids above `from`, by id, ascending (the next page) or descending (the
    // highest first).
    SearchRequest window_query(const Window& w, RecordId from, bool ascending) const {
        SearchRequest q;
        std::vector<SearchFilter> group = window_filters(w);
        if (from > 0) group.push_back({"hs_object_id", "GT", std::to_string(from), {}, {}});
        q.filter_groups = {group};
        q.sort_property = "hs_object_id";
        q.ascending = ascending;
        q.properties = {"hs_object_id", type_.last_modified_property};
        q.limit = options_.search_limit;
        return q;
    }

    SearchChainsOptions search_chains_options(std::vector<SearchFilter> filters) const {
        SearchChainsOptions o;
        o.search_limit = options_.search_limit;
        o.searches_per_second = options_.searches_per_second;
        o.min_split = kMinSplitIds;
        o.filters = std::move(filters);
        o.stop = options_.stop;
        return o;
    }

    // The hits the mirror lacks or holds older than search shows.
    Result<std::vector<RecordId>> stale_ids(const std::vector<Record>& hits) {
        HS_ASSIGN_OR_RETURN(const auto versions, versions_by_id(ids_of(hits)));
        std::vector<RecordId> out;
        for (const auto& c : hits) {
            const auto found = versions.find(c.id);
            if (mirror_is_stale(c, found == versions.end() ? nullptr : &found->second,
                                type_.last_modified_property))
                out.push_back(c.id);
        }
        return out;
    }

    // True when the search hit is newer than the mirror's row (or the row is missing,
    // archived or merged away), so the lookback overlap costs no batch reads.
    static bool mirror_is_stale(const Record& hit, const RecordVersion* stored,
                                const std::string& modified_property) {
        if (!stored || stored->archived || stored->merged_into) return true;
        std::string hit_updated = hit.updated_at;
        if (const auto* lm = hit.find(modified_property); lm && *lm && !(*lm)->empty()) {
            Instant t;
            if (parse_iso8601(**lm, t)) hit_updated = format_iso8601(t);
        }
        return instant_ms(stored->updated_at) < instant_ms(hit_updated);
    }

    // The mirror's versions of `ids`, by id: one query per page instead of one per contact.
    Result<std::unordered_map<RecordId, RecordVersion>> versions_by_id(
        const std::vector<RecordId>& ids) {
        HS_ASSIGN_OR_RETURN(auto versions, mirror_.record_versions(type_, ids));
        std::unordered_map<RecordId, RecordVersion> out;
        out.reserve(versions.size());
        for (auto& v : versions)
            out.emplace(v.id, std::move(v));
        return out;
    }

    // --- change detector ----------------------------------------------------------------

    // Deletes, restores and merges that the window cannot see (see change_detector.h): an
    // idle cycle pays one search for it. When the counts disagree, the cheaper route goes
    // first: bisection pays searches per change, the archive sweep a list page per 100
    // archived records, old and new. After a sweep a fresh count tells whether anything the
    // archived list does not show (merges, GDPR deletes, missed creations) is left to bisect.
    Status detect_changes() {
        const DetectorOptions detector_options{options_.search_limit, options_.stop};
        ChangeDetector detector(api_, mirror_, type_, detector_options);
        HS_ASSIGN_OR_RETURN(Detection found, detector.count());
        const std::int64_t first_count = found.searches;
        report_.detector_searches = first_count;
        if (found.agreed) return {};
        if (found.hubspot == 0 && found.mirror > 0) {
            HS_ASSIGN_OR_RETURN(const bool emptied,
                                search_emptiness_confirmed(api_, mirror_, type_));
            if (!emptied) {
                HS_LOG_WARN(
                    "{}: search counts no active records but the mirror holds {}, and "
                    "HubSpot still has some of them; deletes are not looked for this "
                    "cycle (search looks unavailable)",
                    type_.name, found.mirror);
                report_.detector_route = "skipped: search shows nothing";
                return {};
            }
        }
        const std::int64_t searches =
            bisection_searches(found.hubspot, found.mirror, options_.search_limit);
        HS_ASSIGN_OR_RETURN(const std::int64_t archived, mirror_.count_archived(type_));
        const std::int64_t pages = archive_sweep_pages(found, archived);
        if (pages > 0 && pages < searches) {
            HS_LOG_INFO(
                "{}: HubSpot counts {} active, the mirror {}; listing the archived records first "
                "(about {} list pages for {} archived rows and the difference) instead of "
                "bisecting (about {} searches)",
                type_.name, found.hubspot, found.mirror, pages, archived, searches);
            report_.detector_route = "archive sweep";
            HS_RETURN_IF_ERROR(archive_sweep());
            ChangeDetector again(api_, mirror_, type_, detector_options);
            HS_ASSIGN_OR_RETURN(found, again.count());
            report_.detector_searches = first_count + found.searches;
            if (found.agreed) return {};
            HS_LOG_INFO("{}: after the archive sweep HubSpot counts {} active, the mirror {}",
                        type_.name, found.hubspot, found.mirror);
            HS_RETURN_IF_ERROR(again.locate(found));
            report_.detector_searches = first_count + found.searches;
        } else {
            HS_LOG_INFO(
                "{}: HubSpot counts {} active, the mirror {}; bisecting (about {} searches) "
                "instead of listing the archived records (about {} list pages)",
                type_.name, found.hubspot, found.mirror, searches, pages);
            report_.detector_route = "bisection";
            HS_RETURN_IF_ERROR(detector.locate(found));
            report_.detector_searches = found.searches;
        }
        HS_RETURN_IF_ERROR(write_by_id(found.to_read));
        HS_RETURN_IF_ERROR(apply_confirmed(found.candidates));
        HS_LOG_INFO("{}: {} searches found {} to read and {} that left search", type_.name,
                    report_.detector_searches, found.to_read.size(), found.candidates.size());
        return {};
    }

    // The list pages an archive sweep would take now: every archived row again, plus the
    // records that left since. It explains a surplus on HubSpot's side only by restores of
    // archived rows; with none, it could explain nothing (0: not worth a page).
    static std::int64_t archive_sweep_pages(const Detection& found, std::int64_t archived) {
        const bool surplus = found.hubspot > found.mirror;
        if (surplus && archived == 0) return 0;
        const std::int64_t difference =
            surplus ? found.hubspot - found.mirror : found.mirror - found.hubspot;
        return std::max<std::int64_t>(1, (archived + difference + kListLimit - 1) / kListLimit);
    }

    // Asks batch/read about ids search no longer shows, then writes what it said: records
    // (still active, survivors, archived) in one page, and the ones gone for good removed.
    Status apply_confirmed(const std::vector<RecordId>& candidates) {
        if (candidates.empty()) return {};
        HS_RETURN_IF_ERROR(check_stop());
        HS_ASSIGN_OR_RETURN(auto confirmed, confirm(api_, type_, plan_.properties, candidates));
        PageWrite write;
        write.records = std::move(confirmed.records);
        write.merges = std::move(confirmed.merges);
        if (auto written = commit(write); !written.ok()) return std::move(written).error();
        HS_ASSIGN_OR_RETURN(const std::int64_t removed, mirror_.remove_gone(type_, confirmed.gone));
        report_.removed += removed;
        return {};
    }

    // --- archive sweep ------------------------------------------------------------------

    bool archive_sweep_due() {
        auto last = mirror_.state(key(kStateArchivedSweep));
        if (!last.ok()) return true;
        const auto last_ms = parse_int<std::int64_t>(last->value_or(""));
        return !last_ms || clock_.now_ms() - *last_ms >= options_.archived_interval.count();
    }

    // Search never shows archived records, so deletes are found by listing the archived
    // ones; mirrored archived rows the list no longer has were restored, merged or are gone,
    // which batch/read tells (restores need not change the modification time).
    Status archive_sweep() {
        const std::int64_t started = clock_.now_ms();
        std::optional<std::string> after;
        SyncProgress progress = new_progress("archive sweep");
        std::vector<RecordId> listed;
        while (true) {
            HS_RETURN_IF_ERROR(check_stop());
            ListRequest list{kListLimit, after.value_or(""), archived_list_properties_, true};
            HS_ASSIGN_OR_RETURN(auto page, api_.list(type_, list));
            for (const auto& c : page.records)
                listed.push_back(c.id);
            PageWrite write;
            HS_RETURN_IF_ERROR(split_archived(page.records, write));
            const bool last = page.next_after.empty();
            if (last) write.state = {{key(kStateArchivedSweep), std::to_string(started)}};
            HS_ASSIGN_OR_RETURN(auto written, commit(write));
            progress.pages += 1;
            progress.records += written;
            if (options_.on_progress) options_.on_progress(progress);
            if (last) break;
            after = page.next_after;
        }
        HS_RETURN_IF_ERROR(confirm_unlisted(std::move(listed)));
        report_.archive_swept = true;
        return {};
    }

    // Mirrored archived rows the whole archived list did not show were restored, merged or
    // removed since: batch/read says which.
    Status confirm_unlisted(std::vector<RecordId> listed) {
        HS_ASSIGN_OR_RETURN(const auto archived, mirror_.archived_ids(type_));
        std::sort(listed.begin(), listed.end());
        std::vector<RecordId> unlisted;
        std::set_difference(archived.begin(), archived.end(), listed.begin(), listed.end(),
                            std::back_inserter(unlisted));
        return apply_confirmed(unlisted);
    }

    // Archived records from a list that may carry only some properties: known rows get an
    // archive marker (their full properties stay), unknown ones are written as listed.
    Status split_archived(std::vector<Record>& listed, PageWrite& write) {
        const bool complete = archived_list_properties_.size() >= plan_.properties.size();
        for (auto& c : listed) {
            c.archived = true;
            if (complete) {
                write.records.push_back(std::move(c));
                continue;
            }
            HS_ASSIGN_OR_RETURN(auto stored, mirror_.get_record(type_, c.id));
            if (stored) {
                write.archived.push_back({c.id, c.archived_at});
            } else {
                write.records.push_back(std::move(c));
            }
        }
        return {};
    }

    // --- reconcile ----------------------------------------------------------------------

    // Due every reconcile_interval, and at once while a stopped sweep has progress to finish.
    bool reconcile_due() {
        auto progress = mirror_.state(key(kStateReconcileProgress));
        if (!progress.ok() || *progress) return true;
        auto last = mirror_.state(key(kStateLastReconcile));
        if (!last.ok() || !*last) return true;
        Instant t;
        if (!parse_iso8601(**last, t)) return true;
        return clock_.now() - t >= options_.reconcile_interval;
    }

    // Walks every id, active and archived, and makes the mirror agree: rows HubSpot no longer
    // has are removed, rows it lacks or holds stale are read and written. Active ids come from
    // search (ids only, 200 a page, its own bucket, several chains at once; see
    // search_chains.h), so the 10-second bucket stays free for incremental sync; archived
    // ones from the archived list. Search lags, so an id it did not show is only a candidate:
    // batch/read confirms it gone before anything is removed. The progress is committed with
    // every page; a stopped sweep continues from it in the next cycle.
    Status reconcile() {
        HS_ASSIGN_OR_RETURN(auto saved, mirror_.state(key(kStateReconcileProgress)));
        std::optional<ReconcileState> state;
        if (saved) state = ReconcileState::decode(*saved);
        SyncProgress progress = new_progress("reconcile");
        ReadPipeline reads(batch_reader(), read_pipeline_options());
        auto commit_page = [this](PageWrite& write) -> Status {
            if (auto written = commit(write); !written.ok()) return std::move(written).error();
            return {};
        };
        ReconcileHeld held;
        SearchChains chains(
            api_, type_, search_chains_options({}), [&](SearchChains::Page& page) -> Status {
                ReconcileState left;
                left.ranges = std::move(page.left);
                left.top = state->top;  // set before the chains run
                HS_RETURN_IF_ERROR(reconcile_page(page, left.encode(), held, reads));
                sweep_page_done(progress, page.hits.size());
                return reads.commit_ready(commit_page, kPagesAhead);
            });
        if (!state) {
            std::int64_t search_total = -1;
            HS_ASSIGN_OR_RETURN(state, fresh_reconcile_state(api_, type_, chains.chains_wanted(),
                                                             kMinSplitIds, &search_total));
            HS_ASSIGN_OR_RETURN(const MirrorCounts counts, mirror_.counts(type_));
            bool emptied = true;
            if (search_total == 0 && counts.active > 0) {
                HS_ASSIGN_OR_RETURN(emptied, search_emptiness_confirmed(api_, mirror_, type_));
            }
            if (!emptied) {
                // Search fails to show records HubSpot holds (see search_emptiness_confirmed).
                HS_LOG_WARN(
                    "{}: search counts no active records but the mirror holds {}, and HubSpot "
                    "still has some of them; the reconcile sweep skips its active walk this "
                    "time (the archived list still runs)",
                    type_.name, counts.active);
                state->ranges.clear();
                state->archived_phase = true;
            }
        } else {
            HS_LOG_INFO("{}: reconcile resumes with {} id ranges left{}", type_.name,
                        state->ranges.size(), state->archived_phase ? " (archived list)" : "");
        }
        if (!state->archived_phase) {
            HS_RETURN_IF_ERROR(chains.run(state->ranges, state->top));
            HS_RETURN_IF_ERROR(release_held(held, reads));
            HS_RETURN_IF_ERROR(reads.commit_ready(commit_page, 0));
            const auto& counts = chains.counts();
            HS_LOG_INFO("{}: reconcile walked {} search pages ({} splits, up to {} chains at once)",
                        type_.name, counts.pages, counts.splits, counts.peak_chains);
            ReconcileState next;
            next.top = state->top;
            next.archived_phase = true;
            HS_RETURN_IF_ERROR(mirror_.set_state({{key(kStateReconcileProgress), next.encode()}}));
        }
        HS_RETURN_IF_ERROR(reconcile_archived(progress));
        HS_ASSIGN_OR_RETURN(const std::int64_t orphans, mirror_.remove_orphaned_merges(type_));
        report_.removed += orphans;
        // A sweep that took several cycles counts from when it ended.
        HS_RETURN_IF_ERROR(
            mirror_.set_state({{key(kStateLastReconcile), format_iso8601(clock_.now())},
                               {key(kStateReconcileProgress), std::nullopt}}));
        report_.reconciled = true;
        return {};
    }

    // Pages whose rows search did not show wait here until enough candidates are gathered
    // for one confirmation (or enough pages wait), so deletes spread over many pages cost a
    // batch/read per 100 candidates, not one per page.
    struct ReconcileHeld {
        std::vector<std::pair<std::vector<RecordId>, PageWrite>> pages;  // ids to read, write
        std::vector<RecordId> candidates;
    };

    // One search page against the mirror's rows in the ids it covers: ids the mirror lacks or
    // holds stale are queued for reading; active rows search did not show are candidates.
    Status reconcile_page(SearchChains::Page& page, const std::string& state, ReconcileHeld& held,
                          ReadPipeline& reads) {
        const std::vector<RecordId> ids = ids_of(page.hits);
        HS_ASSIGN_OR_RETURN(auto to_read, stale_ids(page.hits));
        std::vector<RecordId> unseen;
        for (IdRange rest = page.covered; rest.lo < rest.hi;) {
            constexpr int kChunk = 10'000;
            HS_ASSIGN_OR_RETURN(const auto mirrored, mirror_.active_ids(type_, rest, kChunk));
            std::set_difference(mirrored.begin(), mirrored.end(), ids.begin(), ids.end(),
                                std::back_inserter(unseen));
            if (static_cast<int>(mirrored.size()) < kChunk) break;
            rest.lo = mirrored.back();
        }
        PageWrite write;
        write.state = {{key(kStateReconcileProgress), state}};
        if (held.pages.empty() && unseen.empty()) {
            reads.push(std::move(to_read), std::move(write));
            return {};
        }
        held.pages.emplace_back(std::move(to_read), std::move(write));
        held.candidates.insert(held.candidates.end(), unseen.begin(), unseen.end());
        if (held.candidates.size() < static_cast<std::size_t>(kBatchLimit) &&
            held.pages.size() < kHeldPages)
            return {};
        return release_held(held, reads);
    }

    // batch/read says what the held candidates are; the ones HubSpot says are gone are removed
    // before any held page's progress is committed, and the rest (still active, archived,
    // merged) go with the first held page, so whichever page commits first covers them all.
    Status release_held(ReconcileHeld& held, ReadPipeline& reads) {
        if (held.pages.empty()) return {};
        if (!held.candidates.empty()) {
            HS_RETURN_IF_ERROR(check_stop());
            std::sort(held.candidates.begin(), held.candidates.end());
            HS_ASSIGN_OR_RETURN(auto confirmed,
                                confirm(api_, type_, plan_.properties, held.candidates));
            HS_ASSIGN_OR_RETURN(const std::int64_t removed,
                                mirror_.remove_gone(type_, confirmed.gone));
            report_.removed += removed;
            PageWrite& first = held.pages.front().second;
            first.records = std::move(confirmed.records);
            first.merges = std::move(confirmed.merges);
        }
        for (auto& [ids, write] : held.pages)
            reads.push(std::move(ids), std::move(write));
        held = {};
        return {};
    }

    // The archived list (ids and what properties fit): records the mirror lacks are written
    // as listed, rows it holds active are marked archived; then mirrored archived rows the
    // list did not show are confirmed by batch/read (restored, merged or gone). A resumed
    // sweep walks it from the start: the unlisted rows need the whole list.
    Status reconcile_archived(SyncProgress& progress) {
        std::optional<std::string> after;
        std::vector<RecordId> listed;
        while (true) {
            HS_RETURN_IF_ERROR(check_stop());
            ListRequest list{kListLimit, after.value_or(""), archived_list_properties_, true};
            HS_ASSIGN_OR_RETURN(auto page, api_.list(type_, list));
            const std::vector<RecordId> ids = ids_of(page.records);
            listed.insert(listed.end(), ids.begin(), ids.end());
            HS_ASSIGN_OR_RETURN(const auto versions, versions_by_id(ids));
            PageWrite write;
            for (auto& c : page.records) {
                const auto found = versions.find(c.id);
                if (found == versions.end()) {
                    c.archived = true;
                    write.records.push_back(std::move(c));
                } else if (!found->second.archived) {
                    write.archived.push_back({c.id, c.archived_at});
                }
            }
            if (!write.records.empty() || !write.archived.empty()) {
                if (auto written = commit(write); !written.ok()) return std::move(written).error();
            }
            sweep_page_done(progress, ids.size());
            if (page.next_after.empty()) break;
            after = page.next_after;
        }
        return confirm_unlisted(std::move(listed));
    }

    void sweep_page_done(SyncProgress& progress, std::size_t ids) {
        progress.pages += 1;
        progress.records += static_cast<std::int64_t>(ids);
        if (options_.on_progress) options_.on_progress(progress);
        // The ids went to the comparison, not always to a mirror page, but the sweep is
        // alive: the watchdog hears of it too.
        if (options_.on_page) options_.on_page();
    }

    // Reads `ids` with every property and writes them, a batch per transaction, with reads in
    // flight as the latency needs. Archived ones (listed but not readable) keep their archive
    // marker from the listing.
    Status write_by_id(const std::vector<RecordId>& ids) {
        ReadPipeline reads(batch_reader(), read_pipeline_options());
        auto commit_page = [this](PageWrite& write) -> Status {
            if (auto written = commit(write); !written.ok()) return std::move(written).error();
            return {};
        };
        for (std::size_t i = 0; i < ids.size(); i += kBatchLimit) {
            HS_RETURN_IF_ERROR(check_stop());
            const auto end = std::min(ids.size(), i + kBatchLimit);
            reads.push({ids.begin() + static_cast<std::ptrdiff_t>(i),
                        ids.begin() + static_cast<std::ptrdiff_t>(end)},
                       PageWrite{});
            HS_RETURN_IF_ERROR(reads.commit_ready(commit_page, kPagesAhead));
        }
        return reads.commit_ready(commit_page, 0);
    }

    // --- shared steps -------------------------------------------------------------------

    // One batch/read with every planned property (for the pipeline's threads: API only).
    ReadPipeline::ReadBatch batch_reader() {
        return [this](const std::vector<RecordId>& ids) -> Result<std::vector<Record>> {
            HS_ASSIGN_OR_RETURN(auto batch, api_.batch_read(type_, ids, plan_.properties));
            return std::move(batch.records);
        };
    }

    ReadPipelineOptions read_pipeline_options() {
        ReadPipelineOptions o;
        o.width = [this] { return api_.suggested_in_flight(); };
        o.batch_size = static_cast<std::size_t>(kBatchLimit);
        return o;
    }

    // batch/read with every planned property, 100 ids a request.
    Result<std::vector<Record>> read_full(const std::vector<RecordId>& ids) {
        std::vector<Record> out;
        out.reserve(ids.size());
        for (std::size_t i = 0; i < ids.size(); i += kBatchLimit) {
            const auto end = std::min(ids.size(), i + kBatchLimit);
            std::vector<RecordId> chunk(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                        ids.begin() + static_cast<std::ptrdiff_t>(end));
            HS_ASSIGN_OR_RETURN(auto batch, api_.batch_read(type_, chunk, plan_.properties));
            for (auto& c : batch.records)
                out.push_back(std::move(c));
        }
        return out;
    }

    static std::vector<RecordId> ids_of(const std::vector<Record>& records) {
        std::vector<RecordId> ids;
        ids.reserve(records.size());
        for (const auto& c : records)
            ids.push_back(c.id);
        return ids;
    }

    Result<std::int64_t> commit(PageWrite& write) { return commit(write, api_.stats().requests); }

    // `requests_now`: the API's request count when the page was complete (a prefetch may be
    // counting the next page's requests meanwhile).
    Result<std::int64_t> commit(PageWrite& write, std::int64_t requests_now) {
        write.run_id = run_id_;
        write.requests_made = requests_now - requests_committed_;
        HS_ASSIGN_OR_RETURN(auto result, mirror_.write(type_, write));
        for (const Record& r : write.records)
            report_.written_ids.push_back(r.id);
        requests_committed_ = requests_now;
        const std::int64_t written = result.upserted + result.archived;
        report_.records_written += written;
        if (options_.on_page) options_.on_page();
        return written;
    }

    Result<bool> state_present(const char* name) {
        HS_ASSIGN_OR_RETURN(auto value, mirror_.state(key(name)));
        return value.has_value();
    }

    // This type's sync_state key for `name`.
    std::string key(const char* name) const { return state_key(type_, name); }

    SyncProgress new_progress(const char* phase) const {
        SyncProgress p;
        p.object_type = type_.name;
        p.phase = phase;
        return p;
    }

    Status check_stop() const {
        if (options_.stop && options_.stop->stop_requested())
            return make_error(ErrorKind::kCancelled, "sync stopped on request");
        return {};
    }

    SyncEngine& engine_;
    HubSpotApi& api_;
    Mirror& mirror_;
    Clock& clock_;
    const SyncOptions& options_;
    const ObjectType& type_;
    CycleRequest request_;
    RequestPlan plan_;
    std::vector<std::string> archived_list_properties_;
    TypeReport report_;
    std::int64_t run_id_ = 0;
    std::int64_t requests_at_start_ = 0;
    std::int64_t searches_at_start_ = 0;
    std::int64_t requests_committed_ = 0;
};

SyncEngine::SyncEngine(HubSpotApi& api, Mirror& mirror, Clock& clock, SyncOptions options)
    : api_(api), mirror_(mirror), clock_(clock), options_(std::move(options)) {}

namespace {

// Errors no other object type could get past in this cycle.
bool stops_every_type(const Error& e) {
    return e.kind == ErrorKind::kCancelled || e.kind == ErrorKind::kAuthRequired ||
           e.kind == ErrorKind::kUnauthorized || e.kind == ErrorKind::kIo;
}

void add_to(CycleReport& cycle, const TypeReport& type) {
    if (cycle.types.empty()) {
        cycle.mode = type.mode;
        cycle.plan = type.plan;
        cycle.backfill_complete = true;
        cycle.reconciled = true;
    }
    cycle.types.push_back(type);
    cycle.records_written += type.records_written;
    cycle.requests += type.requests;
    cycle.searches += type.searches;
    cycle.removed += type.removed;
    cycle.backfill_complete = cycle.backfill_complete && type.backfill_complete;
    cycle.archive_swept = cycle.archive_swept || type.archive_swept;
    cycle.reconciled = cycle.reconciled && type.reconciled;
}

bool has_scope(const std::optional<std::vector<std::string>>& granted, const std::string& scope) {
    return !granted || std::find(granted->begin(), granted->end(), scope) != granted->end();
}

Error missing_scope(const std::string& type, const std::string& scope) {
    return make_error(
        ErrorKind::kForbidden,
        fmt::format("{} are configured in sync.objects, but the authorization lacks the {} "
                    "scope",
                    type, scope),
        fmt::format("add {} to the app's scopes (or the service key's) and run `hubsync "
                    "authorize` again, or remove {} from sync.objects",
                    scope, type));
}

}  // namespace

const TypeReport* CycleReport::type(const std::string& name) const {
    for (const TypeReport& t : types)
        if (t.object_type == name) return &t;
    return nullptr;
}

Result<CycleReport> SyncEngine::run_cycle(const CycleRequest& request) {
    HS_ASSIGN_OR_RETURN(types_, resolve_types());
    CycleReport report;
    std::optional<Error> first_error;
    for (const ObjectType& type : types_) {
        TypeCycle cycle(*this, type, request);
        Status status = cycle.run();
        add_to(report, cycle.report());
        if (status.ok()) continue;
        if (!first_error) first_error = status.error();
        if (stops_every_type(status.error())) break;
        HS_LOG_WARN("sync of {} failed, going on with the other types: {}", type.name,
                    status.error().describe());
    }
    if (options_.links.enabled && !(first_error && stops_every_type(*first_error))) {
        auto links = LinksSync(api_, mirror_, clock_, options_).run(types_, report.types, request);
        if (links.ok()) report.links = std::move(links).value();
        if (!links.ok() && !first_error) first_error = links.error();
    }
    if (first_error) return *first_error;
    return report;
}

Result<std::vector<ObjectType>> SyncEngine::resolve_types() {
    std::vector<ObjectSchema> schemas;
    const bool want_schemas = needs_schemas(options_.objects, options_.granted_scopes);
    if (want_schemas) {
        auto listed = api_.list_schemas();
        const bool any = std::find(options_.objects.begin(), options_.objects.end(), "*") !=
                         options_.objects.end();
        if (listed.ok()) {
            schemas = std::move(listed).value();
        } else if (!(any && listed.error().kind == ErrorKind::kForbidden &&
                     !options_.granted_scopes)) {
            // Under "*" with unknown scopes, a refused schema list only means "no custom
            // objects for this token"; anything else is an error.
            return std::move(listed).error();
        }
    }
    return resolve_object_types(options_.objects, options_.granted_scopes,
                                want_schemas ? &schemas : nullptr);
}

Result<std::vector<PropertyDef>> SyncEngine::property_defs(const ObjectType& type) {
    HS_ASSIGN_OR_RETURN(auto defs, api_.list_properties(type));
    if (!options_.sensitive_properties || type.sensitive_scope.empty()) return defs;
    std::vector<PropertyDef> sensitive;
    bool readable = false;
    if (has_scope(options_.granted_scopes, type.sensitive_scope)) {
        auto listed = api_.list_properties(type, PropertySensitivity::kSensitive);
        if (listed.ok()) {
            sensitive = std::move(listed).value();
            HS_ASSIGN_OR_RETURN(readable, sensitive_readable(type, sensitive));
        } else if (listed.error().kind != ErrorKind::kForbidden) {
            return std::move(listed).error();
        }
    }
    if (!readable) {
        if (sensitive_warned_.insert(type.name).second)
            HS_LOG_WARN(
                "sensitive properties of {} are not mirrored: the token lacks the {} scope; "
                "grant it to the app (or the service key) and run `hubsync authorize` again; "
                "the other properties are synced as usual",
                type.name, type.sensitive_scope);
        return defs;
    }
    for (auto& d : sensitive)
        defs.push_back(std::move(d));
    return defs;
}

// With the granted scopes known, the sensitive scope decides (checked by the caller). A static
// token's scopes are unknown: one list request naming the sensitive properties tells.
Result<bool> SyncEngine::sensitive_readable(const ObjectType& type,
                                            const std::vector<PropertyDef>& sensitive) {
    if (sensitive.empty()) return false;
    if (options_.granted_scopes) return true;
    ListRequest probe;
    probe.limit = 1;
    for (const auto& d : sensitive)
        probe.properties.push_back(d.name);
    if (api_.list_url_length(type, probe) > static_cast<std::size_t>(options_.max_url_length))
        probe.properties.resize(1);
    auto page = api_.list(type, probe);
    if (page.ok()) return true;
    if (page.error().kind == ErrorKind::kForbidden) return false;
    return std::move(page).error();
}

bool needs_schemas(const std::vector<std::string>& names,
                   const std::optional<std::vector<std::string>>& granted) {
    for (const std::string& name : names) {
        if (name == "*") {
            if (has_scope(granted, kCustomSchemasReadScope)) return true;
            continue;
        }
        if (!find_standard_type(name)) return true;
    }
    return false;
}

Result<std::vector<ObjectType>> resolve_object_types(
    const std::vector<std::string>& names, const std::optional<std::vector<std::string>>& granted,
    const std::vector<ObjectSchema>* schemas) {
    std::vector<ObjectType> out;
    auto add = [&](ObjectType t) {
        if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
    };
    if (names.empty()) add(contacts_type());
    for (const std::string& name : names) {
        if (name == "*") {
            for (const ObjectType& t : standard_object_types())
                if (has_scope(granted, t.read_scope)) add(t);
            if (schemas && has_scope(granted, kCustomObjectsReadScope))
                for (const ObjectSchema& schema : *schemas)
                    if (auto t = custom_object_type(schema.name, schema.object_type_id))
                        add(std::move(*t));
            continue;
        }
        if (const ObjectType* t = find_standard_type(name)) {
            if (!has_scope(granted, t->read_scope)) return missing_scope(t->name, t->read_scope);
            add(*t);
            continue;
        }
        const ObjectSchema* schema = nullptr;
        if (schemas)
            for (const ObjectSchema& s : *schemas)
                if (s.name == name || s.object_type_id == name || s.fully_qualified_name == name)
                    schema = &s;
        if (!schema) {
            return make_error(ErrorKind::kConfig,
                              fmt::format("sync.objects names {}, which is neither contacts, "
                                          "companies, deals, tickets nor a custom object of "
                                          "this portal",
                                          name),
                              "check the spelling against the custom object's schema name, or "
                              "remove it from sync.objects");
        }
        if (!has_scope(granted, kCustomObjectsReadScope))
            return missing_scope(name, kCustomObjectsReadScope);
        if (auto t = custom_object_type(schema->name, schema->object_type_id)) add(std::move(*t));
    }
    return out;
}

}  // namespace hubsync
