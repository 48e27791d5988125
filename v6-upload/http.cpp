#include "http.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "course/logging.hpp"
#include "error.hpp"
#include "logger.hpp"
#include "storage.hpp"

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// One request's head (request line and fields) must fit here: browsers send well under
// 2 KiB for an image. nginx's default is the same size (large_client_header_buffers 8k,
// per line there, per head here). It is the connection's whole memory, and it is bounded:
// each answered head leaves the buffer, so pipelined requests may total any size.
constexpr std::size_t kMaxHead = 8 * 1024;

// [v6 step 4] Parse a request head (RFC 9112), write a response head, open a regular file.
struct Request {
    std::string_view method;
    std::string_view path;  // the target without its ?query
    bool keep_alive = true;
    bool has_body = false;
    std::string_view error;  // why it is a 400; empty when the head is fine
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

// RFC 9110's "token": what a method or a field name is made of. No space, no colon.
bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The next line of `text`, without its ending: CRLF, or a bare LF (RFC 9112 lets a
// server read that like CRLF, and curl, nc and hand-typed requests send it).
std::string_view next_line(std::string_view& text) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    return line;
}

// How many bytes at the front of `data` are empty lines. RFC 9112: a server ignores
// empty lines before a request line (some clients send one after a request's body).
std::size_t empty_lines_at_front(std::string_view data) {
    std::size_t at = 0;
    for (;;) {
        if (data.substr(at).starts_with('\n')) {
            at += 1;
        } else if (data.substr(at).starts_with("\r\n")) {
            at += 2;
        } else {
            return at;
        }
    }
}

// The size of the head at the front of `data`, up to and with its empty line; nothing
// while that line has not arrived. Searched after every read, in everything buffered.
std::optional<std::size_t> head_size_in(std::string_view data) {
    for (auto at = data.find('\n'); at != std::string_view::npos; at = data.find('\n', at + 1)) {
        auto rest = data.substr(at + 1);
        if (rest.starts_with('\n')) {
            return at + 2;
        }
        if (rest.starts_with("\r\n")) {
            return at + 3;
        }
    }
    return std::nullopt;
}

Request malformed(std::string_view why) {
    Request request;
    request.error = why;
    return request;
}

// `head` ends with the empty line. The rules are RFC 9112's, for the GET/HEAD we serve.
Request parse_head(std::string_view head) {
    Request request;
    auto line = next_line(head);
    auto first_space = line.find(' ');
    auto last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space) {
        return malformed("not a request line");
    }
    request.method = line.substr(0, first_space);
    auto target = line.substr(first_space + 1, last_space - first_space - 1);
    auto version = line.substr(last_space + 1);
    if (!is_token(request.method) || target.empty() ||
        target.find_first_of(" \t\r") != std::string_view::npos ||
        (version != "HTTP/1.1" && version != "HTTP/1.0")) {
        return malformed("not a request line");
    }
    request.path = target.substr(0, target.find('?'));
    request.keep_alive = version == "HTTP/1.1";  // 1.0 closes unless it asks otherwise
    int hosts = 0;
    for (auto field = next_line(head); !field.empty(); field = next_line(head)) {
        auto colon = field.find(':');
        // "Name : value" is refused, not trimmed: two parsers that disagree on a name
        // is how requests get smuggled past a proxy. A line that begins with a space
        // (the obsolete line folding) has no token before its colon either.
        if (colon == std::string_view::npos || !is_token(field.substr(0, colon))) {
            return malformed("malformed field line");
        }
        auto name = field.substr(0, colon);
        auto value = trim(field.substr(colon + 1));
        if (value.find('\r') != std::string_view::npos) {
            return malformed("a bare CR in a field");
        }
        if (equals_ignoring_case(name, "Host")) {
            ++hosts;
        } else if (equals_ignoring_case(name, "Connection")) {
            request.keep_alive = !equals_ignoring_case(value, "close") &&
                                 (request.keep_alive || equals_ignoring_case(value, "keep-alive"));
        } else if (equals_ignoring_case(name, "Content-Length")) {
            if (!is_digits(value)) {
                return malformed("Content-Length is not a number");
            }
            // "00" is zero too: a number, not the text "0".
            request.has_body = request.has_body || value.find_first_not_of('0') != value.npos;
        } else if (equals_ignoring_case(name, "Transfer-Encoding")) {
            request.has_body = true;
        }
        // Everything else, Range included, is ignored: the answer is the whole file
        // (RFC 9110 allows a server to ignore Range), never a part we might get wrong.
    }
    // One Host, always; HTTP/1.0 predates it, so there it may be missing (not doubled).
    if (hosts > 1 || (hosts == 0 && version == "HTTP/1.1")) {
        return malformed(hosts > 1 ? "more than one Host" : "no Host");
    }
    if (request.has_body) {
        return malformed("a GET or HEAD with a body");  // we would have to read it
    }
    return request;
}

