// docs/contract.md, "v5-chat", the client: chatting through pipes, saving files safely, a
// failed login, and the lesson's transcript (timestamps normalised).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "chat_peer.hpp"
#include "transcript.hpp"

namespace course::test {
namespace {

const Stage& v5() { return stage("v5"); }

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

// A listening socket that the test answers itself: it plays a server that sends exactly
// what the test wants (any timestamp, any name), or never answers at all.
class StandInServer {
public:
    StandInServer() {
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
    ~StandInServer() { ::close(fd_); }
    StandInServer(const StandInServer&) = delete;
    StandInServer& operator=(const StandInServer&) = delete;

    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    // The client's connection, or nothing if it does not come before the deadline.
    std::optional<Connection> accept(std::chrono::milliseconds deadline = 5s) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(deadline_scale(deadline).count())) != 1) {
            return std::nullopt;
        }
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            return std::nullopt;
        }
        return Connection(client, "stand-in server", nullptr);
    }

    // Accepts the client and answers its Login for `name` with the bare Login.
    std::optional<Connection> accept_login(const std::string& name) {
        auto connection = accept();
        if (!connection || !connection->expect_bytes(frame(kLogin, name)) ||
            !connection->send(frame(kLogin))) {
            return std::nullopt;
        }
        return connection;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

std::string server_header(const std::string& from, const std::string& timestamp,
                          const std::string& extra = "") {
    return R"({"from":")" + from + R"(","timestamp":")" + timestamp + "\"" + extra + "}";
}

// "[12:34:56] alice: hi" -> "[HH:MM:SS] alice: hi"
std::string normalise(std::string line) {
    if (matches_digits(line.substr(0, 10), "[dd:dd:dd]")) {
        line.replace(0, 10, "[HH:MM:SS]");
    }
    return line;
}

TEST(ChatClient, AFailedLoginIsAClearMessageAndExitOne) {
    auto server = Server::start(v5());
    ChatPeer alice(*server, "alice");
    ASSERT_TRUE(alice.login());
    for (std::string name : {"alice", "server", "two words", ""}) {
        auto run = run_client(v5().client_path(),
                              {"--address", server->address(), "--username", name}, "hello\n");
        EXPECT_EQ(run.exit_status, 1) << "username " << escape(name) << ": " << escape(run.err);
        EXPECT_NE(run.err.find("login"), std::string::npos) << escape(run.err);
    }
    EXPECT_TRUE(alice.expect_nothing(200ms)) << "no failed login may say anything";
}

TEST(ChatClient, ARefusedConnectionIsExitOne) {
    int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(probe);  // bound, never listening, now closed: nobody is there
    auto run = run_client(v5().client_path(),
                          {"--address", "127.0.0.1:" + std::to_string(ntohs(address.sin_port)),
                           "--username", "alice"},
                          "");
    EXPECT_EQ(run.exit_status, 1) << escape(run.err);
    EXPECT_FALSE(run.err.empty());
}

TEST(ChatClient, PipedInputIsSentAndEndOfInputLogsOut) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir save;
    auto run = run_client(
        v5().client_path(),
        {"--address", server->address(), "--username", "alice", "--save_directory", save.path()},
        "hello, room\n/msg bob psst\n/nonsense\n\n");
    EXPECT_EQ(run.exit_status, 0) << escape(run.err);
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ChatMessage got;
    ASSERT_TRUE(bob.expect_from(kUtf8, "alice", &got));
    EXPECT_EQ(got.content, "hello, room");
    ASSERT_TRUE(bob.expect_from(kUtf8, "alice", &got));
    EXPECT_EQ(got.content, "psst");
    EXPECT_EQ(got.json().value("to", ""), "bob");
    EXPECT_TRUE(bob.expect_from(kLogout, "alice")) << "an empty line sends nothing";

    ClientRun shown = run;  // the clock readings as HH:MM:SS, the rest as printed
    shown.out.clear();
    std::istringstream out(run.out);
    for (std::string line; std::getline(out, line);)
        shown.out += normalise(line) + "\n";
    EXPECT_TRUE(expect_printed(shown, "[HH:MM:SS] * logged in as alice\n"
                                      "[HH:MM:SS] * bob joined\n"
                                      "[HH:MM:SS] alice: hello, room\n"
                                      "[HH:MM:SS] alice -> bob (private): psst\n"));
    EXPECT_NE(run.err.find("/nonsense"), std::string::npos) << escape(run.err);
}

