#include "logger.hpp"

#include <spdlog/sinks/rotating_file_sink.h>

namespace {

// The file grows to 10 MiB, then becomes PATH.1 (PATH.1 becomes PATH.2 ...), and the
// oldest beyond PATH.3 is deleted: at most 40 MiB of log, whatever the peers do.
constexpr std::size_t kLogFileBytes = 10 * 1024 * 1024;
constexpr std::size_t kOldLogFiles = 3;

}  // namespace

Logger::Logger(const std::string& path)
    : file_(std::make_shared<spdlog::logger>(
          "errors", std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, kLogFileBytes,
                                                                           kOldLogFiles))) {
    file_->set_pattern("%Y-%m-%d %H:%M:%S.%e %v");  // local time, to the millisecond
    // Flush every entry: the point of the file is to be read, also while the server runs
    // and after it crashed. Errors are rare next to echoes, so the write() it costs is too.
    file_->flush_on(spdlog::level::trace);
}

std::string Logger::peer_name(const asio::ip::tcp::endpoint& peer) {
    auto address = peer.address();
    return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), peer.port())
                           : fmt::format("{}:{}", address.to_string(), peer.port());
}

void Logger::write(std::string_view peer, std::error_code kind, std::string_view detail) {
    // [v4 step 5] Append the entry to the log file too (file_), not only to stderr.
    file_->warn("[{}] {}: {}", peer, kind.message(), detail);
    // [/v4 step 5]
    spdlog::warn("[{}] {}: {}", peer, kind.message(), detail);
}
