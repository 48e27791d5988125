#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <new>

#include "course/logging.hpp"
#include "error.hpp"
#include "logger.hpp"
#include "server.hpp"
#include "shutdown.hpp"

namespace {

// as_tuple: a failed operation answers (error, bytes) instead of throwing. A client that
// closes or resets is everyday business for a server, not an exception (v4 says why).
const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Big enough to take many small messages in one read, and always one descriptor plus the
// biggest header (fill() relies on it).
constexpr std::size_t read_buffer_size = 64 * 1024;
static_assert(read_buffer_size >= chat::descriptor_size + chat::max_header_size);

constexpr std::string_view kShuttingDown = "server shutting down";

// An Error message: {"from": "server", "timestamp": ..., "error": text}.
Outgoing make_error(const std::string& text) {
    chat::ServerHeader header{std::string(chat::server_name),
                              chat::format_timestamp(std::chrono::system_clock::now()),
                              std::nullopt, std::nullopt, text};
    return make_message(chat::MessageType::Error, chat::to_json(header));
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer,
                 Shutdown& shutdown, Logger& logger, Room& room, const ServerOptions& options)
    : socket_(std::move(socket)),
      peer_(peer),
      shutdown_(shutdown),
      logger_(logger),
      room_(room),
      options_(options),
      buffer_(read_buffer_size),
      wake_(socket_.get_executor(), asio::steady_timer::time_point::max()) {
    heard();
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
    using namespace asio::experimental::awaitable_operators;
    Session& s = *self;
    if (!s.shutdown_.join(s)) {
        s.stop_ = Stop::shutdown;  // accepted just as the server began to stop: say so
        s.say_goodbye();
    }
    // Side by side; run() goes on once both have ended. Neither throws, and each ends the
    // other: the reader, when done, wakes the writer to flush and close; the writer, when
    // the socket fails, closes it under the reader.
    co_await (s.read_messages() && s.write_messages());
    asio::error_code ignored;
    s.socket_.close(ignored);
    s.shutdown_.leave(s);  // the last thing: after this the server may be gone
}

// ------------------------------------------------------------------ reading
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

asio::awaitable<void> Session::read_messages() {
    const chat::Limits limits{chat::max_header_size, options_.max_content};
    bool mid_message = false;
    asio::error_code error;
    try {
        while (alive_ && !done_reading_) {
            if (buffered().size() < chat::descriptor_size) {
                relay_batch();  // before every wait: what came in one read goes out together
                if (begin_ == end_) {
                    begin_ = end_ = 0;  // empty: start again at the front, no memmove later
                }
                if ((error = co_await fill(chat::descriptor_size))) {
                    break;
                }
                if (done_reading_) {
                    break;  // stopped while we waited: what arrived meanwhile is dropped
                }
            }
            mid_message = true;
            chat::Decoded decoded = chat::decode(buffered(), limits);
            const chat::Descriptor d = decoded.descriptor;
            // Refused on the descriptor alone: we never read (or allocate) what is too big.
            if (decoded.status == chat::Status::header_too_large) {
                relay_batch();
                fail(ErrorType::message_too_long, "header of " + std::to_string(d.header_size) +
                                                      " bytes is over the limit of " +
                                                      std::to_string(chat::max_header_size));
                break;
            }
            if (decoded.status == chat::Status::content_too_large) {
                relay_batch();
                fail(ErrorType::message_too_long, "content of " + std::to_string(d.content_size) +
                                                      " bytes is over the limit of " +
                                                      std::to_string(options_.max_content));
                break;
            }
            if (decoded.status == chat::Status::complete && logged_in() &&
                chat::carries_content(d.type)) {
                handle_buffered(d, decoded.header, decoded.content);  // the fast path
                consume(decoded.size);
                mid_message = false;
                if (relayed_) {
                    // Let the writers run before we relay more: a burst read in one go must
                    // not pile up in queues (and cut off readers that keep up) meanwhile.
                    relayed_ = false;
                    co_await asio::post(socket_.get_executor(), asio::use_awaitable);
                }
                continue;
            }
            relay_batch();
            if (logged_in() && d.type == static_cast<std::uint16_t>(chat::MessageType::Logout)) {
                done_reading_ = true;  // the writer flushes what is queued, then closes
                break;
            }
            if (logged_in() && !chat::carries_content(d.type)) {
                fail(ErrorType::bad_message,
                     "unexpected " + chat::type_name(d.type) + " message after login");
                break;  // on the descriptor alone: its header may never come
            }
            if ((error = co_await fill(chat::descriptor_size + d.header_size))) {
                break;
            }
            std::string header(buffered().substr(chat::descriptor_size, d.header_size));
            consume(chat::descriptor_size + d.header_size);

            if (!logged_in()) {
                // A Login has no content; anything else is read whole and dropped, so the
                // next message frames right.
                if ((error = co_await skip(d.content_size))) {
                    break;
                }
                if (d.type == static_cast<std::uint16_t>(chat::MessageType::Login)) {
                    handle_login(header);
                } else {
                    static const Outgoing bad_login = make_message(chat::MessageType::BadLogin);
                    logger_.report(peer_, ErrorType::bad_login, "{} message before login",
                                   chat::type_name(d.type));
                    deliver(bad_login);
                }
            } else if ((error = co_await handle_message(d, header))) {  // content on its way
                break;
            }
            mid_message = false;
        }
    } catch (const std::exception& failure) {
        // Not the network (that is `error`): a bug, or memory running out. It ends this
        // connection like any other end, its Logout included, and never the server.
        logger_.report(peer_, ErrorType::failed, "{}", failure.what());
        batch_.clear();
        batch_bytes_ = 0;
        close();
    }
    if (error && alive_ && stop_ == Stop::none) {  // not a close of ours
        if (error == asio::error::eof && mid_message) {
            logger_.report(peer_, ErrorType::incomplete_message,
                           "closed in the middle of a message; nothing of it is relayed");
        } else if (error != asio::error::eof) {
            logger_.report(peer_, ErrorType::client_vanished, "read: {}", error.message());
        }
    }
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

void Session::handle_login(std::string_view header) {
    static const Outgoing bad_username = make_message(chat::MessageType::BadUsername);
    static const Outgoing username_exists = make_message(chat::MessageType::UsernameExists);
    auto name = chat::login_username(header);
    auto problem = name ? chat::check_username(*name) : chat::UsernameProblem::empty;
    if (problem != chat::UsernameProblem::none) {
        logger_.report(peer_, ErrorType::bad_username, "{}: {}",
                       course::printable(name.value_or(std::string(header))),
                       chat::describe(problem));
        deliver(bad_username);
        return;  // the client may try again on this connection
    }
    username_ = *name;
    if (!room_.join(shared_from_this())) {
        logger_.report(peer_, ErrorType::bad_username, "{}: taken", course::printable(username_));
        username_.clear();
        deliver(username_exists);
        return;
    }
    logged_in_.store(true, std::memory_order_relaxed);  // the login sweep leaves us alone now
}

// The checks every relayed message passes; an error text, or nothing when it may go out.
static std::optional<std::string> check_message(const chat::Descriptor& d,
                                                const chat::ParsedClientHeader& parsed,
                                                std::string_view content, const Room& room) {
    if (!parsed.error.empty()) {
        return parsed.error;
    }
    if (d.type == static_cast<std::uint16_t>(chat::MessageType::Utf8) &&
        !chat::is_valid_utf8(content)) {
        return "Utf8 content is not valid UTF-8";
    }
    if (parsed.header.to && !room.find(*parsed.header.to)) {
        return "unknown user '" + *parsed.header.to + "'";
    }
    return std::nullopt;
}

void Session::handle_buffered(const chat::Descriptor& d, std::string_view header_bytes,
                              std::string_view content) {
    auto parsed = chat::parse_client_header(d.type, header_bytes);
    if (auto error = check_message(d, parsed, content, room_)) {
        relay_batch();  // what she sent before comes back before the Error
        send_error(ErrorType::bad_message, *error);
        return;
    }
    chat::ServerHeader header{username_, chat::format_timestamp(std::chrono::system_clock::now()),
                              parsed.header.filename, parsed.header.to, std::nullopt};
    std::string json = chat::to_json(header);
    if (json.size() > chat::max_server_header_size) {
        relay_batch();
        send_error(ErrorType::bad_message, "header too long to relay");
        return;
    }
    if (header.to) {  // private: to two people, right now, after what came before
        relay_batch();
        relayed_ = true;
        room_.relay(make_message(static_cast<chat::MessageType>(d.type), json, content), *this,
                    room_.find(*header.to));
        return;
    }
    std::size_t size = chat::descriptor_size + json.size() + content.size();
    // A batch stays well under the queue bound, or a reader that keeps up would be cut off.
    std::size_t batch_limit = std::min<std::uint64_t>(256 * 1024, options_.max_queue / 8);
    if (batch_bytes_ + size > batch_limit) {
        relay_batch();
    }
    batch_.push_back({d.type, std::move(json), content});
    batch_bytes_ += size;
}

void Session::relay_batch() {
    if (batch_.empty()) {
        return;
    }
    // One block, messages back to back: the content is copied once here (out of the receive
    // buffer), then shared by every recipient.
    auto message = std::make_shared<WireMessage>();
    message->size = batch_bytes_;
    message->bytes = std::make_unique_for_overwrite<char[]>(message->size);
    char* out = message->bytes.get();
    for (const auto& item : batch_) {
        chat::encode_descriptor(
            {item.type, static_cast<std::uint16_t>(item.header.size()), 0, item.content.size()},
            out);
        out += chat::descriptor_size;
        out = std::copy(item.header.begin(), item.header.end(), out);
        out = std::copy(item.content.begin(), item.content.end(), out);
    }
    batch_.clear();  // keeps its capacity
    batch_bytes_ = 0;
    relayed_ = true;
    room_.relay(message, *this, nullptr);
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
    chat::ServerHeader header{username_, "0000-00-00T00:00:00.000Z", parsed.header.filename,
                              parsed.header.to, std::nullopt};
    std::size_t header_size = chat::to_json(header).size();
    if (header_size > chat::max_server_header_size) {
        send_error(ErrorType::bad_message, "header too long to relay");
        co_return co_await skip(d.content_size);
    }
    auto message = std::make_shared<WireMessage>();
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
    if (auto error = check_message(d, parsed, {content, d.content_size}, room_)) {
        send_error(ErrorType::bad_message, *error);
        co_return asio::error_code{};
    }
    header.timestamp = chat::format_timestamp(std::chrono::system_clock::now());
    std::string json = chat::to_json(header);
    chat::encode_descriptor({d.type, static_cast<std::uint16_t>(header_size), 0, d.content_size},
                            bytes);
    std::memcpy(bytes + chat::descriptor_size, json.data(), header_size);  // same size: see above
    room_.relay(message, *this, header.to ? room_.find(*header.to) : nullptr);
    co_return asio::error_code{};
}

void Session::send_error(std::error_code kind, const std::string& error) {
    logger_.report(peer_, kind, "{}{}", course::printable(error),
                   username_.empty() ? "" : " (" + course::printable(username_) + ")");
    deliver(make_error(error));
}

void Session::fail(std::error_code kind, const std::string& error) {
    send_error(kind, error);
    linger_ = true;
    done_reading_ = true;
    mark_closing();  // the sweep cuts the drain after the grace period
}

void Session::say_goodbye() {
    // The shutdown broadcast's Error is the last message: enqueue() takes it even from a
    // session that is stopping, deliver() takes nothing after it (stop_ is set).
    mark_closing();
    enqueue(make_error(std::string(kShuttingDown)));
    done_reading_ = true;  // the writer sends it, then closes
}

// ------------------------------------------------------------------ writing
void Session::deliver(const Outgoing& message) {
    if (!alive_ || stop_ != Stop::none) {
        return;
    }
    if (queued_bytes_ + message->size > options_.max_queue) {
        logger_.report(peer_, ErrorType::slow_reader, "over {} bytes queued and not written{}",
                       options_.max_queue,
                       username_.empty() ? "" : " (" + course::printable(username_) + ")");
        close();  // the reader sees the socket closed and leaves the room: Logout goes out
        return;
    }
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
            // Everything queued goes out in one gather write: one system call for many
            // messages (redis does the same), and never a copy of their bytes.
            std::swap(pending_, writing_);
            buffers_.clear();
            for (const auto& message : writing_) {
                buffers_.emplace_back(message->bytes.get(), message->size);
            }
            auto [error, n] = co_await asio::async_write(socket_, buffers_, use_tuple);
            if (error) {
                if (aborted_) {
                    logger_.report(peer_, ErrorType::write_timeout,
                                   "did not read its last messages in time");
                } else if (alive_) {
                    logger_.report(peer_, ErrorType::client_vanished, "write: {}", error.message());
                }
                close();
                co_return;
            }
            for (const auto& message : writing_) {
                queued_bytes_ -= message->size;
            }
            writing_.clear();  // keeps its capacity: no allocation on the next round
        }
    } catch (const std::exception& failure) {  // see read_messages()
        logger_.report(peer_, ErrorType::failed, "{}", failure.what());
        close();
        co_return;
    }
    if (alive_) {
        // All said: FIN. After an Error the reader drains what the peer still sends (see
        // drain()); otherwise we are done, and so is the reader once the socket is closed.
        asio::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        if (!linger_) {
            close();
        }
    }
}

void Session::close() {
    if (!alive_) {
        return;
    }
    alive_ = false;
    asio::error_code ignored;
    socket_.close(ignored);  // wakes the reader (it leaves the room) and the writer
    wake_.cancel();
}

void Session::stop(Stop why) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
        if (self->stop_ != Stop::none || self->done_reading_ || !self->alive_) {
            return;  // already on its way out: its last message is said or being said
        }
        self->stop_ = why;
        if (why == Stop::shutdown) {
            // Not socket_.cancel() as in v4: that would also cut the writer's write short,
            // in the middle of a message. The writer closes the socket once all is sent.
            self->say_goodbye();
        } else if (!self->logged_in()) {  // it may have logged in since the sweep looked
            self->logger_.report(
                self->peer_, ErrorType::timeout, "no login within {} s",
                std::chrono::duration<double>(self->options_.login_timeout).count());
            self->close();
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
