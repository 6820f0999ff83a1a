// Secrets stay out of the mirror and the logs: a day of OAuth-refreshed syncs (with refresh
// token rotation), then every token value ever issued, and the client secret, are searched
// for in the database files and in every captured log line.
#include <fstream>
#include <set>
#include <sstream>

#include "core/log.h"
#include "oauth/authorize.h"
#include "oauth/token_store.h"
#include "support/token_manager.h"
#include "sync_harness.h"

namespace hubsync::testing {
namespace {

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

TEST(Secrets, NeverInTheMirrorNorInTheLogs) {
    ManualClock clock;
    sim::SimOptions so;
    so.contacts = 400;
    so.clock = &clock;
    so.rotate_refresh_tokens = true;
    so.client_id = "secret-test-client";
    so.client_secret = "client-secret-value-4242";
    sim::Simulator sim(so);
    ASSERT_TRUE(sim.start().ok());
    const TempDir temp("hubsync-secrets");
    const std::filesystem::path dir = temp.path();

    Config config;
    config.hubspot.client_id = so.client_id;
    config.hubspot.client_secret = so.client_secret;
    config.hubspot.api_base_url = sim.base_url();
    config.hubspot.token_url = sim.base_url() + "/oauth/2026-03/token";
    config.sync.state_dir = (dir / "state").string();
    config.sync.database = (dir / "hubspot.db").string();

    // The state after `hubsync authorize`: a token pair in the store.
    TokenStore store(token_store_dir(config));
    ASSERT_TRUE(store.prepare().ok());
    const auto minted = sim.issue_tokens();
    StoredTokens stored;
    stored.access_token = minted.access_token;
    stored.refresh_token = minted.refresh_token;
    stored.obtained_at = clock.now();
    stored.access_expires_at = clock.now() + std::chrono::seconds(minted.expires_in);
    stored.authorized_at = clock.now();
    stored.token_url = config.hubspot.token_url;
    {
        auto lock = StoreLock::acquire(store);
        ASSERT_TRUE(lock.ok());
        ASSERT_TRUE(store.save(stored).ok());
    }

    std::vector<std::string> lines;
    set_log_level(LogLevel::kDebug);
    set_log_sink([&](LogLevel, std::string_view line) { lines.emplace_back(line); });

    std::set<std::string> issued = {minted.access_token, minted.refresh_token};
    auto token_transport = make_poco_transport({});
    auto api_transport = make_poco_transport({});
    auto tokens = token_manager_for(config, *token_transport, clock);
    ApiOptions ao;
    ao.base_url = sim.base_url();
    auto api = make_hubspot_api(*api_transport, *tokens, clock, ao);
    MirrorOptions mo;
    mo.clock = &clock;
    auto mirror = SqliteMirror::open(config.sync.database, mo);
    ASSERT_TRUE(mirror.ok());
    SyncEngine engine(*api, **mirror, clock, SyncOptions{});
    for (int cycle = 0; cycle < 24 * 4; ++cycle) {  // a day of 15-minute cycles
        if (cycle % 8 == 0)
            sim.update_contact(sim.truth(false)[static_cast<std::size_t>(cycle)].id,
                               {{"city", "Bergen"}});
        auto r = engine.run_cycle();
        ASSERT_TRUE(r.ok()) << r.error().describe();
        auto now_stored = store.load();
        ASSERT_TRUE(now_stored.ok() && now_stored->has_value());
        issued.insert((*now_stored)->access_token);
        issued.insert((*now_stored)->refresh_token);
        clock.advance(std::chrono::minutes(15));
    }
    set_log_sink(nullptr);
    set_log_level(LogLevel::kInfo);
    EXPECT_GT(issued.size(), 40u) << "a day of 30-minute tokens means dozens of refreshes";
    EXPECT_EQ(sim.count_status(401), 0);

    ASSERT_TRUE((*mirror)->checkpoint().ok());
    std::string db_bytes = slurp(config.sync.database);
    for (const char* suffix : {"-wal", "-shm"})
        db_bytes += slurp(config.sync.database + suffix);
    issued.insert(so.client_secret);
    for (const auto& secret : issued) {
        ASSERT_GE(secret.size(), 8u);
        EXPECT_EQ(db_bytes.find(secret), std::string::npos) << "a secret is in the mirror";
        for (const auto& line : lines)
            EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
    mirror->reset();
    sim.stop();
}

}  // namespace
}  // namespace hubsync::testing
