// The course contract (docs/contract.md), "v1-basic-echo": one read (at most 1024 bytes),
// one write, close; one client at a time.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "transcript.hpp"

namespace course::test {
namespace {

const Stage& v1() { return stage("v1"); }

TEST(V1Server, EchoesOneMessageAndCloses) {
    auto server = Server::start(v1());
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("hello world\n"));
    EXPECT_TRUE(c.expect_bytes("hello world\n"));
    EXPECT_TRUE(c.expect_eof());
}

TEST(V1Server, Echoes1024BytesInOneRead) {
    auto server = Server::start(v1());
    auto c = server->connect("c");
    std::string message(1024, 'm');
    ASSERT_TRUE(c.send(message));
    EXPECT_TRUE(c.expect_bytes(message));
    EXPECT_TRUE(c.expect_eof());
}

TEST(V1Server, ReadsAtMost1024Bytes) {
    // The lesson's flaw, pinned down: one read, so at most 1024 bytes come back.
    auto server = Server::start(v1());
    auto c = server->connect("c");
    ASSERT_TRUE(c.send(std::string(3000, 'a')));
    std::string reply = c.read_to_eof();
    EXPECT_LE(reply.size(), 1024u);
    EXPECT_FALSE(reply.empty());
    EXPECT_EQ(reply, std::string(reply.size(), 'a'));
}

TEST(V1Server, EchoesBinaryBytesIntact) {
    auto server = Server::start(v1());
    auto c = server->connect("c");
    std::string binary("\0\x01\xff\r\n\x7f zero\0", 13);
    ASSERT_TRUE(c.send(binary));
    EXPECT_TRUE(c.expect_bytes(binary));
}

TEST(V1Server, ASecondClientWaitsUntilTheFirstIsDone) {
    auto server = Server::start(v1());
    auto first = server->connect("first");    // connects, sends nothing: holds the server
    auto second = server->connect("second");  // accepted by the kernel, not yet by v1
    ASSERT_TRUE(second.send("me too\n"));
    EXPECT_TRUE(second.expect_silence(300ms));
    ASSERT_TRUE(first.send("first\n"));
    EXPECT_TRUE(first.expect_bytes("first\n"));
    EXPECT_TRUE(second.expect_bytes("me too\n", 10s));
}

TEST(V1Server, AClientThatSendsNothingAndLeavesIsForgotten) {
    auto server = Server::start(v1());
    server->connect("silent").close();
    auto next = server->connect("next");
    ASSERT_TRUE(next.send("next\n"));
    EXPECT_TRUE(next.expect_bytes("next\n", 10s));
}

TEST(V1Server, AClientThatVanishesIsForgotten) {
    auto server = Server::start(v1());
    server->connect("vanishing").reset();
    auto next = server->connect("next");
    ASSERT_TRUE(next.send("still up\n"));
    EXPECT_TRUE(next.expect_bytes("still up\n", 10s));
}

TEST(V1Client, SendsItsWordsAsOneLineAndPrintsTheReply) {
    auto server = Server::start(v1());
    ClientRun r =
        run_client(v1().client_path(), {"--address", server->address(), "hello", "there"}, "");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_TRUE(expect_printed(r, "hello there\n"));
}

TEST(V1Client, ARefusedConnectionIsAClearMessageAndExitOne) {
    auto probe = Server::start(v1());
    std::string address = probe->address();
    ASSERT_EQ(probe->stop(SIGKILL, 5s), 128 + SIGKILL);
    ClientRun r = run_client(v1().client_path(), {"--address", address, "hello"}, "");
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(r.err.find("refused"), std::string::npos) << escape(r.err);
}

TEST(V1Client, NoMessageIsExitTwo) {
    ClientRun r = run_client(v1().client_path(), {}, "");
    EXPECT_EQ(r.exit_status, 2) << escape(r.err);
}

TEST(V1Lesson, TheTranscriptMatchesARealRun) { EXPECT_TRUE(replay_transcript(v1())); }

}  // namespace
}  // namespace course::test
