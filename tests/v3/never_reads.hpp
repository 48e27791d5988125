// A client that never reads, pinned so that it stays stuck: the v3 tests' way to hold a
// worker (or the console) in a blocked send() for as long as the test needs.
#pragma once

#include <sys/socket.h>

#include <string>

#include "harness.hpp"

namespace course::test {

// Connects, is served (one echo), then sends lines without reading until nothing more goes
// through: its worker is blocked in send(), writing echoes nobody reads, holding the
// connection's write lock. The receive buffer is made small and fixed first: left to grow,
// TCP would open the window a little now and then, the worker's send would finish, and a
// worker caught reading might leave by itself.
inline Connection never_reading_client(Server& server, const std::string& name,
                                       bool pin_receive_buffer = true) {
    auto client = server.connect(name);
    int small = 4096;
    if (pin_receive_buffer) {
        EXPECT_EQ(::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    }
    EXPECT_TRUE(client.send("I am " + name + "\n"));
    EXPECT_TRUE(client.expect_line("I am " + name));
    std::string lines;
    for (int i = 0; i < 1000; ++i)
        lines += "unread " + std::string(100, 'u') + "\n";
    EXPECT_TRUE(flood_until_stalled(client, lines, 200ms)) << client.label() << " never stalled";
    return client;
}

}  // namespace course::test
