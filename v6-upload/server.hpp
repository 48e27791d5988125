// Server: the acceptor, the signals, the idle sweep; each upload gets a Session, and the
// HTTP side (http.hpp) serves the finished files from the same io_context.
//
// Everything here runs as coroutines on one io_context, on one thread (v4's --threads is
// gone: an upload's time goes to the CRC and the disk, and one thread already ingests as
// fast as the network delivers). The server's own coroutines keep v4's "control" strand:
// on one thread it costs next to nothing, and the skeleton stays v4's.
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
#include <optional>

#include "course/address.hpp"
#include "logger.hpp"
#include "http.hpp"
#include "session.hpp"
#include "shutdown.hpp"

class Logger;

struct ServerOptions {
    course::Address address{"127.0.0.1", 7070};      // bind_ip_port, --address
    std::optional<course::Address> http_address;     // http_bind, --http-address; none: off
    std::chrono::milliseconds idle_timeout{30'000};  // read_timeout_secs
    std::filesystem::path data_dir = "./uploads";
    std::uint64_t max_upload_bytes = 32 * 1024 * 1024;
    // The links: PROTOCOL://HOST/URL/NAME; an empty host is the HTTP address bound.
    std::string protocol = "http", host, url = "images";
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
    // Binds and listens on both ports; throws std::system_error (e.g. "Address already in use").
    Server(asio::io_context& io, const ServerOptions& options, Logger& logger);

    course::Address local_address() const;
    std::optional<course::Address> http_address() const;  // none when HTTP is off
    const std::string& link_prefix() const { return settings_.link_prefix; }

    // Spawns the server's coroutines. io_context::run() returns once they and every
    // session have finished: after a signal, and the last session's goodbye.
    void start();

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
    std::optional<HttpServer> http_;
    UploadSettings settings_;  // what every session needs: data_dir, the limit, the link
};
