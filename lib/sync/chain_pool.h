// The threads under the split backfill and the search chains: each chain fetches pages on a
// thread of its own (API only) and pushes them to a bounded queue; the calling thread takes
// them in the order each chain pushed them and handles them (mirror only). The pool's mutex
// also guards its owner's chain state, so "is any chain running" and "is the queue empty" are
// read together. Private to the sync module.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace hubsync {

template <typename Fetched>
class ChainPool final {
  public:
    struct Item {
        int chain = 0;
        Result<Fetched> result = Fetched{};
    };

    ChainPool(int max_queued, StopSource* stop) : max_queued_(max_queued), stop_source_(stop) {}
    ~ChainPool() { stop_all(); }
    ChainPool(const ChainPool&) = delete;
    ChainPool& operator=(const ChainPool&) = delete;

    // Guards the queue and the owner's chain state.
    std::mutex& mutex() { return mu_; }

    // Runs `body` on a thread for `chain`; the caller holds the mutex. The body must clear
    // the owner's running flag for the chain, under the mutex, as the last thing it does, and
    // then call chain_ended().
    void start_locked(int chain, std::function<void()> body) {
        threads_[chain] = std::thread(std::move(body));
    }
    void chain_ended() { cv_.notify_all(); }

    // A chain's page: waits for room in the queue (or a stop).
    void push(int chain, Result<Fetched> page) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return static_cast<int>(queue_.size()) < max_queued_ || stop_; });
        queue_.push_back(Item{chain, std::move(page)});
        cv_.notify_all();
    }

    // The next page, or nothing when a stop is requested or when no page waits and
    // `none_running_locked()` (called under the mutex) says every chain has ended.
    std::optional<Item> next(const std::function<bool()>& none_running_locked) {
        std::optional<Item> item;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || none_running_locked() || stopping(); });
            if (stopping() || queue_.empty()) return item;
            item.emplace(std::move(queue_.front()));
            queue_.pop_front();
        }
        cv_.notify_all();  // a chain may wait for room in the queue
        return item;
    }

    bool queue_empty_locked() const { return queue_.empty(); }

    // A stop was asked for: by stop_all() or by the stop source.
    bool stopping() const { return stop_ || (stop_source_ && stop_source_->stop_requested()); }

    // Stops every chain and joins it; pages still queued are dropped.
    void stop_all() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& [chain, t] : threads_)
            if (t.joinable()) t.join();
        threads_.clear();
    }

    // Joins the threads of chains that have ended (`running_locked(chain)` false).
    void join_finished(const std::function<bool(int)>& running_locked) {
        std::vector<int> ended;
        {
            std::lock_guard lock(mu_);
            for (const auto& [chain, t] : threads_)
                if (!running_locked(chain)) ended.push_back(chain);
        }
        for (int chain : ended) {
            if (threads_[chain].joinable()) threads_[chain].join();
            threads_.erase(chain);
        }
    }

    // Whether `chain` has a thread not yet joined; the caller holds the mutex.
    bool has_thread_locked(int chain) const { return threads_.find(chain) != threads_.end(); }

  private:
    const int max_queued_;
    StopSource* const stop_source_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::deque<Item> queue_;
    std::map<int, std::thread> threads_;  // by chain
};

// Search chains worth running at `searches_per_second` when an answer takes `latency_ms`: a
// chain sends its next search when the last one is answered, so rate x latency chains keep the
// bucket busy, and a quarter more covers the answers that take longer; at least one.
int search_chains_for(double searches_per_second, double latency_ms, int max_chains);

}  // namespace hubsync
