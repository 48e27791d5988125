// The kernel's table of TCP sockets, as /proc/net/tcp and /proc/net/tcp6 list it: what
// `ss -tan` shows, read without the `ss` binary, so the lesson's claims about connection
// states can be checked by a test.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace course::test {

// The state numbers of include/net/tcp_states.h, as the table prints them (hex).
enum class TcpState : int {
    Established = 0x01,
    SynSent = 0x02,
    SynRecv = 0x03,
    FinWait1 = 0x04,
    FinWait2 = 0x05,
    TimeWait = 0x06,
    Close = 0x07,
    CloseWait = 0x08,
    LastAck = 0x09,
    Listen = 0x0A,
    Closing = 0x0B,
};

struct TcpEntry {
    std::uint16_t local_port = 0;
    std::uint16_t remote_port = 0;
    TcpState state{};
    // For a listener: connections that finished the handshake and wait for accept()
    // (ss's Recv-Q). For a connection: bytes received that the program has not read yet.
    std::uint32_t receive_queue = 0;
};

// Every TCP socket (IPv4 and IPv6) whose local or remote port is `port`.
std::vector<TcpEntry> tcp_entries_with_port(std::uint16_t port);

// The entry for the connection local_port -> remote_port, if the kernel still lists one.
std::optional<TcpEntry> find_tcp_entry(std::uint16_t local_port, std::uint16_t remote_port);

// The local port of a connected or bound socket.
std::uint16_t local_port_of(int fd);

}  // namespace course::test
