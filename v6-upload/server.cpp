#include "server.hpp"

#include <spdlog/spdlog.h>

using asio::ip::tcp;

Server::Server(asio::io_context& io, const course::Address& address) : acceptor_(io) {
    tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    asio::error_code error;
    acceptor_.bind(endpoint, error);
    if (error) {
        throw std::system_error(error, "bind " + address.to_string());
    }
    acceptor_.listen();
}

course::Address Server::local_address() const {
    auto endpoint = acceptor_.local_endpoint();
    return {endpoint.address().to_string(), endpoint.port()};
}

void Server::start(const UploadSettings& settings) {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(settings), asio::detached);
}

asio::awaitable<void> Server::accept_loop(const UploadSettings& settings) {
    asio::steady_timer pause(acceptor_.get_executor());
    for (;;) {
        auto [error, socket] =
            co_await acceptor_.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
        if (error) {
            // Out of file descriptors, most likely: wait a little instead of spinning.
            spdlog::warn("accept: {}", error.message());
            pause.expires_after(std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        asio::co_spawn(acceptor_.get_executor(), serve_upload(std::move(socket), settings),
                       asio::detached);
    }
}
