// A program under test, started as a child process with pipes on all three streams.
//
// stdout is read line by line with a deadline; stderr is drained by a thread into a
// buffer (so a chatty server never blocks on a full pipe) and shown when a test fails,
// complete up to the moment it is asked for.
// The destructor kills and reaps what is still running: nothing outlives its test, and
// a test that crashes takes its children with it (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace course::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long any single wait in a test may take. Sanitizer builds are slower, so the
// deadline scales with COURSE_TEST_TIME_SCALE (set by ./course for asan and tsan).
std::chrono::milliseconds deadline_scale(std::chrono::milliseconds base);
inline Clock::time_point deadline_in(std::chrono::milliseconds base) {
    return Clock::now() + deadline_scale(base);
}
// "2 s", "0.5 s": a wait as a failure message says it (to a tenth of a second).
std::string seconds_text(std::chrono::milliseconds wait);

// How a child process ended, or that it had not by the deadline. Tests compare it with a
// number (`EXPECT_EQ(server->stop(SIGTERM), 0)`) and, when that fails, GoogleTest prints
// it in words a learner can act on: "did not exit within 2 s", "killed by SIGSEGV (signal
// 11)", "exit status 1". A code and a signal compare as the shell says them: 128 + N.
class ExitStatus {
public:
    // The value behind `*status`: a number as before (0..255, or 128+N), printed in words.
    struct Code {
        int value = 0;
        int signal_number = 0;  // nonzero: killed by this signal
        operator int() const { return value; }
    };

    static ExitStatus exited(int code) { return ExitStatus(Code{code, 0}); }
    static ExitStatus killed(int signal_number) {
        return ExitStatus(Code{128 + signal_number, signal_number});
    }
    // Still running when we stopped waiting, after `waited`.
    static ExitStatus still_running(std::chrono::milliseconds waited) {
        ExitStatus status;
        status.waited_ = waited;
        return status;
    }

    bool has_value() const { return code_.has_value(); }  // the process has ended
    explicit operator bool() const { return has_value(); }
    Code operator*() const { return *code_; }  // only once it has ended
    Code value() const { return code_.value(); }
    std::chrono::milliseconds waited() const { return waited_; }

    // "exit status 0", "killed by SIGSEGV (signal 11)", "did not exit within 2 s".
    std::string describe() const;

    friend bool operator==(const ExitStatus& status, int expected) {
        return status.has_value() && status.code_->value == expected;
    }

private:
    ExitStatus() = default;
    explicit ExitStatus(Code code) : code_(code) {}
    std::optional<Code> code_;
    std::chrono::milliseconds waited_{0};
};

std::string describe(ExitStatus::Code code);  // "exit status 1", "killed by SIGKILL (signal 9)"
void PrintTo(const ExitStatus& status, std::ostream* out);
void PrintTo(ExitStatus::Code code, std::ostream* out);
std::ostream& operator<<(std::ostream& out, const ExitStatus& status);
std::ostream& operator<<(std::ostream& out, ExitStatus::Code code);

struct ProcessOptions {
    std::string working_directory;                 // empty: the test's own
    std::map<std::string, std::string> extra_env;  // added to the test's environment
    bool stdin_closed = false;  // the child starts with fd 0 closed (`program <&-`), no pipe
};

class Process {
public:
    Process(const std::string& path, const std::vector<std::string>& args,
            const ProcessOptions& options = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& path() const { return path_; }

    void write_stdin(std::string_view bytes);  // all of it, or throws
    // As much as the child takes: stops, without an error, once the child has closed its
    // stdin (it exited, or will never read). For input a program may rightly ignore, like
    // a client that exits because its connection was refused. Returns the bytes written.
    std::size_t offer_stdin(std::string_view bytes);
    void close_stdin();

    // The next line of stdout, without its "\n"; nothing if the deadline passes or the
    // stream ends first (what was read so far stays buffered).
    std::optional<std::string> read_stdout_line(Clock::time_point deadline);
    // Everything on stdout until it closes (or the deadline passes).
    std::string read_stdout_to_end(Clock::time_point deadline);
    std::string stderr_text() const;  // what the child wrote to stderr so far

    void send_signal(int signal_number);
    // How it ended (exit status 0..255, or killed by signal N, which compares as 128+N),
    // or "did not exit within" the time from this call to the deadline.
    ExitStatus wait_exit(Clock::time_point deadline);
    bool running();

private:
    // Reads what stdout has now (waiting until the deadline) into stdout_buffer_; false
    // once it is closed or the deadline passes.
    bool read_stdout_chunk(Clock::time_point deadline);

    std::string path_;
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    std::string stdout_buffer_;
    bool stdout_closed_ = false;
    std::optional<ExitStatus> exit_status_;

    // Moves what the stderr pipe holds now into stderr_buffer_, without waiting; false
    // once the pipe has closed. Called with stderr_mutex_ held.
    bool take_stderr_locked() const;

    mutable std::mutex stderr_mutex_;
    int stderr_fd_ = -1;                  // read only under stderr_mutex_
    mutable bool stderr_closed_ = false;  // guarded by stderr_mutex_
    mutable std::string stderr_buffer_;   // guarded by stderr_mutex_
    std::thread stderr_reader_;
};

}  // namespace course::test
