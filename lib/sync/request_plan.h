// The request plan: how records of one object type with the synced property set are fetched
// with the fewest requests without ever sending a URL longer than HubSpot accepts (414).
#pragma once

#include <string>
#include <vector>

#include "api/hubspot_api.h"

namespace hubsync {

// Properties the engine needs whatever the selection: ids, timestamps, merges.
std::vector<std::string> required_properties(const ObjectType& type);

struct RequestPlan {
    // True: list pages carry every property in the URL (1 request per 100 records).
    // False: list pages carry only ids; batch/read fetches the properties in its body
    // (2 requests per 100 contacts). Splitting the list across property chunks would cost the
    // same 2+ requests and could stitch mismatched pages together, so it is never chosen.
    bool properties_in_list = true;
    std::vector<std::string> properties;  // synced + required, in request order

    int requests_per_page() const { return properties_in_list ? 1 : 2; }
};

// Chooses the plan for `properties` (synced names; required ones are added).
RequestPlan plan_requests(const HubSpotApi& api, const ObjectType& type,
                          const std::vector<std::string>& properties, int max_url_length);

}  // namespace hubsync
