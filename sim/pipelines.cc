// The generated pipelines and the pipeline store.
#include "sim/pipelines.h"

#include <stdexcept>

#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

std::string iso(std::int64_t ms) {
    std::string out;
    append_iso8601_ms(out, ms);
    return out;
}

struct StageRow {
    const char* id;
    const char* label;
    const char* probability;  // deals only
    bool closed;
    bool archived = false;
};

// Which metadata a type's stages carry.
enum class StageMetadata { kDeal, kTicket, kNone };

SimPipeline pipeline(const char* id, const char* label, int order,
                     std::initializer_list<StageRow> stages, StageMetadata metadata) {
    SimPipeline p;
    p.id = id;
    p.label = label;
    p.display_order = order;
    int n = 0;
    for (const StageRow& r : stages) {
        SimPipelineStage s;
        s.id = r.id;
        s.label = r.label;
        s.display_order = n++;
        s.archived = r.archived;
        if (metadata == StageMetadata::kDeal)
            s.metadata = {{"probability", r.probability},
                          {"isClosed", r.closed ? "true" : "false"}};
        if (metadata == StageMetadata::kTicket)
            s.metadata = {{"ticketState", r.closed ? "CLOSED" : "OPEN"}};
        p.stages.push_back(std::move(s));
    }
    return p;
}

}  // namespace

std::vector<SimPipeline> generated_deal_pipelines() {
    return {
        pipeline("default", "Sales Pipeline", 0,
                 {{"appointmentscheduled", "Appointment Scheduled", "0.2", false},
                  {"qualifiedtobuy", "Qualified To Buy", "0.4", false},
                  {"presentationscheduled", "Presentation Scheduled", "0.6", false},
                  {"decisionmakerboughtin", "Decision Maker Bought-In", "0.8", false},
                  {"contractsent", "Contract Sent", "0.9", false},
                  {"closedwon", "Closed Won", "1.0", true},
                  {"closedlost", "Closed Lost", "0.0", true}},
                 StageMetadata::kDeal),
        pipeline("31471822", "Renewals", 1,
                 {{"31471823", "Renewal due", "0.5", false},
                  {"31471824", "Negotiation", "0.7", false},
                  {"31471825", "Legacy review", "0.3", false, true},
                  {"31471826", "Renewed", "1.0", true},
                  {"31471827", "Churned", "0.0", true}},
                 StageMetadata::kDeal),
    };
}

std::vector<SimPipeline> generated_ticket_pipelines() {
    return {
        pipeline("0", "Support Pipeline", 0,
                 {{"1", "New", nullptr, false},
                  {"2", "Waiting on contact", nullptr, false},
                  {"3", "Waiting on us", nullptr, false},
                  {"4", "Closed", nullptr, true}},
                 StageMetadata::kTicket),
        pipeline("41880001", "IT Requests", 1,
                 {{"41880002", "Submitted", nullptr, false},
                  {"41880003", "In progress", nullptr, false},
                  {"41880004", "Done", nullptr, true}},
                 StageMetadata::kTicket),
    };
}

std::vector<SimPipeline> generated_pet_pipelines() {
    // Custom object stages carry no metadata.
    return {pipeline("52990001", "Adoption", 0,
                     {{"52990002", "Intake", nullptr, false},
                      {"52990003", "Available", nullptr, false},
                      {"52990004", "Adopted", nullptr, true}},
                     StageMetadata::kNone)};
}

void PipelineStore::set(const std::string& type, std::vector<SimPipeline> pipelines,
                        std::int64_t now_ms) {
    const std::string now = iso(now_ms);
    for (auto& p : pipelines) {
        if (p.created_at.empty()) p.created_at = now;
        if (p.updated_at.empty()) p.updated_at = p.created_at;
        for (auto& s : p.stages) {
            if (s.created_at.empty()) s.created_at = p.created_at;
            if (s.updated_at.empty()) s.updated_at = s.created_at;
        }
    }
    std::lock_guard lock(mu_);
    by_type_[type] = std::move(pipelines);
}

std::optional<std::vector<SimPipeline>> PipelineStore::of(std::string_view type) const {
    std::lock_guard lock(mu_);
    const auto it = by_type_.find(type);
    if (it == by_type_.end()) return std::nullopt;
    return it->second;
}

std::vector<PipelineRef> PipelineStore::refs(std::string_view type) const {
    std::vector<PipelineRef> out;
    for (const auto& p : of(type).value_or(std::vector<SimPipeline>{})) {
        PipelineRef r{p.id, {}};
        for (const auto& s : p.stages)
            r.stage_ids.push_back(s.id);
        out.push_back(std::move(r));
    }
    return out;
}

SimPipeline& PipelineStore::find_locked(std::string_view type, const std::string& pipeline) {
    const auto it = by_type_.find(type);
    if (it == by_type_.end()) throw std::invalid_argument(std::string(type) + " have no pipelines");
    for (auto& p : it->second)
        if (p.id == pipeline) return p;
    throw std::invalid_argument("no pipeline " + pipeline + " for " + std::string(type));
}

void PipelineStore::relabel_pipeline(std::string_view type, const std::string& pipeline,
                                     const std::string& label, std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    SimPipeline& p = find_locked(type, pipeline);
    p.label = label;
    p.updated_at = iso(now_ms);
}

void PipelineStore::relabel_stage(std::string_view type, const std::string& pipeline,
                                  const std::string& stage, const std::string& label,
                                  std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    SimPipeline& p = find_locked(type, pipeline);
    for (auto& s : p.stages) {
        if (s.id != stage) continue;
        s.label = label;
        s.updated_at = p.updated_at = iso(now_ms);
        return;
    }
    throw std::invalid_argument("no stage " + stage + " in pipeline " + pipeline);
}

}  // namespace hubsync::sim
