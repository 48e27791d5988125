#include "harness.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace course::test {

namespace {

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

std::string escape(std::string_view bytes, size_t max_shown) {
    std::string out;
    auto put = [&out](unsigned char c) {
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    char hex[5];
                    std::snprintf(hex, sizeof hex, "\\x%02x", c);
                    out += hex;
                } else {
                    out += static_cast<char>(c);
                }
        }
    };
    if (bytes.size() <= max_shown) {
        for (unsigned char c : bytes)
            put(c);
    } else {
        for (unsigned char c : bytes.substr(0, max_shown / 2))
            put(c);
        out += "\"...(" + std::to_string(bytes.size() - max_shown) + " bytes)...\"";
        for (unsigned char c : bytes.substr(bytes.size() - max_shown / 2))
            put(c);
    }
    return "\"" + out + "\"";
}

// ---------------------------------------------------------------- Server

std::unique_ptr<Server> Server::start(const Stage& stage, ServerOptions options) {
    std::vector<std::string> args;
    if (options.pass_address) {
        args = {"--address", "127.0.0.1:0"};
    }
    if (options.pass_test_args) {
        args.insert(args.end(), stage.test_args.begin(), stage.test_args.end());
    }
    args.insert(args.end(), options.args.begin(), options.args.end());
    std::unique_ptr<Server> server(new Server(stage));
    if (options.process.working_directory.empty()) {
        server->own_directory_ = std::make_unique<TempDir>();
        options.process.working_directory = server->own_directory_->path();
    }
    server->directory_ = options.process.working_directory;
    server->process_ = std::make_unique<Process>(stage.server_path(), args, options.process);

    auto line = server->process_->read_stdout_line(deadline_in(options.start_deadline));
    const std::string prefix = "listening on ";
    if (!line || !line->starts_with(prefix) || line->rfind(':') == std::string::npos) {
        throw std::runtime_error(
            "[" + stage.id + "] expected the first stdout line \"listening on HOST:PORT\", got " +
            (line ? escape(*line) : std::string("nothing before the deadline")) + "\n" +
            server->describe());
    }
    std::string address = line->substr(prefix.size());
    auto colon = address.rfind(':');
    server->host_ = address.substr(0, colon);
    if (server->host_.starts_with('[')) {
        server->host_ = server->host_.substr(1, server->host_.size() - 2);
    }
    server->port_ = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
    return server;
}

std::string Server::describe() const {
    std::ostringstream out;
    out << "--- " << stage_.id << " server " << process_->path() << " (pid " << process_->pid()
        << ") stderr ---\n"
        << process_->stderr_text() << "--- end of stderr ---";
    return out.str();
}

Connection Server::connect(std::string name, std::chrono::milliseconds deadline) {
    auto connection = try_connect(name, deadline);
    if (!connection) {
        throw std::runtime_error("[" + stage_.id + " " + name + "] could not connect to " +
                                 address() + "\n" + describe());
    }
    return std::move(*connection);
}

std::optional<Connection> Server::try_connect(std::string name,
                                              std::chrono::milliseconds deadline) {
    auto connection = connect_to(host_, port_, std::move(name), deadline);
    if (connection) {
        connection->attach_to(this);  // failures now carry this server's stderr
    }
    return connection;
}

std::optional<int> Server::stop(int signal_number, std::chrono::milliseconds deadline) {
    process_->send_signal(signal_number);
    return process_->wait_exit(deadline_in(deadline));
}

// ---------------------------------------------------------------- Connection

std::optional<Connection> connect_to(const std::string& host, std::uint16_t port, std::string name,
                                     std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    if (host.find(':') != std::string::npos) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1)
            return std::nullopt;
        length = sizeof *a6;
        family = AF_INET6;
    } else {
        auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1)
            return std::nullopt;
        length = sizeof *a4;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return std::nullopt;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        if (errno != EINPROGRESS) {
            ::close(fd);
            return std::nullopt;
        }
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t error_length = sizeof error;
        if (poll(&p, 1, remaining_ms(until)) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0 || error != 0) {
            ::close(fd);
            return std::nullopt;
        }
    }
    return Connection(fd, std::move(name), nullptr);
}

Connection::Connection(int fd, std::string name, const Server* server)
    : fd_(fd), name_(std::move(name)), server_(server) {}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      server_(other.server_),
      buffer_(std::move(other.buffer_)),
      eof_(other.eof_),
      error_(std::move(other.error_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        name_ = std::move(other.name_);
        server_ = other.server_;
        buffer_ = std::move(other.buffer_);
        eof_ = other.eof_;
        error_ = std::move(other.error_);
    }
    return *this;
}

Connection::~Connection() { close(); }

std::string Connection::label() const {
    return "[" + (server_ ? server_->stage().id + " " : std::string()) + "connection '" + name_ +
           "']";
}

testing::AssertionResult Connection::failure(const std::string& what) const {
    auto result = testing::AssertionFailure() << label() << " " << what;
    if (server_) {
        result << "\n" << server_->describe();
    }
    return result;
}

testing::AssertionResult Connection::send(std::string_view bytes,
                                          std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    size_t total = bytes.size();
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_, POLLOUT, 0};
            if (poll(&p, 1, remaining_ms(until)) <= 0) {
                return failure("could not send " + std::to_string(bytes.size()) + " of " +
                               std::to_string(total) + " bytes before the deadline");
            }
            continue;
        }
        return failure("send failed after " + std::to_string(total - bytes.size()) + " of " +
                       std::to_string(total) + " bytes: " + std::strerror(errno));
    }
    return testing::AssertionSuccess();
}

size_t Connection::send_some(std::string_view bytes) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return n > 0 ? static_cast<size_t>(n) : 0;
}

