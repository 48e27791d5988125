#include "line_framer.hpp"

#include <cstring>

void LineFramer::feed(const char* buffer, std::size_t kept, std::size_t end) {
    buffer_ = buffer;
    start_ = 0;
    scan_ = kept;
    end_ = end;
}

std::optional<LineFramer::Frame> LineFramer::next() {
    // memchr: the C library's fastest way to find one byte, many bytes per instruction.
    while (const void* found = std::memchr(buffer_ + scan_, '\n', end_ - scan_)) {
        std::size_t newline = static_cast<std::size_t>(static_cast<const char*>(found) - buffer_);
        std::size_t begin = start_;
        start_ = scan_ = newline + 1;
        // [v2 step 5] While discarding_, this "\n" ends the dropped line: clear it, look on.
        if (discarding_) {
            discarding_ = false;  // the end of a line already answered as too long
            continue;
        }
        // [/v2 step 5]
        std::size_t length = newline - begin;
        // [v2 step 2] Leave out one "\r" right before the "\n": it is part of the line ending.
        if (length > 0 && buffer_[newline - 1] == '\r') {
            --length;
        }
        // [/v2 step 2]
        // [v2 step 4] A line over kMaxLine bytes is a too_long frame, not a line.
        if (length > kMaxLine) {
            return Frame{Frame::Kind::too_long, {}};
        }
        // [/v2 step 4]
        return Frame{Frame::Kind::line, {buffer_ + begin, length}};
    }
    scan_ = end_;

    // [v2 step 5] Judge the rest without a "\n" now: too long already? Say so once, drop it.
    // No "\n" in what is left: the start of a line. It is already too long when it has
    // more than kMaxRest bytes, or exactly kMaxRest whose last is not a "\r" (only
    // kMaxLine bytes and "\r\n" may reach that length). Say so now: the client need not
    // finish the line to hear it, and we need not keep it.
    std::size_t rest = end_ - start_;
    bool too_long = rest > kMaxRest || (rest == kMaxRest && buffer_[end_ - 1] != '\r');
    if (discarding_ || too_long) {
        start_ = end_;  // drop it
    }
    if (too_long && !discarding_) {
        discarding_ = true;
        return Frame{Frame::Kind::too_long, {}};
    }
    // [/v2 step 5]
    return std::nullopt;
}
