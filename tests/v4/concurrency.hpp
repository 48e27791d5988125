// Many connections at once, checked with one poll() loop and one deadline (not a deadline
// per connection: 2000 clients times 5 s would be a very long failure).
//
// serve_concurrently is written against a Stage so that any stage can be put under it:
// v4 must pass it; v3 (a pool of 4 threads) must fail it, which proves the test can fail.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.hpp"

namespace course::test {

// Opens `count` connections to `server`, all open at once; sends a distinct line on each
// and expects each echoed within `deadline` (scaled). On success `out` holds them, open.
testing::AssertionResult open_echoing(Server& server, std::size_t count,
                                      std::vector<Connection>& out,
                                      std::chrono::milliseconds deadline = 20s);

// Starts the stage's server (with `server_args`) and checks open_echoing for `count`
// clients: the "2000 concurrent clients" test.
// A stage expected to fail can pass a shorter `deadline`: a failure waits that long.
testing::AssertionResult serve_concurrently(const Stage& stage, std::size_t count = 2000,
                                            const std::vector<std::string>& server_args = {},
                                            std::chrono::milliseconds deadline = 20s);

// Reads from every connection until each has sent exactly `expected` and then closed.
testing::AssertionResult expect_all_then_eof(std::vector<Connection>& connections,
                                             const std::string& expected,
                                             std::chrono::milliseconds deadline = 10s);

// Server options with these extra arguments (designated initialisers would warn about the
// members they leave out).
inline ServerOptions with_args(std::vector<std::string> args, bool pass_address = true) {
    ServerOptions options;
    options.args = std::move(args);
    options.pass_address = pass_address;
    return options;
}

// Raises this process's open-file soft limit to its hard limit; returns the new limit.
std::size_t raise_open_file_limit();

}  // namespace course::test
