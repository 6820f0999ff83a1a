// The simulated account's pipelines and stages per object type (deals, tickets, custom
// objects), the ids that pipeline and stage properties hold; stages can be relabelled at
// runtime, as an admin renames them in HubSpot.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/generators.h"
#include "sim/simulator.h"

namespace hubsync::sim {

// HubSpot's default deal pipeline plus a renewals one (with an archived stage); the default
// support pipeline plus an IT one; the pets' adoption pipeline.
std::vector<SimPipeline> generated_deal_pipelines();
std::vector<SimPipeline> generated_ticket_pipelines();
std::vector<SimPipeline> generated_pet_pipelines();

// Thread-safe.
class PipelineStore final {
  public:
    // Gives `type` (a type name) pipelines; timestamps left empty become `now_ms`.
    void set(const std::string& type, std::vector<SimPipeline> pipelines, std::int64_t now_ms);
    // The type's pipelines; nullopt when the type has none at all (contacts, companies).
    std::optional<std::vector<SimPipeline>> of(std::string_view type) const;
    // Pipeline and stage ids, archived ones included, for generated values.
    std::vector<PipelineRef> refs(std::string_view type) const;
    // Throw std::invalid_argument for an unknown type, pipeline or stage.
    void relabel_pipeline(std::string_view type, const std::string& pipeline,
                          const std::string& label, std::int64_t now_ms);
    void relabel_stage(std::string_view type, const std::string& pipeline, const std::string& stage,
                       const std::string& label, std::int64_t now_ms);

  private:
    SimPipeline& find_locked(std::string_view type, const std::string& pipeline);

    mutable std::mutex mu_;
    std::map<std::string, std::vector<SimPipeline>, std::less<>> by_type_;
};

}  // namespace hubsync::sim
