#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace course::test {

std::chrono::milliseconds deadline_scale(std::chrono::milliseconds base) {
    const char* scale = std::getenv("COURSE_TEST_TIME_SCALE");
    int factor = scale ? std::atoi(scale) : 1;
    return base * (factor > 0 ? factor : 1);
}

static int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

Process::Process(const std::string& path, const std::vector<std::string>& args,
                 const ProcessOptions& options)
    : path_(path) {
    // Writing to the stdin of a child that has already exited must be a failed write,
    // not a SIGPIPE that kills the whole test binary.
    signal(SIGPIPE, SIG_IGN);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed: " + std::string(std::strerror(errno)));
    }
    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls are allowed (this test process has other threads).
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        if (!options.extra_env.contains(entry.substr(0, entry.find('=')))) {
            env_strings.push_back(entry);
        }
    }
    for (const auto& [key, value] : options.extra_env) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const auto& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    pid_t parent = getpid();

    pid_ = fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
    }
    if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the test, whatever happens to it
        signal(SIGPIPE, SIG_DFL);  // the test ignores SIGPIPE; the program under test must not
        if (getppid() != parent) {
            _exit(127);
        }
        if (options.stdin_closed) {
            close(0);
        } else {
            dup2(in[0], 0);
        }
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (!options.working_directory.empty() && chdir(options.working_directory.c_str()) != 0) {
            _exit(127);
        }
        execve(path.c_str(), argv.data(), envp.data());
        const char message[] = "exec failed\n";
        (void)!write(2, message, sizeof message - 1);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    // stderr is read in two places: by a thread, as it comes (so a chatty child never
    // blocks on a full pipe), and by stderr_text(), which first takes what is still in the
    // pipe. Every read happens under stderr_mutex_ and never blocks (O_NONBLOCK): no byte
    // is ever between the pipe and the buffer where stderr_text() cannot see it, so a line
    // the child wrote before the test looked is always in what the test shows.
    stderr_fd_ = err[0];
    fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
    stderr_reader_ = std::thread([this] {
        for (;;) {
            pollfd p{stderr_fd_, POLLIN, 0};
            if (poll(&p, 1, -1) < 0 && errno != EINTR) {
                break;
            }
            std::lock_guard lock(stderr_mutex_);
            if (!take_stderr_locked()) {
                break;  // the pipe closed: the child (and all it started) is gone
            }
        }
    });
}

bool Process::take_stderr_locked() const {
    char chunk[4096];
    while (!stderr_closed_) {
        ssize_t n = read(stderr_fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return true;  // empty for now
        }
        if (n <= 0) {
            stderr_closed_ = true;
            break;
        }
        if (stderr_buffer_.size() < (1u << 20)) {  // keep the first MiB
            stderr_buffer_.append(chunk, static_cast<size_t>(n));
        }
    }
    return false;
}

Process::~Process() {
    if (!exit_status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (stdin_fd_ >= 0) {
        close(stdin_fd_);
    }
    if (stdout_fd_ >= 0) {
        close(stdout_fd_);
    }
    if (stderr_reader_.joinable()) {
        stderr_reader_.join();  // the pipe closed when the child died
    }
    close(stderr_fd_);
}

void Process::write_stdin(std::string_view bytes) {
    if (offer_stdin(bytes) < bytes.size()) {
        throw std::runtime_error("writing to the child's stdin: " +
                                 std::string(std::strerror(EPIPE)));
    }
}

std::size_t Process::offer_stdin(std::string_view bytes) {
    std::size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = write(stdin_fd_, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EPIPE) {
            break;  // the child closed its end: what it did not read, it did not want
        }
        if (n < 0) {
            throw std::runtime_error("writing to the child's stdin: " +
                                     std::string(std::strerror(errno)));
        }
        written += static_cast<std::size_t>(n);
    }
    return written;
}

void Process::close_stdin() {
    if (stdin_fd_ >= 0) {
        close(stdin_fd_);
        stdin_fd_ = -1;
    }
}