std::string head_of(int status, std::string_view reason, std::string_view type,
                    std::uint64_t length, bool keep_alive, std::string_view extra = {}) {
    return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}{}\r\n",
                       status, reason, type, length, extra,
                       keep_alive ? "" : "Connection: close\r\n");
}

// Waits for `operation` or the deadline, whichever comes first: true if the operation
// finished first and without an error. (Asio's awaitable operators: `a || b` runs both
// and cancels the one that did not finish.)
template <typename Operation>
asio::awaitable<bool> before(asio::steady_timer& deadline, Operation operation) {
    auto result = co_await (std::move(operation) || deadline.async_wait(use_tuple));
    co_return result.index() == 0 && !std::get<0>(std::get<0>(result));
}

// An open file descriptor, closed when it goes out of scope.
struct File {
    int fd = -1;
    std::uint64_t size = 0;
    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

// Opens `path` if it is a regular file, without ever waiting. A FIFO planted under an
// upload's name would block a plain open() until a writer comes, and with it the whole
// event loop: O_NONBLOCK makes that open return at once; O_NOFOLLOW refuses a symlink;
// fstat() then looks at what was opened (a directory or a device is not served either),
// before a byte is read.
void open_regular_file(const std::filesystem::path& path, File& file) {
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat info {};
    if (file.fd >= 0 && ::fstat(file.fd, &info) == 0 && S_ISREG(info.st_mode)) {
        file.size = static_cast<std::uint64_t>(info.st_size);
        return;
    }
    if (file.fd >= 0) {
        ::close(file.fd);
        file.fd = -1;
    }
}
// [/v6 step 4]

}  // namespace

struct HttpServer::Connection {
    Connection(tcp::socket s, const tcp::endpoint& p) : socket(std::move(s)), peer(p) {}

    tcp::socket socket;
    tcp::endpoint peer;
    bool idle = false;
    std::list<Connection*>::iterator idle_at;  // its place in idle_, while idle
    LogThrottle log;                           // refusals in the log: at most one line a second
    ErrorBudget refusals;                      // more than 64 in a second: the connection is closed
};

HttpServer::HttpServer(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                       std::filesystem::path data_dir, std::string url,
                       std::chrono::milliseconds request_timeout, Logger& logger,
                       std::size_t max_connections)
    : acceptor_(executor, endpoint),
      data_dir_(std::move(data_dir)),
      prefix_(url.empty() ? "/" : "/" + url + "/"),
      request_timeout_(request_timeout),
      logger_(logger),
      max_connections_(max_connections) {}

course::Address HttpServer::local_address() const {
    auto endpoint = acceptor_.local_endpoint();
    return {endpoint.address().to_string(), endpoint.port()};
}

void HttpServer::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_connections(), asio::detached);
}

void HttpServer::stop() {
    // [v6 step 6] Close the acceptor and every connection's socket: their coroutines end.
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto* connection : open_) {
        connection->socket.close(ignored);  // its coroutine's pending wait ends, and so does it
    }
    // [/v6 step 6]
}

void HttpServer::enter_idle(Connection& connection) {
    if (!connection.idle) {
        connection.idle_at = idle_.insert(idle_.end(), &connection);
        connection.idle = true;
    }
}

void HttpServer::leave_idle(Connection& connection) {
    if (connection.idle) {
        idle_.erase(connection.idle_at);
        connection.idle = false;
    }
}

asio::awaitable<void> HttpServer::accept_connections() {
    asio::steady_timer pause(acceptor_.get_executor());
    for (;;) {
        tcp::endpoint peer;
        auto [error, socket] = co_await acceptor_.async_accept(peer, use_tuple);
        if (!acceptor_.is_open()) {
            co_return;  // closed by stop()
        }
        if (error) {  // out of file descriptors, most likely: pause instead of spinning
            logger_.report(Logger::peer_name(acceptor_.local_endpoint()),
                           ErrorType::connection_failed, "http accept: " + error.message());
            pause.expires_after(std::chrono::milliseconds(100));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        if (open_.size() >= max_connections_) {
            make_room_or_turn_away(socket);
            if (!socket.is_open()) {
                continue;
            }
        }
        asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket), peer), asio::detached);
    }
}

