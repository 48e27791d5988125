// The shared test harness: start a stage's real server, talk to it over TCP, stop it.
//
//   auto server = Server::start(stage("v2"));            // --address 127.0.0.1:0
//   auto alice = server.connect("alice");
//   alice.send("hello\n");
//   EXPECT_TRUE(alice.expect_line("hello"));
//
// No fixed ports (port 0 and the `listening on` line), no sleeps (every wait has a
// deadline), and every failure names the stage and the connection, shows the bytes sent,
// expected and received (escaped, the first difference marked), and appends the server's
// stderr.
//
// Learner reports: with COURSE_LEARNER_REPORTS=DIR set, each failed test also writes
// DIR/<Suite.Name>.txt ('/' as '_'): its failure messages and nothing of GoogleTest's own
// lines, for `./course test vN --step K` to show a learner.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"
#include "stages.hpp"

namespace course::test {

// "a\r\n\x00" -> "a\\r\\n\\x00", long strings cut in the middle with a count.
std::string escape(std::string_view bytes, size_t max_shown = 400);
// One byte the same way: '\r' -> "\\r".
std::string escape_byte(unsigned char c);
// Expected above received, escaped, a caret under the first byte where they differ:
//   expected  "hello\n"
//   received  "hello\r\n"
//                   ^ byte 5 differs: expected '\n', received '\r'
std::string mark_difference(std::string_view expected, std::string_view received);

// Registers the listener that writes learner reports when COURSE_LEARNER_REPORTS is set
// (once; later calls do nothing). Every program that includes this header runs it before
// main, so no test has to ask.
bool install_learner_reports();
// A GoogleTest failure message as the report shows it: the harness's own message without
// "Value of: ... Actual: false (...)", an equality as "expected: a == b" and the values.
std::string learner_text(std::string gtest_message);
inline const bool learner_reports_installed = install_learner_reports();

// A fresh empty directory under $TMPDIR, removed with its contents when destroyed.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::vector<std::string> list() const;  // file names inside
private:
    std::string path_;
};

struct ServerOptions {
    std::vector<std::string> args;  // extra arguments, after --address 127.0.0.1:0
    bool pass_address = true;       // false: the test passes its own address/port
    bool pass_test_args = true;     // false: leave out the stage's test_args
    // process.working_directory empty: the server runs in a fresh temporary directory of
    // its own (server->directory()), so files it writes (server.log, uploads) never meet.
    ProcessOptions process;
    std::chrono::milliseconds start_deadline = 10s;
};

class Connection;

class Server {
public:
    // Starts the stage's server and waits (with a deadline) for `listening on HOST:PORT`.
    // Throws std::runtime_error with the server's stderr if it never says so.
    static std::unique_ptr<Server> start(const Stage& stage, ServerOptions options = {});

    const Stage& stage() const { return stage_; }
    const std::string& host() const { return host_; }
    std::uint16_t port() const { return port_; }
    std::string address() const { return host_ + ":" + std::to_string(port_); }
    Process& process() { return *process_; }
    const std::string& directory() const { return directory_; }  // the server's cwd

    Connection connect(std::string name, std::chrono::milliseconds deadline = 5s);
    // Tries to connect; an error message instead of a Connection when it cannot.
    std::optional<Connection> try_connect(std::string name,
                                          std::chrono::milliseconds deadline = 5s);

    // "v3 server (pid 123)" plus its stderr: the tail of every failure message.
    std::string describe() const;

    // SIGTERM/SIGINT and wait for the exit status ("did not exit within" the deadline).
    ExitStatus stop(int signal_number, std::chrono::milliseconds deadline = 2s);

private:
    Server(const Stage& stage) : stage_(stage) {}
    Stage stage_;
    std::unique_ptr<TempDir> own_directory_;  // destroyed after the process
    std::string directory_;
    std::unique_ptr<Process> process_;
    std::string host_;
    std::uint16_t port_ = 0;
};

// One client connection to a server under test: a non-blocking socket driven with poll,
// so every read and write has a deadline.
class Connection {
public:
    Connection(int fd, std::string name, const Server* server);
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    ~Connection();

    int fd() const { return fd_; }
    const std::string& name() const { return name_; }

    // Writes all bytes (or fails the expectation, with context).
    testing::AssertionResult send(std::string_view bytes, std::chrono::milliseconds deadline = 5s);
    // Writes what the kernel takes right now without waiting; returns the count.
    size_t send_some(std::string_view bytes);

