// The serving side: GET URL/NAME (and HEAD) answers the uploaded file as image/png,
// anything else 404. A small HTTP/1.1 server of our own, on the same io_context as the
// uploads: one coroutine per connection, keep-alive, and a deadline for every request.
//
// Why not a library on threads? A thread per request (or a pool of them) is held for as
// long as its client takes to send the request: four clients sending a byte a second hold
// a pool of four, and nobody else is served (slowloris). A coroutine waiting for bytes
// holds no thread, only its 8 KiB buffer and a socket, so slow clients cost memory, not
// service; and a deadline per request (the whole head must arrive within the timeout)
// bounds how long they can even do that.
//
// Connections are capped, apart from the uploads' cap: at the cap, the connection that has
// waited longest for its next request is closed to make room (nginx does the same with
// its idle keep-alive connections when it runs short), and only when every connection is
// mid-request is the newcomer turned away with a 503.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <list>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "course/address.hpp"
#include "logger.hpp"

class HttpServer {
public:
    // Binds and listens (port 0: any free port); throws std::system_error. `url`
    // normalised ("images", or "" for the root). `request_timeout`: how long a request's
    // head may take to arrive, counted from when we begin to wait for it.
    HttpServer(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint,
               std::filesystem::path data_dir, std::string url,
               std::chrono::milliseconds request_timeout, Logger& logger,
               std::size_t max_connections = 10'000);

    course::Address local_address() const;
    void start();  // spawns the accept loop
    void stop();   // accepts no more and closes every connection at once

private:
    struct Connection;  // one client's socket, its place in the idle list, its refusals
    enum class HeadRead : std::uint8_t { complete, too_long, timed_out, closed };

    asio::awaitable<void> accept_connections();
    void make_room_or_turn_away(asio::ip::tcp::socket& socket);
    asio::awaitable<void> serve(asio::ip::tcp::socket socket, asio::ip::tcp::endpoint peer);
    // Reads until the buffer holds one whole request head; its size goes to `head_size`.
    asio::awaitable<HeadRead> read_head(Connection& connection, std::span<char> buffer,
                                        std::size_t& used, std::size_t& head_size,
                                        asio::steady_timer& deadline);
    // A refusal (400, 404, 405, 431) is logged at most once a second per connection;
    // false when the connection has earned too many of them and must close.
    bool refused(Connection& connection, int status, std::string_view detail);
    void enter_idle(Connection& connection);
    void leave_idle(Connection& connection);
    // Writes a response head and then `size` bytes of the file `fd`; false on an error or
    // at the deadline (each piece the socket takes moves it on).
    asio::awaitable<bool> send(asio::ip::tcp::socket& socket, asio::steady_timer& deadline,
                               const std::string& head, int fd = -1, std::uint64_t size = 0);

    asio::ip::tcp::acceptor acceptor_;
    std::filesystem::path data_dir_;
    std::string prefix_;  // "/images/"
    std::chrono::milliseconds request_timeout_;
    Logger& logger_;
    std::size_t max_connections_;
    std::set<Connection*> open_;   // closed by stop(); one thread, no lock
    std::list<Connection*> idle_;  // waiting for a request, the longest-waiting first
    LogThrottle busy_log_;         // "all busy, turned away": once a second at most
};
