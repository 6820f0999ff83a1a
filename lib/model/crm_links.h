// What joins HubSpot's records beside their properties, as the engine holds it after decoding:
// associations with their labels, owners, and pipelines with their stages. The same shapes
// serve the API client, the mirror and the simulator's tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/record.h"

namespace hubsync {

// One association type of a link, in the direction it was read: HUBSPOT_DEFINED (the default
// unlabelled type, "Primary"), USER_DEFINED (a portal's own labels), INTEGRATOR_DEFINED, WORK.
struct AssociationType {
    std::int64_t type_id = 0;
    std::string category;
    std::optional<std::string> label;  // nullopt when unlabelled

    bool operator==(const AssociationType&) const = default;
};

// One link of a record to a record of another type, with every type it carries.
struct AssociationLink {
    RecordId to_id = 0;
    std::vector<AssociationType> types;
};

// A record's links to one other type (as far as one page of the batch read went).
struct RecordLinks {
    RecordId from_id = 0;
    std::vector<AssociationLink> links;
};

struct OwnerTeam {
    std::string id, name;
    bool primary = false;
};

// An owner: a user (PERSON) or a QUEUE; `hubspot_owner_id` properties hold their ids.
struct Owner {
    std::int64_t id = 0;
    std::optional<std::int64_t> user_id;  // none for a queue
    std::string email, first_name, last_name, type;
    std::vector<OwnerTeam> teams;
    bool archived = false;
    std::string created_at, updated_at;  // as HubSpot sent them
};

struct PipelineStage {
    std::string id, label;
    int display_order = 0;
    bool archived = false;
    // Values are strings as HubSpot sends them: deals `probability`, `isClosed`; tickets
    // `ticketState`.
    std::vector<std::pair<std::string, std::string>> metadata;
};

struct Pipeline {
    std::string id, label;
    int display_order = 0;
    bool archived = false;
    std::vector<PipelineStage> stages;
};

}  // namespace hubsync
