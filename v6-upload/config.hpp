// The server's settings: config.toml (the seed's keys and ours), then the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "course/address.hpp"

struct Config {
    // The keys of seed 000.
    course::Address bind_ip_port{"127.0.0.1", 7070};  // where uploads come in
    std::filesystem::path data_dir = "./uploads";     // relative: to the working directory
    std::string log_level = "info";
    std::string protocol = "http";  // the scheme of the links we answer
    std::string server_fqdn;        // empty: the HTTP address we bound
    std::string url = "images";     // path of the links, without slashes
    // Ours.
    std::optional<course::Address> http_bind = course::Address{"127.0.0.1", 7071};  // none: off
    std::uint64_t max_upload_bytes = 32 * 1024 * 1024;
    std::chrono::milliseconds read_timeout{30'000};  // read_timeout_secs: 1 to 31536000
    std::uint64_t max_connections = 10'000;          // per side: uploads, and HTTP apart
};

// The range of max_connections. Each connection is a file descriptor (two for an HTTP
// one sending a file), and the server raises its descriptor limit only so far.
inline constexpr std::uint64_t kMaxConnectionsLimit = 1'000'000;

struct ConfigResult {
    std::optional<Config> config;       // nothing: an error, in `error`
    std::string error;                  // "config.toml:3:20: max_upload_bytes must be ..."
    std::vector<std::string> warnings;  // unknown keys, and the like
};

// Parses TOML text; `source` names it in messages (the file's path). A missing key keeps
// its default; a malformed file, a value of the wrong type or out of range is an error
// naming source and line; an unknown key is a warning.
ConfigResult parse_config(std::string_view text, const std::string& source);

// Reads `path`. When the path was not given on the command line (`given` false) and there
// is no such file, that is no error: the defaults, with a warning saying so.
ConfigResult load_config(const std::string& path, bool given);

// "/img/", "img", "/img" -> "img"; "/" or "" -> "". Inner slashes stay ("a/b").
std::string normalise_url(std::string_view url);

// Why `url` cannot be the path of a working link, or "" when it can: RFC 3986's
// unreserved characters (letters, digits, - . _ ~) and '/', no "." or ".." segment.
std::string url_problem(std::string_view url);

// 0.0.0.0 or :: : every address of the machine, none of which a link can name.
bool is_wildcard(const course::Address& address);
