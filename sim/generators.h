// Deterministic property values for the simulator's generated records: each value is a pure
// function of (seed, record id, property), so a store holds no values until one changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/record.h"

namespace hubsync::sim {

// How a property's values come about, grouped by family: generate() dispatches on the groups'
// bounds, so a new kind joins its family's group. (What fixes generated values is each type's
// property order, which feeds the per-value hash, not the order here.)
enum class Gen : std::uint8_t {
    kNone,  // no generated value (properties added later)
    // Contacts (also used by other types where they fit: phone, city, country, ...).
    kEmail,
    kFirstName,
    kLastName,
    kPhone,
    kMobile,
    kCompany,
    kWebsite,
    kJobTitle,
    kCity,
    kState,
    kZip,
    kCountry,
    kAddress,
    kLifecycle,
    kLeadStatus,
    kIndustry,
    kSource,
    kNumNotes,
    kNotesLastUpdated,
    // Held by the record itself: created, last modified, id; merged ids only by overrides.
    kCreateDate,
    kLastModified,
    kObjectId,
    kMergedIds,
    kEmailDomain,
    // Custom properties cycling through every property type.
    kCustomString,
    kCustomNumber,
    kCustomBool,
    kCustomDate,
    kCustomDatetime,
    kCustomSelect,
    kCustomMulti,
    kCustomPhone,
    kCustomJson,
    kCustomCoordinates,
    kCustomTextarea,
    // Sensitive contact properties.
    kNationalId,
    kBirthDate,
    kHealthCondition,
    // Any type: references to owners and pipelines, and one of the property's own options
    // (several, joined by ';', for a checkbox field).
    kOwner,
    kPipeline,
    kPipelineStage,
    kOptionOf,
    kDescription,
    // Companies.
    kCompanyName,
    kCompanyDomain,
    kEmployees,
    kRevenue,
    // Deals.
    kDealName,
    kAmount,
    kCloseDate,
    // Tickets.
    kTicketSubject,
    kTicketContent,
    kClosedDate,
    // The sample custom object (pets).
    kPetName,
    kBreed,
};

// The owners and pipeline stages generated records point at, fixed when the store is made (a
// later relabel or a new owner changes no generated value).
struct PipelineRef {
    std::string id;
    std::vector<std::string> stage_ids;
};
struct References {
    std::vector<std::string> owner_ids;
    std::vector<PipelineRef> pipelines;  // of the record's own type
};

struct GenInput {
    std::uint64_t record_hash = 0;  // per record
    std::uint64_t value_hash = 0;   // per record and property
    std::int64_t id = 0;
    std::int64_t created_ms = 0;
    const PropertyDef* def = nullptr;  // for kOptionOf
    const References* refs = nullptr;  // for kOwner, kPipeline, kPipelineStage
};

// Writes the generated value into `out` (cleared by the caller); false = null. Not for the
// record-held kinds (kCreateDate, kLastModified, kObjectId, kMergedIds).
bool generate(Gen gen, const GenInput& in, std::string& out);

// The options (values and labels) of a generator that picks from a fixed list: lifecycle
// stage, lead status, source, the custom select kinds, health condition. Empty for others.
std::vector<PropertyOption> options_of(Gen gen);

// Options from {value, label} rows, display order as given.
struct OptionRow {
    const char* value;
    const char* label;
    bool hidden = false;
};

// Owner names for generated owners (the same lists as contacts use).
const char* first_name_at(std::uint64_t index);
const char* last_name_at(std::uint64_t index);
const char* ascii_first_name_at(std::uint64_t index);
const char* ascii_last_name_at(std::uint64_t index);

std::uint64_t mix64(std::uint64_t x);

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kDataStartMs = 1'546'300'800'000;  // 2019-01-01T00:00:00Z
constexpr std::int64_t kCreateSpanMs = 5 * 365 * kDayMs;  // records created over five years

}  // namespace hubsync::sim
