// Owner generation and the owner list.
#include "sim/owners.h"

#include <algorithm>
#include <stdexcept>

#include "sim/generators.h"
#include "sim/json_out.h"

namespace hubsync::sim {
namespace {

constexpr std::int64_t kFirstOwnerId = 31'000'100;
constexpr std::int64_t kFirstUserId = 8'800'000;

const SimTeam kTeams[] = {
    {"4101", "Sales EMEA", false},
    {"4102", "Sales Americas", false},
    {"4103", "Customer Support", false},
};

std::string iso(std::int64_t ms) {
    std::string out;
    append_iso8601_ms(out, ms);
    return out;
}

std::int64_t numeric_id(const std::string& id) {
    std::int64_t n = 0;
    for (char c : id) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return id.empty() ? -1 : n;
}

// Owner k of the generated set: every seventh a queue (no user), every fifth archived; teams
// vary (none, one primary, or a primary and a second one).
SimOwner generated_owner(int k, std::uint64_t seed) {
    const std::uint64_t h = mix64(seed ^ 0x0A4E5ULL ^ static_cast<std::uint64_t>(k) * 0x9E37ULL);
    SimOwner o;
    o.id = std::to_string(kFirstOwnerId + std::int64_t{k} * 37);
    const bool queue = k % 7 == 6;
    o.type = queue ? "QUEUE" : "PERSON";
    if (queue) {
        o.first_name = "Support";
        o.last_name = "Queue " + std::to_string(k / 7 + 1);
        o.email = "queue" + std::to_string(k / 7 + 1) + "@portal.example";
    } else {
        o.user_id = kFirstUserId + std::int64_t{k} * 11;
        o.first_name = first_name_at(h);
        o.last_name = last_name_at(h >> 16);
        o.email = std::string(ascii_first_name_at(h)) + "." + ascii_last_name_at(h >> 16) +
                  std::to_string(k) + "@portal.example";
    }
    if (k % 4 != 3) {
        SimTeam primary = kTeams[static_cast<std::size_t>(k) % std::size(kTeams)];
        primary.primary = true;
        o.teams.push_back(primary);
        if (k % 4 == 0)
            o.teams.push_back(kTeams[static_cast<std::size_t>(k + 1) % std::size(kTeams)]);
    }
    const std::int64_t created = kDataStartMs + std::int64_t{k} * 30 * kDayMs;
    o.archived = k % 5 == 4;
    o.created_at = iso(created);
    o.updated_at = iso(created + static_cast<std::int64_t>((h >> 32) % (400 * kDayMs)));
    return o;
}

}  // namespace

OwnerStore::OwnerStore(int count, std::uint64_t seed) {
    for (int k = 0; k < count; ++k) {
        owners_.push_back(generated_owner(k, seed));
        generated_ids_.push_back(owners_.back().id);
    }
    next_id_ = kFirstOwnerId + std::int64_t{std::max(count, 0)} * 37;
}

std::vector<std::string> OwnerStore::generated_ids() const {
    return generated_ids_;
}

std::vector<SimOwner> OwnerStore::list(bool archived) const {
    std::lock_guard lock(mu_);
    std::vector<SimOwner> out;
    for (const auto& o : owners_)
        if (o.archived == archived) out.push_back(o);
    return out;
}

std::optional<SimOwner> OwnerStore::find(const std::string& id) const {
    std::lock_guard lock(mu_);
    for (const auto& o : owners_)
        if (o.id == id) return o;
    return std::nullopt;
}

std::string OwnerStore::add(SimOwner owner, std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    if (owner.type != "PERSON" && owner.type != "QUEUE")
        throw std::invalid_argument("owner type must be PERSON or QUEUE, not '" + owner.type + "'");
    if (owner.id.empty()) {
        owner.id = std::to_string(next_id_);
        next_id_ += 37;
    }
    if (numeric_id(owner.id) < 0)
        throw std::invalid_argument("owner ids are digits, not '" + owner.id + "'");
    for (const auto& o : owners_)
        if (o.id == owner.id) throw std::invalid_argument("owner " + owner.id + " exists");
    owner.created_at = owner.updated_at = iso(now_ms);
    const std::string id = owner.id;
    const auto at = std::find_if(owners_.begin(), owners_.end(), [&](const SimOwner& o) {
        return numeric_id(o.id) > numeric_id(id);
    });
    owners_.insert(at, std::move(owner));
    return id;
}

void OwnerStore::archive(const std::string& id, std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    for (auto& o : owners_) {
        if (o.id != id) continue;
        if (!o.archived) {
            o.archived = true;
            o.updated_at = iso(now_ms);
        }
        return;
    }
    throw std::invalid_argument("no such owner: " + id);
}

}  // namespace hubsync::sim
