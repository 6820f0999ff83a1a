// The chain pool under the split backfill and the search chains: pages come out in each
// chain's own order, a full queue holds its chains back, and a stop joins chains that wait.
#include "sync/chain_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

namespace hubsync {
namespace {

struct Page {
    int n = 0;
};

// Three chains push five pages each; the caller sees every page, each chain's in order.
TEST(ChainPool, EveryChainsPagesArriveInItsOwnOrder) {
    ChainPool<Page> pool(2, nullptr);
    std::map<int, bool> running;
    {
        std::lock_guard lock(pool.mutex());
        for (int c = 0; c < 3; ++c) {
            running[c] = true;
            pool.start_locked(c, [&, c] {
                for (int n = 0; n < 5; ++n)
                    pool.push(c, Page{n});
                {
                    std::lock_guard l(pool.mutex());
                    running[c] = false;
                }
                pool.chain_ended();
            });
        }
    }
    std::map<int, std::vector<int>> seen;
    while (auto item = pool.next([&] {
        for (const auto& [c, r] : running)
            if (r) return false;
        return true;
    })) {
        ASSERT_TRUE(item->result.ok());
        seen[item->chain].push_back(item->result->n);
    }
    pool.join_finished([&](int c) { return running[c]; });
    ASSERT_EQ(seen.size(), 3u);
    for (const auto& [c, pages] : seen)
        EXPECT_EQ(pages, (std::vector<int>{0, 1, 2, 3, 4})) << "chain " << c;
}

// A chain blocked on a full queue is released and joined by stop_all(); next() then answers
// nothing, and the pages left in the queue are dropped.
TEST(ChainPool, AStopReleasesAChainWaitingForRoomAndEndsNext) {
    ChainPool<Page> pool(1, nullptr);
    std::atomic<int> pushed{0};
    bool running = true;
    {
        std::lock_guard lock(pool.mutex());
        pool.start_locked(0, [&] {
            for (int n = 0; n < 100 && !pool.stopping(); ++n) {
                pool.push(0, Page{n});
                ++pushed;
            }
            {
                std::lock_guard l(pool.mutex());
                running = false;
            }
            pool.chain_ended();
        });
    }
    auto first = pool.next([&] { return !running; });
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->result->n, 0);
    pool.stop_all();  // joins the chain, which may be waiting for room
    EXPECT_FALSE(running);
    EXPECT_LT(pushed.load(), 100);
    EXPECT_FALSE(pool.next([&] { return !running; }).has_value());
}

// A stop asked for through the stop source ends next() as well.
TEST(ChainPool, AStopSourceEndsNext) {
    StopSource stop;
    ChainPool<Page> pool(4, &stop);
    stop.request_stop();
    EXPECT_TRUE(pool.stopping());
    EXPECT_FALSE(pool.next([] { return false; }).has_value());
}

// Rate x latency chains and a quarter more; at least one; never more than the cap.
TEST(SearchChainsFor, RateTimesLatencyAndAQuarterMore) {
    EXPECT_EQ(search_chains_for(4, 0, 8), 1);
    EXPECT_EQ(search_chains_for(4, 1, 8), 1);  // 0.004 of a chain busy
    EXPECT_EQ(search_chains_for(4, 100, 8), 1);
    EXPECT_EQ(search_chains_for(4, 300, 8), 2);
    EXPECT_EQ(search_chains_for(4, 800, 8), 4);
    EXPECT_EQ(search_chains_for(4, 1'000, 8), 5);
    EXPECT_EQ(search_chains_for(4, 5000, 8), 8);
    EXPECT_EQ(search_chains_for(4, 800, 0), 1);
}

}  // namespace
}  // namespace hubsync
