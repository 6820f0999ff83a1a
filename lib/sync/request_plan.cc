// Request planning: properties in the list URL when it fits, else ids + batch/read.
#include "sync/request_plan.h"

#include <algorithm>

namespace hubsync {

std::vector<std::string> required_properties(const ObjectType& type) {
    return {"hs_object_id", type.created_property, type.last_modified_property,
            "hs_merged_object_ids"};
}

RequestPlan plan_requests(const HubSpotApi& api, const ObjectType& type,
                          const std::vector<std::string>& properties, int max_url_length) {
    RequestPlan plan;
    plan.properties = properties;
    for (const auto& name : required_properties(type)) {
        if (std::find(plan.properties.begin(), plan.properties.end(), name) ==
            plan.properties.end())
            plan.properties.push_back(name);
    }
    ListRequest probe;
    probe.limit = 100;
    probe.after = std::string(24, '9');  // room for the longest cursor HubSpot hands out
    probe.properties = plan.properties;
    plan.properties_in_list =
        api.list_url_length(type, probe) <= static_cast<std::size_t>(std::max(0, max_url_length));
    return plan;
}

}  // namespace hubsync
