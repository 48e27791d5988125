// A session: one client's conversation under the echo line protocol.
//
// TCP delivers a stream of bytes, not messages: one read may hold half a line, or
// several lines, or the end of one and the start of the next. So the session keeps
// the bytes of an unfinished line until its "\n" arrives, answers every complete line
// in order, and never holds more than one line's worth (1024 bytes) of them.
//
// In v3 the session talks through a SharedStream: the console writes to the same client.
#pragma once

#include <string>
#include <string_view>

#include "shared_stream.hpp"

class Session {
public:
    explicit Session(SharedStream& client) : client_(client) {}

    // Serves the client until it sends `exit` or closes its side; returns when done.
    void run();

private:
    // Frames the bytes of one read into lines and appends their answers to `replies`.
    // Returns false once the client asked to leave (`exit`).
    bool on_bytes(std::string_view bytes, std::string& replies);
    // The answer to one complete line ("\r\n" or "\n" already taken off).
    bool answer(std::string_view line, std::string& replies);

    SharedStream& client_;
    std::string pending_;      // the start of a line whose "\n" has not arrived yet
    bool discarding_ = false;  // the current line was too long: drop it up to its "\n"
};
