// Test harness for the sync engine: an in-process simulator on virtual time, the real API
// client over loopback HTTP, a real mirror file, and a comparison against the simulator's truth.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/hubspot_api.h"
#include "core/clock.h"
#include "http/transport.h"
#include "mirror/sqlite_mirror.h"
#include "sim/simulator.h"
#include "support/temp_dir.h"
#include "sync/sync_engine.h"

namespace hubsync::testing {

// A bearer token minted by the simulator, refreshed by minting again when it is near expiry.
class SimTokenSource final : public AccessTokenSource {
  public:
    // `scopes` empty = the simulator's granted scopes.
    SimTokenSource(sim::Simulator& sim, Clock& clock, std::vector<std::string> scopes = {})
        : sim_(sim), clock_(clock), scopes_(std::move(scopes)) {}
    Result<std::string> access_token() override {
        if (token_.empty() || clock_.now() >= expires_) mint();
        return token_;
    }
    Result<std::string> refresh_after_unauthorized(const std::string&) override {
        mint();
        return token_;
    }

  private:
    void mint() {
        auto t = scopes_.empty() ? sim_.issue_tokens() : sim_.issue_tokens(scopes_);
        token_ = t.access_token;
        expires_ = clock_.now() + std::chrono::seconds(t.expires_in) - std::chrono::minutes(5);
    }
    sim::Simulator& sim_;
    Clock& clock_;
    std::vector<std::string> scopes_;
    std::string token_;
    Instant expires_;
};

// Most requests to `path` the simulator held at once (each from its arrival for its latency).
inline int peak_held(const std::vector<sim::Simulator::RequestRecord>& requests,
                     const std::string& path) {
    std::vector<std::pair<Instant, int>> edges;
    for (const auto& r : requests) {
        if (r.path != path) continue;
        edges.emplace_back(r.at, 1);
        edges.emplace_back(r.at + r.latency, -1);
    }
    std::sort(edges.begin(), edges.end());  // an end before a start at the same instant
    int held = 0, peak = 0;
    for (const auto& [at, step] : edges)
        peak = std::max(peak, held += step);
    return peak;
}

// The differences between a mirror and the simulator's truth, one line each; empty when equal.
std::vector<std::string> mirror_differences(const sim::Simulator& sim, Mirror& mirror);

struct HarnessOptions {
    // The object type under test: the simulator holds `contacts` records of it (and none of
    // the others) and the engine syncs it alone.
    std::string type = "contacts";
    int contacts = 1000;
    // The other standard types hold records too, in the simulator's default proportions to
    // `contacts` (for tests of what joins them).
    bool every_standard_type = false;
    int custom_properties = 10;
    bool rate_limits = true;
    std::chrono::milliseconds index_delay{0};
    std::size_t max_url_length = 8192;
    std::vector<std::string> properties;    // empty = *
    std::vector<std::string> token_scopes;  // empty = the simulator's granted scopes
    bool sensitive_properties = false;
    // What the engine is told was granted (as the token store tells it); nullopt = unknown.
    std::optional<std::vector<std::string>> granted_scopes;
    // The time of the simulator, API client, mirror and engine; nullptr = the harness's own
    // ManualClock (`clock`). Must outlive the harness.
    Clock* time = nullptr;
    // One transport per concurrent request, as production wires the client; false = requests
    // take turns on one transport. With one transport a request waits for it after taking its
    // rate ticket, and on the shared virtual clock other threads' waits move time on meanwhile,
    // so the simulator could see searches arrive bunched up that were let go 250 ms apart.
    bool transport_pool = true;
};

class SyncHarness {
  public:
    explicit SyncHarness(const HarnessOptions& o = {});
    ~SyncHarness();

    Result<CycleReport> cycle(CycleRequest request = {});
    // Asserts the mirror equals the simulator's truth for the type under test: same ids
    // (active and archived), same archived flags and timestamps, every property value equal.
    void expect_mirror_equals_truth();
    // The type under test.
    const ObjectType& type() const { return type_; }
    // A writable text property of the type under test (for tests that change records).
    std::string text_property() const;
    // The differences between mirror and truth, one line each; empty when equal.
    std::vector<std::string> differences();
    std::int64_t sim_requests() const { return static_cast<std::int64_t>(sim->requests().size()); }

    ManualClock clock;
    Clock& time;  // HarnessOptions::time, else `clock`
    std::unique_ptr<sim::Simulator> sim;
    TempDir temp{"hubsync-sync"};
    std::filesystem::path dir = temp.path();
    std::unique_ptr<HttpTransport> transport;
    std::unique_ptr<SimTokenSource> tokens;
    std::unique_ptr<HubSpotApi> api;
    std::unique_ptr<Mirror> mirror;
    SyncOptions sync_options;
    std::unique_ptr<SyncEngine> engine;

  private:
    ObjectType type_;
};

}  // namespace hubsync::testing
