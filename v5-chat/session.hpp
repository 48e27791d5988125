// Session: one client connection, on v4's skeleton (run, stop, abort, the Shutdown list),
// served by TWO coroutines: a reader that decodes what the client sends, and ONE writer
// that owns the socket's sending side and drains a bounded queue.
//
// Why one writer: in v4 only the connection's own coroutine wrote to its socket. Here the
// room writes to bob whenever anyone speaks. Two async_writes in flight on one socket may
// interleave their bytes, and a message cut in half by another one breaks the framing for
// good. The room never writes; it only queues (deliver), and the writer sends everything
// queued in one call.
//
// Its code is in four files, as the lesson tells it: session.cpp (a connection's life, the
// login, refusals and errors), session_reader.cpp (reading and framing),
// session_writer.cpp (the writer and its queue) and session_fast_path.cpp (batching and
// yielding: there for speed only; the server is correct without it).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "logger.hpp"
#include "protocol.hpp"
#include "room.hpp"

class Shutdown;
struct ServerOptions;

class Session : public std::enable_shared_from_this<Session> {
public:
    using Clock = std::chrono::steady_clock;
    enum class Stop : std::uint8_t { none, login_timeout, shutdown };

    Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer, Shutdown& shutdown,
            Logger& logger, Room& room, const ServerOptions& options);

    // The whole life of the connection: join the Shutdown list, read and write until both
    // sides are done, leave the room, close, leave the list. The coroutine's frame owns
    // `self`, so the session lives exactly as long as its coroutine.
    static asio::awaitable<void> run(std::shared_ptr<Session> self);

    // Over the connection cap: the stage's one-line refusal, written without waiting
    // (a fresh socket's send buffer is empty), then the socket is closed. The server logs
    // it (a flood of newcomers gets one entry a second, with a count).
    static void turn_away(asio::ip::tcp::socket socket);

    // Called by the sweep and the shutdown broadcast: both post the work to the session's
    // own executor, so the socket is only ever touched from there.
    void stop(Stop why);  // login timeout: close; shutdown: an Error, then close
    void abort();         // close the socket now (the goodbye took too long)

    asio::any_io_executor executor() { return socket_.get_executor(); }

    // Read by the sweep, hence atomics (plain loads/stores on x86). last_heard() is when
    // the connection opened, and once it is closing, when its goodbye began.
    Clock::time_point last_heard() const {
        return Clock::time_point(Clock::duration(last_heard_.load(std::memory_order_relaxed)));
    }
    bool closing() const { return closing_.load(std::memory_order_relaxed); }
    bool logged_in() const { return logged_in_.load(std::memory_order_relaxed); }

    // Queues a message for this client. A client with more than --max-queue bytes queued
    // and not yet written is cut off here: it never slows the room down.
    void deliver(const Outgoing& message);

    const std::string& username() const { return username_; }

