// docs/contract.md, "v5-chat" and "Every server": the server under hostile or heavy input:
// no Nagle delays, bad input that costs what good input costs, file names and user names
// that cannot hide or need an escape, a login storm, and the login sweep.
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "chat_peer.hpp"
#include "utf8.hpp"

namespace course::test {
namespace {

const Stage& v5() { return stage("v5"); }

std::unique_ptr<Server> start(std::vector<std::string> args = {}) {
    ServerOptions options;
    options.args = std::move(args);
    return Server::start(v5(), options);
}

std::string error_text(const ChatMessage& message) {
    auto json = message.json();
    return json.is_object() ? json.value("error", "") : "";
}

// Reads until the server closes; true when an Error saying `text` came before.
testing::AssertionResult expect_error_then_close(ChatPeer& peer, std::string_view text) {
    bool said = false;
    while (auto message = peer.next(10s)) {
        said = said || (message->type == kError && error_text(*message) == text);
    }
    if (!peer.closed()) {
        return testing::AssertionFailure() << peer.label() << " was never closed";
    }
    if (!said) {
        return testing::AssertionFailure()
               << peer.label() << " closed without an Error '" << text << "'";
    }
    return testing::AssertionSuccess();
}

// Reads past other users' Login and Logout events to `peer`'s own message coming back.
bool expect_own_echo(ChatPeer& peer, std::chrono::milliseconds within) {
    auto deadline = deadline_in(within);
    while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto message = peer.next(std::max(left, 1ms));
        if (!message) {
            return false;
        }
        if (message->type == kUtf8) {
            return message->json().value("from", "") == peer.name();
        }
    }
    return false;
}

// ------------------------------------------------------------------ TCP_NODELAY
TEST(ChatSpeed, PipelinedMessagesReachThreeReadersWithoutWaitingForAcks) {
    // sam sends and three others only read; sam keeps 4 messages in flight (sent, not yet
    // at every reader). With Nagle's algorithm on, the server holds each small write back
    // until a reader acknowledges the one before, and a reader that sends nothing delays
    // its acknowledgements by up to 40 ms: about 150 messages a second, not thousands.
    auto server = start();
    ChatPeer sam(*server, "sam");
    std::vector<std::unique_ptr<ChatPeer>> readers;
    ASSERT_TRUE(sam.login());
    for (std::string name : {"alice", "bob", "carol"}) {
        readers.push_back(std::make_unique<ChatPeer>(*server, name));
        ASSERT_TRUE(readers.back()->login());
    }
    for (auto& reader : readers) {  // each hears of the three others
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(reader->expect(kLogin));
        }
    }
    constexpr int kMessages = 3200;
    constexpr int kInFlight = 4;
    const std::string text(4096, 'x');
    // Generous: well under a second without Nagle, about 20 s with it.
    auto deadline = deadline_in(10s);
    int sent = 0;
    for (; sent < kInFlight; ++sent) {
        ASSERT_TRUE(sam.send(kUtf8, "", text));
    }
    for (int got = 0; got < kMessages; ++got) {
        for (auto& reader : readers) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            ASSERT_TRUE(reader->expect_from(kUtf8, "sam", nullptr, std::max(left, 1ms)))
                << "message " << got << " of " << kMessages << "\n"
                << server->describe();
        }
        if (sent < kMessages) {  // every reader has it: one more in flight
            ASSERT_TRUE(sam.send(kUtf8, "", text));
            ++sent;
        }
    }
}

// ------------------------------------------------------------------ bad input
TEST(ChatErrors, AFloodOfBadMessagesIsCutWithTooManyErrors) {
    auto server = start();
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    // Utf8 content that is not UTF-8: each one an Error that keeps the connection ...
    std::string flood;
    for (int i = 0; i < 1000; ++i) {
        flood += frame(kUtf8, "", "\xff");
    }
    ASSERT_TRUE(bob.send(flood));
    // ... but not a thousand of them in one second.
    EXPECT_TRUE(expect_error_then_close(bob, "too many errors")) << server->describe();

    // Before login the same: Logout frames, each a BadLogin.
    ChatPeer anonymous(*server, "anonymous");
    std::string logouts;
    for (int i = 0; i < 1000; ++i) {
        logouts += frame(kLogout);
    }
    ASSERT_TRUE(anonymous.send(logouts));
    EXPECT_TRUE(expect_error_then_close(anonymous, "too many errors")) << server->describe();
}

