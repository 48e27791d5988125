// What the two fan-out modes share (v5's chat protocol and redis pub/sub): the numbered
// payload, the bounded window the sender keeps, the receive buffer, and the bookkeeping of
// who got what. Only the wire encoding differs between fanout_chat.cpp and fanout_redis.cpp.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modes.hpp"

namespace loadgen {

// Message `seq` is its number in 12 decimal digits, then letters that depend on it, so a
// receiver checks every byte: a lost, repeated, reordered or damaged message is an error.
class Payload {
public:
    explicit Payload(std::size_t size);
    std::size_t size() const { return size_; }
    void append(std::string& out, std::uint64_t seq) const;
    bool matches(std::uint64_t seq, std::string_view content) const;

private:
    std::size_t size_;
    std::string letters_;
};

// Bytes received on one connection and not yet parsed. Parsers look at [data(), data()+size())
// and consume() what they used; fill() reads more, moving the rest to the front first.
class ReceiveBuffer {
public:
    explicit ReceiveBuffer(std::size_t capacity = 256 * 1024) : bytes_(capacity) {}
    const char* data() const { return bytes_.data() + begin_; }
    std::size_t size() const { return end_ - begin_; }
    void consume(std::size_t n) { begin_ += n; }
    // Reads at least one byte; makes room for `needed` unparsed bytes (a big message).
    asio::awaitable<void> fill(asio::ip::tcp::socket& socket, std::size_t needed = 0);

private:
    std::vector<char> bytes_;
    std::size_t begin_ = 0, end_ = 0;
};

struct Fanout {
    Fanout(asio::io_context& io, const FanoutOptions& options);

    const FanoutOptions& options;
    Payload payload;
    std::vector<std::uint64_t> received;          // per receiver: messages received, in order
    std::vector<asio::ip::tcp::socket*> sockets;  // closed when done or timed out
    std::size_t receivers_done = 0;
    std::uint64_t errors = 0;
    bool finished = false;
    Clock::time_point first_sent{}, last_received{};

    // Checks the next message at `receiver`; true if it is the one expected, byte for byte.
    bool deliver(std::size_t receiver, std::string_view content);
    void error(const std::string& what);
    void finish();  // closes every socket: every coroutine of the run then ends

    // Sends messages 0..M-1, `encode` appending one to a batch, never more than `in_flight`
    // ahead of the slowest receiver. Many messages go in one write: fewer system calls.
    asio::awaitable<void> send_all(asio::ip::tcp::socket& socket,
                                   std::function<void(std::string&, std::uint64_t)> encode);

    Result result(const char* mode) const;

private:
    asio::steady_timer wakeup_;  // the sender sleeps on it while its window is full
    bool sender_waiting_ = false;
};

// Runs `body` (connect, log in, send) and the timeout; returns when everything has ended.
void run_fanout(asio::io_context& io, Fanout& fanout, asio::awaitable<void> body);

}  // namespace loadgen
