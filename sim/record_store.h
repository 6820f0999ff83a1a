// The simulator's record store, one per object type: generated records whose values are derived
// lazily from (seed, id, property), overrides for changed ones, and the search index view that
// lags behind. What differs between types is data (sim/object_schemas.h), not code.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/record.h"
#include "sim/generators.h"
#include "sim/object_schemas.h"
#include "sim/simulator.h"

namespace hubsync::sim {

// Which sensitivities a set of properties touches (to check the scopes their values need).
struct SensitivityUse {
    bool sensitive = false;
    bool highly_sensitive = false;
    bool any() const { return sensitive || highly_sensitive; }
};

using Overrides = std::vector<std::pair<int, std::optional<std::string>>>;  // sorted by index

// One version of a record.
struct RecordState {
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t archived_ms = 0;  // 0 = not archived
    bool generated = true;         // values not overridden come from the generator
    std::shared_ptr<const Overrides> overrides;
};

struct StoredRecord {
    std::int64_t id = 0;
    RecordState cur;
    std::int64_t visible_ms = 0;           // search sees `cur` from this time on
    std::unique_ptr<RecordState> indexed;  // what search sees before visible_ms; null = nothing
    std::int64_t merged_into = 0;          // set when merged away
    bool gone = false;                     // merged away, GDPR-deleted or purged
};

// A search filter as parsed from the request body.
struct Filter {
    std::string property;
    std::string op;
    std::string value, high_value;
    std::vector<std::string> values;
};

struct SearchQuery {
    std::vector<std::vector<Filter>> groups;  // OR of ANDs
    std::string sort_property = "hs_object_id";
    bool descending = false;
    std::string query;  // free text
};

// Values for create and update: property index -> value, sorted by index.
using Values = std::vector<std::pair<int, std::string>>;

// Thread-safe: readers share a lock, mutations take it exclusively.
class RecordStore final {
  public:
    // `records` generated records of the schema's type; `refs` are the owners and pipeline
    // stages their reference properties pick from.
    RecordStore(TypeSchema schema, int records, std::uint64_t seed, std::int64_t index_delay_min_ms,
                std::int64_t index_delay_max_ms, References refs);

    const TypeInfo& info() const { return info_; }

    // -- schema
    std::vector<SimProperty> properties() const;
    int property_index(std::string_view name) const;  // -1 when unknown
    // Indexes for `names`; unknown names are skipped.
    std::vector<int> property_indexes(const std::vector<std::string>& names) const;
    // The property's type ("" when unknown) and whether clients may write it.
    std::string property_type(std::string_view name) const;
    bool property_read_only(std::string_view name) const;
    SensitivityUse sensitivity_use(const std::vector<int>& props) const;
    void add_property(const PropertyDef& def, DataSensitivity sensitivity);
    // Throws std::invalid_argument when the property or the option value is unknown.
    void relabel_option(const std::string& property, const std::string& value,
                        const std::string& label);
    // Property names and values for create/update into store values. Throws
    // std::invalid_argument naming an unknown or read-only property.
    Values values_of(const std::vector<std::pair<std::string, std::string>>& props) const;

    // -- reads. `props` are property indexes to write, in order.
    // Writes one page of the list endpoint: `after_id` = first id to consider.
    // Returns the id to continue from, or 0 when this was the last page.
    std::int64_t write_list_page(std::string& out, std::int64_t after_id, int limit, bool archived,
                                 const std::vector<int>& props) const;
    // Writes the record for `id` (merged ids resolve). False when not found.
    bool write_record(std::string& out, std::int64_t id, bool archived,
                      const std::vector<int>& props) const;
    // Search over the index view at `now_ms`. Returns total and writes the page of results.
    // Unknown filter/sort properties are rejected by the caller before.
    std::int64_t search(std::string& out, const SearchQuery& query, std::int64_t offset, int limit,
                        std::int64_t now_ms, const std::vector<int>& props) const;

    // Sensitive values only with include_sensitive.
    std::vector<Record> truth(bool include_archived, bool include_sensitive) const;
    std::vector<std::int64_t> ids(bool include_archived) const;
    std::optional<Record> record(std::int64_t id, bool include_sensitive) const;
    std::int64_t resolve(std::int64_t id) const;  // 0 when not found (or gone)
    // As resolve(), but 0 for an archived record too.
    std::int64_t resolve_active(std::int64_t id) const;

    // Told, after the change and outside the store's lock, when records stop being themselves:
    // (ids, survivor) after a merge, (ids, 0) after a GDPR delete or a purge. Set once, before
    // the store is shared.
    using GoneObserver = std::function<void(const std::vector<std::int64_t>&, std::int64_t)>;
    void set_gone_observer(GoneObserver observer) { on_gone_ = std::move(observer); }

    // -- mutations; values are validated by the caller. Throw std::invalid_argument on
    // unknown ids.
    std::int64_t create(const Values& values, std::int64_t now_ms);
    void update(std::int64_t id, const Values& values, std::int64_t now_ms);
    void archive(std::int64_t id, std::int64_t now_ms);
    void restore(std::int64_t id, std::int64_t now_ms);
    std::int64_t merge(std::int64_t primary, std::int64_t other, std::int64_t now_ms);
    void gdpr_delete(std::int64_t id);
    int purge_archived_before(std::int64_t cutoff_ms);
    std::size_t size() const;  // records held, gone ones included

  private:
    class Search;  // one search's filters, scan, order and page (record_store.cc)

    void generate_records(int count);
    StoredRecord* find_live(std::int64_t id);  // not gone; merged ids resolved
    const StoredRecord* find_live(std::int64_t id) const;
    std::size_t lower_index(std::int64_t id) const;
    void before_change(StoredRecord& r, std::int64_t now_ms);
    std::invalid_argument no_such(std::int64_t id) const;
    // Value of property `p` in `s` for record `id`; false = null.
    bool value(const RecordState& s, std::int64_t id, int p, std::string& out) const;
    void append_record(std::string& out, std::int64_t id, const RecordState& s,
                       const std::vector<int>& props) const;
    Record to_record(const StoredRecord& r, bool include_sensitive) const;
    // The created, last-modified and id properties: read-only numbers held by the record.
    bool is_record_number(int p) const;
    std::int64_t record_number(int p, const RecordState& s, std::int64_t id) const;
    bool matches(const Filter& f, int p, const RecordState& s, std::int64_t id,
                 std::string& scratch) const;
    bool matches_query(const std::vector<std::string>& query_tokens, const RecordState& s,
                       std::int64_t id, std::string& scratch) const;

    const TypeInfo info_;
    const References refs_;
    std::uint64_t seed_;
    std::int64_t delay_min_ms_, delay_max_ms_;
    std::vector<SimProperty> props_;
    std::unordered_map<std::string, int> prop_index_;
    std::vector<int> query_props_;       // indexes of info_.query_properties
    std::vector<StoredRecord> records_;  // ascending id
    std::int64_t next_id_ = 0;
    std::mt19937_64 rng_;
    mutable std::shared_mutex mu_;
    GoneObserver on_gone_;
};

}  // namespace hubsync::sim
