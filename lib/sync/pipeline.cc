// ReadPipeline: worker threads take batches oldest first (API only); the caller's thread takes
// whole pages from the front (mirror only), so a page is never committed before an older one.
#include "sync/pipeline.h"

#include <algorithm>

namespace hubsync {

ReadPipeline::ReadPipeline(ReadBatch read, ReadPipelineOptions options)
    : read_(std::move(read)), options_(std::move(options)) {
    options_.max_width = std::max(options_.max_width, 1);
    options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
    if (!options_.width) options_.width = [] { return 1; };
}

ReadPipeline::~ReadPipeline() {
    {
        std::lock_guard lock(mu_);
        quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        t.join();
}

void ReadPipeline::push(std::vector<RecordId> ids, PageWrite write) {
    auto page = std::make_unique<Page>();
    page->write = std::move(write);
    for (std::size_t i = 0; i < ids.size(); i += options_.batch_size) {
        const auto end = std::min(ids.size(), i + options_.batch_size);
        Batch batch;
        batch.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(i),
                         ids.begin() + static_cast<std::ptrdiff_t>(end));
        page->batches.push_back(std::move(batch));
    }
    {
        std::lock_guard lock(mu_);
        for (Batch& b : page->batches)
            todo_.emplace_back(page.get(), &b);
        pages_.push_back(std::move(page));
        grow_locked();
    }
    cv_.notify_all();
}

Status ReadPipeline::commit_ready(const Commit& commit, std::size_t keep) {
    for (;;) {
        std::unique_ptr<Page> page;
        {
            std::unique_lock lock(mu_);
            if (pages_.empty()) return Status::Ok();
            if (!pages_.front()->ready()) {
                if (pages_.size() <= keep) return Status::Ok();
                cv_.wait(lock, [&] { return pages_.front()->ready(); });
            }
            page = std::move(pages_.front());
            pages_.pop_front();
        }
        for (Batch& b : page->batches) {
            if (b.error) return *b.error;
            for (Record& r : b.records)
                page->write.records.push_back(std::move(r));
        }
        HS_RETURN_IF_ERROR(commit(page->write));
    }
}

std::size_t ReadPipeline::queued() const {
    std::lock_guard lock(mu_);
    return pages_.size();
}

int ReadPipeline::peak_in_flight() const {
    std::lock_guard lock(mu_);
    return peak_in_flight_;
}

bool ReadPipeline::may_start_locked() const {
    if (todo_.empty()) return false;
    return in_flight_ < std::clamp(options_.width(), 1, options_.max_width);
}

// One thread per read worth having in flight, started as the work arrives; they live as long
// as the pipeline (a thread per read would cost more than it overlaps).
void ReadPipeline::grow_locked() {
    const auto wanted =
        static_cast<std::size_t>(std::clamp(options_.width(), 1, options_.max_width));
    const std::size_t busy = static_cast<std::size_t>(in_flight_);
    while (threads_.size() < wanted && threads_.size() < busy + todo_.size())
        threads_.emplace_back([this] { worker(); });
}

void ReadPipeline::worker() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return quit_ || may_start_locked(); });
        if (quit_) return;
        auto [page, batch] = todo_.front();
        todo_.pop_front();
        ++in_flight_;
        peak_in_flight_ = std::max(peak_in_flight_, in_flight_);
        lock.unlock();
        auto result = read_(batch->ids);
        lock.lock();
        --in_flight_;
        if (result.ok()) {
            batch->records = std::move(result).value();
        } else {
            batch->error = std::move(result).error();
        }
        ++page->done;
        cv_.notify_all();
    }
}

}  // namespace hubsync
