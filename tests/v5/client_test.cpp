// SPEC "v5-chat", the client: chatting through pipes, saving files safely, a failed login,
// and the lesson's transcript (timestamps normalised).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
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

    std::vector<std::string> lines;
    std::istringstream out(run.out);
    for (std::string line; std::getline(out, line);)
        lines.push_back(normalise(line));
    std::vector<std::string> expected = {"[HH:MM:SS] * logged in as alice",
                                         "[HH:MM:SS] * bob joined", "[HH:MM:SS] alice: hello, room",
                                         "[HH:MM:SS] alice -> bob (private): psst"};
    EXPECT_EQ(lines, expected) << escape(run.out);
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
        {kFile, "a\nb", "ab"},
        {kImage, "", ""},
        {kVoice, "..", ""},
        {kFile, "\x01\x7f\xc2\x85", ""},
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

}  // namespace
}  // namespace course::test
