// The session's writer and its queue: the room queues (deliver), and ONE coroutine per
// connection writes, so two writes never interleave their bytes on one socket.
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "course/logging.hpp"
#include "error.hpp"
#include "server.hpp"
#include "session.hpp"

namespace {

const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

void Session::deliver(const Outgoing& message) {
    if (!alive_ || stop_ != Stop::none) {
        return;
    }
    // [v5 step 3] Over --max-queue bytes queued and not written: log a slow reader, and close().
    if (queued_bytes_ + message->size > options_.max_queue) {
        logger_.report(peer_, ErrorType::slow_reader, "over {} bytes queued and not written{}",
                       options_.max_queue, user_suffix());
        close();  // the reader sees the socket closed and leaves the room: Logout goes out
        return;
    }
    // [/v5 step 3]
    enqueue(message);
}

void Session::enqueue(const Outgoing& message) {
    pending_.push_back(message);
    queued_bytes_ += message->size;
    if (writer_idle_) {
        wake_.cancel();
    }
}

asio::awaitable<void> Session::write_messages() {
    try {
        for (;;) {
            if (pending_.empty()) {
                if (done_reading_ || !alive_) {
                    break;
                }
                writer_idle_ = true;
                co_await wake_.async_wait(use_tuple);  // cancelled by deliver(): a wake-up
                writer_idle_ = false;
                continue;
            }
            if (auto error = co_await write_pending()) {
                if (aborted_) {
                    logger_.report(peer_, ErrorType::write_timeout,
                                   "did not read its last messages in time");
                } else if (alive_) {
                    logger_.report(peer_, ErrorType::client_vanished, "write: {}", error.message());
                }
                close();
                co_return;
            }
        }
    } catch (const std::exception& failure) {  // see read_messages()
        logger_.report(peer_, ErrorType::failed, "{}", failure.what());
        close();
        co_return;
    }
    finish_writing();
}

asio::awaitable<asio::error_code> Session::write_pending() {
    // [v5 step 3] Send ALL that is queued in one async_write of a vector of buffers, no copies.
    // [starter] Outgoing message = pending_.front();  // one message, one system call: slow
    // [starter] pending_.erase(pending_.begin());
    // [starter] auto [error, n] = co_await asio::async_write(
    // [starter]     socket_, asio::buffer(message->bytes.get(), message->size), use_tuple);
    // [starter] queued_bytes_ -= message->size;
    // [starter] co_return error;
    // Everything queued goes out in one gather write: one system call for many messages
    // (redis does the same), and never a copy of their bytes.
    std::swap(pending_, writing_);
    buffers_.clear();
    for (const auto& message : writing_) {
        buffers_.emplace_back(message->bytes.get(), message->size);
    }
    auto [error, n] = co_await asio::async_write(socket_, buffers_, use_tuple);
    if (error) {
        co_return error;
    }
    for (const auto& message : writing_) {
        queued_bytes_ -= message->size;
    }
    writing_.clear();  // keeps its capacity: no allocation on the next round
    co_return asio::error_code{};
    // [/v5 step 3]
}

void Session::finish_writing() {
    if (!alive_) {
        return;
    }
    // All said: FIN. After an Error the reader drains what the peer still sends (see
    // drain()); otherwise we are done, and so is the reader once the socket is closed.
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    if (!linger_) {
        close();
    }
}
