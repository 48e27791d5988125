// The upload side: accept connections, one coroutine per upload, all on one thread.
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include "course/address.hpp"
#include "session.hpp"

class Server {
public:
    // Binds and listens at once (throws std::system_error), so the caller knows the port.
    Server(asio::io_context& io, const course::Address& address);

    course::Address local_address() const;

    // Accepts forever; each upload runs as its own coroutine, many at once.
    // `settings` must outlive the io_context's run().
    void start(const UploadSettings& settings);

private:
    asio::awaitable<void> accept_loop(const UploadSettings& settings);

    asio::ip::tcp::acceptor acceptor_;
};
