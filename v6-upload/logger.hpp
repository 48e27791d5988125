// Logger: seed 003's `Logger` struct, which appends every error to server.log so that it
// can be read after the server has stopped. Here an spdlog logger with a file sink.
//
// Each entry is one line: time, peer, kind (an ErrorType, see error.hpp), detail:
//   2026-11-22 17:40:03.412 [127.0.0.1:51234] message too long: a line of 2000 bytes
// The same entry also goes to stderr, through the course's default logger.
//
// No peer may make the log grow without bound: the file rotates (at 10 MiB it becomes
// server.log.1, and at most 3 old files are kept), and what a peer can repeat (a refusal,
// an accept error) goes through a LogThrottle: one line a second at most, with a count.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

class Logger {
public:
    // Opens (appends to) `path`; throws spdlog::spdlog_ex when it cannot.
    explicit Logger(const std::string& path);

    template <typename... Args>
    void report(const asio::ip::tcp::endpoint& peer, std::error_code kind,
                fmt::format_string<Args...> detail, Args&&... args) {
        write(peer_name(peer), kind, fmt::format(detail, std::forward<Args>(args)...));
    }
    void report(std::string_view peer, std::error_code kind, std::string_view detail) {
        write(peer, kind, detail);
    }

    static std::string peer_name(const asio::ip::tcp::endpoint& peer);  // "127.0.0.1:51234"

private:
    void write(std::string_view peer, std::error_code kind, std::string_view detail);

    std::shared_ptr<spdlog::logger> file_;
};

// "At most one line a second, and say how many were left out." One per thing that can
// repeat (a connection's refusals, the acceptor's errors); used from one executor only.
//   if (throttle.allow(now)) log("... ({} more left out)", throttle.take_skipped());
class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;

    // True when a second has passed since the last line allowed; otherwise counts one more
    // line left out and answers false.
    bool allow(Clock::time_point now) {
        if (now < next_) {
            ++skipped_;
            return false;
        }
        next_ = now + std::chrono::seconds(1);
        return true;
    }
    // How many lines were left out since the last call (and starts counting anew).
    std::uint64_t take_skipped() { return std::exchange(skipped_, 0); }

private:
    Clock::time_point next_{};  // the first line is always allowed
    std::uint64_t skipped_ = 0;
};

// A connection's budget of refusals: a peer that earns more than 64 in one second is not
// making mistakes, it is making work for us (each refusal is a reply and maybe a log line),
// and is told so and closed. Counted per second: the count starts anew a second after the
// first refusal it holds.
class ErrorBudget {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::uint32_t kPerSecond = 64;

    // Counts one refusal; false once more than kPerSecond fell within one second.
    bool spend(Clock::time_point now) {
        if (now - window_start_ >= std::chrono::seconds(1)) {
            window_start_ = now;
            spent_ = 0;
        }
        ++spent_;
        return spent_ <= kPerSecond;
    }

private:
    Clock::time_point window_start_{};
    std::uint32_t spent_ = 0;
};
