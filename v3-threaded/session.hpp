// A session: one client's conversation under the echo line protocol.
//
// The bytes of a read go through the LineFramer (line_framer.hpp), which finds the
// complete lines and says what is left: the start of a line whose "\n" has not come yet.
// That rest stays at the front of the buffer and the next read lands after it. Every
// complete line is answered, in order, all the answers of one read in one write.
//
// In v3 the session talks through a SharedStream: the console writes to the same client.
#pragma once

#include <array>
#include <string>

#include "line_framer.hpp"
#include "shared_stream.hpp"

class Session {
public:
    explicit Session(SharedStream& client) : client_(client) {}

    // Serves the client until it sends `exit` or closes its side; returns when done.
    void run();

private:
    // Appends the answers to the lines the framer finds. False once the client asked to
    // leave (`exit`): the lines after it are not answered.
    bool answer_lines(std::string& replies);

    SharedStream& client_;
    LineFramer framer_;
    // A rest (at most kMaxRest bytes) at the front, and room for a good read after it.
    std::array<char, 4096> buffer_;
    std::size_t kept_ = 0;  // buffer_[0, kept_): the rest of the last read
};
