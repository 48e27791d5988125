// Echo mode: N connections in a closed loop. Each sends one line, waits for its echo, checks
// it byte for byte and sends the next. Round trips finished inside the measured window count.
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <list>

#include "modes.hpp"

namespace loadgen {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

struct Run {
    explicit Run(const EchoOptions& options)
        : options(options), endpoint(endpoint_of(options.common.address)) {}

    const EchoOptions& options;
    tcp::endpoint endpoint;
    Clock::time_point measure_from, measure_until;
    bool stopping = false;
    std::list<tcp::socket*> open;  // closed all at once when the time is up
    std::uint64_t ops = 0, errors = 0;
    std::size_t served = 0;  // connections that finished at least one measured round trip
    std::vector<std::uint32_t> latencies_ns;

    // Counts a round trip if it ended inside the window; says whether it did.
    bool record(Clock::time_point sent, Clock::time_point answered) {
        if (answered < measure_from || answered >= measure_until) {
            return false;
        }
        ++ops;
        latencies_ns.push_back(static_cast<std::uint32_t>(
            std::min<std::int64_t>((answered - sent).count(), UINT32_MAX)));
        return true;
    }
    void fail(const char* what, const asio::error_code& error) {
        if (!stopping) {
            ++errors;
            std::cerr << "echo: " << what << ": " << error.message() << '\n';
        }
    }
};

// The line for round trip `seq` of connection `id`: size-1 letters that change every time
// (so a stale or misrouted echo is caught), then "\n".
void fill_line(std::string& line, std::size_t id, std::uint64_t seq) {
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        line[i] = static_cast<char>('a' + (id + seq + i) % 26);
    }
    line.back() = '\n';
}

// One persistent connection: many lines, as v2 ... v4 serve them.
awaitable<void> persistent(Run& run, std::size_t id) {
    tcp::socket socket(co_await asio::this_coro::executor);
    auto registration = run.open.insert(run.open.end(), &socket);
    asio::error_code error;
    co_await socket.async_connect(run.endpoint, asio::redirect_error(use_awaitable, error));
    if (error) {
        run.fail("connect", error);
    } else {
        socket.set_option(tcp::no_delay(true));
        std::string line(run.options.size, ' '), echo(run.options.size, ' ');
        bool counted = false;
        for (std::uint64_t seq = 0; !run.stopping; ++seq) {
            fill_line(line, id, seq);
            auto sent = Clock::now();
            co_await asio::async_write(socket, asio::buffer(line),
                                       asio::redirect_error(use_awaitable, error));
            if (!error) {
                co_await asio::async_read(socket, asio::buffer(echo),
                                          asio::redirect_error(use_awaitable, error));
            }
            if (error) {
                run.fail("round trip", error);
                break;
            }
            if (echo != line) {
                run.fail("echo differs", {});
                break;
            }
            if (run.record(sent, Clock::now()) && !counted) {
                counted = true;
                ++run.served;
            }
        }
    }
    run.open.erase(registration);
}

// A connection per round trip: connect, send, read the echo, wait for the server to close
// (so the TIME_WAIT stays on the server's side and our ports do not run out).
awaitable<void> one_shot(Run& run, std::size_t id) {
    std::string line(run.options.size, ' '), echo(run.options.size, ' ');
    char after = 0;
    bool counted = false;
    for (std::uint64_t seq = 0; !run.stopping; ++seq) {
        tcp::socket socket(co_await asio::this_coro::executor);
        auto registration = run.open.insert(run.open.end(), &socket);
        fill_line(line, id, seq);
        auto sent = Clock::now();
        asio::error_code error;
        co_await socket.async_connect(run.endpoint, asio::redirect_error(use_awaitable, error));
        if (!error) {
            co_await asio::async_write(socket, asio::buffer(line),
                                       asio::redirect_error(use_awaitable, error));
        }
        if (!error) {
            co_await asio::async_read(socket, asio::buffer(echo),
                                      asio::redirect_error(use_awaitable, error));
        }
        auto answered = Clock::now();
        if (!error) {  // then the server's close
            co_await socket.async_read_some(asio::buffer(&after, 1),
                                            asio::redirect_error(use_awaitable, error));
            error = error == asio::error::eof ? asio::error_code{} : asio::error::invalid_argument;
        }
        run.open.erase(registration);
        if (error) {
            run.fail("one-shot round trip", error);
            break;
        }
        if (echo != line) {
            run.fail("echo differs", {});
            break;
        }
        if (run.record(sent, answered) && !counted) {
            counted = true;
            ++run.served;
        }
    }
}

}  // namespace

Result run_echo(const EchoOptions& options) {
    raise_fd_limit(options.connections + 64);
    asio::io_context io(1);
    Run run(options);
    auto start = Clock::now();
    run.measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.warmup));
    run.measure_until = run.measure_from + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(options.duration));
    run.latencies_ns.reserve(1 << 20);

    for (std::size_t id = 0; id < options.connections; ++id) {
        asio::co_spawn(io, options.reconnect ? one_shot(run, id) : persistent(run, id),
                       asio::detached);
    }
    // The measured window: server CPU time is read at both ends, then every socket is closed
    // (connections a one-client-at-a-time server never got to are waiting in its backlog).
    CpuMeter cpu(options.common.server_pid);
    asio::steady_timer window(io, run.measure_from);
    window.async_wait([&](asio::error_code) {
        std::cerr << "echo: measuring " << options.duration << " s\n";
        cpu.start();
        window.expires_at(run.measure_until);
        window.async_wait([&](asio::error_code) {
            cpu.stop();
            run.stopping = true;
            for (auto* socket : run.open) {
                asio::error_code ignored;
                socket->close(ignored);
            }
        });
    });
    std::cerr << "echo: " << options.connections << " connection(s) to "
              << options.common.address.to_string() << ", " << options.size << "-byte lines"
              << (options.reconnect ? ", one connection per round trip" : "") << '\n';
    io.run();

    Result result;
    result.mode = options.reconnect ? "echo-reconnect" : "echo";
    result.connections = options.connections;
    result.size = options.size;
    result.duration_s = options.duration;
    result.ops = run.ops;
    result.latencies_ns = std::move(run.latencies_ns);
    result.errors = run.errors;
    result.server_cpu_s = cpu.seconds();
    result.extra = "served=" + std::to_string(run.served);
    return result;
}

}  // namespace loadgen
