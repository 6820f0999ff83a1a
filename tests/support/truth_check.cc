#include "support/truth_check.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <map>
#include <optional>

namespace hubsync::testing {
namespace {

std::map<std::string, std::optional<std::string>> parse_properties(const std::string& json) {
    std::map<std::string, std::optional<std::string>> out;
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    for (const auto& [k, v] : *obj) {
        if (v.isEmpty()) {
            out[k] = std::nullopt;
        } else {
            out[k] = v.convert<std::string>();
        }
    }
    return out;
}

}  // namespace

TruthCheck check_against_truth(const sim::Simulator& sim, Mirror& mirror, std::size_t max_lines) {
    return check_against_truth(sim, mirror, contacts_type(), max_lines);
}

TruthCheck check_against_truth(const sim::Simulator& sim, Mirror& mirror, const ObjectType& type,
                               std::size_t max_lines) {
    TruthCheck check;
    const auto note = [&](std::string line) {
        if (check.lines.size() < max_lines) check.lines.push_back(std::move(line));
    };
    const std::string& what = type.name;
    const auto truth = sim.truth(std::string_view(type.name), true);
    check.truth_contacts = static_cast<std::int64_t>(truth.size());
    auto counts = mirror.counts(type);
    if (!counts.ok()) {
        note("counts failed: " + counts.error().describe());
        check.missing = check.truth_contacts;
        return check;
    }
    check.mirror_rows = counts->total - counts->merged;
    for (const auto& c : truth) {
        auto row = mirror.get_record(type, c.id);
        if (!row.ok() || !row->has_value()) {
            ++check.missing;
            note(what + " " + std::to_string(c.id) + " missing from the mirror");
            continue;
        }
        const auto& r = **row;
        if (r.archived != c.archived || r.updated_at != c.updated_at || r.merged_into) {
            ++check.differing;
            note(what + " " + std::to_string(c.id) + " differs: archived " +
                 std::to_string(r.archived) + "/" + std::to_string(c.archived) + " updated " +
                 r.updated_at + "/" + c.updated_at);
            continue;
        }
        const auto stored = parse_properties(r.properties_json);
        bool differs = false;
        for (const auto& p : c.properties) {
            auto it = stored.find(p.name);
            const std::optional<std::string> mine = it == stored.end() ? std::nullopt : it->second;
            if (mine != p.value) {
                differs = true;
                note(what + " " + std::to_string(c.id) + " property " + p.name + ": mirror '" +
                     mine.value_or("<null>") + "' truth '" + p.value.value_or("<null>") + "'");
            }
        }
        if (differs) ++check.differing;
    }
    // Every truth contact found in the mirror is one unmerged row; the rest are extra.
    check.extra = check.mirror_rows - (check.truth_contacts - check.missing);
    if (check.extra != 0) {
        note("mirror has " + std::to_string(check.mirror_rows) + " unmerged rows, HubSpot " +
             std::to_string(check.truth_contacts) + " " + what);
    }
    check.integrity_ok = mirror.integrity_check().ok();
    if (!check.integrity_ok) note("integrity_check failed");
    return check;
}

}  // namespace hubsync::testing
