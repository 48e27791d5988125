// v4-client: one thread, stdin and the server at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "transcript.hpp"

namespace course::test {
namespace {

const Stage& v4() { return stage("v4"); }

TEST(V4Client, TheLessonTranscript) { EXPECT_TRUE(replay_transcript(v4())); }

TEST(V4Client, PrintsEachLineAsItArrivesAndExitsWhenTheServerCloses) {
    auto server = Server::start(v4());
    Process client(v4().client_path(), {"--address", server->address()});
    client.write_stdin("first\n");
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "first") << server->describe();
    client.write_stdin("exit\n");  // stdin stays open: the server's close must end the client
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "bye");
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

TEST(V4Client, HearsTheShutdownWhileItsStdinIsOpen) {
    auto server = Server::start(v4());
    Process client(v4().client_path(), {"--address", server->address()});
    client.write_stdin("hi\n");
    ASSERT_EQ(client.read_stdout_line(deadline_in(5s)), "hi") << server->describe();
    EXPECT_EQ(server->stop(SIGTERM), 0) << server->describe();
    EXPECT_EQ(client.read_stdout_line(deadline_in(5s)), "server shutting down");
    EXPECT_EQ(client.wait_exit(deadline_in(5s)), 0) << client.stderr_text();
}

TEST(V4Client, AtStdinEofItHalfClosesAndPrintsTheRest) {
    auto server = Server::start(v4());
    std::string many;
    for (int i = 0; i < 2000; ++i)
        many += "line " + std::to_string(i) + "\n";
    ClientRun run = run_client(v4().client_path(), {"--address", server->address()},
                               many + "no newline at the end");
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_TRUE(expect_printed(run, many + "no newline at the end\n")) << server->describe();
}

TEST(V4Client, StdinMayBeARegularFile) {
    // epoll refuses regular files; the client must read them another way.
    auto server = Server::start(v4());
    TempDir dir;
    std::string path = dir.path() + "/lines.txt";
    std::ofstream(path) << "alpha\nbeta\r\n\n";
    ClientRun run = run_client("/bin/sh",
                               {"-c", "exec \"$0\" --address \"$1\" < \"$2\"", v4().client_path(),
                                server->address(), path},
                               "");
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_TRUE(expect_printed(run, "alpha\nbeta\n\n")) << server->describe();

    run = run_client(
        "/bin/sh",
        {"-c", "exec \"$0\" --address \"$1\" < /dev/null", v4().client_path(), server->address()},
        "");
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_TRUE(expect_printed(run, ""));
}

TEST(V4Client, ARefusedConnectionIsAClearMessageAndExitOne) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port that is bound but not listening
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    std::string target = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    // No stdin: the client exits before reading it, and writing to its closed pipe would
    // raise SIGPIPE in this test.
    ClientRun run = run_client(v4().client_path(), {"--address", target}, "");
    ::close(fd);
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_NE(run.err.find("cannot connect"), std::string::npos) << escape(run.err);
    EXPECT_TRUE(expect_printed(run, ""));
}

}  // namespace
}  // namespace course::test
