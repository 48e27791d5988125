// docs/contract.md, "The echo line protocol", client side: every client of v2..v4 prints
// each line from the server as it arrives (also into a pipe), sends `exit` like any line,
// exits 0 once the server has closed, and at EOF on stdin half-closes and waits for the
// server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
    EXPECT_TRUE(expect_printed(r, "hello\n\nsecond line\nbye\n"));
}

TEST_P(EchoClient, AtEndOfInputHalfClosesAndPrintsTheRest) {
    auto server = Server::start(GetParam());
    ClientRun r = run(*server, "one\ntwo\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_TRUE(expect_printed(r, "one\ntwo\n"));
}

TEST_P(EchoClient, ShowsTheServersErrorLine) {
    auto server = Server::start(GetParam());
    ClientRun r = run(*server, std::string(2000, 'x') + "\nafter\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_TRUE(expect_printed(r, "error: message too long (max 1024 bytes)\nafter\n"));
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

// A listening socket on 127.0.0.1 that the test itself answers, to see exactly which
// bytes a client sends (none, here) and when it half-closes.
class Listener {
public:
    Listener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
            ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
    }
    ~Listener() { ::close(fd_); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::optional<Connection> accept(std::chrono::milliseconds deadline) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(deadline_scale(deadline).count())) != 1) {
            return std::nullopt;
        }
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            return std::nullopt;
        }
        return Connection(client, "client", nullptr);
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

TEST_P(EchoClient, AClosedStdinIsEndOfInput) {
    // `client <&-`: fd 0 is not open. That is no input at all: the client half-closes at
    // once, sends nothing (not the bytes of its own socket or of an internal descriptor
    // that took fd 0), waits for the server to close, and exits 0.
    Listener listener;
    ProcessOptions no_stdin;
    no_stdin.stdin_closed = true;
    Process client(GetParam().client_path(), {"--address", listener.address()}, no_stdin);
    auto server_side = listener.accept(5s);
    ASSERT_TRUE(server_side) << "the client did not connect";
    std::string sent = server_side->read_to_eof(5s);
    EXPECT_TRUE(server_side->peer_closed()) << "the client did not half-close";
    EXPECT_EQ(sent, "") << "bytes nobody typed: " << escape(sent);
    server_side->close();  // the server's close: now the client is done
    std::string printed = client.read_stdout_to_end(deadline_in(5s));
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
    EXPECT_EQ(printed, "") << escape(printed);
}

INSTANTIATE_TEST_SUITE_P(Stages, EchoClient, testing::ValuesIn(all_stages()),
                         [](const auto& info) { return info.param.id; });

}  // namespace
}  // namespace course::test
