#include "session.hpp"

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "error.hpp"
#include "logger.hpp"
#include "shutdown.hpp"

namespace {

// as_tuple: a failed operation answers (error, bytes) instead of throwing. A client that
// closes or resets is everyday business for a server, not an exception, and with 10 000
// clients coming and going exceptions would cost real time.
const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer,
                 Shutdown& shutdown, Logger& logger, Clock::duration idle_timeout)
    : socket_(std::move(socket)),
      peer_(peer),
      shutdown_(shutdown),
      logger_(logger),
      idle_timeout_(idle_timeout) {
    heard();
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
    Session& s = *self;
    if (s.shutdown_.join(s)) {
        co_await s.serve();
    } else {
        s.stop_ = Stop::shutdown;  // accepted just as the server began to stop
    }
    switch (s.stop_) {
        case Stop::shutdown: co_await s.say_goodbye(kShuttingDown); break;
        case Stop::idle:
            s.logger_.report(s.peer_, ErrorType::timeout, "silent for {} s",
                             std::chrono::duration<double>(s.idle_timeout_).count());
            co_await s.say_goodbye(kIdleTimeout);
            break;
        case Stop::write_timeout:
            s.logger_.report(s.peer_, ErrorType::write_timeout,
                             "does not read: its answers waited {} s to be written",
                             std::chrono::duration<double>(s.idle_timeout_).count());
            co_await s.say_goodbye(kWriteTimeout);  // heard only if it still reads at all
            break;
        case Stop::too_many_errors:
            s.logger_.report(s.peer_, ErrorType::too_many_errors,
                             "more than {} refusals within a second; closed",
                             ErrorBudget::kPerSecond);
            co_await s.say_goodbye(kTooManyErrors);
            break;
        case Stop::exit: co_await s.drain(); break;
        case Stop::none:  // EOF or an error: nothing left to say
            break;
    }
    asio::error_code ignored;
    s.socket_.close(ignored);
    s.shutdown_.leave(s);  // the last thing: after this the server may be gone
}

void Session::turn_away(asio::ip::tcp::socket socket) {
    asio::error_code error;
    // A plain (synchronous) write: 19 bytes into an empty send buffer never wait.
    asio::write(socket, asio::buffer(kServerFull), error);
    // FIN first: the peer reads the line, then EOF. A close with its first line still
    // unread could otherwise turn into a reset that destroys ours before it is read.
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    socket.close(error);
}

asio::awaitable<void> Session::serve() {
    // [v4 step 1] no_delay, non_blocking; loop: read, echo_.answer, refused(), send(), keep_rest().
    // [starter] co_return;
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // answers leave at once
    socket_.non_blocking(true, ignored);  // lets send() try a plain write() first

    for (;;) {
        auto [error, n] = co_await socket_.async_read_some(
            asio::buffer(buffer_ + used_, capacity_ - used_), use_tuple);
        if (stop_ != Stop::none) {
            co_return;  // told to stop while we waited: what arrived meanwhile is dropped
        }
        if (error == asio::error::eof) {  // the client is done; its complete lines are answered
            if (used_ > 0 || echo_.discarding()) {
                logger_.report(peer_, ErrorType::incomplete_line,
                               "closed after {} bytes without a newline; dropped",
                               echo_.discarding() ? kMaxLine + 1 : used_);
            }
            co_return;
        }
        if (error) {
            logger_.report(peer_, ErrorType::client_vanished, "read: {}", error.message());
            co_return;
        }
        heard();

        auto answer = echo_.answer(buffer_, used_, used_ + n);
        bool within_budget = refused(answer.too_long);
        if (answer.reply_size > 0 && !co_await send(answer.reply_size)) {
            co_return;
        }
        if (!within_budget) {  // its refusals went out; then it is told why it is closed
            stop_ = Stop::too_many_errors;
            mark_closing();
            co_return;
        }
        if (answer.exit) {
            stop_ = Stop::exit;
            mark_closing();
            co_return;
        }
        keep_rest(answer);
    }
    // [/v4 step 1]
}

asio::awaitable<bool> Session::send(std::size_t size) {
    // [v4 step 6] Try one plain write_some() first; co_await async_write only for what is left.
    // [starter] auto [error, sent] =
    // [starter]     co_await asio::async_write(socket_, asio::buffer(buffer_, size), use_tuple);
    // Most of the time the kernel's send buffer has room: one plain non-blocking write()
    // and we are done, without suspending the coroutine at all.
    asio::error_code error;
    std::size_t sent = socket_.write_some(asio::buffer(buffer_, size), error);
    if (sent < size && (!error || error == asio::error::would_block)) {
        // No room: the client reads slower than it sends. Wait for room, and read nothing
        // meanwhile: TCP's flow control then slows the client down, and this connection
        // never holds more than its one buffer, however much the client floods.
        auto [write_error, more] = co_await asio::async_write(
            socket_, asio::buffer(buffer_ + sent, size - sent), use_tuple);
        sent += more;
        error = write_error;
    }
    // [/v4 step 6]
    if (sent == size && stop_ == Stop::none) {  // a stop as the write ended cancelled nothing
        co_return true;
    }
    if (stop_ != Stop::none) {  // stopped mid-write: the goodbye sends the rest first
        unsent_begin_ = sent;
        unsent_end_ = size;
        if (stop_ == Stop::idle && sent < size) {
            stop_ = Stop::write_timeout;  // not silent: we stopped reading it, it does not read
        }
    } else {
        logger_.report(peer_, ErrorType::client_vanished, "write: {}", error.message());
    }
    co_return false;
}

