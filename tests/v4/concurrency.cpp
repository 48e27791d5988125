#include "concurrency.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace course::test {

namespace {

int ms_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Polls all connections whose `done` is false, hands what each receives (or "" at EOF)
// to `on_bytes`, until all are done or the deadline passes. Returns how many are done.
template <typename OnBytes>
std::size_t poll_all(std::vector<Connection>& connections, std::vector<bool>& done,
                     Clock::time_point deadline, OnBytes on_bytes) {
    std::size_t finished = 0;
    for (bool d : done)
        finished += d ? 1 : 0;
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;
    while (finished < connections.size()) {
        fds.clear();
        index.clear();
        for (std::size_t i = 0; i < connections.size(); ++i) {
            if (!done[i]) {
                fds.push_back({connections[i].fd(), POLLIN, 0});
                index.push_back(i);
            }
        }
        int ready = ::poll(fds.data(), fds.size(), ms_left(deadline));
        if (ready <= 0) {
            break;  // the deadline
        }
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0)
                continue;
            char chunk[4096];
            ssize_t n = ::recv(fds[k].fd, chunk, sizeof chunk, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            std::size_t i = index[k];
            if (on_bytes(i, std::string_view(chunk, n > 0 ? static_cast<std::size_t>(n) : 0))) {
                done[i] = true;
                ++finished;
            }
        }
    }
    return finished;
}

}  // namespace

std::size_t raise_open_file_limit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

testing::AssertionResult open_echoing(Server& server, std::size_t count,
                                      std::vector<Connection>& out,
                                      std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    std::vector<Connection> connections;
    connections.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto c = server.try_connect("client " + std::to_string(i));
        if (!c) {
            return testing::AssertionFailure() << "[" << server.stage().id << "] connection " << i
                                               << " of " << count << " could not connect\n"
                                               << server.describe();
        }
        connections.push_back(std::move(*c));
    }
    // Every connection is open now; only then does each send its line.
    std::vector<std::string> received(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto sent = connections[i].send("hello from client " + std::to_string(i) + "\n");
        if (!sent)
            return sent;
    }
    std::vector<bool> done(count, false);
    std::size_t wrong = 0;
    std::string first_wrong;
    std::size_t finished =
        poll_all(connections, done, until, [&](std::size_t i, std::string_view bytes) {
            if (bytes.empty()) {  // EOF before the answer
                if (wrong++ == 0)
                    first_wrong = connections[i].label() + " sent " +
                                  escape("hello from client " + std::to_string(i) + "\n") +
                                  "; the server closed the connection after " + escape(received[i]);
                return true;
            }
            received[i] += bytes;
            if (received[i].find('\n') == std::string::npos)
                return false;
            std::string expected = "hello from client " + std::to_string(i) + "\n";
            if (received[i] != expected && wrong++ == 0) {
                first_wrong = connections[i].label() + " got a wrong answer\n" +
                              connections[i].sent_summary() + "\n" +
                              mark_difference(expected, received[i]);
            }
            return true;
        });
    if (finished < count || wrong > 0) {
        return testing::AssertionFailure()
               << "[" << server.stage().id << "] " << count
               << " clients connected at once, each sent a line: " << (finished - wrong)
               << " were echoed correctly, " << wrong << " wrongly, " << (count - finished)
               << " got no answer within " << seconds_text(deadline_scale(deadline))
               << (first_wrong.empty() ? "" : ".\nThe first wrong one: " + first_wrong) << "\n"
               << server.describe();
    }
    out = std::move(connections);
    return testing::AssertionSuccess();
}

testing::AssertionResult serve_concurrently(const Stage& stage, std::size_t count,
                                            const std::vector<std::string>& server_args,
                                            std::chrono::milliseconds deadline) {
    if (raise_open_file_limit() < count + 100) {
        return testing::AssertionFailure()
               << "the open-file limit is too low for " << count << " connections (ulimit -n)";
    }
    auto server = Server::start(stage, with_args(server_args));
    std::vector<Connection> connections;
    return open_echoing(*server, count, connections, deadline);
}

testing::AssertionResult expect_all_then_eof(std::vector<Connection>& connections,
                                             const std::string& expected,
                                             std::chrono::milliseconds deadline) {
    std::vector<std::string> received(connections.size());
    std::vector<bool> done(connections.size(), false);
    std::size_t wrong = 0;
    std::string first_wrong;
    std::size_t finished = poll_all(
        connections, done, deadline_in(deadline), [&](std::size_t i, std::string_view bytes) {
            if (!bytes.empty()) {
                received[i] += bytes;
                return false;
            }
            if (received[i] != expected && wrong++ == 0) {
                first_wrong = connections[i].label() + " got other bytes before the end\n" +
                              mark_difference(expected, received[i]) + "\n";
            }
            return true;
        });
    if (finished < connections.size() || wrong > 0) {
        std::string stuck;
        for (std::size_t i = 0; i < connections.size() && stuck.empty(); ++i) {
            if (!done[i])
                stuck = connections[i].label() + " received " + escape(received[i]) +
                        " and the connection stayed open";
        }
        return testing::AssertionFailure()
               << connections.size() << " connections: " << (finished - wrong) << " got "
               << escape(expected) << " then EOF; " << wrong << " got something else; "
               << (connections.size() - finished) << " were still open after "
               << seconds_text(deadline_scale(deadline)) << ".\n"
               << first_wrong << stuck;
    }
    return testing::AssertionSuccess();
}

}  // namespace course::test
