// Logger: seed 003's `Logger` struct, which appends every error to server.log so that it
// can be read after the server has stopped. Here an spdlog logger with a file sink.
//
// Each entry is one line: time, peer, kind (an ErrorType, see error.hpp), detail:
//   2026-11-22 17:40:03.412 [127.0.0.1:51234] message too long: a line of 2000 bytes
// The same entry also goes to stderr, through the course's default logger.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <system_error>

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
