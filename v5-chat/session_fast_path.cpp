// The session's fast path: there for speed only, and the server is correct without it
// (remove it and every message takes the reader's ordinary path).
//
// - Batching: messages to everyone that arrived in one read are relayed as ONE block, so
//   each recipient's queue gets one pointer, and its writer one buffer, for hundreds of
//   small messages.
// - Yielding: after work for others (a relay, a refusal) the reader lets the other sessions
//   run before its next message, even one already in the buffer. A coroutine that never
//   waits never gives the thread back: one fast sender would starve the room.
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "error.hpp"
#include "server.hpp"
#include "session.hpp"

asio::awaitable<void> Session::relay_buffered(const chat::Decoded& decoded) {
    handle_buffered(decoded.descriptor, decoded.header, decoded.content);
    consume(decoded.size);
    mid_message_ = false;
    co_return;  // read_messages() yields next, if this relayed anything
}

void Session::handle_buffered(const chat::Descriptor& d, std::string_view header_bytes,
                              std::string_view content) {
    auto parsed = chat::parse_client_header(d.type, header_bytes);
    if (auto error = check_message(d, parsed, content)) {
        relay_batch();  // what she sent before comes back before the Error
        send_error(ErrorType::bad_message, *error);
        return;
    }
    auto header = relay_header(d.type, parsed.header,
                               chat::format_timestamp(std::chrono::system_clock::now()));
    std::string json = chat::to_json(header);
    if (json.size() > chat::max_server_header_size) {
        relay_batch();
        send_error(ErrorType::bad_message, "header too long to relay");
        return;
    }
    if (header.to) {  // private: to two people, right now, after what came before
        relay_batch();
        yield_due_ = true;
        room_.relay(chat::make_message(static_cast<chat::MessageType>(d.type), json, content),
                    *this, room_.find(*header.to));
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
    auto message = std::make_shared<chat::WireMessage>();
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
    yield_due_ = true;
    room_.relay(message, *this, nullptr);
}

asio::awaitable<void> Session::yield_if_due() {
    if (!yield_due_) {
        co_return;
    }
    // A burst read in one go must not pile up in queues (and cut off readers that keep up)
    // meanwhile, nor may a flood of bad messages keep everyone else waiting.
    yield_due_ = false;
    co_await asio::post(socket_.get_executor(), asio::use_awaitable);
}
