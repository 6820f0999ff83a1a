// Reads records by id with several batch reads in flight, and hands the pages back in the
// order they were queued: at HubSpot's latency the network stays busy while every page is
// still committed in cursor order, so a crash resumes exactly where the last commit ended.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.h"
#include "mirror/mirror.h"
#include "model/record.h"

namespace hubsync {

struct ReadPipelineOptions {
    // How many reads to keep in flight, asked again before each read starts: the rate budget's
    // rate times the measured latency (HubSpotApi::suggested_in_flight()). Reads beyond what the
    // budget allows wait inside the API client, never as 429s.
    std::function<int()> width = [] { return 1; };
    int max_width = 32;            // threads never exceed this
    std::size_t batch_size = 100;  // ids per read (HubSpot's batch/read limit)
};

class ReadPipeline final {
  public:
    // Reads one batch of ids with every synced property. Runs on the pipeline's threads, several
    // at once: it may use the API but never the mirror.
    using ReadBatch = std::function<Result<std::vector<Record>>(const std::vector<RecordId>&)>;
    // Writes one page (records, cursor and all) in one transaction; runs on the caller's thread.
    using Commit = std::function<Status(PageWrite&)>;

    ReadPipeline(ReadBatch read, ReadPipelineOptions options);
    // Waits for the reads in flight (their pages are dropped, never committed). Reads not yet
    // started are not sent.
    ~ReadPipeline();
    ReadPipeline(const ReadPipeline&) = delete;
    ReadPipeline& operator=(const ReadPipeline&) = delete;

    // Queues a page: `ids` are read in batches and their records appended to `write.records`
    // in the order of `ids`' batches. A page without ids is ready at once.
    void push(std::vector<RecordId> ids, PageWrite write);

    // Commits the queued pages oldest first: every page whose reads are complete, then, while
    // more than `keep` pages are queued, waits for the oldest. Stops at the first failed read
    // or commit and returns its error; the pages after it stay uncommitted.
    Status commit_ready(const Commit& commit, std::size_t keep);

    std::size_t queued() const;
    // Most reads that were in flight at once (for tests and reports).
    int peak_in_flight() const;

  private:
    struct Batch {
        std::vector<RecordId> ids;
        std::vector<Record> records;
        std::optional<Error> error;
    };
    struct Page {
        PageWrite write;
        std::vector<Batch> batches;
        std::size_t done = 0;  // batches finished
        bool ready() const { return done == batches.size(); }
    };

    void worker();
    bool may_start_locked() const;
    void grow_locked();

    ReadBatch read_;
    ReadPipelineOptions options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Page>> pages_;
    std::deque<std::pair<Page*, Batch*>> todo_;  // batches not yet started, oldest first
    int in_flight_ = 0;
    int peak_in_flight_ = 0;
    bool quit_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace hubsync
