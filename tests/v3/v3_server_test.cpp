// The course contract (docs/contract.md), "v3-threaded", server side: the pool and its
// bound, the operator console, and the shared stream that keeps echoes and operator lines
// whole. (Stopping: v3_stop_test.cpp.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "concurrency.hpp"
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

// Connects and waits for one echo: once it has come back, a worker is serving `name`.
Connection served_client(Server& server, const std::string& name) {
    auto client = server.connect(name);
    EXPECT_TRUE(client.send("I am " + name + "\n"));
    EXPECT_TRUE(client.expect_line("I am " + name));
    return client;
}

// Waits until the server has read everything written to its stdin (the pipe is empty), so
// the console has the last operator line in hand. False at the deadline.
bool console_has_read_its_input(Server& server, std::chrono::milliseconds deadline) {
    std::string pipe = "/proc/" + std::to_string(server.process().pid()) + "/fd/0";
    int fd = ::open(pipe.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    auto until = deadline_in(deadline);
    int unread = 1;
    while (::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0 && Clock::now() < until) {
        std::this_thread::sleep_for(1ms);  // polling the pipe, with a deadline
    }
    ::close(fd);
    return unread == 0;
}

TEST(V3Pool, ServesClientsConcurrently) {
    REQUIRE_FEATURE(v3(), Feature::ConcurrentClients);
    EXPECT_TRUE(serves_clients_concurrently(v3()));
}

TEST(V3Pool, PastNClientsTheNextOneWaitsItsTurn) {
    auto server = Server::start(v3(), threads(2));
    auto a = served_client(*server, "a");
    auto b = served_client(*server, "b");
    auto c = server->connect("c");  // accepted by the kernel, queued by the pool
    ASSERT_TRUE(c.send("c waits\n"));
    EXPECT_TRUE(c.expect_silence(300ms)) << "with --threads 2, a third client must wait";
    EXPECT_TRUE(a.send("a still served\n"));  // the two served ones are not slowed down
    EXPECT_TRUE(a.expect_line("a still served"));
    a.close();  // a worker is free: c's turn
    EXPECT_TRUE(c.expect_line("c waits", 10s));
    EXPECT_TRUE(b.send("b too\n"));
    EXPECT_TRUE(b.expect_line("b too"));
}

TEST(V3Pool, OneThreadServesOneClientAtATime) {
    auto server = Server::start(v3(), threads(1));
    auto a = served_client(*server, "a");
    auto b = server->connect("b");
    ASSERT_TRUE(b.send("b\n"));
    EXPECT_TRUE(b.expect_silence(300ms));
    ASSERT_TRUE(a.send("exit\n"));
    EXPECT_TRUE(a.expect_line("bye"));
    EXPECT_TRUE(b.expect_line("b", 10s));
}

TEST(V3Pool, BadThreadCountsAreExitTwo) {
    for (std::string bad : {"0", "-1", "many", "100000", "", "+4", "0x10", "1.5"}) {
        ClientRun run = run_client(v3().server_path(), {"--threads", bad}, "");
        EXPECT_EQ(run.exit_status, 2) << "--threads '" << bad << "': " << escape(run.err);
        EXPECT_FALSE(run.err.empty()) << "--threads '" << bad << "'";
    }
}

TEST(V3Pool, AnOutOfRangeThreadCountIsOneShortLineNamingTheRange) {
    // However long the number, the message is one line: the option and its range.
    std::string huge(300, '9');
    ClientRun run = run_client(v3().server_path(), {"--threads", huge}, "");
    EXPECT_EQ(run.exit_status, 2) << escape(run.err);
    EXPECT_NE(run.err.find("--threads"), std::string::npos) << escape(run.err);
    EXPECT_NE(run.err.find("1 to 256"), std::string::npos) << escape(run.err);
    EXPECT_LT(run.err.size(), 200u) << escape(run.err);
    EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "one line: " << escape(run.err);
}

TEST(V3Console, OperatorLinesReachEveryServedClientNotTheWaitingOnes) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    auto server = Server::start(v3(), threads(2));
    auto a = served_client(*server, "a");
    auto b = served_client(*server, "b");
    auto waiting = server->connect("waiting");
    ASSERT_TRUE(waiting.send("hello?\n"));
    server->process().write_stdin("maintenance at noon\r\n");  // a "\r\n" typed ends a line too
    EXPECT_TRUE(a.expect_line("server: maintenance at noon"));
    EXPECT_TRUE(b.expect_line("server: maintenance at noon"));
    EXPECT_TRUE(waiting.expect_silence(300ms)) << "a client in the queue is not being served";
    b.close();
    // Served now: its echo comes first, and it never hears the line said before its turn.
    EXPECT_TRUE(waiting.expect_line("hello?", 10s));
    server->process().write_stdin("\nsecond\n");  // an empty line is a line too
    EXPECT_TRUE(waiting.expect_bytes("server: \nserver: second\n"));
    EXPECT_TRUE(a.expect_bytes("server: \nserver: second\n"));
}

