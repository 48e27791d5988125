#include "protocol.hpp"

#include <cstring>

namespace {

std::size_t put(char* buffer, std::size_t at, std::string_view text) {
    std::memcpy(buffer + at, text.data(), text.size());
    return at + text.size();
}

}  // namespace

LineEcho::Answer LineEcho::answer(char* buffer, std::size_t kept, std::size_t end) {
    Answer result;
    std::size_t out = 0;  // where the next reply goes; never past the bytes not yet framed
    framer_.feed(buffer, kept, end);
    while (auto frame = framer_.next()) {
        if (frame->kind == LineFramer::Frame::Kind::too_long) {
            out = put(buffer, out, kTooLong);
            ++result.too_long;
        } else if (frame->line == "exit") {
            result.reply_size = put(buffer, out, kBye);
            result.exit = true;
            return result;  // whatever came after `exit` is not answered
        } else {
            std::memmove(buffer + out, frame->line.data(), frame->line.size());
            out += frame->line.size();
            buffer[out++] = '\n';
        }
    }
    result.reply_size = out;
    result.rest = framer_.rest();
    return result;
}
