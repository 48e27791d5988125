// Server: the acceptor, the signals, the idle sweep; each connection gets a Session.
//
// Everything here runs as coroutines on one io_context. With --threads N the io_context
// runs on N threads; then each session gets a strand of its own (its handlers never run
// two at a time), and the server's own coroutines share one "control" strand.
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
#include "shutdown.hpp"

class Logger;

struct ServerOptions {
    course::Address address{"127.0.0.1", 7878};
    std::uint64_t threads = 1;
    std::chrono::milliseconds idle_timeout{300'000};
    std::size_t max_connections = 10'000;  // connections served at once; more are turned away
};

// How long a closing session may take to write its last line before its socket is
// closed under it, at shutdown and after an idle timeout.
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

    // The executor the next session runs on: the io_context itself on one thread, a strand
    // of its own on several (tests/v4/strand_test.cpp checks that).
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
};
