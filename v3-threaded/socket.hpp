// Socket: one small RAII type around a Berkeley socket file descriptor.
//
// Seed 002 calls socket(), bind(), listen() and accept() by hand. We make the same
// calls, but put the descriptor in a type whose destructor closes it, so no path
// through the code (an error, an exception, an early return) can leak it.
// Every call's return code is checked; a failure throws std::system_error naming the call.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "course/address.hpp"

class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket();
    Socket(Socket&& other) noexcept;
    Socket& operator=(Socket&& other) noexcept;
    Socket(const Socket&) = delete;  // one owner per descriptor
    Socket& operator=(const Socket&) = delete;

    // socket() + setsockopt(SO_REUSEADDR) + bind() + listen(): a server's first four calls.
    static Socket listen_on(const course::Address& address);
    // socket() + connect(): a client's two calls.
    static Socket connect_to(const course::Address& address);

    // Waits for the next client and returns its connected socket.
    Socket accept() const;

    // Reads what has arrived (at least one byte, at most buffer.size()); 0 means the
    // peer closed its sending side: the normal end of a conversation, not an error.
    std::size_t read_some(std::span<char> buffer) const;
    // Writes every byte: write() may take only part of them, so we loop.
    void write_all(std::string_view bytes) const;
    // "I will send no more": the peer reads EOF, and can still send to us.
    void shutdown_send() const;
    // "I will read no more": a thread blocked in read_some on this socket wakes up and
    // reads 0, as at EOF; our writes go on. v3's stop wakes each worker this way, and a
    // reply the worker is writing still leaves whole.
    void shutdown_receive() const;
    // Both directions at once: a blocked read_some returns 0, a blocked write_all fails, a
    // blocked accept() on a listener fails. close() would not wake them: another thread
    // blocked on a descriptor is not woken by close(), and the number could be reused.
    void shutdown_both() const;

    course::Address local_address() const;  // the port the OS picked for port 0
    std::string peer_name() const;          // "127.0.0.1:51234", for logs

private:
    int fd_ = -1;
};
