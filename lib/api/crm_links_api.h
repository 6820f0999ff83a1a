// HubSpot's calls for what joins records: the batch associations read with labels (per-record
// paging), the association labels, owners (active and archived) and pipelines with stages. Typed
// calls over HubSpotApi::call on the dated paths of the endpoint table, and their decoders (pure
// functions, for tests and fuzzers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/hubspot_api.h"
#include "core/result.h"
#include "model/crm_links.h"
#include "model/object_type.h"

namespace hubsync {

// HubSpot's limit on the inputs of one batch associations read.
inline constexpr std::size_t kMaxAssociationInputs = 1000;

// One input of a batch associations read: a record, and where its links continue when an
// earlier answer said it has more.
struct AssociationInput {
    RecordId id = 0;
    std::string after;  // empty = from the first link
};

// One answer of the batch associations read.
struct AssociationsPage {
    // One entry per record that has links in this answer (a record may be absent when it has
    // none; HubSpot also reports some of those in `missing`).
    std::vector<RecordLinks> results;
    // Records with more links than this answer held: re-send {id, after}.
    std::vector<AssociationInput> more;
    // Ids HubSpot reported in `errors` (HTTP 207): records that do not exist (any more).
    std::vector<RecordId> missing;
};

// {"results":[{"from":{"id"},"to":[{"toObjectId","associationTypes":[{category,typeId,label}]}],
// "paging":{"next":{"after"}}}],"errors":[{"context":{"ids"|"fromObjectId":[...]}}]}. Ids may
// be strings or numbers.
Result<AssociationsPage> decode_associations_page(std::string_view json);
// {"results":[{category, typeId, label}]}
Result<std::vector<AssociationType>> decode_association_labels(std::string_view json);

struct OwnersPage {
    std::vector<Owner> owners;
    std::string next_after;  // empty on the last page
};
Result<OwnersPage> decode_owners_page(std::string_view json);
Result<std::vector<Pipeline>> decode_pipelines(std::string_view json);

// The typed calls. Not thread-safe by itself; the HubSpotApi underneath is.
class CrmLinksApi final {
  public:
    explicit CrmLinksApi(HubSpotApi& api) : api_(api) {}

    // One batch read of `from` records' links to `to` records; at most kMaxAssociationInputs
    // inputs (more is a kInternal plan error; none answers empty without a request).
    Result<AssociationsPage> read_associations(const ObjectType& from, const ObjectType& to,
                                               const std::vector<AssociationInput>& inputs);
    // The association types (labels) defined from `from` to `to`.
    Result<std::vector<AssociationType>> association_labels(const ObjectType& from,
                                                            const ObjectType& to);
    // Every owner, walking the pages: the active ones, or with `archived` the archived ones.
    Result<std::vector<Owner>> owners(bool archived);
    // The type's pipelines and their stages.
    Result<std::vector<Pipeline>> pipelines(const ObjectType& type);

  private:
    HubSpotApi& api_;
};

}  // namespace hubsync