private:
    friend class Shutdown;  // for the list hooks below

    // ---- session.cpp: login, refusals, errors, the stop
    void handle_login(std::string_view header);
    // A refusal that keeps the connection open (BadLogin, BadUsername, an Error): answered,
    // logged once a second at most, and paid for from the error budget.
    void refuse(std::error_code kind, const std::string& detail, const Outgoing& answer);
    void send_error(std::error_code kind, const std::string& error);  // refuse() with an Error
    void fail(std::error_code kind, const std::string& error);        // Error, then close
    void say_goodbye();               // the shutdown's Error, then close
    void close();                     // close now: timeout, overflow, failure
    std::string user_suffix() const;  // " (alice)" once logged in, for log lines
    // The checks every relayed message passes; an error text, or nothing when it may go out.
    // The header a relayed message gets: from us, at `timestamp`, its `to`, and for a File,
    // Image or Voice always a harmless file name (see chat::relayed_filename).
    chat::ServerHeader relay_header(std::uint16_t type, const chat::ClientHeader& client,
                                    std::string timestamp) const;
    std::optional<std::string> check_message(const chat::Descriptor& descriptor,
                                             const chat::ParsedClientHeader& parsed,
                                             std::string_view content) const;

    // ---- session_reader.cpp: reading and framing
    asio::awaitable<void> read_messages();                // until Logout, EOF, an error or a stop
    asio::awaitable<asio::error_code> read_message();     // one message, or a batch of them
    bool refuse_oversized(const chat::Decoded& decoded);  // true: refused, closing
    asio::awaitable<asio::error_code> read_before_login(const chat::Descriptor& descriptor);
    asio::awaitable<asio::error_code> read_after_login(const chat::Descriptor& descriptor);
    // A message to relay whose content is still on its way: read straight into its place.
    asio::awaitable<asio::error_code> handle_message(const chat::Descriptor& descriptor,
                                                     std::string_view header);
    void report_read_end(const asio::error_code& error);
    asio::awaitable<void> drain();  // read and drop until the peer closes
    // The receive buffer: bytes [begin_, end_) of buffer_ are read but not yet used.
    std::string_view buffered() const { return {buffer_.data() + begin_, end_ - begin_}; }
    void consume(std::size_t n) { begin_ += n; }
    // As v4's reads: an error code back (eof, reset, our own close), never an exception.
    asio::awaitable<asio::error_code> fill(std::size_t n);  // until n bytes are buffered
    asio::awaitable<asio::error_code> read_into(char* out, std::uint64_t n);
    asio::awaitable<asio::error_code> skip(std::uint64_t n);

    // ---- session_fast_path.cpp: speed only (batching, yielding)
    // A complete message to relay, already in the receive buffer: checked, then relayed,
    // or (a message to everyone) added to the batch.
    asio::awaitable<void> relay_buffered(const chat::Decoded& decoded);
    void handle_buffered(const chat::Descriptor& descriptor, std::string_view header,
                         std::string_view content);
    // Relays the batch as ONE block. Called before anything else happens on this session
    // (an await, an Error, a private message), so the order everyone sees is unchanged.
    void relay_batch();
    // After work for others (a relay, a refusal): let the other sessions run before the
    // next message, even when the next one is already in the buffer.
    asio::awaitable<void> yield_if_due();

    // ---- session_writer.cpp: the writer and its queue
    asio::awaitable<void> write_messages();             // until the reader is done and all is sent
    asio::awaitable<asio::error_code> write_pending();  // all that is queued, in one write
    void finish_writing();                              // FIN, and close unless draining
    void enqueue(const Outgoing& message);              // deliver() without its checks

    void heard() {
        last_heard_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    }
    void mark_closing() {
        heard();  // from now on last_heard_ is when the goodbye began
        closing_.store(true, std::memory_order_relaxed);
    }

    asio::ip::tcp::socket socket_;
    asio::ip::tcp::endpoint peer_;
    Shutdown& shutdown_;
    Logger& logger_;
    Room& room_;
    const ServerOptions& options_;

    Session* prev_ = nullptr;  // Shutdown's intrusive list of live sessions
    Session* next_ = nullptr;
    std::atomic<Clock::rep> last_heard_;
    std::atomic<bool> closing_{false};
    std::atomic<bool> logged_in_{false};

    // Touched only on the session's executor:
    Stop stop_ = Stop::none;
    bool aborted_ = false;
    std::string username_;  // empty until logged in

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
    bool yield_due_ = false;    // worked for others since the reader last let them run
    bool mid_message_ = false;  // a descriptor is read, the rest of its message not yet
    LogThrottle refusal_log_;   // a connection's refusals: one log line a second at most
    ErrorBudget error_budget_;  // more than 64 refusals in a second: "too many errors"

    // Big enough to take many small messages in one read, and always one descriptor plus
    // the biggest header (fill() relies on it).
    static constexpr std::size_t read_buffer_size = 64 * 1024;
    static_assert(read_buffer_size >= chat::descriptor_size + chat::max_header_size);
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;

    std::vector<Outgoing> pending_;  // queued by deliver()
    std::vector<Outgoing> writing_;  // being written by the writer
    std::vector<asio::const_buffer> buffers_;
    std::uint64_t queued_bytes_ = 0;  // pending_ + writing_
    asio::steady_timer wake_;         // the idle writer waits on it; deliver() cancels it
    bool writer_idle_ = false;
    bool alive_ = true;          // false once closed: deliver() drops everything
    bool done_reading_ = false;  // the writer flushes what is queued, then closes
    bool linger_ = false;        // after an Error: drain the peer's input before closing
};
