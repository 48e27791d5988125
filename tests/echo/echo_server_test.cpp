// The echo line protocol (docs/contract.md), server side: one test per rule, run against each
// stage with the LineProtocol feature (v2, v3, v4). v1 predates the protocol: its
// instances are visible skips.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace course::test {
namespace {

constexpr size_t kMaxLine = 1024;
const std::string kTooLong = "error: message too long (max 1024 bytes)";

class EchoServer : public testing::TestWithParam<Stage> {
protected:
    void SetUp() override {
        REQUIRE_FEATURE(GetParam(), Feature::LineProtocol);
        server = Server::start(GetParam());
    }
    std::unique_ptr<Server> server;
};

TEST_P(EchoServer, AnswersALine) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("hello\n"));
    EXPECT_TRUE(c.expect_line("hello"));
}

TEST_P(EchoServer, AnswersEveryLineOfOneWriteInOrder) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("one\ntwo\nthree\n"));
    EXPECT_TRUE(c.expect_bytes("one\ntwo\nthree\n"));
}

TEST_P(EchoServer, JoinsALineSplitAcrossWrites) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("hel"));
    ASSERT_TRUE(c.send("lo wor"));
    ASSERT_TRUE(c.send("ld\nsecond"));
    ASSERT_TRUE(c.send(" line\n"));
    EXPECT_TRUE(c.expect_bytes("hello world\nsecond line\n"));
}

TEST_P(EchoServer, KeepsTheStartOfTheNextLineThatCameWithALine) {
    // "first\nsec" arrives in one read. Once "first" is answered, that read is surely
    // over; "sec" must still be waiting in the server's buffer for the rest of its line,
    // not dropped with the read it came in.
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("first\nsec"));
    ASSERT_TRUE(c.expect_line("first"));
    ASSERT_TRUE(c.send("ond\n"));
    EXPECT_TRUE(c.expect_line("second"));
}

TEST_P(EchoServer, JoinsALineSentByteByByte) {
    auto c = server->connect("c");
    for (char byte : std::string("byte by byte\r\nexit\n")) {
        ASSERT_TRUE(c.send(std::string(1, byte)));
    }
    EXPECT_TRUE(c.expect_bytes("byte by byte\nbye\n"));
    EXPECT_TRUE(c.expect_eof());
}

TEST_P(EchoServer, JoinsALineSentByteByByteWithPauses) {
    // Each byte arrives on its own (the pause makes sure): nothing is answered until the
    // "\n", and the "\r" before it, alone in its read, is still a line ending.
    auto c = server->connect("c");
    for (char byte : std::string("slow\r")) {
        ASSERT_TRUE(c.send(std::string(1, byte)));
        ASSERT_TRUE(c.expect_silence(30ms));
    }
    ASSERT_TRUE(c.send("\n"));
    EXPECT_TRUE(c.expect_line("slow"));
}

TEST_P(EchoServer, AnswersAnEmptyLineWithAnEmptyLine) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("\n\r\n"));
    EXPECT_TRUE(c.expect_bytes("\n\n"));
}

TEST_P(EchoServer, DropsOnlyTheCarriageReturnBeforeTheNewline) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("crlf\r\na\rb\nx\r\r\n\rlead\n"));
    EXPECT_TRUE(c.expect_bytes("crlf\na\rb\nx\r\n\rlead\n"));
}

TEST_P(EchoServer, EchoesNulAndEveryOtherByteIntact) {
    auto c = server->connect("c");
    std::string binary;
    for (int b = 0; b < 256; ++b) {
        if (b != '\n' && b != '\r')
            binary += static_cast<char>(b);
    }
    binary += '\0';
    ASSERT_TRUE(c.send(binary + "\n"));
    EXPECT_TRUE(c.expect_line(binary));
}

TEST_P(EchoServer, ExitGetsByeAndThenTheServerCloses) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("before\nexit\n"));
    EXPECT_TRUE(c.expect_bytes("before\nbye\n"));
    EXPECT_TRUE(c.expect_eof());
}

TEST_P(EchoServer, ExitWithCrLfIsExitToo) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("exit\r\n"));
    EXPECT_TRUE(c.expect_line("bye"));
    EXPECT_TRUE(c.expect_eof());
}

TEST_P(EchoServer, LinesAfterExitAreNotAnswered) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("exit\nafter\n"));
    EXPECT_TRUE(c.expect_line("bye"));
    EXPECT_TRUE(c.expect_eof());
}

TEST_P(EchoServer, OnlyTheWholeWordExitCloses) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("exit now\n exit\nEXIT\nexit\n"));
    EXPECT_TRUE(c.expect_bytes("exit now\n exit\nEXIT\nbye\n"));
}

