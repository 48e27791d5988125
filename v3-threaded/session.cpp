#include "session.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace {

constexpr std::size_t kMaxLine = 1024;  // bytes, not counting the "\r\n" or "\n"
constexpr std::string_view kTooLong = "error: message too long (max 1024 bytes)\n";

}  // namespace

void Session::run() {
    std::array<char, 4096> buffer;
    for (;;) {
        std::size_t received = client_.read_some(buffer);
        if (received == 0) {  // EOF: the client is done sending. Every complete line
            break;            // was answered already; what is left is unterminated.
        }
        std::string replies;
        bool go_on = on_bytes({buffer.data(), received}, replies);
        client_.write_all(replies);  // one write for all the lines of this read
        if (!go_on) {
            return;
        }
    }
    if (!pending_.empty() || discarding_) {
        spdlog::info("{} closed in the middle of a line; {} bytes dropped", client_.peer_name(),
                     pending_.size());
    }
}

bool Session::on_bytes(std::string_view bytes, std::string& replies) {
    while (!bytes.empty()) {
        auto newline = bytes.find('\n');
        std::string_view piece = bytes.substr(0, newline);  // all of it if no "\n"
        bytes.remove_prefix(newline == std::string_view::npos ? bytes.size() : newline + 1);

        if (!discarding_) {
            // A line may end in "\r\n", so up to kMaxLine + 1 bytes can still be a line
            // that fits. Past that it is too long, whatever comes next: say so now, and
            // drop the rest of it as it arrives instead of storing it.
            if (pending_.size() + piece.size() > kMaxLine + 1) {
                replies += kTooLong;
                pending_.clear();
                discarding_ = true;
            } else {
                pending_ += piece;
            }
        }
        if (newline == std::string_view::npos) {
            break;  // the line goes on in the next read
        }
        if (discarding_) {
            discarding_ = false;  // the "\n" of the long line: the next line is served
            continue;
        }
        std::string_view line = pending_;
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        bool go_on = answer(line, replies);
        pending_.clear();
        if (!go_on) {
            return false;
        }
    }
    return true;
}

bool Session::answer(std::string_view line, std::string& replies) {
    if (line.size() > kMaxLine) {  // 1025 bytes and a "\n": one too many
        replies += kTooLong;
        return true;
    }
    if (line == "exit") {
        replies += "bye\n";
        return false;
    }
    replies += line;
    replies += '\n';
    return true;
}
