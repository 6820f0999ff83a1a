// Generates realistic HubSpot contact pages (list/search JSON) for decoder tests and the
// decoding benchmark.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/core.h>

namespace hubsync::testing {

struct PageShape {
    int contacts = 100;
    int properties = 50;
    std::int64_t first_id = 1001;
    bool with_paging = true;
    bool with_total = false;
};

// A page as HubSpot formats it: compact JSON, every value a string or null, some values with
// escapes and non-ASCII text.
inline std::string make_page(const PageShape& shape) {
    std::string out = R"({"results":[)";
    for (int c = 0; c < shape.contacts; ++c) {
        const std::int64_t id = shape.first_id + c;
        if (c) out += ',';
        out += fmt::format(R"({{"id":"{}","properties":{{)", id);
        for (int p = 0; p < shape.properties; ++p) {
            if (p) out += ',';
            switch (p % 10) {
                case 0:
                    out += fmt::format(R"("email":"user{}@example.com")", id);
                    break;
                case 1:
                    out += R"("firstname":"Ren\u00e9e")";
                    break;
                case 2:
                    out += R"("lastname":"O'Brien \"Bob\"")";
                    break;
                case 3:
                    out += fmt::format(R"("custom_prop_{}":null)", p);
                    break;
                case 4:
                    out += fmt::format(R"("hs_object_id":"{}")", id);
                    break;
                case 5:
                    out += R"("lastmodifieddate":"2024-09-11T13:27:39.356Z")";
                    break;
                case 6:
                    out += fmt::format(R"("custom_notes_{}":"line one\nline two\ttabbed")", p);
                    break;
                case 7:
                    out += fmt::format(R"("custom_amount_{}":"12345.67")", p);
                    break;
                case 8:
                    out += fmt::format(R"("custom_city_{}":"M\u00fcnchen \ud83d\ude00")", p);
                    break;
                default:
                    out += fmt::format(R"("custom_text_property_{}":"some ordinary text value {}")",
                                       p, c);
            }
        }
        out += fmt::format(
            R"(}},"createdAt":"2024-01-0{}T10:00:00.000Z","updatedAt":"2024-09-11T13:27:39.356Z","archived":false}})",
            1 + c % 9);
    }
    out += ']';
    if (shape.with_total) out += fmt::format(R"(,"total":{})", shape.contacts * 7);
    if (shape.with_paging) {
        out += fmt::format(
            R"(,"paging":{{"next":{{"after":"{}","link":"https://api.hubapi.com/crm/v3/objects/contacts?after={}"}}}})",
            shape.first_id + shape.contacts, shape.first_id + shape.contacts);
    }
    out += '}';
    return out;
}

}  // namespace hubsync::testing