TEST(V3Console, AnOperatorLineTooLongIsNotSentAndTheConsoleGoesOn) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    auto server = Server::start(v3());
    auto a = served_client(*server, "a");
    server->process().write_stdin(std::string(5000, 'x') + "\nshort\n");
    EXPECT_TRUE(a.expect_line("server: short"));
}

TEST(V3Console, EndOfStdinStopsOnlyTheConsole) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    auto server = Server::start(v3());
    auto a = served_client(*server, "a");
    server->process().write_stdin("last words\n");
    EXPECT_TRUE(a.expect_line("server: last words"));
    server->process().close_stdin();
    // The server goes on. A server that stops at the end of stdin closes `a` within moments;
    // listen for that first, or a quick test could finish before its console woke up.
    EXPECT_TRUE(a.expect_silence(300ms)) << "the end of stdin must not stop the server";
    // Old and new clients are served, and it still stops cleanly.
    ASSERT_TRUE(a.send("still echoing\n"));
    EXPECT_TRUE(a.expect_line("still echoing"));
    auto b = served_client(*server, "b");
    EXPECT_TRUE(server->process().running()) << server->describe();
    EXPECT_EQ(server->stop(SIGTERM), 0) << server->describe();
}

TEST(V3Console, AnOperatorLineStuckOnAClientThatNeverReadsBlocksNoOtherClient) {
    // The console writes to a client that reads nothing: that write waits forever. It
    // must wait without holding the list of clients, or no worker can add (or remove) a
    // client while it waits, and the whole server stands still behind one client.
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    auto server = Server::start(v3());
    auto rude = never_reading_client(*server, "rude");
    server->process().write_stdin("hello, everyone\n");
    ASSERT_TRUE(console_has_read_its_input(*server, 5s)) << server->describe();
    auto newcomer = server->connect("newcomer");
    ASSERT_TRUE(newcomer.send("am I served?\n"));
    EXPECT_TRUE(newcomer.expect_line("am I served?", 2s)) << server->describe();
}

TEST(V3Pool, ClientsThatResetMidSessionAreForgotten) {
    // A client that vanishes (a reset) ends its session: its worker closes the connection
    // and takes it off the list of clients. Forty of them leave no descriptor open.
    auto server = Server::start(v3());
    pid_t pid = server->process().pid();
    std::size_t baseline = open_fd_count(pid);
    for (int i = 0; i < 40; ++i) {
        auto c = served_client(*server, "reset-" + std::to_string(i));
        ASSERT_TRUE(c.send("half a line"));
        c.reset();
    }
    auto until = deadline_in(5s);
    while (open_fd_count(pid) > baseline + 2 && Clock::now() < until)
        std::this_thread::sleep_for(10ms);  // polling /proc, with a deadline
    EXPECT_LE(open_fd_count(pid), baseline + 2)
        << "descriptors: " << baseline << " before " << server->describe();
    EXPECT_EQ(server->stop(SIGTERM, 2s), 0) << server->describe();
}

// Several clients pipeline many lines while the operator types many lines. Every line a
// client receives must be an exact echo (in order) or an exact operator line (in order):
// one mutex per connection means a reply and an operator line never mix inside a line.
TEST(V3SharedStream, EchoesAndOperatorLinesNeverInterleaveInsideALine) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    constexpr int kClients = 3, kBatches = 40, kLinesPerBatch = 50, kOperatorLines = 300;
    auto server = Server::start(v3());
    std::vector<Connection> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(served_client(*server, "hammer" + std::to_string(i)));
    }
    auto operator_line = [](int k) {
        return "server: operator line " + std::to_string(k) + " " + std::string(150, 'o');
    };
    const std::string kLast = "server: that is all";

    std::vector<testing::AssertionResult> results(kClients, testing::AssertionSuccess());
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            Connection& c = clients[i];
            int next_operator = 0;  // the next operator line this client may see
            bool saw_last = false;
            // Checks one received line; returns a failure for anything but a whole line.
            auto check = [&](const std::string& line, const std::string& echo) -> bool {
                if (line == echo) {
                    return true;
                }
                if (line == kLast) {
                    saw_last = true;
                    return false;
                }
                if (line == operator_line(next_operator)) {
                    ++next_operator;
                    return false;
                }
                results[i] = testing::AssertionFailure()
                             << c.label() << " received " << escape(line) << "\n  expected "
                             << escape(echo) << " or " << escape(operator_line(next_operator))
                             << "\n"
                             << server->describe();
                throw std::runtime_error("mixed line");
            };
            try {
                for (int batch = 0; batch < kBatches; ++batch) {
                    std::string lines;
                    for (int j = 0; j < kLinesPerBatch; ++j) {
                        lines += "client " + std::to_string(i) + " line " +
                                 std::to_string(batch * kLinesPerBatch + j) + std::string(80, 'e') +
                                 "\n";
                    }
                    if (auto sent = c.send(lines); !sent) {
                        results[i] = sent;
                        return;
                    }
                    for (int j = 0; j < kLinesPerBatch; ++j) {
                        std::string echo = "client " + std::to_string(i) + " line " +
                                           std::to_string(batch * kLinesPerBatch + j) +
                                           std::string(80, 'e');
                        for (;;) {
                            auto line = c.read_line(10s);
                            if (!line) {
                                results[i] = testing::AssertionFailure()
                                             << c.label() << " no echo of " << escape(echo) << "\n"
                                             << server->describe();
                                return;
                            }
                            if (check(*line, echo)) {
                                break;
                            }
                        }
                    }
                }
                while (!saw_last) {  // every operator line reaches every served client
                    auto line = c.read_line(20s);
                    if (!line) {
                        results[i] = testing::AssertionFailure()
                                     << c.label() << " never got " << escape(kLast) << "\n"
                                     << server->describe();
                        return;
                    }
                    check(*line, "(no echo expected)");
                }
                if (next_operator != kOperatorLines) {
                    results[i] = testing::AssertionFailure()
                                 << c.label() << " got " << next_operator << " of "
                                 << kOperatorLines << " operator lines";
                }
            } catch (const std::runtime_error&) {
                // results[i] says what went wrong
            }
        });
    }
    for (int k = 0; k < kOperatorLines; ++k) {
        server->process().write_stdin(operator_line(k).substr(8) + "\n");  // minus "server: "
    }
    server->process().write_stdin(kLast.substr(8) + "\n");
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& result : results) {
        EXPECT_TRUE(result);
    }
}

