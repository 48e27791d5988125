#include "server.hpp"

#include <spdlog/spdlog.h>

asio::awaitable<void> accept_clients(asio::ip::tcp::acceptor& acceptor, Room& room,
                                     const Settings& settings) {
    asio::steady_timer pause(acceptor.get_executor());
    while (acceptor.is_open()) {
        asio::error_code error;
        auto socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted) {
            co_return;
        }
        if (error) {
            spdlog::warn("accept: {}", error.message());  // e.g. too many open files
            pause.expires_after(std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
            continue;
        }
        std::make_shared<Session>(std::move(socket), room, settings)->start();
    }
}
