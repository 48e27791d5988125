// v1's lesson "The life of a TCP connection" (docs/v1-tcp-life.md), checked: the states it
// shows with `ss -tan`, read here from /proc/net/tcp (and tcp6) so the tests need no `ss`
// binary.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <poll.h>
#include <cerrno>
#include <cstring>
#include <thread>

#include "harness.hpp"
#include "tcp_table.hpp"

namespace course::test {
namespace {

const Stage& v1() { return stage("v1"); }

// Looks at the kernel's table until `wanted` holds or the deadline passes. The kernel
// moves a connection to its next state when a packet arrives, which a test cannot wait
// on directly: it can only look again.
template <typename Predicate>
bool eventually(Predicate wanted, std::chrono::milliseconds deadline = 5s) {
    auto until = deadline_in(deadline);
    while (!wanted()) {
        if (Clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(5ms);  // look again soon, without spinning a core
    }
    return true;
}

int milliseconds_until(Clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool in_state(std::uint16_t local_port, std::uint16_t remote_port, TcpState state) {
    auto entry = find_tcp_entry(local_port, remote_port);
    return entry && entry->state == state;
}

// One exchange in which the server closes first: the client sends a line but does not
// half-close, reads the echo and the server's FIN, and only then closes. Returns the
// client's port.
std::uint16_t exchange_where_the_server_closes_first(Server& server) {
    auto client = server.connect("client");
    std::uint16_t client_port = local_port_of(client.fd());
    EXPECT_TRUE(client.send("hello\n"));
    EXPECT_TRUE(client.expect_bytes("hello\n"));
    EXPECT_TRUE(client.expect_eof());  // the server's FIN: it closed first
    client.close();                    // our FIN, second
    return client_port;
}

TEST(V1Tcp, TheSideThatClosesFirstHoldsTimeWaitHereTheServer) {
    auto server = Server::start(v1());
    std::uint16_t client_port = exchange_where_the_server_closes_first(*server);
    EXPECT_TRUE(eventually([&] {
        return in_state(server->port(), client_port, TcpState::TimeWait);
    })) << "the server's side of the connection (port "
        << server->port() << " to " << client_port << ") should be in TIME_WAIT";
    auto client_side = find_tcp_entry(client_port, server->port());
    EXPECT_FALSE(client_side && client_side->state == TcpState::TimeWait)
        << "the client closed second: its side should be gone, not in TIME_WAIT";
}

TEST(V1Tcp, AClientThatHalfClosesFirstHoldsTimeWaitItself) {
    // What v1-client does: shutdown(SHUT_WR) right after sending. v1 answers within
    // microseconds and might close before our shutdown call; keeping it busy with another
    // client until our FIN is acknowledged takes that race out of the test.
    auto server = Server::start(v1());
    auto holder = server->connect("holder");  // v1 waits in recv for this one
    auto client = server->connect("half-closing client");
    std::uint16_t client_port = local_port_of(client.fd());
    ASSERT_TRUE(client.send("hello\n"));
    client.half_close();
    ASSERT_TRUE(eventually([&] {
        return in_state(client_port, server->port(), TcpState::FinWait2);
    })) << "precondition: our FIN is acknowledged before v1 reads us";
    ASSERT_TRUE(holder.send("go\n"));
    EXPECT_TRUE(holder.expect_bytes("go\n"));
    EXPECT_TRUE(client.expect_bytes("hello\n"));
    EXPECT_TRUE(client.expect_eof());
    EXPECT_TRUE(eventually([&] {
        return in_state(client_port, server->port(), TcpState::TimeWait);
    })) << "the client sent its FIN first: its side (port "
        << client_port << ") should be in TIME_WAIT";
    auto server_side = find_tcp_entry(server->port(), client_port);
    EXPECT_FALSE(server_side && server_side->state == TcpState::TimeWait)
        << "the server closed second: its side should not be in TIME_WAIT";
}

TEST(V1Tcp, ARestartedServerBindsItsPortWhileItsOldConnectionIsInTimeWait) {
    // SO_REUSEADDR at work. Without it, bind fails with EADDRINUSE for the next minute.
    auto first = Server::start(v1());
    std::uint16_t port = first->port();
    std::uint16_t client_port = exchange_where_the_server_closes_first(*first);
    ASSERT_TRUE(eventually([&] { return in_state(port, client_port, TcpState::TimeWait); }))
        << "precondition: the old connection on port " << port << " is in TIME_WAIT";
    ASSERT_TRUE(first->stop(SIGKILL, 5s).has_value());

    ServerOptions same_port;
    same_port.pass_address = false;
    same_port.args = {"--address", "127.0.0.1:" + std::to_string(port)};
    std::unique_ptr<Server> restarted;
    try {
        restarted = Server::start(v1(), same_port);
    } catch (const std::exception& error) {
        FAIL() << "the restarted server did not listen on port " << port << ": " << error.what();
    }
    auto c = restarted->connect("after restart");
    ASSERT_TRUE(c.send("again\n"));
    EXPECT_TRUE(c.expect_bytes("again\n"));
}

TEST(V1Tcp, ClosingWithUnreadInputSendsAReset) {
    // v1 reads at most 1024 bytes once, then closes. Closing a socket whose received bytes
    // were never read makes the kernel send a reset (RST), not an orderly FIN.
    auto server = Server::start(v1());
    auto c = server->connect("sends 3000 bytes");
    ASSERT_TRUE(c.send(std::string(3000, 'a')));
    auto until = deadline_in(5s);
    std::size_t echoed = 0;
    int error = 0;
    for (;;) {
        char buffer[4096];
        ssize_t n = ::recv(c.fd(), buffer, sizeof buffer, 0);
        if (n > 0) {
            echoed += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            error = n == 0 ? 0 : errno;
            break;
        }
        pollfd p{c.fd(), POLLIN, 0};
        ASSERT_GT(poll(&p, 1, milliseconds_until(until)), 0)
            << "no reset and no close before the deadline";
    }
    EXPECT_EQ(error, ECONNRESET) << "expected a reset, got "
                                 << (error == 0 ? "an orderly close (FIN)" : std::strerror(error))
                                 << " after " << echoed << " echoed bytes\n"
                                 << server->describe();
    EXPECT_LE(echoed, 1024u);
}

TEST(V1Tcp, WaitingClientsFinishTheirHandshakeInTheAcceptQueue) {
    // While v1 waits in recv for its first client, the kernel completes the handshakes of
    // the next ones and even takes their bytes; they wait in the listener's accept queue.
    auto server = Server::start(v1());
    auto first = server->connect("first");  // accepted, then v1 blocks reading it
    auto second = server->connect("second");
    auto third = server->connect("third");
    ASSERT_TRUE(second.send("me too\n"));
    std::uint16_t second_port = local_port_of(second.fd());

    auto accept_queue = [&] {
        for (const auto& entry : tcp_entries_with_port(server->port())) {
            if (entry.state == TcpState::Listen && entry.local_port == server->port()) {
                return static_cast<int>(entry.receive_queue);
            }
        }
        return -1;
    };
    EXPECT_TRUE(eventually([&] { return accept_queue() == 2; }))
        << "the listener should hold two finished handshakes, holds " << accept_queue();
    EXPECT_TRUE(eventually([&] {
        auto entry = find_tcp_entry(server->port(), second_port);
        return entry && entry->state == TcpState::Established && entry->receive_queue == 7;
    })) << "the kernel should have taken the second client's 7 bytes, unread";

    ASSERT_TRUE(first.send("first\n"));
    EXPECT_TRUE(first.expect_bytes("first\n"));
    EXPECT_TRUE(second.expect_bytes("me too\n", 10s));
    EXPECT_TRUE(eventually([&] { return accept_queue() == 0; }))
        << "once v1 accepts the third client, the queue is empty; it holds " << accept_queue();
}

TEST(V1Tcp, TheClientHalfClosesRightAfterItsMessage) {
    // v1-client's shutdown(SHUT_WR): its FIN follows the message at once, so while v1 is
    // busy elsewhere its side sits in FIN_WAIT_2 (and v1's, unaccepted, in CLOSE_WAIT).
    auto server = Server::start(v1());
    auto holder = server->connect("holder");  // v1 waits in recv for this one
    std::uint16_t holder_port = local_port_of(holder.fd());
    Process client(v1().client_path(), {"--address", server->address(), "hello"});
    auto client_has_sent_its_fin = [&] {
        for (const auto& entry : tcp_entries_with_port(server->port())) {
            if (entry.remote_port == server->port() && entry.local_port != holder_port &&
                entry.state == TcpState::FinWait2) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(eventually(client_has_sent_its_fin))
        << "v1-client's connection should be in FIN_WAIT_2: message sent, FIN sent and "
           "acknowledged";
    ASSERT_TRUE(holder.send("go\n"));
    EXPECT_TRUE(holder.expect_bytes("go\n"));
    EXPECT_EQ(client.read_stdout_to_end(deadline_in(5s)), "hello\n");
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

}  // namespace
}  // namespace course::test
