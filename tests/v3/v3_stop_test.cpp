// The course contract (docs/contract.md), "v3-threaded", SIGINT/SIGTERM: stop accepting;
// each worker finishes the line it is answering (no reply cut inside a line); every
// connection, served or waiting, is closed; the workers are joined; exit 0 within 2 seconds,
// clients connected or not.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "harness.hpp"
#include "never_reads.hpp"

namespace course::test {
namespace {

const Stage& v3() { return stage("v3"); }

ServerOptions threads(int count) {
    ServerOptions options;
    options.args = {"--threads", std::to_string(count)};
    return options;
}

// Everything `c` received until the server closed must be whole echoes of `sent`, in order
// (a prefix of them: lines received but not yet answered may be dropped).
testing::AssertionResult whole_echoes_then_eof(Connection& c, const std::string& sent) {
    std::string received = c.read_to_eof(5s);
    if (!c.peer_closed()) {
        return testing::AssertionFailure() << c.label() << " was not closed by the server";
    }
    if (!received.empty() && !received.ends_with('\n')) {
        return testing::AssertionFailure()
               << c.label() << " got a reply cut inside a line: ..."
               << escape(received.substr(received.size() > 80 ? received.size() - 80 : 0));
    }
    if (sent.substr(0, received.size()) != received) {
        return testing::AssertionFailure() << c.label() << " got bytes that are not the echoes "
                                           << "of its lines: " << escape(received);
    }
    return testing::AssertionSuccess();
}

class V3Stop : public testing::TestWithParam<int> {
protected:
    void SetUp() override { REQUIRE_FEATURE(v3(), Feature::GracefulStop); }
};

TEST_P(V3Stop, WithNoClientsExitsZero) {
    auto server = Server::start(v3());
    EXPECT_EQ(server->stop(GetParam(), 2s), 0) << server->describe();
}

TEST_P(V3Stop, ClosesServedAndWaitingClientsAndExitsZero) {
    auto server = Server::start(v3(), threads(2));
    std::vector<Connection> served;
    for (std::string name : {"served-1", "served-2"}) {
        served.push_back(server->connect(name));
        ASSERT_TRUE(served.back().send("hi\n"));
        ASSERT_TRUE(served.back().expect_line("hi"));
    }
    auto waiting_1 = server->connect("waiting-1");
    auto waiting_2 = server->connect("waiting-2");
    ASSERT_TRUE(waiting_1.send("my turn?\n"));
    ASSERT_TRUE(waiting_1.expect_silence(200ms));
    // The served clients pipeline lines right up to the signal: the workers are busy
    // answering them when it comes.
    std::string lines;
    for (int i = 0; i < 2000; ++i) {
        lines += "line " + std::to_string(i) + " " + std::string(40, 'z') + "\n";
    }
    for (auto& c : served) {
        ASSERT_TRUE(c.send(lines));
    }

    EXPECT_EQ(server->stop(GetParam(), 2s), 0) << server->describe();
    for (auto& c : served) {
        EXPECT_TRUE(whole_echoes_then_eof(c, lines)) << server->describe();
    }
    EXPECT_TRUE(waiting_1.expect_eof()) << "a waiting client is closed unserved";
    EXPECT_TRUE(waiting_2.expect_eof());
}

TEST_P(V3Stop, AClientThatNeverReadsDoesNotHoldItUp) {
    auto server = Server::start(v3(), threads(8));
    // A polite client, served and then quiet: its worker waits in recv(), where only the
    // stop's wake-up can reach it.
    auto polite = server->connect("polite");
    ASSERT_TRUE(polite.send("fine\n"));
    ASSERT_TRUE(polite.expect_line("fine"));
    // Rude ones never read: each worker is blocked in send(), and only the stop's cut
    // (after its grace, within the 2 seconds) can free it. Seven of them, because the
    // stop's own wake-up lets a worker finish a send that has just enough room left, and
    // then it leaves by itself; seldom all seven at once.
    std::vector<Connection> rude;
    for (int i = 0; i < 7; ++i)
        rude.push_back(never_reading_client(*server, "rude-" + std::to_string(i), false));
    EXPECT_EQ(server->stop(GetParam(), 2s), 0) << server->describe();
    EXPECT_TRUE(polite.expect_eof());
}

TEST_P(V3Stop, WhileTheOperatorIsTypingExitsZero) {
    auto server = Server::start(v3());
    auto a = server->connect("a");
    ASSERT_TRUE(a.send("hi\n"));
    ASSERT_TRUE(a.expect_line("hi"));
    server->process().write_stdin("half a line, no newline yet");
    // Half a line is not an operator line yet: it reaches nobody. (Meanwhile `a`'s worker
    // settles in recv(), where only the stop's wake-up can reach it.)
    EXPECT_TRUE(a.expect_silence(200ms));
    EXPECT_EQ(server->stop(GetParam(), 2s), 0) << server->describe();
    EXPECT_TRUE(a.expect_eof());
}

TEST(V3StopRace, ASignalRightAfterTheListeningLineIsAGracefulStop) {
    // The course contract (docs/contract.md), "Every server": the handler is in place before
    // `listening on` is printed, so a SIGTERM sent the moment that line is read is a graceful
    // stop (exit 0), not a kill.
    // Twenty tries, as a race needs.
    REQUIRE_FEATURE(v3(), Feature::GracefulStop);
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto server = Server::start(v3());
        ASSERT_EQ(server->stop(SIGTERM, 2s), 0) << "attempt " << attempt << "\n"
                                                << server->describe();
    }
}

INSTANTIATE_TEST_SUITE_P(Signals, V3Stop, testing::Values(SIGTERM, SIGINT), [](const auto& info) {
    return std::string(info.param == SIGTERM ? "SIGTERM" : "SIGINT");
});

}  // namespace
}  // namespace course::test
