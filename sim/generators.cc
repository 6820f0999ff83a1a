// The value generators: name lists, option lists with their labels, and one function per
// family of properties (contact, custom kinds, references, companies, deals, tickets, pets).
#include "sim/generators.h"

#include <algorithm>
#include <cstdio>

#include "sim/json_out.h"

namespace hubsync::sim {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

namespace {

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
constexpr const char* kLifecycleLabel[] = {
    "Subscriber",           "Lead",        "Marketing Qualified Lead",
    "Sales Qualified Lead", "Opportunity", "Customer",
    "Evangelist",           "Other"};
constexpr const char* kLeadStatus[] = {"NEW",       "OPEN",        "IN_PROGRESS",
                                       "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
                                       "CONNECTED", "BAD_TIMING"};
constexpr const char* kLeadStatusLabel[] = {"New",       "Open",        "In Progress",
                                            "Open Deal", "Unqualified", "Attempted to Contact",
                                            "Connected", "Bad Timing"};
constexpr const char* kIndustry[] = {"SOFTWARE", "RETAIL", "BANKING", "HEALTHCARE", "EDUCATION"};
constexpr const char* kSource[] = {"ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING",
                                   "SOCIAL_MEDIA",   "REFERRALS",   "OTHER_CAMPAIGNS",
                                   "DIRECT_TRAFFIC", "OFFLINE"};
constexpr const char* kSourceLabel[] = {"Organic Search", "Paid Search",    "Email Marketing",
                                        "Social Media",   "Referrals",      "Other Campaigns",
                                        "Direct Traffic", "Offline Sources"};
constexpr const char* kWords[] = {"alpha", "bravo", "charlie", "delta",  "echo", "foxtrot",
                                  "golf",  "hotel", "india",   "juliet", "kilo", "lima"};
constexpr const char* kOptions[] = {"red", "green", "blue", "yellow", "purple"};
constexpr const char* kOptionLabels[] = {"Red", "Green", "Blue", "Yellow", "Purple"};
constexpr const char* kConditions[] = {"none", "asthma", "diabetes", "hypertension", "allergy"};
constexpr const char* kConditionLabels[] = {"None", "Asthma", "Diabetes", "Hypertension",
                                            "Allergy"};
constexpr const char* kDealKinds[] = {"New licences", "Renewal",   "Upsell",
                                      "Pilot",        "Expansion", "Support plan"};
constexpr const char* kSubjects[] = {"Cannot log in",           "Question about invoice",
                                     "Export to CSV fails",     "Feature request: dark mode",
                                     "Refund for order",        "Password reset e-mail missing",
                                     "Report shows \"0\" rows", "Größe der Datei zu groß"};
constexpr const char* kPetNames[] = {"Bella", "Max",   "Luna", "Rocky", "Mía",  "Oscar",
                                     "Nala",  "Fénix", "Coco", "Milo",  "Kira", "Théo"};
constexpr const char* kBreeds[] = {"Labrador", "Siamese", "Beagle",        "Maine Coon",
                                   "Lop",      "Budgie",  "Border Collie", "Persian"};

template <typename T, std::size_t N>
const char* pick(const T (&arr)[N], std::uint64_t h) {
    return arr[h % N];
}

template <std::size_t N>
std::vector<PropertyOption> labelled(const char* const (&values)[N],
                                     const char* const (&labels)[N]) {
    std::vector<PropertyOption> out;
    for (std::size_t i = 0; i < N; ++i)
        out.push_back(PropertyOption{values[i], labels[i], static_cast<int>(i), false});
    return out;
}

// Contact kinds; `in.record_hash` picks the person, `h` the value.
bool generate_contact_kind(Gen gen, const GenInput& in, std::string& out) {
    const std::uint64_t hc = in.record_hash, h = in.value_hash;
    const std::uint64_t first = hc % std::size(kFirst);
    const std::uint64_t last = (hc >> 16) % std::size(kLast);
    const std::uint64_t company = (hc >> 32) % std::size(kCompany);
    const std::uint64_t place = (hc >> 40) % std::size(kCity);
    char buf[96];
    switch (gen) {
        case Gen::kEmail:
            if (h % 50 == 0) return false;
            out.append(kFirstAscii[first]).append(".").append(kLastAscii[last]);
            append_int(out, in.id);
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
                              in.created_ms + static_cast<std::int64_t>((h >> 8) % (200 * kDayMs)));
            return true;
        default:
            return false;
    }
}

// The custom kinds: every property type, with the messy values real portals hold.
bool generate_custom_kind(Gen gen, const GenInput& in, std::string& out) {
    const std::uint64_t h = in.value_hash;
    char buf[96];
    switch (gen) {
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
            const std::int64_t day =
                kDataStartMs / kDayMs + static_cast<std::int64_t>((h >> 8) % 2500);
            if (h % 6 == 1) {
                append_iso8601_ms(out, day * kDayMs);  // midnight UTC, full timestamp
            } else {
                append_date(out, day * kDayMs);
            }
            return true;
        }
        case Gen::kCustomDatetime: {
            if (h % 8 == 0) return false;
            const std::int64_t t =
                kDataStartMs + static_cast<std::int64_t>((h >> 8) % kCreateSpanMs);
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
            append_date(out, (-7305 + static_cast<std::int64_t>((h >> 8) % 20089)) * kDayMs);
            return true;
        case Gen::kHealthCondition:
            if (h % 3 == 0) return false;
            out = pick(kConditions, h >> 8);
            return true;
        default:
            return false;
    }
}

// One (or, for a checkbox field, several) of the property's visible options.
bool generate_option(const GenInput& in, std::string& out) {
    const std::uint64_t h = in.value_hash;
    if (!in.def || h % 7 == 0) return false;
    std::vector<const std::string*> visible;
    for (const auto& o : in.def->options)
        if (!o.hidden) visible.push_back(&o.value);
    if (visible.empty()) return false;
    if (in.def->field_type != "checkbox") {
        out = *visible[(h >> 8) % visible.size()];
        return true;
    }
    const std::size_t n = std::min<std::size_t>(visible.size(), 16);
    const std::uint64_t mask = (h >> 8) % ((std::uint64_t{1} << n) - 1) + 1;  // never empty
    for (std::size_t i = 0; i < n; ++i) {
        if (((mask >> i) & 1) == 0) continue;
        if (!out.empty()) out.push_back(';');
        out.append(*visible[i]);
    }
    return true;
}

// Owners and pipeline stages, from the references the store was made with. The pipeline and
// its stage both come from the record hash, so a generated stage always belongs to the
// generated pipeline.
bool generate_reference(Gen gen, const GenInput& in, std::string& out) {
    const References& refs = *in.refs;
    if (gen == Gen::kOwner) {
        if (refs.owner_ids.empty() || in.value_hash % 6 == 0) return false;
        out = refs.owner_ids[(in.value_hash >> 8) % refs.owner_ids.size()];
        return true;
    }
    if (refs.pipelines.empty()) return false;
    const PipelineRef& p = refs.pipelines[(in.record_hash >> 44) % refs.pipelines.size()];
    if (gen == Gen::kPipeline) {
        out = p.id;
        return true;
    }
    if (p.stage_ids.empty()) return false;
    out = p.stage_ids[(in.record_hash >> 50) % p.stage_ids.size()];
    return true;
}

// Companies, deals, tickets and pets.
bool generate_object_kind(Gen gen, const GenInput& in, std::string& out) {
    const std::uint64_t hc = in.record_hash, h = in.value_hash;
    const std::uint64_t company = (hc >> 32) % std::size(kCompany);
    const std::uint64_t place = (hc >> 40) % std::size(kCity);
    char buf[96];
    switch (gen) {
        case Gen::kDescription:
            if (h % 3 == 0) return false;
            out.append("Notes: ").append(pick(kWords, h >> 8)).append(", ");
            out.append(pick(kWords, h >> 16)).append(" & \"").append(pick(kWords, h >> 24));
            out.append("\"\nSecond line – ").append(kCity[place]);
            return true;
        case Gen::kCompanyName:
            out.append(kCompany[company]).append(" ").append(kCity[place]);
            return true;
        case Gen::kCompanyDomain: {
            if (h % 10 == 0) return false;
            const std::string_view d = kDomain[company];
            out.append(d.substr(0, d.find('.'))).append("-");
            append_int(out, in.id % 100000);
            out.append(".example");
            return true;
        }
        case Gen::kEmployees:
            if (h % 8 == 0) return false;
            append_int(out, static_cast<std::int64_t>(1 + (h >> 8) % 50000));
            return true;
        case Gen::kRevenue:
            if (h % 5 == 0) return false;
            std::snprintf(buf, sizeof buf, "%u%s", static_cast<unsigned>((h >> 8) % 900000 + 1000),
                          h % 5 == 1 ? ".50" : "000");
            out = buf;
            return true;
        case Gen::kDealName:
            out.append(kCompany[company]).append(" – ").append(pick(kDealKinds, h >> 8));
            return true;
        case Gen::kAmount:
            if (h % 10 == 0) return false;
            if (h % 10 == 1) {
                std::snprintf(buf, sizeof buf, "%u.%02u", static_cast<unsigned>((h >> 8) % 100000),
                              static_cast<unsigned>((h >> 30) % 100));
                out = buf;
                return true;
            }
            append_int(out, static_cast<std::int64_t>(((h >> 8) % 2000 + 1) * 250));
            return true;
        case Gen::kCloseDate:
            if (h % 5 == 0) return false;
            append_iso8601_ms(out,
                              in.created_ms + static_cast<std::int64_t>((h >> 8) % (180 * kDayMs)));
            return true;
        case Gen::kTicketSubject:
            out.append(pick(kSubjects, h >> 8)).append(" #");
            append_int(out, in.id % 100000);
            return true;
        case Gen::kTicketContent:
            if (h % 6 == 0) return false;
            out.append("Hello,\n\nthe customer wrote: \"").append(pick(kSubjects, h >> 16));
            out.append("\".\nRef:\t").append(pick(kWords, h >> 24)).append("\n— Support");
            return true;
        case Gen::kClosedDate:
            if (h % 3 != 0) return false;
            append_iso8601_ms(out,
                              in.created_ms + static_cast<std::int64_t>((h >> 8) % (30 * kDayMs)));
            return true;
        case Gen::kPetName:
            out = pick(kPetNames, h >> 8);
            return true;
        case Gen::kBreed:
            if (h % 4 == 0) return false;
            out = pick(kBreeds, h >> 8);
            return true;
        default:
            return false;
    }
}

}  // namespace

