#include "protocol.hpp"

#include <cstring>

namespace {

std::size_t put(char* buffer, std::size_t at, std::string_view text) {
    std::memcpy(buffer + at, text.data(), text.size());
    return at + text.size();
}

}  // namespace

LineEcho::Answer LineEcho::answer(char* buffer, std::size_t carried, std::size_t end) {
    Answer result;
    std::size_t out = 0;         // where the next reply goes; never passes `start`
    std::size_t start = 0;       // where the current line starts
    std::size_t scan = carried;  // the carried rest has no '\n': do not search it again

    while (auto* newline = static_cast<char*>(std::memchr(buffer + scan, '\n', end - scan))) {
        std::size_t stop = static_cast<std::size_t>(newline - buffer);
        std::size_t length = stop - start;
        if (length > 0 && buffer[stop - 1] == '\r') {
            --length;  // "\r\n" ends a line like "\n"; any other '\r' is part of the line
        }
        if (discarding_) {
            discarding_ = false;  // the end of a too-long line: already answered
        } else if (length > kMaxLine) {
            out = put(buffer, out, kTooLong);
            ++result.too_long;
        } else if (std::string_view(buffer + start, length) == "exit") {
            result.reply_size = put(buffer, out, kBye);
            result.exit = true;
            return result;  // whatever came after `exit` is not answered
        } else {
            if (out != start) {
                std::memmove(buffer + out, buffer + start, length);
            }
            buffer[out + length] = '\n';
            out += length + 1;
        }
        start = scan = stop + 1;
    }

    // What is left is the start of a line. Keep it, unless it is already too long: more
    // than kMaxLine bytes, or exactly kMaxLine + 1 whose last byte is not a '\r' that a
    // '\n' could still turn into a line ending. So a rest never needs more than 1025 bytes.
    std::size_t rest = end - start;
    if (!discarding_ &&
        (rest > kMaxLine + 1 || (rest == kMaxLine + 1 && buffer[end - 1] != '\r'))) {
        out = put(buffer, out, kTooLong);  // answer now: the client need not finish the line
        ++result.too_long;
        discarding_ = true;
    }
    if (discarding_) {
        start = end;  // drop what we have of the too-long line
    }
    result.reply_size = out;
    result.rest_begin = start;
    result.rest_size = end - start;
    return result;
}
