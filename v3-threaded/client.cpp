// v3-client: two threads. One prints every line from the server as it arrives, the
// other sends the lines typed on stdin.
//
// v2's lockstep (send a line, read its answer) is not enough any more: v3's server also
// speaks on its own (operator lines), at any moment, and a lockstep client would show them
// only after the next line you type. So a reader thread listens all the time.
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>
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

}  // namespace

int main(int argc, char** argv) {
    // First, before any socket: a closed stdin must read as EOF, not as our own socket.
    course::open_missing_standard_descriptors();
    course::Address address{"127.0.0.1", 7878};
    CLI::App app{"v3-client: send stdin lines to a v3 server, print whatever it says"};
    course::add_address_option(app, address, "server to connect to");
    if (auto exit_status = course::parse_command_line(app, argc, argv)) {
        return *exit_status;
    }

    Socket server;
    try {
        server = Socket::connect_to(address);
    } catch (const std::system_error& error) {
        std::cerr << "v3-client: " << error.what() << "\n";
        return 1;
    }

    // [v3 step 6] Print the server's lines from a reader thread while main sends the stdin lines.
    // [starter] return 1;
    // The reader: prints each line as it arrives until the server closes, then ends the
    // program, whatever the main thread is doing: it may be blocked reading stdin, and
    // nothing wakes a thread out of that. std::_Exit ends the process at once, without
    // running destructors under the main thread's feet; what we printed was flushed.
    std::thread reader([&server] {
        int status = 0;
        try {
            LineReader replies(server);
            std::string reply;
            while (replies.next(reply)) {
                std::cout << reply << std::flush;  // flushed: also when stdout is a pipe
            }
        } catch (const std::system_error& error) {
            // A reset after the last line is the server closing with our unread lines in
            // its buffer (after `exit`, say): closed all the same. Why a reset:
            // ../v1-basic-echo/README.md#the-life-of-a-tcp-connection
            if (error.code().value() != ECONNRESET) {
                std::cerr << "v3-client: " << error.what() << "\n";
                status = 1;
            }
        }
        std::cout << std::flush;
        std::_Exit(status);
    });

    try {
        std::string line;
        while (std::getline(std::cin, line)) {
            server.write_all(line + "\n");
        }
        // stdin is over: tell the server we will send no more; the reader prints what it
        // still has to say and ends the program when it closes.
        server.shutdown_send();
    } catch (const std::system_error&) {
        // The server closed while we were sending: the reader sees it too, and ends.
    }
    reader.join();  // never returns: the reader ends the process
    // [/v3 step 6]
}
