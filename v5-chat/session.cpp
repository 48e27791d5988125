#include "session.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "course/logging.hpp"
#include "error.hpp"
#include "server.hpp"
#include "shutdown.hpp"

namespace {

constexpr std::string_view kShuttingDown = "server shutting down";
constexpr std::string_view kTooManyErrors = "too many errors";

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
    // As in v4: a message leaves at once, never held back (Nagle's algorithm) until the
    // peer acknowledges the one before, which its delayed ACK may postpone by 40 ms.
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
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

void Session::turn_away(asio::ip::tcp::socket socket) {
    asio::error_code error;
    // A fresh Error (its timestamp is now), written with a plain synchronous write: about
    // 80 bytes into an empty send buffer never wait.
    Outgoing refusal = chat::make_error("server full");
    asio::write(socket, asio::buffer(refusal->bytes.get(), refusal->size), error);
    // FIN first: the peer reads the Error, then EOF. A close with its Login still unread
    // could otherwise turn into a reset that destroys the Error before it is read.
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    socket.close(error);
}

// ------------------------------------------------------------------ login
void Session::handle_login(std::string_view header) {
    // [v5 step 1] Take the name (login_username), refuse a bad one (check_username), join the room.
    // [starter] static_cast<void>(header);
    static const Outgoing bad_username = chat::make_message(chat::MessageType::BadUsername);
    static const Outgoing username_exists = chat::make_message(chat::MessageType::UsernameExists);
    auto name = chat::login_username(header);
    auto problem = name ? chat::check_username(*name) : chat::UsernameProblem::empty;
    if (problem != chat::UsernameProblem::none) {
        refuse(ErrorType::bad_username,
               fmt::format("{}: {}", course::printable(name.value_or(std::string(header))),
                           chat::describe(problem)),
               bad_username);
        return;  // the client may try again on this connection
    }
    username_ = *name;
    if (!room_.join(shared_from_this())) {
        std::string taken = course::printable(username_) + ": taken";
        username_.clear();
        refuse(ErrorType::bad_username, taken, username_exists);
        return;
    }
    logged_in_.store(true, std::memory_order_relaxed);  // the login sweep leaves us alone now
    // [/v5 step 1]
}

std::optional<std::string> Session::check_message(const chat::Descriptor& d,
                                                  const chat::ParsedClientHeader& parsed,
                                                  std::string_view content) const {
    if (!parsed.error.empty()) {
        return parsed.error;
    }
    if (d.type == static_cast<std::uint16_t>(chat::MessageType::Utf8) &&
        !chat::is_valid_utf8(content)) {
        return "Utf8 content is not valid UTF-8";
    }
    if (parsed.header.to && !room_.find(*parsed.header.to)) {
        return "unknown user '" + *parsed.header.to + "'";
    }
    return std::nullopt;
}

chat::ServerHeader Session::relay_header(std::uint16_t type, const chat::ClientHeader& client,
                                         std::string timestamp) const {
    auto filename = chat::relayed_filename(type, client.filename, std::chrono::system_clock::now());
    return {username_, std::move(timestamp), std::move(filename), client.to, std::nullopt};
}

// ------------------------------------------------------------------ refusals and errors
void Session::refuse(std::error_code kind, const std::string& detail, const Outgoing& answer) {
    // [v5 step 4] Spend the error budget (spent: fail, "too many errors"); log once a second.
    // [starter] logger_.report(peer_, kind, "{}{}", detail, user_suffix());
    auto now = Clock::now();
    // A refusal is work for us (a reply, perhaps a log line) that a peer can ask for in a
    // loop. Like Redis with a client that breaks the protocol, we stop answering: past the
    // budget, one last Error and the connection is closed.
    if (!error_budget_.spend(now)) {
        fail(ErrorType::bad_message, std::string(kTooManyErrors));
        return;
    }
    if (refusal_log_.allow(now)) {
        auto skipped = refusal_log_.take_skipped();
        logger_.report(peer_, kind, "{}{}{}", detail, user_suffix(),
                       skipped ? fmt::format(" ({} more left out)", skipped) : "");
    }
    // [/v5 step 4]
    deliver(answer);
    yield_due_ = true;  // as after a relay: bad input costs what good input costs
}

void Session::send_error(std::error_code kind, const std::string& error) {
    // The log shows what the peer sent (escaped by printable); the peer gets it cleaned,
    // so that its header needs no JSON escape either.
    refuse(kind, course::printable(error), chat::make_error(chat::without_escapes(error)));
}

void Session::fail(std::error_code kind, const std::string& error) {
    logger_.report(peer_, kind, "{}{}", course::printable(error), user_suffix());
    deliver(chat::make_error(error));
    linger_ = true;
    done_reading_ = true;
    mark_closing();  // the sweep cuts the drain after the grace period
}

void Session::say_goodbye() {
    // [v5 step 4] Queue the Error "server shutting down" as the last message; the writer closes.
    // [starter] close();  // the client learns nothing
    // The shutdown broadcast's Error is the last message: enqueue() takes it even from a
    // session that is stopping, deliver() takes nothing after it (stop_ is set).
    mark_closing();
    enqueue(chat::make_error(kShuttingDown));
    done_reading_ = true;  // the writer sends it, then closes
    // [/v5 step 4]
}

std::string Session::user_suffix() const {
    return username_.empty() ? "" : " (" + course::printable(username_) + ")";
}

// ------------------------------------------------------------------ closing and stopping
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
        if (why == Stop::login_timeout && self->logged_in()) {
            return;  // it logged in since the sweep looked: nothing to stop
        }
        self->stop_ = why;
        if (why == Stop::shutdown) {
            // Not socket_.cancel() as in v4: that would also cut the writer's write short,
            // in the middle of a message. The writer closes the socket once all is sent.
            self->say_goodbye();
        } else {
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
