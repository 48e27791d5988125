// v2-server: a blocking echo server that answers every line of a conversation.
#include <spdlog/spdlog.h>

#include <system_error>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "server.hpp"
#include "socket.hpp"

int main(int argc, char** argv) {
    course::Address address{"127.0.0.1", 7878};
    CLI::App app{"v2-server: blocking echo of lines, many per connection, one client at a time"};
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
}