// [v6 step 5] At the cap close the longest-idle connection (or say 503); budget refusals.
// [starter] void HttpServer::make_room_or_turn_away(tcp::socket& socket) {
// [starter]     asio::error_code ignored;
// [starter]     socket.close(ignored);  // turned away without a word, even when others idle
// [starter] }
// [starter] bool HttpServer::refused(Connection&, int, std::string_view) { return true; }
void HttpServer::make_room_or_turn_away(tcp::socket& socket) {
    asio::error_code ignored;
    if (!idle_.empty()) {
        // The connection waiting longest for a request costs the least to lose: a
        // browser just opens a new one when it needs it.
        Connection* oldest = idle_.front();
        leave_idle(*oldest);
        open_.erase(oldest);  // it no longer counts; its coroutine ends on its own
        oldest->socket.close(ignored);
        return;
    }
    // Everyone is mid-request: the newcomer is refused at once, not left in the backlog.
    // A short answer into an empty send buffer: the write does not wait.
    std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(busy), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    auto now = std::chrono::steady_clock::now();
    if (busy_log_.allow(now)) {
        logger_.report(Logger::peer_name(acceptor_.local_endpoint()), ErrorType::connection_failed,
                       fmt::format("http: {} connections, all busy: a newcomer turned away "
                                   "({} more since the last line)",
                                   open_.size(), busy_log_.take_skipped()));
    }
}

bool HttpServer::refused(Connection& connection, int status, std::string_view detail) {
    auto now = std::chrono::steady_clock::now();
    if (connection.log.allow(now)) {
        auto skipped = connection.log.take_skipped();
        logger_.report(Logger::peer_name(connection.peer), ErrorType::bad_request,
                       fmt::format("{}: {}{}", status, course::printable(detail),
                                   skipped ? fmt::format(" ({} more left out)", skipped) : ""));
    }
    return connection.refusals.spend(now);
}
// [/v6 step 5]

// [v6 step 4] Serve each request's head within its deadline: GET/HEAD of an upload, else 404.
// [starter] asio::awaitable<void> HttpServer::serve(tcp::socket, tcp::endpoint) {
// [starter]     co_return;  // the connection closes unanswered
// [starter] }
asio::awaitable<bool> HttpServer::send(tcp::socket& socket, asio::steady_timer& deadline,
                                       const std::string& head, int fd, std::uint64_t size) {
    deadline.expires_after(request_timeout_);
    if (!co_await before(deadline, asio::async_write(socket, asio::buffer(head), use_tuple))) {
        co_return false;
    }
    // The file, straight from the page cache to the socket (sendfile: no copy through a
    // buffer of ours).
    off_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < size) {
        ssize_t n = ::sendfile(socket.native_handle(), fd, &offset,
                               size - static_cast<std::uint64_t>(offset));
        if (n > 0 || (n < 0 && errno == EINTR)) {
            continue;
        }
        if (n == 0 || errno != EAGAIN) {
            co_return false;  // a reset, or the file shrank: close, the length is promised
        }
        // The socket's buffer is full: wait until the client reads. Each piece gets a
        // fresh deadline, so a big image on a slow link is fine, a stalled reader is not.
        deadline.expires_after(request_timeout_);
        if (!co_await before(deadline, socket.async_wait(tcp::socket::wait_write, use_tuple))) {
            co_return false;
        }
    }
    co_return true;
}

