// docs/contract.md, "v5-chat", the server: login, events, relay, errors, limits,
// backpressure, order.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

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

// Logs the peers in, in order, and takes the Login events that follows each login.
testing::AssertionResult log_in_all(std::vector<ChatPeer*> peers) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
        if (auto done = peers[i]->login(); !done)
            return done;
        for (std::size_t j = 0; j < i; ++j) {  // the newcomer hears of the others, oldest first
            if (auto got = peers[i]->expect_from(kLogin, peers[j]->name()); !got)
                return got;
        }
        for (std::size_t j = 0; j < i; ++j) {  // and the others of the newcomer
            if (auto got = peers[j]->expect_from(kLogin, peers[i]->name()); !got)
                return got;
        }
    }
    return testing::AssertionSuccess();
}

// ------------------------------------------------------------------ login
TEST(ChatLogin, JsonHeaderAndBareNameBothLogIn) {
    auto server = start();
    ChatPeer alice(*server, "alice");
    EXPECT_TRUE(alice.login());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.send(kLogin, "bob"));  // the seed's bare UTF-8 name
    ChatMessage answer;
    ASSERT_TRUE(bob.expect(kLogin, &answer));
    EXPECT_TRUE(answer.header.empty() && answer.content.empty()) << answer.describe();
}

TEST(ChatLogin, DescriptorSentByteByByte) {
    auto server = start();
    ChatPeer alice(*server, "alice");
    for (char byte : frame(kLogin, login_header("alice"))) {
        ASSERT_TRUE(alice.send(std::string_view(&byte, 1)));
    }
    EXPECT_TRUE(alice.expect(kLogin));
    for (char byte : frame(kUtf8, "", "hi")) {
        ASSERT_TRUE(alice.send(std::string_view(&byte, 1)));
    }
    ChatMessage echo;
    ASSERT_TRUE(alice.expect_from(kUtf8, "alice", &echo));
    EXPECT_EQ(echo.content, "hi");
}

TEST(ChatLogin, EveryBadUsernameIsBadUsernameAndTheConnectionMayRetry) {
    auto server = start();
    ChatPeer peer(*server, "peer");
    std::vector<std::string> bad = {
        "", std::string(33, 'a'), "\xff", "a\xc3", "\xc0\xaf" /* overlong */,
        "\xed\xa0\x80" /* surrogate */, std::string("a\0b", 3), "a\x01", "a\x1f", "a\x7f",
        "a" + utf8(0x80), "a" + utf8(0x9f), "server", "SERVER", "Server", "sErVeR",
        "a" + utf8(0x200b), "a" + utf8(0xfeff), "a\"b", "a\\b",
        // 17 two-byte letters: 17 characters, but 34 bytes
        [] {
            std::string n;
            for (int i = 0; i < 17; ++i)
                n += utf8(0x436);
            return n;
        }()};
    for (char32_t space : {0x09,   0x0a,   0x0b,   0x0c,   0x0d,   0x20,   0x85,   0xa0,   0x1680,
                           0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                           0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000}) {
        bad.push_back("a" + utf8(space) + "b");
    }
    for (const auto& name : bad) {
        // JSON cannot carry invalid UTF-8, so those go as the seed's bare name.
        std::string header;
        try {
            header = login_header(name);
        } catch (const nlohmann::json::exception&) {
            header = name;
        }
        ASSERT_TRUE(peer.send(kLogin, header));
        EXPECT_TRUE(peer.expect(kBadUsername)) << "username " << escape(name);
    }
    for (std::string header : {"", "{}", R"({"to": 5})", R"({"filename": "alice"})"}) {
        ASSERT_TRUE(peer.send(kLogin, header));
        EXPECT_TRUE(peer.expect(kBadUsername)) << "header " << escape(header);
    }
    // The limits themselves are fine: 32 bytes, non-ASCII letters, "server" inside a name.
    EXPECT_TRUE(peer.login(std::string(32, 'x')));
    ChatPeer other(*server, "other");
    EXPECT_TRUE(other.login("Алиса-servers"));
    // The limit counts bytes, not characters: 16 two-byte letters are exactly 32 bytes.
    std::string sixteen;
    for (int i = 0; i < 16; ++i)
        sixteen += utf8(0x436);
    ChatPeer third(*server, "third");
    EXPECT_TRUE(third.login(sixteen));
}

