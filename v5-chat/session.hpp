// One client connection: a reader coroutine that decodes what the client sends, and ONE
// writer coroutine that owns the socket's sending side and drains a bounded queue.
//
// Why one writer: two async_writes in flight on one socket may interleave their bytes,
// and a message cut in half by another one breaks the framing for good. The room never
// writes; it only queues (deliver), and the writer sends everything queued in one call.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol.hpp"
#include "room.hpp"

struct Settings {
    std::uint64_t max_content = chat::default_max_content;  // --max-content
    std::uint64_t max_queue = chat::default_max_queue;      // --max-queue
    std::chrono::milliseconds login_timeout = chat::default_login_timeout;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(asio::ip::tcp::socket socket, Room& room, const Settings& settings);

    // Spawns the reader, the writer and the login timer.
    void start();
    // Queues a message for this client. A client with more than --max-queue bytes queued
    // and not yet written is cut off here: it never slows the room down.
    void deliver(const Outgoing& message);

    const std::string& username() const { return username_; }

private:
    asio::awaitable<void> reader();
    asio::awaitable<void> writer();

    // The receive buffer: bytes [begin_, end_) of buffer_ are read but not yet used.
    std::string_view buffered() const { return {buffer_.data() + begin_, end_ - begin_}; }
    void consume(std::size_t n) { begin_ += n; }
    asio::awaitable<void> fill(std::size_t n);  // until at least n bytes are buffered
    asio::awaitable<void> read_into(char* out, std::uint64_t n);
    asio::awaitable<void> skip(std::uint64_t n);

    void handle_login(std::string_view header);
    // A message to relay whose content is already in the receive buffer: checked, then
    // relayed, or (a message to everyone) added to the batch.
    void handle_buffered(const chat::Descriptor& descriptor, std::string_view header,
                         std::string_view content);
    // A message to relay whose content is still on its way: read straight into its place.
    asio::awaitable<void> handle_message(const chat::Descriptor& descriptor,
                                         std::string_view header);
    // Relays the batch as ONE block. Called before anything else happens on this session
    // (an await, an Error, a private message), so the order everyone sees is unchanged.
    void relay_batch();
    void send_error(const std::string& error);  // the connection stays
    void fail(const std::string& error);        // Error, then close
    void stop();                                // close now (timeout, overflow, failure)

    asio::ip::tcp::socket socket_;
    Room& room_;
    const Settings& settings_;
    std::string peer_;
    std::string username_;  // empty until logged in
    bool logged_in_ = false;

    // Messages to everyone that arrived in one read, waiting to be relayed together: one
    // pointer in each recipient's queue, one buffer in its gather write, for hundreds of
    // them. The content still sits in buffer_ (nothing moves it before relay_batch()).
    struct Batched {
        std::uint16_t type;
        std::string header;
        std::string_view content;
    };
    std::vector<Batched> batch_;
    std::size_t batch_bytes_ = 0;
    bool relayed_ = false;  // relayed something since the reader last let others run

    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;

    std::vector<Outgoing> pending_;  // queued by deliver()
    std::vector<Outgoing> writing_;  // being written by the writer
    std::vector<asio::const_buffer> buffers_;
    std::uint64_t queued_bytes_ = 0;  // pending_ + writing_
    asio::steady_timer wake_;         // the idle writer waits on it; deliver() cancels it
    bool writer_idle_ = false;
    bool alive_ = true;            // false once stopped: deliver() drops everything
    bool done_reading_ = false;    // the writer flushes what is queued, then closes
    bool linger_ = false;          // after an Error: drain the peer's input before closing
    asio::steady_timer deadline_;  // login timeout, then the lingering close
};