TEST(ChatClient, ShowsOthersAndSavesTheirFilesSafelyNeverOverwriting) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir root;
    std::string save = root.path() + "/save";
    std::filesystem::create_directory(save);
    std::ofstream(save + "/a.pdf") << "old";

    Process client(v5().client_path(), {"--address", server->address(), "--username", "alice",
                                        "--save-directory", save});
    ASSERT_TRUE(expect_output(client, "* bob joined"));
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));

    ASSERT_TRUE(bob.send(kUtf8, "", "hi \x1b[31malice"));  // a terminal escape, shown harmless
    ASSERT_TRUE(bob.expect_from(kUtf8, "bob"));            // his own, back
    ASSERT_TRUE(expect_output(client, "bob: hi ?[31malice"));
    ASSERT_TRUE(bob.send(kUtf8, R"({"to": "alice"})", "just you"));
    ASSERT_TRUE(bob.expect_from(kUtf8, "bob"));
    ASSERT_TRUE(expect_output(client, "bob -> alice (private): just you"));
    ASSERT_TRUE(bob.send(kUtf8, R"({"to": "nobody"})", "x"));
    ASSERT_TRUE(bob.expect(kError));

    struct Case {
        std::uint16_t type;
        std::string filename;  // "" : no filename key at all
        std::string saved_as;  // file name in save/, "" : the fallback, by type and time
    };
    std::vector<Case> cases = {
        {kFile, "a.pdf", "a (1).pdf"},
        {kFile, "a.pdf", "a (2).pdf"},
        {kFile, "../../x", "x"},
        {kFile, "/etc/passwd", "passwd"},
        {kFile, "a\nb", "a_b"},
        {kImage, "", ""},
        {kVoice, "..", ""},
        {kFile, "\x01\x7f\xc2\x85", "___"},
        {kFile, "dir\\evil.txt", "evil.txt"},
        {kFile, "x", "x (1)"},
    };
    for (const auto& c : cases) {
        std::string header = c.filename.empty() && c.type == kImage
                                 ? ""
                                 : nlohmann::json{{"filename", c.filename}}.dump();
        std::string content = "content of " + c.filename;
        ASSERT_TRUE(bob.send(c.type, header, content));
        ASSERT_TRUE(bob.expect(c.type));
        std::vector<std::string> seen;
        ASSERT_TRUE(expect_output(client, "saved to", &seen)) << escape(c.filename);
        std::string line = seen.back();
        auto at = line.find("saved to ");
        std::string path = line.substr(at + 9);
        std::string name = std::filesystem::path(path).filename().string();
        if (c.saved_as.empty()) {
            std::string kind = c.type == kImage ? "image-" : c.type == kVoice ? "voice-" : "file-";
            EXPECT_TRUE(name.starts_with(kind)) << line;
        } else {
            EXPECT_EQ(name, c.saved_as) << line;
        }
        EXPECT_EQ(std::filesystem::canonical(path).parent_path(), std::filesystem::canonical(save))
            << line;
        EXPECT_EQ(read_file(path), content) << line;
    }
    EXPECT_EQ(read_file(save + "/a.pdf"), "old") << "an existing file is never overwritten";
    EXPECT_EQ(root.list(), std::vector<std::string>{"save"})
        << "nothing outside the save directory";

    client.close_stdin();  // end of input: Logout, wait for the server to close, exit 0
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));
}

TEST(ChatClient, SendsFilesWithTheirBaseName) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir files;
    std::string path = files.path() + "/report.pdf";
    std::string bytes("%PDF\x00\xff binary", 13);
    std::ofstream(path, std::ios::binary) << bytes;
    auto run =
        run_client(v5().client_path(), {"--address", server->address(), "--username", "alice"},
                   "/file " + path + " bob\n/image " + path + "\n/voice /no/such/file\n");
    EXPECT_EQ(run.exit_status, 0) << escape(run.err);
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ChatMessage got;
    ASSERT_TRUE(bob.expect_from(kFile, "alice", &got));
    EXPECT_EQ(got.content, bytes);
    EXPECT_EQ(got.json().value("filename", ""), "report.pdf");
    EXPECT_EQ(got.json().value("to", ""), "bob");
    ASSERT_TRUE(bob.expect_from(kImage, "alice", &got));
    EXPECT_FALSE(got.json().contains("to"));
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));
    EXPECT_NE(run.err.find("/no/such/file"), std::string::npos) << escape(run.err);
}

