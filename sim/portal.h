// The simulated HubSpot account behind the endpoints: one record store per object type
// (contacts, companies, deals, tickets, custom objects), the owners and pipelines the records
// refer to, and the custom object types added at runtime.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sim/associations.h"
#include "sim/owners.h"
#include "sim/pipelines.h"
#include "sim/record_store.h"
#include "sim/simulator.h"

namespace hubsync::sim {

// Thread-safe. Stores are never removed, so a pointer from find() stays valid.
class Portal final {
  public:
    explicit Portal(const SimOptions& opts);

    // The store a path's {type} names: a name (pets), a type id (0-2, 2-7100001), a custom
    // object's fully qualified name (p62515_pets) or its short form p_pets. nullptr when unknown.
    RecordStore* find(std::string_view type) const;
    // As find(), but an unknown type throws std::invalid_argument (a caller's bug).
    RecordStore& get(std::string_view type) const;
    // Standard types first, then custom ones in creation order.
    std::vector<RecordStore*> stores() const;
    std::vector<RecordStore*> custom_stores() const;
    // Throws std::invalid_argument for a bad or taken name, or a primary display property that
    // is not among the spec's properties.
    RecordStore& add_custom_type(const CustomObjectSpec& spec, std::int64_t now_ms);

    OwnerStore& owners() { return owners_; }
    const OwnerStore& owners() const { return owners_; }
    PipelineStore& pipelines() { return pipelines_; }
    const PipelineStore& pipelines() const { return pipelines_; }
    AssociationStore& associations() { return associations_; }
    const AssociationStore& associations() const { return associations_; }

  private:
    References references(std::string_view type) const;
    void add_store(TypeSchema schema, int records);
    // Links follow merges and leave with deleted records.
    void observe(RecordStore& store);

    const std::uint64_t seed_;
    const std::int64_t delay_min_ms_, delay_max_ms_;
    const std::int64_t hub_id_;
    const int id_spacing_;
    OwnerStore owners_;
    PipelineStore pipelines_;
    AssociationStore associations_;  // before the stores: their observers point here
    mutable std::shared_mutex mu_;
    std::vector<std::unique_ptr<RecordStore>> stores_;
    int custom_types_ = 0;
};

}  // namespace hubsync::sim
