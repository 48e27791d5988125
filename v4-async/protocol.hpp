// The echo line protocol (docs: SPEC "The echo line protocol"), answered in place.
//
// v2 and v3 copy each line out of the receive buffer into a std::string and write the
// answer from there. With thousands of clients that is a malloc per line and a write per
// line. Here the answers are written into the very buffer the bytes arrived in: an answer
// is never longer than the bytes it answers ("a\r\n" -> "a\n", "exit\n" -> "bye\n",
// 1025+ bytes -> a 42-byte error), so the answers of one read fit in front of what is still
// unread, and go out together in one write. No allocation, no copy but a memmove.
#pragma once

#include <cstddef>
#include <string_view>

constexpr std::size_t kMaxLine = 1024;  // bytes, without the "\r\n" or "\n"

constexpr std::string_view kTooLong = "error: message too long (max 1024 bytes)\n";
constexpr std::string_view kBye = "bye\n";
constexpr std::string_view kIdleTimeout = "error: idle timeout\n";
constexpr std::string_view kShuttingDown = "server shutting down\n";

// One connection's position in the protocol: are we inside a line too long to answer?
class LineEcho {
public:
    struct Answer {
        std::size_t reply_size = 0;  // buffer[0, reply_size) is what to send back
        std::size_t rest_begin = 0;  // buffer[rest_begin, end): the unterminated line so far,
        std::size_t rest_size = 0;   //   to keep for the next read (at most kMaxLine + 1)
        unsigned too_long = 0;       // lines answered with kTooLong
        bool exit = false;           // an `exit` line: kBye is the last reply, close after it
    };

    // buffer[0, carried) is the start of a line kept from the last read (its rest), and
    // buffer[carried, end) has just arrived. Rewrites buffer[0, reply_size) with the replies.
    Answer answer(char* buffer, std::size_t carried, std::size_t end);

    // True while the rest of a too-long line is being dropped.
    bool discarding() const { return discarding_; }

private:
    bool discarding_ = false;
};
