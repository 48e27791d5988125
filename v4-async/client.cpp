// v4-client: the echo client, async: stdin lines go out while the server's lines come in,
// two coroutines on one thread (v3's client needed a second thread for that).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <iostream>

#include "course/cli.hpp"
#include "course/stdio.hpp"

namespace {

using asio::ip::tcp;
const auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Writes all bytes to stdout at once, unbuffered: each line shows as soon as it arrives,
// also into a pipe.
void print(const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(STDOUT_FILENO, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;  // stdout is gone: nothing more to show
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// epoll, and so Asio's stream_descriptor, works on pipes, sockets and terminals, but not
// on regular files (`v4-client < lines.txt`). Those never make us wait, though: a plain
// read() is fine for them.
bool can_poll_stdin() {
    struct stat info {};
    if (fstat(STDIN_FILENO, &info) != 0) {
        return false;
    }
    return S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode) || isatty(STDIN_FILENO);
}

// stdin -> server, as it is read; at EOF, half-close: "I send no more, go on answering".
asio::awaitable<void> send_stdin(tcp::socket& server) {
    char buffer[4096];
    bool line_open = false;  // did the last chunk end inside a line?
    std::optional<asio::posix::stream_descriptor> in;
    if (can_poll_stdin()) {
        in.emplace(server.get_executor(), ::dup(STDIN_FILENO));
    }
    for (;;) {
        std::size_t n = 0;
        if (in) {
            auto [error, count] = co_await in->async_read_some(asio::buffer(buffer), use_tuple);
            n = error ? 0 : count;
        } else {
            ssize_t count = ::read(STDIN_FILENO, buffer, sizeof buffer);
            n = count > 0 ? static_cast<std::size_t>(count) : 0;
        }
        if (n == 0) {
            break;  // EOF (or an error, which ends input just the same)
        }
        line_open = buffer[n - 1] != '\n';
        auto [error, sent] = co_await asio::async_write(server, asio::buffer(buffer, n), use_tuple);
        if (error) {
            co_return;  // the server is gone; receive_lines reports it
        }
    }
    if (line_open) {  // a last line without its newline is still a line
        co_await asio::async_write(server, asio::buffer("\n", 1), use_tuple);
    }
    asio::error_code ignored;
    server.shutdown(tcp::socket::shutdown_send, ignored);
}

// server -> stdout, until the server closes. Returns the exit status.
asio::awaitable<int> receive_lines(tcp::socket& server) {
    char buffer[4096];
    for (;;) {
        auto [error, n] = co_await server.async_read_some(asio::buffer(buffer), use_tuple);
        // A reset after the last line is the server closing too, with lines of ours still
        // unread in its buffer (after `exit`, say): its kernel answers a close with unread
        // bytes by a reset. Either way the server is gone and everything it said is printed.
        if (error == asio::error::eof || error == asio::error::connection_reset) {
            co_return 0;  // the server closed: we are done, even if stdin is not
        }
        if (error) {
            std::cerr << "v4-client: connection lost: " << error.message() << "\n";
            co_return 1;
        }
        print(buffer, n);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // First, before any socket: a closed stdin must read as EOF, not as our own socket.
    course::open_missing_standard_descriptors();
    course::Address address{"127.0.0.1", 7878};
    CLI::App app{"v4-client: send stdin lines to a v4 server, print its lines as they come"};
    course::add_address_option(app, address, "server to connect to");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    asio::io_context io(1);
    tcp::socket server(io);
    asio::error_code error;
    server.connect({asio::ip::make_address(address.host), address.port}, error);
    if (error) {
        std::cerr << "v4-client: cannot connect to " << address.to_string() << ": "
                  << error.message() << "\n";
        return 1;
    }

    // Asio makes the descriptors it waits on non-blocking. Our stdin shares its open file
    // with the shell that started us (a terminal, say), so put its flags back when we leave.
    int stdin_flags = ::fcntl(STDIN_FILENO, F_GETFL);
    int status = 1;
    asio::co_spawn(io, send_stdin(server), asio::detached);
    asio::co_spawn(io, receive_lines(server), [&](std::exception_ptr, int result) {
        status = result;
        io.stop();  // the server has closed: stop reading stdin too
    });
    io.run();
    if (stdin_flags != -1) {
        ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags);
    }
    return status;
}
