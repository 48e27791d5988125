#include "thread_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

// [v3 step 1] Start the workers; execute() queues a job, work() runs jobs, the destructor joins.
// [starter] ThreadPool::ThreadPool(std::size_t, std::size_t max_waiting)
// [starter]     : max_waiting_(max_waiting) {}
// [starter] ThreadPool::~ThreadPool() = default;
// [starter] // No workers yet: each job runs right here, one client at a time, as in v2.
// [starter] void ThreadPool::execute(Job job) { job(); }
// [starter] void ThreadPool::work(std::size_t) {}
ThreadPool::ThreadPool(std::size_t threads, std::size_t max_waiting) : max_waiting_(max_waiting) {
    for (std::size_t id = 0; id < std::max<std::size_t>(threads, 1); ++id) {
        workers_.emplace_back([this, id] { work(id); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;  // Rust: drop(self.sender.take())
    }
    job_queued_.notify_all();  // wake every idle worker: the queue is closed
    for (auto& worker : workers_) {
        worker.join();  // Rust: worker.thread.take().join()
    }
}

void ThreadPool::execute(Job job) {
    std::unique_lock lock(mutex_);
    job_taken_.wait(lock, [this] { return queue_.size() < max_waiting_; });
    queue_.push_back(std::move(job));
    lock.unlock();  // the woken worker will want the mutex: let go of it first
    job_queued_.notify_one();
}

void ThreadPool::work(std::size_t id) {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            // Sleep until there is a job or the pool closes. The predicate guards against
            // spurious wake-ups, and against a notify that came before we waited.
            job_queued_.wait(lock, [this] { return !queue_.empty() || closed_; });
            if (queue_.empty()) {
                spdlog::debug("worker {} stops", id);  // closed, and nothing left to do
                return;
            }
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job_taken_.notify_one();
        try {
            job();  // never under the mutex: a job runs as long as its client stays
        } catch (const std::exception& error) {
            // In Rust a panicking job kills its worker and the pool shrinks; we keep it.
            spdlog::error("worker {}: job failed: {}", id, error.what());
        }
    }  // `job` is destroyed here, with what it captured (for us: the client's connection)
}
// [/v3 step 1]
