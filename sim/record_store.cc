// The record store: deterministic generated records of one object type, overrides, and
// list/get/search evaluation over them.
#include "sim/record_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include "core/text.h"
#include "sim/json_out.h"

namespace hubsync::sim {

namespace {

constexpr int kImportBatch = 20'000;  // records per bulk import; ~75% share its millisecond

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

bool parse_number(std::string_view s, double& out) {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Typed comparison of a record value with a filter value: <0, 0, >0; false if incomparable.
bool compare(const std::string& type, std::string_view rec, std::string_view flt, int& cmp) {
    if (type == "number") {
        double a = 0, b = 0;
        if (!parse_number(rec, a) || !parse_number(flt, b)) return false;
        cmp = a < b ? -1 : (a > b ? 1 : 0);
        return true;
    }
    if (type == "datetime" || type == "date") {
        std::int64_t a = 0, b = 0;
        if (!parse_time_ms(rec, a) || !parse_time_ms(flt, b)) return false;
        cmp = a < b ? -1 : (a > b ? 1 : 0);
        return true;
    }
    const std::string a = lower(rec), b = lower(flt);
    cmp = a.compare(b);
    cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
    return true;
}

std::vector<std::string> tokens(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        const bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                          (c >= 'A' && c <= 'Z') || (static_cast<unsigned char>(c) >= 0x80);
        if (word) {
            cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

bool token_match(std::string_view value, std::string_view pattern) {
    std::string p = lower(pattern);
    const bool prefix = !p.empty() && p.front() == '*';
    const bool suffix = !p.empty() && p.back() == '*';
    if (prefix) p.erase(0, 1);
    if (suffix && !p.empty()) p.pop_back();
    for (const auto& t : tokens(value)) {
        if (prefix && suffix ? t.find(p) != std::string::npos
            : suffix         ? t.rfind(p, 0) == 0
            : prefix ? t.size() >= p.size() && t.compare(t.size() - p.size(), p.size(), p) == 0
                     : t == p)
            return true;
    }
    // A pattern with separators (an email address) matches the whole value too.
    return iequals(value, pattern);
}

void apply_values(RecordState& s, const Values& values) {
    auto ov =
        s.overrides ? std::make_shared<Overrides>(*s.overrides) : std::make_shared<Overrides>();
    for (const auto& [p, v] : values) {
        auto it = std::lower_bound(ov->begin(), ov->end(), p,
                                   [](const auto& e, int x) { return e.first < x; });
        if (it != ov->end() && it->first == p) {
            it->second = v;
        } else {
            ov->insert(it, {p, v});
        }
    }
    s.overrides = std::move(ov);
}

std::string lower_noun(const TypeInfo& info) {
    return lower(info.label_singular);
}

}  // namespace

RecordStore::RecordStore(TypeSchema schema, int records, std::uint64_t seed,
                         std::int64_t index_delay_min_ms, std::int64_t index_delay_max_ms,
                         References refs)
    : info_(std::move(schema.info)),
      refs_(std::move(refs)),
      seed_(seed ^ info_.seed_salt),
      delay_min_ms_(index_delay_min_ms),
      delay_max_ms_(std::max(index_delay_min_ms, index_delay_max_ms)),
      props_(std::move(schema.properties)),
      rng_(mix64(seed_ ^ 0x5EA5C4ULL)) {
    for (int i = 0; i < static_cast<int>(props_.size()); ++i)
        prop_index_[props_[static_cast<std::size_t>(i)].def.name] = i;
    for (const auto& name : info_.query_properties)
        if (auto it = prop_index_.find(name); it != prop_index_.end())
            query_props_.push_back(it->second);
    generate_records(records);
}

void RecordStore::generate_records(int count) {
    records_.resize(static_cast<std::size_t>(std::max(count, 0)));
    const std::int64_t step = std::max<std::int64_t>(1000, kCreateSpanMs / std::max(count, 1));
    for (int i = 0; i < count; ++i) {
        const std::uint64_t h = mix64(seed_ ^ (static_cast<std::uint64_t>(i) * 0x9E3779B9ULL));
        auto& r = records_[static_cast<std::size_t>(i)];
        const std::int64_t spacing = std::max(info_.id_spacing, 1);
        r.id = info_.first_id + spacing * static_cast<std::int64_t>(i) +
               static_cast<std::int64_t>(h % static_cast<std::uint64_t>(spacing));
        r.cur.created_ms = kDataStartMs + i * step + static_cast<std::int64_t>((h >> 8) % step);
        if ((h >> 20) % 4 != 0) {
            r.cur.updated_ms = info_.import_start_ms + (i / kImportBatch) * 5 * kDayMs;
        } else {
            r.cur.updated_ms =
                r.cur.created_ms + static_cast<std::int64_t>((h >> 24) % (365 * kDayMs));
        }
    }
    next_id_ = records_.empty() ? info_.first_id + 1 : records_.back().id + 1;
}

std::vector<SimProperty> RecordStore::properties() const {
    std::shared_lock lock(mu_);
    return props_;
}

int RecordStore::property_index(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it == prop_index_.end() ? -1 : it->second;
}

bool RecordStore::is_record_number(int p) const {
    const Gen g = props_[static_cast<std::size_t>(p)].gen;
    return g == Gen::kCreateDate || g == Gen::kLastModified || g == Gen::kObjectId;
}

std::int64_t RecordStore::record_number(int p, const RecordState& s, std::int64_t id) const {
    switch (props_[static_cast<std::size_t>(p)].gen) {
        case Gen::kCreateDate:
            return s.created_ms;
        case Gen::kLastModified:
            return s.updated_ms;
        default:
            return id;
    }
}

std::vector<int> RecordStore::property_indexes(const std::vector<std::string>& names) const {
    std::shared_lock lock(mu_);
    std::vector<int> out;
    out.reserve(names.size());
    for (const auto& n : names) {
        auto it = prop_index_.find(n);
        if (it != prop_index_.end() && std::find(out.begin(), out.end(), it->second) == out.end())
            out.push_back(it->second);
    }
    return out;
}

std::string RecordStore::property_type(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it == prop_index_.end() ? std::string() : props_[it->second].def.type;
}

bool RecordStore::property_read_only(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it != prop_index_.end() && props_[it->second].read_only;
}

SensitivityUse RecordStore::sensitivity_use(const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    SensitivityUse use;
    for (int p : props) {
        const DataSensitivity s = props_[static_cast<std::size_t>(p)].sensitivity;
        use.sensitive = use.sensitive || s == DataSensitivity::kSensitive;
        use.highly_sensitive = use.highly_sensitive || s == DataSensitivity::kHighlySensitive;
    }
    return use;
}

void RecordStore::add_property(const PropertyDef& def, DataSensitivity sensitivity) {
    std::unique_lock lock(mu_);
    if (prop_index_.count(def.name)) return;
    SimProperty p;
    p.def = def;
    p.sensitivity = sensitivity;
    if (p.def.type.empty()) p.def.type = "string";
    if (p.def.field_type.empty()) p.def.field_type = "text";
    if (p.def.group_name.empty() && !props_.empty()) p.def.group_name = props_[0].def.group_name;
    p.def.data_sensitivity = std::string(sensitivity_name(sensitivity));
    if (p.def.external_options && p.def.name == "hubspot_owner_id")
        p.referenced_object_type = "OWNER";
    prop_index_[def.name] = static_cast<int>(props_.size());
    props_.push_back(std::move(p));
}

void RecordStore::relabel_option(const std::string& property, const std::string& value,
                                 const std::string& label) {
    std::unique_lock lock(mu_);
    auto it = prop_index_.find(property);
    if (it == prop_index_.end())
        throw std::invalid_argument("unknown " + lower_noun(info_) + " property: " + property);
    for (auto& o : props_[static_cast<std::size_t>(it->second)].def.options) {
        if (o.value != value) continue;
        o.label = label;
        return;
    }
    throw std::invalid_argument("property " + property + " has no option " + value);
}

Values RecordStore::values_of(const std::vector<std::pair<std::string, std::string>>& props) const {
    std::shared_lock lock(mu_);
    Values out;
    for (const auto& [name, value] : props) {
        auto it = prop_index_.find(name);
        if (it == prop_index_.end())
            throw std::invalid_argument("unknown " + lower_noun(info_) + " property: " + name);
        if (props_[static_cast<std::size_t>(it->second)].read_only)
            throw std::invalid_argument("read-only " + lower_noun(info_) + " property: " + name);
        out.emplace_back(it->second, value);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t RecordStore::size() const {
    std::shared_lock lock(mu_);
    return records_.size();
}

std::size_t RecordStore::lower_index(std::int64_t id) const {
    auto it = std::lower_bound(records_.begin(), records_.end(), id,
                               [](const StoredRecord& r, std::int64_t v) { return r.id < v; });
    return static_cast<std::size_t>(it - records_.begin());
}

const StoredRecord* RecordStore::find_live(std::int64_t id) const {
    for (int hops = 0; hops < 64; ++hops) {
        const std::size_t i = lower_index(id);
        if (i >= records_.size() || records_[i].id != id) return nullptr;
        const auto& r = records_[i];
        if (r.merged_into != 0) {
            id = r.merged_into;
            continue;
        }
        return r.gone ? nullptr : &r;
    }
    return nullptr;
}

StoredRecord* RecordStore::find_live(std::int64_t id) {
    return const_cast<StoredRecord*>(std::as_const(*this).find_live(id));
}

std::invalid_argument RecordStore::no_such(std::int64_t id) const {
    return std::invalid_argument("no such " + lower_noun(info_) + ": " + std::to_string(id));
}

std::int64_t RecordStore::resolve(std::int64_t id) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    return r ? r->id : 0;
}

std::int64_t RecordStore::resolve_active(std::int64_t id) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    return r && r->cur.archived_ms == 0 ? r->id : 0;
}

bool RecordStore::value(const RecordState& s, std::int64_t id, int p, std::string& out) const {
    out.clear();
    if (s.overrides) {
        const auto& ov = *s.overrides;
        auto it = std::lower_bound(ov.begin(), ov.end(), p,
                                   [](const auto& e, int v) { return e.first < v; });
        if (it != ov.end() && it->first == p) {
            if (!it->second) return false;
            out = *it->second;
            return true;
        }
    }
    const SimProperty& prop = props_[static_cast<std::size_t>(p)];
    switch (prop.gen) {
        case Gen::kCreateDate:
            append_iso8601_ms(out, s.created_ms);
            return true;
        case Gen::kLastModified:
            append_iso8601_ms(out, s.updated_ms);
            return true;
        case Gen::kObjectId:
            append_int(out, id);
            return true;
        case Gen::kMergedIds:
            return false;
        default:
            break;
    }
    if (!s.generated || prop.gen == Gen::kNone) return false;
    GenInput in;
    in.record_hash = mix64(seed_ ^ (static_cast<std::uint64_t>(id) * 0xD1B54A32D192ED03ULL));
    in.value_hash =
        mix64(in.record_hash ^ (static_cast<std::uint64_t>(p + 1) * 0x9E3779B97F4A7C15ULL));
    in.id = id;
    in.created_ms = s.created_ms;
    in.def = &prop.def;
    in.refs = &refs_;
    return generate(prop.gen, in, out);
}

void RecordStore::append_record(std::string& out, std::int64_t id, const RecordState& s,
                                const std::vector<int>& props) const {
    thread_local std::string scratch;
    out.append("{\"id\":\"");
    append_int(out, id);
    out.append("\",\"properties\":{");
    bool first = true;
    for (int p : props) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, props_[static_cast<std::size_t>(p)].def.name);
        out.push_back(':');
        if (value(s, id, p, scratch)) {
            append_json_string(out, scratch);
        } else {
            out.append("null");
        }
    }
    out.append("},\"createdAt\":\"");
    append_iso8601_ms(out, s.created_ms);
    out.append("\",\"updatedAt\":\"");
    append_iso8601_ms(out, s.updated_ms);
    if (s.archived_ms != 0) {
        out.append("\",\"archived\":true,\"archivedAt\":\"");
        append_iso8601_ms(out, s.archived_ms);
        out.append("\"}");
    } else {
        out.append("\",\"archived\":false}");
    }
}

std::int64_t RecordStore::write_list_page(std::string& out, std::int64_t after_id, int limit,
                                          bool archived, const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    out.append("{\"results\":[");
    int n = 0;
    std::size_t i = lower_index(after_id);
    for (; i < records_.size(); ++i) {
        const auto& r = records_[i];
        if (r.gone || (r.cur.archived_ms != 0) != archived) continue;
        if (n == limit) break;
        if (n++ > 0) out.push_back(',');
        append_record(out, r.id, r.cur, props);
    }
    out.push_back(']');
    return i < records_.size() ? records_[i].id : 0;
}

bool RecordStore::write_record(std::string& out, std::int64_t id, bool archived,
                               const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    if (!r || (r->cur.archived_ms != 0) != archived) return false;
    append_record(out, r->id, r->cur, props);
    return true;
}

bool RecordStore::matches(const Filter& f, int p, const RecordState& s, std::int64_t id,
                          std::string& v) const {
    const bool has = value(s, id, p, v);
    const std::string& type = props_[static_cast<std::size_t>(p)].def.type;
    const bool present = has && !v.empty();
    const std::string& op = f.op;
    if (op == "HAS_PROPERTY") return present;
    if (op == "NOT_HAS_PROPERTY") return !present;
    if (op == "CONTAINS_TOKEN") return present && token_match(v, f.value);
    if (op == "NOT_CONTAINS_TOKEN") return !present || !token_match(v, f.value);
    if (op == "IN" || op == "NOT_IN") {
        bool in = false;
        if (present) {
            for (const auto& x : f.values) {
                int c = 0;
                if (compare(type, v, x, c) && c == 0) in = true;
                if (type == "enumeration") {  // any of a multi-select's values
                    std::size_t start = 0;
                    while (!in && start <= v.size()) {
                        std::size_t end = v.find(';', start);
                        if (end == std::string::npos) end = v.size();
                        if (iequals(std::string_view(v).substr(start, end - start), x)) in = true;
                        start = end + 1;
                    }
                }
            }
        }
        return op == "IN" ? in : !in;
    }
    if (op == "NEQ") {
        int c = 0;
        return !present || !compare(type, v, f.value, c) || c != 0;
    }
    if (!present) return false;
    int c = 0;
    if (op == "BETWEEN") {
        int c2 = 0;
        return compare(type, v, f.value, c) && c >= 0 && compare(type, v, f.high_value, c2) &&
               c2 <= 0;
    }
    if (!compare(type, v, f.value, c)) return false;
    if (op == "EQ") return c == 0;
    if (op == "LT") return c < 0;
    if (op == "LTE") return c <= 0;
    if (op == "GT") return c > 0;
    if (op == "GTE") return c >= 0;
    return false;
}

namespace {

// Filter operators that compare the record's own numbers (created, modified, id) as integers.
enum class FastOp { kEq, kNeq, kLt, kLte, kGt, kGte, kBetween, kIn, kNotIn, kHas, kNotHas, kNone };

FastOp fast_op(std::string_view op) {
    static constexpr std::pair<std::string_view, FastOp> kOps[] = {
        {"EQ", FastOp::kEq},
        {"NEQ", FastOp::kNeq},
        {"LT", FastOp::kLt},
        {"LTE", FastOp::kLte},
        {"GT", FastOp::kGt},
        {"GTE", FastOp::kGte},
        {"BETWEEN", FastOp::kBetween},
        {"IN", FastOp::kIn},
        {"NOT_IN", FastOp::kNotIn},
        {"HAS_PROPERTY", FastOp::kHas},
        {"NOT_HAS_PROPERTY", FastOp::kNotHas}};
    for (const auto& [name, code] : kOps)
        if (name == op) return code;
    return FastOp::kNone;
}

// A filter resolved once per search.
struct CompiledFilter {
    const Filter* f = nullptr;
    int p = 0;
    bool fast = false;  // compare record_number() with a/b/set
    FastOp code = FastOp::kNone;
    std::int64_t a = 0, b = 0;
    std::vector<std::int64_t> set;
};

bool fast_match(const CompiledFilter& c, std::int64_t n) {
    switch (c.code) {
        case FastOp::kEq:
            return n == c.a;
        case FastOp::kNeq:
            return n != c.a;
        case FastOp::kLt:
            return n < c.a;
        case FastOp::kLte:
            return n <= c.a;
        case FastOp::kGt:
            return n > c.a;
        case FastOp::kGte:
            return n >= c.a;
        case FastOp::kBetween:
            return n >= c.a && n <= c.b;
        case FastOp::kIn:
            return std::find(c.set.begin(), c.set.end(), n) != c.set.end();
        case FastOp::kNotIn:
            return std::find(c.set.begin(), c.set.end(), n) == c.set.end();
        case FastOp::kHas:
            return true;
        default:
            return false;
    }
}

// Filters on the record's own numbers compare as integers without formatting values (the
// common incremental-sync query); `record_number` says which properties those are.
CompiledFilter compile_filter(const Filter& f, int p, bool record_number) {
    CompiledFilter c;
    c.f = &f;
    c.p = p;
    c.code = fast_op(f.op);
    if (!record_number) return c;
    if (c.code == FastOp::kIn || c.code == FastOp::kNotIn) {
        c.fast = true;
        for (const auto& x : f.values) {
            std::int64_t n = 0;
            c.fast = c.fast && parse_time_ms(x, n);
            c.set.push_back(n);
        }
    } else if (c.code == FastOp::kHas || c.code == FastOp::kNotHas) {
        c.fast = true;
    } else if (c.code != FastOp::kNone) {
        c.fast = parse_time_ms(f.value, c.a) &&
                 (c.code != FastOp::kBetween || parse_time_ms(f.high_value, c.b));
    }
    return c;
}

struct Hit {
    double num;
    std::int64_t id;
    const RecordState* state;
    std::size_t text;  // index into the texts when sorting by a string
};

// Reused per thread: a fresh multi-megabyte vector per search costs more in page faults than
// the scan itself.
std::vector<Hit>& thread_hits() {
    thread_local std::vector<Hit> hits;
    hits.clear();
    return hits;
}

std::vector<std::string>& thread_texts() {
    thread_local std::vector<std::string> texts;
    texts.clear();
    return texts;
}

// A number or date(time) sort value; a value that does not parse sorts as a missing one.
double numeric_sort_value(const std::string& type, const std::string& v) {
    std::int64_t t = 0;
    double d = 0;
    if (type == "number" && parse_number(v, d)) return d;
    if (type != "number" && parse_time_ms(v, t)) return static_cast<double>(t);
    return -INFINITY;
}

}  // namespace

bool RecordStore::matches_query(const std::vector<std::string>& query_tokens, const RecordState& s,
                                std::int64_t id, std::string& v) const {
    bool found = false;
    for (int p : query_props_) {
        if (!value(s, id, p, v)) continue;
        for (const auto& t : tokens(v))
            for (const auto& qt : query_tokens)
                if (t.rfind(qt, 0) == 0) found = true;
    }
    return found;
}

// One search, under the store's shared lock: the compiled filter groups and sort key, the hits
// in id order, then the requested page ordered and written.
class RecordStore::Search final {
  public:
    Search(const RecordStore& store, const SearchQuery& q, std::int64_t now_ms);
    // Every record the index shows at now_ms that passes a filter group and the query.
    void collect();
    // Orders the first `count` hits by the sort key, then by id.
    void sort_first(std::int64_t count);
    // Writes {"total":..,"results":[..]} with hits [offset, offset + limit); returns the total.
    std::int64_t write_page(std::string& out, std::int64_t offset, int limit,
                            const std::vector<int>& props) const;

