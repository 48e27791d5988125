// The course contract (docs/contract.md), "v3-threaded", client side: v3-client prints what
// the server says as it comes, operator lines too, while it sends the lines typed on stdin.
// (The client contract shared with v2 and v4 is in tests/echo/.)
#include <gtest/gtest.h>

#include "../v2/test_listener.hpp"
#include "harness.hpp"
#include "transcript.hpp"

namespace course::test {
namespace {

const Stage& v3() { return stage("v3"); }

TEST(V3Client, PrintsOperatorLinesWithoutWaitingForInput) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    auto server = Server::start(v3());
    Process client(v3().client_path(), {"--address", server->address()});
    client.write_stdin("hello\n");
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "hello") << server->describe();
    // Nothing typed now: a lockstep client (v2's) would print this only after the next line.
    server->process().write_stdin("are you there?\n");
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "server: are you there?")
        << server->describe();
    client.write_stdin("yes\n");
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "yes");
    client.close_stdin();  // half-close: the server answers the rest and closes, we exit 0
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

TEST(V3Client, ExitsZeroWhenTheServerStops) {
    REQUIRE_FEATURE(v3(), Feature::GracefulStop);
    auto server = Server::start(v3());
    Process client(v3().client_path(), {"--address", server->address()});
    client.write_stdin("one\n");
    ASSERT_EQ(client.read_stdout_line(deadline_in(5s)), "one");
    // Then quiet, as a client between two lines is: nothing more for 200 ms, and the worker
    // serving it waits in recv(), where only the stop's wake-up can reach it.
    EXPECT_EQ(client.read_stdout_line(deadline_in(200ms)), std::nullopt);
    EXPECT_EQ(server->stop(SIGTERM), 0);
    // stdin is still open: the client notices the server closed all the same.
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

TEST(V3Client, AResetAfterTheLastAnswerIsTheServerClosing) {
    // A server that answers and then vanishes with a reset (it closed with our bytes
    // unread, or it crashed) has closed all the same: the client prints the answer and
    // exits 0, without waiting for more input.
    TestListener listener;
    Process client(v3().client_path(), {"--address", listener.address()});
    client.write_stdin("hello\n");
    auto server_side = listener.accept(5s);
    ASSERT_TRUE(server_side) << "the client did not connect";
    ASSERT_TRUE(server_side->expect_line("hello"));
    ASSERT_TRUE(server_side->send("hello\n"));
    server_side->reset();
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "hello");
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << escape(client.stderr_text());
}

TEST(V3Lesson, TheTranscriptMatchesARealRun) { EXPECT_TRUE(replay_transcript(v3())); }

}  // namespace
}  // namespace course::test
