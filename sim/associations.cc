// The association catalogue (HubSpot's default type ids, a Primary label where HubSpot has one,
// a portal's own "Decision maker" label) and the link store.
#include "sim/associations.h"

#include <algorithm>
#include <stdexcept>

#include "sim/generators.h"

namespace hubsync::sim {
namespace {

constexpr const char* kHubSpotDefined = "HUBSPOT_DEFINED";
constexpr const char* kUserDefined = "USER_DEFINED";

}  // namespace

AssociationStore::AssociationStore() {
    // The default unlabelled type comes first in every catalogue (bit 0 of an edge).
    catalogue_[{"contacts", "companies"}] = {
        {std::nullopt, kHubSpotDefined, 279, 280},
        {"Primary", kHubSpotDefined, 1, 2},
        {"Decision maker", kUserDefined, 1001, 1002},
    };
    catalogue_[{"deals", "contacts"}] = {{std::nullopt, kHubSpotDefined, 3, 4}};
    catalogue_[{"deals", "companies"}] = {
        {std::nullopt, kHubSpotDefined, 341, 342},
        {"Primary", kHubSpotDefined, 5, 6},
    };
    catalogue_[{"tickets", "contacts"}] = {{std::nullopt, kHubSpotDefined, 16, 15}};
    catalogue_[{"tickets", "companies"}] = {
        {std::nullopt, kHubSpotDefined, 339, 340},
        {"Primary", kHubSpotDefined, 26, 25},
    };
    catalogue_[{"deals", "tickets"}] = {{std::nullopt, kHubSpotDefined, 27, 28}};
}

const std::vector<AssociationLabelDef>* AssociationStore::catalogue(std::string_view from,
                                                                    std::string_view to,
                                                                    bool& reversed) const {
    for (const auto& [key, defs] : catalogue_) {
        if (key.first == from && key.second == to) {
            reversed = false;
            return &defs;
        }
        if (key.first == to && key.second == from) {
            reversed = true;
            return &defs;
        }
    }
    return nullptr;
}

bool AssociationStore::has_pair(std::string_view from, std::string_view to) const {
    bool reversed = false;
    return catalogue(from, to, reversed) != nullptr;
}

std::vector<AssociationType> AssociationStore::labels(std::string_view from,
                                                      std::string_view to) const {
    bool reversed = false;
    std::vector<AssociationType> out;
    if (const auto* defs = catalogue(from, to, reversed))
        for (const auto& d : *defs)
            out.push_back({reversed ? d.reverse_id : d.forward_id, d.category, d.label});
    return out;
}

std::uint32_t AssociationStore::label_bits(std::string_view from, std::string_view to,
                                           const std::vector<std::string>& labels) const {
    bool reversed = false;
    const auto* defs = catalogue(from, to, reversed);
    if (!defs)
        throw std::invalid_argument("no associations are defined between " + std::string(from) +
                                    " and " + std::string(to));
    std::uint32_t bits = 1;
    for (const std::string& label : labels) {
        std::size_t i = 1;
        while (i < defs->size() && (*defs)[i].label != label)
            ++i;
        if (i == defs->size())
            throw std::invalid_argument("no association label \"" + label + "\" from " +
                                        std::string(from) + " to " + std::string(to));
        bits |= 1u << i;
    }
    return bits;
}

std::vector<AssociationLink> AssociationStore::links(std::string_view from, std::int64_t id,
                                                     std::string_view to) const {
    bool reversed = false;
    const auto* defs = catalogue(from, to, reversed);
    std::vector<AssociationLink> out;
    if (!defs) return out;
    std::lock_guard lock(mu_);
    const auto dir = links_.find({std::string(from), std::string(to)});
    if (dir == links_.end()) return out;
    const auto edges = dir->second.find(id);
    if (edges == dir->second.end()) return out;
    for (const Edge& e : edges->second) {
        AssociationLink link{e.to, {}};
        for (std::size_t i = 0; i < defs->size(); ++i) {
            if (!(e.labels & (1u << i))) continue;
            const auto& d = (*defs)[i];
            link.types.push_back({reversed ? d.reverse_id : d.forward_id, d.category, d.label});
        }
        out.push_back(std::move(link));
    }
    return out;
}

void AssociationStore::set_locked(const std::string& from, std::int64_t from_id,
                                  const std::string& to, std::int64_t to_id, std::uint32_t bits,
                                  bool merge_bits) {
    auto one_way = [&](const std::string& a, std::int64_t a_id, const std::string& b,
                       std::int64_t b_id) {
        auto& edges = links_[{a, b}][a_id];
        auto at = std::lower_bound(edges.begin(), edges.end(), b_id,
                                   [](const Edge& e, std::int64_t v) { return e.to < v; });
        const bool found = at != edges.end() && at->to == b_id;
        if (bits == 0) {
            if (found) edges.erase(at);
            if (edges.empty()) links_[{a, b}].erase(a_id);
            return;
        }
        if (found) {
            at->labels = merge_bits ? (at->labels | bits) : bits;
        } else {
            edges.insert(at, Edge{b_id, bits});
        }
    };
    one_way(from, from_id, to, to_id);
    one_way(to, to_id, from, from_id);
}

void AssociationStore::add(std::string_view from, std::int64_t from_id, std::string_view to,
                           std::int64_t to_id, const std::vector<std::string>& labels) {
    const std::uint32_t bits = label_bits(from, to, labels);
    std::lock_guard lock(mu_);
    set_locked(std::string(from), from_id, std::string(to), to_id, bits, true);
}

bool AssociationStore::remove(std::string_view from, std::int64_t from_id, std::string_view to,
                              std::int64_t to_id) {
    std::lock_guard lock(mu_);
    const auto dir = links_.find({std::string(from), std::string(to)});
    if (dir == links_.end()) return false;
    const auto edges = dir->second.find(from_id);
    if (edges == dir->second.end()) return false;
    const bool linked = std::any_of(edges->second.begin(), edges->second.end(),
                                    [&](const Edge& e) { return e.to == to_id; });
    if (linked) set_locked(std::string(from), from_id, std::string(to), to_id, 0, false);
    return linked;
}

void AssociationStore::relabel(std::string_view from, std::int64_t from_id, std::string_view to,
                               std::int64_t to_id, const std::vector<std::string>& labels) {
    const std::uint32_t bits = label_bits(from, to, labels);
    std::lock_guard lock(mu_);
    const auto dir = links_.find({std::string(from), std::string(to)});
    const bool linked = dir != links_.end() && dir->second.count(from_id) &&
                        std::any_of(dir->second.at(from_id).begin(), dir->second.at(from_id).end(),
                                    [&](const Edge& e) { return e.to == to_id; });
    if (!linked)
        throw std::invalid_argument("no link from " + std::string(from) + " " +
                                    std::to_string(from_id) + " to " + std::string(to) + " " +
                                    std::to_string(to_id));
    set_locked(std::string(from), from_id, std::string(to), to_id, bits, false);
}

void AssociationStore::records_gone(std::string_view type,
                                    const std::vector<std::int64_t>& absorbed,
                                    std::int64_t survivor) {
    std::lock_guard lock(mu_);
    // Collect first: set_locked changes the maps being walked.
    struct Move {
        std::string other;
        std::int64_t other_id;
        std::uint32_t bits;
        std::int64_t old_id;
    };
    std::vector<Move> moves;
    for (auto& [key, dir] : links_) {
        if (key.first != type) continue;
        for (std::int64_t id : absorbed) {
            const auto edges = dir.find(id);
            if (edges == dir.end()) continue;
            for (const Edge& e : edges->second)
                moves.push_back({key.second, e.to, e.labels, id});
        }
    }
    const std::string t(type);
    for (const Move& m : moves) {
        set_locked(t, m.old_id, m.other, m.other_id, 0, false);
        // A link between the two merged records would point at the survivor itself: dropped.
        if (survivor != 0 && !(m.other == t && m.other_id == survivor))
            set_locked(t, survivor, m.other, m.other_id, m.bits, true);
    }
}

std::size_t AssociationStore::size() const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& [key, dir] : links_)
        for (const auto& [id, edges] : dir)
            n += edges.size();
    return n;
}

