// Clients: the connections being served right now, one per busy worker.
//
// Two threads need the whole list: the console, to send an operator line to everyone, and
// the stop, to close everyone. Workers add their connection when they start serving it and
// remove it when they are done. Connections still waiting in the pool's queue are not in
// the list: nobody is serving them, so they hear no operator lines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>

#include "shared_stream.hpp"

class Clients {
public:
    // A worker starts serving `stream`. False once the server is stopping: the worker
    // must not serve it, and lets it close.
    bool add(std::shared_ptr<SharedStream> stream);
    // The worker is done with `stream`.
    void remove(const std::shared_ptr<SharedStream>& stream);

    // Writes `bytes` to every client being served. A client that has gone is skipped.
    void broadcast(std::string_view bytes);

    // The stop: no new client is served, every client being served stops being read, and
    // we wait (until `deadline`) for the workers to finish the line each is answering.
    // A worker still writing then (to a client that does not read) has its connection
    // shut down under it.
    void stop(std::chrono::steady_clock::time_point deadline);

private:
    std::mutex mutex_;  // guards the two members below, never held during a write
    std::condition_variable emptied_;
    std::set<std::shared_ptr<SharedStream>> served_;
    bool stopping_ = false;
};