TEST(ChatLogin, ATakenNameIsUsernameExistsAndMakesNoEvent) {
    auto server = start();
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    ChatPeer impostor(*server, "impostor");
    ASSERT_TRUE(impostor.send(kLogin, login_header("alice")));
    EXPECT_TRUE(impostor.expect(kUsernameExists));
    ASSERT_TRUE(impostor.send(kLogin, "bad name"));
    EXPECT_TRUE(impostor.expect(kBadUsername));
    EXPECT_TRUE(alice.expect_nothing(300ms)) << "a failed login makes no event";
    // The original replaced alice here; she must still be the one logged in.
    ASSERT_TRUE(alice.send(kUtf8, "", "still me"));
    EXPECT_TRUE(alice.expect_from(kUtf8, "alice"));
    EXPECT_TRUE(impostor.login("mallory"));
    EXPECT_TRUE(alice.expect_from(kLogin, "mallory"));
}

TEST(ChatLogin, AnyOtherTypeBeforeLoginIsBadLoginAfterItIsReadWhole) {
    auto server = start();
    ChatPeer peer(*server, "peer");
    for (std::uint16_t type : {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1000, 65535}) {
        // Header and content must be read and dropped: the next message must frame right.
        ASSERT_TRUE(peer.send(type, R"({"to":"x"})", std::string(100, char('A' + type % 26))));
        EXPECT_TRUE(peer.expect(kBadLogin)) << "type " << type;
    }
    EXPECT_TRUE(peer.login());
}

TEST(ChatLogin, LoginTimeoutClosesASilentConnectionButNotALoggedInOne) {
    auto server = start({"--login-timeout", "0.5"});
    ChatPeer silent(*server, "silent");
    ChatPeer trying(*server, "trying");
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(trying.send(kLogin, "bad name"));
    ASSERT_TRUE(trying.expect(kBadUsername));
    EXPECT_TRUE(silent.expect_closed(3s));
    EXPECT_TRUE(trying.expect_closed(3s)) << "a failed attempt is no login";
    EXPECT_TRUE(alice.expect_nothing(700ms));
}

// ------------------------------------------------------------------ events
TEST(ChatEvents, NewcomerHearsOfEveryoneOldestFirstAndEveryoneOfTheNewcomer) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(bob.login());
    EXPECT_TRUE(bob.expect_from(kLogin, "alice"));
    EXPECT_TRUE(alice.expect_from(kLogin, "bob"));
    ASSERT_TRUE(carol.login());
    ChatMessage event;
    EXPECT_TRUE(carol.expect_from(kLogin, "alice", &event));
    EXPECT_TRUE(is_timestamp(event.json().value("timestamp", ""))) << event.describe();
    EXPECT_TRUE(event.content.empty());
    EXPECT_TRUE(carol.expect_from(kLogin, "bob"));
    EXPECT_TRUE(alice.expect_from(kLogin, "carol"));
    EXPECT_TRUE(bob.expect_from(kLogin, "carol"));
    for (auto* peer : {&alice, &bob, &carol}) {
        EXPECT_TRUE(peer->expect_nothing(200ms)) << "nobody hears about themselves";
    }
}

TEST(ChatEvents, LogoutClosesAndEveryoneElseHearsOfIt) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(log_in_all({&alice, &bob}));
    ASSERT_TRUE(bob.send(kLogout));
    EXPECT_TRUE(bob.expect_closed());
    EXPECT_TRUE(alice.expect_from(kLogout, "bob"));
    // The name is free again.
    ChatPeer bob2(*server, "bob2");
    EXPECT_TRUE(bob2.login("bob"));
}

TEST(ChatEvents, ADroppedOrResetConnectionIsALogoutToo) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
    ASSERT_TRUE(log_in_all({&alice, &bob, &carol}));
    bob.connection().close();
    carol.connection().reset();
    ChatMessage first, second;
    ASSERT_TRUE(alice.expect(kLogout, &first));
    ASSERT_TRUE(alice.expect(kLogout, &second));
    std::set<std::string> left{first.json().value("from", ""), second.json().value("from", "")};
    EXPECT_EQ(left, (std::set<std::string>{"bob", "carol"}));
}

// ------------------------------------------------------------------ relay
TEST(ChatRelay, ToEveryoneTheSenderTooWithTheServerHeader) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(log_in_all({&alice, &bob}));
    for (std::uint16_t type : {kUtf8, kImage, kFile, kVoice}) {
        std::string content = type == kUtf8 ? "héllo" : std::string("\x00\xff\x89PNG", 6);
        std::string header = type == kUtf8 ? "" : R"({"filename": "a.pdf", "extra": 1})";
        ASSERT_TRUE(alice.send(type, header, content));
        for (auto* peer : {&alice, &bob}) {
            ChatMessage got;
            ASSERT_TRUE(peer->expect_from(type, "alice", &got));
            EXPECT_EQ(got.content, content);
            auto json = got.json();
            EXPECT_TRUE(is_timestamp(json.value("timestamp", ""))) << got.describe();
            EXPECT_FALSE(json.contains("to")) << got.describe();
            EXPECT_FALSE(json.contains("extra")) << got.describe();
            if (type == kUtf8) {
                EXPECT_FALSE(json.contains("filename")) << got.describe();
            } else {
                EXPECT_EQ(json.value("filename", ""), "a.pdf") << got.describe();
            }
        }
    }
}

