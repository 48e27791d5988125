// v1-server: a blocking echo server that answers one read per connection.
#include <spdlog/spdlog.h>

#include <system_error>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "server.hpp"
#include "socket.hpp"

int main(int argc, char** argv) {
    // [v1 step 1] Parse --address with common's helpers, listen there, say where, and serve.
    // [starter] (void)argc, (void)argv;
    course::Address address{"127.0.0.1", 7878};
    CLI::App app{"v1-server: blocking echo, one read per connection, one client at a time"};
    course::add_address_option(app, address);
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    course::setup_logging();

    try {
        Socket listener = Socket::listen_on(address);
        course::announce_listening(listener.local_address());
        serve_forever(listener);
    } catch (const std::system_error& error) {
        spdlog::error("{}", error.what());  // e.g. "bind 127.0.0.1:7878: Address already in use"
        return 1;
    }
    // [/v1 step 1]
}
