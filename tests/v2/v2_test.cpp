// The course contract (docs/contract.md), "v2-loop-echo": what v2 adds beyond the shared
// echo contract (tests/echo/): its lockstep client, and one client at a time.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "test_listener.hpp"
#include "transcript.hpp"

namespace course::test {
namespace {

const Stage& v2() { return stage("v2"); }

TEST(V2Server, ServesOneClientAtATimeInArrivalOrder) {
    auto server = Server::start(v2());
    auto first = server->connect("first");
    ASSERT_TRUE(first.send("1\n"));
    ASSERT_TRUE(first.expect_line("1"));
    auto second = server->connect("second");
    ASSERT_TRUE(second.send("2\n"));
    EXPECT_TRUE(second.expect_silence(300ms));  // waits: v2 is busy with `first`
    ASSERT_TRUE(first.send("exit\n"));
    EXPECT_TRUE(first.expect_line("bye"));
    EXPECT_TRUE(second.expect_line("2", 10s));  // now it is served
}

TEST(V2Server, AHalfClosedClientStillGetsItsAnswers) {
    auto server = Server::start(v2());
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("x\ny\n"));
    c.half_close();
    EXPECT_TRUE(c.expect_bytes("x\ny\n"));
    EXPECT_TRUE(c.expect_eof());
}

TEST(V2Client, SendsAnUnterminatedLastLineAsALine) {
    auto server = Server::start(v2());
    ClientRun r = run_client(v2().client_path(), {"--address", server->address()}, "a\nlast");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_TRUE(expect_printed(r, "a\nlast\n"));
}

TEST(V2Client, AResetAfterTheLastAnswerIsTheServerClosing) {
    // A server that answers and then vanishes with a reset (it closed with our bytes
    // unread, or it crashed) has closed all the same: the client prints the answer and
    // exits 0, whether the reset comes before or after its end of input.
    for (bool typing_more : {false, true}) {
        SCOPED_TRACE(typing_more ? "stdin still open" : "stdin at its end");
        TestListener listener;
        Process client(v2().client_path(), {"--address", listener.address()});
        client.write_stdin("hello\n");
        if (!typing_more) {
            client.close_stdin();
        }
        auto server_side = listener.accept(5s);
        ASSERT_TRUE(server_side) << "the client did not connect";
        ASSERT_TRUE(server_side->expect_line("hello"));
        ASSERT_TRUE(server_side->send("hello\n"));
        server_side->reset();
        EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "hello");
        if (typing_more) {
            client.offer_stdin("more\n");  // written into a connection that is gone
        }
        EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << escape(client.stderr_text());
    }
}

TEST(V2Lesson, TheTranscriptMatchesARealRun) { EXPECT_TRUE(replay_transcript(v2())); }

}  // namespace
}  // namespace course::test
