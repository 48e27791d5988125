// v5-chat-server: the binary chat protocol of seed 001, on v4's skeleton: one thread, Asio
// coroutines, the broadcast shutdown and the error log.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <asio/io_context.hpp>
#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>

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
    CLI::App app{"v5-chat-server: a chat room over the binary protocol of seed 001"};
    course::add_address_option(app, options.address);
    // Whole numbers in a range: a number too big for 64 bits is refused, not read as
    // "unlimited", and no sum of sizes can overflow.
    course::add_number_option(app, "--max-content", options.max_content, 0,
                              chat::largest_max_content, "largest content a message may carry");
    course::add_number_option(app, "--max-queue", options.max_queue, chat::queue_slack,
                              chat::largest_max_queue,
                              "bytes queued for one client before it is cut off "
                              "(>= max-content + 8 KiB)");
    course::add_timeout_option(app, "--login-timeout", options.login_timeout,
                               "seconds a connection may take to log in");
    std::uint64_t max_connections = options.max_connections;
    course::add_number_option(app, "--max-connections", max_connections, 1, 1'000'000,
                              "connections served at once; more are told so and closed");
    app.add_option("--log-file", log_file, "file that errors are appended to")
        ->capture_default_str();
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    // Room for the biggest message, or a client could be cut off for one legal message.
    if (options.max_queue < chat::queue_slack ||
        options.max_queue - chat::queue_slack < options.max_content) {
        std::cerr << "v5-chat-server: --max-queue (" << options.max_queue
                  << ") must be at least --max-content (" << options.max_content << ") + "
                  << chat::queue_slack << "\n";
        return 2;
    }
    course::setup_logging();
    options.max_connections =
        connections_the_limit_allows(max_connections, raise_open_file_limit());

    try {
        Logger logger(log_file);
        asio::io_context io(1);  // the hint: one thread, the room needs no lock
        Server server(io, options, logger);
        server.start();
        course::announce_listening(server.local_address());
        io.run();  // returns when no work is left: after a signal, once every session is gone
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());  // "bind: Address already in use", a log file ...
        return 1;
    }
}
