#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

// Big enough to take many small messages in one read, and always one descriptor plus the
// biggest header (fill() relies on it).
static constexpr std::size_t read_buffer_size = 64 * 1024;
static_assert(read_buffer_size >= chat::descriptor_size + chat::max_header_size);
// After an Error that closes the connection: how long we keep draining the peer's input.
static constexpr auto linger_time = std::chrono::seconds(1);

Session::Session(tcp::socket socket, Room& room, const Settings& settings)
    : socket_(std::move(socket)),
      room_(room),
      settings_(settings),
      buffer_(read_buffer_size),
      wake_(socket_.get_executor()),
      deadline_(socket_.get_executor()) {
    asio::error_code error;
    auto endpoint = socket_.remote_endpoint(error);
    peer_ = error ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    socket_.set_option(tcp::no_delay(true), error);  // we batch ourselves; no Nagle delay
    wake_.expires_at(asio::steady_timer::time_point::max());
}

void Session::start() {
    auto self = shared_from_this();  // each coroutine keeps the session alive while it runs
    asio::co_spawn(
        socket_.get_executor(), [self] { return self->reader(); }, asio::detached);
    asio::co_spawn(
        socket_.get_executor(), [self] { return self->writer(); }, asio::detached);
    deadline_.expires_after(settings_.login_timeout);
    deadline_.async_wait([self](asio::error_code error) {
        if (!error && !self->logged_in_) {
            spdlog::info("{}: no login in time, closing", self->peer_);
            self->stop();
        }
    });
}

