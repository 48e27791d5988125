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
#include <fstream>
#include <iostream>
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

// One byte as a C string literal writes it: '\n' -> "\\n", 0x00 -> "\\x00".
std::string escape_byte(unsigned char c) {
    switch (c) {
        case '\n': return "\\n";
        case '\r': return "\\r";
        case '\t': return "\\t";
        case '\\': return "\\\\";
        case '"': return "\\\"";
        default:
            if (c < 0x20 || c >= 0x7f) {
                char hex[5];
                std::snprintf(hex, sizeof hex, "\\x%02x", c);
                return hex;
            }
            return std::string(1, static_cast<char>(c));
    }
}

std::string escape(std::string_view bytes, size_t max_shown) {
    std::string out;
    auto put = [&out](unsigned char c) { out += escape_byte(c); };
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

namespace {

// How failure messages show bytes. A terminal is 80 to 100 columns wide: long escaped
// text is broken into quoted pieces (as C joins "ab" "cd"), and expected and received are
// shown as a window around their first difference, so that a caret can point at it.
constexpr size_t kTextColumns = 76;    // escaped text per line
constexpr size_t kLeadColumns = 40;    // escaped text shown before the first difference
constexpr size_t kSentShown = 300;     // the last bytes a connection sent, in its failures
constexpr size_t kStderrShown = 4000;  // the last bytes of the server's stderr

std::string escape_at(std::string_view bytes, size_t i) {
    return escape_byte(static_cast<unsigned char>(bytes[i]));
}

// `bytes` escaped as quoted pieces of at most kTextColumns, one per line after `indent`.
std::string wrapped(std::string_view bytes, size_t indent) {
    std::string out = "\"";
    size_t columns = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::string e = escape_at(bytes, i);
        if (columns + e.size() > kTextColumns) {
            out += "\"\n" + std::string(indent, ' ') + "\"";
            columns = 0;
        }
        out += e;
        columns += e.size();
    }
    return out + "\"";
}

// The first kSentShown bytes, wrapped after an indent of 2, and how many more there are.
std::string first_bytes(std::string_view bytes) {
    std::string shown = wrapped(bytes.substr(0, kSentShown), 2);
    if (bytes.size() > kSentShown) {
        shown += "...(" + std::to_string(bytes.size() - kSentShown) + " more bytes)";
    }
    return shown;
}

// Where to start showing `bytes` so that byte `at` comes after at most kLeadColumns.
size_t window_start(std::string_view bytes, size_t at) {
    size_t from = at;
    size_t columns = 0;
    while (from > 0 && columns + escape_at(bytes, from - 1).size() <= kLeadColumns) {
        columns += escape_at(bytes, from - 1).size();
        --from;
    }
    return from;
}

// bytes[from...] escaped on one line; "..." marks what is cut at either end.
std::string window(std::string_view bytes, size_t from) {
    std::string out = from > 0 ? "...\"" : "\"";
    size_t i = from;
    for (size_t columns = 0; i < bytes.size(); ++i) {
        std::string e = escape_at(bytes, i);
        if (columns + e.size() > kTextColumns) {
            break;
        }
        out += e;
        columns += e.size();
    }
    out += "\"";
    if (i < bytes.size()) {
        out += "...(" + std::to_string(bytes.size() - i) + " more bytes)";
    }
    return out;
}

// The column of byte `at` in window(bytes, from).
size_t column_in_window(std::string_view bytes, size_t from, size_t at) {
    size_t column = from > 0 ? 4 : 1;  // `..."` or `"`
    for (size_t i = from; i < at; ++i) {
        column += escape_at(bytes, i).size();
    }
    return column;
}

}  // namespace