asio::awaitable<void> Session::say_goodbye(std::string_view last_line) {
    // [v4 step 3] mark_closing(); the replies a stop cut short and last_line in one write; drain().
    // [starter] (void)last_line;
    // [starter] co_return;
    mark_closing();
    // Whatever replies a stop interrupted go first, then the last line: no line is cut.
    std::array<asio::const_buffer, 2> goodbye{
        asio::buffer(buffer_ + unsent_begin_, unsent_end_ - unsent_begin_),
        asio::buffer(last_line)};
    auto [error, n] = co_await asio::async_write(socket_, goodbye, use_tuple);
    if (error && aborted_) {
        if (stop_ != Stop::write_timeout) {  // a write timeout has its log entry already
            logger_.report(peer_, ErrorType::write_timeout, "did not read its last line in time");
        }
    } else if (error) {
        logger_.report(peer_, ErrorType::client_vanished, "write: {}", error.message());
    } else {
        co_await drain();  // the client may still be sending: no reset for it
    }
    // [/v4 step 3]
}

asio::awaitable<void> Session::drain() {
    // After our last line (`bye`, or a goodbye): shut our sending side, so the client reads
    // EOF right after that line, then read and drop what the client still sends, until it
    // closes too or has been quiet for kDrainQuiet. Closing at once while its lines are
    // still arriving would make the kernel answer them with a reset, and a reset can
    // destroy our last line before the client reads it
    // (../v1-basic-echo/README.md#the-life-of-a-tcp-connection). Bounded: besides the quiet
    // rule, a drain that lasts longer than kGoodbyeGrace is aborted (the idle sweep; at
    // shutdown, the server's grace timer).
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    asio::steady_timer quiet(socket_.get_executor());
    for (;;) {
        quiet.expires_after(kDrainQuiet);
        quiet.async_wait([self = shared_from_this()](asio::error_code error) {
            if (!error) {
                asio::error_code ignored;
                self->socket_.cancel(ignored);  // quiet long enough: the read below ends
            }
        });
        auto [error, n] =
            co_await socket_.async_read_some(asio::buffer(buffer_, capacity_), use_tuple);
        if (error) {
            co_return;  // EOF, the quiet timer, an abort, or a reset
        }
    }
}

void Session::keep_rest(const LineEcho::Answer& answer) {
    std::memmove(buffer_, answer.rest.data(), answer.rest.size());
    used_ = answer.rest.size();
    if (capacity_ - used_ < kSmallBuffer / 2 && !large_) {
        // A long line is on its way: grow once, for good. Bounded: the framer never keeps
        // a rest over kMaxRest (1025) bytes, so 2 KiB always leaves room to read.
        large_ = std::make_unique_for_overwrite<char[]>(kLargeBuffer);
        std::memcpy(large_.get(), buffer_, used_);
        buffer_ = large_.get();
        capacity_ = kLargeBuffer;
    }
}

bool Session::refused(unsigned count) {
    // Each refusal costs the same as an echo (one reply in the same write), and spends from
    // the budget. The log gets one entry a second at most, with how many were left out.
    // [v4 step 5] Spend one refusal per too-long line from errors_; log them, throttled.
    // [starter] (void)count;
    // [starter] return true;
    auto now = Clock::now();
    bool within_budget = true;
    for (unsigned i = 0; i < count; ++i) {
        within_budget = errors_.spend(now) && within_budget;
        if (refusal_log_.allow(now)) {
            auto skipped = refusal_log_.take_skipped();
            logger_.report(peer_, ErrorType::message_too_long, "a line over {} bytes{}", kMaxLine,
                           skipped ? fmt::format(" ({} more since the last entry)", skipped) : "");
        }
    }
    return within_budget;
    // [/v4 step 5]
}

void Session::stop(Stop why) {
    // [v4 step 3] On the session's executor: record why, mark_closing(), cancel the socket.
    // [starter] (void)why;
    asio::post(socket_.get_executor(), [self = shared_from_this(), why] {
        asio::error_code ignored;
        if (self->stop_ == Stop::none) {
            self->stop_ = why;
            self->mark_closing();
            self->socket_.cancel(ignored);  // the pending read (or write) ends: operation_aborted
        } else if (why == Stop::shutdown && self->stop_ == Stop::exit) {
            self->socket_.close(ignored);  // draining after `bye`: no need to wait at shutdown
        }
    });
    // [/v4 step 3]
}

void Session::abort() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->aborted_ = true;
        asio::error_code ignored;
        self->socket_.close(ignored);  // whatever it waits for ends with operation_aborted
    });
}