// ------------------------------------------------------------------ reading
awaitable<void> Session::fill(std::size_t n) {
    if (begin_ + n > buffer_.size()) {  // not enough room behind begin_: move the rest to the front
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    while (end_ - begin_ < n) {
        end_ += co_await socket_.async_read_some(
            asio::buffer(buffer_.data() + end_, buffer_.size() - end_), use_awaitable);
    }
}

awaitable<void> Session::read_into(char* out, std::uint64_t n) {
    std::size_t from_buffer = std::min<std::uint64_t>(n, end_ - begin_);
    std::memcpy(out, buffer_.data() + begin_, from_buffer);
    consume(from_buffer);
    if (n > from_buffer) {  // the rest goes straight from the socket to its final place
        co_await asio::async_read(socket_, asio::buffer(out + from_buffer, n - from_buffer),
                                  use_awaitable);
    }
}

awaitable<void> Session::skip(std::uint64_t n) {
    while (n > 0) {
        if (begin_ == end_) {
            co_await fill(1);
        }
        std::size_t k = std::min<std::uint64_t>(n, end_ - begin_);
        consume(k);
        n -= k;
    }
}

awaitable<void> Session::reader() {
    const chat::Limits limits{chat::max_header_size, settings_.max_content};
    bool mid_message = false;
    try {
        while (alive_ && !done_reading_) {
            if (buffered().size() < chat::descriptor_size) {
                relay_batch();  // before every wait: what came in one read goes out together
                if (begin_ == end_) {
                    begin_ = end_ = 0;  // empty: start again at the front, no memmove later
                }
                co_await fill(chat::descriptor_size);
            }
            mid_message = true;
            chat::Decoded decoded = chat::decode(buffered(), limits);
            const chat::Descriptor d = decoded.descriptor;
            // Refused on the descriptor alone: we never read (or allocate) what is too big.
            if (decoded.status == chat::Status::header_too_large) {
                relay_batch();
                fail("header of " + std::to_string(d.header_size) + " bytes is over the limit of " +
                     std::to_string(chat::max_header_size));
                break;
            }
            if (decoded.status == chat::Status::content_too_large) {
                relay_batch();
                fail("content of " + std::to_string(d.content_size) +
                     " bytes is over the limit of " + std::to_string(settings_.max_content));
                break;
            }
            if (decoded.status == chat::Status::complete && logged_in_ &&
                chat::carries_content(d.type)) {
                handle_buffered(d, decoded.header, decoded.content);  // the fast path
                consume(decoded.size);
                mid_message = false;
                if (relayed_) {
                    // Let the writers run before we relay more: a burst read in one go must
                    // not pile up in queues (and cut off readers that keep up) meanwhile.
                    relayed_ = false;
                    co_await asio::post(socket_.get_executor(), use_awaitable);
                }
                continue;
            }
            relay_batch();
            if (logged_in_ && d.type == static_cast<std::uint16_t>(chat::MessageType::Logout)) {
                done_reading_ = true;  // the writer flushes what is queued, then closes
                break;
            }
            if (logged_in_ && !chat::carries_content(d.type)) {
                fail("unexpected " + chat::type_name(d.type) + " message after login");
                break;  // on the descriptor alone: its header may never come
            }
            co_await fill(chat::descriptor_size + d.header_size);
            std::string header(buffered().substr(chat::descriptor_size, d.header_size));
            consume(chat::descriptor_size + d.header_size);

            if (!logged_in_) {
                co_await skip(d.content_size);  // a Login has none; anything else is dropped
                if (d.type == static_cast<std::uint16_t>(chat::MessageType::Login)) {
                    handle_login(header);
                } else {
                    static const Outgoing bad_login = make_message(chat::MessageType::BadLogin);
                    deliver(bad_login);
                }
            } else {
                co_await handle_message(d, header);  // content still on its way
            }
            mid_message = false;
        }
    } catch (const std::system_error& error) {
        if (alive_) {
            spdlog::info("{} ({}): {}{}", peer_, username_, error.code().message(),
                         mid_message ? " in the middle of a message" : "");
        }
    }
    relay_batch();  // a safety net: every exit above has relayed the batch already
    room_.leave(*this);
    done_reading_ = true;
    if (writer_idle_) {
        wake_.cancel();
    }
}

void Session::handle_login(std::string_view header) {
    static const Outgoing bad_username = make_message(chat::MessageType::BadUsername);
    static const Outgoing username_exists = make_message(chat::MessageType::UsernameExists);
    auto name = chat::login_username(header);
    auto problem = name ? chat::check_username(*name) : chat::UsernameProblem::empty;
    if (problem != chat::UsernameProblem::none) {
        spdlog::info("{}: bad username: {}", peer_, chat::describe(problem));
        deliver(bad_username);
        return;  // the client may try again on this connection
    }
    username_ = *name;
    if (!room_.join(shared_from_this())) {
        spdlog::info("{}: username {} is taken", peer_, username_);
        username_.clear();
        deliver(username_exists);
        return;
    }
    logged_in_ = true;
    deadline_.cancel();  // the login timeout is over
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
    auto parsed = chat::parse_client_header(header_bytes);
    if (auto error = check_message(d, parsed, content, room_)) {
        relay_batch();  // what she sent before comes back before the Error
        send_error(*error);
        return;
    }
    chat::ServerHeader header{username_, chat::format_timestamp(std::chrono::system_clock::now()),
                              parsed.header.filename, parsed.header.to, std::nullopt};
    std::string json = chat::to_json(header);
    if (json.size() > chat::max_server_header_size) {
        relay_batch();
        send_error("header too long to relay");
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
    std::size_t batch_limit = std::min<std::uint64_t>(256 * 1024, settings_.max_queue / 8);
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

awaitable<void> Session::handle_message(const chat::Descriptor& d, std::string_view header_bytes) {
    auto parsed = chat::parse_client_header(header_bytes);
    if (!parsed.error.empty()) {
        co_await skip(d.content_size);
        send_error(parsed.error);
        co_return;
    }
    // The server header has the same length whatever the timestamp (always 24 characters),
    // so we can size the whole message now and read the content straight into its place.
    chat::ServerHeader header{username_, "0000-00-00T00:00:00.000Z", parsed.header.filename,
                              parsed.header.to, std::nullopt};
    std::size_t header_size = chat::to_json(header).size();
    if (header_size > chat::max_server_header_size) {
        co_await skip(d.content_size);
        send_error("header too long to relay");
        co_return;
    }
    auto message = std::make_shared<WireMessage>();
    message->size = chat::descriptor_size + header_size + d.content_size;
    // Not zero-filled: pages of a big file are only touched as its bytes actually arrive.
    message->bytes = std::make_unique_for_overwrite<char[]>(message->size);
    char* bytes = message->bytes.get();
    char* content = bytes + chat::descriptor_size + header_size;
    co_await read_into(content, d.content_size);

    if (auto error = check_message(d, parsed, {content, d.content_size}, room_)) {
        send_error(*error);
        co_return;
    }
    header.timestamp = chat::format_timestamp(std::chrono::system_clock::now());
    std::string json = chat::to_json(header);
    if (json.size() != header_size) {  // cannot happen: a timestamp is always 24 characters
        send_error("internal error: header size changed");
        co_return;
    }
    chat::encode_descriptor({d.type, static_cast<std::uint16_t>(header_size), 0, d.content_size},
                            bytes);
    std::memcpy(bytes + chat::descriptor_size, json.data(), json.size());
    room_.relay(message, *this, header.to ? room_.find(*header.to) : nullptr);
}

void Session::send_error(const std::string& error) {
    spdlog::info("{} ({}): error: {}", peer_, username_, error);
    chat::ServerHeader header{std::string(chat::server_name),
                              chat::format_timestamp(std::chrono::system_clock::now()),
                              std::nullopt, std::nullopt, error};
    deliver(make_message(chat::MessageType::Error, chat::to_json(header)));
}

void Session::fail(const std::string& error) {
    send_error(error);
    linger_ = true;
    done_reading_ = true;
}

// ------------------------------------------------------------------ writing
void Session::deliver(const Outgoing& message) {
    if (!alive_) {
        return;
    }
    if (queued_bytes_ + message->size > settings_.max_queue) {
        spdlog::warn("{} ({}): over {} bytes queued and not written, disconnecting", peer_,
                     username_, settings_.max_queue);
        stop();  // the reader sees the socket closed and leaves the room: Logout goes out
        return;
    }
    pending_.push_back(message);
    queued_bytes_ += message->size;
    if (writer_idle_) {
        wake_.cancel();
    }
}

awaitable<void> Session::writer() {
    try {
        for (;;) {
            if (pending_.empty()) {
                if (done_reading_ || !alive_) {
                    break;
                }
                writer_idle_ = true;
                asio::error_code cancelled;
                co_await wake_.async_wait(asio::redirect_error(use_awaitable, cancelled));
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
            co_await asio::async_write(socket_, buffers_, use_awaitable);
            for (const auto& message : writing_) {
                queued_bytes_ -= message->size;
            }
            writing_.clear();  // keeps its capacity: no allocation on the next round
        }
        if (alive_) {
            // All said: FIN. After an Error, keep reading (and dropping) what the peer still
            // sends for a moment: closing with unread input would send a reset, which can
            // destroy our Error before the peer has read it.
            socket_.shutdown(tcp::socket::shutdown_send);
            if (linger_) {
                auto self = shared_from_this();
                deadline_.expires_after(linger_time);
                deadline_.async_wait([self](asio::error_code error) {
                    if (!error) {
                        self->stop();
                    }
                });
                for (;;) {  // until EOF, an error, or the deadline closes the socket
                    co_await socket_.async_read_some(asio::buffer(buffer_), use_awaitable);
                }
            }
        }
    } catch (const std::system_error&) {
        // the peer is gone, or we were stopped: nothing more to write
    }
    stop();
}

void Session::stop() {
    if (!alive_) {
        return;
    }
    alive_ = false;
    asio::error_code ignored;
    socket_.close(ignored);  // wakes the reader (it leaves the room) and the writer
    wake_.cancel();
    deadline_.cancel();
}