TEST(ChatErrors, BadMessageFloodsNeitherSlowOthersNorGrowTheLog) {
    auto server = start();
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    // Flooders, one after another, each sending 64 KiB of bad messages at once: logged
    // in (Utf8 that is not UTF-8) and not logged in (Logout before login).
    constexpr int kFlooders = 30;
    std::string bad_utf8, logouts;
    while (bad_utf8.size() < 64 * 1024) {
        bad_utf8 += frame(kUtf8, "", "\xff");
        logouts += frame(kLogout);
    }
    std::atomic<bool> flooding{true};
    std::thread flooders([&] {
        auto stop_at = deadline_in(20s);  // a bound on the whole flood, whatever the server
        for (int i = 0; i < kFlooders && Clock::now() < stop_at; ++i) {
            ChatPeer flooder(*server, "flooder" + std::to_string(i));
            bool logged_in = i % 2 == 0 && flooder.login("f" + std::to_string(i));
            if (!flooder.send(logged_in ? bad_utf8 : logouts)) {
                break;
            }
            while (Clock::now() < stop_at && flooder.next(2s)) {  // until the server closes
            }
        }
        flooding = false;
    });
    // Meanwhile alice's own messages come back as fast as ever (within the contract's usual
    // 2 seconds, however busy the flooders keep the server).
    int round_trips = 0;
    while (flooding && round_trips < 500) {
        ASSERT_TRUE(alice.send(kUtf8, "", "ping"));
        bool back = expect_own_echo(alice, 2s);
        if (!back) {
            flooders.join();
        }
        ASSERT_TRUE(back) << "round trip " << round_trips << " during the flood\n"
                          << server->describe();
        ++round_trips;
    }
    flooders.join();
    // Each flooder's refusals are logged once a second at most: a few lines each, not one
    // line for each of its thousands of bad messages.
    auto log = std::filesystem::path(server->directory()) / "server.log";
    ASSERT_TRUE(std::filesystem::exists(log));
    auto bytes = std::filesystem::file_size(log);
    EXPECT_LT(bytes, 64u * 1024) << kFlooders << " flooders made " << bytes << " bytes of log";
}

// ------------------------------------------------------------------ hostile names
TEST(ChatRelay, HostileFileNamesAreCleanedAndNoServerHeaderNeedsAnEscape) {
    auto server = start();
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    struct Case {
        std::uint16_t type;
        std::string header;
        std::string relayed;  // "*" : made from the type and the time
    };
    auto named = [](const std::string& name) { return nlohmann::json{{"filename", name}}.dump(); };
    const std::vector<Case> cases = {
        {kFile, named("a\"b.txt"), "a_b.txt"},
        {kFile, named("dir\\a\"b\\c.pdf"), "c.pdf"},
        {kFile, named("evil" + utf8(0x202e) + "fdp.exe"), "evil_fdp.exe"},
        {kFile, named("soft" + utf8(0xad) + "hyphen" + utf8(0x200d) + ".txt"), "soft_hyphen_.txt"},
        {kFile,
         named("bell\x07"
               "del\x7f"
               "c1" +
               utf8(0x85) + "x"),
         "bell_del_c1_x"},
        {kFile, named("tag" + utf8(0xe0041) + utf8(0xfeff)), "tag__"},
        {kFile, "bare\"quote.txt", "bare_quote.txt"},  // the seed's bare name
        {kFile, "", "*"},                              // no header at all
        {kFile, named(""), "*"},
        {kFile, named("x/.."), "*"},
        {kImage, "..", "*"},
        {kVoice, R"({"to": "alice"})", "*"},
    };
    for (const Case& c : cases) {
        ASSERT_TRUE(alice.send(c.type, c.header, "x"));
        ChatMessage got;
        ASSERT_TRUE(alice.expect_from(c.type, "alice", &got)) << escape(c.header);
        EXPECT_EQ(got.header.find('\\'), std::string::npos)
            << "a server header with an escape: " << got.describe();
        std::string name = got.json().value("filename", "<none>");
        if (c.relayed == "*") {
            std::string type = c.type == kFile ? "file" : c.type == kImage ? "image" : "voice";
            EXPECT_TRUE(matches_digits(name, type + "-ddddddddTddddddZ"))
                << escape(c.header) << " -> " << escape(name);
        } else {
            EXPECT_EQ(name, c.relayed) << escape(c.header);
        }
    }
    // An Error repeats no hostile text either: an unknown `to` full of quotes.
    ASSERT_TRUE(alice.send(kUtf8, nlohmann::json{{"to", "\"\\\x01" + utf8(0x202e)}}.dump(), "hi"));
    ChatMessage error;
    ASSERT_TRUE(alice.expect(kError, &error));
    EXPECT_EQ(error.header.find('\\'), std::string::npos) << error.describe();
}