  private:
    const RecordState* indexed_state(const StoredRecord& r) const;
    bool passes_filters(const RecordState& s, std::int64_t id);
    Hit hit_for(const RecordState& s, std::int64_t id);

    const RecordStore& store_;
    const std::int64_t now_ms_;
    const bool descending_;
    std::vector<std::vector<CompiledFilter>> groups_;  // any group whose filters all match
    const std::vector<std::string> query_tokens_;
    const int sort_p_;
    const std::string& sort_type_;
    const bool numeric_sort_;
    const bool sort_fast_;  // by a record number: no value formatting
    std::vector<Hit>& hits_;
    std::vector<std::string>& texts_;  // sort texts when sorting by a string
    std::string v_;                    // scratch value
};

RecordStore::Search::Search(const RecordStore& store, const SearchQuery& q, std::int64_t now_ms)
    : store_(store),
      now_ms_(now_ms),
      descending_(q.descending),
      query_tokens_(tokens(q.query)),
      sort_p_(store.prop_index_.at(q.sort_property)),
      sort_type_(store.props_[static_cast<std::size_t>(sort_p_)].def.type),
      numeric_sort_(sort_type_ == "number" || sort_type_ == "datetime" || sort_type_ == "date"),
      sort_fast_(store.is_record_number(sort_p_)),
      hits_(thread_hits()),
      texts_(thread_texts()) {
    for (const auto& g : q.groups) {
        groups_.emplace_back();
        for (const auto& f : g) {
            const int p = store.prop_index_.at(f.property);
            groups_.back().push_back(compile_filter(f, p, store.is_record_number(p)));
        }
    }
}

void RecordStore::Search::collect() {
    for (const auto& r : store_.records_) {
        const RecordState* s = indexed_state(r);
        if (!s || !passes_filters(*s, r.id)) continue;
        if (!query_tokens_.empty() && !store_.matches_query(query_tokens_, *s, r.id, v_)) continue;
        hits_.push_back(hit_for(*s, r.id));
    }
}

// What search sees of the record at now_ms; null when it sees nothing or an archived record.
const RecordState* RecordStore::Search::indexed_state(const StoredRecord& r) const {
    // Archiving hides a record from search at once; other changes wait for the index.
    if (r.gone || r.cur.archived_ms != 0) return nullptr;
    const RecordState* s = now_ms_ >= r.visible_ms ? &r.cur : r.indexed.get();
    return s && s->archived_ms == 0 ? s : nullptr;
}

bool RecordStore::Search::passes_filters(const RecordState& s, std::int64_t id) {
    if (groups_.empty()) return true;
    for (const auto& g : groups_) {
        const bool all = std::all_of(g.begin(), g.end(), [&](const CompiledFilter& c) {
            return c.fast ? fast_match(c, store_.record_number(c.p, s, id))
                          : store_.matches(*c.f, c.p, s, id, v_);
        });
        if (all) return true;
    }
    return false;
}

Hit RecordStore::Search::hit_for(const RecordState& s, std::int64_t id) {
    Hit hit{0, id, &s, 0};
    if (sort_fast_) {
        hit.num = static_cast<double>(store_.record_number(sort_p_, s, id));
        return hit;
    }
    const bool has = store_.value(s, id, sort_p_, v_);
    if (numeric_sort_) {
        hit.num = has ? numeric_sort_value(sort_type_, v_) : -INFINITY;
    } else {
        hit.text = texts_.size();
        texts_.push_back(has ? lower(v_) : std::string());
    }
    return hit;
}

void RecordStore::Search::sort_first(std::int64_t count) {
    const auto wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(hits_.size()), count));
    std::partial_sort(hits_.begin(), hits_.begin() + static_cast<std::ptrdiff_t>(wanted),
                      hits_.end(), [&](const Hit& a, const Hit& b) {
                          if (numeric_sort_ ? a.num != b.num : texts_[a.text] != texts_[b.text]) {
                              const bool less =
                                  numeric_sort_ ? a.num < b.num : texts_[a.text] < texts_[b.text];
                              return descending_ ? !less : less;
                          }
                          return a.id < b.id;
                      });
}