TEST_P(EchoServer, ALineOfExactly1024BytesIsEchoed) {
    auto c = server->connect("c");
    std::string line(kMaxLine, 'x');
    ASSERT_TRUE(c.send(line + "\n" + line + "\r\n"));
    EXPECT_TRUE(c.expect_bytes(line + "\n" + line + "\n"));
}

TEST_P(EchoServer, A1024ByteLineIsNotTooLongWhileItsCrLfIsStillOnTheWay) {
    // 1024 bytes and a "\r" are 1025 bytes without a "\n": not too long yet, since a
    // "\n" may still come and make the "\r" the line's ending.
    auto c = server->connect("c");
    std::string line(kMaxLine, 'x');
    ASSERT_TRUE(c.send(line));
    ASSERT_TRUE(c.expect_silence(50ms));
    ASSERT_TRUE(c.send("\r"));
    // Long enough for a slow server to read the "\r" alone: if it then says "too long",
    // we must hear it now, before the "\n" could join the "\r" in one read and hide it.
    ASSERT_TRUE(c.expect_silence(200ms));
    ASSERT_TRUE(c.send("\n"));
    EXPECT_TRUE(c.expect_line(line));
}

TEST_P(EchoServer, ALineOf1025BytesIsTooLongAndTheConnectionStays) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send(std::string(kMaxLine + 1, 'y') + "\nnext\n"));
    EXPECT_TRUE(c.expect_line(kTooLong));
    EXPECT_TRUE(c.expect_line("next"));
}

TEST_P(EchoServer, ALongLineWithCrLfIsTooLongOnce) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send(std::string(kMaxLine + 1, 'z') + "\r\nafter\n"));
    EXPECT_TRUE(c.expect_line(kTooLong));
    EXPECT_TRUE(c.expect_line("after"));
}

TEST_P(EchoServer, AVeryLongLineGetsOneErrorAndIsDropped) {
    auto c = server->connect("c");
    // 4 MiB in pieces, with no newline until the end: a server that stored it all
    // would still pass, but one that answered it would not.
    std::string piece(64 * 1024, 'q');
    for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE(c.send(piece, 20s));
    }
    ASSERT_TRUE(c.send("\nserved\n"));
    EXPECT_TRUE(c.expect_line(kTooLong, 20s));
    EXPECT_TRUE(c.expect_line("served"));
}

TEST_P(EchoServer, AManyLinePipelineIsAnsweredInOrder) {
    auto c = server->connect("c");
    std::string lines, expected;
    for (int i = 0; i < 2000; ++i) {
        lines += "line " + std::to_string(i) + "\n";
    }
    ASSERT_TRUE(c.send(lines, 20s));
    EXPECT_TRUE(c.expect_bytes(lines, 20s));
}

TEST_P(EchoServer, AtEofEveryCompleteLineIsAnsweredThenTheServerCloses) {
    auto c = server->connect("c");
    ASSERT_TRUE(c.send("a\nb\nunterminated"));
    c.half_close();
    EXPECT_TRUE(c.expect_bytes("a\nb\n"));
    EXPECT_TRUE(c.expect_eof());
}

TEST_P(EchoServer, AClientThatVanishesMidLineIsForgotten) {
    {
        auto gone = server->connect("vanishing");
        ASSERT_TRUE(gone.send("half a li"));
        gone.reset();  // RST: gone without a goodbye
    }
    auto next = server->connect("next");
    ASSERT_TRUE(next.send("still here?\n"));
    EXPECT_TRUE(next.expect_line("still here?", 10s));
    EXPECT_TRUE(server->process().running()) << server->describe();
}

TEST_P(EchoServer, AClientThatSendsNothingDoesNotBreakTheNextOne) {
    auto silent = server->connect("silent");
    auto next = server->connect("next");
    ASSERT_TRUE(next.send("hi\n"));
    if (GetParam().has(Feature::ConcurrentClients)) {
        EXPECT_TRUE(next.expect_line("hi"));
    } else {
        // One client at a time: `next` waits while `silent` holds the server...
        EXPECT_TRUE(next.expect_silence(300ms));
        silent.close();
        // ...and is served correctly once it leaves.
        EXPECT_TRUE(next.expect_line("hi", 10s));
    }
}

TEST_P(EchoServer, AClientThatLeavesWithoutReadingDoesNotHurtTheServer) {
    {
        auto rude = server->connect("rude");
        std::string lines;
        for (int i = 0; i < 10000; ++i)
            lines += "unread line\n";
        ASSERT_TRUE(rude.send(lines, 20s));
        rude.close();  // never read a byte of the answers
    }
    auto next = server->connect("next");
    ASSERT_TRUE(next.send("ok\n"));
    EXPECT_TRUE(next.expect_line("ok", 10s));
}

INSTANTIATE_TEST_SUITE_P(Stages, EchoServer, testing::ValuesIn(all_stages()),
                         [](const auto& info) { return info.param.id; });

}  // namespace
}  // namespace course::test
