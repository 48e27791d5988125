// TestListener: a listening socket on 127.0.0.1 that the test itself answers, to play a
// server that behaves in one exact way (here: answer, then vanish with a reset). Used by
// the v2 and v3 client tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "harness.hpp"

namespace course::test {

class TestListener {
public:
    TestListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
            ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
    }
    ~TestListener() { ::close(fd_); }
    TestListener(const TestListener&) = delete;
    TestListener& operator=(const TestListener&) = delete;

    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    // The next client's connection, or nothing if none comes before the deadline.
    std::optional<Connection> accept(std::chrono::milliseconds deadline) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(deadline_scale(deadline).count())) != 1) {
            return std::nullopt;
        }
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            return std::nullopt;
        }
        return Connection(client, "test server's side", nullptr);
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace course::test
