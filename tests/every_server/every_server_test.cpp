// SPEC "Every server": the command line and the first line of stdout, for all six stages.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace course::test