TEST(ChatRelay, PrivateGoesToThatUserAndTheSenderOnly) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
    ASSERT_TRUE(log_in_all({&alice, &bob, &carol}));

    ASSERT_TRUE(alice.send(kUtf8, R"({"to": "bob"})", "psst"));
    ASSERT_TRUE(alice.send(kUtf8, "", "public"));
    for (auto* peer : {&alice, &bob}) {
        ChatMessage got;
        ASSERT_TRUE(peer->expect_from(kUtf8, "alice", &got));
        EXPECT_EQ(got.content, "psst");
        EXPECT_EQ(got.json().value("to", ""), "bob") << got.describe();
    }
    ChatMessage got;
    ASSERT_TRUE(carol.expect_from(kUtf8, "alice", &got));
    EXPECT_EQ(got.content, "public") << "carol must not see the private message";
}

TEST(ChatRelay, EveryRecipientSeesTheSameOrder) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob"), carol(*server, "carol");
    ASSERT_TRUE(log_in_all({&alice, &bob, &carol}));
    // Two senders at once, each in many small writes that interleave at the server.
    constexpr int count = 300;
    std::string from_alice, from_bob;
    for (int i = 0; i < count; ++i) {
        from_alice += frame(kUtf8, "", "a" + std::to_string(i));
        from_bob += frame(kUtf8, "", "b" + std::to_string(i));
    }
    for (std::size_t at = 0; at < std::max(from_alice.size(), from_bob.size()); at += 777) {
        if (at < from_alice.size()) {
            ASSERT_TRUE(alice.send(from_alice.substr(at, 777)));
        }
        if (at < from_bob.size()) {
            ASSERT_TRUE(bob.send(from_bob.substr(at, 777)));
        }
    }
    std::vector<std::string> seen[3];
    ChatPeer* peers[3] = {&alice, &bob, &carol};
    for (int p = 0; p < 3; ++p) {
        for (int i = 0; i < 2 * count; ++i) {
            ChatMessage got;
            ASSERT_TRUE(peers[p]->expect(kUtf8, &got));
            seen[p].push_back(got.json().value("from", "") + ":" + got.content);
        }
    }
    EXPECT_EQ(seen[0], seen[2]);
    EXPECT_EQ(seen[1], seen[2]);
    // And each sender's own messages keep their order.
    int next_a = 0, next_b = 0;
    for (const auto& entry : seen[2]) {
        if (entry.starts_with("alice:")) {
            EXPECT_EQ(entry, "alice:a" + std::to_string(next_a++));
        }
        if (entry.starts_with("bob:")) {
            EXPECT_EQ(entry, "bob:b" + std::to_string(next_b++));
        }
    }
}

// ------------------------------------------------------------------ errors that keep the
// connection
testing::AssertionResult expect_error(ChatPeer& peer, std::string_view about) {
    ChatMessage error;
    if (auto got = peer.expect(kError, &error); !got) {
        return got << " (" << about << ")";
    }
    auto json = error.json();
    if (!json.is_object() || !json.contains("error") || !json["error"].is_string() ||
        json.value("from", "") != "server") {
        return testing::AssertionFailure()
               << peer.label() << " an Error needs {\"error\": \"...\", \"from\": \"server\"}, got "
               << error.describe() << " (" << about << ")";
    }
    return testing::AssertionSuccess();
}

TEST(ChatErrors, UnknownToBadUtf8AndBadHeadersAreErrorsAndTheConnectionStays) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(log_in_all({&alice, &bob}));
    struct Case {
        std::uint16_t type;
        std::string header, content, about;
    };
    for (const Case& c : std::vector<Case>{
             {kUtf8, R"({"to": "nobody"})", "hi", "unknown to"},
             {kFile, R"({"to": "server"})", "x", "the server is no user"},
             {kUtf8, "", "\xff\xfe", "Utf8 content that is not UTF-8"},
             {kUtf8, "", "a\xed\xa0\x80", "a surrogate in Utf8"},
             {kUtf8, "not json", "hi", "header not JSON"},
             {kUtf8, "[1, 2]", "hi", "header JSON but not an object"},
             {kUtf8, "\"bob\"", "hi", "header a JSON string"},
             {kUtf8, "{\"to\": ", "hi", "header cut short"},
         }) {
        ASSERT_TRUE(alice.send(c.type, c.header, c.content));
        EXPECT_TRUE(expect_error(alice, c.about));
    }
    EXPECT_TRUE(bob.expect_nothing(200ms)) << "nothing wrong is relayed";
    ASSERT_TRUE(alice.send(kFile, R"({"filename": "bin"})", "\xff\xfe"));  // binary is fine here
    EXPECT_TRUE(alice.expect_from(kFile, "alice"));
    EXPECT_TRUE(bob.expect_from(kFile, "alice"));
}

