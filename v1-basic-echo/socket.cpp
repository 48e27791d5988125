#include "socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace {

[[noreturn]] void fail(const std::string& call) {
    throw std::system_error(errno, std::generic_category(), call);
}

// Fills a sockaddr for an IPv4 or IPv6 literal; returns its length.
socklen_t to_sockaddr(const course::Address& address, sockaddr_storage& storage) {
    storage = {};
    if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(address.port);  // network byte order: big-endian
        return sizeof(sockaddr_in);
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) != 1) {
        throw std::invalid_argument("not an IP address: " + address.host);
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    return sizeof(sockaddr_in6);
}

course::Address from_sockaddr(const sockaddr_storage& storage) {
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET6) {
        auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        return {text, ntohs(v6->sin6_port)};
    }
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return {text, ntohs(v4->sin_port)};
}

}  // namespace

Socket::~Socket() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        Socket old(std::exchange(fd_, std::exchange(other.fd_, -1)));  // closes our old fd
    }
    return *this;
}

Socket Socket::listen_on(const course::Address& address) {
    sockaddr_storage storage;
    socklen_t length = to_sockaddr(address, storage);
    // [v1 step 1] socket(), setsockopt(SO_REUSEADDR), bind(), listen(): check each return code.
    // [starter] (void)length;
    // [starter] return Socket();
    Socket listener(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (listener.fd_ < 0) {
        fail("socket");
    }
    // Without SO_REUSEADDR, restarting the server right after stopping it fails with
    // "Address already in use": the old connections linger in TIME_WAIT for a minute.
    int one = 1;
    if (setsockopt(listener.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        fail("setsockopt(SO_REUSEADDR)");
    }
    if (::bind(listener.fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        fail("bind " + address.to_string());
    }
    if (::listen(listener.fd_, SOMAXCONN) != 0) {
        fail("listen");
    }
    return listener;
    // [/v1 step 1]
}

Socket Socket::connect_to(const course::Address& address) {
    sockaddr_storage storage;
    socklen_t length = to_sockaddr(address, storage);
    // [v1 step 4] socket() and connect(): the client's two calls (retry connect on EINTR).
    // [starter] (void)length;
    // [starter] return Socket();
    Socket connection(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connection.fd_ < 0) {
        fail("socket");
    }
    while (::connect(connection.fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        if (errno != EINTR) {
            fail("connect to " + address.to_string());
        }
    }
    return connection;
    // [/v1 step 4]
}

Socket Socket::accept() const {
    // [v1 step 1] accept4() the next client; on EINTR or ECONNABORTED, wait for the next one.
    // [starter] return Socket();
    for (;;) {
        int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            return Socket(fd);
        }
        // EINTR: a signal arrived. ECONNABORTED: the client gave up while waiting in the
        // backlog. Neither is the listener's fault: wait for the next client.
        if (errno != EINTR && errno != ECONNABORTED) {
            fail("accept");
        }
    }
    // [/v1 step 1]
}

std::size_t Socket::read_some(std::span<char> buffer) const {
    // [v1 step 2] recv() what has arrived into buffer; retry on EINTR; 0 means the peer closed.
    // [starter] (void)buffer;
    // [starter] return 0;
    for (;;) {
        ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            fail("recv");
        }
    }
    // [/v1 step 2]
}

void Socket::write_all(std::string_view bytes) const {
    // [v1 step 2] send() until every byte is out, with MSG_NOSIGNAL; retry on EINTR.
    // [starter] (void)bytes;
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: a peer that has gone away gives us EPIPE, not a SIGPIPE that
        // would kill the whole server.
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail("send");
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));  // a partial write: send the rest
    }
    // [/v1 step 2]
}

void Socket::shutdown_send() const {
    // [v1 step 4] shutdown(SHUT_WR): send our FIN; the peer can still answer.
    if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
        fail("shutdown");
    }
    // [/v1 step 4]
}

course::Address Socket::local_address() const {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        fail("getsockname");
    }
    return from_sockaddr(storage);
}

std::string Socket::peer_name() const {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        return "unknown peer";
    }
    return from_sockaddr(storage).to_string();
}
