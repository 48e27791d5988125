#include "config.hpp"

#include <spdlog/common.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "course/logging.hpp"
#include "course/timeout.hpp"

namespace {

std::string where(const std::string& source, const toml::source_region& region) {
    return source + ":" + std::to_string(region.begin.line) + ":" +
           std::to_string(region.begin.column);
}

// [v6 step 1] Read one key of each kind (string, positive, address, range) or throw a KeyError.
// One problem with one key: thrown, caught in parse_config, turned into the error.
struct KeyError {
    std::string message;
};

std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        default: return "a date or time";
    }
}

std::string get_string(const toml::node& node, std::string_view key, const std::string& source) {
    if (auto value = node.value_exact<std::string>()) {
        return *value;
    }
    throw KeyError{where(source, node.source()) + ": " + std::string(key) +
                   " must be a string, not " + type_name(node)};
}

std::uint64_t get_positive(const toml::node& node, std::string_view key,
                           const std::string& source) {
    auto value = node.value_exact<std::int64_t>();
    if (!value) {
        throw KeyError{where(source, node.source()) + ": " + std::string(key) +
                       " must be a positive integer, not " + type_name(node)};
    }
    if (*value <= 0) {
        throw KeyError{where(source, node.source()) + ": " + std::string(key) +
                       " must be a positive integer, got " + std::to_string(*value)};
    }
    return static_cast<std::uint64_t>(*value);
}

course::Address get_address(const toml::node& node, std::string_view key,
                            const std::string& source) {
    auto text = get_string(node, key, source);
    if (auto address = course::parse_address(text)) {
        return *address;
    }
    throw KeyError{where(source, node.source()) + ": " + std::string(key) +
                   " is not a HOST:PORT address: '" + text + "'"};
}

std::uint64_t get_in_range(const toml::node& node, std::string_view key, std::uint64_t max,
                           const std::string& source) {
    auto value = node.value_exact<std::int64_t>();
    if (!value || *value <= 0 || static_cast<std::uint64_t>(*value) > max) {
        throw KeyError{where(source, node.source()) + ": " + std::string(key) +
                       " must be a whole number from 1 to " + std::to_string(max)};
    }
    return static_cast<std::uint64_t>(*value);
}
// [/v6 step 1]

}  // namespace

bool is_wildcard(const course::Address& address) {
    return address.host == "0.0.0.0" || address.host == "::";
}

std::string url_problem(std::string_view url) {
    // Anything else would need percent-encoding in the link, or means something there:
    // a space ends the link in a chat window, '?' starts a query and '#' a fragment, so
    // the browser would ask our HTTP side for another path than the file's.
    auto bad = std::find_if_not(url.begin(), url.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("-._~/").find(c) != std::string_view::npos;
    });
    if (bad != url.end()) {
        return fmt::format(
            "url may hold only letters, digits, '-', '.', '_', '~' and '/', "
            "not '{}'",
            course::printable(std::string_view(&*bad, 1)));
    }
    // A browser resolves "." and ".." segments before it asks: the link would not be ours.
    for (std::string_view rest = url; !rest.empty();) {
        auto segment = rest.substr(0, rest.find('/'));
        if (segment == "." || segment == "..") {
            return "url may not have a '.' or '..' segment";
        }
        rest.remove_prefix(std::min(rest.size(), segment.size() + 1));
    }
    return "";
}

std::string normalise_url(std::string_view url) {
    while (url.starts_with('/')) {
        url.remove_prefix(1);
    }
    while (url.ends_with('/')) {
        url.remove_suffix(1);
    }
    return std::string(url);
}

