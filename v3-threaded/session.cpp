#include "session.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <span>

namespace {

constexpr std::string_view kTooLong = "error: message too long (max 1024 bytes)\n";

}  // namespace

void Session::run() {
    std::string replies;  // reused: after the first reads, answering allocates nothing
    for (;;) {
        std::size_t received = client_.read_some(std::span(buffer_).subspan(kept_));
        if (received == 0) {  // EOF: the client is done sending. Every complete line
            break;            // was answered already; what is left is unterminated.
        }
        framer_.feed(buffer_.data(), kept_, kept_ + received);
        replies.clear();
        bool go_on = answer_lines(replies);
        client_.write_all(replies);  // one write for all the lines of this read
        if (!go_on) {
            return;
        }
        std::string_view rest = framer_.rest();
        std::memmove(buffer_.data(), rest.data(), rest.size());
        kept_ = rest.size();
    }
    if (kept_ > 0 || framer_.discarding()) {
        spdlog::info("{} closed in the middle of a line; {} bytes dropped", client_.peer_name(),
                     kept_);
    }
}

bool Session::answer_lines(std::string& replies) {
    while (auto frame = framer_.next()) {
        if (frame->kind == LineFramer::Frame::Kind::too_long) {
            replies += kTooLong;
            continue;
        }
        if (frame->line == "exit") {
            replies += "bye\n";
            return false;
        }
        replies += frame->line;
        replies += '\n';
    }
    return true;
}