// ------------------------------------------------------------------ errors that close
TEST(ChatErrors, AnyOtherTypeAfterLoginIsErrorThenClose) {
    for (std::uint16_t type : std::vector<std::uint16_t>{kLogin, kUsernameExists, kBadUsername,
                                                         kBadLogin, kError, 0, 11, 65535}) {
        auto server = start();
        ChatPeer alice(*server, "alice"), bob(*server, "bob");
        ASSERT_TRUE(log_in_all({&alice, &bob}));
        if (type == kError) {  // only the descriptor, announcing a header that never comes
            ASSERT_TRUE(bob.send(descriptor(type, 100, 100)));
        } else {
            ASSERT_TRUE(bob.send(type, type == kLogin ? login_header("bob2") : ""));
        }
        EXPECT_TRUE(expect_error(bob, "type " + std::to_string(type)));
        EXPECT_TRUE(bob.expect_closed()) << "type " << type;
        EXPECT_TRUE(alice.expect_from(kLogout, "bob")) << "type " << type;
    }
}

TEST(ChatErrors, AHeaderOver4096IsRefusedBeforeItIsRead) {
    auto server = start();
    // Before login: only the descriptor is sent; the server must not wait for the header.
    ChatPeer early(*server, "early");
    ASSERT_TRUE(early.send(descriptor(kLogin, 4097, 0)));
    EXPECT_TRUE(expect_error(early, "header of 4097 before login"));
    EXPECT_TRUE(early.expect_closed());

    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    std::string exactly(4096, ' ');
    std::string json = R"({"filename": "a"})";
    exactly.replace(0, json.size(), json);  // JSON with trailing spaces: 4096 bytes
    ASSERT_TRUE(alice.send(kFile, exactly, "x"));
    EXPECT_TRUE(alice.expect_from(kFile, "alice")) << "a header of exactly 4096 bytes is fine";
    ASSERT_TRUE(alice.send(descriptor(kUtf8, 65535, 1)));
    EXPECT_TRUE(expect_error(alice, "header of 65535"));
    EXPECT_TRUE(alice.expect_closed());
}

TEST(ChatErrors, ContentOverMaxContentIsRefusedBeforeItIsRead) {
    auto server = start({"--max-content", "1000"});
    ChatPeer early(*server, "early");
    ASSERT_TRUE(early.send(descriptor(kUtf8, 0, 1001)));
    EXPECT_TRUE(expect_error(early, "content over the limit before login"));
    EXPECT_TRUE(early.expect_closed());

    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(log_in_all({&alice, &bob}));
    ASSERT_TRUE(alice.send(kFile, "", std::string(1000, 'x')));
    EXPECT_TRUE(alice.expect_from(kFile, "alice")) << "exactly --max-content is fine";
    ASSERT_TRUE(bob.expect_from(kFile, "alice"));
    ASSERT_TRUE(alice.send(descriptor(kFile, 0, std::uint64_t{1} << 62)));
    EXPECT_TRUE(expect_error(alice, "content of 2^62 bytes"));
    EXPECT_TRUE(alice.expect_closed());
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));
}

TEST(ChatErrors, APeerThatStopsMidMessageIsForgottenAndNothingPartialIsRelayed) {
    auto server = start();
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(log_in_all({&alice, &bob}));
    std::string message = frame(kUtf8, "", std::string(5000, 'z'));
    ASSERT_TRUE(alice.send(message.substr(0, 2500)));
    EXPECT_TRUE(bob.expect_nothing(200ms));
    alice.connection().close();
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));
    ASSERT_TRUE(bob.send(kUtf8, "", "still here"));
    ChatMessage got;
    ASSERT_TRUE(bob.expect_from(kUtf8, "bob", &got));
    EXPECT_EQ(got.content, "still here");
}

