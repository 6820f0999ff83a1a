// The mirror's tables for what joins records (contract: associations, owners, pipelines,
// pipeline_stages, property_options, plus association_labels) and the report views built on
// them. `LinkMirror` is the storage interface; the SQLite one is mirror/sqlite_links.h, reached
// through Mirror::links().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "mirror/mirror.h"
#include "model/crm_links.h"
#include "model/object_type.h"
#include "model/record.h"

namespace hubsync {

// One row of `associations`.
struct AssociationRow {
    std::string from_type;
    RecordId from_id = 0;
    std::string to_type;
    RecordId to_id = 0;
    AssociationType type;

    bool operator==(const AssociationRow&) const = default;
};

// What replace_links changed.
struct LinkChanges {
    std::int64_t inserted = 0;  // rows added (a relabel counts as one removed and one added)
    std::int64_t removed = 0;
    // The `to` records whose rows from these records changed: their rows in the other
    // direction are worth reading again.
    std::vector<RecordId> changed_to_ids;
};

// The names of the report views (contract: documented in the README).
inline constexpr const char* kDealsReportView = "deals_report";
inline constexpr const char* kContactsReportView = "contacts_report";
inline constexpr const char* kCompaniesReportView = "companies_report";
inline constexpr const char* kTicketsReportView = "tickets_report";

// Not thread-safe; the Mirror that owns it is used by one thread at a time.
class LinkMirror {
  public:
    virtual ~LinkMirror() = default;

    // --- Associations ---------------------------------------------------------------------
    // Makes the rows from `from` records `from_ids` to type `to` equal `links` (records of
    // from_ids absent from `links` have none), with `state` in the same transaction. Types are
    // stored by name. Returns what changed.
    virtual Result<LinkChanges> replace_links(const ObjectType& from, const ObjectType& to,
                                              const std::vector<RecordId>& from_ids,
                                              const std::vector<RecordLinks>& links,
                                              const std::vector<StateUpdate>& state) = 0;
    // The rows from one record to one type (to id and type id order).
    virtual Result<std::vector<AssociationRow>> links_of(const ObjectType& from, RecordId id,
                                                         const ObjectType& to) = 0;
    virtual Result<std::int64_t> count_links() = 0;
    // Removes the rows from or to records of `type` that are archived or merged away, and
    // with `gone` also those of records the mirror no longer has. Returns the rows removed.
    virtual Result<std::int64_t> prune_links(const ObjectType& type, bool gone) = 0;
    // The association types defined from `from` to `to` (table association_labels).
    virtual Status replace_association_labels(const ObjectType& from, const ObjectType& to,
                                              const std::vector<AssociationType>& labels) = 0;

    // --- Records the association reads start from -------------------------------------------
    // Active ids of `type` (neither archived nor merged) above `after`, ascending, at most
    // `limit`.
    virtual Result<std::vector<RecordId>> active_ids(const ObjectType& type, RecordId after,
                                                     int limit) = 0;
    // Those of `ids` that are active rows of `type`, ascending, without duplicates.
    virtual Result<std::vector<RecordId>> filter_active(const ObjectType& type,
                                                        const std::vector<RecordId>& ids) = 0;

    // --- Owners, pipelines, property options ------------------------------------------------
    // The owners table becomes `owners` (active and archived together).
    virtual Status replace_owners(const std::vector<Owner>& owners) = 0;
    // The type's pipelines and stages become `pipelines`.
    virtual Status replace_pipelines(const ObjectType& type,
                                     const std::vector<Pipeline>& pipelines) = 0;
    // The options of the type's enumeration properties in `defs` become its rows of
    // property_options. False when they already were (nothing written).
    virtual Result<bool> replace_options(const ObjectType& type,
                                         const std::vector<PropertyDef>& defs) = 0;

    // --- Views ------------------------------------------------------------------------------
    // (Re)creates the report views for the mirrored types: names resolved beside ids from
    // whichever properties are synced (a property that is not becomes NULL). Only a view whose
    // definition changed is replaced.
    virtual Status refresh_views() = 0;
};

}  // namespace hubsync
