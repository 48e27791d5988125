// The session's reader: framing (a descriptor, then a header, then content, each waited
// for until it is whole), and what each message means before and after login.
#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>
#include <new>

#include "course/logging.hpp"
#include "error.hpp"
#include "server.hpp"
#include "session.hpp"
#include "shutdown.hpp"

namespace {

// as_tuple: a failed operation answers (error, bytes) instead of throwing. A client that
// closes or resets is everyday business for a server, not an exception (v4 says why).
const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<void> Session::read_messages() {
    asio::error_code error;
    try {
        while (alive_ && !done_reading_ && !error) {
            error = co_await read_message();
            co_await yield_if_due();
        }
    } catch (const std::exception& failure) {
        // Not the network (that is `error`): a bug, or memory running out. It ends this
        // connection like any other end, its Logout included, and never the server.
        logger_.report(peer_, ErrorType::failed, "{}", failure.what());
        batch_.clear();
        batch_bytes_ = 0;
        close();
    }
    report_read_end(error);
    relay_batch();  // a safety net: every exit above has relayed the batch already
    // A stop is no one's Logout: everyone is told the server is going, nothing else.
    room_.leave(*this, /*announce=*/!shutdown_.stopping());
    done_reading_ = true;
    if (writer_idle_) {
        wake_.cancel();
    }
    if (alive_ && linger_) {
        co_await drain();  // until the peer closes, or the sweep's deadline
    }
}

asio::awaitable<asio::error_code> Session::read_message() {
    if (buffered().size() < chat::descriptor_size) {
        relay_batch();  // before every wait: what came in one read goes out together
        if (begin_ == end_) {
            begin_ = end_ = 0;  // empty: start again at the front, no memmove later
        }
        if (auto error = co_await fill(chat::descriptor_size)) {
            co_return error;
        }
        if (done_reading_) {
            co_return asio::error_code{};  // stopped while we waited: the rest is dropped
        }
    }
    mid_message_ = true;
    chat::Decoded decoded = chat::decode(buffered(), {chat::max_header_size, options_.max_content});
    if (refuse_oversized(decoded)) {
        co_return asio::error_code{};
    }
    const chat::Descriptor& d = decoded.descriptor;
    // [v5 step 6] Appendix: a whole message already in the buffer takes the fast path.
    if (decoded.status == chat::Status::complete && logged_in() && chat::carries_content(d.type)) {
        co_await relay_buffered(decoded);  // the fast path
        co_return asio::error_code{};
    }
    // [/v5 step 6]
    relay_batch();
    // (An if, not `co_await (a ? f() : g())`: GCC 12 destroys the awaitable of a conditional
    // expression twice.)
    if (logged_in()) {
        co_return co_await read_after_login(d);
    }
    co_return co_await read_before_login(d);
}

bool Session::refuse_oversized(const chat::Decoded& decoded) {
    // Refused on the descriptor alone: we never read (or allocate) what is too big.
    const chat::Descriptor& d = decoded.descriptor;
    if (decoded.status == chat::Status::header_too_large) {
        relay_batch();
        fail(ErrorType::message_too_long, "header of " + std::to_string(d.header_size) +
                                              " bytes is over the limit of " +
                                              std::to_string(chat::max_header_size));
        return true;
    }
    if (decoded.status == chat::Status::content_too_large) {
        relay_batch();
        fail(ErrorType::message_too_long, "content of " + std::to_string(d.content_size) +
                                              " bytes is over the limit of " +
                                              std::to_string(options_.max_content));
        return true;
    }
    return false;
}

asio::awaitable<asio::error_code> Session::read_before_login(const chat::Descriptor& d) {
    static const Outgoing bad_login = chat::make_message(chat::MessageType::BadLogin);
    if (auto error = co_await fill(chat::descriptor_size + d.header_size)) {
        co_return error;
    }
    std::string header(buffered().substr(chat::descriptor_size, d.header_size));
    consume(chat::descriptor_size + d.header_size);
    // A Login has no content; anything else is read whole and dropped, so the next message
    // frames right.
    if (auto error = co_await skip(d.content_size)) {
        co_return error;
    }
    mid_message_ = false;
    if (d.type == static_cast<std::uint16_t>(chat::MessageType::Login)) {
        handle_login(header);
    } else {
        refuse(ErrorType::bad_login, chat::type_name(d.type) + " message before login", bad_login);
    }
    co_return asio::error_code{};
}

asio::awaitable<asio::error_code> Session::read_after_login(const chat::Descriptor& d) {
    if (d.type == static_cast<std::uint16_t>(chat::MessageType::Logout)) {
        mid_message_ = false;
        done_reading_ = true;  // the writer flushes what is queued, then closes
        co_return asio::error_code{};
    }
    if (!chat::carries_content(d.type)) {
        fail(ErrorType::bad_message,
             "unexpected " + chat::type_name(d.type) + " message after login");
        co_return asio::error_code{};  // on the descriptor alone: its header may never come
    }
    if (auto error = co_await fill(chat::descriptor_size + d.header_size)) {
        co_return error;
    }
    std::string header(buffered().substr(chat::descriptor_size, d.header_size));
    consume(chat::descriptor_size + d.header_size);
    auto error = co_await handle_message(d, header);  // its content is on its way
    if (!error) {
        mid_message_ = false;
    }
    co_return error;
}

asio::awaitable<asio::error_code> Session::handle_message(const chat::Descriptor& d,
                                                          std::string_view header_bytes) {
    auto parsed = chat::parse_client_header(d.type, header_bytes);
    if (!parsed.error.empty()) {
        send_error(ErrorType::bad_message, parsed.error);
        co_return co_await skip(d.content_size);
    }
    // The server header has the same length whatever the timestamp (always 24 characters),
    // so we can size the whole message now and read the content straight into its place.
    chat::ServerHeader header = relay_header(d.type, parsed.header, "0000-00-00T00:00:00.000Z");
    std::size_t header_size = chat::to_json(header).size();
    if (header_size > chat::max_server_header_size) {
        send_error(ErrorType::bad_message, "header too long to relay");
        co_return co_await skip(d.content_size);
    }
    auto message = std::make_shared<chat::WireMessage>();
    message->size = chat::descriptor_size + header_size + d.content_size;
    // Not zero-filled: pages of a big file are only touched as its bytes actually arrive.
    // And nothrow: --max-content may promise more than the machine has, and running out
    // ends this connection (with its Logout), never the server.
    message->bytes.reset(new (std::nothrow) char[message->size]);
    if (!message->bytes) {
        fail(ErrorType::failed,
             "no memory for a message of " + std::to_string(message->size) + " bytes");
        co_return asio::error_code{};
    }
    char* bytes = message->bytes.get();
    char* content = bytes + chat::descriptor_size + header_size;
    if (auto error = co_await read_into(content, d.content_size)) {
        co_return error;
    }
    if (auto error = check_message(d, parsed, {content, d.content_size})) {
        send_error(ErrorType::bad_message, *error);
        co_return asio::error_code{};
    }
    header.timestamp = chat::format_timestamp(std::chrono::system_clock::now());
    std::string json = chat::to_json(header);
    chat::encode_descriptor({d.type, static_cast<std::uint16_t>(header_size), 0, d.content_size},
                            bytes);
    std::memcpy(bytes + chat::descriptor_size, json.data(), header_size);  // same size: see above
    room_.relay(message, *this, header.to ? room_.find(*header.to) : nullptr);
    yield_due_ = true;  // work for others: let them run before our next message (as a batch does)
    co_return asio::error_code{};
}

void Session::report_read_end(const asio::error_code& error) {
    if (!error || !alive_ || stop_ != Stop::none) {
        return;  // no error, or a close of ours
    }
    if (error == asio::error::eof && mid_message_) {
        logger_.report(peer_, ErrorType::incomplete_message,
                       "closed in the middle of a message; nothing of it is relayed");
    } else if (error != asio::error::eof) {
        logger_.report(peer_, ErrorType::client_vanished, "read: {}", error.message());
    }
}

asio::awaitable<void> Session::drain() {
    // After an Error that closes: read and drop what the peer still sends. Closing with
    // unread input would make the kernel send a reset, which can destroy our Error before
    // the peer has read it (v4's drain after `bye`). The sweep (or, at a stop, the grace
    // period) aborts a drain that lasts too long.
    for (;;) {
        auto [error, n] = co_await socket_.async_read_some(asio::buffer(buffer_), use_tuple);
        if (error) {
            co_return;
        }
    }
}

// ------------------------------------------------------------------ the receive buffer
asio::awaitable<asio::error_code> Session::fill(std::size_t n) {
    if (begin_ + n > buffer_.size()) {  // not enough room behind begin_: move the rest to the front
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    while (end_ - begin_ < n) {
        auto [error, got] = co_await socket_.async_read_some(
            asio::buffer(buffer_.data() + end_, buffer_.size() - end_), use_tuple);
        if (error) {
            co_return error;
        }
        end_ += got;
    }
    co_return asio::error_code{};
}

asio::awaitable<asio::error_code> Session::read_into(char* out, std::uint64_t n) {
    std::size_t from_buffer = std::min<std::uint64_t>(n, end_ - begin_);
    std::memcpy(out, buffer_.data() + begin_, from_buffer);
    consume(from_buffer);
    if (n == from_buffer) {
        co_return asio::error_code{};
    }
    // The rest goes straight from the socket to its final place.
    auto [error, got] = co_await asio::async_read(
        socket_, asio::buffer(out + from_buffer, n - from_buffer), use_tuple);
    co_return error;
}

asio::awaitable<asio::error_code> Session::skip(std::uint64_t n) {
    while (n > 0) {
        if (begin_ == end_) {
            if (auto error = co_await fill(1)) {
                co_return error;
            }
        }
        std::size_t k = std::min<std::uint64_t>(n, end_ - begin_);
        consume(k);
        n -= k;
    }
    co_return asio::error_code{};
}
