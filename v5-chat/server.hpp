// Server: the acceptor, the signals, the login sweep; each connection gets a Session in
// the room. v4's server, with a room and the chat's options.
//
// Everything here runs as coroutines on one io_context, on ONE thread: the room is shared
// by every session and has no lock, so v4's --threads is gone. The server's own
// coroutines still share v4's "control" strand.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "course/address.hpp"
#include "logger.hpp"
#include "protocol.hpp"
#include "room.hpp"
#include "shutdown.hpp"

class Logger;

struct ServerOptions {
    course::Address address{"127.0.0.1", 8080};
    std::chrono::milliseconds login_timeout = chat::default_login_timeout;
    std::uint64_t max_content = chat::default_max_content;  // largest content of a message
    std::uint64_t max_queue = chat::default_max_queue;      // bytes queued for one client
    std::size_t max_connections = 10'000;  // connections served at once; more are turned away
};

// How long a closing session may take to write its last message (or to drain the
// peer's input after an Error) before its socket is closed under it.
constexpr std::chrono::milliseconds kGoodbyeGrace{1000};

// How many waiting connections one turn of the accept loop takes at most (take_backlog):
// a burst is admitted together, and the loop still turns to the others in between.
constexpr int kAcceptBurst = 256;

class Server {
public:
    // Binds and listens; throws std::system_error (e.g. "Address already in use").
    Server(asio::io_context& io, const ServerOptions& options, Logger& logger);

    course::Address local_address() const;

    // Spawns the server's coroutines. io_context::run() returns once they and every
    // session have finished: after a signal, and the last session's goodbye.
    void start();

    // The executor the next session runs on: the io_context itself, since v5 runs on one
    // thread (v4 gives each session a strand on several).
    asio::any_io_executor next_session_executor();

private:
    asio::awaitable<void> accept_connections();
    void take_backlog();  // accepts what else is waiting, without waiting
    void admit(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer);
    asio::awaitable<void> stop_on_signal();
    asio::awaitable<void> sweep_idle_sessions();

    asio::io_context& io_;
    ServerOptions options_;
    Logger& logger_;
    asio::strand<asio::io_context::executor_type> control_;
    asio::ip::tcp::acceptor acceptor_;
    asio::signal_set signals_;
    asio::steady_timer sweep_timer_;
    Shutdown shutdown_;
    // Sessions started and not yet ended, for the connection cap. A session decrements it
    // as its coroutine completes, on its own strand: hence atomic.
    std::atomic<std::size_t> live_sessions_{0};
    LogThrottle turned_away_;  // newcomers over the cap: one log entry a second
    Room room_;
};
