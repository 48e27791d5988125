// A unit test of v4's strands (label unit): the one race in v4 that no black-box test can
// hit every time. With --threads 2, a stop() posted to a session (by the shutdown or the
// idle sweep) may run while the session's coroutine runs on the other thread, unless the
// session's executor is a strand. Here two handlers are posted to the executor a session
// would get, with two threads running the io_context. The first waits for the second to
// start: on a strand it never does (the test then takes kWait), on the bare io_context it
// starts at once on the other thread, every time.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <thread>

#include "harness.hpp"
#include "logger.hpp"
#include "server.hpp"

namespace course::test {
namespace {

constexpr auto kWait = std::chrono::milliseconds(300);

// True if two handlers posted to the executor a new session gets ever run at once.
bool handlers_overlap(unsigned threads) {
    TempDir directory;
    asio::io_context io(static_cast<int>(threads));
    Logger logger(directory.path() + "/server.log");
    ::ServerOptions options;  // v4's, not the harness's
    options.address = {"127.0.0.1", 0};
    options.threads = threads;
    ::Server server(io, options, logger);  // v4's; not started: no acceptor loop, no signals
    auto session_executor = server.next_session_executor();

    std::atomic<bool> second_started = false, overlapped = false;
    asio::post(session_executor, [&] {
        auto until = std::chrono::steady_clock::now() + kWait;
        while (!second_started && std::chrono::steady_clock::now() < until) {
            std::this_thread::yield();
        }
        overlapped = second_started.load();
    });
    asio::post(session_executor, [&] { second_started = true; });

    std::vector<std::jthread> more;
    for (unsigned i = 1; i < threads; ++i) {
        more.emplace_back([&io] { io.run(); });
    }
    io.run();  // returns when both handlers have run
    return overlapped;
}

TEST(V4Strands, ASessionsHandlersNeverRunAtOnceOnTwoThreads) {
    EXPECT_FALSE(handlers_overlap(2))
        << "two handlers of one session ran at the same time on two threads: "
           "the session's executor is not a strand";
}

TEST(V4Strands, OneThreadNeedsNoStrand) {
    EXPECT_FALSE(handlers_overlap(1));  // one thread runs one handler at a time anyway
}

}  // namespace
}  // namespace course::test
