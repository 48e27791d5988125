// docs/contract.md, "v5-chat": the seed's own programs and ours work together. The seed's
// client (as exact bytes, seed_client.hpp) against our server and beside our client; our
// client against a server that behaves as the seed's does (bare login, 9-digit timestamps,
// no close after Logout).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "seed_client.hpp"
#include "utf8.hpp"

namespace course::test {
namespace {

const Stage& v5() { return stage("v5"); }

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

// ------------------------------------------------------------------ the seed's client, our server
TEST(SeedClient, LogsInChatsAndExchangesFilesWithOurServer) {
    auto server = Server::start(v5());
    SeedClient alice(*server, "alice"), bob(*server, "Боб");
    ASSERT_TRUE(alice.login());
    ASSERT_TRUE(bob.login());
    EXPECT_TRUE(bob.expect(kLogin, "alice"));  // raw UTF-8 everywhere: no \u escapes
    EXPECT_TRUE(alice.expect(kLogin, "Боб"));

    ASSERT_TRUE(alice.say("привет, Боб"));
    SeedMessage got;
    ASSERT_TRUE(alice.expect(kUtf8, "alice"));
    ASSERT_TRUE(bob.expect(kUtf8, "alice", &got));
    EXPECT_EQ(got.content, "привет, Боб");

    std::string bytes("%PDF\0\xff note", 11);
    ASSERT_TRUE(bob.send_file("note.txt", bytes));  // the bare file name: no JSON
    for (auto* peer : {&alice, &bob}) {
        ASSERT_TRUE(peer->expect(kFile, "Боб", &got));
        EXPECT_EQ(got.filename, "note.txt");
        EXPECT_EQ(got.content, bytes);
    }
    ASSERT_TRUE(alice.send_file("../../home/bob/.bashrc", "x"));  // joined unchecked: a base name
    for (auto* peer : {&alice, &bob}) {
        ASSERT_TRUE(peer->expect(kFile, "alice", &got));
        EXPECT_EQ(got.filename, ".bashrc");
    }
    std::string big(100 * 1024, 'b');  // the original fails every file over 16 KiB
    ASSERT_TRUE(bob.send_file("big.bin", big));
    for (auto* peer : {&alice, &bob}) {
        ASSERT_TRUE(peer->expect(kFile, "Боб", &got));
        EXPECT_EQ(got.content, big);
    }
    ASSERT_TRUE(alice.send_file("Фото мая.png", "png"));
    ASSERT_TRUE(alice.expect(kFile, "alice", &got));
    EXPECT_EQ(got.filename, "Фото мая.png");
    ASSERT_TRUE(bob.expect(kFile, "alice"));

    // An Error is a header like any other to the seed's reader: from and timestamp.
    ASSERT_TRUE(alice.peer().send(seed_frame(kUtf8, "bob", "who?")));
    ASSERT_TRUE(alice.expect(kError, "server", &got));

    alice.peer().connection().close();  // the seed's client just goes
    EXPECT_TRUE(bob.expect(kLogout, "alice"));
}

TEST(SeedClient, ChatsAndExchangesFilesWithOurClient) {
    auto server = Server::start(v5());
    SeedClient bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir save, files;
    std::string path = files.path() + "/report.txt";
    std::ofstream(path) << "our report";
    Process ours(v5().client_path(), {"--address", server->address(), "--username", "alice",
                                      "--save-directory", save.path()});
    ASSERT_TRUE(expect_output(ours, "* bob joined"));
    ASSERT_TRUE(bob.expect(kLogin, "alice"));

    ours.write_stdin("hi bob\n/file " + path + "\n");
    SeedMessage got;
    ASSERT_TRUE(bob.expect(kUtf8, "alice", &got));
    EXPECT_EQ(got.content, "hi bob");
    ASSERT_TRUE(bob.expect(kFile, "alice", &got));
    EXPECT_EQ(got.filename, "report.txt");
    EXPECT_EQ(got.content, "our report");

    ASSERT_TRUE(bob.say("hi alice"));
    ASSERT_TRUE(bob.expect(kUtf8, "bob"));
    ASSERT_TRUE(expect_output(ours, "bob: hi alice"));
    ASSERT_TRUE(bob.send_file("seed.txt", "from the seed"));
    ASSERT_TRUE(bob.expect(kFile, "bob"));
    ASSERT_TRUE(expect_output(ours, "saved to"));
    EXPECT_EQ(read_file(save.path() + "/seed.txt"), "from the seed");

    ours.write_stdin("/quit\n");
    EXPECT_EQ(ours.wait_exit(deadline_in(3s)), 0) << ours.stderr_text();
    EXPECT_TRUE(bob.expect(kLogout, "alice"));
}

// ------------------------------------------------------------------ bare headers, server side
TEST(SeedHeaders, ABareHeaderIsTheFileNameOfFileImageAndVoiceAndAnErrorOnUtf8) {
    auto server = Server::start(v5());
    ChatPeer alice(*server, "alice"), bob(*server, "bob");
    ASSERT_TRUE(alice.send(kLogin, "alice"));
    ASSERT_TRUE(alice.expect(kLogin));
    ASSERT_TRUE(bob.login());
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ASSERT_TRUE(alice.expect_from(kLogin, "bob"));
    for (std::uint16_t type : {kFile, kImage, kVoice}) {
        ASSERT_TRUE(alice.send(type, "note.txt", "data"));
        for (auto* peer : {&alice, &bob}) {
            ChatMessage got;
            ASSERT_TRUE(peer->expect_from(type, "alice", &got)) << "type " << type;
            EXPECT_EQ(got.json().value("filename", ""), "note.txt") << got.describe();
            EXPECT_FALSE(got.json().contains("to")) << "a bare header names no recipient";
            EXPECT_EQ(got.content, "data");
        }
    }
    struct Case {
        std::uint16_t type;
        std::string header;
    };
    for (const Case& c :
         std::vector<Case>{{kUtf8, "bob"}, {kFile, "a\xff.txt"}, {kImage, "\xc0"}}) {
        ASSERT_TRUE(alice.send(c.type, c.header, "x"));
        ChatMessage error;
        ASSERT_TRUE(alice.expect_from(kError, "server", &error)) << escape(c.header);
        EXPECT_TRUE(is_timestamp(error.json().value("timestamp", ""))) << error.describe();
        EXPECT_TRUE(error.json().contains("error")) << error.describe();
    }
    EXPECT_TRUE(bob.expect_nothing(200ms));
    ChatPeer carol(*server, "carol");
    ASSERT_TRUE(carol.send(kLogin, "car\xffol"));
    EXPECT_TRUE(carol.expect(kBadUsername)) << "a bare name that is not UTF-8";
}

TEST(SeedHeaders, NamesTheSeedCannotReadAreBadUsernames) {
    auto server = Server::start(v5());
    SeedClient peer(*server, "peer");
    for (std::string name : {"a\"b", "a\\b", "\\", "\""}) {
        ASSERT_TRUE(peer.peer().send(seed_frame(kLogin, name, {})));
        EXPECT_TRUE(peer.peer().expect(kBadUsername)) << escape(name);
    }
    EXPECT_TRUE(peer.login("Zoë"));
}

TEST(SeedHeaders, ARelayedFileNameIsABaseNameOrOneMadeOfTypeAndTime) {
    auto server = Server::start(v5());
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    struct Case {
        std::string header;
        std::optional<std::string> relayed;
    };
    for (const Case& c : std::vector<Case>{
             {"../../etc/passwd", "passwd"},
             {R"({"filename": "C:\\Users\\a\\b.pdf"})", "b.pdf"},
             {R"({"filename": "dir/"})", std::nullopt},
             {"..", std::nullopt},
             {".", std::nullopt},
             {R"({"filename": "x/.."})", std::nullopt},
             {"...", "..."},
         }) {
        ASSERT_TRUE(alice.send(kFile, c.header, "x"));
        ChatMessage got;
        ASSERT_TRUE(alice.expect_from(kFile, "alice", &got)) << c.header;
        auto json = got.json();
        if (c.relayed) {
            EXPECT_EQ(json.value("filename", "<none>"), *c.relayed) << got.describe();
        } else {
            // Nothing left of it: a name from the type and the time (the seed's client
            // unwraps every File's filename).
            EXPECT_TRUE(matches_digits(json.value("filename", "<none>"), "file-ddddddddTddddddZ"))
                << got.describe();
        }
    }
}

TEST(SeedHeaders, NonAsciiIsWrittenRawNeverEscaped) {
    auto server = Server::start(v5());
    ChatPeer zoe(*server, "zoe"), jose(*server, "jose");
    ASSERT_TRUE(zoe.login("Zoë"));
    ASSERT_TRUE(jose.login("José"));
    ChatMessage got;
    ASSERT_TRUE(jose.expect_from(kLogin, "Zoë", &got));
    EXPECT_NE(got.header.find("\"Zoë\""), std::string::npos) << escape(got.header);
    ASSERT_TRUE(zoe.expect_from(kLogin, "José"));
    ASSERT_TRUE(zoe.send(kImage, R"({"to": "José", "filename": "\u00e9t\u00e9.png"})", "png"));
    ASSERT_TRUE(jose.expect_from(kImage, "Zoë", &got));
    EXPECT_EQ(got.header.find('\\'), std::string::npos) << escape(got.header);
    EXPECT_NE(got.header.find("\"été.png\""), std::string::npos) << escape(got.header);
    EXPECT_NE(got.header.find("\"José\""), std::string::npos) << escape(got.header);
}

// ------------------------------------------------------------------ our client, the seed's server
// A listening socket that plays the seed's server for one client.
class SeedServer {
public:
    SeedServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("cannot listen");
        }
        port_ = ntohs(address.sin_port);
    }
    ~SeedServer() { ::close(fd_); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    std::optional<Connection> accept() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(deadline_scale(5s).count())) != 1)
            return std::nullopt;
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0)
            return std::nullopt;
        return Connection(client, "the seed's server", nullptr);
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// {"from": ..., "timestamp": ... with 9 digits, as chrono writes it}
std::string seed_header(const std::string& from, const std::string& extra = "") {
    return R"({"from":")" + from + R"(","timestamp":"2026-11-22T12:34:56.123456789Z")" + extra +
           "}";
}

