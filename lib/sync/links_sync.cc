// The links part of a cycle, in the order it runs: property options from the definitions the
// cycle read, owners and pipelines when due, associations (the sweep when due, else the records
// the cycle wrote), rows of records gone inactive, the report views.
#include "sync/links_sync.h"

#include <algorithm>
#include <deque>
#include <future>
#include <map>
#include <utility>

#include <fmt/core.h>

#include "core/log.h"
#include "core/text.h"
#include "sync/sync_engine.h"

namespace hubsync {
namespace {

// Association reads in flight at most (each holds a thread while it waits for HubSpot).
constexpr int kMaxLinkReadsInFlight = 16;

// A sweep's progress: when it started, the pair it is on and the last record written.
struct SweepCursor {
    std::int64_t started_ms = 0;
    std::size_t pair = 0;
    RecordId last_id = 0;

    std::string encode() const { return fmt::format("{}:{}:{}", started_ms, pair, last_id); }
    static std::optional<SweepCursor> decode(const std::optional<std::string>& text) {
        if (!text) return std::nullopt;
        const auto a = text->find(':');
        const auto b = a == std::string::npos ? a : text->find(':', a + 1);
        if (b == std::string::npos) return std::nullopt;
        const auto started = parse_int<std::int64_t>(std::string_view(*text).substr(0, a));
        const auto pair = parse_int<std::int64_t>(std::string_view(*text).substr(a + 1, b - a - 1));
        const auto last = parse_int<std::int64_t>(std::string_view(*text).substr(b + 1));
        if (!started || !pair || !last || *pair < 0) return std::nullopt;
        return SweepCursor{*started, static_cast<std::size_t>(*pair), *last};
    }
};

bool has_pipelines(const ObjectType& type) {
    return type.name == "deals" || type.name == "tickets" || type.custom;
}

bool has_scope(const std::optional<std::vector<std::string>>& granted, std::string_view scope) {
    return !granted || std::find(granted->begin(), granted->end(), scope) != granted->end();
}

const TypeReport* report_of(const std::vector<TypeReport>& cycle, const ObjectType& type) {
    for (const TypeReport& r : cycle)
        if (r.object_type == type.name) return &r;
    return nullptr;
}

}  // namespace

LinksSync::LinksSync(HubSpotApi& api, Mirror& mirror, Clock& clock, const SyncOptions& options)
    : api_(api),
      links_api_(api),
      mirror_(mirror),
      store_(mirror.links()),
      clock_(clock),
      options_(options) {}

Result<LinkReport> LinksSync::run(const std::vector<ObjectType>& types,
                                  const std::vector<TypeReport>& cycle,
                                  const CycleRequest& request) {
    report_ = LinkReport{};
    const std::int64_t requests_at_start = api_.stats().requests;
    std::vector<Pair> pairs;
    for (const ObjectType& from : types)
        for (const ObjectType& to : types)
            if (!(from == to)) pairs.push_back({&from, &to, pairs.size()});

    Status status = write_options(types, cycle);
    if (status.ok()) {
        auto reference_due = due(kStateLinksReferenceMs, options_.links.reference_interval);
        if (!reference_due.ok()) {
            status = reference_due.error();
        } else if (request.full || *reference_due) {
            status = refresh_reference(types, pairs);
        }
    }
    if (status.ok() && options_.links.associations && !pairs.empty()) {
        auto sweep_due = due(kStateLinksSweptMs, options_.links.associations_interval);
        if (!sweep_due.ok()) {
            status = sweep_due.error();
        } else {
            HS_ASSIGN_OR_RETURN(auto interrupted, mirror_.state(kStateLinksSweep));
            status = request.full || *sweep_due || interrupted ? sweep(pairs)
                                                               : incremental(types, pairs, cycle);
        }
    }
    if (status.ok()) status = prune(types, cycle);
    if (status.ok()) status = store_.refresh_views();
    report_.requests = api_.stats().requests - requests_at_start;
    if (!status.ok()) return status.error();
    return report_;
}

// --- property options ------------------------------------------------------------------------

Status LinksSync::write_options(const std::vector<ObjectType>& types,
                                const std::vector<TypeReport>& cycle) {
    for (const ObjectType& type : types) {
        const TypeReport* r = report_of(cycle, type);
        if (!r || r->properties.empty()) continue;
        HS_ASSIGN_OR_RETURN(const bool written, store_.replace_options(type, r->properties));
        if (written) report_.option_types_written += 1;
    }
    return Status::Ok();
}

// --- owners, pipelines, association labels -----------------------------------------------

Result<bool> LinksSync::due(const char* key, Millis interval) {
    HS_ASSIGN_OR_RETURN(const auto last, mirror_.state(key));
    const auto last_ms = last ? parse_int<std::int64_t>(*last) : std::nullopt;
    return !last_ms || clock_.now_ms() - *last_ms >= interval.count();
}

Status LinksSync::refresh_reference(const std::vector<ObjectType>& types,
                                    const std::vector<Pair>& pairs) {
    const std::int64_t started = clock_.now_ms();
    if (options_.links.owners) HS_RETURN_IF_ERROR(refresh_owners());
    for (const ObjectType& type : types)
        if (has_pipelines(type)) HS_RETURN_IF_ERROR(refresh_pipelines(type));
    for (const Pair& p : pairs) {
        HS_RETURN_IF_ERROR(check_stop());
        HS_ASSIGN_OR_RETURN(const auto labels, links_api_.association_labels(*p.from, *p.to));
        HS_RETURN_IF_ERROR(store_.replace_association_labels(*p.from, *p.to, labels));
    }
    HS_RETURN_IF_ERROR(mirror_.set_state({{kStateLinksReferenceMs, std::to_string(started)}}));
    report_.reference_refreshed = true;
    return Status::Ok();
}

// Active and archived owners together: records keep pointing at owners who left.
Status LinksSync::refresh_owners() {
    if (!has_scope(options_.granted_scopes, kOwnersReadScope)) {
        HS_LOG_INFO(
            "owners are not mirrored: the authorization lacks the {} scope; add it to "
            "the app and run `hubsync authorize` again to get owner names in reports",
            kOwnersReadScope);
        return Status::Ok();
    }
    auto active = links_api_.owners(false);
    if (!active.ok() && active.error().kind == ErrorKind::kForbidden) {
        HS_LOG_INFO("owners are not mirrored: {}", active.error().describe());
        return Status::Ok();
    }
    if (!active.ok()) return active.error();
    HS_ASSIGN_OR_RETURN(auto archived, links_api_.owners(true));
    std::vector<Owner> all = std::move(active).value();
    for (Owner& o : archived) {
        o.archived = true;
        all.push_back(std::move(o));
    }
    return store_.replace_owners(all);
}

Status LinksSync::refresh_pipelines(const ObjectType& type) {
    auto pipelines = links_api_.pipelines(type);
    if (!pipelines.ok()) {
        // A custom object without pipelines is refused (400) or unknown (404) here.
        const ErrorKind kind = pipelines.error().kind;
        if (type.custom && (kind == ErrorKind::kInternal || kind == ErrorKind::kNotFound)) {
            HS_LOG_DEBUG("{} have no pipelines: {}", type.name, pipelines.error().describe());
            return Status::Ok();
        }
        return pipelines.error();
    }
    return store_.replace_pipelines(type, *pipelines);
}

// --- associations ----------------------------------------------------------------------------

Status LinksSync::check_stop() const {
    if (options_.stop && options_.stop->stop_requested())
        return make_error(ErrorKind::kCancelled, "sync stopped on request");
    return Status::Ok();
}

Result<std::vector<RecordLinks>> LinksSync::read_links(const ObjectType& from, const ObjectType& to,
                                                       const std::vector<RecordId>& ids) {
    std::vector<RecordLinks> out;
    std::vector<AssociationInput> pending;
    pending.reserve(ids.size());
    for (RecordId id : ids)
        pending.push_back({id, {}});
    std::set<std::pair<RecordId, std::string>> asked;  // a cursor that repeats would never end
    while (!pending.empty()) {
        HS_RETURN_IF_ERROR(check_stop());
        const std::size_t n = std::min(pending.size(), kMaxAssociationInputs);
        std::vector<AssociationInput> batch(pending.begin(),
                                            pending.begin() + static_cast<std::ptrdiff_t>(n));
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
        HS_ASSIGN_OR_RETURN(auto page, links_api_.read_associations(from, to, batch));
        for (auto& r : page.results)
            out.push_back(std::move(r));
        for (auto& more : page.more)
            if (asked.insert({more.id, more.after}).second) pending.push_back(std::move(more));
        if (!page.missing.empty())
            HS_LOG_DEBUG("{} {} HubSpot no longer has: their links to {} are removed",
                         page.missing.size(), from.name, to.name);
    }
    return out;
}

Status LinksSync::read_and_write_all(const NextBatch& next) {
    struct InFlight {
        LinkBatch batch;
        std::future<Result<std::vector<RecordLinks>>> links;
    };
    std::deque<InFlight> queue;  // destroying a future of std::async waits for its read
    bool more = true;
    while (true) {
        const auto width = static_cast<std::size_t>(
            std::clamp(api_.suggested_in_flight(), 1, kMaxLinkReadsInFlight));
        while (more && queue.size() < width) {
            HS_ASSIGN_OR_RETURN(auto batch, next());
            if (!batch) {
                more = false;
                break;
            }
            InFlight f{std::move(*batch), {}};
            f.links = std::async(std::launch::async,
                                 [this, from = f.batch.from, to = f.batch.to, ids = f.batch.ids] {
                                     return read_links(*from, *to, ids);
                                 });
            queue.push_back(std::move(f));
        }
        if (queue.empty()) return Status::Ok();
        InFlight f = std::move(queue.front());
        queue.pop_front();
        HS_ASSIGN_OR_RETURN(const auto links, f.links.get());
        const LinkBatch& b = f.batch;
        HS_ASSIGN_OR_RETURN(const auto changes,
                            store_.replace_links(*b.from, *b.to, b.ids, links, b.state));
        report_.records_read += static_cast<std::int64_t>(b.ids.size());
        report_.rows_inserted += changes.inserted;
        report_.rows_removed += changes.removed;
        if (b.changed)
            b.changed->insert(changes.changed_to_ids.begin(), changes.changed_to_ids.end());
        if (b.written) b.written();
        if (options_.on_page) options_.on_page();
    }
}

// Every active record's links, pair by pair, a cursor committed with each batch.
Status LinksSync::sweep(const std::vector<Pair>& pairs) {
    HS_ASSIGN_OR_RETURN(const auto saved, mirror_.state(kStateLinksSweep));
    SweepCursor cursor = SweepCursor::decode(saved).value_or(SweepCursor{clock_.now_ms(), 0, 0});
    if (cursor.pair >= pairs.size()) cursor = SweepCursor{clock_.now_ms(), 0, 0};
    SyncProgress progress;
    progress.object_type = "associations";
    progress.phase = "association sweep";
    std::size_t pair = cursor.pair;
    RecordId after = cursor.last_id;
    HS_RETURN_IF_ERROR(read_and_write_all([&]() -> Result<std::optional<LinkBatch>> {
        for (; pair < pairs.size(); ++pair, after = 0) {
            HS_RETURN_IF_ERROR(check_stop());
            const Pair& p = pairs[pair];
            HS_ASSIGN_OR_RETURN(
                auto ids,
                store_.active_ids(*p.from, after, static_cast<int>(kMaxAssociationInputs)));
            if (ids.empty()) continue;
            after = ids.back();
            const SweepCursor next{cursor.started_ms, pair, ids.back()};
            const auto count = static_cast<std::int64_t>(ids.size());
            LinkBatch batch{p.from,
                            p.to,
                            std::move(ids),
                            {{kStateLinksSweep, next.encode()}},
                            nullptr,
                            [&progress, count, this] {
                                progress.pages += 1;
                                progress.records += count;
                                if (options_.on_progress) options_.on_progress(progress);
                            }};
            return std::optional<LinkBatch>(std::move(batch));
        }
        return std::optional<LinkBatch>();
    }));
    HS_RETURN_IF_ERROR(mirror_.set_state({{kStateLinksSweptMs, std::to_string(cursor.started_ms)},
                                          {kStateLinksSweep, std::nullopt}}));
    report_.swept = true;
    return Status::Ok();
}

// The links of the records this cycle wrote, in every direction; then, where those changed,
// the links of the records on the other side back to them.
Status LinksSync::incremental(const std::vector<ObjectType>& types, const std::vector<Pair>& pairs,
                              const std::vector<TypeReport>& cycle) {
    std::map<std::pair<std::string, std::string>, std::set<RecordId>> read;  // (from, to)
    std::map<std::size_t, std::set<RecordId>> neighbors;                     // pair index -> ids
    auto pair_index = [&](const ObjectType& from, const ObjectType& to) {
        for (const Pair& p : pairs)
            if (*p.from == from && *p.to == to) return p.index;
        return pairs.size();
    };
    // Batches of `ids` (every read in flight together, see read_and_write_all).
    std::deque<LinkBatch> batches;
    auto add_batches = [&](const ObjectType& from, const ObjectType& to,
                           const std::vector<RecordId>& ids, std::set<RecordId>* changed) {
        for (std::size_t i = 0; i < ids.size(); i += kMaxAssociationInputs) {
            const auto end = std::min(ids.size(), i + kMaxAssociationInputs);
            batches.push_back(
                {&from,
                 &to,
                 std::vector<RecordId>(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                       ids.begin() + static_cast<std::ptrdiff_t>(end)),
                 {},
                 changed,
                 nullptr});
        }
        read[{from.name, to.name}].insert(ids.begin(), ids.end());
    };
    auto next = [&]() -> Result<std::optional<LinkBatch>> {
        HS_RETURN_IF_ERROR(check_stop());
        if (batches.empty()) return std::optional<LinkBatch>();
        LinkBatch b = std::move(batches.front());
        batches.pop_front();
        return std::optional<LinkBatch>(std::move(b));
    };
    // (to, from) pair index -> the `to` ids whose links to `from` changed.
    std::map<std::pair<std::size_t, std::size_t>, std::set<RecordId>> changed;
    for (const ObjectType& from : types) {
        const TypeReport* r = report_of(cycle, from);
        if (!r || r->written_ids.empty()) continue;
        HS_ASSIGN_OR_RETURN(const auto ids, store_.filter_active(from, r->written_ids));
        if (ids.empty()) continue;
        for (const ObjectType& to : types) {
            if (from == to) continue;
            add_batches(from, to, ids, &changed[{pair_index(from, to), pair_index(to, from)}]);
        }
    }
    HS_RETURN_IF_ERROR(read_and_write_all(next));
    // The reverse rows of the links that changed: to -> from.
    for (const auto& [indexes, ids] : changed)
        neighbors[indexes.second].insert(ids.begin(), ids.end());
    for (const auto& [index, ids] : neighbors) {
        if (index >= pairs.size() || ids.empty()) continue;
        const Pair& p = pairs[index];
        const auto& done = read[{p.from->name, p.to->name}];
        std::vector<RecordId> todo;
        for (RecordId id : ids)
            if (!done.count(id)) todo.push_back(id);
        HS_ASSIGN_OR_RETURN(const auto active, store_.filter_active(*p.from, todo));
        add_batches(*p.from, *p.to, active, nullptr);
    }
    return read_and_write_all(next);
}

// Rows of records that were archived, merged away or removed go with them.
Status LinksSync::prune(const std::vector<ObjectType>& types,
                        const std::vector<TypeReport>& cycle) {
    for (const ObjectType& type : types) {
        const TypeReport* r = report_of(cycle, type);
        const bool changed =
            r && (r->records_written > 0 || r->removed > 0 || r->archive_swept || r->reconciled);
        if (!changed && !report_.swept) continue;
        HS_ASSIGN_OR_RETURN(const std::int64_t pruned,
                            store_.prune_links(type, r && (r->removed > 0 || r->reconciled)));
        report_.rows_pruned += pruned;
    }
    return Status::Ok();
}

}  // namespace hubsync
