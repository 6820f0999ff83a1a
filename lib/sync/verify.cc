// The verify comparison: counts and newest changes on both sides, and the verdict.
#include "sync/verify.h"

#include <charconv>

#include <fmt/core.h>

#include "sync/sync_engine.h"

namespace hubsync {
namespace {

std::int64_t iso_ms(const std::string& iso) {
    Instant t;
    return parse_iso8601(iso, t) ? to_epoch_ms(t) : -1;
}

// A modification time as sent (ISO-8601 or epoch ms), normalized to ISO-8601.
std::string normalized(const std::string& raw) {
    Instant t;
    if (parse_iso8601(raw, t)) return format_iso8601(t);
    std::int64_t ms = 0;
    const auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), ms);
    if (ec == std::errc() && p == raw.data() + raw.size()) return format_iso8601(from_epoch_ms(ms));
    return raw;
}

// HubSpot's active count and its newest modification, in one search.
Status hubspot_side(HubSpotApi& api, const ObjectType& type, TypeVerdict& v) {
    SearchRequest q;
    q.sort_property = type.last_modified_property;
    q.ascending = false;
    q.properties = {"hs_object_id", type.last_modified_property};
    q.limit = 1;
    HS_ASSIGN_OR_RETURN(auto page, api.search(type, q));
    ++v.requests;
    v.hubspot_active = page.total;
    if (!page.records.empty()) {
        const Record& r = page.records.front();
        const auto* lm = r.find(type.last_modified_property);
        v.hubspot_newest = normalized(lm && *lm && !(*lm)->empty() ? **lm : r.updated_at);
    }
    return Status::Ok();
}

// HubSpot records modified after the mirror's newest: changes the next cycle will bring.
Result<std::int64_t> count_newer(HubSpotApi& api, const ObjectType& type, const std::string& iso) {
    SearchRequest q;
    q.filter_groups = {{{type.last_modified_property, "GT", std::to_string(iso_ms(iso)), {}, {}}}};
    q.properties = {"hs_object_id"};
    q.limit = 1;
    HS_ASSIGN_OR_RETURN(auto page, api.search(type, q));
    return page.total;
}

void sweep_ages(Mirror& mirror, const ObjectType& type, Instant now, TypeVerdict& v) {
    if (auto last = mirror.state(state_key(type, kStateLastReconcile)); last.ok() && *last) {
        v.last_reconcile_at = **last;
        if (const auto ms = iso_ms(**last); ms >= 0) v.since_reconcile_ms = to_epoch_ms(now) - ms;
    }
    if (auto last = mirror.state(state_key(type, kStateArchivedSweep)); last.ok() && *last) {
        std::int64_t ms = 0;
        const std::string& text = **last;
        const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
        if (ec == std::errc() && p == text.data() + text.size()) {
            v.last_archive_sweep_at = format_iso8601(from_epoch_ms(ms));
            v.since_archive_sweep_ms = to_epoch_ms(now) - ms;
        }
    }
}

void decide(TypeVerdict& v) {
    const std::int64_t difference = v.hubspot_active > v.mirror_active
                                        ? v.hubspot_active - v.mirror_active
                                        : v.mirror_active - v.hubspot_active;
    if (difference == 0 && v.unsynced == 0) {
        v.verdict = kVerdictAgree;
        return;
    }
    const std::int64_t explained = v.unsynced + v.recent;
    v.verdict = difference <= explained ? kVerdictInFlight : kVerdictDisagree;
    v.detail = fmt::format(
        "HubSpot counts {} active, the mirror {} ({} changed in HubSpot since the mirror's newest, "
        "{} changed or left in the last lookback)",
        v.hubspot_active, v.mirror_active, v.unsynced, v.recent);
}

}  // namespace

Result<std::vector<TypeVerdict>> verify_mirror(HubSpotApi& api, Mirror& mirror, Clock& clock,
                                               const std::vector<ObjectType>& types,
                                               const VerifyOptions& options) {
    std::vector<TypeVerdict> out;
    for (const ObjectType& type : types) {
        TypeVerdict v;
        v.object_type = type.name;
        HS_RETURN_IF_ERROR(hubspot_side(api, type, v));
        HS_ASSIGN_OR_RETURN(
            v.mirror_active,
            mirror.count_active(type, IdRange{std::numeric_limits<RecordId>::min(),
                                              std::numeric_limits<RecordId>::max()}));
        const Instant now = clock.now();
        HS_ASSIGN_OR_RETURN(auto activity,
                            mirror.recent_activity(type, format_iso8601(now - options.lookback)));
        v.mirror_newest = activity.newest_updated_at;
        v.recent = activity.rows_changed + activity.ledger_entries;
        if (!v.hubspot_newest.empty() &&
            (v.mirror_newest.empty() || iso_ms(v.hubspot_newest) > iso_ms(v.mirror_newest))) {
            HS_ASSIGN_OR_RETURN(v.unsynced, v.mirror_newest.empty()
                                                ? Result<std::int64_t>(v.hubspot_active)
                                                : count_newer(api, type, v.mirror_newest));
            if (!v.mirror_newest.empty()) ++v.requests;
        }
        sweep_ages(mirror, type, now, v);
        decide(v);
        HS_RETURN_IF_ERROR(mirror.record_verdict(type, v.verdict, v.detail, v.requests));
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace hubsync