bool Process::read_stdout_chunk(Clock::time_point deadline) {
    while (!stdout_closed_) {
        pollfd p{stdout_fd_, POLLIN, 0};
        int ready = poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return false;  // the deadline
        }
        char chunk[4096];
        ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            stdout_closed_ = true;
            break;
        }
        stdout_buffer_.append(chunk, static_cast<size_t>(n));
        return true;
    }
    return false;
}

std::optional<std::string> Process::read_stdout_line(Clock::time_point deadline) {
    for (;;) {
        auto newline = stdout_buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = stdout_buffer_.substr(0, newline);
            stdout_buffer_.erase(0, newline + 1);
            return line;
        }
        if (!read_stdout_chunk(deadline)) {
            return std::nullopt;  // closed or the deadline: what was read stays buffered
        }
    }
}

std::string Process::read_stdout_to_end(Clock::time_point deadline) {
    while (read_stdout_chunk(deadline)) {
    }
    return std::exchange(stdout_buffer_, {});
}

std::string Process::stderr_text() const {
    std::lock_guard lock(stderr_mutex_);
    take_stderr_locked();  // what the reader thread has not taken yet
    return stderr_buffer_;
}

void Process::send_signal(int signal_number) {
    if (!exit_status_) {
        ::kill(pid_, signal_number);
    }
}

static ExitStatus decode_status(int status) {
    if (WIFEXITED(status)) {
        return ExitStatus::exited(WEXITSTATUS(status));
    }
    return ExitStatus::killed(WTERMSIG(status));
}

std::string describe(ExitStatus::Code code) {
    if (code.signal_number == 0) {
        return "exit status " + std::to_string(code.value);
    }
    // sigabbrev_np: "SEGV" for 11, as `kill -l` names it.
    const char* name = sigabbrev_np(code.signal_number);
    return "killed by " + (name ? "SIG" + std::string(name) : std::string("a signal")) +
           " (signal " + std::to_string(code.signal_number) + ")";
}

std::string ExitStatus::describe() const {
    if (code_) {
        return course::test::describe(*code_);
    }
    return "did not exit within " + seconds_text(waited_);
}

std::string seconds_text(std::chrono::milliseconds wait) {
    long tenths = static_cast<long>((wait.count() + 50) / 100);
    std::string seconds = std::to_string(tenths / 10);
    if (tenths % 10 != 0) {
        seconds += "." + std::to_string(tenths % 10);  // no trailing ".0"
    }
    return seconds + " s";
}

void PrintTo(const ExitStatus& status, std::ostream* out) { *out << status.describe(); }
void PrintTo(ExitStatus::Code code, std::ostream* out) { *out << describe(code); }
std::ostream& operator<<(std::ostream& out, const ExitStatus& status) {
    return out << status.describe();
}
std::ostream& operator<<(std::ostream& out, ExitStatus::Code code) { return out << describe(code); }

ExitStatus Process::wait_exit(Clock::time_point deadline) {
    auto started = Clock::now();
    // A pidfd becomes readable when the child exits, so we can poll it with a deadline.
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    while (!exit_status_) {
        int status = 0;
        pid_t done = waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exit_status_ = decode_status(status);
            if (stderr_reader_.joinable()) {
                stderr_reader_.join();  // the child is gone: its stderr is complete
            }
            break;
        }
        int left = remaining_ms(deadline);
        if (left == 0) {
            break;
        }
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            poll(&p, 1, left);
        } else {
            poll(nullptr, 0, std::min(left, 5));  // old kernel: check again shortly
        }
    }
    if (pidfd >= 0) {
        close(pidfd);
    }
    if (exit_status_) {
        return *exit_status_;
    }
    return ExitStatus::still_running(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(deadline - started, Clock::duration::zero())));
}

bool Process::running() { return !wait_exit(Clock::now()).has_value(); }

}  // namespace course::test