bool generate(Gen gen, const GenInput& in, std::string& out) {
    if (gen <= Gen::kNotesLastUpdated || gen == Gen::kEmailDomain)
        return generate_contact_kind(gen, in, out);
    if (gen <= Gen::kHealthCondition) return generate_custom_kind(gen, in, out);
    if (gen == Gen::kOptionOf) return generate_option(in, out);
    if (gen == Gen::kOwner || gen == Gen::kPipeline || gen == Gen::kPipelineStage)
        return generate_reference(gen, in, out);
    return generate_object_kind(gen, in, out);
}

std::vector<PropertyOption> options_of(Gen gen) {
    switch (gen) {
        case Gen::kLifecycle:
            return labelled(kLifecycle, kLifecycleLabel);
        case Gen::kLeadStatus:
            return labelled(kLeadStatus, kLeadStatusLabel);
        case Gen::kSource:
            return labelled(kSource, kSourceLabel);
        case Gen::kCustomSelect:
        case Gen::kCustomMulti:
            return labelled(kOptions, kOptionLabels);
        case Gen::kHealthCondition:
            return labelled(kConditions, kConditionLabels);
        case Gen::kCustomBool:
            return {PropertyOption{"true", "Yes", 0, false},
                    PropertyOption{"false", "No", 1, false}};
        default:
            return {};
    }
}

const char* first_name_at(std::uint64_t index) {
    return pick(kFirst, index);
}
const char* last_name_at(std::uint64_t index) {
    return pick(kLast, index);
}
const char* ascii_first_name_at(std::uint64_t index) {
    return pick(kFirstAscii, index);
}
const char* ascii_last_name_at(std::uint64_t index) {
    return pick(kLastAscii, index);
}

}  // namespace hubsync::sim
