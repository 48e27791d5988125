#include "session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <span>

#include "course/logging.hpp"
#include "error.hpp"
#include "logger.hpp"
#include "png_walker.hpp"
#include "shutdown.hpp"
#include "storage.hpp"

namespace {

// as_tuple: a failed operation answers (error, bytes) instead of throwing. A client that
// closes or resets is everyday business for a server, not an exception.
const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

constexpr std::string_view kShuttingDown = "error: server shutting down\n";
constexpr std::string_view kCouldNotStore = "error: could not store the upload\n";
constexpr std::string_view kServerBusy = "error: server busy\n";

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer,
                 Shutdown& shutdown, Logger& logger, const UploadSettings& settings)
    : socket_(std::move(socket)),
      peer_(peer),
      shutdown_(shutdown),
      logger_(logger),
      settings_(settings) {
    heard();
    // v4's lesson stays: no small write waits for the acknowledgement of the one before.
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
    Session& s = *self;
    if (s.shutdown_.join(s)) {
        co_await s.serve();
    } else {
        s.stop_ = Stop::shutdown;  // accepted just as the server began to stop
    }
    switch (s.stop_) {
        case Stop::shutdown: s.answer_ = kShuttingDown; break;
        case Stop::idle: {
            auto seconds = std::chrono::duration<double>(s.settings_.read_timeout).count();
            s.refuse(ErrorType::timeout, fmt::format("silent for {} s", seconds),
                     fmt::format("error: read timeout ({} s without data)\n", seconds));
            break;
        }
        case Stop::none: break;  // serve() left its answer (or none: the peer is gone)
    }
    if (!s.answer_.empty()) {
        co_await s.say_goodbye(s.answer_);
        co_await s.drain();
    }
    asio::error_code ignored;
    s.socket_.close(ignored);
    s.shutdown_.leave(s);  // the last thing: after this the server may be gone
}

void Session::turn_away(asio::ip::tcp::socket socket) {
    asio::error_code error;
    // A plain (synchronous) write: 20 bytes into an empty send buffer never wait.
    asio::write(socket, asio::buffer(kServerBusy), error);
    // Closing with unread bytes makes the kernel send a reset, which can destroy the line
    // before the peer reads it. So drop what has already arrived (without waiting, a
    // bounded amount) and close with a FIN; we do not wait for more: that would hold the
    // very resources the cap protects.
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    socket.non_blocking(true, error);
    std::array<char, 16 * 1024> dropped;
    for (int i = 0; i < 4 && socket.read_some(asio::buffer(dropped), error) > 0; ++i) {
    }
    socket.close(error);
}

asio::awaitable<void> Session::serve() {
    // [v6 step 2] Read slices into buffer_, walk them, write what belongs to the file; answer.
    // [starter] co_return;
    try {
        TempFile file(settings_.data_dir);  // unnamed until commit(): no partial file, ever
        PngWalker walker(settings_.max_upload_bytes);
        buffer_ = std::make_unique_for_overwrite<std::byte[]>(kBufferSize);
        for (;;) {
            auto [error, n] = co_await socket_.async_read_some(
                asio::buffer(buffer_.get(), kBufferSize), use_tuple);
            if (stop_ != Stop::none) {
                co_return;  // told to stop while we waited; the file goes with `file`
            }
            if (error == asio::error::eof) {
                refuse(ErrorType::incomplete_upload,
                       walker.bytes_seen() == 0
                           ? "nothing received"
                           : fmt::format("upload ended before IEND (after {} bytes)",
                                         walker.bytes_seen()));
                co_return;
            }
            if (error) {  // a reset: nobody is left to answer
                logger_.report(peer_, ErrorType::client_vanished, "read: {}", error.message());
                co_return;
            }
            heard();
            // Walk first, write second: a slice the walker refuses never reaches the disk,
            // and bytes after IEND (walker.used() stops at its CRC) never reach the file.
            std::span<const std::byte> slice(buffer_.get(), n);
            auto status = walker.feed(slice);
            if (status == PngWalker::Status::Error) {
                refuse(ErrorType::upload_refused, walker.error());
                co_return;
            }
            file.write(slice.first(walker.used()));  // blocking, but to the page cache: fast
            if (status == PngWalker::Status::Done) {
                auto name = file.commit();
                spdlog::info("[{}] stored {}", Logger::peer_name(peer_), name);
                answer_ = settings_.link_prefix + name + "\n";
                co_return;
            }
        }
    } catch (const std::exception& error) {
        // The disk, not the peer: full, a file-size limit, out of memory. Said at once:
        // the peer must not wait for a timeout to learn that its upload is lost.
        logger_.report(Logger::peer_name(peer_), ErrorType::storage_failed, error.what());
        answer_ = kCouldNotStore;
    }
    // [/v6 step 2]
}

void Session::refuse(std::error_code kind, const std::string& reason, std::string_view answer) {
    logger_.report(Logger::peer_name(peer_), kind, course::printable(reason));
    answer_ = answer.empty() ? "error: " + reason + "\n" : std::string(answer);
}

asio::awaitable<void> Session::say_goodbye(std::string_view last_line) {
    mark_closing();
    // A line this short fits in the socket's send buffer: the write does not wait for a
    // peer that has stopped reading (and the sweep aborts it if it ever does).
    auto [error, n] = co_await asio::async_write(socket_, asio::buffer(last_line), use_tuple);
    if (error && aborted_) {
        logger_.report(peer_, ErrorType::write_timeout, "did not read its last line in time");
    } else if (error) {
        logger_.report(peer_, ErrorType::client_vanished, "write: {}", error.message());
    }
}

asio::awaitable<void> Session::drain() {
    // After the answer the peer may still be sending: the rest of a refused upload, bytes
    // after IEND. Closing now, with its bytes unread, would make the kernel answer them
    // with a reset, which can destroy our line before the peer reads it. So: shut our
    // sending side (the peer reads the line, then EOF), then read and drop until the peer
    // closes too. Bounded: at most kMaxDrain bytes, and the idle sweep (or, at shutdown,
    // the grace timer) aborts a drain that lasts longer than the grace period.
    draining_ = true;
    if (!buffer_) {  // refused before the upload began (the server was stopping)
        buffer_ = std::make_unique_for_overwrite<std::byte[]>(kBufferSize);
    }
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    std::size_t dropped = 0;
    while (dropped < kMaxDrain) {
        auto [error, n] =
            co_await socket_.async_read_some(asio::buffer(buffer_.get(), kBufferSize), use_tuple);
        if (error || n == 0) {
            co_return;
        }
        dropped += n;
    }
}

void Session::stop(Stop why) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
        asio::error_code ignored;
        if (self->stop_ == Stop::none && !self->closing()) {
            self->stop_ = why;
            self->mark_closing();
            self->socket_.cancel(ignored);  // the pending read ends: operation_aborted
        } else if (why == Stop::shutdown && self->draining_) {
            self->socket_.close(ignored);  // answered already: no need to wait at shutdown
        }
    });
}

void Session::abort() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->aborted_ = true;
        asio::error_code ignored;
        self->socket_.close(ignored);  // whatever it waits for ends with operation_aborted
    });
}
