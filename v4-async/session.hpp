// Session: one client connection, served by one coroutine.
//
// v3 gave each connection a thread: a stack of megabytes, most of it waiting in read().
// Here a connection is a coroutine: a small frame on the heap, suspended at each co_await
// while the io_context serves the others. Ten thousand of them cost a few megabytes.
//
// The hot path (read, answer, write) allocates nothing and takes no lock: the replies are
// written in place into the receive buffer (protocol.hpp) and go out in one write per read.
// The buffer is small (512 bytes) and grows once, to 2 KiB, only for a line longer than
// that, because an idle connection should cost little: 10 000 of them are the point.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "logger.hpp"
#include "protocol.hpp"

class Shutdown;

class Session : public std::enable_shared_from_this<Session> {
public:
    using Clock = std::chrono::steady_clock;
    // Why a session ends before its client does. write_timeout is an idle stop that came
    // while the session waited to write: the client is not silent, it does not read.
    enum class Stop : std::uint8_t { none, idle, write_timeout, too_many_errors, shutdown, exit };

    Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer, Shutdown& shutdown,
            Logger& logger, Clock::duration idle_timeout);

    // The whole life of the connection: join the Shutdown list, serve lines, say goodbye,
    // close, leave the list. The coroutine's frame owns `self`, so the session lives
    // exactly as long as its coroutine.
    static asio::awaitable<void> run(std::shared_ptr<Session> self);

    // Over the connection cap: the stage's one-line refusal, written without waiting
    // (a fresh socket's send buffer is empty), then the socket is closed. The server logs
    // it (a flood of newcomers gets one entry a second, with a count).
    static void turn_away(asio::ip::tcp::socket socket);

    // Called from any thread (the idle sweep, the shutdown broadcast): both post the work
    // to the session's own executor, so the socket is only ever touched from there.
    void stop(Stop why);  // cancel what the session waits for; it says goodbye and closes
    void abort();         // close the socket now (the goodbye took too long)

    asio::any_io_executor executor() { return socket_.get_executor(); }

    // Read by the sweep from another thread, hence atomics (plain loads/stores on x86).
    Clock::time_point last_heard() const {
        return Clock::time_point(Clock::duration(last_heard_.load(std::memory_order_relaxed)));
    }
    bool closing() const { return closing_.load(std::memory_order_relaxed); }

private:
    friend class Shutdown;  // for the list hooks below

    asio::awaitable<void> serve();                 // until EOF, error, exit or stop
    asio::awaitable<bool> send(std::size_t size);  // buffer_[0, size), all of it
    asio::awaitable<void> say_goodbye(std::string_view last_line);
    asio::awaitable<void> drain();  // read and drop until the peer closes or is quiet
    void keep_rest(const LineEcho::Answer& answer);  // move the rest to the front
    bool refused(unsigned count);  // counts and logs refusals; false: over the budget
    void heard() {
        last_heard_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    }
    void mark_closing() {
        heard();  // from now on last_heard_ is when the goodbye began
        closing_.store(true, std::memory_order_relaxed);
    }

    // How long a closing session waits for more input before it closes: see drain().
    static constexpr std::chrono::milliseconds kDrainQuiet{250};
    static constexpr std::size_t kSmallBuffer = 512;
    // Room for the longest rest (1025 bytes) plus a good read after it.
    static constexpr std::size_t kLargeBuffer = 2048;

    asio::ip::tcp::socket socket_;
    asio::ip::tcp::endpoint peer_;
    Shutdown& shutdown_;
    Logger& logger_;
    Clock::duration idle_timeout_;

    Session* prev_ = nullptr;  // Shutdown's intrusive list of live sessions
    Session* next_ = nullptr;
    std::atomic<Clock::rep> last_heard_;
    std::atomic<bool> closing_{false};

    // Touched only on the session's executor:
    Stop stop_ = Stop::none;
    bool aborted_ = false;
    LineEcho echo_;
    LogThrottle refusal_log_;       // a line over the limit is logged once a second at most
    ErrorBudget errors_;            // more than 64 refusals in a second: too many errors
    std::size_t used_ = 0;          // buffer_[0, used_): the rest of a line
    std::size_t unsent_begin_ = 0;  // replies a stop interrupted: sent before
    std::size_t unsent_end_ = 0;    //   the goodbye line, so no line is cut
    char* buffer_ = small_;
    std::size_t capacity_ = kSmallBuffer;
    std::unique_ptr<char[]> large_;  // only after a long line
    char small_[kSmallBuffer];
};
