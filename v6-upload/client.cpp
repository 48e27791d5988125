// v6-upload-client: sends one PNG file and prints the link the server answers.
// The same as `nc -N HOST PORT < FILE.png`, plus a check that the file is a PNG at all,
// and a limit on how long it waits: a server that never answers gets --timeout seconds.
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "course/cli.hpp"
#include "course/timeout.hpp"

using asio::ip::tcp;

namespace {

constexpr char kSignature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};

// Sends the file, then half-closes: "that was all". An error here (the server refused
// the upload and closed) is not reported: the server's answer says why. Each piece the
// server takes moves the deadline on: a big file on a slow link is fine, a server that
// stops reading (or never answers once it has it all) is not.
asio::awaitable<void> send_file(tcp::socket& socket, std::ifstream& file,
                                asio::steady_timer& deadline, std::chrono::milliseconds timeout) {
    std::vector<char> buffer(128 * 1024);
    while (file) {
        file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto n = static_cast<std::size_t>(file.gcount());
        if (n == 0) {
            break;
        }
        auto [error, written] =
            co_await asio::async_write(socket, asio::buffer(buffer.data(), n),
                                       asio::experimental::as_tuple(asio::use_awaitable));
        if (error) {
            co_return;
        }
        deadline.expires_after(timeout);
    }
    asio::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
}

// Reads the answer, which may come before we finish sending (an early error).
asio::awaitable<void> read_answer(tcp::socket& socket, std::string& answer) {
    std::string data;
    auto [error, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(data, 4096), '\n',
                                        asio::experimental::as_tuple(asio::use_awaitable));
    answer = error ? data : data.substr(0, n);
    asio::error_code ignored;
    socket.close(ignored);  // also stops send_file if it is still going
}

// Why `path` cannot be uploaded as it is, or "" when it can be opened and read.
std::string unreadable(const std::string& path) {
    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (status.type() == std::filesystem::file_type::not_found) {
        return path + ": no such file";
    }
    if (std::filesystem::is_directory(status)) {
        return path + " is a directory, not a file; nothing sent";
    }
    if (std::ifstream(path, std::ios::binary).fail()) {
        return "cannot read " + path + " (" + std::strerror(errno) + ")";
    }
    return "";
}

// Closes the socket once the deadline passes, which ends the read and the sending. The
// deadline may move on meanwhile (moving it wakes this wait early): look again, wait again.
asio::awaitable<void> watch(asio::steady_timer& deadline, tcp::socket& socket, bool& done,
                            bool& timed_out) {
    while (!done && deadline.expiry() > asio::steady_timer::clock_type::now()) {
        co_await deadline.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    if (!done) {
        timed_out = true;
        asio::error_code ignored;
        socket.close(ignored);
    }
}

}  // namespace

int main(int argc, char** argv) {
    course::Address address{"127.0.0.1", 7070};
    std::string path;
    CLI::App app{"v6-upload-client: upload a PNG file, print its link"};
    std::chrono::milliseconds timeout{30'000};
    course::add_address_option(app, address, "the server's address");
    course::add_timeout_option(app, "--timeout", timeout,
                               "seconds to wait for the server (its answer, or its reading)");
    app.add_option("file", path, "the PNG file to upload")->required();
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    // Refuse what is not a PNG here, before a byte goes out: a clearer message, no upload.
    if (auto problem = unreadable(path); !problem.empty()) {
        std::cerr << "v6-upload-client: " << problem << "\n";
        return 2;
    }
    std::ifstream file(path, std::ios::binary);
    char signature[8] = {};
    if (!file.read(signature, 8) || !std::equal(signature, signature + 8, kSignature)) {
        std::cerr << "v6-upload-client: " << path
                  << " is not a PNG file (it does not start with the PNG signature); "
                     "nothing sent\n";
        return 2;
    }
    file.seekg(0);

    asio::io_context io;
    tcp::socket socket(io);
    asio::error_code error;
    socket.connect({asio::ip::make_address(address.host), address.port}, error);
    if (error) {
        std::cerr << "v6-upload-client: cannot connect to " << address.to_string() << ": "
                  << error.message() << "\n";
        return 1;
    }
    std::string answer;
    bool answered = false, timed_out = false;
    asio::steady_timer deadline(io, timeout);
    asio::co_spawn(io, watch(deadline, socket, answered, timed_out), asio::detached);
    asio::co_spawn(io, send_file(socket, file, deadline, timeout), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await read_answer(socket, answer);
            answered = true;
            deadline.cancel();  // the watch wakes, sees `answered`, and ends
        },
        asio::detached);
    io.run();

    if (timed_out && answer.empty()) {
        std::cerr << "v6-upload-client: no answer from " << address.to_string() << " within "
                  << std::chrono::duration<double>(timeout).count() << " s\n";
        return 1;
    }
    if (answer.empty()) {
        std::cerr << "v6-upload-client: the server closed without an answer\n";
        return 1;
    }
    if (answer.starts_with("error: ")) {
        std::cerr << answer << (answer.ends_with('\n') ? "" : "\n");
        return 1;
    }
    std::cout << answer << (answer.ends_with('\n') ? "" : "\n") << std::flush;
    return 0;
}
