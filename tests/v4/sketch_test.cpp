// The readiness-loop sketch of v4's lesson (v4-async/sketch/poll_echo.cpp): one thread,
// poll() and non-blocking sockets, several clients served at once. The lesson shows it
// running; this keeps it true.
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.hpp"

namespace course::test {
namespace {

TEST(V4Sketch, OneThreadWithPollServesSeveralClientsAtOnce) {
    std::string path = bin_dir() + "/v4-poll-sketch";
    if (::access(path.c_str(), X_OK) != 0)
        GTEST_SKIP() << path << " is not built";
    Process sketch(path, {"0"});
    auto line = sketch.read_stdout_line(deadline_in(5s));
    ASSERT_TRUE(line && line->starts_with("listening on 127.0.0.1:")) << sketch.stderr_text();
    auto port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    auto first = connect_to("127.0.0.1", port, "first");
    auto second = connect_to("127.0.0.1", port, "second");
    ASSERT_TRUE(first && second);
    ASSERT_TRUE(first->send("one "));  // the first stays connected, mid-line
    EXPECT_TRUE(first->expect_bytes("one "));
    ASSERT_TRUE(second->send("two\n"));  // and the second is served meanwhile
    EXPECT_TRUE(second->expect_bytes("two\n"));
    std::string big(1 << 20, 'x');  // a megabyte: many reads, echoed whole and in order
    ASSERT_TRUE(first->send(big, 10s));
    first->half_close();
    std::string echoed = "one " + first->read_to_eof(10s);
    EXPECT_EQ(echoed.size(), 4 + big.size());
    EXPECT_TRUE(first->peer_closed());
}

}  // namespace
}  // namespace course::test
