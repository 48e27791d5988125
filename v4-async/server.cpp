#include "server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <memory>

#include "error.hpp"
#include "logger.hpp"
#include "session.hpp"

namespace {

const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::ip::tcp::endpoint to_endpoint(const course::Address& address) {
    return {asio::ip::make_address(address.host), address.port};
}

void log_exception(std::exception_ptr error) {  // for co_spawn: a coroutine that threw
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            spdlog::error("unexpected: {}", e.what());
        }
    }
}

}  // namespace

Server::Server(asio::io_context& io, const ServerOptions& options, Logger& logger)
    : io_(io),
      options_(options),
      logger_(logger),
      control_(asio::make_strand(io)),
      // This constructor opens, sets SO_REUSEADDR, binds and listens (backlog SOMAXCONN):
      // v3's four Berkeley calls in one line.
      acceptor_(control_, to_endpoint(options.address)),
      signals_(control_, SIGINT, SIGTERM),
      sweep_timer_(control_),
      shutdown_(control_) {}

course::Address Server::local_address() const {
    auto endpoint = acceptor_.local_endpoint();
    return {endpoint.address().to_string(), endpoint.port()};
}

void Server::start() {
    asio::co_spawn(control_, accept_connections(), log_exception);
    asio::co_spawn(control_, stop_on_signal(), log_exception);
    asio::co_spawn(control_, sweep_idle_sessions(), log_exception);
}

asio::any_io_executor Server::next_session_executor() {
    // [v4 step 2] On several threads, give each session a strand of its own (asio::make_strand).
    // [starter] return io_.get_executor();
    // One thread: the io_context itself; nothing can run concurrently, a strand would only
    // cost. Several threads: a strand per session, so its handlers (its coroutine, a
    // stop() posted by the sweep) never run at the same time on two threads.
    if (options_.threads == 1) {
        return io_.get_executor();
    }
    return asio::make_strand(io_);
    // [/v4 step 2]
}

asio::awaitable<void> Server::accept_connections() {
    asio::steady_timer pause(control_);
    LogThrottle accept_errors;
    asio::error_code ignored;
    acceptor_.non_blocking(true, ignored);  // take_backlog() asks without waiting
    for (;;) {
        asio::ip::tcp::endpoint peer;
        // The new socket is created on the session's executor, not on ours.
        auto [error, socket] =
            co_await acceptor_.async_accept(next_session_executor(), peer, use_tuple);
        if (!acceptor_.is_open()) {
            co_return;  // closed by stop_on_signal: we accept no more
        }
        if (error) {
            // Typically EMFILE, out of file descriptors (the cap below keeps room, but other
            // processes share the limit too). The pending connection stays in the backlog, so
            // retrying at once would spin: pause a little first. Such errors come in bursts:
            // one log entry a second, with a count of those left out.
            if (accept_errors.allow(LogThrottle::Clock::now())) {
                auto skipped = accept_errors.take_skipped();
                logger_.report(
                    Logger::peer_name(acceptor_.local_endpoint()), ErrorType::connection_failed,
                    "accept: " + error.message() +
                        (skipped ? fmt::format(" ({} more since the last entry)", skipped) : ""));
            }
            pause.expires_after(std::chrono::milliseconds(100));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        admit(std::move(socket), peer);
        take_backlog();
    }
}

void Server::take_backlog() {
    // A burst of newcomers (a thousand clients at once) waits in the backlog. Accepting
    // one per turn of the event loop would admit one of them per turn, each turn busy with
    // the work its predecessors caused (a chat's join events go to everyone): take what is
    // waiting now, up to a bound that leaves the loop to the others.
    for (int taken = 0; taken < kAcceptBurst; ++taken) {
        asio::ip::tcp::endpoint peer;
        asio::error_code error;
        asio::ip::tcp::socket socket(next_session_executor());
        acceptor_.accept(socket, peer, error);
        if (error) {
            return;  // would_block, the backlog is empty; or an error the loop meets again
        }
        admit(std::move(socket), peer);
    }
}

void Server::admit(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer) {
    // [v4 step 2] At the cap (live_sessions_), Session::turn_away the newcomer, log it, return.
    if (live_sessions_.load(std::memory_order_relaxed) >= options_.max_connections) {
        // Over the cap: accepted all the same, told so and closed at once. Left in the
        // backlog it would wait there for nothing, its client believing it is connected.
        Session::turn_away(std::move(socket));
        // A flood of newcomers must not flood the log: one entry a second, with a count.
        if (turned_away_.allow(LogThrottle::Clock::now())) {
            auto skipped = turned_away_.take_skipped();
            logger_.report(peer, ErrorType::connection_failed,
                           "over the connection cap ({}): turned away{}", options_.max_connections,
                           skipped ? fmt::format(" ({} more since the last entry)", skipped) : "");
        }
        return;
    }
    // [/v4 step 2]
    auto session = std::make_shared<Session>(std::move(socket), peer, shutdown_, logger_,
                                             options_.idle_timeout);
    auto executor = session->executor();
    live_sessions_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(executor, Session::run(std::move(session)), [this](std::exception_ptr error) {
        log_exception(error);
        live_sessions_.fetch_sub(1, std::memory_order_relaxed);
    });
}

asio::awaitable<void> Server::stop_on_signal() {
    auto [error, number] = co_await signals_.async_wait(use_tuple);
    if (error) {
        co_return;
    }
    spdlog::info("{}: stopping; telling {} connection(s)", number == SIGINT ? "SIGINT" : "SIGTERM",
                 shutdown_.size());
    asio::error_code ignored;
    acceptor_.close(ignored);  // 1. accept no more
    shutdown_.begin();         // 2. the broadcast: every session says goodbye and closes
    sweep_timer_.cancel();

    // 3. Wait for the last session, but not forever: after the grace period, close the
    //    sockets of those still writing (a client that never reads). A second signal
    //    does that at once.
    asio::steady_timer grace(control_, kGoodbyeGrace);
    grace.async_wait([this](asio::error_code e) {
        if (!e) {
            spdlog::warn("{} connection(s) still closing: closing them now", shutdown_.size());
            shutdown_.abort_all();
        }
    });
    signals_.async_wait([this](asio::error_code e, int) {
        if (!e) {
            shutdown_.abort_all();
        }
    });
    co_await shutdown_.all_left();
    grace.cancel();
    signals_.cancel();
    spdlog::info("every connection is closed; bye");
    // Nothing is left to wait for, so io_context::run() returns on every thread.
}

asio::awaitable<void> Server::sweep_idle_sessions() {
    // [v4 step 4] Each period, stop(Stop::idle) sessions silent too long; abort() slow goodbyes.
    // [starter] co_return;
    // One timer for all sessions, not one per session reset on every read: each read just
    // stores the time (Session::heard), and this sweep compares. A timeout fires up to one
    // period late; the period is a quarter of the timeout, at most a second.
    auto period = std::clamp<std::chrono::milliseconds>(
        options_.idle_timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    while (!shutdown_.stopping()) {
        sweep_timer_.expires_after(period);
        auto [error] = co_await sweep_timer_.async_wait(use_tuple);
        if (error || shutdown_.stopping()) {
            co_return;
        }
        auto now = Session::Clock::now();
        shutdown_.for_each([&](Session& session) {
            if (!session.closing() && now - session.last_heard() > options_.idle_timeout) {
                session.stop(Session::Stop::idle);
            } else if (session.closing() && now - session.last_heard() > kGoodbyeGrace) {
                session.abort();  // its goodbye (or the drain after `bye`) takes too long
            }
        });
    }
    // [/v4 step 4]
}