void generate_associations(AssociationStore& store, std::uint64_t seed,
                           const std::vector<std::int64_t>& contacts,
                           const std::vector<std::int64_t>& companies,
                           const std::vector<std::int64_t>& deals,
                           const std::vector<std::int64_t>& tickets) {
    auto hash = [&](std::uint64_t salt, std::size_t i) {
        return mix64(seed ^ salt ^ (static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
    };
    auto pick = [](const std::vector<std::int64_t>& ids, std::uint64_t h) {
        return ids[static_cast<std::size_t>(h % ids.size())];
    };
    const std::size_t hubs =
        std::min<std::size_t>(companies.size(), std::max<std::size_t>(1, contacts.size() / 2000));
    if (!companies.empty()) {
        for (std::size_t i = 0; i < contacts.size(); ++i) {
            const std::uint64_t h = hash(0xA550C1A7E0001ULL, i);
            const std::int64_t company = h % 8 == 0
                                             ? companies[static_cast<std::size_t>((h >> 8) % hubs)]
                                             : pick(companies, h >> 8);
            std::vector<std::string> labels = {"Primary"};
            if ((h >> 40) % 10 == 0) labels.push_back("Decision maker");
            store.add("contacts", contacts[i], "companies", company, labels);
            if ((h >> 48) % 5 == 0) {
                const std::int64_t second = pick(companies, h >> 16);
                if (second != company) store.add("contacts", contacts[i], "companies", second);
            }
        }
    }
    for (std::size_t i = 0; i < deals.size(); ++i) {
        const std::uint64_t h = hash(0xA550C1A7E0002ULL, i);
        if (!companies.empty())
            store.add("deals", deals[i], "companies", pick(companies, h), {"Primary"});
        if (contacts.empty()) continue;
        store.add("deals", deals[i], "contacts", pick(contacts, h >> 20));
        if ((h >> 44) % 3 == 0) store.add("deals", deals[i], "contacts", pick(contacts, h >> 30));
    }
    for (std::size_t i = 0; i < tickets.size(); ++i) {
        const std::uint64_t h = hash(0xA550C1A7E0003ULL, i);
        if (!contacts.empty()) store.add("tickets", tickets[i], "contacts", pick(contacts, h));
        if (!companies.empty())
            store.add("tickets", tickets[i], "companies", pick(companies, h >> 20), {"Primary"});
        if (!deals.empty() && (h >> 40) % 4 == 0)
            store.add("tickets", tickets[i], "deals", pick(deals, h >> 24));
    }
}

}  // namespace hubsync::sim
