// Decoders for HubSpot's CRM response bodies: pages of records (list and search), batch reads,
// property definitions, custom object schemas and error bodies. Pure functions, so benchmarks and
// fuzzers call them.
//
// Error kinds: a body that is not well-formed JSON (truncated, an HTML page from a proxy,
// trailing garbage) is kTransient, because in a 2xx response it almost always means a broken
// connection or a proxy and a retry usually succeeds. Well-formed JSON of the wrong shape
// (an id that is not a string of digits, "results" not an array) is kBadData.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/hubspot_api.h"
#include "core/result.h"
#include "model/record.h"

namespace hubsync {

// {"results":[record...],"paging":{"next":{"after":"..."}},"total":N}. Property values are
// kept exactly as sent: strings as strings, null as nullopt, numbers and booleans as their
// JSON text, nested objects or arrays as their raw JSON.
Result<RecordPage> decode_record_page(std::string_view json);

// The batch/read response; `missing` comes from errors[].context.ids (HTTP 207).
Result<BatchReadResult> decode_batch_read(std::string_view json);

// The properties endpoint of an object type.
Result<std::vector<PropertyDef>> decode_properties(std::string_view json);

// The custom object schemas endpoint.
Result<std::vector<ObjectSchema>> decode_schemas(std::string_view json);

// The optional fields of an error body. Lenient: anything missing or malformed stays empty.
struct ErrorBody {
    std::string status;
    std::string message;
    std::string category;
    std::string correlation_id;
    std::string policy_name;  // 429: TEN_SECONDLY_ROLLING, SECONDLY, DAILY, ...
    std::string error_type;   // 429: RATE_LIMIT
    // 403 MISSING_SCOPES: errors[].context.requiredGranularScopes
    std::vector<std::string> required_scopes;
};
ErrorBody decode_error_body(std::string_view json);

// "123" -> 123. False for anything but ASCII digits (at most 19) that fit an int64.
bool parse_record_id(std::string_view text, RecordId& out);

}  // namespace hubsync
