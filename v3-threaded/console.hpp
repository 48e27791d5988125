// Console: the operator's voice. Each line typed on the server's stdin goes to every
// client being served, as "server: LINE\n" (seed 004's v3chat lets the operator talk to
// clients the same way).
//
// The console has a thread of its own, because reading stdin blocks. At the end of stdin
// (Ctrl-D, or stdin is /dev/null) only the console stops; the server goes on serving.
#pragma once

#include <thread>

#include "clients.hpp"

class Console {
public:
    explicit Console(Clients& clients);  // starts the console's thread
    // Stops the console, even while it waits for a line, and joins its thread.
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

private:
    void run();

    Clients& clients_;
    // The self-pipe: the destructor writes a byte to wake_[1]; run() waits for stdin *or*
    // wake_[0] with poll(). A thread blocked in read(stdin) could not be told to stop.
    int wake_[2] = {-1, -1};
    std::thread thread_;  // last: it starts once the members above exist
};
