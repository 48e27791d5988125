// v5-chat-server: the binary chat protocol of seed 001, one thread, Asio coroutines.
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <iostream>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    course::Address address{"127.0.0.1", 8080};
    Settings settings;
    double login_timeout = std::chrono::duration<double>(settings.login_timeout).count();
    CLI::App app{"v5-chat-server: a chat room over the binary protocol of seed 001"};
    course::add_address_option(app, address);
    app.add_option("--max-content", settings.max_content, "largest content a message may carry")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--max-queue", settings.max_queue,
                   "bytes queued for one client before it is cut off (>= max-content + 8 KiB)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--login-timeout", login_timeout, "seconds a connection may take to log in")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }
    // Room for the biggest message, or a client could be cut off for one legal message.
    if (settings.max_queue < chat::queue_slack ||
        settings.max_queue - chat::queue_slack < settings.max_content) {
        std::cerr << "v5-chat-server: --max-queue (" << settings.max_queue
                  << ") must be at least --max-content (" << settings.max_content << ") + "
                  << chat::queue_slack << "\n";
        return 2;
    }
    settings.login_timeout =
        std::chrono::milliseconds(static_cast<long long>(login_timeout * 1000));
    course::setup_logging();

    asio::io_context io_context(1);  // one thread: the room needs no lock
    Room room;
    asio::ip::tcp::acceptor acceptor(io_context);
    try {
        asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
    } catch (const std::system_error& error) {
        spdlog::error("bind {}: {}", address.to_string(), error.code().message());
        return 1;
    }
    auto bound = acceptor.local_endpoint();
    course::announce_listening({bound.address().to_string(), bound.port()});

    asio::co_spawn(io_context, accept_clients(acceptor, room, settings), asio::detached);
    asio::signal_set signals(io_context, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { io_context.stop(); });
    io_context.run();
    spdlog::info("stopped");
}
