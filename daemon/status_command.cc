// `hubsync status [--json]`: authorization, and per mirrored object type the counts, the last
// sync, the cursor and the last error. Reads the token store and a read-only view of the mirror,
// so it never disturbs a running service.
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <ostream>
#include <sstream>

#include "commands.h"
#include "mirror/sqlite_mirror.h"
#include "oauth/authorize.h"
#include "service/status_line.h"
#include "sync/sync_engine.h"

namespace hubsync {
namespace {

// One mirrored object type's part of the status.
struct TypeFacts {
    ObjectType type;
    MirrorCounts counts;
    std::optional<SyncRun> last_run;
    std::optional<SyncRun> last_verify;  // the newest `hubsync verify` result
};

struct StatusFacts {
    TokenStatus token;
    bool mirror_exists = false;
    std::vector<TypeFacts> types;     // contacts first; contacts alone before the first sync
    std::optional<SyncRun> last_run;  // of any type
    std::vector<std::pair<std::string, std::string>> state;
    std::string mirror_error;
};

std::string iso_or_empty(Instant t) {
    return t.time_since_epoch().count() == 0 ? std::string() : format_iso8601(t);
}

std::string state_value(const StatusFacts& f, const ObjectType& type, const char* key) {
    const std::string full = state_key(type, key);
    for (const auto& [k, v] : f.state)
        if (k == full) return v;
    return {};
}

std::string high_water_iso(const StatusFacts& f, const ObjectType& type) {
    const std::string ms = state_value(f, type, kStateHighWater);
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
    auto mirror = SqliteMirror::open(config.sync.database, mo);
    if (!mirror.ok()) {
        f.mirror_error = mirror.error().describe();
        return f;
    }
    f.mirror_exists = true;
    auto& m = **mirror;
    HS_ASSIGN_OR_RETURN(auto types, m.object_types());
    if (types.empty()) types.push_back(contacts_type());
    for (const ObjectType& type : types) {
        TypeFacts t{type, {}, {}, {}};
        HS_ASSIGN_OR_RETURN(t.counts, m.counts(type));
        HS_ASSIGN_OR_RETURN(t.last_run, m.last_run(type.name));
        HS_ASSIGN_OR_RETURN(t.last_verify, m.last_verdict(type.name));
        f.types.push_back(std::move(t));
    }
    HS_ASSIGN_OR_RETURN(f.last_run, m.last_run());
    HS_ASSIGN_OR_RETURN(f.state, m.all_state());
    return f;
}

Poco::JSON::Object run_json(const SyncRun& r) {
    Poco::JSON::Object run;
    run.set("object_type", r.object_type);
    run.set("started_at", r.started_at);
    run.set("finished_at", r.finished_at);
    run.set("mode", r.mode);
    run.set("records_written", r.records_written);
    run.set("requests_made", r.requests_made);
    run.set("error", r.error);
    return run;
}

// Where a type's sync stands: backfill, cursor, the window in progress, the last sweeps.
Poco::JSON::Object cursor_json(const StatusFacts& f, const ObjectType& type) {
    Poco::JSON::Object sync;
    sync.set("backfill_completed_at", state_value(f, type, kStateBackfillDone));
    // A backfill in progress: the split between the list and the search chains, else (a
    // backfill interrupted by an older hubsync, or the archived phase) the list cursor.
    std::string cursor = state_value(f, type, kStateBackfillSplit);
    if (cursor.empty()) cursor = state_value(f, type, kStateBackfillAfter);
    sync.set("backfill_cursor", cursor);
    sync.set("cursor_high_water", high_water_iso(f, type));
    sync.set("window_in_progress", state_value(f, type, kStateWindow));
    sync.set("last_reconcile_at", state_value(f, type, kStateLastReconcile));
    return sync;
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

    // The contacts' figures keep their place at the top level; every type, contacts included,
    // is under "objects".
    const TypeFacts* contacts = nullptr;
    Poco::JSON::Object objects;
    for (const TypeFacts& t : f.types) {
        if (t.type.name == contacts_type().name) contacts = &t;
        Poco::JSON::Object o;
        o.set("table", t.type.table);
        o.set("type_id", t.type.type_id);
        o.set("total", t.counts.total);
        o.set("active", t.counts.active);
        o.set("archived", t.counts.archived);
        o.set("merged", t.counts.merged);
        Poco::JSON::Object sync = cursor_json(f, t.type);
        if (t.last_run) sync.set("last_run", run_json(*t.last_run));
        o.set("sync", sync);
        if (t.last_verify) {
            Poco::JSON::Object verify;
            verify.set("at", t.last_verify->finished_at);
            verify.set("verdict", t.last_verify->verdict);
            verify.set("detail", t.last_verify->error);
            o.set("last_verify", verify);
        }
        objects.set(t.type.name, o);
    }
    Poco::JSON::Object mirror;
    mirror.set("database", config.sync.database);
    mirror.set("exists", f.mirror_exists);
    const MirrorCounts none;
    const MirrorCounts& cc = contacts ? contacts->counts : none;
    mirror.set("contacts_total", cc.total);
    mirror.set("contacts_active", cc.active);
    mirror.set("contacts_archived", cc.archived);
    mirror.set("contacts_merged", cc.merged);
    if (!f.mirror_error.empty()) mirror.set("error", f.mirror_error);
    root.set("mirror", mirror);
    root.set("objects", objects);

    Poco::JSON::Object sync = cursor_json(f, contacts_type());
    if (f.last_run) sync.set("last_run", run_json(*f.last_run));
    root.set("sync", sync);
    root.set("last_error", f.last_run ? f.last_run->error : std::string());
    root.stringify(out, 2);
    out << "\n";
}

// A label padded to the width of the status lines ("contacts:      ").
std::string label(const std::string& name) {
    std::string out = name + ":";
    if (out.size() < 15)
        out.resize(15, ' ');
    else
        out += ' ';
    return out;
}

void print_type(std::ostream& out, const StatusFacts& f, const TypeFacts& t, Instant now) {
    out << label(t.type.name) << format_count(t.counts.active) << " active, "
        << format_count(t.counts.archived) << " archived, " << format_count(t.counts.merged)
        << " merged away\n";
    if (t.last_run) {
        const SyncRun& r = *t.last_run;
        out << "  last sync:   " << r.mode << " started " << r.started_at;
        Instant started;
        if (parse_iso8601(r.started_at, started) && started <= now)
            out << " (" << format_age(std::chrono::duration_cast<Millis>(now - started)) << " ago)";
        out << ", " << (r.finished_at.empty() ? "running or interrupted" : "finished") << ", "
            << format_count(r.records_written) << " written, " << format_count(r.requests_made)
            << " requests\n";
        if (!r.error.empty()) out << "  last error:  " << r.error << "\n";
    }
    if (t.last_verify) {
        out << "  last verify: " << t.last_verify->verdict << " at " << t.last_verify->finished_at;
        if (!t.last_verify->error.empty()) out << ": " << t.last_verify->error;
        out << "\n";
    }
    const std::string cursor = high_water_iso(f, t.type);
    if (!cursor.empty()) out << "  cursor:      changes up to " << cursor << "\n";
    if (state_value(f, t.type, kStateBackfillDone).empty()) out << "  backfill:    in progress\n";
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
    if (f.mirror_exists)
        for (const TypeFacts& t : f.types)
            print_type(out, f, t, now);
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