TEST(SeedServer, OurClientLogsInBareSendsFilesBareAndQuitsEvenIfTheServerNeverCloses) {
    SeedServer seed;
    TempDir save, files;
    std::string path = files.path() + "/note.txt";
    std::ofstream(path) << "note";
    ProcessOptions utc;
    utc.extra_env["TZ"] = "UTC";  // so the 9-digit timestamp shows as [12:34:56]
    Process ours(
        v5().client_path(),
        {"--address", seed.address(), "--username", "alice", "--save-directory", save.path()}, utc);
    auto connection = seed.accept();
    ASSERT_TRUE(connection) << "our client never connected\n" << ours.stderr_text();
    Connection& c = *connection;
    EXPECT_TRUE(c.expect_bytes(frame(kLogin, "alice"))) << "the seed takes the bare username";
    ASSERT_TRUE(c.send(frame(kLogin)));
    ASSERT_TRUE(c.send(frame(kUtf8, seed_header("bob"), "hi alice")));
    EXPECT_TRUE(expect_output(ours, "[12:34:56] bob: hi alice")) << "9 fraction digits";
    ASSERT_TRUE(c.send(frame(kFile, seed_header("bob", R"(,"filename":"b.txt")"), "bytes")));
    EXPECT_TRUE(expect_output(ours, "saved to"));
    EXPECT_EQ(read_file(save.path() + "/b.txt"), "bytes");

    ours.write_stdin("/file " + path + "\n");
    EXPECT_TRUE(c.expect_bytes(frame(kFile, "note.txt", "note"))) << "the seed reads a bare name";
    ours.write_stdin("/quit\n");
    EXPECT_TRUE(c.expect_bytes(frame(kLogout)));
    auto quit = Clock::now();
    // The seed's server never closes after a Logout: we must go on our own, within a second.
    EXPECT_EQ(ours.wait_exit(deadline_in(3s)), 0) << ours.stderr_text();
    EXPECT_LT(Clock::now() - quit, deadline_scale(1500ms));
}

TEST(SeedServer, EndOfInputEndsTheClientEvenIfTheServerNeverCloses) {
    SeedServer seed;
    Process ours(v5().client_path(), {"--address", seed.address(), "--username", "alice"});
    auto connection = seed.accept();
    ASSERT_TRUE(connection) << ours.stderr_text();
    ASSERT_TRUE(connection->expect_bytes(frame(kLogin, "alice")));
    ASSERT_TRUE(connection->send(frame(kLogin)));
    ASSERT_TRUE(expect_output(ours, "logged in as alice"));
    ours.close_stdin();
    EXPECT_TRUE(connection->expect_bytes(frame(kLogout)));
    EXPECT_EQ(ours.wait_exit(deadline_in(3s)), 0) << ours.stderr_text();
}

}  // namespace
}  // namespace course::test
