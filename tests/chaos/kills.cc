// SIGKILL at random moments of backfill, incremental cycles and reconcile (`sync --full`),
// with HubSpot changing in between. Each kill lands once the simulator has answered a random
// number of the run's requests plus a random sub-3-ms jitter, so the moment is random whatever
// the speed of the build. After every kill the database must pass quick_check and the next
// run must start; at the end the mirror must equal the truth.
#include <fmt/core.h>
#include <signal.h>

#include <thread>

#include "chaos.h"
#include "core/text.h"

namespace hubsync::chaos {
namespace {

struct Kill {
    bool landed = false;  // killed while working (not finished first)
    int exit_code = -1;   // when it finished first
};

// Starts `hubsync sync [--full]` and kills it once the simulator has answered `requests` more
// requests, plus jitter.
Kill run_and_kill(Workspace& ws, bool full, int requests, std::mt19937_64& rng) {
    const std::uint64_t before = ws.sim().requests_served();
    std::vector<std::string> command = {"sync"};
    if (full) command.push_back("--full");
    auto child = ws.spawn(command);
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (ws.sim().requests_served() < before + static_cast<std::uint64_t>(requests)) {
        if (const auto code = child->wait_exit(0ms)) return {false, *code};
        if (std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    child->signal(SIGKILL);
    const auto code = child->wait_exit(30s);
    return {code == 128 + SIGKILL, code.value_or(-1)};
}

// What a backfill had committed before a restart: the list's cursor and the cursors of the
// split backfill's chains (search keyset or, with `by_id`, batch/read of consecutive ids).
struct SavedBackfill {
    std::string list_after;
    struct Chain {
        std::string cursor;
        bool by_id = false;
    };
    std::vector<Chain> chains;
    bool any() const { return !list_after.empty() || !chains.empty(); }
};

std::string state_value(const std::string& database, const std::string& key) {
    return read_only_text(database, "SELECT value FROM sync_state WHERE key = ?1", key)
        .value_or("");
}

// Reads contacts.backfill.after and the split state ("v1;after=A;...;r=c:h,c:h:b").
SavedBackfill saved_backfill(const std::string& database) {
    SavedBackfill saved;
    saved.list_after = state_value(database, "contacts.backfill.after");
    const std::string split = state_value(database, "contacts.backfill.split");
    auto field = [&](const std::string& name) {
        const auto at = split.find(";" + name + "=");
        if (at == std::string::npos) return std::string();
        const auto from = at + name.size() + 2;
        return split.substr(from, split.find(';', from) - from);
    };
    if (const std::string after = field("after"); !after.empty()) saved.list_after = after;
    std::string ranges = field("r");
    while (!ranges.empty()) {
        const auto comma = ranges.find(',');
        const std::string item = ranges.substr(0, comma);
        ranges = comma == std::string::npos ? std::string() : ranges.substr(comma + 1);
        const auto colon = item.find(':');
        if (colon == std::string::npos) continue;
        saved.chains.push_back({item.substr(0, colon), item.size() > 2 && item.ends_with(":b")});
    }
    return saved;
}

// True when a restarted backfill's requests went on from what it had committed: no fresh plan
// (a new split starts with two limit=1 searches for the id span), and the list from its saved
// cursor (active or archived phase) or a chain from its range's saved cursor (a search for ids
// above it, or a batch read starting at the next id).
bool resumed_from(const SavedBackfill& saved,
                  const std::vector<sim::Simulator::RequestRecord>& requests) {
    bool continued = false;
    for (const auto& r : requests) {
        if (r.method == "GET" && r.path == "/crm/objects/2026-09/contacts" &&
            !saved.list_after.empty() &&
            r.query.find("after=" + saved.list_after) != std::string::npos)
            continued = true;
        if (r.method != "POST") continue;
        if (r.body_head.find(R"("limit":1})") != std::string::npos ||
            r.body_head.find(R"("limit":1,")") != std::string::npos)
            return false;  // the id span of a fresh plan
        for (const auto& chain : saved.chains) {
            if (chain.by_id) {
                const auto next = parse_int<std::int64_t>(chain.cursor);
                if (next && r.body_head.find(fmt::format(R"("inputs":[{{"id":"{}"}})",
                                                         *next + 1)) != std::string::npos)
                    continued = true;
            } else if (r.body_head.find(R"("operator":"GT","value":")" + chain.cursor + '"') !=
                       std::string::npos) {
                continued = true;
            }
        }
    }
    return continued;
}

}  // namespace

Outcome run_kills(const Options& options) {
    Outcome o;
    std::mt19937_64 rng(options.seed * 7919 + 1);
    sim::SimOptions so;
    so.contacts = options.reduced ? 6'000 : 40'000;
    so.custom_properties = 16;
    so.rate_limits = false;
    so.token_ttl = std::chrono::hours(24);
    so.seed = options.seed;
    so.threads = 4;
    // Search lags behind changes, as HubSpot's does; the default lookback covers it.
    so.index_delay_min = 0ms;
    so.index_delay_max = 300ms;
    so.latency = options.latency;
    Workspace ws(options, "kills", so);
    ws.write_config("requests_per_10s = 190\narchived_interval = 1s\n", "", true, "error");

    const int total = options.reduced ? 15 : 100;
    const int backfill_kills = total * 2 / 5;
    const int incremental_kills = total * 7 / 20;
    const int reconcile_kills = total - backfill_kills - incremental_kills;
    int landed = 0, finished_first = 0, resumed = 0, restarts = 0, healthy = 0;
    const auto after_kill = [&](const Kill& k) {
        ++o.ran;
        if (k.landed) {
            ++landed;
        } else {
            ++finished_first;
            if (k.exit_code != 0)
                o.fail("a run that was not killed exited " + std::to_string(k.exit_code));
        }
        const bool ok = quick_check(ws.database());
        if (!ok) o.fail("quick_check failed after kill " + std::to_string(o.ran));
        if (ok && (k.landed || k.exit_code == 0)) ++healthy;
    };

    // Backfill, killed early and often; a restarted backfill must continue from its cursors
    // (the list's and every chain's, as committed before the kill).
    for (int i = 0; i < backfill_kills; ++i) {
        const SavedBackfill saved = saved_backfill(ws.database());
        const std::uint64_t before = ws.sim().requests_served();
        const Kill k = run_and_kill(ws, false, 2 + static_cast<int>(rng() % 12), rng);
        after_kill(k);
        if (saved.any()) {
            ++restarts;
            if (resumed_from(saved, ws.sim().requests_since(before))) ++resumed;
        }
        progress(options, "backfill kill " + std::to_string(i + 1) + (k.landed ? "" : " (done)"));
    }
    // Incremental cycles with changes in between, killed at random moments.
    for (int i = 0; i < incremental_kills; ++i) {
        ws.mutate(rng, 1 + static_cast<int>(rng() % 3));
        after_kill(run_and_kill(ws, false, 1 + static_cast<int>(rng() % 5), rng));
        progress(options, "incremental kill " + std::to_string(i + 1));
    }
    // Reconcile (`sync --full` re-reads everything and sweeps ids) killed mid-way.
    const int pages = so.contacts / 100;
    for (int i = 0; i < reconcile_kills; ++i) {
        ws.mutate(rng, 1);
        after_kill(run_and_kill(ws, true, 2 + static_cast<int>(rng() % (pages + 20)), rng));
        progress(options, "reconcile kill " + std::to_string(i + 1));
    }
    o.survived = healthy;
    o.measure(std::to_string(landed) + " kills mid-work, " + std::to_string(finished_first) +
              " runs finished first");
    o.measure(std::to_string(resumed) + "/" + std::to_string(restarts) +
              " restarted backfills with committed progress resumed from a committed cursor");
    if (landed < o.ran * 3 / 4) o.fail("fewer than 3/4 of the kills landed mid-work");
    if (restarts > 0 && resumed == 0) o.fail("no restarted backfill resumed from its cursor");

    // Convergence: past the search lag, one uninterrupted sync, then a full one for deletes.
    std::this_thread::sleep_for(so.index_delay_max + 100ms);
    std::string err;
    // A full sync lists every id one page after another: each page costs the latency.
    const Millis timeout = 300s + 1000 * options.latency;
    if (const int code = ws.run({"sync"}, timeout, &err); code != 0)
        o.fail("the sync after the kills exited " + std::to_string(code) + ": " + err);
    if (const int code = ws.run({"sync", "--full"}, timeout, &err); code != 0)
        o.fail("the full sync after the kills exited " + std::to_string(code) + ": " + err);
    o.record(ws.check());
    return o;
}

}  // namespace hubsync::chaos
