// SIGKILL at random moments of backfill, incremental cycles and reconcile (`sync --full`),
// with HubSpot changing in between. Each kill lands once the simulator has answered a random
// number of the run's requests plus a random sub-3-ms jitter, so the moment is random whatever
// the speed of the build. After every kill the database must pass quick_check and the next
// run must start; at the end the mirror must equal the truth.
#include <signal.h>

#include <thread>

#include "chaos.h"

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

    // Backfill, killed early and often; a restarted backfill must continue from its cursor.
    for (int i = 0; i < backfill_kills; ++i) {
        const std::uint64_t before = ws.sim().requests_served();
        const Kill k = run_and_kill(ws, false, 2 + static_cast<int>(rng() % 12), rng);
        after_kill(k);
        for (const auto& r : ws.sim().requests_since(before)) {
            if (r.path != "/crm/objects/2026-09/contacts" || r.method != "GET") continue;
            if (i > 0 && r.query.find("archived=true") == std::string::npos) {
                ++restarts;
                if (r.query.find("after=") != std::string::npos) ++resumed;
            }
            break;
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
              " restarted backfills resumed from the cursor");
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