// Started with fd 0 closed (`client <&-`), the client's first descriptor would be fd 0:
// it must read that as end of input (log in, log out), never as something typed.
TEST(ChatClient, AClosedStdinIsEndOfInput) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    auto run = run_client("/bin/sh",
                          {"-c", "exec \"$0\" \"$@\" <&-", v5().client_path(), "--address",
                           server->address(), "--username", "alice"},
                          "");
    EXPECT_EQ(run.exit_status, 0) << escape(run.err);
    EXPECT_TRUE(bob.expect_from(kLogin, "alice"));
    EXPECT_TRUE(bob.expect_from(kLogout, "alice")) << "nothing typed, nothing sent";
}

// A server that stops tells the client so and closes in order: the client shows the Error
// and ends normally (exit 0), like the echo clients when their server closes.
TEST(ChatClient, AServerStopIsShownAndAnOrderlyEnd) {
    auto server = Server::start(v5());
    Process client(v5().client_path(), {"--address", server->address(), "--username", "alice"});
    ASSERT_TRUE(expect_output(client, "logged in as alice"));
    ASSERT_EQ(server->stop(SIGTERM, 5s), 0);
    EXPECT_TRUE(expect_output(client, "server shutting down"));
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

// A file that cannot be written whole (here: over a file-size limit of 1 KiB) is removed
// and said so; the client goes on.
TEST(ChatClient, AFileThatCannotBeWrittenWholeIsRemovedNeverLeftPartial) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir save;
    Process client("/bin/sh",
                   {"-c", "ulimit -f 2 && exec \"$0\" \"$@\"", v5().client_path(), "--address",
                    server->address(), "--username", "alice", "--save-directory", save.path()});
    ASSERT_TRUE(expect_output(client, "* bob joined"));
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ASSERT_TRUE(bob.send(kFile, "big.bin", std::string(5000, 'b')));
    ASSERT_TRUE(bob.expect_from(kFile, "bob"));
    ASSERT_TRUE(expect_output(client, "big.bin (5000 bytes) not saved"));
    EXPECT_EQ(save.list(), std::vector<std::string>{}) << "a partial file was left";
    ASSERT_TRUE(bob.send(kFile, "small.txt", "fits"));
    ASSERT_TRUE(bob.expect_from(kFile, "bob"));
    ASSERT_TRUE(expect_output(client, "saved to"));
    EXPECT_EQ(read_file(save.path() + "/small.txt"), "fits");
    client.close_stdin();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

// The lesson's "What you should see", against the real binaries, clock readings aside.
TEST(ChatClient, LessonTranscript) {
    Transcript transcript = read_transcript(v5());
    auto server = Server::start(v5());
    std::vector<std::string> args = {"--address", server->address()};
    args.insert(args.end(), transcript.client_args.begin(), transcript.client_args.end());
    auto run = run_client(v5().client_path(), args, transcript.typed);
    std::vector<std::string> printed, expected;
    std::istringstream out(run.out);
    for (std::string line; std::getline(out, line);)
        printed.push_back(normalise(line));
    for (const auto& line : transcript.printed)
        expected.push_back(normalise(line));
    EXPECT_EQ(run.exit_status, 0) << escape(run.err);
    EXPECT_EQ(printed, expected) << "v5-chat/README.md's transcript drifted from the client\n"
                                 << server->describe();
}

// A peer must not plant `.bash_profile` (or `.ssh/...`, `.envrc`): a leading dot becomes `_`.
TEST(ChatClient, NeverSavesAHiddenFile) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir save;
    Process client(v5().client_path(), {"--address", server->address(), "--username", "alice",
                                        "--save-directory", save.path()});
    ASSERT_TRUE(expect_output(client, "* bob joined"));
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    for (std::string name : {".bash_profile", "..bashrc"}) {
        ASSERT_TRUE(bob.send(kFile, nlohmann::json{{"filename", name}}.dump(), "echo owned"));
        ASSERT_TRUE(bob.expect_from(kFile, "bob"));
        ASSERT_TRUE(expect_output(client, "saved to")) << name;
    }
    EXPECT_EQ(save.list(), (std::vector<std::string>{"_bash_profile", "_bashrc"}));
    client.close_stdin();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

// With no --save-directory, files land in ./received (created when missing), never beside
// the user's own files; and the working directory itself is refused as a save folder.
TEST(ChatClient, SavesIntoReceivedNeverTheWorkingDirectory) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir work;
    ProcessOptions in_work;
    in_work.working_directory = work.path();
    Process client(v5().client_path(), {"--address", server->address(), "--username", "alice"},
                   in_work);
    ASSERT_TRUE(expect_output(client, "* bob joined"));
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ASSERT_TRUE(bob.send(kFile, R"({"filename": "Makefile"})", "all:\n\trm -rf ~\n"));
    ASSERT_TRUE(bob.expect_from(kFile, "bob"));
    ASSERT_TRUE(expect_output(client, "saved to"));
    EXPECT_EQ(work.list(), std::vector<std::string>{"received"});
    EXPECT_EQ(read_file(work.path() + "/received/Makefile"), "all:\n\trm -rf ~\n");
    client.close_stdin();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
    ASSERT_TRUE(bob.expect_from(kLogout, "alice"));

    for (std::string here : {std::string("."), work.path(), std::string()}) {
        auto run = run_client(
            v5().client_path(),
            {"--address", server->address(), "--username", "carol", "--save-directory", here}, "",
            10s, in_work);
        EXPECT_EQ(run.exit_status, 2) << escape(here) << ": " << escape(run.err);
        EXPECT_NE(run.err.find("--save-directory"), std::string::npos) << escape(run.err);
    }
    EXPECT_TRUE(bob.expect_nothing(200ms)) << "a refused save folder is refused before login";
}

