// v2-client: lockstep. Send a line from stdin, print the server's answer, repeat.
//
// Lockstep is enough for an echo: every line we send gets exactly one line back.
// (v3's server also speaks up on its own, so v3's client has to listen all the time.)
#include <cerrno>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>

#include "course/cli.hpp"
#include "course/stdio.hpp"
#include "socket.hpp"

namespace {

// Reads the server's bytes and hands them out a line at a time.
class LineReader {
public:
    explicit LineReader(const Socket& server) : server_(server) {}

    // The next line with its "\n"; false once the server has closed (what arrived of an
    // unterminated last line is still handed out first).
    bool next(std::string& line) {
        for (;;) {
            auto newline = buffer_.find('\n');
            if (newline != std::string::npos) {
                line = buffer_.substr(0, newline + 1);
                buffer_.erase(0, newline + 1);
                return true;
            }
            char chunk[4096];
            std::size_t n = server_.read_some(chunk);
            if (n == 0) {
                line = std::exchange(buffer_, {});
                return !line.empty();
            }
            buffer_.append(chunk, n);
        }
    }

private:
    const Socket& server_;
    std::string buffer_;
};

// A reset is how the server's kernel answers bytes sent after the server closed (a line
// typed after `exit`, say): the server is gone all the same, as if we had read EOF.
// (../v1-basic-echo/README.md#the-life-of-a-tcp-connection says when a reset is sent.)
bool closed_by_server(const std::system_error& error) {
    return error.code().value() == ECONNRESET || error.code().value() == EPIPE;
}

}  // namespace

int main(int argc, char** argv) {
    // First, before any socket: a closed stdin must read as EOF, not as our own socket.
    course::open_missing_standard_descriptors();
    course::Address address{"127.0.0.1", 7878};
    CLI::App app{"v2-client: send stdin lines to a v2 server, print each answer"};
    course::add_address_option(app, address, "server to connect to");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    try {
        // [v2 step 6] Lockstep: send a stdin line, print its answer; at EOF half-close.
        Socket server = Socket::connect_to(address);
        LineReader replies(server);
        std::string line, reply;
        while (std::getline(std::cin, line)) {
            server.write_all(line + "\n");
            if (!replies.next(reply)) {
                return 0;  // the server closed: we are done
            }
            std::cout << reply << std::flush;  // flushed: also when stdout is a pipe
        }
        // stdin is over: tell the server we will send no more, and print what it still
        // has to say until it closes.
        server.shutdown_send();
        while (replies.next(reply)) {
            std::cout << reply << std::flush;
        }
        // [/v2 step 6]
    } catch (const std::system_error& error) {
        if (closed_by_server(error)) {
            return 0;
        }
        std::cerr << "v2-client: " << error.what() << "\n";
        return 1;
    }
}