std::int64_t RecordStore::Search::write_page(std::string& out, std::int64_t offset, int limit,
                                             const std::vector<int>& props) const {
    const auto total = static_cast<std::int64_t>(hits_.size());
    out.append("{\"total\":");
    append_int(out, total);
    out.append(",\"results\":[");
    for (std::int64_t i = offset; i < total && i < offset + limit; ++i) {
        if (i > offset) out.push_back(',');
        const Hit& hit = hits_[static_cast<std::size_t>(i)];
        store_.append_record(out, hit.id, *hit.state, props);
    }
    out.push_back(']');
    return total;
}

std::int64_t RecordStore::search(std::string& out, const SearchQuery& q, std::int64_t offset,
                                 int limit, std::int64_t now_ms,
                                 const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    Search search(*this, q, now_ms);
    search.collect();
    // Only the requested page needs ordering.
    search.sort_first(offset + limit);
    return search.write_page(out, offset, limit, props);
}

Record RecordStore::to_record(const StoredRecord& r, bool include_sensitive) const {
    Record c;
    c.id = r.id;
    std::string t;
    append_iso8601_ms(t, r.cur.created_ms);
    c.created_at = t;
    t.clear();
    append_iso8601_ms(t, r.cur.updated_ms);
    c.updated_at = t;
    c.archived = r.cur.archived_ms != 0;
    if (c.archived) {
        t.clear();
        append_iso8601_ms(t, r.cur.archived_ms);
        c.archived_at = t;
    }
    std::string v;
    c.properties.reserve(props_.size());
    for (int p = 0; p < static_cast<int>(props_.size()); ++p) {
        if (!include_sensitive &&
            props_[static_cast<std::size_t>(p)].sensitivity != DataSensitivity::kNonSensitive)
            continue;
        PropertyValue pv;
        pv.name = props_[static_cast<std::size_t>(p)].def.name;
        if (value(r.cur, r.id, p, v)) pv.value = v;
        c.properties.push_back(std::move(pv));
    }
    return c;
}