// Content over --max-content is read past and dropped, with a line saying so; the client
// stays connected, saves nothing of it, and goes on.
TEST(ChatClient, ContentOverMaxContentIsDroppedNeverSaved) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    TempDir save;
    Process client(v5().client_path(), {"--address", server->address(), "--username", "alice",
                                        "--save-directory", save.path(), "--max-content", "1000"});
    ASSERT_TRUE(expect_output(client, "* bob joined"));
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ASSERT_TRUE(bob.send(kFile, R"({"filename": "big.bin"})", std::string(300000, 'b')));
    ASSERT_TRUE(bob.expect_from(kFile, "bob"));
    ASSERT_TRUE(expect_output(client, "big.bin (300000 bytes) not saved: over the limit of 1000"));
    ASSERT_TRUE(bob.send(kUtf8, "", std::string(1001, 't')));
    ASSERT_TRUE(bob.expect_from(kUtf8, "bob"));
    ASSERT_TRUE(expect_output(client, "bob: a message dropped: 1001 bytes"));
    ASSERT_TRUE(bob.send(kFile, R"({"filename": "small.txt"})", std::string(1000, 's')));
    ASSERT_TRUE(bob.expect_from(kFile, "bob"));
    ASSERT_TRUE(expect_output(client, "saved to"));
    EXPECT_EQ(save.list(), std::vector<std::string>{"small.txt"});
    client.close_stdin();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));
}

// The header size is 16 bits. A header that would not fit is refused with a message before
// a byte of it is sent, never sent with its size cut short.
TEST(ChatClient, AHeaderOverSixtyFourKibibytesIsRefusedBeforeAnythingIsSent) {
    auto server = Server::start(v5());
    ChatPeer bob(*server, "bob");
    ASSERT_TRUE(bob.login());
    std::string huge(70000, 'u');
    auto run =
        run_client(v5().client_path(), {"--address", server->address(), "--username", "alice"},
                   "/msg " + huge + " hello\nafter\n");
    EXPECT_EQ(run.exit_status, 0) << escape(run.err);
    EXPECT_NE(run.err.find("not sent"), std::string::npos) << escape(run.err);
    ASSERT_TRUE(bob.expect_from(kLogin, "alice"));
    ChatMessage got;
    ASSERT_TRUE(bob.expect_from(kUtf8, "alice", &got)) << "the next message arrives whole";
    EXPECT_EQ(got.content, "after");
    EXPECT_TRUE(bob.expect_from(kLogout, "alice"));

    auto named =
        run_client(v5().client_path(), {"--address", server->address(), "--username", huge}, "");
    EXPECT_EQ(named.exit_status, 2) << escape(named.err);
    EXPECT_NE(named.err.find("--username"), std::string::npos) << escape(named.err);
    EXPECT_TRUE(bob.expect_nothing(200ms)) << "a username that cannot be sent is not sent";
}

// A server that takes the connection and never answers the login: past --timeout the
// client says so and exits 1.
TEST(ChatClient, NoLoginAnswerWithinTheTimeoutIsExitOne) {
    StandInServer silent;  // listens, and never accepts: the kernel completes the connect
    auto run = run_client(
        v5().client_path(),
        {"--address", silent.address(), "--username", "alice", "--timeout", "0.5"}, "hello\n");
    EXPECT_EQ(run.exit_status, 1) << escape(run.err);
    EXPECT_NE(run.err.find("no answer within 0.5 s"), std::string::npos) << escape(run.err);
    for (std::string bad : {"0", "-1", "nan", "1e10"}) {
        auto refused = run_client(
            v5().client_path(),
            {"--address", silent.address(), "--username", "alice", "--timeout", bad}, "");
        EXPECT_EQ(refused.exit_status, 2) << bad << ": " << escape(refused.err);
    }
}

