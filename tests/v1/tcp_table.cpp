#include "tcp_table.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>
#include <string>

namespace course::test {
namespace {

// "0100007F:1EC6" -> 0x1EC6: the port is the hex number after the colon.
std::uint16_t port_of(const std::string& address) {
    return static_cast<std::uint16_t>(
        std::stoul(address.substr(address.find(':') + 1), nullptr, 16));
}

// A line of the table:
//   sl  local_address rem_address   st tx_queue rx_queue ...
//    0: 0100007F:1EC6 00000000:0000 0A 00000000:00000000 ...
void read_table(const char* path, std::vector<TcpEntry>& entries) {
    std::ifstream table(path);
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues;
        if (!(fields >> slot >> local >> remote >> state >> queues)) {
            continue;
        }
        TcpEntry entry;
        entry.local_port = port_of(local);
        entry.remote_port = port_of(remote);
        entry.state = static_cast<TcpState>(std::stoi(state, nullptr, 16));
        entry.receive_queue = static_cast<std::uint32_t>(
            std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16));
        entries.push_back(entry);
    }
}

std::vector<TcpEntry> all_entries() {
    std::vector<TcpEntry> entries;
    read_table("/proc/net/tcp", entries);
    read_table("/proc/net/tcp6", entries);
    return entries;
}

}  // namespace

std::vector<TcpEntry> tcp_entries_with_port(std::uint16_t port) {
    std::vector<TcpEntry> found;
    for (const auto& entry : all_entries()) {
        if (entry.local_port == port || entry.remote_port == port) {
            found.push_back(entry);
        }
    }
    return found;
}

std::optional<TcpEntry> find_tcp_entry(std::uint16_t local_port, std::uint16_t remote_port) {
    for (const auto& entry : all_entries()) {
        if (entry.local_port == local_port && entry.remote_port == remote_port) {
            return entry;
        }
    }
    return std::nullopt;
}

std::uint16_t local_port_of(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        return 0;
    }
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

}  // namespace course::test
