// `hubsync status [--json]`: authorization, last sync, contacts, cursor, last error. Reads the
// token store and a read-only view of the mirror, so it never disturbs a running service.
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <ostream>
#include <sstream>

#include "commands.h"
#include "mirror/mirror.h"
#include "oauth/authorize.h"
#include "service/status_line.h"
#include "sync/sync_engine.h"

namespace hubsync {
namespace {

struct StatusFacts {
    TokenStatus token;
    bool mirror_exists = false;
    MirrorCounts counts;
    std::optional<SyncRun> last_run;
    std::optional<SyncRun> last_success;
    std::vector<std::pair<std::string, std::string>> state;
    std::string mirror_error;
};

std::string iso_or_empty(Instant t) {
    return t.time_since_epoch().count() == 0 ? std::string() : format_iso8601(t);
}

std::string state_value(const StatusFacts& f, const std::string& key) {
    for (const auto& [k, v] : f.state)
        if (k == key) return v;
    return {};
}

std::string high_water_iso(const StatusFacts& f) {
    const std::string ms = state_value(f, kStateHighWater);
    if (ms.empty()) return {};
    try {
        return format_iso8601(from_epoch_ms(std::stoll(ms)));
    } catch (...) {
        return {};
    }
}

Result<StatusFacts> gather(const Config& config) {
    StatusFacts f;
    HS_ASSIGN_OR_RETURN(f.token, read_token_status(config, SystemClock::instance()));
    if (!std::filesystem::exists(config.sync.database)) return f;
    MirrorOptions mo;
    mo.read_only = true;
    auto mirror = Mirror::open(config.sync.database, mo);
    if (!mirror.ok()) {
        f.mirror_error = mirror.error().describe();
        return f;
    }
    f.mirror_exists = true;
    auto& m = **mirror;
    HS_ASSIGN_OR_RETURN(f.counts, m.counts());
    HS_ASSIGN_OR_RETURN(f.last_run, m.last_run());
    HS_ASSIGN_OR_RETURN(f.state, m.all_state());
    return f;
}

void print_json(std::ostream& out, const Config& config, const StatusFacts& f) {
    Poco::JSON::Object root;
    Poco::JSON::Object auth;
    auth.set("mode", to_string(f.token.mode));
    if (f.token.mode == TokenStatus::Mode::kStaticToken)
        auth.set("access_token_file", f.token.access_token_file);
    else
        auth.set("token_store", f.token.store_path);
    auth.set("state", to_string(f.token.state));
    auth.set("authorized", f.token.authorized);
    auth.set("hub_id", f.token.hub_id);
    auth.set("hub_domain", f.token.hub_domain);
    Poco::JSON::Array scopes;
    for (const auto& s : f.token.scopes)
        scopes.add(s);
    auth.set("scopes", scopes);
    auth.set("access_token_expires_at", iso_or_empty(f.token.access_expires_at));
    auth.set("access_token_valid", f.token.access_token_valid);
    auth.set("refresh_failures", f.token.refresh_failures);
    auth.set("last_refresh_error", f.token.last_refresh_error);
    auth.set("auth_required_reason", f.token.auth_required_reason);
    root.set("authorization", auth);

    Poco::JSON::Object mirror;
    mirror.set("database", config.sync.database);
    mirror.set("exists", f.mirror_exists);
    mirror.set("contacts_total", f.counts.total);
    mirror.set("contacts_active", f.counts.active);
    mirror.set("contacts_archived", f.counts.archived);
    mirror.set("contacts_merged", f.counts.merged);
    if (!f.mirror_error.empty()) mirror.set("error", f.mirror_error);
    root.set("mirror", mirror);

    Poco::JSON::Object sync;
    sync.set("backfill_completed_at", state_value(f, kStateBackfillDone));
    sync.set("backfill_cursor", state_value(f, kStateBackfillAfter));
    sync.set("cursor_high_water", high_water_iso(f));
    sync.set("window_in_progress", state_value(f, kStateWindow));
    sync.set("last_reconcile_at", state_value(f, kStateLastReconcile));
    if (f.last_run) {
        Poco::JSON::Object run;
        run.set("started_at", f.last_run->started_at);
        run.set("finished_at", f.last_run->finished_at);
        run.set("mode", f.last_run->mode);
        run.set("contacts_written", f.last_run->contacts_written);
        run.set("requests_made", f.last_run->requests_made);
        run.set("error", f.last_run->error);
        sync.set("last_run", run);
    }
    root.set("sync", sync);
    root.set("last_error", f.last_run ? f.last_run->error : std::string());
    root.stringify(out, 2);
    out << "\n";
}

void print_text(std::ostream& out, const Config& config, const StatusFacts& f) {
    const Instant now = SystemClock::instance().now();
    out << "authorization: " << to_string(f.token.state) << "\n";
    if (f.token.mode == TokenStatus::Mode::kStaticToken)
        out << "mode:          access token (service key) from " << f.token.access_token_file
            << "\n";
    else
        out << "mode:          OAuth, tokens in " << f.token.store_path << "\n";
    if (f.token.hub_id != 0) out << "hub id:        " << f.token.hub_id << "\n";
    if (f.token.mode == TokenStatus::Mode::kOAuth &&
        f.token.access_expires_at.time_since_epoch().count() != 0) {
        out << "token expires: " << format_iso8601(f.token.access_expires_at);
        if (f.token.access_expires_at > now)
            out << " (in "
                << format_age(std::chrono::duration_cast<Millis>(f.token.access_expires_at - now))
                << ")";
        else
            out << " (expired; refreshed on the next request)";
        out << "\n";
    }
    if (!f.token.auth_required_reason.empty())
        out << "action needed: " << f.token.auth_required_reason << " - run `hubsync authorize`\n";
    if (!f.token.last_refresh_error.empty())
        out << "refresh error: " << f.token.last_refresh_error << "\n";
    out << "database:      " << config.sync.database
        << (f.mirror_exists ? "" : " (not created yet)") << "\n";
    if (f.mirror_exists) {
        out << "contacts:      " << format_count(f.counts.active) << " active, "
            << format_count(f.counts.archived) << " archived, " << format_count(f.counts.merged)
            << " merged away\n";
    }
    if (f.last_run) {
        out << "last sync:     " << f.last_run->mode << " started " << f.last_run->started_at;
        Instant started;
        if (parse_iso8601(f.last_run->started_at, started) && started <= now)
            out << " (" << format_age(std::chrono::duration_cast<Millis>(now - started)) << " ago)";
        out << ", " << (f.last_run->finished_at.empty() ? "running or interrupted" : "finished")
            << ", " << format_count(f.last_run->contacts_written) << " written, "
            << format_count(f.last_run->requests_made) << " requests\n";
        if (!f.last_run->error.empty()) out << "last error:    " << f.last_run->error << "\n";
    }
    const std::string cursor = high_water_iso(f);
    if (!cursor.empty()) out << "cursor:        changes up to " << cursor << "\n";
    if (f.mirror_exists && state_value(f, kStateBackfillDone).empty())
        out << "backfill:      in progress\n";
    if (!f.mirror_error.empty()) out << "mirror error:  " << f.mirror_error << "\n";
}

}  // namespace

int cmd_status(const CommandContext& ctx, bool json) {
    auto facts = gather(ctx.config);
    if (!facts.ok()) return report_error(ctx, facts.error());
    if (json) {
        print_json(ctx.out, ctx.config, *facts);
    } else {
        print_text(ctx.out, ctx.config, *facts);
    }
    return 0;
}

}  // namespace hubsync