// The answer a connection got against the one a test expected, the first difference
// marked:
//   expected  "hello\n"
//   received  "hello\r\n"
//                   ^ byte 5 differs: expected '\n', received '\r'
std::string mark_difference(std::string_view expected, std::string_view received) {
    size_t same = 0;
    while (same < received.size() && same < expected.size() && received[same] == expected[same]) {
        ++same;
    }
    size_t from = window_start(expected, same);  // the bytes before `same` are the same
    std::string at = "byte " + std::to_string(same);
    std::string note;
    if (same < received.size() && same < expected.size()) {
        note = at + " differs: expected '" + escape_at(expected, same) + "', received '" +
               escape_at(received, same) + "'";
    } else if (same < received.size()) {
        note = at + " and on were not expected";
    } else if (same < expected.size()) {
        note = at + " and on never came";
    } else {
        note = "the same bytes";
    }
    const std::string label_expected = "  expected  ";
    const std::string label_received = "  received  ";
    size_t column = label_received.size() + column_in_window(received, from, same);
    std::string caret = std::string(column, ' ') + "^";
    caret += column + note.size() + 2 <= kTextColumns + 20 ? " " + note : "\n  " + note;
    return label_expected + window(expected, from) + "\n" + label_received +
           window(received, from) + "\n" + caret;
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

namespace {

// "--- WHOSE stderr ---", its last lines, "--- end of stderr ---": the tail of a failure
// message, for a server or a client alike.
std::string stderr_block(std::string_view whose, std::string text) {
    std::ostringstream out;
    out << "--- " << whose << " stderr";
    if (text.empty()) {
        out << ": empty ---";
        return out.str();
    }
    // The last lines: where a crash or a refusal shows. A chatty program's first megabyte
    // would bury the failure above it.
    if (text.size() > kStderrShown) {
        size_t cut = text.find('\n', text.size() - kStderrShown);
        cut = cut == std::string::npos ? text.size() - kStderrShown : cut + 1;
        out << ", its last " << text.size() - cut << " of " << text.size() << " bytes";
        text.erase(0, cut);
    }
    if (!text.ends_with('\n')) {
        text += '\n';
    }
    out << " ---\n" << text << "--- end of stderr ---";
    return out.str();
}

}  // namespace

std::string Server::describe() const {
    return stderr_block(stage_.id + " server " + process_->path() + " (pid " +
                            std::to_string(process_->pid()) + ")",
                        process_->stderr_text());
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

ExitStatus Server::stop(int signal_number, std::chrono::milliseconds deadline) {
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
      error_(std::move(other.error_)),
      sent_tail_(std::move(other.sent_tail_)),
      sent_total_(other.sent_total_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        name_ = std::move(other.name_);
        server_ = other.server_;
        buffer_ = std::move(other.buffer_);
        eof_ = other.eof_;
        error_ = std::move(other.error_);
        sent_tail_ = std::move(other.sent_tail_);
        sent_total_ = other.sent_total_;
    }
    return *this;
}

Connection::~Connection() { close(); }

std::string Connection::label() const {
    return "[" + (server_ ? server_->stage().id + " " : std::string()) + "connection '" + name_ +
           "']";
}

std::string Connection::sent_summary() const {
    const std::string label = "  sent      ";
    if (sent_total_ == 0) {
        return label + "nothing";
    }
    std::string before;
    if (sent_total_ > sent_tail_.size()) {
        before = "(" + std::to_string(sent_total_ - sent_tail_.size()) + " bytes before) ...\n" +
                 std::string(label.size(), ' ');
    }
    return label + before + wrapped(sent_tail_, label.size());
}

void Connection::remember_sent(std::string_view bytes) {
    sent_total_ += bytes.size();
    sent_tail_ += bytes.substr(bytes.size() > kSentShown ? bytes.size() - kSentShown : 0);
    if (sent_tail_.size() > kSentShown) {
        sent_tail_.erase(0, sent_tail_.size() - kSentShown);
    }
}

testing::AssertionResult Connection::failure(const std::string& what, bool show_sent) const {
    auto result = testing::AssertionFailure() << label() << " " << what;
    if (show_sent) {
        result << "\n" << sent_summary();
    }
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
            remember_sent(bytes.substr(0, static_cast<size_t>(n)));
            bytes.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_, POLLOUT, 0};
            if (poll(&p, 1, remaining_ms(until)) <= 0) {
                return failure("could not send the last " + std::to_string(bytes.size()) + " of " +
                               std::to_string(total) + " bytes within " +
                               seconds_text(deadline_scale(deadline)) +
                               " (the server does not read them)");
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
    if (n <= 0) {
        return 0;
    }
    remember_sent(bytes.substr(0, static_cast<size_t>(n)));
    return static_cast<size_t>(n);
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
    // What went wrong in one line, then the bytes: sent, expected, received.
    bool other_bytes = buffer_.size() > 0 && !std::string_view(expected).starts_with(buffer_);
    std::string then = !eof_ ? "nothing more came within " + seconds_text(deadline_scale(deadline))
                       : error_.empty() ? "the server closed the connection"
                                        : "the connection failed (" + error_ + ")";
    std::string what = other_bytes ? "received other bytes than expected"
                       : buffer_.empty()
                           ? "expected an answer, but " + then
                           : "received only " + std::to_string(buffer_.size()) + " of the " +
                                 std::to_string(expected.size()) + " bytes expected, then " + then;
    return failure(what + "\n" + sent_summary() + "\n" + mark_difference(expected, buffer_), false);
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
        return failure("expected the server to close the connection, but received\n  " +
                       first_bytes(buffer_));
    }
    if (!eof_) {
        return failure("expected the server to close the connection; it was still open after " +
                       seconds_text(deadline_scale(deadline)));
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult Connection::expect_silence(std::chrono::milliseconds quiet) {
    auto until = Clock::now() + quiet;  // not scaled: this is how long we listen
    while (buffer_.empty() && fill(until)) {
    }
    if (!buffer_.empty()) {
        return failure("expected no answer yet, but received\n  " + first_bytes(buffer_));
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
    if (got != 0)
        return 0;
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port);
    return 0;
}

}  // namespace

std::optional<bool> server_side_nodelay(pid_t pid, const Connection& c) {
    std::uint16_t ours = port_of(c.fd(), false);
    int process = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (process < 0 || ours == 0) {
        if (process >= 0)
            ::close(process);
        return std::nullopt;
    }
    std::optional<bool> answer;
    std::error_code error;
    for (auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        int number = std::atoi(entry.path().filename().c_str());
        int copy = static_cast<int>(syscall(SYS_pidfd_getfd, process, number, 0));
        if (copy < 0)
            continue;
        if (port_of(copy, true) == ours) {
            int on = 0;
            socklen_t length = sizeof on;
            if (getsockopt(copy, IPPROTO_TCP, TCP_NODELAY, &on, &length) == 0)
                answer = on != 0;
        }
        ::close(copy);
        if (answer)
            break;
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
    run.program = path;
    run.typed = stdin_bytes;
    run.out = client.read_stdout_to_end(until);
    run.exit_status = client.wait_exit(until);
    if (!run.exit_status.has_value()) {  // say the whole wait, not what was left of it
        run.exit_status = ExitStatus::still_running(deadline_scale(deadline));
    }
    run.err = client.stderr_text();
    return run;
}

testing::AssertionResult expect_printed(const ClientRun& run, std::string_view expected) {
    if (run.out == expected) {
        return testing::AssertionSuccess();
    }
    std::string name = std::filesystem::path(run.program).filename().string();
    auto failure = testing::AssertionFailure();
    failure << "[" << name << "] printed something else\n";
    failure << "  typed     " << escape(run.typed) << "\n";
    failure << mark_difference(expected, run.out) << "\n";
    failure << "  it ended: " << run.exit_status.describe() << "\n";
    failure << stderr_block(name, run.err);
    return failure;
}

// ---------------------------------------------------------------- learner reports

namespace {

// A test's failures as a learner reads them: each message with its file:line, in order,
// and none of GoogleTest's own lines. `./course test vN --step K` shows this file instead
// of the test program's output.
class LearnerReport : public testing::EmptyTestEventListener {
public:
    explicit LearnerReport(std::string directory) : directory_(std::move(directory)) {}

    void OnTestStart(const testing::TestInfo&) override { failures_.clear(); }

    void OnTestPartResult(const testing::TestPartResult& result) override {
        if (result.failed()) {
            failures_.push_back(where(result) + learner_text(result.message()));
        }
    }

    void OnTestEnd(const testing::TestInfo& test) override {
        if (!test.result()->Failed()) {
            return;
        }
        // The name as ctest shows it, less its "vN." prefix: "Stages/EchoServer.X/v2".
        std::string name = std::string(test.test_suite_name()) + "." + test.name();
        std::replace(name.begin(), name.end(), '/', '_');
        std::error_code ignored;
        std::filesystem::create_directories(directory_, ignored);
        std::ofstream out(directory_ + "/" + name + ".txt");
        out << without_repeated_stderr(failures_);
    }

private:
    // "tests/echo/echo_server_test.cpp:74:\n", the path from the course's root.
    static std::string where(const testing::TestPartResult& result) {
        if (result.file_name() == nullptr) {
            return "";
        }
        std::string file = result.file_name();
        if (auto tests = file.rfind("tests/"); tests != std::string::npos) {
            file.erase(0, tests);
        }
        return file + ":" + std::to_string(result.line_number()) + ":\n";
    }

    // The same server stderr under every failure of a test says nothing new the second
    // time: later copies become one line.
    static std::string without_repeated_stderr(const std::vector<std::string>& failures) {
        std::vector<std::string> seen;
        std::string report;
        for (std::string failure : failures) {
            size_t start = failure.find("\n--- ");
            size_t end = failure.find("--- end of stderr ---", start);
            if (start != std::string::npos && end != std::string::npos) {
                end += std::strlen("--- end of stderr ---");
                std::string block = failure.substr(start, end - start);
                if (std::find(seen.begin(), seen.end(), block) != seen.end()) {
                    failure.replace(start, end - start, "\n(the server's stderr: as above)");
                } else {
                    seen.push_back(block);
                }
            }
            report += (report.empty() ? "" : "\n") + failure + "\n";
        }
        return report;
    }

    std::string directory_;
    std::vector<std::string> failures_;
};

// Splits "a\nb" into lines.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// "Value of: c.expect_line(\"hi\")\n  Actual: false (MESSAGE)\nExpected: true\nMORE":
// the harness's MESSAGE and the test's MORE are what a learner needs.
bool unwrap_boolean(std::string& text) {
    const std::string value_of = "Value of: ";
    size_t actual = text.find("\n  Actual: ");
    if (!text.starts_with(value_of) || actual == std::string::npos) {
        return false;
    }
    std::string expression = text.substr(value_of.size(), actual - value_of.size());
    std::string rest = text.substr(actual + std::strlen("\n  Actual: "));
    bool has_message = rest.starts_with("false (") || rest.starts_with("true (");
    const std::string before_expected = has_message ? ")\nExpected: " : "\nExpected: ";
    size_t end = rest.find(before_expected);
    if (end == std::string::npos) {
        return false;
    }
    size_t open = rest.find(" (");
    std::string message = has_message ? rest.substr(open + 2, end - open - 2) : "";
    size_t value_start = end + before_expected.size();
    size_t value_end = rest.find('\n', value_start);
    std::string expected = rest.substr(value_start, value_end - value_start);
    std::string more = value_end == std::string::npos ? "" : rest.substr(value_end);
    text = (has_message ? message : "expected " + expression + " to be " + expected) + more;
    return true;
}

// "Expected equality of these values:\n  a\n    Which is: 1\n  b" ->
// "expected: a == b\n  actual: 1": the comparison first, then the value(s) it found
// ("  a: 1\n  b: 2" when both sides are more than their own text).
void rewrite_equality(std::string& text) {
    const std::string header = "Expected equality of these values:";
    if (!text.starts_with(header)) {
        return;
    }
    std::vector<std::string> lines = lines_of(text);
    std::vector<std::string> sides;                           // the two expressions
    std::vector<std::pair<std::string, std::string>> values;  // sides that are not their value
    size_t i = 1;
    for (; i < lines.size() && sides.size() < 2; ++i) {
        if (!lines[i].starts_with("  ") || lines[i].starts_with("    ")) {
            break;
        }
        sides.push_back(lines[i].substr(2));
        const std::string which = "    Which is: ";
        if (i + 1 < lines.size() && lines[i + 1].starts_with(which)) {
            std::string value = lines[i + 1].substr(which.size());
            if (value != sides.back()) {  // else it only repeats the expression
                values.emplace_back(sides.back(), value);
            }
            ++i;
        }
    }
    if (sides.size() != 2) {
        return;
    }
    std::string out = "expected: " + sides[0] + " == " + sides[1];
    if (values.size() == 1) {
        out += "\n  actual: " + values[0].second;
    } else {
        for (const auto& [side, value] : values) {
            out += "\n  " + side + ": " + value;
        }
    }
    for (; i < lines.size(); ++i) {
        out += "\n" + lines[i];
    }
    text = out;
}

// "C++ exception with description \"X\" thrown in the test body." -> X.
void unwrap_exception(std::string& text) {
    const std::string start = "C++ exception with description \"";
    const std::string end = "\" thrown in the test body.";
    if (text.starts_with(start) && text.ends_with(end)) {
        text = "the test stopped: " +
               text.substr(start.size(), text.size() - start.size() - end.size());
    }
}

// "Google Test trace:\nfile:12: stdin at its end" -> "(while: stdin at its end)".
void rewrite_trace(std::string& text) {
    const std::string marker = "\nGoogle Test trace:";
    size_t at = text.find(marker);
    if (at == std::string::npos) {
        return;
    }
    std::string out = text.substr(0, at);
    for (const auto& line : lines_of(text.substr(at + marker.size()))) {
        size_t colon = line.find(": ");
        if (!line.empty()) {
            out +=
                "\n(while: " + (colon == std::string::npos ? line : line.substr(colon + 2)) + ")";
        }
    }
    text = out;
}

}  // namespace

std::string learner_text(std::string message) {
    rewrite_trace(message);
    if (!unwrap_boolean(message)) {
        rewrite_equality(message);
        unwrap_exception(message);
    }
    while (message.ends_with('\n')) {
        message.pop_back();
    }
    return message;
}

bool install_learner_reports() {
    static const bool installed = [] {
        const char* directory = std::getenv("COURSE_LEARNER_REPORTS");
        if (directory == nullptr || *directory == '\0') {
            return false;
        }
        // GoogleTest owns (and deletes) the listeners it is given.
        testing::UnitTest::GetInstance()->listeners().Append(new LearnerReport(directory));
        return true;
    }();
    return installed;
}

void expect_the_check_to_fail(const testing::AssertionResult& result, std::string_view as_expected,
                              std::string_view if_it_passed) {
    if (result) {
        ADD_FAILURE() << if_it_passed;
        return;
    }
    std::string message = result.message();
    std::cout << as_expected << ": " << message.substr(0, message.find('\n')) << "\n";
}

}  // namespace course::test
