#include "course/address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace course {

std::string Address::to_string() const {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

static bool is_numeric_host(const std::string& host) {
    in_addr v4{};
    in6_addr v6{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

std::optional<Address> parse_address(std::string_view text) {
    Address address;
    std::string_view port_text;
    if (text.starts_with('[')) {  // [IPv6]:PORT
        auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        address.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
        if (address.host.find(':') == std::string::npos) {
            return std::nullopt;
        }
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        address.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (address.host.find(':') != std::string::npos) {
            return std::nullopt;  // an IPv6 literal needs its brackets
        }
    }
    if (address.host == "localhost") {
        address.host = "127.0.0.1";
    }
    auto port = parse_port(port_text);
    if (!port || !is_numeric_host(address.host)) {
        return std::nullopt;
    }
    address.port = *port;
    return address;
}

}  // namespace course
