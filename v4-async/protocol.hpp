// The echo line protocol (docs/contract.md, "The echo line protocol"), answered in place.
//
// v2 and v3 append each answer to a string and write that string. Here the answers are
// written into the very buffer the bytes arrived in: an answer is never longer than the
// bytes it answers ("a\r\n" -> "a\n", "exit\n" -> "bye\n", 1025+ bytes -> the 41-byte
// error), and the LineFramer never reads a byte again once it has framed it, so the answers
// of one read fit in front of what is still unread, and go out together in one write.
// No allocation, no copy but a memmove. The framing itself is v2's line_framer.hpp.
#pragma once

#include <cstddef>
#include <string_view>

#include "line_framer.hpp"

constexpr std::string_view kTooLong = "error: message too long (max 1024 bytes)\n";
constexpr std::string_view kBye = "bye\n";
constexpr std::string_view kIdleTimeout = "error: idle timeout\n";
constexpr std::string_view kWriteTimeout = "error: write timeout\n";
constexpr std::string_view kTooManyErrors = "error: too many errors\n";
constexpr std::string_view kServerFull = "error: server full\n";
constexpr std::string_view kShuttingDown = "server shutting down\n";

// One connection's answers: its framer, and what one read's lines are answered with.
class LineEcho {
public:
    struct Answer {
        std::size_t reply_size = 0;  // buffer[0, reply_size) is what to send back
        std::string_view rest;       // the unterminated line so far, to keep for the next
                                     //   read (at most kMaxRest bytes)
        unsigned too_long = 0;       // lines answered with kTooLong
        bool exit = false;           // an `exit` line: kBye is the last reply, close after it
    };

    // buffer[0, kept) is the rest kept from the last read, and buffer[kept, end) has just
    // arrived. Rewrites buffer[0, reply_size) with the replies.
    Answer answer(char* buffer, std::size_t kept, std::size_t end);

    // True while the rest of a too-long line is being dropped.
    bool discarding() const { return framer_.discarding(); }

private:
    LineFramer framer_;
};
