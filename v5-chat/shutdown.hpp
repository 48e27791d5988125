// Shutdown: how a signal reaches every session, and how the server learns that the last
// one has finished. The C++ side of seed 003's graceful shutdown.
//
// The Rust original (after tokio's mini-redis) uses two channels:
//   - notify_shutdown, a broadcast::Sender<()>: main keeps it; every connection task holds
//     a Receiver and select!s on it next to its read. Sending () wakes them all.
//   - shutdown_complete, an mpsc::Sender<()>: every task holds a clone and drops it when it
//     ends; main awaits recv(), which answers None once the last clone is gone.
// Asio has no channels. One small type does both jobs:
//   - A session join()s when it starts and leave()s when it ends: an intrusive list under a
//     mutex. The list is touched when a connection opens or closes, never per line.
//   - begin() is the broadcast: it marks the server as stopping and calls stop() on every
//     session in the list. Session::stop posts to the session's own executor, where the
//     session queues an Error "server shutting down" behind what it is sending, and
//     closes. A session that joins after begin() is told at once (join returns false).
//   - all_left() is the "shutdown complete" receiver: a coroutine that completes when the
//     last session has left. Its event is a steady_timer that never expires: waiting on it
//     is async_wait, and the last leave() signals it by cancelling it.
// Who waits for whom: sessions never wait for the server. The server waits in all_left()
// for every session, but no longer than its grace period; after that abort_all() closes
// the sockets of sessions still writing their last line, so a client that never reads
// cannot hold up the exit.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <mutex>

class Session;

class Shutdown {
public:
    // `executor` runs all_left(); the server passes its control strand.
    explicit Shutdown(asio::any_io_executor executor);

    // A new session enters the list. False when the server is already stopping.
    bool join(Session& session);
    // A session leaves the list, for good, as its last act.
    void leave(Session& session);

    // The broadcast: every live session is told to say goodbye and close.
    void begin();
    bool stopping() const;
    // The deadline is up: close every session that is still there.
    void abort_all();
    // Completes once the list is empty after begin(): the last session has finished.
    asio::awaitable<void> all_left();

    std::size_t size() const;

    // Calls f(session) for each live session, under the lock (the idle sweep uses this).
    template <typename F>
    void for_each(F f) {
        std::lock_guard lock(mutex_);
        for (Session* s = head_; s != nullptr; s = next_of(s)) {
            f(*s);
        }
    }

private:
    static Session* next_of(Session* session);

    mutable std::mutex mutex_;
    Session* head_ = nullptr;  // the live sessions, linked through their own hooks
    std::size_t size_ = 0;
    bool stopping_ = false;
    asio::steady_timer all_left_;  // an event: cancelled (never expired) when the list empties
};