// The clock shown is the server's timestamp for any year 0000-9999 (a 64-bit count of
// nanoseconds ends in 2262: the client must not do its arithmetic there); a timestamp that
// does not parse is shown as the time it arrived.
TEST(ChatClient, ShowsTheTimeOfAnyYearAndAnUnreadableOneAsTheTimeItArrived) {
    StandInServer stand_in;
    ProcessOptions utc;
    utc.extra_env["TZ"] = "UTC";
    Process client(v5().client_path(), {"--address", stand_in.address(), "--username", "alice"},
                   utc);
    auto connection = stand_in.accept_login("alice");
    ASSERT_TRUE(connection) << client.stderr_text();
    ASSERT_TRUE(expect_output(client, "logged in as alice"));
    struct Case {
        std::string timestamp, shown;
    };
    std::vector<Case> cases = {{"9999-12-31T23:59:59.999999999Z", "[23:59:59]"},
                               {"2262-04-11T23:47:17Z", "[23:47:17]"},
                               {"0000-01-01T00:00:07Z", "[00:00:07]"},
                               {"1677-09-21T00:12:43Z", "[00:12:43]"}};
    for (const auto& c : cases) {
        ASSERT_TRUE(connection->send(frame(kUtf8, server_header("bob", c.timestamp), "when")));
        std::vector<std::string> seen;
        ASSERT_TRUE(expect_output(client, "bob: when", &seen));
        EXPECT_EQ(seen.back(), c.shown + " bob: when") << c.timestamp;
    }
    for (std::string unreadable : {"-001-01-01T00:00:00Z", "9999-99-99T99:99:99Z", "soon"}) {
        auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        ASSERT_TRUE(connection->send(frame(kUtf8, server_header("bob", unreadable), "now")));
        std::vector<std::string> seen;
        ASSERT_TRUE(expect_output(client, "bob: now", &seen));
        auto after = std::chrono::system_clock::now();
        std::vector<std::string> arrival_times;
        for (auto t = before; t <= after; t += std::chrono::seconds(1)) {
            std::time_t seconds = std::chrono::system_clock::to_time_t(t);
            std::tm utc{};
            gmtime_r(&seconds, &utc);
            char shown[32];
            std::strftime(shown, sizeof shown, "[%H:%M:%S] bob: now", &utc);
            arrival_times.push_back(shown);
        }
        EXPECT_NE(std::find(arrival_times.begin(), arrival_times.end(), seen.back()),
                  arrival_times.end())
            << unreadable << " was shown as " << seen.back();
    }
    client.close_stdin();
    EXPECT_TRUE(connection->expect_bytes(frame(kLogout)));
    connection->close();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

// A name with a control or format character is shown with that character as its code
// (`\u202e`), so "invoice<RLO>fdp.exe" cannot pass for "invoiceexe.pdf"; the file is saved
// with `_` in its place.
TEST(ChatClient, NamesShowControlAndFormatCharactersAsCodes) {
    StandInServer stand_in;
    TempDir save;
    Process client(v5().client_path(), {"--address", stand_in.address(), "--username", "alice",
                                        "--save-directory", save.path()});
    auto connection = stand_in.accept_login("alice");
    ASSERT_TRUE(connection) << client.stderr_text();
    ASSERT_TRUE(expect_output(client, "logged in as alice"));
    const std::string rlo = "\xe2\x80\xae";  // U+202E RIGHT-TO-LEFT OVERRIDE
    ASSERT_TRUE(connection->send(
        frame(kLogin, server_header("mallory" + rlo + "yrrab", "2026-11-22T12:00:00Z"))));
    ASSERT_TRUE(expect_output(client, "* mallory\\u202eyrrab joined"));
    ASSERT_TRUE(connection->send(
        frame(kFile,
              server_header("bob", "2026-11-22T12:00:00Z",
                            R"(,"filename":"invoice)" + rlo + R"(fdp.exe\u001b[2J")"),
              "MZ")));
    std::vector<std::string> seen;
    ASSERT_TRUE(expect_output(client, "saved to", &seen));
    EXPECT_NE(seen.back().find("bob: file invoice\\u202efdp.exe\\u001b[2J (2 bytes)"),
              std::string::npos)
        << escape(seen.back());
    EXPECT_EQ(save.list(), std::vector<std::string>{"invoice_fdp.exe_[2J"});
    client.close_stdin();
    EXPECT_TRUE(connection->expect_bytes(frame(kLogout)));
    connection->close();
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

}  // namespace
}  // namespace course::test
