// poll_echo: what lies under `co_await`, without Asio. Not part of the server: a sketch to
// read (and run) before session.cpp. One thread serves every client, echoing their bytes.
//
//   v4-poll-sketch [PORT]        (default 0: a free port; prints `listening on HOST:PORT`)
//
// The three ideas:
//   1. Non-blocking sockets. read() and write() never wait: when there is nothing to read
//      (or no room to write) they fail with EAGAIN instead of putting the thread to sleep.
//   2. A readiness loop. The one place the thread waits is poll(): "wake me when any of
//      these descriptors is ready". Then it does the work that is ready, and waits again.
//   3. Per-connection state lives in a struct, not on a stack: here a buffer of bytes not
//      yet written back. A coroutine keeps the same state in its frame instead, and
//      `co_await socket.async_read_some(...)` is "register with the loop, return to it;
//      resume here when poll (epoll, in Asio) says ready".
// poll() looks at every descriptor on every call; epoll, which Asio uses on Linux, keeps
// the set in the kernel and reports only the ready ones: the same loop, for 10 000 clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Connection {
    int fd;
    std::string unsent;  // echoed bytes the socket had no room for yet
};

void close_connection(std::vector<Connection>& connections, std::size_t i) {
    ::close(connections[i].fd);
    connections.erase(connections.begin() + static_cast<long>(i));
}

}  // namespace

int main(int argc, char** argv) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);  // 1. non-blocking
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0));
    socklen_t size = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener, SOMAXCONN) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        std::perror("poll_echo: listen");
        return 1;
    }
    std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
    std::fflush(stdout);

    std::vector<Connection> connections;
    for (;;) {
        // 2. The readiness loop: one pollfd per descriptor, asking for what we can use now.
        std::vector<pollfd> wanted{{listener, POLLIN, 0}};
        for (const auto& c : connections) {
            // A connection with bytes still to write waits for room, and is not read
            // meanwhile: TCP's flow control then slows down a client that does not read.
            wanted.push_back({c.fd, static_cast<short>(c.unsent.empty() ? POLLIN : POLLOUT), 0});
        }
        if (::poll(wanted.data(), wanted.size(), -1) < 0) {
            continue;  // EINTR
        }
        // Walk backwards, so that closing (erasing) connection i keeps the others' indexes.
        for (std::size_t i = connections.size(); i-- > 0;) {
            Connection& c = connections[i];
            short ready = wanted[i + 1].revents;
            if (ready == 0) {
                continue;
            }
            if (!c.unsent.empty()) {  // room to write: send what is waiting
                ssize_t n = ::send(c.fd, c.unsent.data(), c.unsent.size(), MSG_NOSIGNAL);
                if (n < 0 && errno != EAGAIN) {
                    close_connection(connections, i);
                } else if (n > 0) {
                    c.unsent.erase(0, static_cast<std::size_t>(n));
                }
                continue;
            }
            char buffer[4096];
            ssize_t n = ::read(c.fd, buffer, sizeof buffer);
            if (n < 0 && errno == EAGAIN) {
                continue;  // a spurious wake-up: nothing after all, wait again
            }
            if (n <= 0) {  // 0: the client closed (EOF); < 0: an error such as a reset
                close_connection(connections, i);
                continue;
            }
            ssize_t sent = ::send(c.fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            if (sent < 0 && errno != EAGAIN) {
                close_connection(connections, i);
                continue;
            }
            // No room for all of it: keep the rest, and wait for POLLOUT next time.
            c.unsent.assign(buffer + (sent > 0 ? sent : 0), buffer + n);
        }
        if (wanted[0].revents & POLLIN) {  // new clients: accept until EAGAIN says "no more"
            int fd;
            while ((fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
                connections.push_back({fd, {}});
            }
        }
    }
}
