// Every server: the command line and the first line of stdout, for all six stages; the
// connection cap, for the stages that have one.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness.hpp"

namespace course::test {
namespace {

class EveryServer : public testing::TestWithParam<Stage> {};

TEST_P(EveryServer, PrintsListeningOnWithTheRealPort) {
    auto server = Server::start(GetParam());  // asks for port 0, reads the line
    EXPECT_EQ(server->host(), "127.0.0.1");
    EXPECT_NE(server->port(), 0) << "the line must carry the port the OS picked";
    EXPECT_TRUE(server->try_connect("probe").has_value()) << server->describe();
}

TEST_P(EveryServer, HelpPrintsUsageAndExitsZero) {
    ClientRun run = run_client(GetParam().server_path(), {"--help"}, "");
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_NE(run.out.find("--address"), std::string::npos) << "usage: " << escape(run.out);
}

TEST_P(EveryServer, UnknownOptionIsExitTwoWithOneLine) {
    ClientRun run = run_client(GetParam().server_path(), {"--no-such-option"}, "");
    EXPECT_EQ(run.exit_status, 2) << "stderr: " << escape(run.err);
    EXPECT_FALSE(run.err.empty());
    EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "one line: " << escape(run.err);
}

TEST_P(EveryServer, BadAddressesAreExitTwo) {
    for (std::string bad : {"nonsense", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:-1",
                            "999.1.1.1:80", "127.0.0.1:80x", ":"}) {
        ClientRun run = run_client(GetParam().server_path(), {"--address", bad}, "");
        EXPECT_EQ(run.exit_status, 2) << "--address " << bad << ": " << escape(run.err);
        EXPECT_FALSE(run.err.empty()) << "--address " << bad;
    }
}

TEST_P(EveryServer, AnAddressInUseIsAClearErrorNotACrash) {
    auto first = Server::start(GetParam());
    ClientRun run = run_client(GetParam().server_path(), {"--address", first->address()}, "");
    ASSERT_TRUE(run.exit_status.has_value());
    EXPECT_NE(*run.exit_status, 0);
    EXPECT_LT(*run.exit_status, 128) << "killed by a signal: a crash. stderr: " << escape(run.err);
    EXPECT_FALSE(run.err.empty());
}

INSTANTIATE_TEST_SUITE_P(Stages, EveryServer, testing::ValuesIn(all_stages()),
                         [](const auto& info) { return info.param.id; });

// ------------------------------------------------------------------ the connection cap

// How each stage is capped, refuses, and serves: v4 speaks lines, v5 the chat protocol, v6
// takes uploads (its cap is a config key, not an option).
class Capped {
public:
    Capped(const Stage& stage, unsigned cap) : stage_(stage) {
        ServerOptions options;
        if (stage.id == "v6") {
            std::ofstream(config_.path() + "/config.toml") << "max_connections = " << cap << "\n";
            options.args = {"--config", config_.path() + "/config.toml"};
        } else {
            options.args = {"--max-connections", std::to_string(cap)};
        }
        server = Server::start(stage, options);
    }

    // The stage's one-line refusal arrives, then the server's close.
    testing::AssertionResult expect_refusal(Connection& c) {
        if (stage_.id == "v4")
            return c.expect_line("error: server full") && c.expect_eof()
                       ? testing::AssertionSuccess()
                       : testing::AssertionFailure() << "no `error: server full` and close";
        if (stage_.id == "v6")
            return c.expect_line("error: server busy") && c.expect_eof()
                       ? testing::AssertionSuccess()
                       : testing::AssertionFailure() << "no `error: server busy` and close";
        // v5: one Error message (type 10) saying "server full", then the close.
        std::string bytes = c.read_to_eof();
        if (!c.peer_closed() || bytes.size() < 16 || bytes[0] != 10 || bytes[1] != 0 ||
            bytes.find("server full") == std::string::npos)
            return testing::AssertionFailure()
                   << c.label() << " expected an Error \"server full\" and a close, got "
                   << escape(bytes) << (c.peer_closed() ? " then EOF" : " and no EOF");
        return testing::AssertionSuccess();
    }

    // The connection is served: the stage answers what it sends with what it would
    // answer anyone (v4 an echo, v5 a Login, v6 its verdict on a file that is no PNG).
    testing::AssertionResult expect_served(Connection& c, const std::string& name) {
        if (stage_.id == "v4") {
            auto sent = c.send(name + "\n");
            return sent ? c.expect_line(name) : sent;
        }
        if (stage_.id == "v5") {
            std::string login(16, '\0');
            login[0] = 1;  // Login, with the bare name as its header (little-endian sizes)
            login[2] = static_cast<char>(name.size());
            auto sent = c.send(login + name);
            std::string answer(16, '\0');
            answer[0] = 1;  // the bare Login answer: accepted
            return sent ? c.expect_bytes(answer) : sent;
        }
        auto sent = c.send("this is no PNG file\n");
        if (!sent)
            return sent;
        auto line = c.read_line();
        if (!line || !line->starts_with("error: ") || *line == "error: server busy")
            return testing::AssertionFailure()
                   << c.label() << " expected the verdict on a non-PNG, got "
                   << (line ? escape(*line) : std::string("nothing"));
        return testing::AssertionSuccess();
    }

