// `hubsync verify [--json]`: the mirror against HubSpot for every mirrored object type (see
// sync/verify.h); exit 0 when they agree or differ only by changes in flight, 1 when not.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ostream>

#include "commands.h"
#include "core/exit_codes.h"
#include "service/status_line.h"
#include "sync/verify.h"
#include "wiring.h"

namespace hubsync {
namespace {

std::string age(std::int64_t ms) {
    return ms < 0 ? std::string("never") : format_age(Millis(ms)) + " ago";
}

void print_text(std::ostream& out, const std::vector<TypeVerdict>& verdicts) {
    for (const TypeVerdict& v : verdicts) {
        out << v.object_type << ": " << v.verdict << "\n"
            << "  active:         HubSpot " << format_count(v.hubspot_active) << ", mirror "
            << format_count(v.mirror_active) << "\n"
            << "  newest change:  HubSpot " << (v.hubspot_newest.empty() ? "-" : v.hubspot_newest)
            << ", mirror " << (v.mirror_newest.empty() ? "-" : v.mirror_newest) << "\n"
            << "  in flight:      " << v.unsynced << " changed in HubSpot since, " << v.recent
            << " changed or left within the lookback\n"
            << "  last sweeps:    reconcile " << age(v.since_reconcile_ms) << ", archived "
            << age(v.since_archive_sweep_ms) << "\n";
        if (v.verdict == kVerdictDisagree)
            out << "  what to do:     run `hubsync sync`, then verify again; if they still "
                   "disagree, `hubsync sync --full` re-reads everything\n";
    }
}

void print_json(std::ostream& out, const std::vector<TypeVerdict>& verdicts, bool agree) {
    Poco::JSON::Object root;
    root.set("agree", agree);
    Poco::JSON::Object objects;
    for (const TypeVerdict& v : verdicts) {
        Poco::JSON::Object o;
        o.set("verdict", v.verdict);
        o.set("hubspot_active", v.hubspot_active);
        o.set("mirror_active", v.mirror_active);
        o.set("hubspot_newest_change", v.hubspot_newest);
        o.set("mirror_newest_change", v.mirror_newest);
        o.set("changed_in_hubspot_since", v.unsynced);
        o.set("changed_within_lookback", v.recent);
        o.set("last_reconcile_at", v.last_reconcile_at);
        o.set("since_reconcile_ms", v.since_reconcile_ms);
        o.set("last_archive_sweep_at", v.last_archive_sweep_at);
        o.set("since_archive_sweep_ms", v.since_archive_sweep_ms);
        o.set("detail", v.detail);
        o.set("requests", v.requests);
        objects.set(v.object_type, o);
    }
    root.set("objects", objects);
    root.stringify(out, 2);
    out << "\n";
}

}  // namespace

int cmd_verify(const CommandContext& ctx, bool json) {
    auto parts = make_sync_parts(ctx.config, SystemClock::instance(), EngineHooks{});
    if (!parts.ok()) return report_error(ctx, parts.error());
    auto& p = **parts;
    auto types = p.mirror->object_types();
    if (!types.ok()) return report_error(ctx, types.error());
    if (types->empty()) {
        return report_error(ctx,
                            make_error(ErrorKind::kNotFound, "the mirror holds no object type yet",
                                       "run `hubsync sync` once, then verify"));
    }
    VerifyOptions options;
    options.lookback = ctx.config.sync.lookback;
    auto verdicts = verify_mirror(*p.api, *p.mirror, SystemClock::instance(), *types, options);
    if (!verdicts.ok()) return report_error(ctx, verdicts.error());
    bool agree = true;
    for (const TypeVerdict& v : *verdicts)
        agree = agree && v.verdict != kVerdictDisagree;
    if (json)
        print_json(ctx.out, *verdicts, agree);
    else
        print_text(ctx.out, *verdicts);
    if (agree) return exit_code::kOk;
    ctx.err << "hubsync: the mirror disagrees with HubSpot (see above); run `hubsync sync`, and "
               "`hubsync sync --full` if it persists\n";
    return exit_code::kDiffers;
}

}  // namespace hubsync
