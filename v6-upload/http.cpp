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

// A request's head (request line and headers) must fit here: browsers send well under
// 2 KiB for an image. The buffer is the connection's whole memory, and it is bounded.
constexpr std::size_t kMaxHead = 8 * 1024;

struct Request {
    std::string_view method;
    std::string_view path;  // the target without its ?query
    bool keep_alive = true;
    bool has_body = false;
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

// `head` ends with the blank line. Nothing when it is not HTTP/1.x as RFC 9112 writes it.
std::optional<Request> parse_head(std::string_view head) {
    auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    auto first_space = line.find(' ');
    auto last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space) {
        return std::nullopt;
    }
    Request request;
    request.method = line.substr(0, first_space);
    auto target = line.substr(first_space + 1, last_space - first_space - 1);
    auto version = line.substr(last_space + 1);
    if (target.empty() || target.find(' ') != std::string_view::npos ||
        (version != "HTTP/1.1" && version != "HTTP/1.0")) {
        return std::nullopt;
    }
    request.path = target.substr(0, target.find('?'));
    request.keep_alive = version == "HTTP/1.1";  // 1.0 closes unless it asks otherwise
    for (auto rest = head.substr(line_end + 2); rest.size() > 2;) {
        auto end = rest.find("\r\n");
        auto field = rest.substr(0, end);
        rest.remove_prefix(end + 2);
        auto colon = field.find(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        auto name = field.substr(0, colon);
        auto value = trim(field.substr(colon + 1));
        if (equals_ignoring_case(name, "Connection")) {
            request.keep_alive = !equals_ignoring_case(value, "close") &&
                                 (request.keep_alive || equals_ignoring_case(value, "keep-alive"));
        } else if (equals_ignoring_case(name, "Transfer-Encoding") ||
                   (equals_ignoring_case(name, "Content-Length") && value != "0")) {
            request.has_body = true;  // a GET with a body: we would have to read it
        }
        // Everything else, Range included, is ignored: the answer is the whole file
        // (RFC 9110 allows a server to ignore Range), never a part we might get wrong.
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
    ~File() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                       std::filesystem::path data_dir, std::string url,
                       std::chrono::milliseconds request_timeout, Logger& logger)
    : acceptor_(executor, endpoint),
      data_dir_(std::move(data_dir)),
      prefix_(url.empty() ? "/" : "/" + url + "/"),
      request_timeout_(request_timeout),
      logger_(logger) {}

course::Address HttpServer::local_address() const {
    auto endpoint = acceptor_.local_endpoint();
    return {endpoint.address().to_string(), endpoint.port()};
}

void HttpServer::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_connections(), asio::detached);
}

void HttpServer::stop() {
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto* socket : open_) {
        socket->close(ignored);  // its coroutine's pending read or write ends, and so does it
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
        asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket), peer), asio::detached);
    }
}

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

