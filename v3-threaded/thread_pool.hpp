// ThreadPool: a fixed number of worker threads taking jobs from one queue.
//
// The pool of seed 002, which is the Rust Book's final chapter: ThreadPool::execute sends a
// job down a channel, N Workers receive from it, and Drop closes the channel and joins each
// worker. In C++ the channel is a std::deque guarded by a mutex, with a condition variable
// that wakes a worker when a job arrives, and the destructor plays Drop.
//
// One departure: the Rust channel is unbounded; this queue holds at most `max_waiting`
// jobs, and execute() waits while it is full. A flood of connections then waits in the
// kernel's listen backlog (bounded too) instead of growing our memory and file descriptors.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class ThreadPool {
public:
    using Job = std::function<void()>;

    // Starts `threads` workers (at least one), each waiting for a job.
    ThreadPool(std::size_t threads, std::size_t max_waiting);
    // Closes the queue and joins every worker. A worker finishes the job it is running,
    // then the jobs still queued (as the Rust Book's workers drain the channel), then exits.
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // Queues a job for the next free worker. Waits while `max_waiting` jobs are queued.
    void execute(Job job);

private:
    void work(std::size_t id);  // one worker's life: take a job, run it, repeat

    std::mutex mutex_;                    // guards queue_ and closed_
    std::condition_variable job_queued_;  // a worker waits here for a job (or the close)
    std::condition_variable job_taken_;   // execute() waits here for room in the queue
    std::deque<Job> queue_;
    std::size_t max_waiting_;
    bool closed_ = false;
    std::vector<std::thread> workers_;  // last: they start once everything above exists
};