asio::awaitable<HttpServer::HeadRead> HttpServer::read_head(Connection& connection,
                                                            std::span<char> buffer,
                                                            std::size_t& used,
                                                            std::size_t& head_size,
                                                            asio::steady_timer& deadline) {
    for (;;) {
        if (auto skip = empty_lines_at_front({buffer.data(), used}); skip > 0) {
            std::memmove(buffer.data(), buffer.data() + skip, used - skip);
            used -= skip;
        }
        // Look in what is buffered before reading more: pipelined requests may already
        // be here, and a head that ends exactly at the buffer's end is complete.
        if (auto size = head_size_in({buffer.data(), used})) {
            head_size = *size;
            co_return HeadRead::complete;
        }
        if (used == buffer.size()) {
            co_return HeadRead::too_long;
        }
        if (used == 0) {
            enter_idle(connection);  // between requests: the first to go at the cap
        }
        auto read = connection.socket.async_read_some(
            asio::buffer(buffer.data() + used, buffer.size() - used), use_tuple);
        auto result = co_await (std::move(read) || deadline.async_wait(use_tuple));
        leave_idle(connection);
        if (result.index() == 1) {
            co_return HeadRead::timed_out;
        }
        auto [error, n] = std::get<0>(result);
        if (error) {
            co_return HeadRead::closed;  // the client closed (or stop() closed the socket)
        }
        used += n;
    }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket, tcp::endpoint peer) {
    Connection connection(std::move(socket), peer);
    tcp::socket& s = connection.socket;
    open_.insert(&connection);
    // Every wait of this connection races this deadline; at the deadline the connection
    // closes, whatever the client is doing (slowloris) or not doing (an idle keep-alive).
    asio::steady_timer deadline(s.get_executor());
    // The connection's only buffer, on the heap: a coroutine frame should stay small.
    auto storage = std::make_unique_for_overwrite<char[]>(kMaxHead);
    std::span<char> buffer(storage.get(), kMaxHead);
    std::size_t used = 0;
    asio::error_code ignored;
    s.native_non_blocking(true, ignored);        // sendfile() then says EAGAIN, never blocks
    s.set_option(tcp::no_delay(true), ignored);  // the head and the file: no wait between
    bool linger = false;  // we close after an answer: the client may still be sending

    for (bool keep_alive = true; keep_alive;) {
        // The deadline of this request: its whole head must arrive within the timeout,
        // counted from now (for a keep-alive connection: from the end of the last answer).
        deadline.expires_after(request_timeout_);
        std::size_t head_size = 0;
        auto outcome = co_await read_head(connection, buffer, used, head_size, deadline);
        if (outcome == HeadRead::too_long) {
            (void)refused(connection, 431, fmt::format("head over {} bytes", kMaxHead));
            std::string head =
                head_of(431, "Request Header Fields Too Large", "text/plain", 0, false);
            linger = co_await send(s, deadline, head);
            break;
        }
        if (outcome != HeadRead::complete) {
            if (outcome == HeadRead::timed_out && used > 0) {  // an idle one closes unremarked
                logger_.report(peer, ErrorType::timeout, "HTTP request head not complete in {} s",
                               std::chrono::duration<double>(request_timeout_).count());
            }
            break;
        }

        auto request = parse_head({buffer.data(), head_size});
        std::string head;
        File file;
        int status = 200;
        if (!request.error.empty()) {
            status = 400;
            keep_alive = false;  // after a head we cannot read, where would the next begin?
            head = head_of(400, "Bad Request", "text/plain", 0, keep_alive);
        } else if (request.method != "GET" && request.method != "HEAD") {
            status = 405;
            keep_alive = request.keep_alive;
            head = head_of(405, "Method Not Allowed", "text/plain", 0, keep_alive,
                           "Allow: GET, HEAD\r\n");
        } else {
            keep_alive = request.keep_alive;
            // The path is never joined to data_dir as it came: what follows the prefix is
            // served only if it is exactly an upload's name (no slash, no dot-dot, no %2e).
            auto name = request.path.substr(std::min(prefix_.size(), request.path.size()));
            if (request.path.starts_with(prefix_) && is_upload_name(name)) {
                open_regular_file(data_dir_ / name, file);
            }
            if (file.fd >= 0) {
                // Names never change content: a browser may cache the image for good.
                head = head_of(200, "OK", "image/png", file.size, keep_alive,
                               "Cache-Control: public, max-age=31536000, immutable\r\n");
            } else {
                status = 404;
                head = head_of(404, "Not Found", "text/plain", 10, keep_alive);
                if (request.method == "GET") {
                    head += "not found\n";
                }
            }
            if (request.method == "HEAD") {
                file.size = 0;  // no body to send
            }
        }
        spdlog::debug("http [{}] {} {}: {}", Logger::peer_name(peer),
                      course::printable(request.method), course::printable(request.path), status);
        if (status != 200 &&
            !refused(connection, status,
                     fmt::format(
                         "{} ({})", request.error.empty() ? "refused" : request.error,
                         std::string_view(buffer.data(), std::min<std::size_t>(head_size, 80))))) {
            // A connection that earns refusal after refusal is closed: its requests are
            // work for nobody.
            head = head_of(429, "Too Many Requests", "text/plain", 16, false);
            head += "too many errors\n";
            file.size = 0;
            keep_alive = false;
        }
        bool sent = co_await send(s, deadline, head, file.fd, file.size);
        keep_alive = keep_alive && sent;
        linger = sent && !keep_alive;
        // Pipelining: bytes after this head are the start of the next request.
        std::memmove(buffer.data(), buffer.data() + head_size, used - head_size);
        used -= head_size;
    }
    leave_idle(connection);
    if (linger) {
        // We close with bytes of the client perhaps still coming (a refused head, a request
        // after "Connection: close"): read and drop them for a moment first, or the kernel
        // would answer them with a reset that can destroy our answer before it is read.
        s.shutdown(tcp::socket::shutdown_send, ignored);
        deadline.expires_after(
            std::min<std::chrono::milliseconds>(request_timeout_, std::chrono::seconds(1)));
        while (co_await before(
            deadline, s.async_read_some(asio::buffer(buffer.data(), buffer.size()), use_tuple))) {
        }
    }
    open_.erase(&connection);
    s.close(ignored);
}
// [/v6 step 4]