ConfigResult parse_config(std::string_view text, const std::string& source) {
    ConfigResult result;
    toml::table table;
    try {
        table = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        result.error = where(source, error.source()) + ": " + std::string(error.description());
        return result;
    }

    Config config;
    // [v6 step 1] Set each known key, checked, naming file:line; warn of an unknown key.
    try {
        for (auto&& [key, node] : table) {
            auto name = key.str();
            if (name == "bind_ip_port") {
                config.bind_ip_port = get_address(node, name, source);
            } else if (name == "data_dir") {
                config.data_dir = get_string(node, name, source);
                if (config.data_dir.empty()) {
                    throw KeyError{where(source, node.source()) + ": data_dir is empty"};
                }
            } else if (name == "log_level") {
                config.log_level = get_string(node, name, source);
                auto level = spdlog::level::from_str(config.log_level);
                if (level == spdlog::level::off && config.log_level != "off") {
                    throw KeyError{where(source, node.source()) + ": log_level '" +
                                   config.log_level +
                                   "' is none of trace, debug, info, warn, error, critical, off"};
                }
            } else if (name == "protocol") {
                config.protocol = get_string(node, name, source);
                if (config.protocol != "http" && config.protocol != "https") {
                    throw KeyError{where(source, node.source()) +
                                   ": protocol must be \"http\" or \"https\", not \"" +
                                   course::printable(config.protocol) + "\""};
                }
            } else if (name == "server_fqdn") {
                config.server_fqdn = get_string(node, name, source);
            } else if (name == "url") {
                config.url = normalise_url(get_string(node, name, source));
                if (auto problem = url_problem(config.url); !problem.empty()) {
                    throw KeyError{where(source, node.source()) + ": " + problem};
                }
            } else if (name == "http_bind") {
                if (get_string(node, name, source).empty()) {
                    config.http_bind.reset();  // empty: no HTTP
                } else {
                    config.http_bind = get_address(node, name, source);
                }
            } else if (name == "max_upload_bytes") {
                config.max_upload_bytes = get_positive(node, name, source);
            } else if (name == "read_timeout_secs") {
                // The course's rule for every timeout: positive, finite, at most a year.
                // 1e10 s would overflow the clock arithmetic and time out every upload at once.
                auto seconds = get_positive(node, name, source);
                auto timeout = course::timeout_from_seconds(static_cast<double>(seconds));
                if (!timeout) {
                    throw KeyError{where(source, node.source()) +
                                   ": read_timeout_secs must be at most 31536000 (a year), got " +
                                   std::to_string(seconds)};
                }
                config.read_timeout = *timeout;
            } else if (name == "max_connections") {
                config.max_connections = get_in_range(node, name, kMaxConnectionsLimit, source);
            } else {
                result.warnings.push_back(where(source, key.source()) + ": unknown key '" +
                                          std::string(name) + "' (ignored)");
            }
        }
        // Checked once every key is read: the keys may come in any order.
        if (config.http_bind && is_wildcard(*config.http_bind) && config.server_fqdn.empty()) {
            throw KeyError{where(source, table["http_bind"].node()->source()) + ": http_bind " +
                           config.http_bind->to_string() +
                           " listens on every address, so no link can name it: "
                           "set server_fqdn to the name clients reach it by"};
        }
    } catch (const KeyError& error) {
        result.error = error.message;
        result.warnings.clear();
        return result;
    }
    // [/v6 step 1]
    result.config = std::move(config);
    return result;
}

ConfigResult load_config(const std::string& path, bool given) {
    ConfigResult result;
    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (!given && status.type() == std::filesystem::file_type::not_found) {
        result.config = Config{};  // no ./config.toml: the defaults, and we say so
        result.warnings.push_back("no " + path + ": using the defaults");
        return result;
    }
    // Anything else that is not a readable file is an error, never a silent default:
    // a missing --config, a directory, a file we may not read.
    if (std::filesystem::is_directory(status)) {
        result.error = path + ": is a directory, not a config file";
        return result;
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        result.error = path + ": cannot read the config file (" + std::strerror(errno) + ")";
        return result;
    }
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) {
        result.error = path + ": cannot read the config file";
        return result;
    }
    return parse_config(text.str(), path);
}
