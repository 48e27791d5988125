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
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "course/address.hpp"

class Logger;

class HttpServer {
public:
    // Binds and listens (port 0: any free port); throws std::system_error. `url`
    // normalised ("images", or "" for the root). `request_timeout`: how long a request's
    // head may take to arrive, counted from when we begin to wait for it.
    HttpServer(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint,
               std::filesystem::path data_dir, std::string url,
               std::chrono::milliseconds request_timeout, Logger& logger);

    course::Address local_address() const;
    void start();  // spawns the accept loop
    void stop();   // accepts no more and closes every connection at once

private:
    asio::awaitable<void> accept_connections();
    asio::awaitable<void> serve(asio::ip::tcp::socket socket, asio::ip::tcp::endpoint peer);
    // Writes a response head and then `size` bytes of the file `fd`; false on an error or
    // at the deadline (each piece the socket takes moves it on).
    asio::awaitable<bool> send(asio::ip::tcp::socket& socket, asio::steady_timer& deadline,
                               const std::string& head, int fd = -1, std::uint64_t size = 0);

    asio::ip::tcp::acceptor acceptor_;
    std::filesystem::path data_dir_;
    std::string prefix_;  // "/images/"
    std::chrono::milliseconds request_timeout_;
    Logger& logger_;
    std::set<asio::ip::tcp::socket*> open_;  // closed by stop(); one thread, no lock
};