asio::awaitable<void> HttpServer::serve(tcp::socket socket, tcp::endpoint peer) {
    open_.insert(&socket);
    // Every wait of this connection races this deadline; at the deadline the connection
    // closes, whatever the client is doing (slowloris) or not doing (an idle keep-alive).
    asio::steady_timer deadline(socket.get_executor());
    // The connection's only buffer, on the heap: a coroutine frame should stay small.
    auto storage = std::make_unique_for_overwrite<char[]>(kMaxHead);
    std::span<char> buffer(storage.get(), kMaxHead);
    std::size_t used = 0;
    asio::error_code ignored;
    socket.native_non_blocking(true, ignored);  // sendfile() then says EAGAIN, never blocks
    bool linger = false;  // we close after an answer: the client may still be sending

    for (bool keep_alive = true; keep_alive;) {
        // The deadline of this request: its whole head must arrive within the timeout,
        // counted from now (for a keep-alive connection: from the end of the last answer).
        deadline.expires_after(request_timeout_);
        std::size_t head_size = 0;
        bool timed_out = false;
        while (used < buffer.size()) {
            auto end = std::string_view(buffer.data(), used).find("\r\n\r\n");
            if (end != std::string_view::npos) {
                head_size = end + 4;
                break;
            }
            auto read = socket.async_read_some(
                asio::buffer(buffer.data() + used, buffer.size() - used), use_tuple);
            auto result = co_await (std::move(read) || deadline.async_wait(use_tuple));
            if (result.index() == 1) {
                timed_out = true;
                break;
            }
            auto [error, n] = std::get<0>(result);
            if (error) {
                break;  // the client closed (or stop() closed the socket)
            }
            used += n;
        }
        if (head_size == 0 && used == buffer.size()) {
            logger_.report(peer, ErrorType::bad_request, "head over {} bytes", kMaxHead);
            std::string head =
                head_of(431, "Request Header Fields Too Large", "text/plain", 0, false);
            linger = co_await send(socket, deadline, head);
            break;
        }
        if (head_size == 0) {
            if (timed_out && used > 0) {  // mid-request; an idle keep-alive closes unremarked
                logger_.report(peer, ErrorType::timeout, "HTTP request head not complete in {} s",
                               std::chrono::duration<double>(request_timeout_).count());
            }
            break;
        }

        auto request = parse_head({buffer.data(), head_size});
        std::string head;
        File file;
        if (!request || request->has_body) {
            logger_.report(
                peer, ErrorType::bad_request, "{}",
                course::printable({buffer.data(), std::min<std::size_t>(head_size, 80)}));
            keep_alive = false;
            head = head_of(400, "Bad Request", "text/plain", 0, keep_alive);
        } else if (request->method != "GET" && request->method != "HEAD") {
            keep_alive = request->keep_alive;
            head = head_of(405, "Method Not Allowed", "text/plain", 0, keep_alive,
                           "Allow: GET, HEAD\r\n");
        } else {
            keep_alive = request->keep_alive;
            // The path is never joined to data_dir as it came: what follows the prefix is
            // served only if it is exactly an upload's name (no slash, no dot-dot, no %2e).
            // O_NOFOLLOW: even a symlink someone planted under a valid name is not followed.
            auto name = request->path.substr(std::min(prefix_.size(), request->path.size()));
            if (request->path.starts_with(prefix_) && is_upload_name(name)) {
                file.fd = ::open((data_dir_ / name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            }
            struct stat info {};
            bool found = file.fd >= 0 && ::fstat(file.fd, &info) == 0 && S_ISREG(info.st_mode);
            if (found) {
                file.size = static_cast<std::uint64_t>(info.st_size);
                // Names never change content: a browser may cache the image for good.
                head = head_of(200, "OK", "image/png", file.size, keep_alive,
                               "Cache-Control: public, max-age=31536000, immutable\r\n");
            } else {
                head = head_of(404, "Not Found", "text/plain", 10, keep_alive);
                if (request->method == "GET") {
                    head += "not found\n";
                }
            }
            if (!found || request->method == "HEAD") {
                file.size = 0;  // no body to send
            }
            spdlog::debug("http [{}] {} {}: {}", Logger::peer_name(peer), request->method,
                          course::printable(request->path), found ? 200 : 404);
        }
        bool sent = co_await send(socket, deadline, head, file.fd, file.size);
        keep_alive = keep_alive && sent;
        linger = sent && !keep_alive;
        // Pipelining: bytes after this head are the start of the next request.
        std::memmove(buffer.data(), buffer.data() + head_size, used - head_size);
        used -= head_size;
    }
    if (linger) {
        // We close with bytes of the client perhaps still coming (a refused head, a request
        // after "Connection: close"): read and drop them for a moment first, or the kernel
        // would answer them with a reset that can destroy our answer before it is read.
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        deadline.expires_after(
            std::min<std::chrono::milliseconds>(request_timeout_, std::chrono::seconds(1)));
        while (co_await before(
            deadline,
            socket.async_read_some(asio::buffer(buffer.data(), buffer.size()), use_tuple))) {
        }
    }
    open_.erase(&socket);
    socket.close(ignored);
}