bool Connection::fill(Clock::time_point deadline) {
    if (eof_)
        return false;
    for (;;) {
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.append(chunk, static_cast<size_t>(n));
            return true;
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pollfd p{fd_, POLLIN, 0};
            int ready = poll(&p, 1, remaining_ms(deadline));
            if (ready <= 0)
                return false;  // deadline
            continue;
        }
        error_ = std::strerror(errno);  // a reset counts as the end of the stream
        eof_ = true;
        return false;
    }
}

testing::AssertionResult Connection::expect_bytes(std::string_view expected,
                                                  std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    while (buffer_.size() < expected.size() &&
           std::string_view(buffer_) == expected.substr(0, buffer_.size())) {
        if (!fill(until))
            break;
    }
    if (buffer_.size() >= expected.size() &&
        std::string_view(buffer_).substr(0, expected.size()) == expected) {
        buffer_.erase(0, expected.size());
        return testing::AssertionSuccess();
    }
    size_t same = 0;
    while (same < buffer_.size() && same < expected.size() && buffer_[same] == expected[same]) {
        ++same;
    }
    std::string how;
    if (same < buffer_.size()) {
        how = " (they differ from byte " + std::to_string(same) + " on)";
    } else if (eof_) {
        how = error_.empty() ? " (then the server closed)"
                             : " (then the connection failed: " + error_ + ")";
    } else {
        how = " (then nothing more before the deadline)";
    }
    return failure("expected " + escape(expected) + "\n  received " + escape(buffer_) + how);
}

testing::AssertionResult Connection::expect_line(std::string_view line,
                                                 std::chrono::milliseconds deadline) {
    return expect_bytes(std::string(line) + "\n", deadline);
}

testing::AssertionResult Connection::expect_eof(std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    while (buffer_.empty() && fill(until)) {
    }
    if (!buffer_.empty()) {
        return failure("expected the server to close, received " + escape(buffer_));
    }
    if (!eof_) {
        return failure("expected the server to close; it stayed open past the deadline");
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult Connection::expect_silence(std::chrono::milliseconds quiet) {
    auto until = Clock::now() + quiet;  // not scaled: this is how long we listen
    while (buffer_.empty() && fill(until)) {
    }
    if (!buffer_.empty()) {
        return failure("expected no answer yet, received " + escape(buffer_));
    }
    if (eof_) {
        return failure("expected the connection to stay open and silent; the server closed it");
    }
    return testing::AssertionSuccess();
}

std::optional<std::string> Connection::read_line(std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    for (;;) {
        auto newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        if (!fill(until))
            return std::nullopt;
    }
}

bool writable_within(const Connection& c, std::chrono::milliseconds wait) {
    pollfd p{c.fd(), POLLOUT, 0};
    return poll(&p, 1, static_cast<int>(wait.count())) == 1;
}

bool flood_until_stalled(Connection& c, std::string_view bytes, std::chrono::milliseconds stall,
                         std::chrono::milliseconds give_up) {
    auto until = deadline_in(give_up);
    while (Clock::now() < until) {
        if (c.send_some(bytes) == 0 && !writable_within(c, stall))
            return true;
    }
    return false;
}

std::string Connection::read_to_eof(std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    while (fill(until)) {
    }
    return std::exchange(buffer_, {});
}

void Connection::half_close() {
    if (fd_ >= 0)
        ::shutdown(fd_, SHUT_WR);
}

void Connection::reset() {
    if (fd_ >= 0) {
        linger hard{1, 0};
        setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        close();
    }
}

void Connection::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

// ---------------------------------------------------------------- helpers

size_t open_fd_count(pid_t pid) {
    size_t count = 0;
    std::error_code error;
    for ([[maybe_unused]] auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        ++count;
    }
    return count;
}

namespace {

// The local or peer port of a socket, or 0.
std::uint16_t port_of(int fd, bool peer) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int got = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                   : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    if (got != 0) return 0;
    if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port);
    return 0;
}

}  // namespace

std::optional<bool> server_side_nodelay(pid_t pid, const Connection& c) {
    std::uint16_t ours = port_of(c.fd(), false);
    int process = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (process < 0 || ours == 0) {
        if (process >= 0) ::close(process);
        return std::nullopt;
    }
    std::optional<bool> answer;
    std::error_code error;
    for (auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        int number = std::atoi(entry.path().filename().c_str());
        int copy = static_cast<int>(syscall(SYS_pidfd_getfd, process, number, 0));
        if (copy < 0) continue;
        if (port_of(copy, true) == ours) {
            int on = 0;
            socklen_t length = sizeof on;
            if (getsockopt(copy, IPPROTO_TCP, TCP_NODELAY, &on, &length) == 0) answer = on != 0;
        }
        ::close(copy);
        if (answer) break;
    }
    ::close(process);
    return answer;
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/course-test-XXXXXX";
    if (!mkdtemp(pattern.data())) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> TempDir::list() const {
    std::vector<std::string> names;
    for (auto& entry : std::filesystem::directory_iterator(path_)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

ClientRun run_client(const std::string& path, const std::vector<std::string>& args,
                     std::string_view stdin_bytes, std::chrono::milliseconds deadline,
                     const ProcessOptions& options) {
    Process client(path, args, options);
    auto until = deadline_in(deadline);
    // A client may exit before it reads its input (a refused connection): that is its
    // answer to check, not an error of the harness.
    client.offer_stdin(stdin_bytes);
    client.close_stdin();
    ClientRun run;
    run.out = client.read_stdout_to_end(until);
    run.exit_status = client.wait_exit(until);
    run.err = client.stderr_text();
    return run;
}

}  // namespace course::test