std::vector<Record> RecordStore::truth(bool include_archived, bool include_sensitive) const {
    std::shared_lock lock(mu_);
    std::vector<Record> out;
    out.reserve(records_.size());
    for (const auto& r : records_) {
        if (r.gone || (!include_archived && r.cur.archived_ms != 0)) continue;
        out.push_back(to_record(r, include_sensitive));
    }
    return out;
}

std::vector<std::int64_t> RecordStore::ids(bool include_archived) const {
    std::shared_lock lock(mu_);
    std::vector<std::int64_t> out;
    out.reserve(records_.size());
    for (const auto& r : records_) {
        if (r.gone || (!include_archived && r.cur.archived_ms != 0)) continue;
        out.push_back(r.id);
    }
    return out;
}

std::optional<Record> RecordStore::record(std::int64_t id, bool include_sensitive) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    if (!r) return std::nullopt;
    return to_record(*r, include_sensitive);
}

void RecordStore::before_change(StoredRecord& r, std::int64_t now_ms) {
    // The index keeps the last version it had seen until the new one becomes visible.
    if (now_ms >= r.visible_ms) r.indexed = std::make_unique<RecordState>(r.cur);
    std::int64_t delay = delay_min_ms_;
    if (delay_max_ms_ > delay_min_ms_)
        delay += static_cast<std::int64_t>(
            rng_() % static_cast<std::uint64_t>(delay_max_ms_ - delay_min_ms_ + 1));
    r.visible_ms = now_ms + delay;
}

