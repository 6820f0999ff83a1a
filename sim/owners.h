// The simulated account's owners: generated from the seed (some archived, some queues, in
// teams), added and archived at runtime. The ids generated records' hubspot_owner_id holds.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulator.h"

namespace hubsync::sim {

// Thread-safe.
class OwnerStore final {
  public:
    OwnerStore(int count, std::uint64_t seed);

    // The generated owners' ids, archived ones included (records keep pointing at an owner
    // who left): what generated hubspot_owner_id values pick from.
    std::vector<std::string> generated_ids() const;
    // Owners ordered by id (numerically), only active ones or only archived ones.
    std::vector<SimOwner> list(bool archived) const;
    std::optional<SimOwner> find(const std::string& id) const;
    // Assigns an id when the owner has none; throws std::invalid_argument for a taken id or a
    // type other than PERSON/QUEUE.
    std::string add(SimOwner owner, std::int64_t now_ms);
    void archive(const std::string& id, std::int64_t now_ms);  // throws when unknown

  private:
    std::vector<std::string> generated_ids_;
    std::int64_t next_id_ = 0;
    mutable std::mutex mu_;
    std::vector<SimOwner> owners_;  // ascending id
};

}  // namespace hubsync::sim
