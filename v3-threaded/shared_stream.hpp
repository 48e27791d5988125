// SharedStream: one client's connection, shared by two threads.
//
// Its worker reads the client's lines and writes the echoes; the console writes operator
// lines to the same socket at any moment. Seed 004 shares its TcpStream as an
// Arc<Mutex<TcpStream>>: the Arc (here a std::shared_ptr<SharedStream>) keeps the stream
// alive while anyone holds it, and the Mutex lets one writer at a time through, so an echo
// and an operator line never interleave inside one line.
//
// One difference from the seed: only writes take the lock. The worker spends its life
// blocked in read_some; if it held the lock there, the console could never write. Reading
// needs no lock because only the worker reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "socket.hpp"

class SharedStream {
public:
    explicit SharedStream(Socket socket) : socket_(std::move(socket)) {}

    // The worker's read, without the lock. Returns 0 (as at EOF) once stop_reading was
    // called, even if bytes arrived: the stop may drop lines not yet answered.
    std::size_t read_some(std::span<char> buffer) const;
    // One whole write at a time, under the mutex: whatever bytes one call gets (all the
    // replies of one read, or one operator line) reach the client side by side, never mixed.
    void write_all(std::string_view bytes);

    // The stop, step one: the worker's blocked read returns 0, so its session ends; a write
    // in progress is not touched and finishes whole.
    void stop_reading();
    // The end: both directions shut down now, without the lock. It wakes a write stuck on a
    // client that does not read (that write is cut: nobody was reading it anyway).
    void shutdown_both() const;

    std::string peer_name() const { return socket_.peer_name(); }

private:
    Socket socket_;
    std::mutex write_mutex_;              // the one mutex: every write holds it
    std::atomic<bool> stopping_ = false;  // set by stop_reading, read by the worker
};
