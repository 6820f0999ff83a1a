// The account: which stores exist, how a path's type finds its store, custom types at runtime.
#include "sim/portal.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "sim/object_schemas.h"

namespace hubsync::sim {
namespace {

// Custom object type ids: 2-7100001 for the first (pets), then on.
std::string custom_type_id(int ordinal) {
    return "2-" + std::to_string(7'100'000 + ordinal);
}

int proportional(int given, int contacts, int divisor) {
    return given >= 0 ? given : contacts / divisor;
}

bool matches_type(const TypeInfo& info, std::string_view type) {
    if (type == info.type.name || type == info.type.type_id) return true;
    if (!info.type.custom) return false;
    return type == info.fully_qualified_name ||
           (type.size() > 2 && type.substr(0, 2) == "p_" && type.substr(2) == info.type.name);
}

bool valid_schema_name(std::string_view name) {
    if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

}  // namespace

Portal::Portal(const SimOptions& opts)
    : seed_(opts.seed),
      delay_min_ms_(opts.index_delay_min.count()),
      delay_max_ms_(opts.index_delay_max.count()),
      hub_id_(opts.hub_id),
      id_spacing_(opts.id_spacing),
      owners_(opts.owners, opts.seed) {
    pipelines_.set("deals", generated_deal_pipelines(), kDataStartMs);
    pipelines_.set("tickets", generated_ticket_pipelines(), kDataStartMs);
    pipelines_.set("pets", generated_pet_pipelines(), kDataStartMs);
    const int counts[] = {opts.contacts, proportional(opts.companies, opts.contacts, 5),
                          proportional(opts.deals, opts.contacts, 2),
                          proportional(opts.tickets, opts.contacts, 10)};
    std::size_t i = 0;
    for (TypeSchema& schema : standard_schemas(opts.custom_properties))
        add_store(std::move(schema), counts[i++]);
    custom_types_ = 1;
    add_store(pets_schema(custom_type_id(custom_types_), hub_id_),
              proportional(opts.custom_records, opts.contacts, 20));
    generate_associations(associations_, seed_, stores_[0]->ids(true), stores_[1]->ids(true),
                          stores_[2]->ids(true), stores_[3]->ids(true));
}

void Portal::observe(RecordStore& store) {
    const std::string type = store.info().type.name;
    store.set_gone_observer(
        [this, type](const std::vector<std::int64_t>& ids, std::int64_t survivor) {
            associations_.records_gone(type, ids, survivor);
        });
}

References Portal::references(std::string_view type) const {
    return References{owners_.generated_ids(), pipelines_.refs(type)};
}

void Portal::add_store(TypeSchema schema, int records) {
    schema.info.id_spacing = id_spacing_;
    References refs = references(schema.info.type.name);
    stores_.push_back(std::make_unique<RecordStore>(std::move(schema), records, seed_,
                                                    delay_min_ms_, delay_max_ms_, std::move(refs)));
    observe(*stores_.back());
}

RecordStore* Portal::find(std::string_view type) const {
    std::shared_lock lock(mu_);
    for (const auto& s : stores_)
        if (matches_type(s->info(), type)) return s.get();
    return nullptr;
}

RecordStore& Portal::get(std::string_view type) const {
    RecordStore* s = find(type);
    if (!s) throw std::invalid_argument("unknown object type: " + std::string(type));
    return *s;
}

std::vector<RecordStore*> Portal::stores() const {
    std::shared_lock lock(mu_);
    std::vector<RecordStore*> out;
    for (const auto& s : stores_)
        out.push_back(s.get());
    return out;
}

std::vector<RecordStore*> Portal::custom_stores() const {
    std::vector<RecordStore*> out = stores();
    std::erase_if(out, [](const RecordStore* s) { return !s->info().type.custom; });
    return out;
}

RecordStore& Portal::add_custom_type(const CustomObjectSpec& spec, std::int64_t now_ms) {
    if (!valid_schema_name(spec.name))
        throw std::invalid_argument(
            "a custom object name is lower-case letters, digits and "
            "'_', starting with a letter; not '" +
            spec.name + "'");
    const bool primary_known =
        spec.primary_display_property.empty() ||
        std::any_of(spec.properties.begin(), spec.properties.end(),
                    [&](const PropertyDef& d) { return d.name == spec.primary_display_property; });
    if (!primary_known)
        throw std::invalid_argument("primaryDisplayProperty " + spec.primary_display_property +
                                    " is not one of the properties");
    std::unique_lock lock(mu_);
    for (const auto& s : stores_)
        if (matches_type(s->info(), spec.name))
            throw std::invalid_argument("object type " + spec.name + " exists");
    const int ordinal = ++custom_types_;
    pipelines_.set(spec.name, spec.pipelines, now_ms);  // none: the endpoint lists none
    TypeSchema schema = custom_schema(spec, custom_type_id(ordinal), hub_id_, ordinal);
    schema.info.created_ms = now_ms;
    schema.info.id_spacing = id_spacing_;
    References refs = references(spec.name);
    stores_.push_back(std::make_unique<RecordStore>(std::move(schema), spec.records, seed_,
                                                    delay_min_ms_, delay_max_ms_, std::move(refs)));
    observe(*stores_.back());
    return *stores_.back();
}

}  // namespace hubsync::sim