// ------------------------------------------------------------------ backpressure
TEST(ChatBackpressure, AReceiverThatNeverReadsIsCutOffWhileOthersKeepReceiving) {
    // The smallest queue the server accepts for 1000-byte contents: 1000 + 8 KiB.
    auto server = start({"--max-content", "1000", "--max-queue", "9192"});
    ChatPeer alice(*server, "alice"), carol(*server, "carol"), sleepy(*server, "sleepy");
    int small = 4096;  // keep the kernel's buffering small so the test sends less
    setsockopt(sleepy.connection().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ASSERT_TRUE(log_in_all({&alice, &carol, &sleepy}));

    // alice sends, alice and carol read everything; sleepy reads nothing. Bounded: at most
    // 64 MiB, i.e. far past any kernel buffer, before sleepy must have been cut off.
    const std::string content(1000, 'm');
    int sent = 0, alice_got = 0, carol_got = 0;
    bool sleepy_left = false;
    auto drain = [&](ChatPeer& peer, int& count, std::chrono::milliseconds wait) {
        while (auto message = peer.next(wait)) {
            if (message->type == kUtf8) {
                EXPECT_EQ(message->content, content);
                ++count;
            } else if (message->type == kLogout && message->json().value("from", "") == "sleepy") {
                sleepy_left = sleepy_left || &peer == &carol;
            } else {
                ADD_FAILURE() << peer.label() << " unexpected " << message->describe();
                return;
            }
            if (count >= sent)
                return;
        }
    };
    while (!sleepy_left && sent < 64 * 1024) {
        std::string batch;
        for (int i = 0; i < 64; ++i)
            batch += frame(kUtf8, "", content);
        ASSERT_TRUE(alice.send(batch));
        sent += 64;
        drain(alice, alice_got, 5s);
        drain(carol, carol_got, 5s);
        ASSERT_EQ(alice_got, sent) << "the sender must keep receiving its own messages\n"
                                   << server->describe();
        if (!sleepy_left) {
            ASSERT_EQ(carol_got, sent) << server->describe();
        }
    }
    EXPECT_TRUE(sleepy_left) << "sleepy was never cut off after " << sent << " messages\n"
                             << server->describe();
    // carol got every message, in order, with sleepy's Logout among them.
    drain(carol, carol_got, 5s);
    EXPECT_EQ(carol_got, sent);
}

// ------------------------------------------------------------------ scale
TEST(ChatScale, ThousandsOfConnectionsAndAHundredUsers) {
    REQUIRE_FEATURE(v5(), Feature::ThousandsOfClients);
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;  // for us, and for the server we start
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < 2400) {
        GTEST_SKIP() << "needs 2400 file descriptors, the limit is " << files.rlim_cur;
    }
    auto server = start({"--login-timeout", "120"});
    std::vector<Connection> idle;  // connected, never logging in
    for (int i = 0; i < 2000; ++i) {
        idle.push_back(server->connect("idle" + std::to_string(i)));
    }
    std::vector<std::unique_ptr<ChatPeer>> users;
    for (int i = 0; i < 100; ++i) {
        users.push_back(std::make_unique<ChatPeer>(*server, "u" + std::to_string(i)));
        ASSERT_TRUE(users.back()->login());
    }
    ASSERT_TRUE(users[0]->send(kUtf8, "", "hello"));
    for (int i = 0; i < 100; ++i) {
        // u<i> heard of the i before it (oldest first), then of the 99 - i after it.
        for (int j = 0; j < 100; ++j) {
            if (j != i) {
                ASSERT_TRUE(users[i]->expect_from(kLogin, "u" + std::to_string(j)));
            }
        }
        ChatMessage got;
        ASSERT_TRUE(users[i]->expect_from(kUtf8, "u0", &got));
        EXPECT_EQ(got.content, "hello");
    }
}

// ------------------------------------------------------------------ command line
TEST(ChatCommandLine, MaxQueueBelowMaxContentPlus8KiBIsExitTwo) {
    auto run = run_client(v5().server_path(), {"--max-content", "1000", "--max-queue", "9191"}, "");
    EXPECT_EQ(run.exit_status, 2) << escape(run.err);
    EXPECT_NE(run.err.find("--max-queue"), std::string::npos) << escape(run.err);
    EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "one line: " << escape(run.err);
    for (std::vector<std::string> bad :
         std::vector<std::vector<std::string>>{{"--max-content", "lots"},
                                               {"--login-timeout", "0"},
                                               {"--login-timeout", "-1"},
                                               {"--max-queue", "-5"}}) {
        auto bad_run = run_client(v5().server_path(), bad, "");
        EXPECT_EQ(bad_run.exit_status, 2) << bad[0] << " " << bad[1] << ": " << escape(bad_run.err);
    }
}

}  // namespace
}  // namespace course::test
