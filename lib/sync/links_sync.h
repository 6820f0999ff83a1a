// What joins records, kept in the mirror after each sync cycle: the associations between every
// pair of mirrored types (both directions read, so each row says what HubSpot says from that
// side), owners, pipelines and stages, property options, and the report views.
//
// HubSpot moves neither record's modification time when a link is added, removed or
// relabelled, so the records a cycle wrote are not enough: the links of every record a cycle
// wrote are read again (and, where they changed, those of the records on the other side), and
// an association sweep on its own interval reads every active record's links.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/crm_links_api.h"
#include "api/hubspot_api.h"
#include "core/clock.h"
#include "core/result.h"
#include "mirror/links.h"
#include "mirror/mirror.h"
#include "model/object_type.h"

namespace hubsync {

struct TypeReport;
struct SyncOptions;
struct CycleRequest;

// sync_state keys of the links (not per type).
inline constexpr const char* kStateLinksSweptMs = "links.associations.swept_ms";
// started_ms:pair_index:last_id of a sweep a stop or crash interrupted.
inline constexpr const char* kStateLinksSweep = "links.associations.sweep";
inline constexpr const char* kStateLinksReferenceMs = "links.reference.refreshed_ms";

struct LinkSyncOptions {
    // Associations, owners, pipelines, options and the report views after every cycle.
    bool enabled = true;
    // Associations (and the views' company columns); false = none are read.
    bool associations = true;
    // Read owners (needs crm.objects.owners.read; without it they are left out, with a warning).
    bool owners = true;
    // How often every active record's links are read again (the association sweep).
    Millis associations_interval{6 * 3'600'000};
    // How often owners, pipelines and association labels are read again.
    Millis reference_interval{3'600'000};
};

// What the links part of one cycle did.
struct LinkReport {
    std::int64_t requests = 0;
    std::int64_t records_read = 0;  // records whose links were read
    std::int64_t rows_inserted = 0;
    std::int64_t rows_removed = 0;  // by reading (links gone or relabelled)
    std::int64_t rows_pruned = 0;   // of records archived, merged away or gone
    bool swept = false;             // the association sweep ran to its end
    bool reference_refreshed = false;
    int option_types_written = 0;  // types whose property options changed
};

class LinksSync final {
  public:
    // All references must outlive the object. Not thread-safe.
    LinksSync(HubSpotApi& api, Mirror& mirror, Clock& clock, const SyncOptions& options);

    // Brings the links of `types` up to date after a cycle whose per-type outcome is `cycle`.
    // `request.full` runs the sweep and refreshes everything.
    Result<LinkReport> run(const std::vector<ObjectType>& types,
                           const std::vector<TypeReport>& cycle, const CycleRequest& request);

  private:
    struct Pair {
        const ObjectType* from;
        const ObjectType* to;
        std::size_t index;  // position in the sweep order
    };

    Status write_options(const std::vector<ObjectType>& types,
                         const std::vector<TypeReport>& cycle);
    Result<bool> due(const char* key, Millis interval);
    Status refresh_reference(const std::vector<ObjectType>& types, const std::vector<Pair>& pairs);
    Status refresh_owners();
    Status refresh_pipelines(const ObjectType& type);
    Status sweep(const std::vector<Pair>& pairs);
    Status incremental(const std::vector<ObjectType>& types, const std::vector<Pair>& pairs,
                       const std::vector<TypeReport>& cycle);
    Status prune(const std::vector<ObjectType>& types, const std::vector<TypeReport>& cycle);
    // Records whose links to one type are read and written together.
    struct LinkBatch {
        const ObjectType* from = nullptr;
        const ObjectType* to = nullptr;
        std::vector<RecordId> ids;                // at most kMaxAssociationInputs
        std::vector<StateUpdate> state;           // committed with the batch's rows
        std::set<RecordId>* changed = nullptr;    // receives the `to` ids whose links changed
        std::function<void()> written = nullptr;  // after the write (progress)
    };
    // The next batch, or nullopt when there are no more. Called on the calling thread.
    using NextBatch = std::function<Result<std::optional<LinkBatch>>()>;
    // Reads the batches `next` gives with as many reads in flight as the API suggests (each on
    // a thread of its own, API only) and writes them on this thread in the order they came, so
    // a cursor committed with a batch never passes one not yet written. On an error no further
    // batch is started or written; the reads in flight are waited for.
    Status read_and_write_all(const NextBatch& next);
    // The links of `ids` from `from` to `to`, following per-record paging. API only.
    Result<std::vector<RecordLinks>> read_links(const ObjectType& from, const ObjectType& to,
                                                const std::vector<RecordId>& ids);
    Status check_stop() const;

    HubSpotApi& api_;
    CrmLinksApi links_api_;
    Mirror& mirror_;
    LinkMirror& store_;
    Clock& clock_;
    const SyncOptions& options_;
    LinkReport report_;
};

}  // namespace hubsync
