// The contact store: deterministic generated data, overrides, list/get/search evaluation.
#include "sim/store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "sim/json_out.h"

namespace hubsync::sim {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kDataStart = 1'546'300'800'000;    // 2019-01-01T00:00:00Z
constexpr std::int64_t kCreateSpan = 5 * 365 * kDay;      // created over five years
constexpr std::int64_t kImportStart = 1'736'933'400'123;  // 2025-01-15T09:30:00.123Z
constexpr int kImportBatch = 20'000;  // contacts per bulk import; ~75% share its millisecond

// Display names, some with characters a careless encoder breaks.
constexpr const char* kFirst[] = {
    "Anna",  "Ben",    "Chloé", "David",  "Emma",   "François", "Grace", "Hiro",  "Ines",   "Jakob",
    "Karin", "Liam",   "María", "Noah",   "Olivia", "Pavel",    "Quinn", "Rosa",  "Sven",   "Tomás",
    "Uma",   "Viktor", "Wei",   "Ximena", "Yusuf",  "Zoë",      "Ada",   "Björn", "Carlos", "Dana"};
constexpr const char* kFirstAscii[] = {
    "anna",  "ben",    "chloe", "david",  "emma",   "francois", "grace", "hiro",  "ines",   "jakob",
    "karin", "liam",   "maria", "noah",   "olivia", "pavel",    "quinn", "rosa",  "sven",   "tomas",
    "uma",   "viktor", "wei",   "ximena", "yusuf",  "zoe",      "ada",   "bjorn", "carlos", "dana"};
constexpr const char* kLast[] = {"Smith",    "O'Brien", "Müller", "García", "Nguyen",
                                 "Kowalski", "Rossi",   "Dubois", "Tanaka", "Johansson",
                                 "Silva",    "Novak",   "Jensen", "Yilmaz", "Cohen",
                                 "Schmidt",  "Brown",   "Lee",    "Martin", "Petrov"};
constexpr const char* kLastAscii[] = {"smith",    "obrien", "muller", "garcia", "nguyen",
                                      "kowalski", "rossi",  "dubois", "tanaka", "johansson",
                                      "silva",    "novak",  "jensen", "yilmaz", "cohen",
                                      "schmidt",  "brown",  "lee",    "martin", "petrov"};
constexpr const char* kCompany[] = {"Acme Corp",     "Globex",           "Initech",
                                    "Umbrella GmbH", "Stark Industries", "Wayne & Sons",
                                    "Hooli",         "Vandelay Imports", "Soylent \"Green\"",
                                    "Tyrell Corp.",  "Cyberdyne",        "Aperture Science"};
constexpr const char* kDomain[] = {"acme.example",     "globex.example",    "initech.example",
                                   "umbrella.example", "stark.example",     "wayne.example",
                                   "hooli.example",    "vandelay.example",  "soylent.example",
                                   "tyrell.example",   "cyberdyne.example", "aperture.example"};
constexpr const char* kCity[] = {"Berlin", "Boston", "São Paulo", "Tokyo",  "Dublin",
                                 "Paris",  "Kraków", "Austin",    "Zürich", "Toronto"};
constexpr const char* kCountry[] = {"Germany", "United States", "Brazil", "Japan",       "Ireland",
                                    "France",  "Poland",        "USA",    "Switzerland", "Canada"};
constexpr const char* kStateName[] = {"BE", "MA", "SP", "13", "D", "IDF", "MA", "TX", "ZH", "ON"};
constexpr const char* kJob[] = {"CEO",        "Head of Sales", "Engineer", "Marketing Manager",
                                "Analyst",    "CTO",           "Designer", "Account Executive",
                                "Consultant", "Office Manager"};
constexpr const char* kLifecycle[] = {"subscriber",         "lead",        "marketingqualifiedlead",
                                      "salesqualifiedlead", "opportunity", "customer",
                                      "evangelist",         "other"};
constexpr const char* kLeadStatus[] = {"NEW",       "OPEN",        "IN_PROGRESS",
                                       "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
                                       "CONNECTED", "BAD_TIMING"};
constexpr const char* kIndustry[] = {"SOFTWARE", "RETAIL", "BANKING", "HEALTHCARE", "EDUCATION"};
constexpr const char* kSource[] = {"ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING",
                                   "SOCIAL_MEDIA",   "REFERRALS",   "OTHER_CAMPAIGNS",
                                   "DIRECT_TRAFFIC", "OFFLINE"};
constexpr const char* kWords[] = {"alpha", "bravo", "charlie", "delta",  "echo", "foxtrot",
                                  "golf",  "hotel", "india",   "juliet", "kilo", "lima"};
constexpr const char* kOptions[] = {"red", "green", "blue", "yellow", "purple"};
constexpr const char* kConditions[] = {"none", "asthma", "diabetes", "hypertension", "allergy"};

template <typename T, std::size_t N>
const char* pick(const T (&arr)[N], std::uint64_t h) {
    return arr[h % N];
}

struct StdProp {
    const char* name;
    const char* label;
    const char* type;
    const char* field_type;
    const char* group;
    Gen gen;
    bool read_only;
};

constexpr StdProp kStandard[] = {
    {"email", "Email", "string", "text", "contactinformation", Gen::kEmail, false},
    {"firstname", "First Name", "string", "text", "contactinformation", Gen::kFirstName, false},
    {"lastname", "Last Name", "string", "text", "contactinformation", Gen::kLastName, false},
    {"phone", "Phone Number", "string", "phonenumber", "contactinformation", Gen::kPhone, false},
    {"mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation",
     Gen::kMobile, false},
    {"company", "Company Name", "string", "text", "contactinformation", Gen::kCompany, false},
    {"website", "Website URL", "string", "text", "contactinformation", Gen::kWebsite, false},
    {"jobtitle", "Job Title", "string", "text", "contactinformation", Gen::kJobTitle, false},
    {"city", "City", "string", "text", "contactinformation", Gen::kCity, false},
    {"state", "State/Region", "string", "text", "contactinformation", Gen::kState, false},
    {"zip", "Postal Code", "string", "text", "contactinformation", Gen::kZip, false},
    {"country", "Country/Region", "string", "text", "contactinformation", Gen::kCountry, false},
    {"address", "Street Address", "string", "text", "contactinformation", Gen::kAddress, false},
    {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation",
     Gen::kLifecycle, false},
    {"hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", Gen::kLeadStatus,
     false},
    {"industry", "Industry", "string", "text", "contactinformation", Gen::kIndustry, false},
    {"hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation",
     Gen::kSource, true},
    {"num_notes", "Number of Sales Activities", "number", "number", "sales_properties",
     Gen::kNumNotes, true},
    {"notes_last_updated", "Last Activity Date", "datetime", "date", "sales_properties",
     Gen::kNotesLastUpdated, true},
    {"createdate", "Create Date", "datetime", "date", "contactinformation", Gen::kCreateDate, true},
    {"lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation",
     Gen::kLastModified, true},
    {"hs_object_id", "Record ID", "number", "number", "contactinformation", Gen::kObjectId, true},
    {"hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", "contactinformation",
     Gen::kMergedIds, true},
    {"hs_email_domain", "Email Domain", "string", "text", "contactinformation", Gen::kEmailDomain,
     true},
};

struct CustomKind {
    const char* type;
    const char* field_type;
    const char* suffix;
    Gen gen;
};

constexpr CustomKind kCustom[] = {
    {"string", "text", "text", Gen::kCustomString},
    {"number", "number", "number", Gen::kCustomNumber},
    {"bool", "booleancheckbox", "flag", Gen::kCustomBool},
    {"date", "date", "date", Gen::kCustomDate},
    {"datetime", "date", "datetime", Gen::kCustomDatetime},
    {"enumeration", "select", "choice", Gen::kCustomSelect},
    {"enumeration", "checkbox", "multi", Gen::kCustomMulti},
    {"phone_number", "phonenumber", "phone", Gen::kCustomPhone},
    {"json", "textarea", "json", Gen::kCustomJson},
    {"object_coordinates", "text", "coordinates", Gen::kCustomCoordinates},
    {"string", "textarea", "notes", Gen::kCustomTextarea},
};

// Custom properties a portal marked sensitive; after the other custom properties, so adding
// them left every other property's generated values as they were.
struct SensitiveProp {
    const char* name;
    const char* label;
    const char* type;
    const char* field_type;
    Gen gen;
    DataSensitivity sensitivity;
};

constexpr SensitiveProp kSensitive[] = {
    {"national_id", "National ID", "string", "text", Gen::kNationalId, DataSensitivity::kSensitive},
    {"date_of_birth", "Date of Birth", "date", "date", Gen::kBirthDate,
     DataSensitivity::kSensitive},
    {"health_condition", "Health Condition", "enumeration", "select", Gen::kHealthCondition,
     DataSensitivity::kHighlySensitive},
};

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

std::string lower(std::string_view s) {
    std::string r(s);
    for (char& c : r)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return r;
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

}  // namespace

ContactStore::ContactStore(int contacts, int custom_properties, std::uint64_t seed,
                           std::int64_t index_delay_min_ms, std::int64_t index_delay_max_ms)
    : seed_(seed),
      delay_min_ms_(index_delay_min_ms),
      delay_max_ms_(std::max(index_delay_min_ms, index_delay_max_ms)),
      rng_(mix64(seed ^ 0x5EA5C4ULL)) {
    for (const auto& s : kStandard) {
        SimProperty p;
        p.def = PropertyDef{s.name,      s.label, s.type, s.field_type, s.group, "",
                            s.read_only, true,    false,  false,        {},      {}};
        p.gen = s.gen;
        p.read_only = s.read_only;
        if (s.gen == Gen::kLifecycle)
            p.options.assign(std::begin(kLifecycle), std::end(kLifecycle));
        if (s.gen == Gen::kLeadStatus)
            p.options.assign(std::begin(kLeadStatus), std::end(kLeadStatus));
        if (s.gen == Gen::kSource) p.options.assign(std::begin(kSource), std::end(kSource));
        props_.push_back(std::move(p));
    }
    constexpr int kKinds = static_cast<int>(std::size(kCustom));
    for (int i = 0; i < custom_properties; ++i) {
        const auto& k = kCustom[i % kKinds];
        SimProperty p;
        const std::string name = "sim_" + std::string(k.suffix) + "_" + std::to_string(i + 1);
        p.def =
            PropertyDef{name,         "Sim " + std::string(k.suffix) + " " + std::to_string(i + 1),
                        k.type,       k.field_type,
                        "sim_custom", "Generated custom property",
                        false,        false,
                        false,        false,
                        {},           {}};
        p.gen = k.gen;
        if (k.gen == Gen::kCustomSelect || k.gen == Gen::kCustomMulti)
            p.options.assign(std::begin(kOptions), std::end(kOptions));
        props_.push_back(std::move(p));
    }
    for (const auto& k : kSensitive) {
        SimProperty p;
        p.def = PropertyDef{k.name,
                            k.label,
                            k.type,
                            k.field_type,
                            "sim_sensitive",
                            "Generated sensitive property",
                            false,
                            false,
                            false,
                            false,
                            {},
                            {}};
        p.gen = k.gen;
        p.sensitivity = k.sensitivity;
        if (k.gen == Gen::kHealthCondition)
            p.options.assign(std::begin(kConditions), std::end(kConditions));
        props_.push_back(std::move(p));
    }
    for (int i = 0; i < static_cast<int>(props_.size()); ++i)
        prop_index_[props_[i].def.name] = i;

    records_.resize(static_cast<std::size_t>(std::max(contacts, 0)));
    const std::int64_t step = std::max<std::int64_t>(1000, kCreateSpan / std::max(contacts, 1));
    for (int i = 0; i < contacts; ++i) {
        const std::uint64_t h = mix64(seed ^ (static_cast<std::uint64_t>(i) * 0x9E3779B9ULL));
        auto& r = records_[static_cast<std::size_t>(i)];
        r.id = 1000 + 3 * static_cast<std::int64_t>(i) + static_cast<std::int64_t>(h % 3);
        r.cur.created_ms = kDataStart + i * step + static_cast<std::int64_t>((h >> 8) % step);
        if ((h >> 20) % 4 != 0) {
            r.cur.updated_ms = kImportStart + (i / kImportBatch) * 5 * kDay;
        } else {
            r.cur.updated_ms =
                r.cur.created_ms + static_cast<std::int64_t>((h >> 24) % (365 * kDay));
        }
    }
    next_id_ = records_.empty() ? 1001 : records_.back().id + 1;
}

std::vector<SimProperty> ContactStore::properties() const {
    std::shared_lock lock(mu_);
    return props_;
}

int ContactStore::property_index(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it == prop_index_.end() ? -1 : it->second;
}

bool ContactStore::is_record_number(int p) const {
    const Gen g = props_[static_cast<std::size_t>(p)].gen;
    return g == Gen::kCreateDate || g == Gen::kLastModified || g == Gen::kObjectId;
}

std::int64_t ContactStore::record_number(int p, const ContactState& s, std::int64_t id) const {
    switch (props_[static_cast<std::size_t>(p)].gen) {
        case Gen::kCreateDate:
            return s.created_ms;
        case Gen::kLastModified:
            return s.updated_ms;
        default:
            return id;
    }
}

std::vector<int> ContactStore::property_indexes(const std::vector<std::string>& names) const {
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

std::string ContactStore::property_type(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it == prop_index_.end() ? std::string() : props_[it->second].def.type;
}

bool ContactStore::property_read_only(std::string_view name) const {
    std::shared_lock lock(mu_);
    auto it = prop_index_.find(std::string(name));
    return it != prop_index_.end() && props_[it->second].read_only;
}

SensitivityUse ContactStore::sensitivity_use(const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    SensitivityUse use;
    for (int p : props) {
        const DataSensitivity s = props_[static_cast<std::size_t>(p)].sensitivity;
        use.sensitive = use.sensitive || s == DataSensitivity::kSensitive;
        use.highly_sensitive = use.highly_sensitive || s == DataSensitivity::kHighlySensitive;
    }
    return use;
}

void ContactStore::add_property(const PropertyDef& def, DataSensitivity sensitivity) {
    std::unique_lock lock(mu_);
    if (prop_index_.count(def.name)) return;
    SimProperty p;
    p.def = def;
    p.sensitivity = sensitivity;
    if (p.def.type.empty()) p.def.type = "string";
    if (p.def.field_type.empty()) p.def.field_type = "text";
    if (p.def.group_name.empty()) p.def.group_name = "contactinformation";
    prop_index_[def.name] = static_cast<int>(props_.size());
    props_.push_back(std::move(p));
}

std::size_t ContactStore::size() const {
    std::shared_lock lock(mu_);
    return records_.size();
}

std::size_t ContactStore::lower_index(std::int64_t id) const {
    auto it = std::lower_bound(records_.begin(), records_.end(), id,
                               [](const ContactRecord& r, std::int64_t v) { return r.id < v; });
    return static_cast<std::size_t>(it - records_.begin());
}

const ContactRecord* ContactStore::find_live(std::int64_t id) const {
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

ContactRecord* ContactStore::find_live(std::int64_t id) {
    return const_cast<ContactRecord*>(std::as_const(*this).find_live(id));
}

std::int64_t ContactStore::resolve(std::int64_t id) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    return r ? r->id : 0;
}

bool ContactStore::value(const ContactState& s, std::int64_t id, int p, std::string& out) const {
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

    const auto uid = static_cast<std::uint64_t>(id);
    const std::uint64_t hc = mix64(seed_ ^ (uid * 0xD1B54A32D192ED03ULL));  // per contact
    const std::uint64_t h =
        mix64(hc ^ (static_cast<std::uint64_t>(p + 1) * 0x9E3779B97F4A7C15ULL));  // per value
    const std::uint64_t first = hc % std::size(kFirst);
    const std::uint64_t last = (hc >> 16) % std::size(kLast);
    const std::uint64_t company = (hc >> 32) % std::size(kCompany);
    const std::uint64_t place = (hc >> 40) % std::size(kCity);
    char buf[96];
    switch (prop.gen) {
        case Gen::kEmail:
            if (h % 50 == 0) return false;
            out.append(kFirstAscii[first]).append(".").append(kLastAscii[last]);
            append_int(out, id);
            out.append("@").append(kDomain[company]);
            return true;
        case Gen::kFirstName:
            out = kFirst[first];
            return true;
        case Gen::kLastName:
            out = kLast[last];
            return true;
        case Gen::kPhone:
        case Gen::kMobile:
            if (h % 5 == 0) return false;
            std::snprintf(buf, sizeof buf, h % 3 == 0 ? "+1 (617) %03u-%04u" : "+49 30 %03u %04u",
                          static_cast<unsigned>((h >> 8) % 1000),
                          static_cast<unsigned>((h >> 20) % 10000));
            out = buf;
            return true;
        case Gen::kCompany:
            out = kCompany[company];
            return true;
        case Gen::kEmailDomain:
            out = kDomain[company];
            return true;
        case Gen::kWebsite:
            if (h % 4 == 0) return false;
            out.append("https://www.").append(kDomain[company]);
            return true;
        case Gen::kJobTitle:
            if (h % 6 == 0) return false;
            out = pick(kJob, h >> 8);
            return true;
        case Gen::kCity:
            out = kCity[place];
            return true;
        case Gen::kState:
            out = kStateName[place];
            return true;
        case Gen::kCountry:
            out = kCountry[place];
            return true;
        case Gen::kZip:
            std::snprintf(buf, sizeof buf, "%05u", static_cast<unsigned>((h >> 8) % 100000));
            out = buf;
            return true;
        case Gen::kAddress:
            if (h % 3 == 0) return false;
            std::snprintf(buf, sizeof buf, "%u %s Street",
                          static_cast<unsigned>((h >> 8) % 2000 + 1), pick(kWords, h >> 24));
            out = buf;
            return true;
        case Gen::kLifecycle:
            out = pick(kLifecycle, h >> 8);
            return true;
        case Gen::kLeadStatus:
            if (h % 3 == 0) return false;
            out = pick(kLeadStatus, h >> 8);
            return true;
        case Gen::kIndustry:
            if (h % 2 == 0) return false;
            out = pick(kIndustry, h >> 8);
            return true;
        case Gen::kSource:
            out = pick(kSource, h >> 8);
            return true;
        case Gen::kNumNotes:
            append_int(out, static_cast<std::int64_t>((h >> 8) % 40));
            return true;
        case Gen::kNotesLastUpdated:
            if (h % 4 == 0) return false;
            append_iso8601_ms(out,
                              s.created_ms + static_cast<std::int64_t>((h >> 8) % (200 * kDay)));
            return true;
        case Gen::kCustomString:
            if (h % 10 == 0) return false;
            if (h % 10 == 1) return true;  // empty string, not null
            out.append(pick(kWords, h >> 8)).append(" ").append(pick(kWords, h >> 16));
            return true;
        case Gen::kCustomNumber:
            switch (h % 20) {
                case 0:
                    return false;
                case 1:
                    out = "N/A";
                    return true;
                case 2:
                    return true;  // ""
                case 3:
                    std::snprintf(buf, sizeof buf, "%u.%02u",
                                  static_cast<unsigned>((h >> 8) % 100000),
                                  static_cast<unsigned>((h >> 30) % 100));
                    out = buf;
                    return true;
                default:
                    append_int(out, static_cast<std::int64_t>((h >> 8) % 1000000));
                    return true;
            }
        case Gen::kCustomBool:
            if (h % 5 == 0) return false;
            out = (h >> 8) % 2 ? "true" : "false";
            return true;
        case Gen::kCustomDate: {
            if (h % 6 == 0) return false;
            const std::int64_t day = kDataStart / kDay + static_cast<std::int64_t>((h >> 8) % 2500);
            if (h % 6 == 1) {
                append_iso8601_ms(out, day * kDay);  // midnight UTC, full timestamp
            } else {
                append_date(out, day * kDay);
            }
            return true;
        }
        case Gen::kCustomDatetime: {
            if (h % 8 == 0) return false;
            const std::int64_t t = kDataStart + static_cast<std::int64_t>((h >> 8) % kCreateSpan);
            if (h % 8 == 1) {
                append_int(out, t);  // epoch milliseconds, as some integrations write them
            } else {
                append_iso8601_ms(out, t);
            }
            return true;
        }
        case Gen::kCustomSelect:
            if (h % 5 == 0) return false;
            out = pick(kOptions, h >> 8);
            return true;
        case Gen::kCustomMulti: {
            if (h % 5 == 0) return false;
            const unsigned mask = static_cast<unsigned>((h >> 8) % 31) + 1;
            for (unsigned b = 0; b < 5; ++b) {
                if (!(mask & (1u << b))) continue;
                if (!out.empty()) out.push_back(';');
                out.append(kOptions[b]);
            }
            return true;
        }
        case Gen::kCustomPhone:
            if (h % 4 == 0) return false;
            std::snprintf(
                buf, sizeof buf, "+44 20 %04u %04u x%u", static_cast<unsigned>((h >> 8) % 10000),
                static_cast<unsigned>((h >> 24) % 10000), static_cast<unsigned>((h >> 40) % 100));
            out = buf;
            return true;
        case Gen::kCustomJson:
            if (h % 4 == 0) return false;
            std::snprintf(buf, sizeof buf,
                          "{\"score\":%u,\"tags\":[\"%s\",\"%s\"],\"note\":\"a\\\\b\"}",
                          static_cast<unsigned>((h >> 8) % 100), pick(kWords, h >> 16),
                          pick(kWords, h >> 24));
            out = buf;
            return true;
        case Gen::kCustomCoordinates:
            if (h % 3 == 0) return false;
            std::snprintf(buf, sizeof buf, "%.4f,%.4f",
                          static_cast<double>((h >> 8) % 180000) / 1000.0 - 90.0,
                          static_cast<double>((h >> 28) % 360000) / 1000.0 - 180.0);
            out = buf;
            return true;
        case Gen::kCustomTextarea:
            if (h % 3 == 0) return false;
            out.append("Line one: ")
                .append(pick(kWords, h >> 8))
                .append("\nLine two:\t\"quoted\" ");
            out.append(pick(kWords, h >> 16));
            return true;
        case Gen::kNationalId:
            if (h % 4 == 0) return false;
            std::snprintf(
                buf, sizeof buf, "%c%c %02u %02u %02u %c", static_cast<char>('A' + (h >> 8) % 26),
                static_cast<char>('A' + (h >> 16) % 26), static_cast<unsigned>((h >> 24) % 100),
                static_cast<unsigned>((h >> 32) % 100), static_cast<unsigned>((h >> 40) % 100),
                static_cast<char>('A' + (h >> 48) % 4));
            out = buf;
            return true;
        case Gen::kBirthDate:
            if (h % 5 == 0) return false;
            // Born 1950-2005.
            append_date(out, (-7305 + static_cast<std::int64_t>((h >> 8) % 20089)) * kDay);
            return true;
        case Gen::kHealthCondition:
            if (h % 3 == 0) return false;
            out = pick(kConditions, h >> 8);
            return true;
        default:
            return false;
    }
}

void ContactStore::write_record(std::string& out, std::int64_t id, const ContactState& s,
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

std::int64_t ContactStore::write_list_page(std::string& out, std::int64_t after_id, int limit,
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
        write_record(out, r.id, r.cur, props);
    }
    out.push_back(']');
    return i < records_.size() ? records_[i].id : 0;
}

bool ContactStore::write_contact(std::string& out, std::int64_t id, bool archived,
                                 const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    if (!r || (r->cur.archived_ms != 0) != archived) return false;
    write_record(out, r->id, r->cur, props);
    return true;
}

bool ContactStore::matches(const Filter& f, int p, const ContactState& s, std::int64_t id,
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

std::int64_t ContactStore::search(std::string& out, const SearchQuery& q, std::int64_t offset,
                                  int limit, std::int64_t now_ms,
                                  const std::vector<int>& props) const {
    std::shared_lock lock(mu_);
    // Resolve filter properties once; filters on the record's own timestamps and id compare
    // as integers without formatting values (the common incremental-sync query).
    struct Compiled {
        const Filter* f = nullptr;
        int p = 0;
        bool fast = false;
        int code = -1;  // index of the operator in kFastOps
        std::int64_t a = 0, b = 0;
        std::vector<std::int64_t> set;
    };
    std::vector<std::vector<Compiled>> groups;
    for (const auto& g : q.groups) {
        groups.emplace_back();
        for (const auto& f : g) {
            Compiled c;
            c.f = &f;
            c.p = prop_index_.at(f.property);
            static const char* kFastOps[] = {"EQ",
                                             "NEQ",
                                             "LT",
                                             "LTE",
                                             "GT",
                                             "GTE",
                                             "BETWEEN",
                                             "IN",
                                             "NOT_IN",
                                             "HAS_PROPERTY",
                                             "NOT_HAS_PROPERTY"};
            for (int k = 0; k < 11; ++k)
                if (f.op == kFastOps[k]) c.code = k;
            if (is_record_number(c.p)) {
                const std::string& op = f.op;
                if (op == "IN" || op == "NOT_IN") {
                    c.fast = true;
                    for (const auto& x : f.values) {
                        std::int64_t n = 0;
                        c.fast = c.fast && parse_time_ms(x, n);
                        c.set.push_back(n);
                    }
                } else if (op == "HAS_PROPERTY" || op == "NOT_HAS_PROPERTY") {
                    c.fast = true;
                } else if (op != "CONTAINS_TOKEN" && op != "NOT_CONTAINS_TOKEN") {
                    c.fast = parse_time_ms(f.value, c.a) &&
                             (op != "BETWEEN" || parse_time_ms(f.high_value, c.b));
                }
            }
            groups.back().push_back(std::move(c));
        }
    }
    auto fast_match = [](const Compiled& c, std::int64_t n) {
        switch (c.code) {
            case 0:
                return n == c.a;
            case 1:
                return n != c.a;
            case 2:
                return n < c.a;
            case 3:
                return n <= c.a;
            case 4:
                return n > c.a;
            case 5:
                return n >= c.a;
            case 6:
                return n >= c.a && n <= c.b;
            case 7:
                return std::find(c.set.begin(), c.set.end(), n) != c.set.end();
            case 8:
                return std::find(c.set.begin(), c.set.end(), n) == c.set.end();
            case 9:
                return true;
            default:
                return false;
        }
    };
    const int sort_p = prop_index_.at(q.sort_property);
    const std::string& sort_type = props_[static_cast<std::size_t>(sort_p)].def.type;
    const bool numeric_sort =
        sort_type == "number" || sort_type == "datetime" || sort_type == "date";
    const bool sort_fast = is_record_number(sort_p);
    const auto query_tokens = tokens(q.query);
    static const char* kQueryProps[] = {"email", "firstname", "lastname", "phone", "company"};

    struct Hit {
        double num;
        std::int64_t id;
        const ContactState* state;
        std::size_t text;  // index into texts when sorting by a string
    };
    // Reused per thread: a fresh multi-megabyte vector per search costs more in page faults
    // than the scan itself.
    thread_local std::vector<Hit> hits;
    thread_local std::vector<std::string> texts;
    hits.clear();
    texts.clear();
    std::string v;
    for (const auto& r : records_) {
        // Archiving hides a contact from search at once; other changes wait for the index.
        if (r.gone || r.cur.archived_ms != 0) continue;
        const ContactState* s = now_ms >= r.visible_ms ? &r.cur : r.indexed.get();
        if (!s || s->archived_ms != 0) continue;
        bool ok = groups.empty();
        for (const auto& g : groups) {
            bool all = true;
            for (const auto& c : g) {
                if (c.fast ? !fast_match(c, record_number(c.p, *s, r.id))
                           : !matches(*c.f, c.p, *s, r.id, v)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                ok = true;
                break;
            }
        }
        if (!ok) continue;
        if (!query_tokens.empty()) {
            bool found = false;
            for (const char* name : kQueryProps) {
                if (!value(*s, r.id, prop_index_.at(name), v)) continue;
                for (const auto& t : tokens(v))
                    for (const auto& qt : query_tokens)
                        if (t.rfind(qt, 0) == 0) found = true;
            }
            if (!found) continue;
        }
        Hit hit{0, r.id, s, 0};
        const bool has = !sort_fast && value(*s, r.id, sort_p, v);
        if (sort_fast) {
            hit.num = static_cast<double>(record_number(sort_p, *s, r.id));
        } else if (numeric_sort) {
            std::int64_t t = 0;
            double d = 0;
            if (!has) {
                hit.num = -INFINITY;
            } else if (sort_type == "number" && parse_number(v, d)) {
                hit.num = d;
            } else if (sort_type != "number" && parse_time_ms(v, t)) {
                hit.num = static_cast<double>(t);
            } else {
                hit.num = -INFINITY;
            }
        } else {
            hit.text = texts.size();
            texts.push_back(has ? lower(v) : std::string());
        }
        hits.push_back(hit);
    }
    const bool desc = q.descending;
    // Only the requested page needs ordering: sort the first offset+limit hits.
    const auto wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(hits.size()), offset + limit));
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(wanted), hits.end(),
                      [&](const Hit& a, const Hit& b) {
                          if (numeric_sort ? a.num != b.num : texts[a.text] != texts[b.text]) {
                              const bool less =
                                  numeric_sort ? a.num < b.num : texts[a.text] < texts[b.text];
                              return desc ? !less : less;
                          }
                          return a.id < b.id;
                      });
    const auto total = static_cast<std::int64_t>(hits.size());
    out.append("{\"total\":");
    append_int(out, total);
    out.append(",\"results\":[");
    for (std::int64_t i = offset; i < total && i < offset + limit; ++i) {
        if (i > offset) out.push_back(',');
        write_record(out, hits[static_cast<std::size_t>(i)].id,
                     *hits[static_cast<std::size_t>(i)].state, props);
    }
    out.push_back(']');
    return total;
}

Record ContactStore::to_contact(const ContactRecord& r, bool include_sensitive) const {
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

std::vector<Record> ContactStore::truth(bool include_archived, bool include_sensitive) const {
    std::shared_lock lock(mu_);
    std::vector<Record> out;
    out.reserve(records_.size());
    for (const auto& r : records_) {
        if (r.gone || (!include_archived && r.cur.archived_ms != 0)) continue;
        out.push_back(to_contact(r, include_sensitive));
    }
    return out;
}

std::vector<std::int64_t> ContactStore::ids(bool include_archived) const {
    std::shared_lock lock(mu_);
    std::vector<std::int64_t> out;
    out.reserve(records_.size());
    for (const auto& r : records_) {
        if (r.gone || (!include_archived && r.cur.archived_ms != 0)) continue;
        out.push_back(r.id);
    }
    return out;
}

std::optional<Record> ContactStore::contact(std::int64_t id, bool include_sensitive) const {
    std::shared_lock lock(mu_);
    const auto* r = find_live(id);
    if (!r) return std::nullopt;
    return to_contact(*r, include_sensitive);
}

void ContactStore::before_change(ContactRecord& r, std::int64_t now_ms) {
    // The index keeps the last version it had seen until the new one becomes visible.
    if (now_ms >= r.visible_ms) r.indexed = std::make_unique<ContactState>(r.cur);
    std::int64_t delay = delay_min_ms_;
    if (delay_max_ms_ > delay_min_ms_)
        delay += static_cast<std::int64_t>(
            rng_() % static_cast<std::uint64_t>(delay_max_ms_ - delay_min_ms_ + 1));
    r.visible_ms = now_ms + delay;
}

namespace {
void apply_values(ContactState& s, const std::vector<std::pair<int, std::string>>& values) {
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
}  // namespace

std::int64_t ContactStore::create(const std::vector<std::pair<int, std::string>>& values,
                                  std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    ContactRecord r;
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

void ContactStore::update(std::int64_t id, const std::vector<std::pair<int, std::string>>& values,
                          std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw std::invalid_argument("no such contact: " + std::to_string(id));
    before_change(*r, now_ms);
    apply_values(r->cur, values);
    r->cur.updated_ms = now_ms;
}

void ContactStore::archive(std::int64_t id, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw std::invalid_argument("no such contact: " + std::to_string(id));
    if (r->cur.archived_ms != 0) return;
    before_change(*r, now_ms);
    r->cur.archived_ms = now_ms;
    r->cur.updated_ms = now_ms;
}

void ContactStore::restore(std::int64_t id, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw std::invalid_argument("no such contact: " + std::to_string(id));
    if (r->cur.archived_ms == 0) return;
    before_change(*r, now_ms);
    r->cur.archived_ms = 0;
    r->cur.updated_ms = now_ms;
}

std::int64_t ContactStore::merge(std::int64_t primary, std::int64_t other, std::int64_t now_ms) {
    std::unique_lock lock(mu_);
    auto* a = find_live(primary);
    auto* b = find_live(other);
    if (!a || !b || a == b || a->cur.archived_ms != 0 || b->cur.archived_ms != 0)
        throw std::invalid_argument("cannot merge " + std::to_string(primary) + " and " +
                                    std::to_string(other));
    const int merged_p = prop_index_.at("hs_merged_object_ids");
    std::vector<std::pair<int, std::string>> values;
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
    for (const ContactRecord* r : {a, b}) {
        if (value(r->cur, r->id, merged_p, va) && !va.empty()) merged_ids.append(va).push_back(';');
        merged_ids.append(std::to_string(r->id)).push_back(';');
    }
    merged_ids.pop_back();
    values.emplace_back(merged_p, merged_ids);
    std::sort(values.begin(), values.end());

    ContactRecord n;
    n.id = next_id_++;
    n.cur.created_ms = std::min(a->cur.created_ms, b->cur.created_ms);
    n.cur.updated_ms = now_ms;
    n.cur.generated = false;
    apply_values(n.cur, values);
    n.visible_ms = now_ms;
    before_change(n, now_ms);
    n.indexed.reset();
    for (ContactRecord* r : {a, b}) {
        r->gone = true;
        r->merged_into = n.id;
    }
    records_.push_back(std::move(n));  // invalidates a and b
    return records_.back().id;
}

void ContactStore::gdpr_delete(std::int64_t id) {
    std::unique_lock lock(mu_);
    auto* r = find_live(id);
    if (!r) throw std::invalid_argument("no such contact: " + std::to_string(id));
    r->gone = true;
    r->indexed.reset();
    r->cur.overrides.reset();
}

int ContactStore::purge_archived_before(std::int64_t cutoff_ms) {
    std::unique_lock lock(mu_);
    int n = 0;
    for (auto& r : records_) {
        if (!r.gone && r.cur.archived_ms != 0 && r.cur.archived_ms < cutoff_ms) {
            r.gone = true;
            r.indexed.reset();
            ++n;
        }
    }
    return n;
}

}  // namespace hubsync::sim