TEST(ChatLogin, LookAlikeNamesWithFormatCharactersAreBadUsername) {
    auto server = start();
    ChatPeer peer(*server, "peer");
    // Invisible, or reordering what follows: "al<U+202E>ecila" shows as "alalice".
    for (char32_t format :
         {0xad, 0x600, 0x61c, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064,
          0x2066, 0x2069, 0x206f, 0xfff9, 0x110bd, 0x1d173, 0xe0001, 0xe0041}) {
        std::string name = "al" + utf8(format) + "ice";
        ASSERT_TRUE(peer.send(kLogin, login_header(name)));
        EXPECT_TRUE(peer.expect(kBadUsername)) << "username " << escape(name);
    }
    EXPECT_TRUE(peer.login("alice"));
}

// ------------------------------------------------------------------ the login sweep
TEST(ChatLogin, TheLoginSweepLeavesLoggedInUsersAlone) {
    // The sweep runs several times a second with a short --login-timeout: a logged-in
    // user who stays silent through several of its rounds is still served.
    auto server = start({"--login-timeout", "0.2"});
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(alice.expect_nothing(1500ms));  // several timeouts long, and not closed
    ASSERT_TRUE(alice.send(kUtf8, "", "still here"));
    ChatMessage echo;
    ASSERT_TRUE(alice.expect_from(kUtf8, "alice", &echo)) << server->describe();
    EXPECT_EQ(echo.content, "still here");
}

// ------------------------------------------------------------------ command line
TEST(ChatCommandLine, SizesOutOfRangeAreExitTwoWithAShortMessage) {
    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
             {"--max-queue", "99999999999999999999"},  // over 64 bits: never "unlimited"
             {"--max-content", "abc"},
             {"--max-content", "1.5"},
             {"--max-queue", "100"}}) {
        auto run = run_client(v5().server_path(), bad, "");
        EXPECT_EQ(run.exit_status, 2) << bad[0] << " " << bad[1] << ": " << escape(run.err);
        EXPECT_NE(run.err.find(bad[0]), std::string::npos) << escape(run.err);
        EXPECT_LT(run.err.size(), 200u) << "a short message: " << escape(run.err);
    }
}

// ------------------------------------------------------------------ a login storm
// A thousand clients log in at once. Admitted one per turn of the event loop, each
// newcomer's join would wake every writer for one event: O(n²) system calls, and the last
// answers after 5 s. The server takes the whole backlog in one turn (Server::take_backlog),
// so a turn's joins share one gathered write per connection.
TEST(ChatScale, ThousandClientsLogInAtOnce) {
    REQUIRE_FEATURE(v5(), Feature::ThousandsOfClients);
    constexpr int kClients = 1000;
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;  // for us, and for the server we start
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < 2 * kClients + 200) {
        GTEST_SKIP() << "needs " << 2 * kClients + 200 << " file descriptors, the limit is "
                     << files.rlim_cur;
    }
    auto server = start({"--login-timeout", "120"});
    std::vector<std::unique_ptr<ChatPeer>> users;
    for (int i = 0; i < kClients; ++i) {
        users.push_back(std::make_unique<ChatPeer>(*server, "u" + std::to_string(i)));
    }
    // All at once: every Login is on its way before the first answer is read.
    auto sent = Clock::now();
    for (auto& user : users) {
        ASSERT_TRUE(user->send(kLogin, login_header(user->name())));
    }
    auto answered = deadline_in(5s);
    for (auto& user : users) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(answered - Clock::now());
        ASSERT_TRUE(user->expect(kLogin, nullptr, std::max(left, 1ms)))
            << "no Login answer within 5 s of the storm\n"
            << server->describe();
    }
    auto all_answered = Clock::now() - sent;
    // Everyone hears of everyone else exactly once.
    for (auto& user : users) {
        std::set<std::string> heard;
        for (int i = 0; i + 1 < kClients; ++i) {
            ChatMessage event;
            ASSERT_TRUE(user->expect(kLogin, &event, 10s)) << "after " << heard.size() << " events";
            heard.insert(event.json().value("from", ""));
        }
        EXPECT_EQ(heard.size(), kClients - 1u) << user->label();
        EXPECT_FALSE(heard.contains(user->name())) << user->label();
    }
    std::cout << "[ measured ] " << kClients << " logins answered within "
              << std::chrono::duration_cast<std::chrono::milliseconds>(all_answered).count()
              << " ms\n";
}

}  // namespace
}  // namespace course::test
