#include "session.hpp"

#include <spdlog/spdlog.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <memory>
#include <optional>
#include <variant>

#include "png_walker.hpp"
#include "storage.hpp"

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

std::string describe(const tcp::endpoint& peer) {
    return peer.address().to_string() + ":" + std::to_string(peer.port());
}

// One read buffer per upload, whatever the file's size: memory stays flat. Big enough
// that a fast sender costs few system calls (and the file gets large writes).
constexpr std::size_t kBufferSize = 128 * 1024;

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// How an upload ended: a final name, or the reason it failed.
struct Outcome {
    std::string name;
    std::string error;
};

// Reads some bytes, or gives up after `timeout` of silence. 0 bytes: the peer closed
// (or the connection broke); nothing: the timeout.
asio::awaitable<std::optional<std::size_t>> read_some(tcp::socket& socket,
                                                      asio::steady_timer& timer,
                                                      asio::mutable_buffer buffer,
                                                      std::chrono::seconds timeout) {
    timer.expires_after(timeout);
    auto result =
        co_await (socket.async_read_some(buffer, use_tuple) || timer.async_wait(use_tuple));
    if (result.index() == 1) {
        co_return std::nullopt;  // the timer won: the read was cancelled
    }
    auto [error, n] = std::get<0>(result);
    co_return error ? 0 : n;
}

using Clock = std::chrono::steady_clock;

// Reads, walks and writes until IEND, an error or EOF. Each read moves `deadline` on;
// nothing else happens per read for the timeout: no timer armed and cancelled each time.
asio::awaitable<Outcome> walk_upload(tcp::socket& socket, TempFile& file,
                                     const UploadSettings& settings, Clock::time_point& deadline) {
    PngWalker walker(settings.max_upload_bytes);
    auto buffer = std::make_unique<std::byte[]>(kBufferSize);
    for (;;) {
        auto [error, n] =
            co_await socket.async_read_some(asio::buffer(buffer.get(), kBufferSize), use_tuple);
        if (error) {  // EOF, a reset, or cancelled by the watchdog
            co_return Outcome{{},
                              walker.bytes_seen() == 0
                                  ? "nothing received"
                                  : "upload ended before IEND (after " +
                                        std::to_string(walker.bytes_seen()) + " bytes)"};
        }
        deadline = Clock::now() + settings.read_timeout;
        // Walk first, write second: a slice the walker refuses never reaches the disk.
        std::span<const std::byte> slice(buffer.get(), n);
        auto status = walker.feed(slice);
        if (status == PngWalker::Status::Error) {
            co_return Outcome{{}, walker.error()};
        }
        file.write(slice);  // blocking, but to the page cache: fast, and one copy only
        if (status == PngWalker::Status::Done) {
            co_return Outcome{file.commit(), {}};
        }
    }
}

// Completes once `deadline` has passed without being moved on: the peer went silent.
asio::awaitable<void> watchdog(const Clock::time_point& deadline) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (deadline > Clock::now()) {
        timer.expires_at(deadline);
        auto [cancelled] = co_await timer.async_wait(use_tuple);
        if (cancelled) {
            co_return;  // the upload finished first
        }
    }
}

asio::awaitable<Outcome> receive(tcp::socket& socket, const UploadSettings& settings) {
    TempFile file(settings.data_dir);  // outlives both coroutines below
    auto deadline = Clock::now() + settings.read_timeout;
    // Whichever finishes first cancels the other (Asio's awaitable operators).
    auto result = co_await (walk_upload(socket, file, settings, deadline) || watchdog(deadline));
    if (result.index() == 1) {
        co_return Outcome{
            {},
            "read timeout (" + std::to_string(settings.read_timeout.count()) + " s without data)"};
    }
    co_return std::get<0>(std::move(result));
}

// After an error the peer may still be sending. Closing now, with its bytes unread, would
// make the kernel answer with a reset, which can destroy our error line before the peer
// reads it. So: send the line and our FIN, then read and drop what still comes, for a
// moment at most.
asio::awaitable<void> drain(tcp::socket& socket) {
    asio::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    asio::steady_timer timer(socket.get_executor());
    auto buffer = std::make_unique<std::byte[]>(kBufferSize);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < until) {
        auto n = co_await read_some(socket, timer, asio::buffer(buffer.get(), kBufferSize),
                                    std::chrono::seconds(1));
        if (!n || *n == 0) {
            break;
        }
    }
}

}  // namespace

asio::awaitable<void> serve_upload(tcp::socket socket, const UploadSettings& settings) {
    asio::error_code ignored;
    auto peer = describe(socket.remote_endpoint(ignored));
    Outcome outcome;
    try {
        outcome = co_await receive(socket, settings);
    } catch (const std::system_error& error) {  // the disk, not the peer: full, gone, ...
        spdlog::error("{}: {}", peer, error.what());
        outcome.error = "the server could not store the upload";
    }

    std::string answer;
    if (outcome.error.empty()) {
        answer = settings.link_prefix + outcome.name + "\n";
        spdlog::info("{}: stored {}", peer, outcome.name);
    } else {
        answer = "error: " + outcome.error + "\n";
        spdlog::warn("{}: {}", peer, outcome.error);
    }
    // A line this short fits in the socket's send buffer: the write does not wait for a
    // peer that has stopped reading.
    auto [error, written] = co_await asio::async_write(socket, asio::buffer(answer), use_tuple);
    if (!outcome.error.empty() && !error) {
        co_await drain(socket);
    }
    socket.close(ignored);
}
