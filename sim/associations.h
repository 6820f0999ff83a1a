// The simulator's associations: links between records of two types, each carrying the default
// unlabelled type and any labels of the pair's catalogue, stored in both directions. Links
// never touch either record (HubSpot moves neither record's modification time when a link is
// added, removed or relabelled); merges move them to the survivor, deletes drop them.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/crm_links.h"

namespace hubsync::sim {

// One association type of a pair's catalogue: its label (none for the default) and its type id
// in each direction.
struct AssociationLabelDef {
    std::optional<std::string> label;
    std::string category;         // HUBSPOT_DEFINED, USER_DEFINED
    std::int64_t forward_id = 0;  // first type -> second type of the pair
    std::int64_t reverse_id = 0;
};

// Records per page of one record's links in a batch read (HubSpot pages per record).
inline constexpr std::size_t kLinksPerPage = 100;

// Thread-safe. Types are named by their canonical name (contacts, companies, ...).
class AssociationStore final {
  public:
    AssociationStore();

    // The association types defined from `from` to `to` (empty for a pair without any).
    std::vector<AssociationType> labels(std::string_view from, std::string_view to) const;
    bool has_pair(std::string_view from, std::string_view to) const;

    // The stored links of one record to one type, to ids ascending, types in catalogue order.
    std::vector<AssociationLink> links(std::string_view from, std::int64_t id,
                                       std::string_view to) const;

    // Adds the link (the default type, both directions) with `labels` on top, or adds the labels
    // to an existing link. Throws std::invalid_argument for a pair without a catalogue or a
    // label it does not define.
    void add(std::string_view from, std::int64_t from_id, std::string_view to, std::int64_t to_id,
             const std::vector<std::string>& labels = {});
    // Removes the link in both directions; false when there was none.
    bool remove(std::string_view from, std::int64_t from_id, std::string_view to,
                std::int64_t to_id);
    // Sets the link's labels (the default type stays); throws when there is no such link.
    void relabel(std::string_view from, std::int64_t from_id, std::string_view to,
                 std::int64_t to_id, const std::vector<std::string>& labels);

    // `absorbed` records of `type` became `survivor` (a merge): their links move to it.
    // survivor 0: the records are gone (GDPR delete, purge) and their links with them.
    void records_gone(std::string_view type, const std::vector<std::int64_t>& absorbed,
                      std::int64_t survivor);

    std::size_t size() const;  // links stored, both directions counted

  private:
    struct Edge {
        std::int64_t to = 0;
        std::uint32_t labels = 1;  // bit i = catalogue entry i; bit 0 (the default) always set
    };
    using Key = std::pair<std::string, std::string>;  // (from, to)
    using Direction = std::unordered_map<std::int64_t, std::vector<Edge>>;

    // The catalogue of a pair and whether (from, to) runs against its definition.
    const std::vector<AssociationLabelDef>* catalogue(std::string_view from, std::string_view to,
                                                      bool& reversed) const;
    std::uint32_t label_bits(std::string_view from, std::string_view to,
                             const std::vector<std::string>& labels) const;
    // With mu_ held: sets the edge both ways to exactly `bits` (0 removes it).
    void set_locked(const std::string& from, std::int64_t from_id, const std::string& to,
                    std::int64_t to_id, std::uint32_t bits, bool merge_bits);

    std::map<Key, std::vector<AssociationLabelDef>> catalogue_;
    mutable std::mutex mu_;
    std::map<Key, Direction> links_;
};

// Links among the generated records, deterministic from `seed` (ids ascending per type):
// every contact has a Primary company (one in ten also as "Decision maker", one in five a
// second company); one contact in eight belongs to a few large companies with more links than
// one page; every deal has a Primary company and one or two contacts; every ticket a contact, a
// Primary company and one in four a deal.
void generate_associations(AssociationStore& store, std::uint64_t seed,
                           const std::vector<std::int64_t>& contacts,
                           const std::vector<std::int64_t>& companies,
                           const std::vector<std::int64_t>& deals,
                           const std::vector<std::int64_t>& tickets);

}  // namespace hubsync::sim
