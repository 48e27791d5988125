// docs/contract.md, "v5-chat" (stopping) and "Every server": the broadcast shutdown, the
// error log, an exception or a failed allocation in one connection, a signal right after
// `listening on`, timeouts that cannot overflow.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "chat_peer.hpp"

namespace course::test {
namespace {

const Stage& v5() { return stage("v5"); }

std::unique_ptr<Server> start(std::vector<std::string> args = {}, ProcessOptions process = {}) {
    ServerOptions options;
    options.args = std::move(args);
    options.process = std::move(process);
    return Server::start(v5(), options);
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

// The shutdown's Error: {"error": "server shutting down", "from": "server", "timestamp": ...}.
testing::AssertionResult is_shutdown_error(const ChatMessage& message) {
    auto json = message.json();
    if (message.type != kError || !json.is_object() ||
        json.value("error", "") != "server shutting down" || json.value("from", "") != "server" ||
        !is_timestamp(json.value("timestamp", "")) || !message.content.empty()) {
        return testing::AssertionFailure() << "not the shutdown Error: " << message.describe();
    }
    return testing::AssertionSuccess();
}

// Reads what the peer has to read until the server closes: Login events and relays are
// fine, a Logout event is not (a stop is no one's Logout); the last message must be the
// shutdown Error.
testing::AssertionResult told_of_the_stop(ChatPeer& peer) {
    for (;;) {
        auto message = peer.next();
        if (!message) {
            return testing::AssertionFailure()
                   << peer.label() << " closed (or silent) before the shutdown Error";
        }
        if (message->type == kLogout) {
            return testing::AssertionFailure() << peer.label() << " heard a Logout at a stop";
        }
        if (message->type == kError) {
            if (auto ok = is_shutdown_error(*message); !ok)
                return ok << " " << peer.label();
            return peer.expect_closed();
        }
    }
}

std::size_t raise_open_file_limit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;  // for us, and for the server we start
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

// ------------------------------------------------------------------ stopping
TEST(ChatStop, EveryClientLoggedInOrNotGetsTheShutdownErrorAndNoLogout) {
    REQUIRE_FEATURE(v5(), Feature::ShutdownBroadcast);
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
    ChatPeer silent(*server, "silent"), refused(*server, "refused");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(bob.login());
    ASSERT_TRUE(carol.login());
    ASSERT_TRUE(refused.send(kLogin, "bad name"));
    ASSERT_TRUE(refused.expect(kBadUsername));
    ASSERT_TRUE(alice.send(kUtf8, "", "last words"));
    ASSERT_TRUE(alice.expect_from(kLogin, "bob"));
    ASSERT_TRUE(alice.expect_from(kLogin, "carol"));
    ASSERT_TRUE(alice.expect_from(kUtf8, "alice"));  // the server has it: now stop

    auto status = server->stop(SIGTERM, 2s);
    ASSERT_TRUE(status.has_value()) << "still running 2 s after SIGTERM\n" << server->describe();
    EXPECT_EQ(*status, 0) << server->describe();
    for (auto* peer : {&alice, &bob, &carol, &silent, &refused}) {
        EXPECT_TRUE(told_of_the_stop(*peer)) << server->describe();
    }
}

TEST(ChatStop, SigintToo) {
    REQUIRE_FEATURE(v5(), Feature::ShutdownBroadcast);
    auto server = start();
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    EXPECT_EQ(server->stop(SIGINT, 2s), 0) << server->describe();
    EXPECT_TRUE(told_of_the_stop(alice));
}

// Reads messages off a connection's socket by offset: thousands of connections, a
// thousand messages each, without copying a buffer per message (ChatPeer would).
class StreamReader {
public:
    explicit StreamReader(const Connection& c) : fd_(c.fd()) {}

    // The next whole message, or nothing at EOF or the deadline.
    std::optional<ChatMessage> next(Clock::time_point deadline) {
        for (;;) {
            if (buffer_.size() - at_ >= 16) {
                std::size_t header = get(2, 2);
                std::uint64_t content = get(8, 8);
                if (buffer_.size() - at_ - 16 >= header + content) {
                    ChatMessage message;
                    message.type = static_cast<std::uint16_t>(get(0, 2));
                    message.header = buffer_.substr(at_ + 16, header);
                    message.content = buffer_.substr(at_ + 16 + header, content);
                    at_ += 16 + header + content;
                    return message;
                }
            }
            if (!fill(deadline))
                return std::nullopt;
        }
    }
    bool closed() const { return closed_; }

private:
    std::uint64_t get(std::size_t offset, int n) const {
        std::uint64_t value = 0;
        for (int i = n - 1; i >= 0; --i)
            value = value << 8 | static_cast<unsigned char>(buffer_[at_ + offset + i]);
        return value;
    }
    bool fill(Clock::time_point deadline) {
        buffer_.erase(0, at_);  // once per read, not per message
        at_ = 0;
        for (;;) {
            char chunk[65536];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer_.append(chunk, static_cast<std::size_t>(n));
                return true;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                pollfd p{fd_, POLLIN, 0};
                if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                    return false;
                continue;
            }
            closed_ = true;  // EOF, or a reset
            return false;
        }
    }

    int fd_;
    std::string buffer_;
    std::size_t at_ = 0;
    bool closed_ = false;
};

// 2000 clients, half of them logged in (each of those has heard of the other 999), all
// told, and the server gone within 2 s.
TEST(ChatStop, ThousandClientsHalfLoggedInAllReadTheShutdownError) {
    REQUIRE_FEATURE(v5(), Feature::ShutdownBroadcast);
    if (raise_open_file_limit() < 2400)
        GTEST_SKIP() << "needs 2400 file descriptors";
    auto server = start({"--login-timeout", "120"});
    constexpr int kEach = 1000;
    std::vector<Connection> users, idle;
    for (int i = 0; i < kEach; ++i) {
        users.push_back(server->connect("u" + std::to_string(i)));
        ASSERT_TRUE(users.back().send(frame(kLogin, "u" + std::to_string(i))));
        idle.push_back(server->connect("idle" + std::to_string(i)));
    }
    std::vector<StreamReader> user_streams(users.begin(), users.end());
    std::vector<StreamReader> idle_streams(idle.begin(), idle.end());
    // Before the stop, every user reads its Login answer and a Login event for each of
    // the other 999: the server has nothing left to send but what the stop adds.
    auto until = deadline_in(60s);
    for (int i = 0; i < kEach; ++i) {
        auto answer = user_streams[i].next(until);
        ASSERT_TRUE(answer && answer->type == kLogin && answer->header.empty())
            << users[i].label() << " no bare Login answer\n"
            << server->describe();
        for (int events = 0; events < kEach - 1; ++events) {
            auto event = user_streams[i].next(until);
            ASSERT_TRUE(event && event->type == kLogin && !event->header.empty())
                << users[i].label() << " after " << events
                << " Login events: " << (event ? event->describe() : "nothing") << "\n"
                << server->describe();
        }
    }

    auto start_time = Clock::now();
    auto status = server->stop(SIGTERM, 2s);
    auto took = Clock::now() - start_time;
    ASSERT_TRUE(status.has_value()) << "still running 2 s (scaled) after SIGTERM\n"
                                    << server->describe();
    EXPECT_EQ(*status, 0) << server->describe();
    RecordProperty(
        "exit_ms",
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

    // After it, every one of the 2000 reads the shutdown Error (no Logout), then EOF.
    int told = 0;
    until = deadline_in(30s);
    auto check = [&](StreamReader& stream, const Connection& c) {
        auto last = stream.next(until);
        if (!last || !is_shutdown_error(*last)) {
            ADD_FAILURE() << c.label() << " expected the shutdown Error, got "
                          << (last ? last->describe() : "nothing");
            return;
        }
        auto more = stream.next(until);
        if (more || !stream.closed()) {
            ADD_FAILURE() << c.label() << " expected the close after the Error, got "
                          << (more ? more->describe() : "nothing");
            return;
        }
        ++told;
    };
    for (int i = 0; i < kEach; ++i) {
        check(user_streams[i], users[i]);
        check(idle_streams[i], idle[i]);
    }
    EXPECT_EQ(told, 2 * kEach);
}

TEST(ChatStop, AClientThatNeverReadsIsCutAtTheDeadline) {
    REQUIRE_FEATURE(v5(), Feature::ShutdownBroadcast);
    auto server = start({"--max-content", "1000000"});
    ChatPeer alice(*server, "alice"), hog(*server, "hog (never reads)");
    int small = 4096;
    setsockopt(hog.connection().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(hog.login("hog"));
    ASSERT_TRUE(alice.expect_from(kLogin, "hog"));
    // Fill the hog's socket and queue: alice reads her own copies, the hog none.
    const std::string content(900'000, 'x');
    for (int i = 0; i < 8; ++i) {
        ASSERT_TRUE(alice.send(kFile, "", content));
        ASSERT_TRUE(alice.expect_from(kFile, "alice", nullptr, 10s));
    }
    auto status = server->stop(SIGTERM, 2s);
    ASSERT_TRUE(status.has_value()) << "a client that never reads held up the exit\n"
                                    << server->describe();
    EXPECT_EQ(*status, 0);
    EXPECT_TRUE(told_of_the_stop(alice));
}

TEST(ChatStop, ASignalRightAfterListeningOnIsAGracefulStop) {
    REQUIRE_FEATURE(v5(), Feature::GracefulStop);
    for (int i = 0; i < 10; ++i) {
        auto server = start();
        server->process().send_signal(i % 2 ? SIGINT : SIGTERM);
        EXPECT_EQ(server->process().wait_exit(deadline_in(2s)), 0)
            << "try " << i << ": a signal right after `listening on` killed the server\n"
            << server->describe();
    }
}

// ------------------------------------------------------------------ the error log
// "2026-11-22 17:40:03.412 [127.0.0.1:51234] bad username: ..."
bool has_entry(const std::string& text, const std::string& kind, const std::string& detail) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > 24 && matches_digits(line.substr(0, 24), "dddd-dd-dd dd:dd:dd.ddd ") &&
            line.substr(24).starts_with("[127.0.0.1:") &&
            line.find("] " + kind + ": ") != std::string::npos &&
            line.find(detail) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// Polls the file (there is nothing to wait on) until it has the entry or the deadline passes.
testing::AssertionResult log_has(const std::string& path, const std::string& kind,
                                 const std::string& detail) {
    auto until = deadline_in(5s);
    std::string text;
    while (!has_entry(text = read_file(path), kind, detail)) {
        if (Clock::now() > until) {
            return testing::AssertionFailure()
                   << "no entry \"" << kind << ": ..." << detail << "\" in " << path << ":\n"
                   << text;
        }
        std::this_thread::sleep_for(20ms);
    }
    return testing::AssertionSuccess();
}

TEST(ChatLog, ErrorsAndRefusalsGoToServerLogWithTimePeerAndKind) {
    REQUIRE_FEATURE(v5(), Feature::ErrorLogFile);
    auto server = start({"--max-content", "1000"});
    std::string log = server->directory() + "/server.log";
    // One refusal per connection: a connection's refusals are logged once a second at most.
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol"),
        dave(*server, "dave");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(bob.send(kLogin, "server"));
    ASSERT_TRUE(bob.expect(kBadUsername));
    EXPECT_TRUE(log_has(log, "bad username", "reserved for the server"));
    ASSERT_TRUE(carol.send(kLogin, "alice"));
    ASSERT_TRUE(carol.expect(kUsernameExists));
    EXPECT_TRUE(log_has(log, "bad username", "alice: taken"));
    ASSERT_TRUE(dave.send(kUtf8, "", "too early"));
    ASSERT_TRUE(dave.expect(kBadLogin));
    EXPECT_TRUE(log_has(log, "bad login", "Utf8 message before login"));
    ASSERT_TRUE(alice.send(kUtf8, R"({"to": "nobody"})", "x"));
    ASSERT_TRUE(alice.expect(kError));
    EXPECT_TRUE(log_has(log, "bad message", "unknown user 'nobody' (alice)"));
    ASSERT_TRUE(bob.send(descriptor(kUtf8, 0, 1001)));
    ASSERT_TRUE(bob.expect(kError));
    EXPECT_TRUE(log_has(log, "message too long", "content of 1001 bytes"));
    ASSERT_TRUE(alice.send(frame(kUtf8, "", "half a messa").substr(0, 20)));
    alice.connection().close();
    EXPECT_TRUE(log_has(log, "incomplete message", "in the middle of a message"));
}

TEST(ChatLog, LogFileOptionAndTheLoginTimeout) {
    REQUIRE_FEATURE(v5(), Feature::ErrorLogFile);
    TempDir logs;
    std::string path = logs.path() + "/chat.log";
    auto server = start({"--log-file", path, "--login-timeout", "0.3"});
    ChatPeer silent(*server, "silent");
    EXPECT_TRUE(silent.expect_closed(3s));
    EXPECT_TRUE(log_has(path, "timeout", "no login within 0.3 s"));
    EXPECT_FALSE(std::ifstream(server->directory() + "/server.log").good())
        << "--log-file given, yet server.log was written too";
}

TEST(ChatLog, PeerTextIsEscapedSoNoPeerCanForgeALogLine) {
    REQUIRE_FEATURE(v5(), Feature::ErrorLogFile);
    auto server = start();
    std::string log = server->directory() + "/server.log";
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    std::string forged = "x\n2026-11-22 12:00:00.000 [10.0.0.1:1] forged: \x1b[2J";
    ASSERT_TRUE(alice.send(kUtf8, nlohmann::json{{"to", forged}}.dump(), "hi"));
    ASSERT_TRUE(alice.expect(kError));
    EXPECT_TRUE(log_has(log, "bad message", "unknown user 'x\\n2026-11-22"));
    std::string text = read_file(log);
    EXPECT_EQ(text.find("\n2026-11-22 12:00:00.000 [10.0.0.1:1]"), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "a raw ESC reached the log:\n" << text;
    EXPECT_EQ(server->process().stderr_text().find('\x1b'), std::string::npos)
        << "a raw ESC reached stderr";
}

// ------------------------------------------------------------------ failures in one connection
TEST(ChatFailure, AFailedAllocationEndsThatConnectionWithItsLogoutAndNoGhost) {
    // --max-content promises more than any machine has; the allocation for a message that
    // big fails. Sanitizers die on a failed allocation unless told to return null.
    ProcessOptions process;
    for (const char* name : {"ASAN_OPTIONS", "TSAN_OPTIONS"}) {
        const char* now = std::getenv(name);
        process.extra_env[name] =
            std::string(now ? now : "") + (now && *now ? ":" : "") + "allocator_may_return_null=1";
    }
    auto server = start({"--max-content", std::to_string(std::uint64_t{1} << 50), "--max-queue",
                         std::to_string(std::uint64_t{1} << 51)},
                        process);
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(bob.login());
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ASSERT_TRUE(alice.expect_from(kLogin, "bob"));
    ASSERT_TRUE(alice.send(descriptor(kFile, 0, std::uint64_t{1} << 49)));  // 512 TiB
    ASSERT_TRUE(alice.expect(kError));
    EXPECT_TRUE(alice.expect_closed());
    EXPECT_TRUE(bob.expect_from(kLogout, "alice")) << server->describe();
    ChatPeer again(*server, "alice again");
    EXPECT_TRUE(again.login("alice")) << "the name must be free: no ghost user";
    EXPECT_TRUE(bob.expect_from(kLogin, "alice"));
    EXPECT_TRUE(server->process().running()) << server->describe();
}

// ------------------------------------------------------------------ command line
TEST(ChatCommandLine, ALoginTimeoutIsPositiveFiniteAndAtMostAYear) {
    for (std::string bad : {"0", "-1", "nan", "inf", "1e10", "31536001", "9223372036854775807"}) {
        auto run = run_client(v5().server_path(), {"--login-timeout", bad}, "");
        EXPECT_EQ(run.exit_status, 2) << "--login-timeout " << bad << ": " << escape(run.err);
    }
    auto server = start({"--login-timeout", "31536000"});
    EXPECT_EQ(server->stop(SIGTERM, 2s), 0);
}

}  // namespace
}  // namespace course::test
