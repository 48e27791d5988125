// Idle mode: what does an open, quiet connection cost the server? Open N connections, make
// each do one round trip (so the server has really accepted it and set it up), hold them, and
// compare the server's resident memory before and after.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <memory>

#include "modes.hpp"

namespace loadgen {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

struct Run {
    Run(const course::Address& address, std::size_t wanted)
        : endpoint(endpoint_of(address)), wanted(wanted) {}

    tcp::endpoint endpoint;
    std::size_t wanted = 0;
    std::size_t next = 0;  // the next connection to open
    std::vector<std::unique_ptr<tcp::socket>> open;
    std::uint64_t errors = 0;
};

// One of a few openers: a bounded number of connects in flight at once, so the server's
// accept backlog never overflows (an overflow costs a one-second SYN retry).
awaitable<void> opener(Run& run) {
    auto executor = co_await asio::this_coro::executor;
    while (run.next < run.wanted) {
        ++run.next;
        auto socket = std::make_unique<tcp::socket>(executor);
        asio::error_code error;
        char ping[2] = {'x', '\n'}, pong[2] = {};
        co_await socket->async_connect(run.endpoint, asio::redirect_error(use_awaitable, error));
        if (!error) {
            co_await asio::async_write(*socket, asio::buffer(ping),
                                       asio::redirect_error(use_awaitable, error));
        }
        if (!error) {
            co_await asio::async_read(*socket, asio::buffer(pong),
                                      asio::redirect_error(use_awaitable, error));
        }
        if (error || pong[0] != 'x' || pong[1] != '\n') {
            if (++run.errors <= 5) {
                std::cerr << "idle: connection " << run.next << ": "
                          << (error ? error.message() : "wrong echo") << '\n';
            }
            continue;
        }
        run.open.push_back(std::move(socket));
        if (run.open.size() % 2000 == 0) {
            std::cerr << "idle: " << run.open.size() << " open\n";
        }
    }
}

}  // namespace

Result run_idle(const IdleOptions& options) {
    raise_fd_limit(options.connections + 64);
    asio::io_context io(1);
    Run run(options.common.address, options.connections);
    run.open.reserve(options.connections);
    int pid = options.common.server_pid;
    long before_kib = pid > 0 ? resident_kib(pid) : -1;

    auto start = Clock::now();
    for (int i = 0; i < 64; ++i) {
        asio::co_spawn(io, opener(run), asio::detached);
    }
    io.run();
    auto opened = Clock::now();
    std::cerr << "idle: " << run.open.size() << " of " << options.connections
              << " connections open, holding them " << options.hold << " s\n";
    asio::steady_timer hold(io, std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.hold)));
    hold.wait();
    long after_kib = pid > 0 ? resident_kib(pid) : -1;
    std::size_t open = run.open.size();
    run.open.clear();  // closes them all

    Result result;
    result.mode = "idle";
    result.connections = options.connections;
    result.duration_s = seconds_between(start, opened);  // time it took to open them all
    result.ops = open;
    result.errors = options.connections - open;
    result.extra = "rss_before_kib=" + std::to_string(before_kib) +
                   ";rss_after_kib=" + std::to_string(after_kib);
    if (before_kib >= 0 && after_kib >= 0 && open > 0) {
        result.extra += ";bytes_per_connection=" +
                        std::to_string((after_kib - before_kib) * 1024 / static_cast<long>(open));
    }
    return result;
}

}  // namespace loadgen
