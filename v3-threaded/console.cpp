#include "console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

namespace {

// The operator is trusted, but a line without end (cat /dev/zero) still must not fill memory.
constexpr std::size_t kMaxLine = 1024;

}  // namespace

// [v3 step 2] Read stdin in a thread; send each line as "server: LINE\n"; wake up via a pipe.
// [starter] Console::Console(Clients& clients) : clients_(clients) {}
// [starter] Console::~Console() = default;
// [starter] void Console::run() {}
Console::Console(Clients& clients) : clients_(clients) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    thread_ = std::thread([this] { run(); });
}

Console::~Console() {
    char byte = 0;
    while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void Console::run() {
    std::string pending;      // the start of a line whose "\n" has not been typed yet
    bool discarding = false;  // the current line is too long: drop it up to its "\n"
    for (;;) {
        pollfd waiting[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(waiting, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            spdlog::error("console: poll: {}", std::generic_category().message(errno));
            return;
        }
        if (waiting[1].revents != 0) {
            return;  // the server is stopping
        }
        char buffer[4096];
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {  // EOF, or no usable stdin at all: the console is done, not the server
            spdlog::info("console: end of stdin; no more operator lines, still serving");
            return;
        }
        for (char c : std::string_view(buffer, static_cast<std::size_t>(n))) {
            if (c != '\n') {
                if (pending.size() == kMaxLine + 1) {  // too long even if a "\r" ends it
                    pending.clear();
                    discarding = true;
                }
                if (!discarding) {
                    pending += c;
                }
                continue;
            }
            if (pending.ends_with('\r')) {
                pending.pop_back();
            }
            if (discarding || pending.size() > kMaxLine) {
                spdlog::warn("console: line over {} bytes, not sent", kMaxLine);
            } else {
                clients_.broadcast("server: " + pending + "\n");  // one write per client
            }
            pending.clear();
            discarding = false;
        }
    }
}
// [/v3 step 2]
