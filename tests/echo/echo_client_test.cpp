// SPEC "The echo line protocol", client side: every client of v2..v4 prints each line
// from the server as it arrives (also into a pipe), sends `exit` like any line, exits 0
// once the server has closed, and at EOF on stdin half-closes and waits for the server.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace course::test {
namespace {

class EchoClient : public testing::TestWithParam<Stage> {
protected:
    void SetUp() override { REQUIRE_FEATURE(GetParam(), Feature::LineProtocol); }
    ClientRun run(const Server& server, std::string_view typed) {
        return run_client(GetParam().client_path(), {"--address", server.address()}, typed);
    }
};

TEST_P(EchoClient, PrintsEachAnswerAndExitsZeroAfterBye) {
    auto server = Server::start(GetParam());
    ClientRun r = run(*server, "hello\n\nsecond line\nexit\nnever sent\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, "hello\n\nsecond line\nbye\n") << escape(r.out);
}

TEST_P(EchoClient, AtEndOfInputHalfClosesAndPrintsTheRest) {
    auto server = Server::start(GetParam());
    ClientRun r = run(*server, "one\ntwo\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, "one\ntwo\n") << escape(r.out);
}

TEST_P(EchoClient, ShowsTheServersErrorLine) {
    auto server = Server::start(GetParam());
    ClientRun r = run(*server, std::string(2000, 'x') + "\nafter\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, "error: message too long (max 1024 bytes)\nafter\n") << escape(r.out);
}

TEST_P(EchoClient, ARefusedConnectionIsAClearMessageAndExitOne) {
    // A port that was free a moment ago and has no listener now.
    auto probe = Server::start(GetParam());
    std::string address = probe->address();
    ASSERT_EQ(probe->stop(SIGKILL, 5s), 128 + SIGKILL);
    ClientRun r = run_client(GetParam().client_path(), {"--address", address}, "hello\n");
    EXPECT_EQ(r.exit_status, 1) << escape(r.err);
    EXPECT_FALSE(r.err.empty());
}

TEST_P(EchoClient, BadArgumentsAreExitTwo) {
    ClientRun r = run_client(GetParam().client_path(), {"--address", "nowhere"}, "");
    EXPECT_EQ(r.exit_status, 2) << escape(r.err);
    EXPECT_FALSE(r.err.empty());
}

INSTANTIATE_TEST_SUITE_P(Stages, EchoClient, testing::ValuesIn(all_stages()),
                         [](const auto& info) { return info.param.id; });

}  // namespace
}  // namespace course::test