    // Reads until `expected` has arrived in full, and compares bytes.
    testing::AssertionResult expect_bytes(std::string_view expected,
                                          std::chrono::milliseconds deadline = 5s);
    // expect_bytes(line + "\n").
    testing::AssertionResult expect_line(std::string_view line,
                                         std::chrono::milliseconds deadline = 5s);
    // The server closes: reads EOF (or a reset) with no more bytes before it.
    testing::AssertionResult expect_eof(std::chrono::milliseconds deadline = 5s);
    // Nothing arrives (and the connection stays open) for `quiet`: the test's way to say
    // "you are waiting" (v1 and v2 keep a second client waiting). Returns failure if bytes
    // or EOF arrive.
    testing::AssertionResult expect_silence(std::chrono::milliseconds quiet);

    // The next line (without "\n"), or nothing at EOF / the deadline.
    std::optional<std::string> read_line(std::chrono::milliseconds deadline = 5s);
    // Everything until the server closes.
    std::string read_to_eof(std::chrono::milliseconds deadline = 5s);
    bool peer_closed() const { return eof_; }

    void half_close();  // shutdown(SHUT_WR): "I am done sending"
    void reset();       // close with SO_LINGER 0: the peer sees a RST, as if we vanished
    void close();

    void attach_to(const Server* server) { server_ = server; }

    // "[v2 connection 'alice']": the prefix of every failure message.
    std::string label() const;
    // `  sent      "hello\r\n"`: what this connection has sent so far (its last bytes).
    std::string sent_summary() const;

private:
    // Reads once with a deadline into buffer_; false at EOF, error or deadline.
    bool fill(Clock::time_point deadline);
    void remember_sent(std::string_view bytes);
    // label, what went wrong, what we sent (unless `what` shows it), the server's stderr.
    testing::AssertionResult failure(const std::string& what, bool show_sent = true) const;

    int fd_ = -1;
    std::string name_;
    const Server* server_ = nullptr;
    std::string buffer_;
    bool eof_ = false;
    std::string error_;
    // The tail of what we sent, for failure messages: a failure says "you got this answer
    // to these bytes". Bounded, so a test that floods the server does not fill memory.
    std::string sent_tail_;
    size_t sent_total_ = 0;
};

// Whether the kernel takes more bytes from `c` within `wait`: false once the server has
// stopped reading and every buffer in between is full. (Not expect_silence: that reads.)
bool writable_within(const Connection& c, std::chrono::milliseconds wait);

// Sends `bytes` over and over until the kernel takes nothing more for `stall` (the server
// has stopped reading from `c`), or `give_up` passes. Returns whether it stalled.
bool flood_until_stalled(Connection& c, std::string_view bytes, std::chrono::milliseconds stall,
                         std::chrono::milliseconds give_up = 10s);

// Opens a connection to host:port without a Server (for peers and own-address tests).
std::optional<Connection> connect_to(const std::string& host, std::uint16_t port, std::string name,
                                     std::chrono::milliseconds deadline = 5s);

// Number of open file descriptors of a process (from /proc/PID/fd).
size_t open_fd_count(pid_t pid);

// Whether the server process `pid` has TCP_NODELAY on its end of connection `c`: the test
// borrows a copy of the server's socket (pidfd_getfd, allowed for a parent on its child)
// and asks it. Nothing when no socket of `pid` is connected to `c`, or Linux says no.
std::optional<bool> server_side_nodelay(pid_t pid, const Connection& c);

// Runs a client binary with args and stdin, waits for its exit, returns its output.
struct ClientRun {
    std::string program;  // the client's path, for failure messages
    std::string typed;    // what the test wrote to its stdin
    // How it ended, or "did not exit within" the deadline (then it was killed).
    ExitStatus exit_status = ExitStatus::still_running(0ms);
    std::string out;
    std::string err;
};
ClientRun run_client(const std::string& path, const std::vector<std::string>& args,
                     std::string_view stdin_bytes, std::chrono::milliseconds deadline = 10s,
                     const ProcessOptions& options = {});
// What a client printed on stdout against what the test expected, shown the way a
// connection's bytes are, so a learner's client fails with what to fix:
//   [v2-client] printed something else
//     typed     "hello\nexit\n"
//     expected  "hello\nbye\n"
//     received  "hello\n"
//                        ^ byte 6 and on never came
// then how it ended and its stderr. (Use: EXPECT_TRUE(expect_printed(run, "hello\nbye\n")).)
testing::AssertionResult expect_printed(const ClientRun& run, std::string_view expected);

// An expected failure, a test of a test: `result` is what a check said of a server it must
// fail on (a stage that cannot do what the next one does). If the check passed, it cannot
// tell right from wrong, and `if_it_passed` says why, as this test's failure. If it failed,
// as it should, the first line of what it caught is printed after `as_expected`.
// (Each such test skips itself first when the stage is a learner's own program: GTEST_SKIP
// can only end the test function it is written in.)
void expect_the_check_to_fail(const testing::AssertionResult& result, std::string_view as_expected,
                              std::string_view if_it_passed);

}  // namespace course::test