std::int64_t RecordStore::create(const Values& values, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    StoredRecord r;
    r.id = next_id_++;
    r.cur.created_ms = now_ms;
    r.cur.updated_ms = now_ms;
    r.cur.generated = false;
    apply_values(r.cur, values);
    r.visible_ms = now_ms;
    before_change(r, now_ms);
    r.indexed.reset();  // a new record is not in the index at all until visible
    records_.push_back(std::move(r));
    return records_.back().id;
}

void RecordStore::update(std::int64_t id, const Values& values, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw no_such(id);
    before_change(*r, now_ms);
    apply_values(r->cur, values);
    r->cur.updated_ms = now_ms;
}

void RecordStore::archive(std::int64_t id, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw no_such(id);
    if (r->cur.archived_ms != 0) return;
    before_change(*r, now_ms);
    r->cur.archived_ms = now_ms;
    if (info_.archive_touches_modified) r->cur.updated_ms = now_ms;
}

void RecordStore::restore(std::int64_t id, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw no_such(id);
    if (r->cur.archived_ms == 0) return;
    before_change(*r, now_ms);
    r->cur.archived_ms = 0;
    if (info_.archive_touches_modified) r->cur.updated_ms = now_ms;
}

std::int64_t RecordStore::merge(std::int64_t primary, std::int64_t other, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* a = find_live(primary);
    auto* b = find_live(other);
    if (!a || !b || a == b || a->cur.archived_ms != 0 || b->cur.archived_ms != 0)
        throw std::invalid_argument("cannot merge " + std::to_string(primary) + " and " +
                                    std::to_string(other));
    const int merged_p = prop_index_.at("hs_merged_object_ids");
    Values values;
    std::string va, vb;
    for (int p = 0; p < static_cast<int>(props_.size()); ++p) {
        const Gen g = props_[static_cast<std::size_t>(p)].gen;
        if (g == Gen::kCreateDate || g == Gen::kLastModified || g == Gen::kObjectId) continue;
        if (p == merged_p) continue;
        const bool ha = value(a->cur, a->id, p, va);
        const bool hb = value(b->cur, b->id, p, vb);
        if (ha && !va.empty()) {
            values.emplace_back(p, va);
        } else if (hb && !vb.empty()) {
            values.emplace_back(p, vb);
        } else if (ha || hb) {
            values.emplace_back(p, std::string());
        }
    }
    std::string merged_ids;
    for (const StoredRecord* r : {a, b}) {
        if (value(r->cur, r->id, merged_p, va) && !va.empty()) merged_ids.append(va).push_back(';');
        merged_ids.append(std::to_string(r->id)).push_back(';');
    }
    merged_ids.pop_back();
    values.emplace_back(merged_p, merged_ids);
    std::sort(values.begin(), values.end());

    StoredRecord n;
    n.id = next_id_++;
    n.cur.created_ms = std::min(a->cur.created_ms, b->cur.created_ms);
    n.cur.updated_ms = now_ms;
    n.cur.generated = false;
    apply_values(n.cur, values);
    n.visible_ms = now_ms;
    before_change(n, now_ms);
    n.indexed.reset();
    const std::vector<std::int64_t> absorbed = {a->id, b->id};
    for (StoredRecord* r : {a, b}) {
        r->gone = true;
        r->merged_into = n.id;
    }
    records_.push_back(std::move(n));  // invalidates a and b
    const std::int64_t survivor = records_.back().id;
    lock.unlock();
    if (on_gone_) on_gone_(absorbed, survivor);
    return survivor;
}

void RecordStore::gdpr_delete(std::int64_t id) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw no_such(id);
    r->gone = true;
    r->indexed.reset();
    r->cur.overrides.reset();
    const std::int64_t gone = r->id;
    lock.unlock();
    if (on_gone_) on_gone_({gone}, 0);
}

int RecordStore::purge_archived_before(std::int64_t cutoff_ms) {
    std::unique_lock lock(mu_);
    std::vector<std::int64_t> purged;
    for (auto& r : records_) {
        if (!r.gone && r.cur.archived_ms != 0 && r.cur.archived_ms < cutoff_ms) {
            r.gone = true;
            r.indexed.reset();
            purged.push_back(r.id);
        }
    }
    lock.unlock();
    if (on_gone_ && !purged.empty()) on_gone_(purged, 0);
    return static_cast<int>(purged.size());
}

}  // namespace hubsync::sim
