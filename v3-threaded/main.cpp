// v3-server: an echo server of lines that serves several clients at once, on a thread pool.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <system_error>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "server.hpp"
#include "socket.hpp"

int main(int argc, char** argv) {
    course::Address address{"127.0.0.1", 7878};
    std::uint64_t threads = 4;
    CLI::App app{"v3-server: echo of lines, a pool of threads serving several clients at once"};
    course::add_address_option(app, address);
    // 256 is plenty for a pool of blocking threads, and keeps a typo from starting millions.
    course::add_number_option(app, "--threads", threads, 1, 256,
                              "worker threads: how many clients are served at once");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    course::setup_logging();
    block_stop_signals();  // before any thread, and before we say we are listening

    try {
        Socket listener = Socket::listen_on(address);
        course::announce_listening(listener.local_address());
        serve_until_stopped(listener, threads);
    } catch (const std::system_error& error) {
        spdlog::error("{}", error.what());  // e.g. "bind 127.0.0.1:7878: Address already in use"
        return 1;
    }
    spdlog::info("stopped");
}