// The other half of the mutex's job. When a client reads late, its socket's buffers fill up
// and the worker's send() blocks with part of its echoes written. Linux lets that blocked
// send() and the console's send() to the same socket take turns as room frees up, so without
// the mutex an operator line lands inside an echo. (When there is room, Linux copies a small
// send() whole, which is why the test above cannot see a missing lock.) Each round: fill the
// buffers until the worker is stuck, type operator lines, then read everything back.
TEST(V3SharedStream, AClientThatReadsLateStillGetsWholeLines) {
    REQUIRE_FEATURE(v3(), Feature::OperatorConsole);
    constexpr int kRounds = 6, kOperatorLinesPerRound = 20;
    auto server = Server::start(v3());
    auto c = served_client(*server, "late-reader");

    auto echo = [](int n) { return "late " + std::to_string(n) + " " + std::string(1000, 'e'); };
    auto operator_line = [](int k) { return "server: typed " + std::to_string(k); };
    int lines_sent = 0, echoes_read = 0, operator_lines_typed = 0, operator_lines_read = 0;
    std::string unsent;  // the end of a line the kernel did not take yet
    for (int round = 0; round < kRounds; ++round) {
        // Send until nothing more goes for 200 ms: the server then reads nothing, because
        // its worker is blocked writing to us. (A shorter stall only makes the test weaker.)
        auto give_up = deadline_in(10s);
        for (;;) {
            if (unsent.empty()) {
                unsent = echo(lines_sent++) + "\n";
            }
            std::size_t n = c.send_some(unsent);
            unsent.erase(0, n);
            if (n == 0 && (!writable_within(c, 200ms) || Clock::now() > give_up)) {
                break;
            }
        }
        for (int k = 0; k < kOperatorLinesPerRound; ++k) {
            server->process().write_stdin(operator_line(operator_lines_typed++).substr(8) + "\n");
        }
        // Read it all back: every line whole, echoes in order, operator lines in order.
        int complete_lines = unsent.empty() ? lines_sent : lines_sent - 1;
        while (echoes_read < complete_lines || operator_lines_read < operator_lines_typed) {
            if (!unsent.empty()) {
                unsent.erase(0, c.send_some(unsent));
                if (unsent.empty()) {
                    complete_lines = lines_sent;
                }
            }
            auto line = c.read_line(unsent.empty() ? 10s : 20ms);
            if (!line && unsent.empty()) {
                FAIL() << c.label() << " round " << round << ": after " << echoes_read << " of "
                       << complete_lines << " echoes and " << operator_lines_read << " of "
                       << operator_lines_typed << " operator lines, nothing more came\n"
                       << server->describe();
            }
            if (!line) {
                continue;
            }
            if (echoes_read < complete_lines && *line == echo(echoes_read)) {
                ++echoes_read;
            } else if (operator_lines_read < operator_lines_typed &&
                       *line == operator_line(operator_lines_read)) {
                ++operator_lines_read;
            } else {
                FAIL() << c.label() << " round " << round << ": received a mixed line\n  "
                       << escape(*line, 200) << "\n  expected " << escape(echo(echoes_read), 60)
                       << " or " << escape(operator_line(operator_lines_read)) << "\n"
                       << server->describe();
            }
        }
    }
}

}  // namespace
}  // namespace course::test
