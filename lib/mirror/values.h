// Value handling on the write path: timestamp normalization and the hand-written JSON for the
// `properties` column (the hot loop of a backfill, so no JSON library and no allocations
// beyond the reused output buffer).
#pragma once

#include <string>
#include <string_view>

namespace hubsync::mirror_values {

// Normalizes a timestamp (ISO-8601 or epoch ms) to "YYYY-MM-DDTHH:MM:SS.mmmZ" into `out`, so
// stored timestamps compare correctly as text. Returns false (out untouched) when unparseable.
bool normalize_timestamp(std::string_view raw, std::string& out);

// The typed-column value of a date (`date_only`: "YYYY-MM-DD") or datetime property into
// `out`, reusing its buffer. False when unparseable.
bool normalize_date(std::string_view raw, bool date_only, std::string& out);

// SQL column type for a HubSpot property type.
std::string_view column_type_for(std::string_view hubspot_type);

enum class ValueKind { kText, kNumber, kBool, kDate, kDateTime };
ValueKind value_kind_for(std::string_view hubspot_type);

}  // namespace hubsync::mirror_values
