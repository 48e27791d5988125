// v4-server: the echo line protocol for thousands of clients, on one thread, with
// coroutines. Seed 003 (tokio) and seed 004's main.rs, in C++ with standalone Asio.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <asio/io_context.hpp>
#include <cstdint>
#include <exception>
#include <limits>
#include <thread>
#include <vector>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "course/timeout.hpp"
#include "logger.hpp"
#include "server.hpp"

namespace {

// Every connection is a file descriptor, and the default soft limit is often 1024: far
// from 10 000. An unprivileged process may raise its soft limit up to the hard limit.
// Returns the limit now in force (the largest number when there is none to know).
std::uint64_t raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    auto soft = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            limit.rlim_cur = soft;
        }
    }
    spdlog::info("open-file limit: {} (was {}, hard limit {})", limit.rlim_cur, soft,
                 limit.rlim_max);
    return limit.rlim_cur;
}

// The connection cap must fit that limit: each connection is a descriptor, and the server
// needs a few more (the listening socket, the log file, epoll, the connection being turned
// away ...). A cap over the limit would bring back what it is for: accept() failing with
// EMFILE. Returns `wanted`, or less, and says so.
std::uint64_t connections_the_limit_allows(std::uint64_t wanted, std::uint64_t open_file_limit) {
    constexpr std::uint64_t kRoom = 64;
    std::uint64_t fits = open_file_limit > kRoom ? open_file_limit - kRoom : 1;
    if (fits >= wanted) {
        return wanted;
    }
    spdlog::warn("--max-connections {} does not fit the open-file limit {}: capped at {}", wanted,
                 open_file_limit, fits);
    return fits;
}

}  // namespace

int main(int argc, char** argv) {
    ServerOptions options;
    std::string log_file = "server.log";
    CLI::App app{"v4-server: async echo server (Asio coroutines), thousands of clients"};
    course::add_address_option(app, options.address);
    app.add_option_function<std::string>(
           "PORT",
           [&options](const std::string& text) {
               options.address.port = *course::parse_port(text);
           },
           "port to listen on, as seed 003 takes it (replaces the port of --address)")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                return course::parse_port(text) ? "" : "not a port (0-65535): '" + text + "'";
            },
            "PORT"))
        ->default_str("7878");
    course::add_number_option(app, "--threads", options.threads, 1, 256,
                              "threads running the io_context");
    course::add_timeout_option(app, "--idle-timeout", options.idle_timeout,
                               "seconds of silence after which a client is told so and closed");
    std::uint64_t max_connections = options.max_connections;
    course::add_number_option(app, "--max-connections", max_connections, 1, 1'000'000,
                              "connections served at once; more are told so and closed");
    app.add_option("--log-file", log_file, "file that errors are appended to")
        ->capture_default_str();
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    course::setup_logging();
    options.max_connections =
        connections_the_limit_allows(max_connections, raise_open_file_limit());

    try {
        Logger logger(log_file);
        asio::io_context io(static_cast<int>(options.threads));  // the hint: how many threads
        Server server(io, options, logger);
        server.start();
        course::announce_listening(server.local_address());

        std::vector<std::jthread> more;  // --threads N: N - 1 more threads run the same loop
        for (unsigned i = 1; i < options.threads; ++i) {
            more.emplace_back([&io] { io.run(); });
        }
        io.run();  // returns when no work is left: after a signal, once every session is gone
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());  // "bind: Address already in use", a log file ...
        return 1;
    }
}
