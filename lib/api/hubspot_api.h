// HubSpot's CRM object APIs as the sync engine uses them, for every object type: typed calls
// over an HttpTransport on the dated paths of the configured API version (lib/model/endpoints.h),
// with the client-side rate budget, retries with backoff, 429 handling and one
// refresh-and-retry on 401. Thread-safe: several threads may have requests in flight at once;
// they share one rate budget, and each request uses a transport no other request is using.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/rate_budget.h"
#include "core/access_token_source.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/transport.h"
#include "model/endpoints.h"
#include "model/object_type.h"
#include "model/record.h"

namespace hubsync {

// HubSpot's hard limits that request planning must respect.
inline constexpr std::size_t kMaxSearchBodyLength = 3000;  // longer bodies get 400
inline constexpr std::size_t kMaxBatchReadInputs = 100;
inline constexpr int kMaxListLimit = 100;
inline constexpr int kMaxSearchLimit = 200;
inline constexpr int kMaxSearchResults = 10'000;  // paging past this offset gets 400

struct ApiOptions {
    std::string base_url = "https://api.hubapi.com";
    std::string api_version;  // a dated version of api_versions(); empty = the default
    // Cap on the 10-second bucket; 0 = auto: what X-HubSpot-RateLimit-Max says, less a margin.
    int requests_per_10s = 0;
    int searches_per_second = 4;  // client-side budget for the search bucket
    int max_in_flight = 32;       // most requests in flight at once
    // Makes another transport when every transport is busy with a request in flight (one per
    // concurrent request). Unset: requests share the one transport, one at a time.
    std::function<std::unique_ptr<HttpTransport>()> make_transport;
    int max_url_length = 8000;  // longer GET URLs are refused before sending (414 avoidance)
    int max_attempts = 8;       // per request, for transient errors, 429 and 5xx
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_max{60'000};
    StopSource* stop = nullptr;  // waits end early when a stop is requested
    // A 2xx body that is not well-formed JSON (truncated, a proxy's HTML page) is retried
    // this many times in all, within max_attempts.
    int max_bad_body_attempts = 3;
    // A single wait asked for by Retry-After (429, 477, 503) longer than this (and than
    // backoff_max and 10 s) is not waited out inside the request: the call fails
    // (kRateLimited / kTransient) naming the wait, so the caller can schedule a later cycle.
    std::chrono::milliseconds max_wait{15 * 60'000};
    // Seed for the backoff jitter; 0 seeds from std::random_device.
    std::uint64_t jitter_seed = 0;
};

struct ListRequest {
    int limit = 100;
    std::string after;                    // opaque cursor from the previous page
    std::vector<std::string> properties;  // sent as properties=a,b,c
    bool archived = false;
};

struct RecordPage {
    std::vector<Record> records;
    std::string next_after;   // empty on the last page
    std::int64_t total = -1;  // search only
};

struct SearchFilter {
    std::string property;
    std::string op;  // EQ, GT, GTE, LT, LTE, BETWEEN, IN, ...
    std::string value;
    std::string high_value;           // BETWEEN
    std::vector<std::string> values;  // IN, NOT_IN
};

struct SearchRequest {
    std::vector<std::vector<SearchFilter>> filter_groups;  // OR of ANDs
    std::string sort_property;                             // empty = no sort
    bool ascending = true;
    std::vector<std::string> properties;
    int limit = 200;
    std::string after;  // integer offset as a string
};

struct BatchReadResult {
    std::vector<Record> records;
    std::vector<RecordId> missing;  // ids HubSpot reported as not found (HTTP 207)
};

// Which property definitions to list: HubSpot leaves sensitive properties out unless asked.
enum class PropertySensitivity { kNonSensitive, kSensitive, kHighlySensitive };

// A custom object type as the schemas endpoint describes it.
struct ObjectSchema {
    std::string name;            // the schema's name, e.g. "pets"
    std::string object_type_id;  // 2-NNN
    std::string fully_qualified_name;
    std::string label_singular, label_plural;
};

struct ApiStats {
    std::int64_t requests = 0;  // every HTTP request sent, retries included
    std::int64_t searches = 0;  // search requests sent, retries included
    std::int64_t retries = 0;
    std::int64_t rate_limited = 0;      // 429 responses received
    std::int64_t unauthorized = 0;      // 401 responses received
    std::int64_t server_errors = 0;     // 5xx responses received
    std::int64_t transport_errors = 0;  // connection failures and timeouts
    std::int64_t bad_bodies = 0;        // 2xx responses whose body was not well-formed JSON
    std::int64_t wait_ms = 0;           // time spent waiting: limiter, Retry-After, backoff
    BudgetSnapshot budget;              // the rate budget as it stands
};

// A call to an endpoint of the table beyond the record calls (associations, owners,
// pipelines): built from the endpoint table on the configured version, sent through the same
// budget, retries and token handling. The API module's typed calls (api/crm_links_api.h) make
// these.
struct EndpointCall {
    std::string what;  // "read contacts associations to companies", for messages
    Endpoint endpoint = Endpoint::kListOwners;
    std::string type;     // {type} of the path
    std::string to_type;  // {to} of the path
    std::string query;    // without the '?'
    std::string body;     // JSON, for POST
    std::string scope;    // the scope a 403 most likely lacks
};

class HubSpotApi {
  public:
    virtual ~HubSpotApi() = default;

    // The type's property definitions of one sensitivity level.
    virtual Result<std::vector<PropertyDef>> list_properties(
        const ObjectType& type,
        PropertySensitivity sensitivity = PropertySensitivity::kNonSensitive) = 0;
    // One page of the type's list endpoint. Fails with kInternal ("request plan error")
    // without sending if the URL would exceed max_url_length; callers plan property sets so
    // that never happens.
    virtual Result<RecordPage> list(const ObjectType& type, const ListRequest& request) = 0;
    // batch/read, at most 100 ids (more is a kInternal plan error; none returns an empty
    // result without a request).
    virtual Result<BatchReadResult> batch_read(const ObjectType& type,
                                               const std::vector<RecordId>& ids,
                                               const std::vector<std::string>& properties) = 0;
    // batch/read of archived records (?archived=true): only archived ones come back; others,
    // and ids HubSpot no longer has at all, are reported missing. Tells an archived record from
    // one gone for good (GDPR delete, purged) without walking the archived list.
    virtual Result<BatchReadResult> batch_read_archived(
        const ObjectType& type, const std::vector<RecordId>& ids,
        const std::vector<std::string>& properties) = 0;
    // search. The body is checked against HubSpot's 3,000 character limit before sending
    // (kInternal "request plan error" naming the size).
    virtual Result<RecordPage> search(const ObjectType& type, const SearchRequest& request) = 0;
    // The portal's custom object schemas (needs crm.schemas.custom.read).
    virtual Result<std::vector<ObjectSchema>> list_schemas() = 0;
    // Sends `call`; `decode` sees the body of every 2xx answer (207 included). The default
    // refuses (kInternal): test doubles that never make such calls need not implement it.
    virtual Status call(const EndpointCall& call,
                        const std::function<Status(std::string_view body)>& decode);

    // Length of the list URL for these properties (for request planning).
    virtual std::size_t list_url_length(const ObjectType& type,
                                        const ListRequest& request) const = 0;
    // Length of the JSON body for this search (for request planning).
    virtual std::size_t search_body_length(const SearchRequest& request) const = 0;

    // How many requests are worth keeping in flight now: the budget's rate times the measured
    // latency, plus one.
    virtual int suggested_in_flight() const = 0;
    // A consistent copy of the counters.
    virtual ApiStats stats() const = 0;
};

std::unique_ptr<HubSpotApi> make_hubspot_api(HttpTransport& transport, AccessTokenSource& tokens,
                                             Clock& clock, const ApiOptions& options);

}  // namespace hubsync