    std::unique_ptr<Server> server;

private:
    const Stage& stage_;
    TempDir config_;
};

class ConnectionCap : public testing::TestWithParam<Stage> {};

TEST_P(ConnectionCap, OneOverTheCapIsRefusedAndClosedAndAFreedPlaceIsServed) {
    REQUIRE_FEATURE(GetParam(), Feature::ConnectionCap);
    Capped capped(GetParam(), 3);
    std::vector<Connection> held;
    for (int i = 0; i < 3; ++i)
        held.push_back(capped.server->connect("held " + std::to_string(i)));
    ASSERT_TRUE(capped.expect_served(held[0], "held0")) << capped.server->describe();
    auto fourth = capped.server->connect("fourth");
    EXPECT_TRUE(capped.expect_refusal(fourth)) << capped.server->describe();
    ASSERT_TRUE(capped.expect_served(held[2], "held2")) << "the held ones are still served\n"
                                                        << capped.server->describe();

    // One leaves; the server learns it from the close, so a newcomer may still be early
    // and refused: it tries again until the deadline.
    held[1].close();
    auto until = deadline_in(5s);
    for (int attempt = 0;; ++attempt) {
        auto late = capped.server->connect("late " + std::to_string(attempt));
        auto served = capped.expect_served(late, "late" + std::to_string(attempt));
        if (served)
            break;
        ASSERT_LT(Clock::now(), until) << "no place was freed for a newcomer: " << served.message()
                                       << capped.server->describe();
    }
}

TEST_P(ConnectionCap, AFloodOverTheCapNeitherStallsNorKillsTheServer) {
    REQUIRE_FEATURE(GetParam(), Feature::ConnectionCap);
    Capped capped(GetParam(), 3);
    std::vector<Connection> held;
    for (int i = 0; i < 3; ++i)
        held.push_back(capped.server->connect("held " + std::to_string(i)));
    // Each newcomer is answered at once and closed: none waits in the backlog.
    for (int i = 0; i < 200; ++i) {
        auto c = capped.server->connect("over the cap " + std::to_string(i));
        ASSERT_TRUE(capped.expect_refusal(c)) << "newcomer " << i << "\n"
                                              << capped.server->describe();
    }
    EXPECT_TRUE(capped.expect_served(held[1], "held1")) << capped.server->describe();
}

TEST_P(ConnectionCap, AMaxConnectionsThatIsNoWholeNumberInRangeIsExitTwo) {
    REQUIRE_FEATURE(GetParam(), Feature::ConnectionCap);
    if (GetParam().id == "v6")
        GTEST_SKIP() << "v6 takes its cap from its config file (tests/v6 checks the key)";
    ServerOptions five;
    five.args = {"--max-connections", "5"};
    auto good = Server::start(GetParam(), five);
    EXPECT_TRUE(good->try_connect("probe").has_value());
    for (const std::string& bad :
         std::vector<std::string>{"0", "-1", "1.5", "ten", "", "+3", std::string(300, '9')}) {
        ClientRun run = run_client(GetParam().server_path(),
                                   {"--address", "127.0.0.1:0", "--max-connections", bad}, "", 5s);
        EXPECT_EQ(run.exit_status, 2) << "'" << bad << "': " << escape(run.err);
        EXPECT_NE(run.err.find("--max-connections"), std::string::npos)
            << "the message names the option: " << escape(run.err);
        EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "one line: " << escape(run.err);
    }
}

// Nagle's algorithm holds a small write back until the peer has acknowledged the one before;
// the peer delays its acknowledgement hoping to piggyback it on an answer. Between the two,
// pipelined messages crawl (3200 chat messages at 150 a second). From v4 on every
// connection says TCP_NODELAY. How fast that is depends on the kernel's timers, so the test
// asks the server's own socket, through a borrowed copy of it, instead of timing it.
TEST_P(EveryServer, EveryConnectionHasNagleOff) {
    REQUIRE_FEATURE(GetParam(), Feature::NoNagle);
    auto server = Server::start(GetParam());
    auto c = server->connect("asker");
    // The kernel completes the handshake before the server accepts: ask until the server
    // has accepted and set up the connection, or the deadline passes.
    std::optional<bool> nodelay;
    for (auto until = deadline_in(3s); Clock::now() < until;) {
        nodelay = server_side_nodelay(server->process().pid(), c);
        if (nodelay == true)
            break;
        std::this_thread::yield();
    }
    if (!nodelay)
        GTEST_SKIP() << "Linux did not lend the test the server's socket (pidfd_getfd)";
    EXPECT_TRUE(*nodelay) << c.label() << " the server's end of this connection has "
                          << "TCP_NODELAY off: replies wait for the client's ACKs\n"
                          << server->describe();
}

INSTANTIATE_TEST_SUITE_P(Stages, ConnectionCap, testing::ValuesIn(all_stages()),
                         [](const auto& info) { return info.param.id; });

}  // namespace
}  // namespace course::test
