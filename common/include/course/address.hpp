// Parsing "HOST:PORT", the form every server's --address takes.
//
// Not a lesson of its own: every stage needs it, so it lives here once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace course {

struct Address {
    std::string host;  // an IPv4 or IPv6 literal, or "localhost"; IPv6 without brackets
    std::uint16_t port = 0;

    std::string to_string() const;  // "127.0.0.1:7878" or "[::1]:7878"
};

// "127.0.0.1:7878", "localhost:0", "[::1]:8080". Port 0 asks the OS for a free port.
// Returns nothing for anything else: no port, a port over 65535, a host that is not a
// numeric address or "localhost" (the course never does DNS: servers bind locally).
std::optional<Address> parse_address(std::string_view text);

// A bare port, as v4's positional argument: "7878".
std::optional<std::uint16_t> parse_port(std::string_view text);

}  // namespace course
